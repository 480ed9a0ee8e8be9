/* Events built field by field: copies, states, kinds, clearing, and the
 * promise that a built event is judged exactly like the same event parsed
 * from JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event-private.h"
#include "json-check-private.h"
#include "testutil.h"

#define SET(ev, f, lit) kag_event_set_string(ev, f, lit, strlen(lit), KAG_STATE_OBSERVED)

static void expect_str(const kag_event *ev, int field, const char *want)
{
	const char *s = NULL;
	size_t len = 0;

	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, field), KAG_OK);
	ck_assert_msg(len == strlen(want) && memcmp(s, want, len) == 0, "%s: got \"%.*s\"",
		      kag_field_name(field), (int)len, s);
	/* copies made by the builder are NUL-terminated too */
	ck_assert_int_eq(s[len], '\0');
}

START_TEST(new_set_get_free)
{
	kag_event *ev;
	char buf[32];
	const char *s, *k;
	size_t len, klen;
	int64_t code;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_str_eq(kag_event_format(ev), "builder");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_VERB), KAG_STATE_ABSENT);
	/* values are copied: the caller's buffer may change afterwards */
	strcpy(buf, "create");
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_VERB, buf, 6, KAG_STATE_OBSERVED), KAG_OK);
	strcpy(buf, "XXXXXX");
	expect_str(ev, KAG_FIELD_VERB, "create");
	/* only len bytes are taken */
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_OBJ_RESOURCE, "podsXYZ", 4,
					      KAG_STATE_OBSERVED), KAG_OK);
	expect_str(ev, KAG_FIELD_OBJ_RESOURCE, "pods");
	/* setting again replaces */
	ck_assert_int_eq(SET(ev, KAG_FIELD_VERB, "get"), KAG_OK);
	expect_str(ev, KAG_FIELD_VERB, "get");
	/* an empty string is a value */
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_AGENT, NULL, 0, KAG_STATE_OBSERVED),
			 KAG_OK);
	expect_str(ev, KAG_FIELD_USER_AGENT, "");

	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 403, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_get_int(&code, ev, KAG_FIELD_RESPONSE_CODE), KAG_OK);
	ck_assert_int_eq(code, 403);

	strcpy(buf, "10.0.0.1");
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, buf, 8, KAG_STATE_OBSERVED), KAG_OK);
	strcpy(buf, "XXXXXXXX");
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, "203.0.113.10", 12,
					    KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_USER_GROUPS, "dev", 3, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS), 2);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_GROUPS), 1);
	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_SOURCE_IPS, 0), KAG_OK);
	ck_assert_uint_eq(len, 8);
	ck_assert_str_eq(s, "10.0.0.1");
	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_SOURCE_IPS, 1), KAG_OK);
	ck_assert_str_eq(s, "203.0.113.10");
	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_USER_GROUPS, 0), KAG_OK);
	ck_assert_str_eq(s, "dev");

	ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_ANNOTATIONS, "authorization.k8s.io/decision", 29,
					    "allow", 5, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_USER_EXTRA, "scope", 5, "", 0,
					    KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_get_pair(&k, &klen, &s, &len, ev, KAG_FIELD_ANNOTATIONS, 0), KAG_OK);
	ck_assert_str_eq(k, "authorization.k8s.io/decision");
	ck_assert_str_eq(s, "allow");
	ck_assert_int_eq(kag_event_get_pair(&k, &klen, &s, &len, ev, KAG_FIELD_USER_EXTRA, 0), KAG_OK);
	ck_assert_str_eq(k, "scope");
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(kag_event_get_path(&s, &len, ev, "annotations.authorization.k8s.io/decision", 41),
			 KAG_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(kag_event_get_path(&s, &len, ev, "responseStatus.code", 19), KAG_OK);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(s, "403", 3) == 0);

	/* parents become present with their members */
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_OBJECT_REF), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_STATUS), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_IMP_USER), KAG_STATE_ABSENT);
	kag_event_free(ev);
}
END_TEST

START_TEST(decoded_values)
{
	kag_event *ev;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_STAGE, "ResponseStarted"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_LEVEL, "Request"), KAG_OK);
	ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_RESPONSE_STARTED);
	ck_assert_int_eq(kag_event_level(ev), KAG_LEVEL_REQUEST);
	ck_assert_int_eq(kag_event_time_us(ev), 0);
	ck_assert_int_eq(SET(ev, KAG_FIELD_REQUEST_RECEIVED_TS, "2024-05-01T10:00:00Z"), KAG_OK);
	ck_assert_int_eq(kag_event_time_us(ev), 1714557600000000LL);
	/* stageTimestamp wins once set */
	ck_assert_int_eq(SET(ev, KAG_FIELD_STAGE_TS, "2024-05-01T10:00:00.123456Z"), KAG_OK);
	ck_assert_int_eq(kag_event_time_us(ev), 1714557600123456LL);
	ck_assert_int_eq(SET(ev, KAG_FIELD_STAGE, "Bogus"), KAG_OK);
	ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_UNKNOWN);
	kag_event_free(ev);
}
END_TEST

START_TEST(inferred_state)
{
	kag_event *ev;
	tu_ctx t;
	const kag_result *res;
	const kag_verdict *v = NULL;
	size_t i;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_STAGE, "ResponseComplete", 16,
					      KAG_STATE_INFERRED), KAG_OK);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 200, KAG_STATE_INFERRED), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_VERB, "get"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER_USERNAME, "alice@example.com"), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_USER_GROUPS, "g", 1, KAG_STATE_INFERRED), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_OBJ_RESOURCE, "secrets"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_OBJ_NAMESPACE, "prod"), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_STAGE), KAG_STATE_INFERRED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_CODE), KAG_STATE_INFERRED);
	/* the object takes the state of its first member */
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_STATUS), KAG_STATE_INFERRED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_GROUPS), KAG_STATE_INFERRED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_VERB), KAG_STATE_OBSERVED);
	/* an inferred field can be confirmed */
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_STAGE, "ResponseComplete", 16,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_STAGE), KAG_STATE_OBSERVED);

	/* verdicts list the inferred fields */
	tu_init(&t);
	ck_assert_int_eq(kag_session_evaluate(&res, t.sess, ev), KAG_OK);
	ck_assert_uint_gt(kag_result_count(res), 0);
	for (i = 0; i < kag_result_count(res); i++) {
		v = kag_result_verdict(res, i);
		ck_assert_uint_eq(kag_verdict_inferred_count(v), 3);
		ck_assert_str_eq(kag_verdict_inferred(v, 0), "user.groups");
		ck_assert_str_eq(kag_verdict_inferred(v, 1), "responseStatus");
		ck_assert_str_eq(kag_verdict_inferred(v, 2), "responseStatus.code");
		ck_assert_ptr_null(kag_verdict_inferred(v, 3));
		ck_assert(tu_json_array_has(kag_verdict_json(v, NULL), "inferred", "responseStatus.code"));
	}
	tu_free(&t);
	kag_event_free(ev);
}
END_TEST

START_TEST(wrong_kind_and_arguments)
{
	kag_event *ev;
	int64_t code;
	int f;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	/* string setter on non-string fields */
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER_GROUPS, "x"), KAG_EINVAL);
	ck_assert_int_eq(SET(ev, KAG_FIELD_ANNOTATIONS, "x"), KAG_EINVAL);
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER, "x"), KAG_EINVAL);
	ck_assert_int_eq(SET(ev, KAG_FIELD_RESPONSE_CODE, "200"), KAG_EINVAL);
	ck_assert_int_eq(SET(ev, -1, "x"), KAG_EINVAL);
	ck_assert_int_eq(SET(ev, (int)kag_field_count(), "x"), KAG_EINVAL);
	/* integer setter on non-integer fields */
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_VERB, 1, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_STATUS, 1, KAG_STATE_OBSERVED), KAG_EINVAL);
	/* items and pairs on the wrong kinds */
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_VERB, "x", 1, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_ANNOTATIONS, "x", 1, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_SOURCE_IPS, "k", 1, "v", 1, KAG_STATE_OBSERVED),
			 KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_VERB, "k", 1, "v", 1, KAG_STATE_OBSERVED),
			 KAG_EINVAL);
	/* states */
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_VERB, "get", 3, KAG_STATE_ABSENT), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_VERB, "get", 3, 3), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 1, -1), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, "x", 1, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_ANNOTATIONS, "k", 1, "v", 1, 7), KAG_EINVAL);
	/* NULL with a length */
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_VERB, NULL, 3, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, NULL, 1, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_ANNOTATIONS, NULL, 1, "v", 1, KAG_STATE_OBSERVED),
			 KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_ANNOTATIONS, "k", 1, NULL, 1, KAG_STATE_OBSERVED),
			 KAG_EINVAL);
	/* NULL event */
	ck_assert_int_eq(kag_event_new(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_event_clear(NULL), KAG_EINVAL);
	ck_assert_int_eq(SET(NULL, KAG_FIELD_VERB, "get"), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_int(NULL, KAG_FIELD_RESPONSE_CODE, 1, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_item(NULL, KAG_FIELD_SOURCE_IPS, "x", 1, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_add_pair(NULL, KAG_FIELD_ANNOTATIONS, "k", 1, "v", 1, KAG_STATE_OBSERVED),
			 KAG_EINVAL);
	/* nothing of the above changed the event */
	for (f = 0; f < (int)kag_field_count(); f++)
		ck_assert_int_eq(kag_event_field_state(ev, f), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_get_int(&code, ev, KAG_FIELD_RESPONSE_CODE), KAG_ENOTFOUND);
	kag_event_free(ev);
}
END_TEST

START_TEST(bodies)
{
	kag_event *ev;
	const char *s;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\":"), KAG_EPARSE);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_REQUEST_OBJECT), KAG_STATE_ABSENT);
	ck_assert_int_eq(SET(ev, KAG_FIELD_REQUEST_OBJECT, ""), KAG_EPARSE);
	ck_assert_int_eq(SET(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\": \"Pod\"}"), KAG_OK);
	expect_str(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\": \"Pod\"}");
	ck_assert_int_eq(SET(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\":\"Secret\"}"), KAG_OK);
	expect_str(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\":\"Secret\"}");
	ck_assert_int_eq(SET(ev, KAG_FIELD_RESPONSE_OBJECT, "42"), KAG_OK);
	expect_str(ev, KAG_FIELD_RESPONSE_OBJECT, "42");
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_REQUEST_OBJECT), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_get_string(&s, NULL, ev, KAG_FIELD_REQUEST_OBJECT), KAG_ENOTFOUND);
	kag_event_free(ev);
}
END_TEST

/* Bodies are checked when set and parsed when a detector needs them: what
 * the check accepts, the parse must read, and a refused body leaves the
 * event as it was. */
START_TEST(bodies_checked_then_parsed)
{
	static const char *const good[] = {
		"{\"a\":{\"b\":[1,2,{\"c\":null}]}}", " [ ] ", "\"text\"", "-0.5e3", "true",
		"{\"k\\u00e9y\":\"\\ud83d\\ude00\"}", "{\"a\":\"x\\u0000y\"}",
		"{\"dup\":1,\"dup\":2}", NULL
	};
	static const char *const bad[] = {
		"{\"a\":", "{\"a\" 1}", "[1,]", "{\"a\":01}", "\"\\x\"", "nul", "{} {}",
		"\"\xc3\x28\"", "{\"a\":\"\\ud800\"}", NULL
	};
	char deep[4096];
	kag_event *ev;
	const char *s;
	size_t i, n;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (i = 0; good[i]; i++) {
		ck_assert_msg(SET(ev, KAG_FIELD_REQUEST_OBJECT, good[i]) == KAG_OK, "refused %s",
			      good[i]);
		/* duplicate keys: accepted as before, kept as jansson reads them */
		ck_assert_msg(kag__event_body(ev, 0) != NULL, "cannot parse %s", good[i]);
		expect_str(ev, KAG_FIELD_REQUEST_OBJECT, good[i]);
	}
	ck_assert_int_eq(SET(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\":\"Pod\"}"), KAG_OK);
	for (i = 0; bad[i]; i++) {
		ck_assert_msg(SET(ev, KAG_FIELD_REQUEST_OBJECT, bad[i]) == KAG_EPARSE, "took %s",
			      bad[i]);
		expect_str(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\":\"Pod\"}");
		ck_assert_str_eq(json_string_value(json_object_get(kag__event_body(ev, 0), "kind")),
				 "Pod");
	}
	/* deeper than the quick check goes: jansson still reads it */
	for (n = 0; n < 1000; n++)
		deep[n] = '[';
	for (; n < 2000; n++)
		deep[n] = ']';
	deep[n] = '\0';
	ck_assert_int_eq(SET(ev, KAG_FIELD_RESPONSE_OBJECT, deep), KAG_OK);
	ck_assert_ptr_nonnull(kag__event_body(ev, 1));
	ck_assert_int_eq(kag_event_get_string(&s, &n, ev, KAG_FIELD_RESPONSE_OBJECT), KAG_OK);
	ck_assert_uint_eq(n, 2000);
	kag_event_free(ev);
}
END_TEST

/* ---- the body check against jansson ---- */

struct agree {
	size_t texts, accepted;
};

/* A number the check may leave to jansson: one with a three-digit
 * exponent (it might overflow a double). */
static int big_exponent(const char *t, size_t n)
{
	size_t i, d;

	for (i = 0; i + 1 < n; i++) {
		if (t[i] != 'e' && t[i] != 'E')
			continue;
		d = i + 1;
		if (t[d] == '+')
			d++;
		while (d < n && t[d] == '0')
			d++;
		if (d + 2 < n && t[d] >= '1' && t[d] <= '9' && t[d + 1] >= '0' && t[d + 1] <= '9' &&
		    t[d + 2] >= '0' && t[d + 2] <= '9')
			return 1;
	}
	return 0;
}

/* kag__json_check() and jansson (as the builder reads bodies) agree; the
 * check may only leave numbers with big exponents, and text with raw NUL
 * bytes (which jansson skips after a number), to jansson. */
static void agree_one(struct agree *a, const char *text, size_t len)
{
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	int ours = kag__json_check(text, len) == 0;

	TU_REQUIRE_MSG(ours == (v != NULL) ||
			       (!ours && (big_exponent(text, len) || memchr(text, '\0', len))),
		       "check %s, jansson %s: %.*s", ours ? "takes" : "refuses",
		       v ? "takes" : "refuses", (int)(len > 300 ? 300 : len), text);
	a->texts++;
	a->accepted += ours;
	json_decref(v);
}

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The text, and mutants of it: a byte replaced, dropped or added, or the
 * text cut short. */
static void agree_mutants(struct agree *a, const char *text, size_t len, uint64_t *rng)
{
	static const char bytes[] = "\"\\{}[],: 01-.eEutnfal\t\n\x00\x1f\x7f\xc3\xa9\xed\xf4\xffx/";
	char buf[8192];
	int k;

	if (len + 1 > sizeof(buf))
		return;
	agree_one(a, text, len);
	for (k = 0; k < 24; k++) {
		size_t at = len ? (size_t)(rng_next(rng) % len) : 0, n = len;
		char b = bytes[rng_next(rng) % (sizeof(bytes) - 1)];

		memcpy(buf, text, len);
		switch (k % 4) {
		case 0: if (len) buf[at] = b; break;
		case 1: if (len) { memmove(buf + at, buf + at + 1, len - at - 1); n--; } break;
		case 2: memmove(buf + at + 1, buf + at, len - at); buf[at] = b; n++; break;
		default: n = at; break;
		}
		agree_one(a, buf, n);
	}
}

static void agree_file(struct agree *a, const char *relpath, uint64_t *rng)
{
	size_t len, off = 0;
	char *data = tu_read_data_file(relpath, &len);

	/* every line that is a JSON object: its bodies, compact and indented */
	while (off < len) {
		char *nl = memchr(data + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (data + off)) : len - off;
		json_t *rec = json_loadb(data + off, n, 0, NULL);
		const char *key;
		json_t *v;

		if (json_is_object(rec)) {
			json_object_foreach(rec, key, v) {
				char *c = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				char *p = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

				agree_mutants(a, c, strlen(c), rng);
				agree_one(a, p, strlen(p));
				free(c);
				free(p);
			}
		}
		json_decref(rec);
		off += n + 1;
	}
	free(data);
}

START_TEST(body_check_agrees_with_jansson)
{
	static const char *const texts[] = {
		"\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"",
		"\"a\\\\\"", "\"a\\\\\\\"\"", "\"\\\"\"", "\"\\u00\"", "\"\\U0041\"",
		"\"\xc0\x80\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xf0\x9f\x98\x80\"", "\"\x7f\"", "{\"\\u0000\":1}", "{\"a\":\"\\u0000\"}",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "1e308", "-0", "0.0e-0", "1.", ".5", "+1", "1e", "01",
		"[1,]", "[,1]", "{,}", "{\"a\":1,}", "{\"a\"}", "{\"a\":}", "{1:2}", "[]", "{}",
		" \t\r\n[ ] ", "[\n]", "\v[]", "[]x", "nul", "true false", "[true,false,null]",
		"[[[[[[[[[[]]]]]]]]]]", "[[[[[[[[[[]]]]]]]]]", "{\"a\":{\"b\":[{}]}}", "\"\"", "",
		"{\"a\":1,\"a\":2}", "[\"\\/\\b\\f\\n\\r\\t\"]", "[\"\t\"]",
	};
	struct agree a = { 0, 0 };
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	size_t i, n;
	char **files = tu_data_files(&n, 0);

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		agree_mutants(&a, texts[i], strlen(texts[i]), &rng);
	for (i = 0; i < n; i++)
		agree_file(&a, files[i], &rng);
	tu_free_files(files, n);
	/* the corpus was reached, and both verdicts occur */
	ck_assert_uint_gt(a.texts, 20000);
	ck_assert_uint_gt(a.accepted, 2000);
	ck_assert_uint_gt(a.texts - a.accepted, 2000);
}
END_TEST

/* Usability is worked out once per field and event: every setter, clear
 * and a judgement in between must leave the answers true to the fields. */
START_TEST(usable_follows_the_setters)
{
	kag_event *ev;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_USER_USERNAME), 0);
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER_USERNAME, "<none>"), KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_USER_USERNAME), 0);
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER_USERNAME, "alice"), KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_USER_USERNAME), 1);
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER_USERNAME, " - "), KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_USER_USERNAME), 0);

	/* a list is usable once one item is */
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, "-", 1, KAG_STATE_OBSERVED),
			 KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_SOURCE_IPS), 0);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, "10.0.0.1", 8,
					    KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_SOURCE_IPS), 1);

	/* an integer field is usable when present */
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_RESPONSE_CODE), 0);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 403, KAG_STATE_OBSERVED),
			 KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_RESPONSE_CODE), 1);

	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_USER_USERNAME), 0);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_SOURCE_IPS), 0);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_RESPONSE_CODE), 0);
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER_USERNAME, "bob"), KAG_OK);
	ck_assert_int_eq(kag__usable(ev, KAG_FIELD_USER_USERNAME), 1);
	ck_assert_int_eq(kag__usable(ev, -1), 0);
	ck_assert_int_eq(kag__usable(ev, KAG__FIELD_COUNT), 0);
	kag_event_free(ev);
}
END_TEST

/* Items of one field added between items of another stay in their order. */
START_TEST(interleaved_items)
{
	static const char *const ips[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3" };
	static const char *const groups[] = { "g1", "g2" };
	kag_event *ev;
	const char *s;
	size_t i, len;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, ips[0], 8, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_USER_GROUPS, groups[0], 2, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, ips[1], 8, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_USER_GROUPS, groups[1], 2, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, ips[2], 8, KAG_STATE_OBSERVED), KAG_OK);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_SOURCE_IPS, i), KAG_OK);
		ck_assert_uint_eq(len, 8);
		ck_assert_int_eq(memcmp(s, ips[i], 8), 0);
		ck_assert_int_eq(memcmp(kag__item(ev, KAG_FIELD_SOURCE_IPS, i)->val.ptr, ips[i], 8), 0);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(memcmp(kag__item(ev, KAG_FIELD_USER_GROUPS, i)->val.ptr, groups[i], 2), 0);
	ck_assert_ptr_null(kag__item(ev, KAG_FIELD_SOURCE_IPS, 3));
	/* after a clear, the same fields in runs read directly */
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_USER_GROUPS, groups[0], 2, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, ips[2], 8, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, ips[1], 8, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(memcmp(kag__item(ev, KAG_FIELD_SOURCE_IPS, 0)->val.ptr, ips[2], 8), 0);
	ck_assert_int_eq(memcmp(kag__item(ev, KAG_FIELD_SOURCE_IPS, 1)->val.ptr, ips[1], 8), 0);
	ck_assert_int_eq(memcmp(kag__item(ev, KAG_FIELD_USER_GROUPS, 0)->val.ptr, groups[0], 2), 0);
	kag_event_free(ev);
}
END_TEST

START_TEST(clear_and_refill)
{
	kag_event *ev;
	char big[6000];
	int round, f;

	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (round = 0; round < 3; round++) {
		char name[16];
		int i;

		snprintf(name, sizeof(name), "user-%d", round);
		ck_assert_int_eq(SET(ev, KAG_FIELD_USER_USERNAME, name), KAG_OK);
		ck_assert_int_eq(SET(ev, KAG_FIELD_STAGE, "ResponseComplete"), KAG_OK);
		ck_assert_int_eq(SET(ev, KAG_FIELD_STAGE_TS, "2024-05-01T10:00:00Z"), KAG_OK);
		ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_AGENT, big, sizeof(big),
						      KAG_STATE_OBSERVED), KAG_OK);
		for (i = 0; i < 100; i++)
			ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, name, strlen(name),
							    KAG_STATE_OBSERVED), KAG_OK);
		ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 500, KAG_STATE_OBSERVED), KAG_OK);
		expect_str(ev, KAG_FIELD_USER_USERNAME, name);
		ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS), 100);
		ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
		for (f = 0; f < (int)kag_field_count(); f++)
			ck_assert_int_eq(kag_event_field_state(ev, f), KAG_STATE_ABSENT);
		ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS), 0);
		ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_UNKNOWN);
		ck_assert_int_eq(kag_event_time_us(ev), 0);
		ck_assert_str_eq(kag_event_format(ev), "builder");
	}
	kag_event_free(ev);
	kag_event_free(NULL);
}
END_TEST

/* ---- built and parsed events are judged alike ---- */

static const char exec_json[] =
	"{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\","
	"\"namespace\":\"prod\",\"name\":\"api-7f9\"},\"user\":{\"username\":\"alice@example.com\"},"
	"\"sourceIPs\":[\"203.0.113.10\"],\"responseStatus\":{\"code\":101},\"stage\":\"ResponseStarted\"}";

static kag_event *build_exec(void)
{
	kag_event *ev;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_VERB, "create"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_OBJ_RESOURCE, "pods"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_OBJ_SUBRESOURCE, "exec"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_OBJ_NAMESPACE, "prod"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_OBJ_NAME, "api-7f9"), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_USER_USERNAME, "alice@example.com"), KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, "203.0.113.10", 12,
					    KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 101, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(SET(ev, KAG_FIELD_STAGE, "ResponseStarted"), KAG_OK);
	return ev;
}

/* Judge one event with a fresh session; return its verdicts as a JSON
 * array with event.format and event.source removed. */
static json_t *judge(const kag_event *ev)
{
	kag_registry *reg;
	kag_session *sess;
	const kag_result *res;
	json_t *all = json_array();
	size_t i;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&sess, reg), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
	for (i = 0; i < kag_result_count(res); i++) {
		size_t len;
		const char *text = kag_verdict_json(kag_result_verdict(res, i), &len);
		json_error_t err;
		json_t *v = json_loadb(text, len, 0, &err), *event;

		ck_assert_msg(v != NULL, "verdict is not JSON: %s", err.text);
		event = json_object_get(v, "event");
		ck_assert_ptr_nonnull(event);
		ck_assert_int_eq(json_object_del(event, "format"), 0);
		ck_assert_int_eq(json_object_del(event, "source"), 0);
		json_array_append_new(all, v);
	}
	ck_assert_int_eq(kag_session_flush(&res, sess), KAG_OK);
	ck_assert_uint_eq(kag_result_count(res), 0);
	kag_session_free(sess);
	kag_registry_free(reg);
	return all;
}

START_TEST(built_equals_parsed)
{
	kag_event *built = build_exec();
	kag_parser *p;
	const kag_event *parsed;
	json_t *a, *b;
	char *da, *db;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, exec_json, sizeof(exec_json) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&parsed, p), KAG_OK);
	a = judge(built);
	b = judge(parsed);
	da = json_dumps(a, JSON_COMPACT);
	db = json_dumps(b, JSON_COMPACT);
	ck_assert_msg(json_equal(a, b), "built:\n%s\nparsed:\n%s", da, db);
	/* and it is the verdict the design promises */
	ck_assert_uint_ge(json_array_size(a), 1);
	ck_assert(strstr(da, "\"detector\":\"interactive_access\",\"assessment\":\"suspicious\","
			     "\"outcome\":\"in_progress\"") != NULL);
	ck_assert(strstr(da, "\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\","
			     "\"namespace\":\"prod\",\"name\":\"api-7f9\"}") != NULL);
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);

	/* refilled after clear: still the same verdicts */
	ck_assert_int_eq(kag_event_clear(built), KAG_OK);
	kag_event_free(built);
	built = build_exec();
	a = judge(built);
	b = judge(parsed);
	ck_assert(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	kag_event_free(built);
	kag_parser_free(p);
}
END_TEST

/* Format and source are the only differences. */
START_TEST(format_and_source_differ)
{
	kag_event *built = build_exec();
	tu_ctx t;
	const kag_result *res;
	const char *line;

	tu_init(&t);
	ck_assert_int_eq(kag_session_evaluate(&res, t.sess, built), KAG_OK);
	ck_assert_uint_ge(kag_result_count(res), 1);
	line = kag_verdict_json(kag_result_verdict(res, 0), NULL);
	ck_assert_str_eq(tu_json_get(line, "event.format"), "builder");
	ck_assert_str_eq(tu_json_get(line, "event.source"), "null");
	ck_assert_str_eq(kag_verdict_source(kag_result_verdict(res, 0)), "");
	tu_free(&t);
	kag_event_free(built);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("builder");
	TCase *tc = tcase_create("builder");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, new_set_get_free);
	tcase_add_test(tc, decoded_values);
	tcase_add_test(tc, inferred_state);
	tcase_add_test(tc, wrong_kind_and_arguments);
	tcase_add_test(tc, bodies);
	tcase_add_test(tc, bodies_checked_then_parsed);
	tcase_add_test(tc, body_check_agrees_with_jansson);
	tcase_add_test(tc, clear_and_refill);
	tcase_add_test(tc, usable_follows_the_setters);
	tcase_add_test(tc, interleaved_items);
	tcase_add_test(tc, built_equals_parsed);
	tcase_add_test(tc, format_and_source_differ);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
