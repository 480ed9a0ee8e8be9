/* Stable verdict ids (record_id.c, verdict.c): their shape, what makes two
 * ids equal (the same finding read again, wherever and whenever) and what
 * makes them differ (another detector, another request, a repeat window's
 * aggregate), and a pinned value, so that an id never changes between
 * releases or hosts without the change being seen. */
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
	ck_assert_int_eq(kag_registry_seal(R), KAG_OK);
	ck_assert_int_eq(kag_session_new(&S, R), KAG_OK);
}

static void teardown(void)
{
	kag_session_free(S);
	kag_registry_free(R);
	kag_parser_free(P);
}

/* Parse text (' for ") as one stream named source and evaluate its only
 * event on session s. */
static const kag_result *eval_on(kag_session *s, const char *source, const char *text)
{
	char buf[4096];
	size_t i, n = strlen(text);
	const kag_event *ev;
	const kag_result *res;

	ck_assert_uint_lt(n, sizeof(buf));
	for (i = 0; i <= n; i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	ck_assert_int_eq(kag_parser_reset(P), KAG_OK);
	ck_assert_int_eq(kag_parser_set_source(P, source), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(P, buf, n), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(P), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, P), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
	return res;
}

/* The same on a session of its own (no stage de-duplication, no repeat
 * window shared with earlier events). */
static const kag_result *eval_fresh(const char *source, const char *text)
{
	kag_session_free(S);
	ck_assert_int_eq(kag_session_new(&S, R), KAG_OK);
	return eval_on(S, source, text);
}

/* The id of the verdict of `detector` in res, checked against the JSON
 * record's leading "id" member (then "schema", no cluster being named), copied to out (33 bytes); 0 when there is
 * no such verdict. */
static int id_of(const kag_result *res, const char *detector, char out[33])
{
	size_t i, j;

	for (i = 0; i < kag_result_count(res); i++) {
		const kag_verdict *v = kag_result_verdict(res, i);
		const char *id = kag_verdict_id(v), *json = kag_verdict_json(v, NULL);

		if (strcmp(kag_verdict_detector(v), detector) != 0)
			continue;
		ck_assert_uint_eq(strlen(id), 32);
		for (j = 0; j < 32; j++)
			ck_assert_msg(strchr("0123456789abcdef", id[j]) != NULL, "id %s", id);
		ck_assert_msg(strncmp(json, "{\"id\":\"", 7) == 0 && strncmp(json + 7, id, 32) == 0 &&
			      strncmp(json + 39, "\",\"schema\":\"kag/1\",\"detector\":", 29) == 0,
			      "record %.60s", json);
		ck_assert_str_eq(tu_json_get(json, "id"), id);
		memcpy(out, id, 33);
		return 1;
	}
	return 0;
}

#define EXEC(id, pod)                                                                       \
	"{'auditID':'" id "','stage':'ResponseStarted','level':'Metadata','verb':'create',"  \
	"'user':{'username':'alice@example.com','groups':['system:authenticated']},"         \
	"'sourceIPs':['203.0.113.10'],'userAgent':'kubectl/v1.29.0',"                         \
	"'objectRef':{'resource':'pods','subresource':'exec','namespace':'prod','name':'" pod \
	"'},'responseStatus':{'code':101},"                                                   \
	"'stageTimestamp':'2024-05-01T10:00:00.123456Z'}"

START_TEST(shape_and_pinned_value)
{
	char id[33];

	ck_assert(id_of(eval_on(S, "a.jsonl", EXEC("a1", "api-7f9")), "interactive_access", id));
	/* Computed from the detector and the auditID with fixed-width integer
	 * arithmetic: the same on every host. Changing it breaks the
	 * de-duplication of every consumer that stored ids; a change here must
	 * be a release note. */
	ck_assert_str_eq(id, "6f636d2a5d0717860e024c2a31cfe0e9");
}
END_TEST

START_TEST(same_finding_same_id)
{
	char a[33], b[33];
	kag_session *s2;

	ck_assert(id_of(eval_on(S, "a.jsonl", EXEC("a1", "api-7f9")), "interactive_access", a));
	/* another session, another source name, the stage de-duplication of
	 * the first session not involved */
	ck_assert_int_eq(kag_session_new(&s2, R), KAG_OK);
	ck_assert(id_of(eval_on(s2, "topic/3@1200", EXEC("a1", "api-7f9")), "interactive_access",
			b));
	ck_assert_str_eq(a, b);
	kag_session_free(s2);
}
END_TEST

START_TEST(other_finding_other_id)
{
	char a[33], b[33], c[33];
	kag_session *s2;

	ck_assert(id_of(eval_on(S, "a.jsonl", EXEC("a1", "api-7f9")), "interactive_access", a));
	/* another request */
	ck_assert(id_of(eval_fresh("a.jsonl", EXEC("a2", "api-7f9")), "interactive_access", b));
	ck_assert_str_ne(a, b);
	/* the same auditID judged by another detector (a fresh session, as
	 * the first one has judged a1 already) */
	ck_assert_int_eq(kag_session_new(&s2, R), KAG_OK);
	ck_assert(id_of(eval_on(s2, "a.jsonl",
				"{'auditID':'a1','stage':'ResponseComplete','verb':'get',"
				"'user':{'username':'mallory'},'sourceIPs':['10.0.0.9'],"
				"'objectRef':{'resource':'secrets','namespace':'prod','name':'db'},"
				"'responseStatus':{'code':200},"
				"'stageTimestamp':'2024-05-01T10:00:00.000000Z'}"),
			"secrets_access", c));
	kag_session_free(s2);
	ck_assert_str_ne(a, c);
}
END_TEST

#define NOID(name, res) NOID_UA(name, res, "")
#define NOID_UA(name, res, ua)                                                          \
	"{'stage':'ResponseComplete','verb':'get','user':{'username':'mallory'}," ua     \
	"'sourceIPs':['10.0.0.9'],'objectRef':{" res "'namespace':'prod','name':'" name \
	"'},'responseStatus':{'code':200},'stageTimestamp':'2024-05-01T10:00:00.000000Z'}"

START_TEST(without_audit_id)
{
	char a[33], b[33], c[33], d[33];

	ck_assert(id_of(eval_on(S, "x", NOID("db", "'resource':'secrets',")), "secrets_access", a));
	ck_assert(id_of(eval_fresh("y", NOID("db", "'resource':'secrets',")), "secrets_access", b));
	ck_assert_str_eq(a, b);
	ck_assert(id_of(eval_fresh("x", NOID("api", "'resource':'secrets',")), "secrets_access", c));
	ck_assert_str_ne(a, c);
	/* an empty string counts as absent */
	ck_assert(id_of(eval_fresh("x", NOID_UA("db", "'resource':'secrets',", "'userAgent':'',")),
			"secrets_access", d));
	ck_assert_str_eq(a, d);
}
END_TEST

/* mallory reads secret `name` at 10:00:00 + sec. */
static const kag_result *read_secret(const char *id, const char *name, int sec)
{
	char ev[1024];

	snprintf(ev, sizeof(ev),
		 "{'auditID':'%s','stage':'ResponseComplete','level':'Metadata','verb':'get',"
		 "'user':{'username':'mallory'},'sourceIPs':['10.0.0.9'],'userAgent':'app/1',"
		 "'objectRef':{'resource':'secrets','namespace':'prod','name':'%s'},"
		 "'responseStatus':{'code':200},'stageTimestamp':'2024-05-01T10:%02d:%02d.000000Z'}",
		 id, name, sec / 60, sec % 60);
	return eval_on(S, "s.jsonl", ev);
}

START_TEST(repeat_aggregate_has_its_own_id)
{
	char first[33], alone[33], agg[33];
	const kag_result *res;
	kag_session *s2;

	ck_assert(id_of(read_secret("r0", "db", 0), "secrets_access", first));
	ck_assert_uint_eq(kag_result_count(read_secret("r1", "db", 10)), 0);
	ck_assert_uint_eq(kag_result_count(read_secret("r2", "db", 20)), 0);
	ck_assert_int_eq(kag_session_flush(&res, S), KAG_OK);
	ck_assert(id_of(res, "secrets_access", agg));
	ck_assert_uint_eq(kag_verdict_repeat_count(kag_result_verdict(res, 0)), 2);
	/* r2 judged alone, in a fresh session: the verdict the aggregate was
	 * made from */
	ck_assert_int_eq(kag_session_new(&s2, R), KAG_OK);
	{
		kag_session *keep = S;

		S = s2;
		ck_assert(id_of(read_secret("r2", "db", 20), "secrets_access", alone));
		S = keep;
	}
	kag_session_free(s2);
	ck_assert_str_ne(agg, alone);
	ck_assert_str_ne(agg, first);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record_id");
	TCase *tc = tcase_create("ids");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, shape_and_pinned_value);
	tcase_add_test(tc, same_finding_same_id);
	tcase_add_test(tc, other_finding_other_id);
	tcase_add_test(tc, without_audit_id);
	tcase_add_test(tc, repeat_aggregate_has_its_own_id);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
