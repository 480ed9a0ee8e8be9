/* Real audit events from third parties (tests/data, see PROVENANCE.md),
 * judged by the five detectors of the first review. Other detectors are
 * disabled so that these counts stay about these five. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const five[] = { "controller_baseline", "interactive_access",
				     "impersonation", "rbac_probing", "secrets_access", NULL };

static int is_five(const char *id)
{
	size_t i;

	for (i = 0; five[i]; i++)
		if (strcmp(five[i], id) == 0)
			return 1;
	return 0;
}

/* A context whose registry runs only the five; window 0 keeps the default. */
static void init_five(tu_ctx *t, uint64_t probe_window)
{
	kag_registry *reg;
	size_t i, n = 0;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	for (i = 0; i < kag_registry_count(reg); i++) {
		const char *id = kag_registry_detector_id(reg, i);

		if (is_five(id))
			n++;
		else
			ck_assert_int_eq(kag_registry_disable(reg, id), KAG_OK);
	}
	ck_assert_uint_eq(n, 5);
	if (probe_window)
		ck_assert_int_eq(kag_registry_set_option_u64(reg, KAG_ROPT_PROBE_WINDOW, probe_window),
				 KAG_OK);
	tu_init_registry(t, reg);
}

static void judge_file(tu_ctx *t, const char *rel, size_t events, size_t errors)
{
	init_five(t, 0);
	tu_judge_file(t, rel);
	ck_assert_msg(t->n_events == events && t->n_errors == errors,
		      "%s: %zu events, %zu errors (want %zu, %zu)%s%s", rel, t->n_events,
		      t->n_errors, events, errors, t->n_errors ? "\n" : "",
		      t->n_errors ? t->errors[0] : "");
}

static void expect(const char *line, const char *path, const char *want)
{
	const char *got;

	ck_assert_msg(line != NULL, "no verdict to read %s from", path);
	got = tu_json_get(line, path);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: got %s, want %s\nin %s", path,
		      got ? got : "(absent)", want, line);
}

/* ---- falco-k8s-audit ---- */

START_TEST(falco_exec_pod)
{
	tu_ctx t;
	const char *v;

	judge_file(&t, "falco-k8s-audit/exec_pod.json", 1, 0);
	ck_assert_uint_eq(t.n_verdicts, 1);
	v = tu_find(&t, "interactive_access", 0);
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "in_progress");
	expect(v, "severity", "high");
	expect(v, "evidence.command", "[\"bash\"]");
	expect(v, "evidence.commandFindings", "[\"shell\"]");
	expect(v, "evidence.user.username", "minikube-user");
	expect(v, "evidence.objectRef.name", "nginx-deployment-7998647bdf-phvq7");
	expect(v, "evidence.responseStatus", "{\"code\":101}");
	expect(v, "missing", "[\"userAgent\"]");
	expect(v, "event.auditID", "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6");
	expect(v, "event.level", "Request");
	expect(v, "event.time", "2018-10-26T13:38:34.902914Z");
	expect(v, "event.source", "falco-k8s-audit/exec_pod.json:1");
	tu_free(&t);
}
END_TEST

START_TEST(falco_attach_pod)
{
	tu_ctx t;
	const char *v;

	judge_file(&t, "falco-k8s-audit/attach_pod.json", 1, 0);
	ck_assert_uint_eq(t.n_verdicts, 1);
	v = tu_find(&t, "interactive_access", 0);
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "in_progress");
	expect(v, "severity", "high");
	expect(v, "evidence.objectRef.subresource", "attach");
	ck_assert_ptr_null(tu_json_get(v, "evidence.command"));
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "attach to pod default/"));
	tu_free(&t);
}
END_TEST

START_TEST(falco_fal_01_003)
{
	char path[1024];
	kag_parser *p;
	const kag_event *ev;
	size_t len;
	char *data;
	tu_ctx t;

	judge_file(&t, "falco-k8s-audit/fal_01_003.json", 0, 1);
	ck_assert_int_eq(t.last_error, KAG_ESCHEMA);
	ck_assert_uint_eq(t.n_verdicts, 0);
	tu_free(&t);

	snprintf(path, sizeof(path), "%s/falco-k8s-audit/fal_01_003.json", KAG_TEST_DATA);
	data = tu_read_file(path, &len);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, data, len), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ESCHEMA);
	ck_assert_str_eq(kag_parser_error_path(p), "/kind");
	ck_assert_uint_eq(kag_parser_error_line(p), 1);
	ck_assert_uint_eq(kag_parser_error_offset(p), 0);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS), 1);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 1);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 0);
	kag_parser_free(p);
	free(data);
}
END_TEST

START_TEST(falco_quiet_events)
{
	tu_ctx t;

	/* a Secret created (not read) by an admin: none of the five */
	judge_file(&t, "falco-k8s-audit/create_kube_system_secret.json", 1, 0);
	ck_assert_uint_eq(t.n_verdicts, 0);
	tu_free(&t);
	judge_file(&t, "falco-k8s-audit/some-user_creates_namespace_foo.json", 1, 0);
	ck_assert_uint_eq(t.n_verdicts, 0);
	tu_free(&t);
	judge_file(&t, "falco-k8s-audit/anonymous_creates_namespace_foo.json", 1, 0);
	ck_assert_uint_eq(t.n_verdicts, 0);
	tu_free(&t);
}
END_TEST

START_TEST(falco_shared_audit_id)
{
	tu_ctx t;

	/* two fixtures reuse one auditID: different users make different
	 * requests, so the second is judged, not taken for a later stage */
	judge_file(&t, "falco-k8s-audit/some-user_creates_namespace_foo.json", 1, 0);
	tu_judge_file(&t, "falco-k8s-audit/anonymous_creates_namespace_foo.json");
	ck_assert_uint_eq(t.n_events, 2);
	ck_assert_uint_eq(kag_session_stat(t.sess, KAG_SSTAT_DUPLICATES), 0);
	ck_assert_uint_eq(kag_session_stat(t.sess, KAG_SSTAT_EVENTS), 2);
	tu_free(&t);
}
END_TEST

START_TEST(falco_replicaset_controller_pod)
{
	tu_ctx t;
	const char *v;

	judge_file(&t, "falco-k8s-audit/create_nginx_pod_privileged.json", 1, 0);
	ck_assert_uint_eq(t.n_verdicts, 1);
	v = tu_find(&t, "controller_baseline", 0);
	expect(v, "assessment", "benign");
	expect(v, "outcome", "allowed");
	expect(v, "severity", "info");
	expect(v, "evidence.identityClass", "kube-system service account");
	expect(v, "evidence.user.username", "system:serviceaccount:kube-system:replicaset-controller");
	expect(v, "event.level", "RequestResponse");
	/* the body stays out by default */
	ck_assert_ptr_null(strstr(v, "requestObject"));
	ck_assert_ptr_null(strstr(v, "securityContext"));
	ck_assert_ptr_null(strstr(v, "nginx-deployment-5cdcc99dbf-"));
	tu_free(&t);
}
END_TEST

/* ---- openshift-docs ---- */

START_TEST(openshift_operators_are_baseline)
{
	static const struct {
		const char *file, *user, *reason_part;
	} cases[] = {
		{ "openshift-docs/kube-apiserver-audit.jsonl",
		  "system:serviceaccount:openshift-kube-scheduler-operator:"
		  "openshift-kube-scheduler-operator",
		  "get serviceaccounts in openshift-kube-scheduler" },
		{ "openshift-docs/oauth-apiserver-audit.jsonl",
		  "system:serviceaccount:openshift-monitoring:prometheus-k8s",
		  "get users in cluster scope" },
		{ "openshift-docs/openshift-apiserver-audit.jsonl",
		  "system:serviceaccount:openshift-monitoring:prometheus-k8s",
		  "get /metrics in cluster scope" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_ctx t;
		const char *v;

		judge_file(&t, cases[i].file, 1, 0);
		ck_assert_uint_eq(t.n_verdicts, 1);
		v = tu_find(&t, "controller_baseline", 0);
		expect(v, "assessment", "benign");
		expect(v, "evidence.identityClass", "platform operator service account");
		expect(v, "evidence.user.username", cases[i].user);
		ck_assert_msg(strstr(tu_json_get(v, "reason"), cases[i].reason_part) != NULL,
			      "%s: reason %s", cases[i].file, tu_json_get(v, "reason"));
		tu_free(&t);
	}
}
END_TEST

START_TEST(openshift_oauth_login)
{
	tu_ctx t;

	/* an anonymous POST /login answered 302: none of the five */
	judge_file(&t, "openshift-docs/oauth-server-audit.jsonl", 1, 0);
	ck_assert_uint_eq(t.n_verdicts, 0);
	tu_free(&t);
}
END_TEST

START_TEST(openshift_node_logs_prefix)
{
	char path[1024];
	const char *s;
	kag_parser *p;
	const kag_event *ev;
	kag_gate *g;
	size_t len, slen;
	int64_t code;
	char *data;
	tu_ctx t;

	judge_file(&t, "openshift-docs/node-logs-hostname-prefixed.log", 1, 0);
	/* kube:admin got a 404 on nodes: an error, none of the five */
	ck_assert_uint_eq(t.n_verdicts, 0);
	tu_free(&t);

	snprintf(path, sizeof(path), "%s/openshift-docs/node-logs-hostname-prefixed.log",
		 KAG_TEST_DATA);
	data = tu_read_file(path, &len);
	ck_assert_uint_gt(len, 30);
	ck_assert_int_eq(memcmp(data, "ip-10-0-140-97.ec2.internal {", 29), 0);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, data, len), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&s, &slen, ev, KAG_FIELD_USER_USERNAME), KAG_OK);
	ck_assert_uint_eq(slen, 10);
	ck_assert_int_eq(memcmp(s, "kube:admin", 10), 0);
	ck_assert_int_eq(kag_event_get_string(&s, &slen, ev, KAG_FIELD_AUDIT_ID), KAG_OK);
	ck_assert_uint_eq(slen, 36);
	ck_assert_int_eq(memcmp(s, "6e96c88b-ab6f-44d2-b62e-d1413efd676b", 36), 0);
	ck_assert_int_eq(kag_event_get_int(&code, ev, KAG_FIELD_RESPONSE_CODE), KAG_OK);
	ck_assert_int_eq(code, 404);
	ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_RESPONSE_COMPLETE);
	ck_assert_int_eq(kag_event_level(ev), KAG_LEVEL_METADATA);
	ck_assert_uint_eq(kag_event_line(ev), 1);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_GROUPS), 2);
	ck_assert_int_eq(kag_gate_evaluate(&g, NULL, NULL, ev), KAG_OK);
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_ERROR);
	kag_gate_free(g);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	kag_parser_free(p);
	free(data);
}
END_TEST

/* ---- audit2rbac-demo ----
 * 37 events, all by system:admin from ::1 with impersonatedUser: bob on
 * lines 1-4 and 10-34 (29), system:serviceaccount:ns1:sa1 on lines 5-9 (5),
 * alice on lines 35-37 (3). Eleven are 403s: lines 1, 2, 4, 5, 6, 7, 8, 34,
 * 35, 36, 37, between 19:55:05 and 20:29:04 (2039 s). */

static size_t count_impersonated(const tu_ctx *t, const char *target, const char *severity)
{
	size_t i, n = 0;
	const char *v;

	for (i = 0; (v = tu_find(t, "impersonation", i)) != NULL; i++) {
		const char *got = tu_json_get(v, "evidence.impersonatedUser.username");

		if (strcmp(got, target) != 0)
			continue;
		if (severity && strcmp(tu_json_get(v, "severity"), severity) != 0)
			continue;
		n++;
	}
	return n;
}

START_TEST(audit2rbac_impersonation)
{
	tu_ctx t;
	const char *v;
	size_t i;

	judge_file(&t, "audit2rbac-demo/demo.log", 37, 0);
	ck_assert_uint_eq(tu_count(&t, "impersonation"), 37);
	for (i = 0; (v = tu_find(&t, "impersonation", i)) != NULL; i++) {
		expect(v, "evidence.user.username", "system:admin");
		expect(v, "assessment", "suspicious");
	}
	ck_assert_uint_eq(count_impersonated(&t, "bob", NULL), 29);
	/* ordinary targets: medium when allowed, low when denied */
	ck_assert_uint_eq(count_impersonated(&t, "bob", "medium"), 25);
	ck_assert_uint_eq(count_impersonated(&t, "bob", "low"), 4);
	ck_assert_uint_eq(count_impersonated(&t, "system:serviceaccount:ns1:sa1", "medium"), 1);
	ck_assert_uint_eq(count_impersonated(&t, "system:serviceaccount:ns1:sa1", "low"), 4);
	ck_assert_uint_eq(count_impersonated(&t, "alice", "low"), 3);
	ck_assert_uint_eq(count_impersonated(&t, "alice", NULL), 3);
	v = tu_find(&t, "impersonation", 0);
	expect(v, "outcome", "denied");
	expect(v, "event.source", "audit2rbac-demo/demo.log:1");
	expect(v, "event.time", "2017-09-11T19:55:05Z");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "system:admin acted as bob"));

	/* denied impersonated reads are not access; no platform identity here */
	ck_assert_uint_eq(tu_count(&t, "secrets_access"), 0);
	ck_assert_uint_eq(tu_count(&t, "controller_baseline"), 0);
	ck_assert_uint_eq(tu_count(&t, "interactive_access"), 0);

	/* default window (1800 s): the first 7 denials fall in one window; line
	 * 34 (1967 s after line 1) opens a new one that holds only 4. No burst;
	 * the single sensitive denial (secrets, line 37) is a denied attempt,
	 * the ten others info. */
	ck_assert_uint_eq(tu_count(&t, "rbac_probing"), 11);
	ck_assert_uint_eq(tu_count_alerts(&t, "rbac_probing"), 1);
	v = tu_find_alert(&t, "rbac_probing", 0);
	expect(v, "severity", "low");
	expect(v, "outcome", "denied");
	expect(v, "attack", "[\"T1552.007\"]");
	expect(v, "event.source", "audit2rbac-demo/demo.log:37");
	ck_assert_ptr_null(tu_json_get(v, "correlation"));
	ck_assert_uint_eq(t.n_verdicts, 48);
	tu_free(&t);
}
END_TEST

START_TEST(audit2rbac_probing_burst)
{
	tu_ctx t;
	const char *v;

	/* a one-hour window holds all eleven denials; the tenth (line 36,
	 * configmaps) reaches the default threshold of 10 */
	init_five(&t, 3600);
	tu_judge_file(&t, "audit2rbac-demo/demo.log");
	ck_assert_uint_eq(t.n_events, 37);
	ck_assert_uint_eq(tu_count_alerts(&t, "rbac_probing"), 1);
	v = tu_find_alert(&t, "rbac_probing", 0);
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "denied");
	expect(v, "severity", "high");
	expect(v, "event.source", "audit2rbac-demo/demo.log:36");
	expect(v, "correlation.count", "10");
	expect(v, "correlation.first", "2017-09-11T19:55:05.000000Z");
	expect(v, "correlation.last", "2017-09-11T20:28:58.000000Z");
	expect(v, "correlation.distinct", "[\"pods\",\"nodes\",\"configmaps\"]");
	expect(v, "attack", "[\"T1613\",\"T1069.003\"]");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"),
				     "10 denied requests by system:admin from ::1"));
	/* the eleventh (secrets, line 37) is covered by the burst */
	ck_assert_uint_eq(t.n_verdicts, 47);
	tu_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("corpus");
	TCase *falco = tcase_create("falco-k8s-audit");
	TCase *openshift = tcase_create("openshift-docs");
	TCase *a2r = tcase_create("audit2rbac-demo");
	SRunner *sr;
	int failed;

	tcase_add_test(falco, falco_exec_pod);
	tcase_add_test(falco, falco_attach_pod);
	tcase_add_test(falco, falco_fal_01_003);
	tcase_add_test(falco, falco_quiet_events);
	tcase_add_test(falco, falco_shared_audit_id);
	tcase_add_test(falco, falco_replicaset_controller_pod);
	tcase_add_test(openshift, openshift_operators_are_baseline);
	tcase_add_test(openshift, openshift_oauth_login);
	tcase_add_test(openshift, openshift_node_logs_prefix);
	tcase_add_test(a2r, audit2rbac_impersonation);
	tcase_add_test(a2r, audit2rbac_probing_burst);
	suite_add_tcase(s, falco);
	suite_add_tcase(s, openshift);
	suite_add_tcase(s, a2r);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
