/* Learned baselines (baseline.c, baseline_file.c, baseline_judge.c): the
 * file round trip is byte-identical, caps evict and count, hostile files
 * fail with exact codes and change nothing, seen behaviour ranks one step
 * lower only where allowed, new behaviour of a known identity says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static kag_registry *R;
static kag_session *S;
static kag_parser *P;
static kag_baseline *B;

static void setup(void)
{
	ck_assert_int_eq(kag_registry_new(&R), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(R), KAG_OK);
	ck_assert_int_eq(kag_session_new(&S, R), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&P), KAG_OK);
	ck_assert_int_eq(kag_baseline_new(&B), KAG_OK);
}

static void teardown(void)
{
	kag_session_free(S);
	kag_baseline_free(B);
	kag_registry_free(R);
	kag_parser_free(P);
}

/* A fresh session (the previous one's state gone) using B. */
static void restart(int learn)
{
	kag_session_free(S);
	ck_assert_int_eq(kag_session_new(&S, R), KAG_OK);
	ck_assert_int_eq(kag_session_set_baseline(S, B, learn), KAG_OK);
}

/* `user` does `verb` on resource[/sub] in ns with agent from ip, at
 * 10:00:00 + sec, with status code. */
static const kag_result *act(const char *user, const char *verb, const char *resource,
			     const char *sub, const char *ns, const char *agent, const char *ip,
			     int code, int sec)
{
	static int serial;
	char ev[2048];
	const kag_event *e;
	const kag_result *res;
	int n;

	n = snprintf(ev, sizeof(ev),
		     "{\"auditID\":\"id-%d\",\"stage\":\"ResponseComplete\",\"level\":\"Metadata\","
		     "\"verb\":\"%s\",\"user\":{\"username\":\"%s\"},\"sourceIPs\":[\"%s\"],"
		     "\"userAgent\":\"%s\",\"objectRef\":{\"resource\":\"%s\"%s%s%s,"
		     "\"namespace\":\"%s\",\"name\":\"x\"},\"responseStatus\":{\"code\":%d},"
		     "\"stageTimestamp\":\"2024-05-01T%02d:%02d:%02d.000000Z\"}",
		     ++serial, verb, user, ip, agent, resource, sub ? ",\"subresource\":\"" : "",
		     sub ? sub : "", sub ? "\"" : "", ns, code, 10 + sec / 3600, sec / 60 % 60,
		     sec % 60);
	ck_assert_int_lt(n, (int)sizeof(ev));
	ck_assert_int_eq(kag_parser_reset(P), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(P, ev, (size_t)n), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(P), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&e, P), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, S, e), KAG_OK);
	return res;
}

static const kag_verdict *verdict_of(const kag_result *res, const char *detector)
{
	size_t i;

	for (i = 0; i < kag_result_count(res); i++)
		if (strcmp(kag_verdict_detector(kag_result_verdict(res, i)), detector) == 0)
			return kag_result_verdict(res, i);
	return NULL;
}

static char *save(const kag_baseline *b)
{
	char *text;
	size_t len;

	ck_assert_int_eq(kag_baseline_save(b, &text, &len), KAG_OK);
	ck_assert_uint_eq(strlen(text), len);
	return text;
}

/* mallory reads configmaps in namespaces ns0..ns(n-1) with app/1 (no
 * burst of distinct secrets, which would rank high and not be learned). */
static void teach(int n)
{
	char ns[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(ns, sizeof(ns), "ns%d", i);
		act("mallory", "get", "configmaps", NULL, ns, "app/1.0 (linux)", "10.0.0.9", 200, i);
	}
}

START_TEST(round_trip_is_byte_identical)
{
	kag_baseline *c;
	char *one, *two;

	restart(1);
	teach(3);
	act("dev@example.com", "list", "pods", NULL, "prod", "kubectl/v1.29.2 (linux/amd64)",
	    "10.0.0.7", 200, 10);
	act("dev@example.com", "get", "pods", "log", "prod", "kubectl/v1.30.0 (darwin/arm64)",
	    "10.0.0.7", 200, 11);
	/* an upgrade of the client is no new behaviour */
	act("dev@example.com", "list", "pods", NULL, "prod", "kubectl/v1.30.0 (darwin/arm64)",
	    "10.0.0.7", 200, 12);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_IDENTITIES), 2);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_TUPLES), 5);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_BASELINE_LEARNED), 5);
	one = save(B);
	ck_assert_ptr_nonnull(strstr(one, "\"format\":\"kag-baseline/1\""));
	ck_assert_ptr_nonnull(strstr(one, "[\"get\",\"pods\",\"log\",\"prod\",\"kubectl\","));
	ck_assert_int_eq(kag_baseline_new(&c), KAG_OK);
	ck_assert_int_eq(kag_baseline_load(c, one, strlen(one)), KAG_OK);
	ck_assert_str_eq(kag_baseline_error_message(c), "");
	two = save(c);
	ck_assert_str_eq(one, two);
	ck_assert_uint_eq(kag_baseline_stat(c, KAG_BSTAT_TUPLES), 5);
	kag_baseline_free_text(one);
	kag_baseline_free_text(two);
	kag_baseline_free(c);
}
END_TEST

START_TEST(denied_and_anonymous_are_not_learned)
{
	restart(1);
	act("mallory", "get", "secrets", NULL, "prod", "app/1", "10.0.0.9", 403, 1);
	act("system:anonymous", "get", "pods", NULL, "prod", "curl/8", "10.0.0.9", 200, 2);
	act("mallory", "get", "secrets", NULL, "prod", "app/1", "203.0.113.9", 200, 3);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_TUPLES), 0);
}
END_TEST

START_TEST(caps_evict_and_count)
{
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_IDENTITIES, 2), KAG_OK);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_TUPLES, 2), KAG_OK);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_TOTAL, 3), KAG_OK);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_TOTAL, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, 99, 1), KAG_EINVAL);
	restart(1);
	teach(3); /* the third tuple evicts mallory's least recently seen */
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_TUPLES), 2);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_TUPLE_EVICTIONS), 1);
	act("alice", "list", "pods", NULL, "a", "k/1", "10.0.0.1", 200, 10);
	/* the total cap: the least recently used identity (mallory) goes */
	act("alice", "list", "pods", NULL, "b", "k/1", "10.0.0.1", 200, 11);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_IDENTITIES), 1);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_IDENTITY_EVICTIONS), 1);
	act("bob", "list", "pods", NULL, "a", "k/1", "10.0.0.2", 200, 12);
	act("carol", "list", "pods", NULL, "a", "k/1", "10.0.0.3", 200, 13);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_IDENTITIES), 2);
	ck_assert_uint_le(kag_baseline_stat(B, KAG_BSTAT_TUPLES), 3);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_BASELINE_EVICTIONS),
			  kag_baseline_stat(B, KAG_BSTAT_IDENTITY_EVICTIONS) +
				  kag_baseline_stat(B, KAG_BSTAT_TUPLE_EVICTIONS));
	/* caps change only while empty */
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_IDENTITIES, 8), KAG_ESTATE);
}
END_TEST

/* Memory stays within the caps however long the stream. */
START_TEST(long_stream_stays_bounded)
{
	char user[32], ns[16];
	int i;

	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_IDENTITIES, 16), KAG_OK);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_TUPLES, 8), KAG_OK);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_TOTAL, 64), KAG_OK);
	restart(1);
	for (i = 0; i < 3000; i++) {
		snprintf(user, sizeof(user), "user-%d", i % 97);
		snprintf(ns, sizeof(ns), "ns-%d", i % 31);
		act(user, "get", "configmaps", NULL, ns, "app/1", "10.0.0.5", 200, i);
		ck_assert_uint_le(kag_baseline_stat(B, KAG_BSTAT_IDENTITIES), 16);
		ck_assert_uint_le(kag_baseline_stat(B, KAG_BSTAT_TUPLES), 64);
	}
}
END_TEST

static const struct {
	const char *name, *text;
	int code;
	const char *path;
} hostile[] = {
	{ "truncated", "{\"format\":\"kag-baseline/1\",\"identities\":[{\"user\":\"a\"", KAG_EPARSE, "" },
	{ "not an object", "[]", KAG_ESCHEMA, "" },
	{ "wrong version", "{\"format\":\"kag-baseline/2\",\"identities\":[]}", KAG_ESCHEMA, "/format" },
	{ "no version", "{\"identities\":[]}", KAG_ESCHEMA, "/format" },
	{ "unknown key", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[],\"extra\":1}", KAG_ESCHEMA, "/extra" },
	{ "huge count", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"caps\":{\"identities\":99999999999999999999999,\"tuples_per_identity\":1,\"tuples\":1},"
	  "\"identities\":[]}", KAG_EPARSE, "" },
	{ "negative cap", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"caps\":{\"identities\":-1,\"tuples_per_identity\":1,\"tuples\":1},"
	  "\"identities\":[]}", KAG_ESCHEMA, "/caps/identities" },
	{ "deep nesting", "{\"format\":\"kag-baseline/1\",\"identities\":[[[[[[[[]]]]]]]]}",
	  KAG_ELIMIT, "" },
	{ "duplicate identity", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[{\"user\":\"a\",\"first\":null,\"last\":null,\"tuples\":[]},"
	  "{\"user\":\"a\",\"first\":null,\"last\":null,\"tuples\":[]}]}", KAG_ESCHEMA,
	  "/identities/1/user" },
	{ "duplicate tuple", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[{\"user\":\"a\",\"first\":null,\"last\":null,\"tuples\":["
	  "[\"get\",\"pods\",\"\",\"a\",\"k\",null,null],[\"get\",\"pods\",\"\",\"a\",\"k\",null,null]"
	  "]}]}", KAG_ESCHEMA, "/identities/0/tuples/1" },
	{ "duplicate key", "{\"format\":\"kag-baseline/1\",\"format\":\"kag-baseline/1\"}",
	  KAG_EPARSE, "" },
	{ "invalid UTF-8", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[{\"user\":\"\xff\xfe\",\"first\":null,\"last\":null,\"tuples\":[]}]}",
	  KAG_EPARSE, "" },
	{ "escaped NUL", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[{\"user\":\"a\\u0000b\",\"first\":null,\"last\":null,\"tuples\":[]}]}",
	  KAG_EPARSE, "" },
	{ "bad time", "{\"format\":\"kag-baseline/1\",\"created\":\"yesterday\",\"updated\":null,"
	  "\"identities\":[]}", KAG_ESCHEMA, "/created" },
	{ "short tuple", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[{\"user\":\"a\",\"first\":null,\"last\":null,\"tuples\":[[\"get\"]]}]}",
	  KAG_ESCHEMA, "/identities/0/tuples/0" },
	{ "empty verb", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[{\"user\":\"a\",\"first\":null,\"last\":null,\"tuples\":["
	  "[\"\",\"pods\",\"\",\"a\",\"k\",null,null]]}]}", KAG_ESCHEMA,
	  "/identities/0/tuples/0/0" },
	{ "first after last", "{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,"
	  "\"identities\":[{\"user\":\"a\",\"first\":\"2024-05-02T00:00:00Z\","
	  "\"last\":\"2024-05-01T00:00:00Z\",\"tuples\":[]}]}", KAG_ESCHEMA, "/identities/0" },
};

START_TEST(hostile_files_change_nothing)
{
	char *before = NULL, *after;
	size_t i = (size_t)_i;

	restart(1);
	teach(2);
	before = save(B);
	ck_assert_msg(kag_baseline_load(B, hostile[i].text, strlen(hostile[i].text)) ==
			      hostile[i].code,
		      "%s: %s", hostile[i].name, kag_baseline_error_message(B));
	ck_assert_msg(strcmp(kag_baseline_error_path(B), hostile[i].path) == 0, "%s: path %s",
		      hostile[i].name, kag_baseline_error_path(B));
	ck_assert_str_ne(kag_baseline_error_message(B), "");
	after = save(B);
	ck_assert_str_eq(before, after);
	kag_baseline_free_text(before);
	kag_baseline_free_text(after);
}
END_TEST

START_TEST(raw_nul_and_size_caps)
{
	static const char with_nul[] = "{\"format\":\"kag-baseline/1\",\0\"identities\":[]}";
	static const char two[] =
		"{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,\"identities\":["
		"{\"user\":\"a\",\"first\":null,\"last\":null,\"tuples\":[]},"
		"{\"user\":\"b\",\"first\":null,\"last\":null,\"tuples\":[]}]}";

	ck_assert_int_eq(kag_baseline_load(B, with_nul, sizeof(with_nul) - 1), KAG_EPARSE);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_IDENTITIES, 1), KAG_OK);
	ck_assert_int_eq(kag_baseline_load(B, two, strlen(two)), KAG_ELIMIT);
	ck_assert_str_eq(kag_baseline_error_path(B), "/identities");
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_BYTES, 16), KAG_OK);
	ck_assert_int_eq(kag_baseline_load(B, two, strlen(two)), KAG_ELIMIT);
	ck_assert_int_eq(kag_baseline_load(NULL, two, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_baseline_load(B, NULL, 1), KAG_EINVAL);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_IDENTITIES), 0);
}
END_TEST

START_TEST(seen_behaviour_ranks_one_step_lower)
{
	const kag_verdict *v;
	int today;

	restart(0); /* today's verdict, with an empty baseline */
	v = verdict_of(act("mallory", "get", "secrets", NULL, "prod", "app/1", "10.0.0.9", 200, 1),
		       "secrets_access");
	ck_assert_ptr_nonnull(v);
	today = kag_verdict_severity(v);
	ck_assert_int_eq(today, KAG_SEVERITY_MEDIUM);
	restart(1);
	act("mallory", "get", "secrets", NULL, "prod", "app/1", "10.0.0.9", 200, 2);
	restart(0);
	v = verdict_of(act("mallory", "get", "secrets", NULL, "prod", "app/2", "10.0.0.9", 200, 3),
		       "secrets_access");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(kag_verdict_severity(v), today - 1);
	ck_assert_int_eq(kag_verdict_assessment(v), KAG_ASSESSMENT_SUSPICIOUS);
	ck_assert_ptr_eq(strstr(kag_verdict_reason(v), "seen before in the baseline"),
			 kag_verdict_reason(v));
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_BASELINE_SEEN), 1);
	/* the same tuple from a public address, or denied, is not lowered */
	v = verdict_of(act("mallory", "get", "secrets", NULL, "prod", "app/1", "203.0.113.5",
			   200, 4), "secrets_access");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_ge(kag_verdict_severity(v), today);
	ck_assert_ptr_null(strstr(kag_verdict_reason(v), "seen before"));
}
END_TEST

START_TEST(protected_detectors_are_never_lowered)
{
	static const char exec_doc[] =
		"{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,\"identities\":["
		"{\"user\":\"mallory\",\"first\":null,\"last\":null,\"tuples\":["
		"[\"create\",\"pods\",\"exec\",\"prod\",\"kubectl\",null,null]]}]}";
	const kag_verdict *v;
	int today;

	restart(0);
	v = verdict_of(act("mallory", "create", "pods", "exec", "prod", "kubectl/v1.29",
			   "10.0.0.9", 200, 1), "interactive_access");
	ck_assert_ptr_nonnull(v);
	today = kag_verdict_severity(v);
	/* learning an exec is refused when it ranks high; a file can hold it */
	ck_assert_int_eq(kag_baseline_load(B, exec_doc, sizeof(exec_doc) - 1), KAG_OK);
	restart(0);
	v = verdict_of(act("mallory", "create", "pods", "exec", "prod", "kubectl/v1.29",
			   "10.0.0.9", 200, 2), "interactive_access");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(kag_verdict_severity(v), today);
	ck_assert_ptr_null(strstr(kag_verdict_reason(v), "seen before"));
	/* and a grave verdict is not learned */
	kag_baseline_free(B);
	ck_assert_int_eq(kag_baseline_new(&B), KAG_OK);
	restart(1);
	act("mallory", "create", "pods", "exec", "prod", "kubectl/v1.29", "10.0.0.9", 200, 3);
	ck_assert_uint_eq(kag_baseline_stat(B, KAG_BSTAT_TUPLES), 0);
}
END_TEST

START_TEST(new_behaviour_of_a_known_identity_is_the_lead)
{
	const kag_verdict *v;
	const char *want = "new for this identity: first get secrets in ns9 with app";
	int today;

	restart(0);
	v = verdict_of(act("mallory", "get", "secrets", NULL, "ns9", "app/1", "10.0.0.9", 200, 1),
		       "secrets_access");
	today = kag_verdict_severity(v);
	restart(1);
	teach(4); /* four tuples: not known yet (KAG_BOPT_KNOWN_TUPLES 5) */
	restart(0);
	v = verdict_of(act("mallory", "get", "secrets", NULL, "ns9", "app/1", "10.0.0.9", 200, 2),
		       "secrets_access");
	ck_assert_ptr_null(strstr(kag_verdict_reason(v), "new for this identity"));
	restart(1);
	teach(5);
	restart(0);
	v = verdict_of(act("mallory", "get", "secrets", NULL, "ns9", "app/1", "10.0.0.9", 200, 3),
		       "secrets_access");
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(strncmp(kag_verdict_reason(v), want, strlen(want)) == 0, "%s",
		      kag_verdict_reason(v));
	ck_assert_int_ge(kag_verdict_severity(v), today);
	ck_assert_uint_eq(kag_session_stat(S, KAG_SSTAT_BASELINE_NEW), 1);
	/* known by time too */
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_KNOWN_TUPLES, 100), KAG_OK);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_KNOWN_SECONDS, 3), KAG_OK);
	v = verdict_of(act("mallory", "get", "secrets", NULL, "ns8", "app/1", "10.0.0.9", 200, 4),
		       "secrets_access");
	ck_assert_ptr_nonnull(strstr(kag_verdict_reason(v), "new for this identity"));
}
END_TEST

START_TEST(argument_checks)
{
	char *text;

	ck_assert_int_eq(kag_baseline_new(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_baseline(NULL, B, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_baseline(S, NULL, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_baseline(S, B, 2), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_baseline(S, NULL, 0), KAG_OK);
	ck_assert_int_eq(kag_baseline_save(NULL, &text, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_baseline_set_option_u64(B, KAG_BOPT_MAX_IDENTITIES, 0), KAG_EINVAL);
	ck_assert_uint_eq(kag_baseline_stat(NULL, KAG_BSTAT_TUPLES), 0);
	ck_assert_str_eq(kag_baseline_error_message(NULL), "");
	kag_baseline_free(NULL);
	kag_baseline_free_text(NULL);
	/* an empty baseline saves and loads */
	ck_assert_int_eq(kag_baseline_save(B, &text, NULL), KAG_OK);
	ck_assert_int_eq(kag_baseline_load(B, text, strlen(text)), KAG_OK);
	kag_baseline_free_text(text);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("baseline");
	TCase *tc = tcase_create("baseline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip_is_byte_identical);
	tcase_add_test(tc, denied_and_anonymous_are_not_learned);
	tcase_add_test(tc, caps_evict_and_count);
	tcase_add_test(tc, long_stream_stays_bounded);
	tcase_add_loop_test(tc, hostile_files_change_nothing, 0,
			    (int)(sizeof(hostile) / sizeof(hostile[0])));
	tcase_add_test(tc, raw_nul_and_size_caps);
	tcase_add_test(tc, seen_behaviour_ranks_one_step_lower);
	tcase_add_test(tc, protected_detectors_are_never_lowered);
	tcase_add_test(tc, new_behaviour_of_a_known_identity_is_the_lead);
	tcase_add_test(tc, argument_checks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
