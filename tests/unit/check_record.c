/* kag_event_set_record(): the JSON text of one native Event fills an event
 * exactly as a parser reads it (both front ends), with the parser's errors,
 * messages and pointers, and the event owns what it points into. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/gen.h"
#include "budget-private.h"
#include "testutil.h"

/* Is every field of a the same as of b (state, text, number, items,
 * pairs, the text a path read gives), and so are stage, level and time?
 * Returns the first field that differs, or -1. */
static int first_difference(const kag_event *a, const kag_event *b)
{
	int f;

	if (kag_event_stage(a) != kag_event_stage(b) || kag_event_level(a) != kag_event_level(b) ||
	    kag_event_time_us(a) != kag_event_time_us(b))
		return (int)kag_field_count();
	for (f = 0; f < (int)kag_field_count(); f++) {
		const char *name = kag_field_name(f), *sa, *sb, *ka, *kb;
		size_t la, lb, kla, klb, i, n = kag_event_item_count(a, f);
		int64_t va = 0, vb = 0;

		if (kag_event_field_state(a, f) != kag_event_field_state(b, f) ||
		    n != kag_event_item_count(b, f) ||
		    kag_event_get_int(&va, a, f) != kag_event_get_int(&vb, b, f) || va != vb)
			return f;
		if (kag_event_get_string(&sa, &la, a, f) == KAG_OK) {
			if (kag_event_get_string(&sb, &lb, b, f) != KAG_OK || la != lb ||
			    memcmp(sa, sb, la) != 0)
				return f;
		}
		if (kag_event_get_path(&sa, &la, a, name, strlen(name)) == KAG_OK) {
			if (kag_event_get_path(&sb, &lb, b, name, strlen(name)) != KAG_OK ||
			    la != lb || memcmp(sa, sb, la) != 0)
				return f;
		}
		for (i = 0; i < n; i++) {
			if (kag_event_get_item(&sa, &la, a, f, i) == KAG_OK &&
			    (kag_event_get_item(&sb, &lb, b, f, i) != KAG_OK || la != lb ||
			     memcmp(sa, sb, la) != 0))
				return f;
			if (kag_event_get_pair(&ka, &kla, &sa, &la, a, f, i) == KAG_OK &&
			    (kag_event_get_pair(&kb, &klb, &sb, &lb, b, f, i) != KAG_OK ||
			     kla != klb || la != lb || memcmp(ka, kb, kla) != 0 ||
			     memcmp(sa, sb, la) != 0))
				return f;
		}
	}
	return -1;
}

/* What a parser (format native, default limits, front end `frontend`)
 * gives for text[0, len) as a stream of its own: its first event (or
 * error), and whether anything follows it. */
typedef struct {
	kag_parser *p;
	const kag_event *ev;
	int rc, more;
} parsed;

/* A parser of native records that has read all of text[0, len), with the
 * given front end (0: the default). */
static kag_parser *read_all(const char *text, size_t len, int frontend)
{
	kag_parser *p;

	TU_REQUIRE_INT_EQ(kag_parser_new(&p), KAG_OK);
	TU_REQUIRE_INT_EQ(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, KAG_FORMAT_NATIVE), KAG_OK);
	if (frontend)
		TU_REQUIRE_INT_EQ(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, (uint64_t)frontend),
				  KAG_OK);
	TU_REQUIRE_INT_EQ(kag_parser_feed(p, text, len), KAG_OK);
	TU_REQUIRE_INT_EQ(kag_parser_finish(p), KAG_OK);
	return p;
}

static void parse(parsed *r, const char *text, size_t len, int frontend)
{
	const kag_event *next;

	r->p = read_all(text, len, frontend);
	r->rc = kag_parser_next(&r->ev, r->p);
	r->more = 0;
	if (r->rc == KAG_OK) {
		/* a second parser, so that r->ev stays as it is */
		kag_parser *q = read_all(text, len, 0);

		TU_REQUIRE_INT_EQ(kag_parser_next(&next, q), KAG_OK);
		r->more = kag_parser_next(&next, q) != KAG_ITEROVER ||
			  kag_parser_stat(q, KAG_PSTAT_SKIPPED) != 0;
		kag_parser_free(q);
	}
}

/* The text, in a buffer of its own that is scribbled over and freed once
 * kag_event_set_record() returns: the event must not point into it. */
static int set_record_from_copy(kag_event *ev, const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	rc = kag_event_set_record(ev, copy, len);
	memset(copy, 'x', len);
	free(copy);
	return rc;
}

static int is_list_error(const char *message)
{
	return strcmp(message, "expected an audit event object, got array") == 0 ||
	       strcmp(message, "expected one audit event, got a list of them") == 0;
}

/* set_record on text gives what both front ends give for it as a stream:
 * the same event, or the same error. Returns 1 for an event. */
static int same_as_parsers(kag_event *ev, const char *text, size_t len, const char *where)
{
	static const int frontends[] = { KAG_FRONTEND_FAST, KAG_FRONTEND_JANSSON };
	int rc = set_record_from_copy(ev, text, len), diff;
	size_t i;

	for (i = 0; i < sizeof(frontends) / sizeof(frontends[0]); i++) {
		parsed r;

		parse(&r, text, len, frontends[i]);
		if (rc == KAG_ESCHEMA && is_list_error(kag_event_error_message(ev))) {
			/* The parser hands out a list's items as events: one
			 * record is expected here. */
			ck_assert_msg(memchr(text, '[', len) != NULL, "%s: not a list", where);
			kag_parser_free(r.p);
			continue;
		}
		if (r.rc == KAG_OK && !r.more) {
			ck_assert_msg(rc == KAG_OK, "%s: %s: %s", where, kag_error_name(rc),
				      kag_event_error_message(ev));
			diff = first_difference(ev, r.ev);
			ck_assert_msg(diff < 0, "%s: field %d differs", where, diff);
			ck_assert_str_eq(kag_event_format(ev), "builder");
			ck_assert_uint_eq(kag_event_line(ev), 0);
		} else if (r.rc < 0 && r.rc != KAG_ITEROVER) {
			ck_assert_msg(rc == r.rc, "%s: %s, the parser %s", where, kag_error_name(rc),
				      kag_error_name(r.rc));
			ck_assert_str_eq(kag_event_error_message(ev), kag_parser_error_message(r.p));
			ck_assert_str_eq(kag_event_error_path(ev), kag_parser_error_path(r.p));
		} else {
			/* a list, a skipped record, or more than one record */
			ck_assert_msg(rc < 0, "%s: one event taken from several", where);
		}
		kag_parser_free(r.p);
	}
	if (rc < 0) {
		/* an error leaves the event empty */
		ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_VERB), KAG_STATE_ABSENT);
		ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER), KAG_STATE_ABSENT);
		ck_assert_int_eq(kag_event_item_count(ev, KAG_FIELD_ANNOTATIONS), 0);
	} else {
		ck_assert_str_eq(kag_event_error_message(ev), "");
		ck_assert_str_eq(kag_event_error_path(ev), "");
	}
	return rc == KAG_OK;
}

/* Each line of data[0, len) through same_as_parsers(): events and errors
 * counted. */
static void each_line(kag_event *ev, const char *data, size_t len, const char *name,
		      size_t *events, size_t *errors)
{
	size_t at = 0, line = 0;
	char where[512];

	while (at < len) {
		const char *nl = memchr(data + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - data) : len;

		snprintf(where, sizeof(where), "%s:%zu", name, ++line);
		if (same_as_parsers(ev, data + at, end - at, where))
			++*events;
		else
			++*errors;
		at = end + 1;
	}
}

/* Every line of every corpus file, and every whole file. */
START_TEST(corpus_lines)
{
	size_t n, i, events = 0, errors = 0;
	char **files = tu_data_files(&n, 0);
	kag_event *ev;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (i = 0; i < n; i++) {
		size_t len;
		char *data = tu_read_data_file(files[i], &len);

		if (same_as_parsers(ev, data, len, files[i]))
			events++;
		each_line(ev, data, len, files[i], &events, &errors);
		free(data);
	}
	/* the corpus was found, and gave events and errors */
	ck_assert_uint_ge(n, 55);
	ck_assert_uint_ge(events, 300);
	ck_assert_uint_ge(errors, 3000);
	tu_free_files(files, n);
	kag_event_free(ev);
}
END_TEST

/* The benchmark's stream: every line is an event. */
START_TEST(bench_stream)
{
	struct bench_stream s;
	size_t events = 0, errors = 0;
	kag_event *ev;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(bench_generate(&s, 3000, 7), 0);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	each_line(ev, s.data, s.len, "bench", &events, &errors);
	ck_assert_uint_eq(events, s.lines);
	ck_assert_uint_eq(errors, 0);
	kag_event_free(ev);
	bench_stream_free(&s);
}
END_TEST

/* text fails with code, message and path exactly (and as the parsers say). */
static void fails(kag_event *ev, const char *text, size_t len, int code, const char *message,
		  const char *path)
{
	ck_assert_int_eq(same_as_parsers(ev, text, len, message), 0);
	ck_assert_int_eq(kag_event_set_record(ev, text, len), code);
	ck_assert_str_eq(kag_event_error_message(ev), message);
	ck_assert_str_eq(kag_event_error_path(ev), path);
}

/* A record whose requestObject is nested `depth` arrays deep. */
static char *deep_record(size_t depth, size_t *len)
{
	static const char head[] = "{\"verb\":\"get\",\"requestObject\":";
	size_t h = sizeof(head) - 1, i;
	char *s = malloc(h + depth * 2 + 2);

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, h);
	for (i = 0; i < depth; i++) {
		s[h + i] = '[';
		s[h + depth * 2 - 1 - i] = ']';
	}
	s[h + depth * 2] = '}';
	s[h + depth * 2 + 1] = '\0';
	*len = h + depth * 2 + 1;
	return s;
}

START_TEST(hostile)
{
	size_t big = KAG__DEFAULT_MAX_STRING + 1, len;
	char *text = malloc(big + 32), *deep;
	kag_event *ev;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	/* text, code, message, pointer: wrong types at their pointer (the first
	 * in the order the members are taken, not in the text); not one audit
	 * event; not JSON */
	static const struct {
		const char *text;
		int code;
		const char *message, *path;
	} cases[] = {
		{ "{\"verb\":5}", KAG_ESCHEMA,
		  "expected string, got integer", "/verb" },
		{ "{\"verb\":\"get\",\"sourceIPs\":[\"ok\",7]}", KAG_ESCHEMA,
		  "expected string, got integer", "/sourceIPs/1" },
		{ "{\"user\":{\"extra\":{\"s\":5}}}", KAG_ESCHEMA,
		  "expected array, got integer", "/user/extra/s" },
		{ "{\"annotations\":{\"a\":1},\"verb\":2}", KAG_ESCHEMA,
		  "expected string, got integer", "/verb" },
		{ "{\"verb\":\"get\",\"responseStatus\":{\"code\":200.5}}", KAG_ESCHEMA,
		  "expected integer, got number", "/responseStatus/code" },
		{ "{}", KAG_ESCHEMA,
		  "not an audit event: none of verb, auditID, stage, requestURI, objectRef, "
		  "user is present", "" },
		{ "\"get\"", KAG_ESCHEMA,
		  "expected an audit event object, got string", "" },
		{ " [{\"verb\":\"get\"}]", KAG_ESCHEMA,
		  "expected an audit event object, got array", "" },
		{ "{\"kind\":\"EventList\",\"items\":[{\"verb\":\"get\"}]}", KAG_ESCHEMA,
		  "expected one audit event, got a list of them", "" },
		{ "{\"verb\":\"get\"}\n{\"verb\":\"list\"}", KAG_EPARSE,
		  "more than one record in the text", "" },
		{ "", KAG_EPARSE,
		  "no JSON value in the text", "" },
		{ " \r\n\t", KAG_EPARSE,
		  "no JSON value in the text", "" },
		{ "{\"verb\":\"get\"", KAG_ETRUNCATED,
		  "input ends inside a record (truncated record)", "" },
		{ "{\"verb\":\"get\"} x", KAG_EPARSE,
		  "not JSON (a line of 1 bytes that starts with no JSON object or array)",
		  "" },
		{ "{\"verb\":\"get\",\"verb\":\"list\"}", KAG_EPARSE,
		  "invalid JSON: duplicate object key", "" },
		{ "{\"verb\":\"g\xff\"}", KAG_EPARSE,
		  "invalid JSON: invalid UTF-8", "" },
		{ "{\"verb\":\"g\xc3\"}", KAG_EPARSE,
		  "invalid JSON: invalid UTF-8", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fails(ev, cases[i].text, strlen(cases[i].text), cases[i].code, cases[i].message,
		      cases[i].path);
	/* a raw NUL byte ends nothing: it is not JSON */
	ck_assert_int_eq(same_as_parsers(ev, "{\"verb\":\"g\0t\"}", 14, "raw NUL"), 0);
	ck_assert_int_eq(kag_event_set_record(ev, "{\"verb\":\"g\0t\"}", 14), KAG_EPARSE);
	/* an escaped one is text */
	ck_assert_int_eq(same_as_parsers(ev, "{\"verb\":\"g\\u0000t\"}", 19, "escaped NUL"), 1);
	{
		const char *s;
		size_t n;

		ck_assert_int_eq(kag_event_get_string(&s, &n, ev, KAG_FIELD_VERB), KAG_OK);
		ck_assert_uint_eq(n, 3);
		ck_assert(memcmp(s, "g\0t", 3) == 0);
	}
	/* too deep: the record is the first level, 63 more are allowed */
	deep = deep_record(63, &len);
	ck_assert_int_eq(same_as_parsers(ev, deep, len, "63 deep"), 1);
	free(deep);
	deep = deep_record(64, &len);
	fails(ev, deep, len, KAG_ELIMIT, "nesting deeper than 64 levels", "");
	free(deep);
	/* too big: a string over the default limit */
	len = (size_t)snprintf(text, 32, "{\"verb\":\"");
	memset(text + len, 'a', big);
	memcpy(text + len + big, "\"}", 3);
	fails(ev, text, len + big + 2, KAG_ELIMIT, "a string is longer than 1048576 bytes", "");
	/* too big: a record over the default record size, in strings
	 * within the string limit */
	{
		size_t n = KAG__DEFAULT_MAX_RECORD / KAG__DEFAULT_MAX_STRING + 1, at, k;
		char *huge = malloc(n * (KAG__DEFAULT_MAX_STRING + 3) + 64), msg[96];

		ck_assert_ptr_nonnull(huge);
		at = (size_t)sprintf(huge, "{\"verb\":\"get\",\"requestObject\":[");
		for (k = 0; k < n; k++) {
			huge[at++] = k ? ',' : ' ';
			huge[at++] = '"';
			memset(huge + at, 'b', KAG__DEFAULT_MAX_STRING);
			at += KAG__DEFAULT_MAX_STRING;
			huge[at++] = '"';
		}
		huge[at++] = ']';
		huge[at++] = '}';
		snprintf(msg, sizeof(msg), "record larger than %u bytes",
			 (unsigned)KAG__DEFAULT_MAX_RECORD);
		fails(ev, huge, at, KAG_ELIMIT, msg, "");
		free(huge);
	}
	/* a wrong call changes nothing */
	ck_assert_int_eq(kag_event_set_record(NULL, "{}", 2), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_record(ev, NULL, 2), KAG_EINVAL);
	ck_assert_str_eq(kag_event_error_message(ev), "record larger than 16777216 bytes");
	/* and the event is filled again afterwards */
	ck_assert_int_eq(kag_event_set_record(ev, "{\"verb\":\"get\"}", 14), KAG_OK);
	ck_assert_str_eq(kag_event_error_message(ev), "");
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_VERB), KAG_STATE_OBSERVED);
	free(text);
	kag_event_free(ev);
}
END_TEST

/* The event holds its own copy: it is judged after the caller's text is
 * gone, bodies too (parsed on first use), as the parser's event is; and
 * each call replaces what the last one set. */
START_TEST(owns_its_text)
{
	static const char rec[] =
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"r-1\","
		"\"stage\":\"ResponseComplete\",\"level\":\"RequestResponse\",\"verb\":\"create\","
		"\"user\":{\"username\":\"mallory@example.com\",\"groups\":[\"devs\"]},"
		"\"objectRef\":{\"resource\":\"pods\",\"namespace\":\"prod\",\"name\":\"p\"},"
		"\"responseStatus\":{\"code\":201},\"requestObject\":{\"kind\":\"Pod\",\"spec\":"
		"{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"securityContext\":"
		"{\"privileged\":true}}]}},\"stageTimestamp\":\"2024-05-01T10:00:00Z\"}";
	kag_registry *reg;
	kag_session *s1, *s2;
	const kag_result *r1, *r2;
	kag_event *ev;
	parsed p;
	size_t i, l1, l2;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s1, reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s2, reg), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(s1, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(s2, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(set_record_from_copy(ev, rec, sizeof(rec) - 1), KAG_OK);
	parse(&p, rec, sizeof(rec) - 1, KAG_FRONTEND_FAST);
	ck_assert_int_eq(p.rc, KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&r1, s1, ev), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&r2, s2, p.ev), KAG_OK);
	ck_assert_uint_ge(kag_result_count(r1), 1);
	ck_assert_uint_eq(kag_result_count(r1), kag_result_count(r2));
	for (i = 0; i < kag_result_count(r1); i++) {
		const char *j1 = kag_verdict_json(kag_result_verdict(r1, i), &l1);
		const char *j2 = kag_verdict_json(kag_result_verdict(r2, i), &l2);
		const char *f1 = strstr(j1, "\"format\":"), *f2 = strstr(j2, "\"format\":");

		/* the same record but for the format and source */
		ck_assert_ptr_nonnull(f1);
		ck_assert_ptr_nonnull(f2);
		ck_assert_uint_eq((size_t)(f1 - j1), (size_t)(f2 - j2));
		ck_assert(memcmp(j1, j2, (size_t)(f1 - j1)) == 0);
		ck_assert_ptr_nonnull(strstr(j1, "\"privileged\":true"));
		ck_assert_ptr_nonnull(strstr(j2, "\"privileged\":true"));
	}
	kag_parser_free(p.p);
	/* a second record replaces the first entirely */
	ck_assert_int_eq(set_record_from_copy(ev, "{\"verb\":\"list\"}", 15), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_REQUEST_OBJECT), KAG_STATE_ABSENT);
	/* the builder goes on from a record */
	ck_assert_int_eq(kag_event_set_member(ev, "userAgent", 9, "\"kubectl\"", 9), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_AGENT), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_VERB), KAG_STATE_ABSENT);
	kag_event_free(ev);
	kag_session_free(s1);
	kag_session_free(s2);
	kag_registry_free(reg);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = { corpus_lines, bench_stream, hostile, owns_its_text };
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");
	size_t i;

	tcase_set_timeout(tc, 300);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
