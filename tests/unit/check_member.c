/* kag_event_set_member(): native members given as JSON text take the
 * parser's fields, types, errors and limits; and the member table covers
 * every member the front ends read. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native-private.h"
#include "testutil.h"

static int set(kag_event *ev, const char *name, const char *json)
{
	return kag_event_set_member(ev, name, strlen(name), json, strlen(json));
}

static void expect_string(const kag_event *ev, int field, const char *want)
{
	const char *s;
	size_t n;

	ck_assert_int_eq(kag_event_get_string(&s, &n, ev, field), KAG_OK);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert(memcmp(s, want, n) == 0);
	ck_assert_int_eq(kag_event_field_state(ev, field), KAG_STATE_OBSERVED);
}

START_TEST(exact_values)
{
	kag_event *ev;
	char buf[64];
	int64_t code;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(set(ev, "kind", "\"Event\""), KAG_OK);
	ck_assert_int_eq(set(ev, "auditID", " \"a-1\" "), KAG_OK);
	ck_assert_int_eq(set(ev, "stage", "\"ResponseComplete\""), KAG_OK);
	ck_assert_int_eq(set(ev, "verb", "\"cr\\u00e9ate\""), KAG_OK);
	ck_assert_int_eq(set(ev, "user", "{\"username\":\"alice\",\"groups\":[\"a\",\"b\"],"
				 "\"extra\":{\"scopes\":[\"x\",\"y\"],\"one\":\"z\"},\"other\":1}"),
			 KAG_OK);
	ck_assert_int_eq(set(ev, "impersonatedUser", "{\"groups\":[]}"), KAG_OK);
	ck_assert_int_eq(set(ev, "sourceIPs", "[\"203.0.113.10\"]"), KAG_OK);
	ck_assert_int_eq(set(ev, "objectRef", "{\"resource\":\"pods\",\"apiVersion\":\"v1\","
				 "\"name\":null}"), KAG_OK);
	ck_assert_int_eq(set(ev, "responseStatus", "{\"code\":-403,\"reason\":\"Forbidden\"}"),
			 KAG_OK);
	ck_assert_int_eq(set(ev, "annotations", "{\"k\":\"v\"}"), KAG_OK);
	ck_assert_int_eq(set(ev, "stageTimestamp", "\"2024-05-01T10:00:00.5Z\""), KAG_OK);
	ck_assert_int_eq(set(ev, "requestObject", "{\"spec\":{\"a\":[1,2]}}"), KAG_OK);
	/* null is absent; a member the parser does not read is ignored */
	ck_assert_int_eq(set(ev, "userAgent", "null"), KAG_OK);
	ck_assert_int_eq(set(ev, "responseObject", " null"), KAG_OK);
	ck_assert_int_eq(set(ev, "somethingElse", "{\"verb\":5}"), KAG_OK);
	ck_assert_int_eq(kag_event_check_native(ev), KAG_OK);

	expect_string(ev, KAG_FIELD_AUDIT_ID, "a-1");
	expect_string(ev, KAG_FIELD_VERB, "cr\xc3\xa9" "ate");
	ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_RESPONSE_COMPLETE);
	expect_string(ev, KAG_FIELD_USER_USERNAME, "alice");
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_GROUPS), 2);
	tu_expect_item(ev, KAG_FIELD_USER_GROUPS, 1, "b");
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_EXTRA), 3);
	tu_expect_pair(ev, KAG_FIELD_USER_EXTRA, 0, "scopes", "x");
	tu_expect_pair(ev, KAG_FIELD_USER_EXTRA, 1, "scopes", "y");
	tu_expect_pair(ev, KAG_FIELD_USER_EXTRA, 2, "one", "z");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_IMP_USER), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_IMP_GROUPS), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_IMP_USERNAME), KAG_STATE_ABSENT);
	tu_expect_item(ev, KAG_FIELD_SOURCE_IPS, 0, "203.0.113.10");
	expect_string(ev, KAG_FIELD_OBJ_RESOURCE, "pods");
	expect_string(ev, KAG_FIELD_OBJ_API_VERSION, "v1");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_OBJ_NAME), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_get_int(&code, ev, KAG_FIELD_RESPONSE_CODE), KAG_OK);
	ck_assert_int_eq(code, -403);
	expect_string(ev, KAG_FIELD_RESPONSE_REASON, "Forbidden");
	tu_expect_pair(ev, KAG_FIELD_ANNOTATIONS, 0, "k", "v");
	ck_assert_int_eq(kag_event_time_us(ev), 1714557600500000);
	expect_string(ev, KAG_FIELD_REQUEST_OBJECT, "{\"spec\":{\"a\":[1,2]}}");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_AGENT), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_OBJECT), KAG_STATE_ABSENT);
	ck_assert_str_eq(kag_event_error_message(ev), "");

	/* the strings are the event's own: the caller's text may go */
	strcpy(buf, "\"changed\"");
	ck_assert_int_eq(kag_event_set_member(ev, "level", 5, buf, strlen(buf)), KAG_OK);
	memset(buf, 'x', sizeof(buf));
	expect_string(ev, KAG_FIELD_LEVEL, "changed");

	/* a body set again replaces the first */
	ck_assert_int_eq(set(ev, "requestObject", "[true]"), KAG_OK);
	expect_string(ev, KAG_FIELD_REQUEST_OBJECT, "[true]");

	ck_assert_int_eq(kag_event_set_member(NULL, "verb", 4, "1", 1), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_member(ev, "verb", 4, NULL, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_check_native(NULL), KAG_EINVAL);
	kag_event_free(ev);
}
END_TEST

/* The parser's error for one record: code, message and pointer. */
static int parse_error(const char *record, char *msg, size_t msize, char *path, size_t psize)
{
	kag_parser *p;
	const kag_event *ev;
	int rc;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, record, strlen(record)), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, "\n", 1), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	rc = kag_parser_next(&ev, p);
	snprintf(msg, msize, "%s", rc < 0 ? kag_parser_error_message(p) : "");
	snprintf(path, psize, "%s", rc < 0 ? kag_parser_error_path(p) : "");
	kag_parser_free(p);
	return rc;
}

/* Member `name` with value `json` fails with `code`, with the message and
 * pointer the parser gives for {"auditID":"a-1", name: json}. */
static void same_error(const char *name, const char *json, int code)
{
	size_t n = strlen(name) + strlen(json) + 32;
	char *record = malloc(n), msg[256], path[128];
	kag_event *ev;

	ck_assert_ptr_nonnull(record);
	snprintf(record, n, "{\"auditID\":\"a-1\",\"%s\":%s}", name, json);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(parse_error(record, msg, sizeof(msg), path, sizeof(path)), code);
	ck_assert_int_eq(set(ev, name, json), code);
	ck_assert_str_eq(kag_event_error_message(ev), msg);
	if (code == KAG_ESCHEMA) {
		ck_assert_str_eq(kag_event_error_path(ev), path);
	} else {
		/* the parser gives the offset; a member has its pointer */
		ck_assert_str_eq(path, "");
		ck_assert_str_eq(kag_event_error_path(ev) + 1, name);
	}
	/* the next call starts afresh */
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(set(ev, "verb", "\"get\""), KAG_OK);
	ck_assert_str_eq(kag_event_error_message(ev), "");
	ck_assert_str_eq(kag_event_error_path(ev), "");
	kag_event_free(ev);
	free(record);
}

START_TEST(wrong_kinds)
{
	static const char *const cases[][2] = {
		{ "verb", "5" }, { "kind", "0" }, { "apiVersion", "[\"v1\"]" },
		{ "stage", "true" }, { "sourceIPs", "\"10.0.0.1\"" },
		{ "sourceIPs", "[\"ok\",7]" }, { "user", "\"alice\"" },
		{ "user", "{\"username\":1.5}" }, { "user", "{\"groups\":{}}" },
		{ "user", "{\"extra\":[\"a\"]}" }, { "user", "{\"extra\":{\"s\":5}}" },
		{ "user", "{\"extra\":{\"s\":[\"a\",null]}}" },
		{ "impersonatedUser", "{\"uid\":0}" }, { "objectRef", "[]" },
		{ "objectRef", "{\"namespace\":false}" }, { "responseStatus", "200" },
		{ "responseStatus", "{\"code\":\"200\"}" }, { "responseStatus", "{\"code\":200.0}" },
		{ "responseStatus", "{\"code\":403,\"reason\":1}" }, { "annotations", "[\"a\"]" },
		{ "annotations", "{\"a\":\"b\",\"c\":null}" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_error(cases[i][0], cases[i][1], KAG_ESCHEMA);
	/* what the parser refuses as JSON */
	same_error("verb", "[1,]", KAG_EPARSE);
	same_error("user", "{\"username\":\"a\",\"username\":\"b\"}", KAG_EPARSE);
	same_error("responseStatus", "{\"code\":9223372036854775808}", KAG_EPARSE);
	same_error("requestObject", "{\"a\":1,\"a\":2}", KAG_EPARSE);
}
END_TEST

START_TEST(not_an_event)
{
	char msg[256], path[128];
	kag_event *ev;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(set(ev, "userAgent", "\"kubectl\""), KAG_OK);
	ck_assert_int_eq(kag_event_check_native(ev), KAG_ESCHEMA);
	ck_assert_int_eq(parse_error("{\"userAgent\":\"kubectl\"}", msg, sizeof(msg), path,
				     sizeof(path)), KAG_ESCHEMA);
	ck_assert_str_eq(kag_event_error_message(ev), msg);
	ck_assert_str_eq(kag_event_error_path(ev), "");
	/* an empty user object is enough */
	ck_assert_int_eq(set(ev, "user", "{}"), KAG_OK);
	ck_assert_int_eq(kag_event_check_native(ev), KAG_OK);
	kag_event_free(ev);
}
END_TEST

/* A value nested `depth` arrays deep. */
static char *nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 1);
	int i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	s[depth * 2] = '\0';
	return s;
}

START_TEST(over_budget)
{
	size_t big = (1u << 20) + 1;
	char *deep = nested(63), *deeper = nested(64), *text = malloc(big + 3);
	char msg[256], path[128];
	kag_event *ev;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	/* the record's object is the first level: 63 more are allowed */
	ck_assert_int_eq(set(ev, "requestObject", deep), KAG_OK);
	ck_assert_int_eq(set(ev, "responseObject", deeper), KAG_ELIMIT);
	ck_assert_str_eq(kag_event_error_message(ev), "nesting deeper than 64 levels");
	ck_assert_str_eq(kag_event_error_path(ev), "/responseObject");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_OBJECT), KAG_STATE_ABSENT);
	/* a string longer than the parser's default */
	text[0] = '"';
	memset(text + 1, 'a', big);
	text[big + 1] = '"';
	text[big + 2] = '\0';
	ck_assert_int_eq(set(ev, "verb", text), KAG_ELIMIT);
	ck_assert_str_eq(kag_event_error_message(ev), "a string is longer than 1048576 bytes");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_VERB), KAG_STATE_ABSENT);
	/* the parser refuses the same records with the same code */
	{
		size_t n = strlen(deeper) + 64;
		char *rec = malloc(n);

		ck_assert_ptr_nonnull(rec);
		snprintf(rec, n, "{\"verb\":\"get\",\"responseObject\":%s}", deeper);
		ck_assert_int_eq(parse_error(rec, msg, sizeof(msg), path, sizeof(path)),
				 KAG_ELIMIT);
		snprintf(rec, n, "{\"verb\":\"get\",\"responseObject\":%s}", deep);
		ck_assert_int_eq(parse_error(rec, msg, sizeof(msg), path, sizeof(path)),
				 KAG_OK);
		free(rec);
	}
	kag_event_free(ev);
	free(deep);
	free(deeper);
	free(text);
}
END_TEST

/* The evidence.requestObject of the verdict on ev (every event gets one). */
static char *body_evidence(const kag_event *ev)
{
	kag_registry *reg;
	kag_session *sess;
	const kag_result *res;
	json_t *v;
	char *out;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(reg, "any", NULL, NULL, 0, KAG_LEVEL_METADATA,
						   tu_any_event, NULL), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&sess, reg), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(sess, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
	ck_assert_uint_ge(kag_result_count(res), 1);
	v = json_loads(kag_verdict_json(kag_result_verdict(res, 0), NULL), 0, NULL);
	ck_assert_ptr_nonnull(v);
	out = json_dumps(json_object_get(json_object_get(v, "evidence"), "requestObject"),
			 JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(out);
	json_decref(v);
	kag_session_free(sess);
	kag_registry_free(reg);
	return out;
}

START_TEST(body_redacted)
{
	static const char body[] =
		"{\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\"},"
		"\"data\":{\"password\":\"U0VDUkVU\"},\"type\":\"Opaque\"}";
	static const char head[] =
		"{\"verb\":\"create\",\"level\":\"RequestResponse\",\"stage\":\"ResponseComplete\","
		"\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\"},"
		"\"requestObject\":";
	char record[512];
	kag_parser *p;
	const kag_event *parsed;
	kag_event *built;
	char *a, *b;

	snprintf(record, sizeof(record), "%s%s}\n", head, body);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, record, strlen(record)), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&parsed, p), KAG_OK);
	ck_assert_int_eq(kag_event_new(&built), KAG_OK);
	ck_assert_int_eq(set(built, "verb", "\"create\""), KAG_OK);
	ck_assert_int_eq(set(built, "level", "\"RequestResponse\""), KAG_OK);
	ck_assert_int_eq(set(built, "stage", "\"ResponseComplete\""), KAG_OK);
	ck_assert_int_eq(set(built, "objectRef", "{\"resource\":\"secrets\","
				 "\"namespace\":\"prod\"}"), KAG_OK);
	ck_assert_int_eq(set(built, "requestObject", body), KAG_OK);
	a = body_evidence(parsed);
	b = body_evidence(built);
	ck_assert_str_eq(b, a);
	ck_assert_str_eq(b, "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\"},"
			    "\"data\":{\"password\":\"<redacted>\"},\"type\":\"Opaque\"}");
	free(a);
	free(b);
	kag_event_free(built);
	kag_parser_free(p);
}
END_TEST

/* The members the jansson and fast front ends read before they shared the
 * table (key_index and top_key, user_member, object_ref_member,
 * response_status_member and the fast front end's member lists): each is in the table,
 * with the same field and kind, in the same order of taking. */
START_TEST(table_covers_the_front_ends)
{
	static const struct { const char *name; int kind, field; } top[] = {
		{ "kind", KAG__NM_TYPED, -1 },
		{ "apiVersion", KAG__NM_TYPED, -1 },
		{ "auditID", KAG__NM_STRING, KAG_FIELD_AUDIT_ID },
		{ "stage", KAG__NM_STRING, KAG_FIELD_STAGE },
		{ "level", KAG__NM_STRING, KAG_FIELD_LEVEL },
		{ "verb", KAG__NM_STRING, KAG_FIELD_VERB },
		{ "requestURI", KAG__NM_STRING, KAG_FIELD_REQUEST_URI },
		{ "userAgent", KAG__NM_STRING, KAG_FIELD_USER_AGENT },
		{ "requestReceivedTimestamp", KAG__NM_STRING, KAG_FIELD_REQUEST_RECEIVED_TS },
		{ "stageTimestamp", KAG__NM_STRING, KAG_FIELD_STAGE_TS },
		{ "timestamp", KAG__NM_STRING, KAG_FIELD_TIMESTAMP },
		{ "user", KAG__NM_OBJECT, KAG_FIELD_USER },
		{ "impersonatedUser", KAG__NM_OBJECT, KAG_FIELD_IMP_USER },
		{ "sourceIPs", KAG__NM_LIST, KAG_FIELD_SOURCE_IPS },
		{ "objectRef", KAG__NM_OBJECT, KAG_FIELD_OBJECT_REF },
		{ "responseStatus", KAG__NM_OBJECT, KAG_FIELD_RESPONSE_STATUS },
		{ "annotations", KAG__NM_MAP, KAG_FIELD_ANNOTATIONS },
		{ "requestObject", KAG__NM_BODY, KAG_FIELD_REQUEST_OBJECT },
		{ "responseObject", KAG__NM_BODY, KAG_FIELD_RESPONSE_OBJECT },
	};
	/* members of other record shapes: the fast front end declines a
	 * record with items, or (unless forced native) with a wrapper */
	static const struct { const char *name; int kind; } shapes[] = {
		{ "items", KAG__NM_ITEMS }, { "AuditId", KAG__NM_WRAPPER },
		{ "k8s_audit_level", KAG__NM_WRAPPER }, { "openshift_audit_level", KAG__NM_WRAPPER },
		{ "log_type", KAG__NM_WRAPPER }, { "Type", KAG__NM_WRAPPER },
		{ "protoPayload", KAG__NM_WRAPPER }, { "category", KAG__NM_WRAPPER },
		{ "Category", KAG__NM_WRAPPER }, { "log_s", KAG__NM_WRAPPER },
		{ "properties", KAG__NM_SHAPE }, { "message", KAG__NM_SHAPE },
		{ "@message", KAG__NM_SHAPE }, { "records", KAG__NM_SHAPE },
		{ "tables", KAG__NM_SHAPE }, { "logEvents", KAG__NM_SHAPE },
		{ "awslogs", KAG__NM_SHAPE }, { "events", KAG__NM_SHAPE },
		{ "resourceLogs", KAG__NM_SHAPE },
	};
	static const struct { int set; const char *name; int kind, field; } sub[] = {
		{ KAG__SET_USER, "username", KAG__NM_STRING, KAG_FIELD_USER_USERNAME },
		{ KAG__SET_USER, "uid", KAG__NM_STRING, KAG_FIELD_USER_UID },
		{ KAG__SET_USER, "groups", KAG__NM_LIST, KAG_FIELD_USER_GROUPS },
		{ KAG__SET_USER, "extra", KAG__NM_MULTIMAP, KAG_FIELD_USER_EXTRA },
		{ KAG__SET_OBJECT_REF, "resource", KAG__NM_STRING, KAG_FIELD_OBJ_RESOURCE },
		{ KAG__SET_OBJECT_REF, "subresource", KAG__NM_STRING, KAG_FIELD_OBJ_SUBRESOURCE },
		{ KAG__SET_OBJECT_REF, "namespace", KAG__NM_STRING, KAG_FIELD_OBJ_NAMESPACE },
		{ KAG__SET_OBJECT_REF, "name", KAG__NM_STRING, KAG_FIELD_OBJ_NAME },
		{ KAG__SET_OBJECT_REF, "apiGroup", KAG__NM_STRING, KAG_FIELD_OBJ_API_GROUP },
		{ KAG__SET_OBJECT_REF, "apiVersion", KAG__NM_STRING, KAG_FIELD_OBJ_API_VERSION },
		{ KAG__SET_STATUS, "code", KAG__NM_INT, KAG_FIELD_RESPONSE_CODE },
		{ KAG__SET_STATUS, "reason", KAG__NM_STRING, KAG_FIELD_RESPONSE_REASON },
		{ KAG__SET_STATUS, "message", KAG__NM_STRING, KAG_FIELD_RESPONSE_MESSAGE },
		{ KAG__SET_STATUS, "status", KAG__NM_STRING, KAG_FIELD_RESPONSE_STATUS_TEXT },
	};
	static const int object_field[KAG__SET_COUNT_] = {
		[KAG__SET_USER] = KAG_FIELD_USER, [KAG__SET_OBJECT_REF] = KAG_FIELD_OBJECT_REF,
		[KAG__SET_STATUS] = KAG_FIELD_RESPONSE_STATUS,
	};
	const kag__member_set *ts = &kag__member_sets[KAG__SET_TOP];
	size_t i;
	int id, last[KAG__SET_COUNT_] = { 0 };

	/* the Event's members, in the order they are taken, and nothing else */
	ck_assert_uint_eq(kag_native_member_count(), sizeof(top) / sizeof(top[0]));
	ck_assert_ptr_null(kag_native_member_name(kag_native_member_count()));
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		id = kag__top_member(top[i].name, strlen(top[i].name));
		ck_assert_int_eq(id, (int)i);
		ck_assert_str_eq(kag_native_member_name(i), top[i].name);
		ck_assert_int_eq(ts->m[id].kind, top[i].kind);
		ck_assert_int_eq(ts->m[id].field, top[i].field);
		ck_assert_uint_eq(ts->m[id].len, strlen(top[i].name));
	}
	ck_assert_int_eq(ts->m[KAG__K_USER].set, KAG__SET_USER);
	ck_assert_int_eq(ts->m[KAG__K_IMP_USER].set, KAG__SET_USER);
	ck_assert_int_eq(ts->m[KAG__K_OBJECT_REF].set, KAG__SET_OBJECT_REF);
	ck_assert_int_eq(ts->m[KAG__K_RESPONSE_STATUS].set, KAG__SET_STATUS);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		id = kag__top_member(shapes[i].name, strlen(shapes[i].name));
		ck_assert_msg(id >= KAG__K_NATIVE_COUNT_, "%s", shapes[i].name);
		ck_assert_int_eq(ts->m[id].kind, shapes[i].kind);
	}
	ck_assert_uint_eq(ts->count, sizeof(top) / sizeof(top[0]) + sizeof(shapes) / sizeof(shapes[0]));
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		const kag__member_set *s = &kag__member_sets[sub[i].set];

		id = kag__member_find(sub[i].set, sub[i].name, strlen(sub[i].name));
		ck_assert_int_eq(id, last[sub[i].set]++);
		ck_assert_int_eq(s->m[id].kind, sub[i].kind);
		ck_assert_int_eq(kag__member_field(&s->m[id], object_field[sub[i].set]), sub[i].field);
	}
	ck_assert_uint_eq(kag__member_sets[KAG__SET_USER].count, last[KAG__SET_USER]);
	ck_assert_uint_eq(kag__member_sets[KAG__SET_OBJECT_REF].count, last[KAG__SET_OBJECT_REF]);
	ck_assert_uint_eq(kag__member_sets[KAG__SET_STATUS].count, last[KAG__SET_STATUS]);
	/* impersonatedUser's members follow its own field */
	ck_assert_int_eq(kag__member_field(&kag__member_sets[KAG__SET_USER].m[KAG__U_EXTRA],
					   KAG_FIELD_IMP_USER), KAG_FIELD_IMP_EXTRA);
	/* near misses are not members */
	ck_assert_int_eq(kag__top_member("Verb", 4), -1);
	ck_assert_int_eq(kag__top_member("verbs", 5), -1);
	ck_assert_int_eq(kag__top_member("", 0), -1);
	ck_assert_int_eq(kag__member_find(KAG__SET_USER, "name", 4), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("member");
	TCase *tc = tcase_create("member");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, exact_values);
	tcase_add_test(tc, wrong_kinds);
	tcase_add_test(tc, not_an_event);
	tcase_add_test(tc, over_budget);
	tcase_add_test(tc, body_redacted);
	tcase_add_test(tc, table_covers_the_front_ends);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
