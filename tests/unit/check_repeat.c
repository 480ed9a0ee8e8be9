/* Repeats counted, not repeated (repeat.c): exact counts, window expiry,
 * eviction and flush emit the aggregate, bursts still fire, the policy knob
 * off returns every verdict; needs_context only for leads (lead.c); one
 * request, one story (the baseline stands down). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static kag_registry *R;
static kag_session *S;
static kag_parser *P;

static void setup(void)
{
	ck_assert_int_eq(kag_registry_new(&R), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&P), KAG_OK);
	S = NULL;
}

static void teardown(void)
{
	kag_session_free(S);
	kag_registry_free(R);
	kag_parser_free(P);
}

static void start(void)
{
	ck_assert_int_eq(kag_registry_seal(R), KAG_OK);
	ck_assert_int_eq(kag_session_new(&S, R), KAG_OK);
}

/* Parse one event (' for ") and evaluate it. */
static const kag_result *eval(const char *text)
{
	char buf[4096];
	size_t i, n = strlen(text);
	const kag_event *ev;
	const kag_result *res;

	ck_assert_uint_lt(n, sizeof(buf));
	for (i = 0; i <= n; i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	ck_assert_int_eq(kag_parser_reset(P), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(P, buf, n), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(P), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, P), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, S, ev), KAG_OK);
	return res;
}

/* mallory reads secret `name` at 10:00:00 + sec (auditID id). */
static const kag_result *read_secret(const char *id, const char *name, int sec)
{
	char ev[1024];

	snprintf(ev, sizeof(ev),
		 "{'auditID':'%s','stage':'ResponseComplete','level':'Metadata','verb':'get',"
		 "'user':{'username':'mallory'},'sourceIPs':['10.0.0.9'],'userAgent':'app/1',"
		 "'objectRef':{'resource':'secrets','namespace':'prod','name':'%s'},"
		 "'responseStatus':{'code':200},'stageTimestamp':'2024-05-01T10:%02d:%02d.000000Z'}",
		 id, name, sec / 60, sec % 60);
	return eval(ev);
}

static const kag_result *flush(void)
{
	const kag_result *res;

	ck_assert_int_eq(kag_session_flush(&res, S), KAG_OK);
	return res;
}

/* Verdicts of `detector` in res; *agg counts the aggregates among them
 * and *repeats adds up their counts. */
static size_t count(const kag_result *res, const char *detector, size_t *agg, uint64_t *repeats)
{
	size_t i, n = 0;

	if (agg)
		*agg = 0;
	if (repeats)
		*repeats = 0;
	for (i = 0; i < kag_result_count(res); i++) {
		const kag_verdict *v = kag_result_verdict(res, i);

		if (strcmp(kag_verdict_detector(v), detector) != 0)
			continue;
		n++;
		if (kag_verdict_repeat_count(v)) {
			const char *json = kag_verdict_json(v, NULL);

			ck_assert_ptr_nonnull(strstr(json, "\"repeats\":{\"count\":"));
			if (agg)
				(*agg)++;
			if (repeats)
				*repeats += kag_verdict_repeat_count(v);
		}
	}
	return n;
}

static const char *json_of(const kag_result *res, const char *detector)
{
	size_t i;

	for (i = 0; i < kag_result_count(res); i++)
		if (strcmp(kag_verdict_detector(kag_result_verdict(res, i)), detector) == 0)
			return kag_verdict_json(kag_result_verdict(res, i), NULL);
	return NULL;
}

START_TEST(exact_counts_and_flush)
{
	size_t agg;
	uint64_t reps;
	const char *json;
	const kag_result *res;
	int i;

	start();
	ck_assert_uint_eq(count(read_secret("r0", "db", 0), "secrets_access", &agg, NULL), 1);
	ck_assert_uint_eq(agg, 0);
	for (i = 1; i <= 6; i++) {
		char id[8];

		snprintf(id, sizeof(id), "r%d", i);
		ck_assert_uint_eq(count(read_secret(id, "db", i * 10), "secrets_access", NULL, NULL), 0);
	}
	/* another secret is another finding */
	ck_assert_uint_eq(count(read_secret("o1", "api", 70), "secrets_access", NULL, NULL), 1);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_REPEATS), 6);
	/* two windows open (db, api), in a table of the default 4096 */
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_REPEAT_ENTRIES), 2);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_REPEAT_CAPACITY), 4096);
	res = flush();
	ck_assert_uint_eq(count(res, "secrets_access", &agg, &reps), 1);
	ck_assert_uint_eq(agg, 1);
	ck_assert_uint_eq(reps, 6);
	json = json_of(res, "secrets_access");
	/* the aggregate is the last repeat, first and last are the repeats' */
	ck_assert_str_eq(tu_json_get(json, "event.auditID"), "r6");
	ck_assert_str_eq(tu_json_get(json, "repeats.count"), "6");
	ck_assert_str_eq(tu_json_get(json, "repeats.first"), "2024-05-01T10:00:10.000000Z");
	ck_assert_str_eq(tu_json_get(json, "repeats.last"), "2024-05-01T10:01:00.000000Z");
	/* a flushed window is closed: nothing more at the next flush */
	ck_assert_uint_eq(kag_result_count(flush()), 0);
}
END_TEST

START_TEST(window_expiry)
{
	size_t agg;
	uint64_t reps;
	const kag_result *res;

	ck_assert_int_eq(kag_registry_set_option_u64(R, KAG_ROPT_REPEAT_WINDOW, 60), KAG_OK);
	start();
	ck_assert_uint_eq(count(read_secret("a0", "db", 0), "secrets_access", NULL, NULL), 1);
	ck_assert_uint_eq(count(read_secret("a1", "db", 20), "secrets_access", NULL, NULL), 0);
	ck_assert_uint_eq(count(read_secret("a2", "db", 40), "secrets_access", NULL, NULL), 0);
	/* past the window: its aggregate, and a new window opens */
	res = read_secret("a3", "db", 70);
	ck_assert_uint_eq(count(res, "secrets_access", &agg, &reps), 2);
	ck_assert_uint_eq(agg, 1);
	ck_assert_uint_eq(reps, 2);
	/* time passing closes a window too (window + late allowance), with
	 * no aggregate when it counted nothing */
	ck_assert_uint_eq(count(read_secret("b0", "other", 300), "secrets_access", &agg, NULL), 1);
	ck_assert_uint_eq(agg, 0);
	ck_assert_uint_eq(count(read_secret("a4", "db", 310), "secrets_access", &agg, NULL), 1);
	ck_assert_uint_eq(agg, 0);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_REPEATS), 2);
}
END_TEST

START_TEST(eviction_emits_aggregate)
{
	size_t agg;
	uint64_t reps;
	const kag_result *res;

	ck_assert_int_eq(kag_registry_set_option_u64(R, KAG_ROPT_REPEAT_CAPACITY, 2), KAG_OK);
	start();
	read_secret("x0", "one", 0);
	read_secret("x1", "one", 1);
	read_secret("x2", "one", 2);
	read_secret("y0", "two", 3);
	/* a third open window evicts the least recently used one, "one" */
	res = read_secret("z0", "three", 4);
	ck_assert_uint_eq(count(res, "secrets_access", &agg, &reps), 2);
	ck_assert_uint_eq(agg, 1);
	ck_assert_uint_eq(reps, 2);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_REPEAT_EVICTIONS), 1);
	ck_assert_uint_eq(count(flush(), "secrets_access", &agg, NULL), 0);
}
END_TEST

START_TEST(bursts_fire_with_suppression_on)
{
	static const char deny[] =
		"{'auditID':'d%d','stage':'ResponseComplete','level':'Metadata','verb':'list',"
		"'user':{'username':'mallory'},'sourceIPs':['10.0.0.9'],"
		"'objectRef':{'resource':'secrets','namespace':'prod'},"
		"'responseStatus':{'code':403},'stageTimestamp':'2024-05-01T10:00:0%d.000000Z'}";
	char ev[1024];
	size_t n = 0, bursts = 0, i;
	int k;

	ck_assert_int_eq(kag_registry_set_option_u64(R, KAG_ROPT_PROBE_THRESHOLD, 3), KAG_OK);
	start();
	for (k = 1; k <= 4; k++) {
		const kag_result *res;

		snprintf(ev, sizeof(ev), deny, k, k);
		res = eval(ev);
		for (i = 0; i < kag_result_count(res); i++) {
			const kag_verdict *v = kag_result_verdict(res, i);

			if (strcmp(kag_verdict_detector(v), "rbac_probing") != 0)
				continue;
			n++;
			if (kag_verdict_correlation_count(v))
				bursts++;
		}
	}
	/* d1 a single denied attempt, d2 a repeat of it, d3 the burst (a
	 * correlation, never a repeat: the detector saw d2), d4 within it */
	ck_assert_uint_eq(bursts, 1);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_REPEATS), 1);
}
END_TEST

START_TEST(knob_off_returns_every_verdict)
{
	size_t n = 0;
	int i;

	ck_assert_int_eq(kag_registry_load_policy(R, "{\"windows\":{\"repeat\":0}}", 24), KAG_OK);
	start();
	for (i = 0; i < 5; i++) {
		char id[8];

		snprintf(id, sizeof(id), "k%d", i);
		n += count(read_secret(id, "db", i), "secrets_access", NULL, NULL);
	}
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(kag_result_count(flush()), 0);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_REPEATS), 0);
}
END_TEST

START_TEST(key_is_policy)
{
	kag_registry *r;

	/* without the name in the key, reads of two secrets are repeats */
	ck_assert_int_eq(kag_registry_set_option_u64(R, KAG_ROPT_REPEAT_KEY,
						     KAG_REPEAT_USER | KAG_REPEAT_VERB |
						     KAG_REPEAT_RESOURCE | KAG_REPEAT_NAMESPACE |
						     KAG_REPEAT_OUTCOME), KAG_OK);
	start();
	ck_assert_uint_eq(count(read_secret("n1", "db", 0), "secrets_access", NULL, NULL), 1);
	ck_assert_uint_eq(count(read_secret("n2", "api", 1), "secrets_access", NULL, NULL), 0);
	/* bad keys and values are refused */
	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_REPEAT_KEY, 1024), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_REPEAT_CAPACITY, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_load_policy(r, "{\"repeat_key\":[\"nope\"]}", 23),
			 KAG_ESCHEMA);
	ck_assert_str_eq(kag_registry_error_path(r), "/repeat_key/0");
	ck_assert_int_eq(kag_registry_load_policy(r, "{\"repeat_key\":[\"user\",\"verb\"]}", 30),
			 KAG_OK);
	kag_registry_free(r);
}
END_TEST

/* ---- needs_context only for leads ---- */

static const char *pod_create(const char *user, const char *ns, const char *ip)
{
	static char ev[1024];

	snprintf(ev, sizeof(ev),
		 "{'auditID':'p-%s-%s','stage':'ResponseComplete','level':'Metadata',"
		 "'verb':'create','user':{'username':'%s'},'sourceIPs':['%s'],"
		 "'userAgent':'kube-controller-manager/v1.29.2',"
		 "'objectRef':{'resource':'pods','namespace':'%s','name':'web-1'},"
		 "'responseStatus':{'code':201},'stageTimestamp':'2024-05-01T10:00:00.000000Z'}",
		 ns, ip, user, ip, ns);
	return ev;
}

START_TEST(level_only_needs_context_for_leads)
{
	static const char rs[] = "system:serviceaccount:kube-system:replicaset-controller";
	size_t i, pw = 0;
	int found = 0;

	ck_assert_int_eq(kag_registry_set_option_u64(R, KAG_ROPT_REPEAT_WINDOW, 0), KAG_OK);
	start();
	/* a controller in an application namespace, writing a pod that is not
	 * its own template's copy (those are judged at their origin and not
	 * counted): counted, no verdict */
	ck_assert_uint_eq(count(eval(pod_create("system:serviceaccount:kube-system:"
						"deployment-controller", "shop", "10.0.0.2")),
				"privileged_workload",
				NULL, NULL), 0);
	for (i = 0; i < kag_registry_count(R); i++) {
		if (strcmp(kag_registry_detector_id(R, i), "privileged_workload") == 0) {
			ck_assert_uint_eq(kag_session_detector_stat(S, i, KAG_DSTAT_LEVEL_UNJUDGED), 1);
			ck_assert_uint_eq(kag_session_detector_stat(S, i, 99), 0);
			pw = i;
			found = 1;
		}
	}
	ck_assert(found);
	ck_assert_uint_eq(kag_session_detector_stat(S, kag_registry_count(R), 1), 0);
	ck_assert_uint_ge(kag_session_stat(S, KAG_SSTAT_LEVEL_UNJUDGED), 1);
	/* leads: an identity outside the baseline, a public source */
	ck_assert_uint_eq(count(eval(pod_create("dev@example.com", "shop", "10.0.0.3")),
				"privileged_workload", NULL, NULL), 1);
	ck_assert_uint_eq(count(eval(pod_create(rs, "shop", "203.0.113.7")),
				"privileged_workload", NULL, NULL), 1);
	ck_assert_uint_eq(kag_session_detector_stat(S, pw, KAG_DSTAT_LEVEL_UNJUDGED), 1);
}
END_TEST

/* ---- one request, one story ---- */

static int benign_and_alert(const kag_result *res)
{
	size_t i;
	int benign = 0, alert = 0;

	for (i = 0; i < kag_result_count(res); i++) {
		const kag_verdict *v = kag_result_verdict(res, i);
		int a = kag_verdict_assessment(v);

		if (strcmp(kag_verdict_detector(v), "controller_baseline") == 0)
			benign = 1;
		if (a == KAG_ASSESSMENT_SUSPICIOUS || a == KAG_ASSESSMENT_MALICIOUS)
			alert = 1;
	}
	return benign * 2 + alert;
}

START_TEST(baseline_stands_down)
{
	start();
	/* a node credential running kubectl auth can-i --list */
	ck_assert_int_eq(benign_and_alert(eval(
		"{'auditID':'c1','stage':'ResponseComplete','level':'Metadata','verb':'create',"
		"'user':{'username':'system:node:worker-1','groups':['system:nodes']},"
		"'sourceIPs':['10.0.0.5'],'userAgent':'kubectl/v1.29.2 (linux/amd64)',"
		"'objectRef':{'resource':'selfsubjectrulesreviews','apiGroup':'authorization.k8s.io'},"
		"'responseStatus':{'code':201},'stageTimestamp':'2024-05-01T10:00:00.000000Z'}")), 1);
	/* a kube-system service account's token from a public address reading
	 * an application's secret */
	ck_assert_int_eq(benign_and_alert(eval(
		"{'auditID':'c2','stage':'ResponseComplete','level':'Metadata','verb':'get',"
		"'user':{'username':'system:serviceaccount:kube-system:generic-garbage-collector'},"
		"'sourceIPs':['198.51.100.23'],'userAgent':'Go-http-client/2.0',"
		"'objectRef':{'resource':'secrets','namespace':'shop','name':'db'},"
		"'responseStatus':{'code':200},'stageTimestamp':'2024-05-01T10:00:01.000000Z'}")) & 2, 0);
	/* the same identity reconciling from inside the cluster keeps its
	 * benign verdict */
	ck_assert_int_eq(benign_and_alert(eval(
		"{'auditID':'c3','stage':'ResponseComplete','level':'Metadata','verb':'list',"
		"'user':{'username':'system:serviceaccount:kube-system:generic-garbage-collector'},"
		"'sourceIPs':['10.0.0.6'],'userAgent':'kube-controller-manager/v1.29.2',"
		"'objectRef':{'resource':'configmaps','namespace':'shop'},"
		"'responseStatus':{'code':200},'stageTimestamp':'2024-05-01T10:00:02.000000Z'}")), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("repeat");
	TCase *rep = tcase_create("repeats");
	TCase *lead = tcase_create("leads");
	TCase *story = tcase_create("story");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(rep, setup, teardown);
	tcase_add_checked_fixture(lead, setup, teardown);
	tcase_add_checked_fixture(story, setup, teardown);
	tcase_add_test(rep, exact_counts_and_flush);
	tcase_add_test(rep, window_expiry);
	tcase_add_test(rep, eviction_emits_aggregate);
	tcase_add_test(rep, bursts_fire_with_suppression_on);
	tcase_add_test(rep, knob_off_returns_every_verdict);
	tcase_add_test(rep, key_is_policy);
	tcase_add_test(lead, level_only_needs_context_for_leads);
	tcase_add_test(story, baseline_stands_down);
	suite_add_tcase(s, rep);
	suite_add_tcase(s, lead);
	suite_add_tcase(s, story);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
