/* Events as the jansson front end fills them: field ids and paths, states,
 * lists and pairs, time, stage and level, path reads and bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event-private.h"
#include "testutil.h"

/* One parser per test; events are read from it. */
static kag_parser *parser;

static void setup(void)
{
	ck_assert_int_eq(kag_parser_new(&parser), KAG_OK);
}

static void teardown(void)
{
	kag_parser_free(parser);
	parser = NULL;
}

/* Parse one record and return its event (borrowed from the parser). */
static const kag_event *parse(const char *json)
{
	const kag_event *ev = NULL;
	int rc;

	ck_assert_int_eq(kag_parser_reset(parser), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(parser, json, strlen(json)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(parser), KAG_OK);
	rc = kag_parser_next(&ev, parser);
	ck_assert_msg(rc == KAG_OK, "%s: %s", kag_error_name(rc), kag_parser_error_message(parser));
	return ev;
}

static void expect_str(const kag_event *ev, int field, const char *want)
{
	const char *s = NULL;
	size_t len = 0;
	int rc = kag_event_get_string(&s, &len, ev, field);

	ck_assert_msg(rc == KAG_OK, "%s: %s", kag_field_name(field), kag_error_name(rc));
	ck_assert_msg(len == strlen(want) && memcmp(s, want, len) == 0, "%s: got \"%.*s\", want \"%s\"",
		      kag_field_name(field), (int)len, s, want);
}

static void expect_path(const kag_event *ev, const char *path, const char *want)
{
	const char *s = NULL;
	size_t len = 0;
	int rc = kag_event_get_path(&s, &len, ev, path, strlen(path));

	if (!want) {
		ck_assert_msg(rc == KAG_ENOTFOUND, "%s: %s", path, kag_error_name(rc));
		return;
	}
	ck_assert_msg(rc == KAG_OK, "%s: %s", path, kag_error_name(rc));
	ck_assert_msg(len == strlen(want) && memcmp(s, want, len) == 0, "%s: got \"%.*s\", want \"%s\"",
		      path, (int)len, s, want);
}

/* ---- field ids and paths ---- */

START_TEST(field_names_round_trip)
{
	static const char *const names[] = {
		"auditID", "stage", "level", "verb", "requestURI", "user", "user.username",
		"user.uid", "user.groups", "user.extra", "impersonatedUser",
		"impersonatedUser.username", "impersonatedUser.uid", "impersonatedUser.groups",
		"impersonatedUser.extra", "sourceIPs", "userAgent", "objectRef",
		"objectRef.resource", "objectRef.subresource", "objectRef.namespace",
		"objectRef.name", "objectRef.apiGroup", "objectRef.apiVersion", "responseStatus",
		"responseStatus.code", "responseStatus.reason", "responseStatus.message",
		"responseStatus.status", "annotations", "requestReceivedTimestamp",
		"stageTimestamp", "timestamp", "requestObject", "responseObject",
	};
	int i, f;

	ck_assert_uint_eq(kag_field_count(), sizeof(names) / sizeof(names[0]));
	ck_assert_uint_eq(kag_field_count(), KAG__FIELD_COUNT);
	for (i = 0; i < (int)kag_field_count(); i++) {
		ck_assert_ptr_nonnull(kag_field_name(i));
		ck_assert_str_eq(kag_field_name(i), names[i]);
		f = -1;
		ck_assert_int_eq(kag_field_from_path(&f, names[i], strlen(names[i])), KAG_OK);
		ck_assert_int_eq(f, i);
	}
	ck_assert_ptr_null(kag_field_name(-1));
	ck_assert_ptr_null(kag_field_name((int)kag_field_count()));
	/* the length bounds the path: no NUL needed, no prefix matching */
	ck_assert_int_eq(kag_field_from_path(&f, "user.usernameXYZ", 13), KAG_OK);
	ck_assert_int_eq(f, KAG_FIELD_USER_USERNAME);
	ck_assert_int_eq(kag_field_from_path(&f, "user.user", 9), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_field_from_path(&f, "User.username", 13), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_field_from_path(&f, "objectRef.resources", 19), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_field_from_path(&f, "", 0), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_field_from_path(&f, NULL, 0), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_field_from_path(&f, NULL, 4), KAG_EINVAL);
	ck_assert_int_eq(kag_field_from_path(NULL, "verb", 4), KAG_EINVAL);
}
END_TEST

/* ---- states ---- */

static const char full[] =
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"RequestResponse\","
	"\"auditID\":\"0a1b2c\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/prod/pods/api-7f9/exec?command=sh\","
	"\"verb\":\"create\",\"user\":{\"username\":\"alice@example.com\",\"uid\":\"u-1\","
	"\"groups\":[\"dev\",\"system:authenticated\"],\"extra\":{\"scopes\":[\"a\",\"b\"],\"team\":[\"blue\"]}},"
	"\"impersonatedUser\":{\"username\":\"system:admin\",\"uid\":\"u-2\",\"groups\":[\"system:masters\"],"
	"\"extra\":{\"reason\":[\"oncall\"]}},"
	"\"sourceIPs\":[\"203.0.113.10\",\"10.0.0.1\"],\"userAgent\":\"kubectl/v1.30.0\","
	"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"prod\",\"name\":\"api-7f9\","
	"\"apiGroup\":\"\",\"apiVersion\":\"v1\"},"
	"\"responseStatus\":{\"metadata\":{},\"code\":403,\"reason\":\"Forbidden\",\"message\":\"no\",\"status\":\"Failure\"},"
	"\"annotations\":{\"authorization.k8s.io/decision\":\"forbid\",\"authorization.k8s.io/reason\":\"RBAC\"},"
	"\"requestReceivedTimestamp\":\"2024-05-01T10:00:00.000001Z\",\"stageTimestamp\":\"2024-05-01T10:00:00.123456Z\","
	"\"timestamp\":\"2024-05-01T09:00:00Z\","
	"\"requestObject\":{\"kind\":\"PodExecOptions\",\"command\":[\"sh\"]},"
	"\"responseObject\":{\"kind\":\"Status\",\"code\":403}}\n";

START_TEST(every_field_observed)
{
	const kag_event *ev = parse(full);
	int64_t code;
	int f;

	for (f = 0; f < (int)kag_field_count(); f++)
		ck_assert_msg(kag_event_field_state(ev, f) == KAG_STATE_OBSERVED, "%s not observed",
			      kag_field_name(f));
	expect_str(ev, KAG_FIELD_AUDIT_ID, "0a1b2c");
	expect_str(ev, KAG_FIELD_STAGE, "ResponseComplete");
	expect_str(ev, KAG_FIELD_LEVEL, "RequestResponse");
	expect_str(ev, KAG_FIELD_VERB, "create");
	expect_str(ev, KAG_FIELD_REQUEST_URI, "/api/v1/namespaces/prod/pods/api-7f9/exec?command=sh");
	expect_str(ev, KAG_FIELD_USER_USERNAME, "alice@example.com");
	expect_str(ev, KAG_FIELD_USER_UID, "u-1");
	expect_str(ev, KAG_FIELD_IMP_USERNAME, "system:admin");
	expect_str(ev, KAG_FIELD_IMP_UID, "u-2");
	expect_str(ev, KAG_FIELD_USER_AGENT, "kubectl/v1.30.0");
	expect_str(ev, KAG_FIELD_OBJ_RESOURCE, "pods");
	expect_str(ev, KAG_FIELD_OBJ_SUBRESOURCE, "exec");
	expect_str(ev, KAG_FIELD_OBJ_NAMESPACE, "prod");
	expect_str(ev, KAG_FIELD_OBJ_NAME, "api-7f9");
	expect_str(ev, KAG_FIELD_OBJ_API_GROUP, "");
	expect_str(ev, KAG_FIELD_OBJ_API_VERSION, "v1");
	expect_str(ev, KAG_FIELD_RESPONSE_REASON, "Forbidden");
	expect_str(ev, KAG_FIELD_RESPONSE_MESSAGE, "no");
	expect_str(ev, KAG_FIELD_RESPONSE_STATUS_TEXT, "Failure");
	expect_str(ev, KAG_FIELD_REQUEST_RECEIVED_TS, "2024-05-01T10:00:00.000001Z");
	expect_str(ev, KAG_FIELD_STAGE_TS, "2024-05-01T10:00:00.123456Z");
	expect_str(ev, KAG_FIELD_TIMESTAMP, "2024-05-01T09:00:00Z");
	ck_assert_int_eq(kag_event_get_int(&code, ev, KAG_FIELD_RESPONSE_CODE), KAG_OK);
	ck_assert_int_eq(code, 403);

	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_GROUPS), 2);
	tu_expect_item(ev, KAG_FIELD_USER_GROUPS, 0, "dev");
	tu_expect_item(ev, KAG_FIELD_USER_GROUPS, 1, "system:authenticated");
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_IMP_GROUPS), 1);
	tu_expect_item(ev, KAG_FIELD_IMP_GROUPS, 0, "system:masters");
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS), 2);
	tu_expect_item(ev, KAG_FIELD_SOURCE_IPS, 0, "203.0.113.10");
	tu_expect_item(ev, KAG_FIELD_SOURCE_IPS, 1, "10.0.0.1");
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_ANNOTATIONS), 2);
	tu_expect_pair(ev, KAG_FIELD_ANNOTATIONS, 0, "authorization.k8s.io/decision", "forbid");
	tu_expect_pair(ev, KAG_FIELD_ANNOTATIONS, 1, "authorization.k8s.io/reason", "RBAC");
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_IMP_EXTRA), 1);
	tu_expect_pair(ev, KAG_FIELD_IMP_EXTRA, 0, "reason", "oncall");

	ck_assert_str_eq(kag_event_format(ev), "native");
	ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_RESPONSE_COMPLETE);
	ck_assert_int_eq(kag_event_level(ev), KAG_LEVEL_REQUEST_RESPONSE);
	ck_assert_int_eq(kag_event_time_us(ev), 1714557600123456LL);
}
END_TEST

START_TEST(absent_fields)
{
	const kag_event *ev = parse("{\"verb\":\"get\",\"user\":{},\"objectRef\":null,\"sourceIPs\":null}");
	const char *s = "unchanged";
	size_t len = 99;
	int64_t code = 7;
	int f;

	for (f = 0; f < (int)kag_field_count(); f++) {
		int want = f == KAG_FIELD_VERB || f == KAG_FIELD_USER ? KAG_STATE_OBSERVED
								      : KAG_STATE_ABSENT;

		ck_assert_msg(kag_event_field_state(ev, f) == want, "%s: state %d", kag_field_name(f),
			      kag_event_field_state(ev, f));
	}
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_USER_USERNAME), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_REQUEST_OBJECT), KAG_ENOTFOUND);
	ck_assert_str_eq(s, "unchanged");
	ck_assert_uint_eq(len, 99);
	ck_assert_int_eq(kag_event_get_int(&code, ev, KAG_FIELD_RESPONSE_CODE), KAG_ENOTFOUND);
	ck_assert_int_eq(code, 7);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS), 0);
	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_SOURCE_IPS, 0), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_UNKNOWN);
	ck_assert_int_eq(kag_event_level(ev), KAG_LEVEL_UNKNOWN);
	ck_assert_int_eq(kag_event_time_us(ev), 0);
	/* bad ids read as absent */
	ck_assert_int_eq(kag_event_field_state(ev, -1), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_field_state(ev, (int)kag_field_count()), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_field_state(NULL, KAG_FIELD_VERB), KAG_STATE_ABSENT);
}
END_TEST

/* An absent field of a record reads as empty inside the library too, never
 * as the previous record's text (which lived in a tree or buffer that may
 * be freed since): a detector that looked at a string before asking
 * whether it was there read freed memory (found by fuzz_lines). Both
 * front ends. */
START_TEST(absent_fields_hold_no_stale_text)
{
	static const int frontends[] = { KAG_FRONTEND_JANSSON, KAG_FRONTEND_FAST };
	size_t i;
	int f;

	for (i = 0; i < sizeof(frontends) / sizeof(frontends[0]); i++) {
		const kag_event *ev;

		if (frontends[i] == KAG_FRONTEND_FAST &&
		    !(kag_features() & KAG_FEATURE_FAST_FRONTEND))
			continue;
		ck_assert_int_eq(kag_parser_set_option_u64(parser, KAG_OPT_FRONTEND,
							   (uint64_t)frontends[i]), KAG_OK);
		ev = parse("{\"verb\":\"get\",\"auditID\":\"a\",\"user\":{\"username\":\"u\"},"
			   "\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"n\","
			   "\"name\":\"sh.helm.release.v1.x.v1\"},\"userAgent\":\"helm/3\"}");
		ck_assert_uint_gt(ev->str[KAG_FIELD_OBJ_NAME].len, 0);
		ev = parse("{\"verb\":\"get\",\"objectRef\":{\"resource\":\"secrets\"}}");
		for (f = 0; f < KAG__FIELD_COUNT; f++) {
			if (kag_event_field_state(ev, f) != KAG_STATE_ABSENT)
				continue;
			ck_assert_msg(ev->str[f].ptr == NULL && ev->str[f].len == 0,
				      "%s: absent, but holds %zu bytes", kag_field_name(f),
				      ev->str[f].len);
		}
	}
}
END_TEST

START_TEST(wrong_accessor_kind)
{
	const kag_event *ev = parse(full);
	const char *s, *k;
	size_t len, klen;
	int64_t code;

	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_USER_GROUPS), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_USER), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_RESPONSE_CODE), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, -1), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, (int)kag_field_count()), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_int(&code, ev, KAG_FIELD_VERB), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_VERB, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_ANNOTATIONS, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_pair(&k, &klen, &s, &len, ev, KAG_FIELD_SOURCE_IPS, 0), KAG_EINVAL);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_VERB), 0);
	ck_assert_uint_eq(kag_event_item_count(ev, 99), 0);
	/* out of range items */
	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_SOURCE_IPS, 2), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_event_get_pair(&k, &klen, &s, &len, ev, KAG_FIELD_ANNOTATIONS, 2),
			 KAG_ENOTFOUND);
	/* length outputs are optional */
	ck_assert_int_eq(kag_event_get_string(&s, NULL, ev, KAG_FIELD_VERB), KAG_OK);
	ck_assert(strncmp(s, "create", 6) == 0);
	ck_assert_int_eq(kag_event_get_item(&s, NULL, ev, KAG_FIELD_SOURCE_IPS, 1), KAG_OK);
	ck_assert_int_eq(kag_event_get_pair(&k, NULL, &s, NULL, ev, KAG_FIELD_ANNOTATIONS, 1), KAG_OK);
	ck_assert(strncmp(k, "authorization.k8s.io/reason", 27) == 0);
}
END_TEST

START_TEST(placeholders_observed)
{
	const kag_event *ev = parse("{\"verb\":\"get\",\"userAgent\":\"-\",\"user\":{\"username\":\"\",\"groups\":[]},"
				    "\"objectRef\":{\"namespace\":\"<none>\",\"name\":\"unknown\"},"
				    "\"sourceIPs\":[\"\"]}");

	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_AGENT), KAG_STATE_OBSERVED);
	expect_str(ev, KAG_FIELD_USER_AGENT, "-");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_USERNAME), KAG_STATE_OBSERVED);
	expect_str(ev, KAG_FIELD_USER_USERNAME, "");
	expect_str(ev, KAG_FIELD_OBJ_NAMESPACE, "<none>");
	expect_str(ev, KAG_FIELD_OBJ_NAME, "unknown");
	/* an empty list is an observed list */
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_GROUPS), KAG_STATE_OBSERVED);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_GROUPS), 0);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS), 1);
	tu_expect_item(ev, KAG_FIELD_SOURCE_IPS, 0, "");
}
END_TEST

START_TEST(user_extra_pairs)
{
	const kag_event *ev = parse(full);
	const kag_event *ev2;

	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_EXTRA), KAG_STATE_OBSERVED);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_EXTRA), 3);
	tu_expect_pair(ev, KAG_FIELD_USER_EXTRA, 0, "scopes", "a");
	tu_expect_pair(ev, KAG_FIELD_USER_EXTRA, 1, "scopes", "b");
	tu_expect_pair(ev, KAG_FIELD_USER_EXTRA, 2, "team", "blue");
	/* a single string instead of a list is taken as one value; an empty
	 * map is observed with no pairs */
	ev2 = parse("{\"verb\":\"get\",\"user\":{\"extra\":{\"k\":\"v\",\"e\":[]}},"
		    "\"impersonatedUser\":{\"extra\":{}}}");
	ck_assert_uint_eq(kag_event_item_count(ev2, KAG_FIELD_USER_EXTRA), 1);
	tu_expect_pair(ev2, KAG_FIELD_USER_EXTRA, 0, "k", "v");
	ck_assert_int_eq(kag_event_field_state(ev2, KAG_FIELD_IMP_EXTRA), KAG_STATE_OBSERVED);
	ck_assert_uint_eq(kag_event_item_count(ev2, KAG_FIELD_IMP_EXTRA), 0);
	ck_assert_int_eq(kag_event_field_state(ev2, KAG_FIELD_IMP_USERNAME), KAG_STATE_ABSENT);
}
END_TEST

/* ---- time ---- */

static int64_t time_of(const char *members)
{
	char json[512];

	snprintf(json, sizeof(json), "{\"verb\":\"get\"%s%s}", *members ? "," : "", members);
	return kag_event_time_us(parse(json));
}

START_TEST(event_time)
{
	/* stageTimestamp first */
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.123456Z\","
				 "\"requestReceivedTimestamp\":\"2024-05-01T09:59:59.000000Z\""),
			 1714557600123456LL);
	/* then requestReceivedTimestamp */
	ck_assert_int_eq(time_of("\"requestReceivedTimestamp\":\"2024-05-01T09:59:59.5Z\","
				 "\"timestamp\":\"2024-05-01T00:00:00Z\""),
			 1714557599500000LL);
	/* then the v1beta1 timestamp */
	ck_assert_int_eq(time_of("\"timestamp\":\"2024-05-01T10:00:00.000001Z\""), 1714557600000001LL);
	/* a bad stageTimestamp falls back to the next one */
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"soon\","
				 "\"requestReceivedTimestamp\":\"2024-05-01T10:00:00Z\""),
			 1714557600000000LL);
	/* offsets, lower-case separators, nanoseconds truncated */
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.25+02:00\""),
			 1714550400250000LL);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00-05:30\""),
			 1714577400000000LL);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01t10:00:00.123456789z\""),
			 1714557600123456LL);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2000-02-29T23:59:59Z\""), 951868799000000LL);
	/* fractions of every length, before a Z or an offset */
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.Z\""),
			 1714557600000000LL);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.1234567Z\""),
			 1714557600123456LL);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.123456+02:00\""),
			 1714550400123456LL);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.1234+02:00\""),
			 1714550400123400LL);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.12345\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.123456\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00.12x456Z\""), 0);
	/* bad timestamps give 0 */
	ck_assert_int_eq(time_of(""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"yesterday\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-13-01T10:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T24:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00Zjunk\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00+0200\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-5-01T10:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"1714557600\""), 0);
	/* a non-digit in any digit position, offsets included */
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2O24-05-01T10:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"202/-05-01T10:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-0:-01T10:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T1a:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00: 0Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00+0a:00\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"2024-05-01T10:00:00-02:\u00e90\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"\u00b024-05-01T10:00:00Z\""), 0);
	ck_assert_int_eq(time_of("\"stageTimestamp\":\"1999-12-31T23:59:60Z\""), 946684800000000LL);
}
END_TEST

/* ---- stage and level ---- */

START_TEST(stage_and_level)
{
	static const struct {
		const char *text;
		int value;
	} stages[] = {
		{ "RequestReceived", KAG_STAGE_REQUEST_RECEIVED },
		{ "ResponseStarted", KAG_STAGE_RESPONSE_STARTED },
		{ "ResponseComplete", KAG_STAGE_RESPONSE_COMPLETE },
		{ "Panic", KAG_STAGE_PANIC },
		{ "responsecomplete", KAG_STAGE_UNKNOWN },
		{ "", KAG_STAGE_UNKNOWN },
	}, levels[] = {
		{ "Metadata", KAG_LEVEL_METADATA },
		{ "Request", KAG_LEVEL_REQUEST },
		{ "RequestResponse", KAG_LEVEL_REQUEST_RESPONSE },
		{ "None", KAG_LEVEL_UNKNOWN },
		{ "metadata", KAG_LEVEL_UNKNOWN },
	};
	char json[160];
	size_t i;

	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		const kag_event *ev;

		snprintf(json, sizeof(json), "{\"verb\":\"get\",\"stage\":\"%s\"}", stages[i].text);
		ev = parse(json);
		ck_assert_int_eq(kag_event_stage(ev), stages[i].value);
		/* the text stays as written */
		ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_STAGE), KAG_STATE_OBSERVED);
		expect_str(ev, KAG_FIELD_STAGE, stages[i].text);
		if (stages[i].value != KAG_STAGE_UNKNOWN)
			ck_assert_str_eq(kag_stage_name(stages[i].value), stages[i].text);
	}
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		snprintf(json, sizeof(json), "{\"verb\":\"get\",\"level\":\"%s\"}", levels[i].text);
		ck_assert_int_eq(kag_event_level(parse(json)), levels[i].value);
		if (levels[i].value != KAG_LEVEL_UNKNOWN)
			ck_assert_str_eq(kag_level_name(levels[i].value), levels[i].text);
	}
}
END_TEST

/* ---- path reads ---- */

START_TEST(get_path)
{
	const kag_event *ev = parse(full);
	const char *s;
	size_t len;

	expect_path(ev, "verb", "create");
	expect_path(ev, "user.username", "alice@example.com");
	expect_path(ev, "objectRef.subresource", "exec");
	expect_path(ev, "responseStatus.code", "403");
	expect_path(ev, "annotations.authorization.k8s.io/decision", "forbid");
	expect_path(ev, "annotations.authorization.k8s.io/reason", "RBAC");
	expect_path(ev, "annotations.authorization.k8s.io/missing", NULL);
	expect_path(ev, "annotations.", NULL);
	/* a list reads as its first item */
	expect_path(ev, "sourceIPs", "203.0.113.10");
	expect_path(ev, "user.groups", "dev");
	/* objects and pair maps have no text */
	expect_path(ev, "user", NULL);
	expect_path(ev, "annotations", NULL);
	expect_path(ev, "user.extra", NULL);
	expect_path(ev, "nosuch", NULL);
	expect_path(ev, "requestObject", "{\"kind\":\"PodExecOptions\",\"command\":[\"sh\"]}");
	/* the length bounds the path */
	ck_assert_int_eq(kag_event_get_path(&s, &len, ev, "verbose", 4), KAG_OK);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(kag_event_get_path(&s, &len, ev, NULL, 0), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_event_get_path(&s, &len, ev, NULL, 3), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_path(NULL, &len, ev, "verb", 4), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_path(&s, &len, NULL, "verb", 4), KAG_EINVAL);

	/* absent fields and negative codes */
	ev = parse("{\"verb\":\"get\",\"responseStatus\":{\"code\":-1}}");
	expect_path(ev, "responseStatus.code", "-1");
	expect_path(ev, "user.username", NULL);
	expect_path(ev, "sourceIPs", NULL);
	expect_path(ev, "annotations.x", NULL);
	ev = parse("{\"verb\":\"get\",\"responseStatus\":{\"reason\":\"x\"}}");
	expect_path(ev, "responseStatus.code", NULL);
	expect_path(ev, "responseStatus.reason", "x");
}
END_TEST

/* ---- bodies ---- */

START_TEST(bodies_as_json_text)
{
	const kag_event *ev = parse(
		"{\"verb\":\"create\",\"requestObject\":{\"kind\":\"Pod\",\"spec\":{\"containers\":"
		"[{\"name\":\"a\",\"securityContext\":{\"privileged\":true}}],\"hostPID\":false}},"
		"\"responseObject\":[1, 2.5, \"x\", null]}");
	const char *s, *again;
	size_t len;

	expect_str(ev, KAG_FIELD_REQUEST_OBJECT,
		   "{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"a\",\"securityContext\":"
		   "{\"privileged\":true}}],\"hostPID\":false}}");
	expect_str(ev, KAG_FIELD_RESPONSE_OBJECT, "[1,2.5,\"x\",null]");
	/* read twice: same text */
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_RESPONSE_OBJECT), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&again, &len, ev, KAG_FIELD_RESPONSE_OBJECT), KAG_OK);
	ck_assert_ptr_eq(s, again);
	/* a scalar body and a null one */
	ev = parse("{\"verb\":\"create\",\"requestObject\":\"text\",\"responseObject\":null}");
	expect_str(ev, KAG_FIELD_REQUEST_OBJECT, "\"text\"");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_OBJECT), KAG_STATE_ABSENT);
}
END_TEST

/* An event remembers the minute of the last time it read, from record to
 * record: whatever the order of the times, each reads as on its own. */
START_TEST(event_time_minute_memo)
{
	static const char *const times[] = {
		"2024-05-01T10:00:00Z", "2024-05-01T10:00:59.999999Z", "2024-05-01T10:00:00.5+02:00",
		"2024-05-01T10:00:61Z", "2024-05-01T10:00: 1Z", "2024-05-01T10:00:00",
		"2024-05-01T10:00;00Z", "2024-05-01T10:00:07Z", "2024-05-01t10:00:07Z",
		"2024-05-01 10:00:07z", "2024-05-01T10:01:00Z", "2024-05-01T10:00:00Z",
		"2024-05-01T10:0x:00Z", "2024-05-01T10:00:30-05:30", "2024-13-01T10:00:00Z",
		"2024-05-01T10:00:30Z", "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:60Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-05-01T10:00:30Z",
	};
	kag_event *ev;
	size_t i, round;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			const char *t = times[round ? sizeof(times) / sizeof(times[0]) - 1 - i : i];

			ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
			ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_STAGE_TS, t, strlen(t),
							      KAG_STATE_OBSERVED), KAG_OK);
			ck_assert_msg(kag_event_time_us(ev) == kag__parse_time(t, strlen(t)), "%s", t);
		}
	}
	/* and the values themselves */
	ck_assert_int_eq(kag__parse_time("2024-05-01T10:00:07Z", 20), 1714557607000000LL);
	ck_assert_int_eq(kag__parse_time("2024-05-01t10:00:07Z", 20), 1714557607000000LL);
	ck_assert_int_eq(kag__parse_time("2024-05-01T10:00:61Z", 20), 0);
	ck_assert_int_eq(kag__parse_time("1969-12-31T23:59:59.999999Z", 27), -1);
	ck_assert_int_eq(kag__parse_time("1969-12-31T23:59:60Z", 20), 0); /* the epoch reads as none */
	kag_event_free(ev);
}
END_TEST

/* The body pre-check of detectors: a body in which none of the names
 * occurs (the switches only as keys of false members) needs no parse. */
START_TEST(body_may_contain)
{
	static const kag__body_needle needles[] = { { "privileged", 1 }, { "hostPath", 0 },
						    { "\"command\"", 0 }, { "xmr-stak", 0 },
						    { NULL, 0 } };
	static const struct {
		const char *body;
		int may;
	} cases[] = {
		{ "{\"spec\":{\"privileged\":false}}", 0 },
		{ "{\"privileged\" :\n\tfalse}", 0 },
		{ "{\"kind\":\"Pod\"}", 0 },
		{ "{\"privileged\":true}", 1 },
		{ "{\"privileged\":null}", 1 },
		{ "{\"privileged\":\"false\"}", 1 },
		{ "{\"a\":{\"privileged\":false},\"b\":{\"privileged\":true}}", 1 },
		{ "{\"name\":\"privileged\"}", 1 },
		/* a patch path names the member without quotes around it */
		{ "[{\"op\":\"add\",\"path\":\"/spec/privileged\",\"value\":false}]", 1 },
		/* inside a string: not a member, whatever follows */
		{ "{\"a\":\"\\\"privileged\\\":false\"}", 1 },
		/* a \\u escape can spell any key */
		{ "{\"\\u0070rivileged\":true}", 1 },
		{ "{\"x\":\"\\u00e9\",\"privileged\":false}", 1 },
		/* names without the false exemption count wherever they occur */
		{ "{\"hostPath\":false}", 1 },
		{ "{\"volumes\":[{\"hostPath\":{\"path\":\"/\"}}]}", 1 },
		/* at either end of the text, cut short, or in another case */
		{ "\"hostPath\"", 1 },
		{ "\"hostPat\"", 0 },
		{ "{\"HOSTPATH\":1}", 0 },
		{ "[\"xmr-stak\"]", 1 },
		{ "[\"xmr-sta\"]", 0 },
		{ "[\"xmr-stax-xmr-stak\"]", 1 },
		{ "{\"command\":[\"sh\"]}", 1 },
		{ "{\"commands\":[\"sh\"],\"a\":\"commander\"}", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rec[512];
		const kag_event *ev;

		snprintf(rec, sizeof(rec), "{\"verb\":\"create\",\"requestObject\":%s}",
			 cases[i].body);
		ev = parse(rec);
		/* the default front end keeps bodies as text */
		ck_assert_ptr_nonnull(ev->body_text[0].ptr);
		/* the jansson front end parses bodies at once: nothing to skip */
		ck_assert_msg(kag__event_body_may_contain(ev, 0, needles) ==
			      (ev->body_text[0].ptr ? cases[i].may : 1), "%s", cases[i].body);
		if (ev->body_text[0].ptr)
			ck_assert_ptr_nonnull(kag__event_body(ev, 0));
		ck_assert_int_eq(kag__event_body_may_contain(ev, 0, needles), 1);
	}
}
END_TEST

/* The body text of one event must never show up in the next one. */
START_TEST(body_text_not_reused)
{
	static const char in[] =
		"{\"verb\":\"get\",\"requestObject\":{\"a\":1}}\n"
		"{\"verb\":\"list\",\"requestObject\":{\"b\":22}}\n"
		"{\"verb\":\"watch\"}\n"
		"[{\"verb\":\"x\",\"responseObject\":{\"c\":3}},{\"verb\":\"y\",\"responseObject\":{\"d\":4}}]\n";
	const kag_event *ev;
	const char *s;

	ck_assert_int_eq(kag_parser_feed(parser, in, sizeof(in) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(parser), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_OK);
	expect_str(ev, KAG_FIELD_REQUEST_OBJECT, "{\"a\":1}");
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_OK);
	expect_str(ev, KAG_FIELD_REQUEST_OBJECT, "{\"b\":22}");
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&s, NULL, ev, KAG_FIELD_REQUEST_OBJECT), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_OK);
	expect_str(ev, KAG_FIELD_RESPONSE_OBJECT, "{\"c\":3}");
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_OK);
	expect_str(ev, KAG_FIELD_RESPONSE_OBJECT, "{\"d\":4}");
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_ITEROVER);
}
END_TEST

START_TEST(line_offset_format_source)
{
	static const char in[] = "\n{\"verb\":\"get\"}\n{\"kind\":\"EventList\",\"items\":[{\"verb\":\"list\"}]}\n";
	const kag_event *ev;

	ck_assert_int_eq(kag_parser_set_source(parser, "audit.log"), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(parser, in, sizeof(in) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_OK);
	ck_assert_uint_eq(kag_event_line(ev), 2);
	ck_assert_uint_eq(kag_event_offset(ev), 1);
	ck_assert_str_eq(kag_event_format(ev), "native");
	ck_assert_int_eq(kag_parser_next(&ev, parser), KAG_OK);
	ck_assert_uint_eq(kag_event_line(ev), 3);
	ck_assert_uint_eq(kag_event_offset(ev), 16);
	ck_assert_str_eq(kag_event_format(ev), "eventlist");
	/* accessors on NULL */
	ck_assert_str_eq(kag_event_format(NULL), "");
	ck_assert_uint_eq(kag_event_line(NULL), 0);
	ck_assert_uint_eq(kag_event_offset(NULL), 0);
	ck_assert_int_eq(kag_event_stage(NULL), KAG_STAGE_UNKNOWN);
	ck_assert_int_eq(kag_event_level(NULL), KAG_LEVEL_UNKNOWN);
	ck_assert_int_eq(kag_event_time_us(NULL), 0);
	ck_assert_uint_eq(kag_event_item_count(NULL, KAG_FIELD_SOURCE_IPS), 0);
}
END_TEST

/* The source of a verdict is "name:line". */
START_TEST(verdict_source)
{
	tu_ctx t;

	tu_init(&t);
	ck_assert_int_eq(kag_parser_set_source(t.parser, "audit.log"), KAG_OK);
	tu_judge(&t, "\n{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\","
		 "\"namespace\":\"prod\",\"name\":\"api-7f9\"},\"user\":{\"username\":\"alice@example.com\"},"
		 "\"sourceIPs\":[\"203.0.113.10\"],\"responseStatus\":{\"code\":101},\"stage\":\"ResponseStarted\"}\n",
		 (size_t)-1);
	ck_assert_uint_eq(t.n_errors, 0);
	ck_assert_ptr_nonnull(tu_find(&t, "interactive_access", 0));
	ck_assert_str_eq(tu_json_get(tu_find(&t, "interactive_access", 0), "event.source"), "audit.log:2");
	tu_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("fields");
	TCase *tv = tcase_create("values");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, field_names_round_trip);
	tcase_add_test(tc, every_field_observed);
	tcase_add_test(tc, absent_fields);
	tcase_add_test(tc, absent_fields_hold_no_stale_text);
	tcase_add_test(tc, wrong_accessor_kind);
	tcase_add_test(tc, placeholders_observed);
	tcase_add_test(tc, user_extra_pairs);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_add_test(tv, event_time);
	tcase_add_test(tv, event_time_minute_memo);
	tcase_add_test(tv, stage_and_level);
	tcase_add_test(tv, get_path);
	tcase_add_test(tv, bodies_as_json_text);
	tcase_add_test(tv, body_text_not_reused);
	tcase_add_test(tv, body_may_contain);
	tcase_add_test(tv, line_offset_format_source);
	tcase_add_test(tv, verdict_source);
	suite_add_tcase(s, tv);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
