/* The push parser: input shapes, framing, any chunking, limits and hostile
 * records. Every rejected record must be reported exactly once, and the
 * stream must go on with the next record. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "format-private.h"
#include "testutil.h"

/* ---- the front end under test ---- */

/* KAG_FRONTEND_* for every parser of a test, or 0 for the default: the
 * "-jansson" test cases run the same tests with the jansson front end, which
 * parses most records straight from the buffer (see at_once below). */
static uint64_t frontend_choice;

static void use_jansson(void)
{
	frontend_choice = KAG_FRONTEND_JANSSON;
}

static void use_default(void)
{
	frontend_choice = 0;
}

static int new_parser(kag_parser **p)
{
	int rc = kag_parser_new(p);

	if (rc == KAG_OK && frontend_choice)
		ck_assert_int_eq(kag_parser_set_option_u64(*p, KAG_OPT_FRONTEND, frontend_choice),
				 KAG_OK);
	return rc;
}

/* ---- a growable text buffer for transcripts ---- */

typedef struct {
	char *s;
	size_t len, cap;
} sb;

static void sb_printf(sb *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void sb_printf(sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	TU_REQUIRE(n >= 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		TU_REQUIRE(b->s != NULL);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* One line describing an event: every present field with its state. */
static void describe_event(sb *b, const kag_event *ev)
{
	int f;

	sb_printf(b, "event %s line=%llu off=%llu stage=%d level=%d time=%lld",
		  kag_event_format(ev), (unsigned long long)kag_event_line(ev),
		  (unsigned long long)kag_event_offset(ev), kag_event_stage(ev),
		  kag_event_level(ev), (long long)kag_event_time_us(ev));
	for (f = 0; f < (int)kag_field_count(); f++) {
		const char *s, *k;
		size_t len, klen, i, n;
		int64_t code;

		if (kag_event_field_state(ev, f) == KAG_STATE_ABSENT)
			continue;
		sb_printf(b, " %s[%d]", kag_field_name(f), kag_event_field_state(ev, f));
		if (kag_event_get_string(&s, &len, ev, f) == KAG_OK)
			sb_printf(b, "=%.*s", (int)len, s);
		if (kag_event_get_int(&code, ev, f) == KAG_OK)
			sb_printf(b, "=%lld", (long long)code);
		n = kag_event_item_count(ev, f);
		for (i = 0; i < n; i++) {
			if (kag_event_get_item(&s, &len, ev, f, i) == KAG_OK)
				sb_printf(b, "%s%.*s", i ? "," : "=", (int)len, s);
			else if (kag_event_get_pair(&k, &klen, &s, &len, ev, f, i) == KAG_OK)
				sb_printf(b, "%s%.*s:%.*s", i ? "," : "=", (int)klen, k, (int)len, s);
		}
	}
	sb_printf(b, "\n");
}

static void describe_error(sb *b, const kag_parser *p, int rc)
{
	sb_printf(b, "error %s line=%llu off=%llu path=%s msg=%s\n", kag_error_name(rc),
		  (unsigned long long)kag_parser_error_line(p),
		  (unsigned long long)kag_parser_error_offset(p), kag_parser_error_path(p),
		  kag_parser_error_message(p));
}

static void drain(sb *b, kag_parser *p)
{
	const kag_event *ev;
	int rc;

	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		if (rc == KAG_OK) {
			TU_REQUIRE(ev != NULL);
			describe_event(b, ev);
		} else {
			TU_REQUIRE(ev == NULL);
			describe_error(b, p, rc);
		}
	}
}

/* Records = events + errors + skipped, whatever happened. */
static void check_stats(const kag_parser *p)
{
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS),
			  kag_parser_stat(p, KAG_PSTAT_EVENTS) + kag_parser_stat(p, KAG_PSTAT_ERRORS) +
			  kag_parser_stat(p, KAG_PSTAT_SKIPPED));
}

/* Feed `in` cut at the given points (ascending), draining after each
 * chunk, then finish. Returns the malloc'd transcript. */
static char *transcript_split(kag_parser *p, const char *in, size_t len,
			      const size_t *cuts, size_t n_cuts)
{
	sb b = { NULL, 0, 0 };
	size_t prev = 0, i;

	sb_printf(&b, "%s", "");
	for (i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;

		TU_REQUIRE_INT_EQ(kag_parser_feed(p, in + prev, end - prev), KAG_OK);
		drain(&b, p);
		prev = end;
	}
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	drain(&b, p);
	check_stats(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_BYTES), len);
	return b.s;
}

/* The first line where two transcripts part, for a short message. */
static const char *first_line_diff(const char *got, const char *want)
{
	static char msg[1200];
	const char *g = got, *w = want;

	while (*g && *w) {
		size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");

		if (gl != wl || memcmp(g, w, gl) != 0)
			break;
		g += gl + (g[gl] != '\0');
		w += wl + (w[wl] != '\0');
	}
	snprintf(msg, sizeof(msg), "\n got: %.500s\nwant: %.500s", g, w);
	return msg;
}

static char *transcript(const char *in, size_t len)
{
	kag_parser *p;
	char *out;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	out = transcript_split(p, in, len, NULL, 0);
	kag_parser_free(p);
	return out;
}

#define S(lit) lit, sizeof(lit) - 1

/* Pull one event and check its verb and line. */
static const kag_event *expect_event(kag_parser *p, const char *verb, uint64_t line)
{
	const kag_event *ev = NULL;
	const char *s;
	size_t len;
	int rc = kag_parser_next(&ev, p);

	ck_assert_msg(rc == KAG_OK, "expected an event (%s), got %s: %s", verb,
		      kag_error_name(rc), kag_parser_error_message(p));
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_VERB), KAG_OK);
	ck_assert_uint_eq(len, strlen(verb));
	ck_assert(memcmp(s, verb, len) == 0);
	ck_assert_uint_eq(kag_event_line(ev), line);
	return ev;
}

/* The transcript t holds one line per record, each starting as want[i]
 * does, and nothing more. */
static void expect_records(const char *t, const char *const *want, size_t n)
{
	const char *line = t;
	size_t i;

	for (i = 0; i < n; i++) {
		ck_assert_msg(line && strncmp(line, want[i], strlen(want[i])) == 0,
			      "record %zu: want \"%s\" in:\n%.4000s", i, want[i], t);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	ck_assert_msg(line && *line == '\0', "extra records:\n%.4000s", t);
}

static void expect_error(kag_parser *p, int code, uint64_t line, uint64_t offset,
			 const char *path, const char *msg_part)
{
	const kag_event *ev = (kag_event *)1;
	int rc = kag_parser_next(&ev, p);

	ck_assert_msg(rc == code, "expected %s, got %s (%s)", kag_error_name(code),
		      kag_error_name(rc), kag_parser_error_message(p));
	ck_assert_ptr_null(ev);
	ck_assert_uint_eq(kag_parser_error_line(p), line);
	ck_assert_uint_eq(kag_parser_error_offset(p), offset);
	ck_assert_str_eq(kag_parser_error_path(p), path);
	ck_assert_msg(strstr(kag_parser_error_message(p), msg_part) != NULL,
		      "message \"%s\" lacks \"%s\"", kag_parser_error_message(p), msg_part);
}

static void expect_end(kag_parser *p)
{
	const kag_event *ev;

	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	ck_assert_ptr_null(ev);
}

static kag_parser *parser_with(const char *in, size_t len)
{
	kag_parser *p;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, in, len), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	return p;
}

/* ---- input shapes ---- */

START_TEST(one_document)
{
	static const char in[] =
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
		"\"auditID\":\"6c2a\",\"stage\":\"ResponseComplete\",\"verb\":\"get\","
		"\"user\":{\"username\":\"alice\"},\"responseStatus\":{\"code\":200}}";
	kag_parser *p;
	const kag_event *ev;
	const char *s;
	size_t len;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S(in)), KAG_OK);
	/* a closed value needs no line end */
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_str_eq(kag_event_format(ev), "native");
	ck_assert_uint_eq(kag_event_line(ev), 1);
	ck_assert_uint_eq(kag_event_offset(ev), 0);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_AUDIT_ID), KAG_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert(memcmp(s, "6c2a", 4) == 0);
	ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_RESPONSE_COMPLETE);
	ck_assert_int_eq(kag_event_level(ev), KAG_LEVEL_METADATA);
	expect_end(p);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS), 1);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 1);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 0);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_BYTES), sizeof(in) - 1);
	ck_assert_uint_eq(kag_parser_stat(p, 99), 0);
	kag_parser_free(p);
}
END_TEST

START_TEST(json_lines)
{
	static const char in[] =
		"{\"verb\":\"get\"}\n"
		"{\"verb\":\"list\"}\n"
		"{\"verb\":\"watch\"}\n";
	kag_parser *p = parser_with(S(in));

	ck_assert_uint_eq(kag_event_offset(expect_event(p, "get", 1)), 0);
	ck_assert_uint_eq(kag_event_offset(expect_event(p, "list", 2)), 15);
	ck_assert_uint_eq(kag_event_offset(expect_event(p, "watch", 3)), 31);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 3);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(pretty_printed)
{
	static const char in[] =
		"{\n"
		"  \"kind\": \"Event\",\n"
		"  \"verb\": \"create\",\n"
		"  \"objectRef\": {\n"
		"    \"resource\": \"pods\",\n"
		"    \"namespace\": \"prod\"\n"
		"  },\n"
		"  \"sourceIPs\": [\n"
		"    \"10.0.0.1\"\n"
		"  ]\n"
		"}\n"
		"{\n"
		"  \"verb\": \"delete\"\n"
		"}\n";
	kag_parser *p = parser_with(S(in));
	const kag_event *ev;
	const char *s;
	size_t len;

	ev = expect_event(p, "create", 1);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_OBJ_NAMESPACE), KAG_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS), 1);
	ev = expect_event(p, "delete", 12);
	ck_assert_uint_eq(kag_event_offset(ev), (uint64_t)(strstr(in, "}\n{") + 2 - in));
	expect_end(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(eventlist_items)
{
	static const char in[] =
		"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":["
		"{\"verb\":\"get\",\"auditID\":\"i0\"},"
		"{\"verb\":\"list\",\"auditID\":\"i1\"},"
		"{\"verb\":7,\"auditID\":\"i2\"},"
		"{\"verb\":\"watch\",\"auditID\":\"i3\"}]}\n"
		"{\"verb\":\"after\"}\n";
	kag_parser *p = parser_with(S(in));
	const kag_event *ev;

	ev = expect_event(p, "get", 1);
	ck_assert_str_eq(kag_event_format(ev), "eventlist");
	ck_assert_uint_eq(kag_event_offset(ev), 0);
	ev = expect_event(p, "list", 1);
	ck_assert_str_eq(kag_event_format(ev), "eventlist");
	expect_error(p, KAG_ESCHEMA, 1, 0, "/items/2/verb", "expected string, got integer");
	ev = expect_event(p, "watch", 1);
	ck_assert_str_eq(kag_event_format(ev), "eventlist");
	ev = expect_event(p, "after", 2);
	ck_assert_str_eq(kag_event_format(ev), "native");
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS), 5);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 4);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 1);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(eventlist_without_kind)
{
	/* An object with items and no verb is a list even without kind. */
	static const char in[] =
		"{\"items\":[{\"verb\":\"get\"}]}\n"
		"{\"kind\":\"EventList\",\"items\":{\"verb\":\"get\"}}\n"
		"{\"kind\":\"EventList\",\"items\":[]}\n"
		"{\"verb\":\"after\"}\n";
	kag_parser *p = parser_with(S(in));

	ck_assert_str_eq(kag_event_format(expect_event(p, "get", 1)), "eventlist");
	expect_error(p, KAG_ESCHEMA, 2, (uint64_t)(strchr(in, '\n') + 1 - in), "/items",
		     "expected array, got object");
	expect_event(p, "after", 4);
	expect_end(p);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(bare_array)
{
	static const char in[] =
		"[{\"verb\":\"get\"},5,{\"verb\":\"list\"},{\"user\":{\"username\":7}}]\n"
		"[]\n"
		"{\"verb\":\"after\"}\n";
	kag_parser *p = parser_with(S(in));

	ck_assert_str_eq(kag_event_format(expect_event(p, "get", 1)), "array");
	expect_error(p, KAG_ESCHEMA, 1, 0, "/1", "expected object, got integer");
	ck_assert_str_eq(kag_event_format(expect_event(p, "list", 1)), "array");
	expect_error(p, KAG_ESCHEMA, 1, 0, "/3/user/username", "expected string, got integer");
	expect_event(p, "after", 3);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 3);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 2);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

/* A pretty-printed array whose items start at column 0 is one record, not
 * a truncated one. */
START_TEST(array_items_at_column_0)
{
	static const char in[] =
		"[\n"
		"{\"verb\":\"get\"},\n"
		"{\"verb\":\"list\"}\n"
		"]\n"
		"{\"verb\":\"after\"}\n";
	kag_parser *p = parser_with(S(in));

	expect_event(p, "get", 1);
	expect_event(p, "list", 1);
	expect_event(p, "after", 5);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 0);
	kag_parser_free(p);
}
END_TEST

START_TEST(bom_crlf_blank_lines)
{
	static const char in[] =
		"\xEF\xBB\xBF{\"verb\":\"get\"}\r\n"
		"\r\n"
		"   \t\r\n"
		"{\r\n  \"verb\": \"list\"\r\n}\r\n"
		"\n"
		"{\"verb\":\"watch\"}\r\n";
	kag_parser *p = parser_with(S(in));

	ck_assert_uint_eq(kag_event_offset(expect_event(p, "get", 1)), 3);
	ck_assert_uint_eq(kag_event_offset(expect_event(p, "list", 4)),
			  (uint64_t)(strstr(in, "{\r\n") - in));
	expect_event(p, "watch", 8);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS), 3);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 0);
	kag_parser_free(p);
}
END_TEST

START_TEST(bom_only_at_start)
{
	/* A BOM in the middle of the stream is not skipped. */
	static const char in[] = "{\"verb\":\"get\"}\n\xEF\xBB\xBF{\"verb\":\"list\"}\n";
	kag_parser *p = parser_with(S(in));

	expect_event(p, "get", 1);
	expect_error(p, KAG_EPARSE, 2, 15, "", "not JSON");
	expect_end(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(node_name_prefix)
{
	static const char in[] =
		"ip-10-0-1-2.ec2.internal {\"verb\":\"get\"}\n"
		"master-0\t {\"verb\":\"list\"}\n"
		"two words {\"verb\":\"watch\"}\n"
		"{\"verb\":\"after\"}\n";
	kag_parser *p = parser_with(S(in));

	ck_assert_uint_eq(kag_event_offset(expect_event(p, "get", 1)), 25);
	expect_event(p, "list", 2);
	expect_error(p, KAG_EPARSE, 3, (uint64_t)(strstr(in, "two") - in), "",
		     "not JSON (a line of 26 bytes that starts with no JSON object or array)");
	expect_event(p, "after", 4);
	expect_end(p);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(text_line_then_stream_goes_on)
{
	static const char in[] =
		"I0501 10:00:00.000000 1 audit.go:42] starting\n"
		"{\"verb\":\"get\"}\n"
		"\x01\xff binary\n"
		"{\"verb\":\"list\"}\n";
	kag_parser *p = parser_with(S(in));

	expect_error(p, KAG_EPARSE, 1, 0, "",
		     "not JSON (a line of 45 bytes that starts with no JSON object or array)");
	expect_event(p, "get", 2);
	expect_error(p, KAG_EPARSE, 3, (uint64_t)(strstr(in, "\x01") - in), "",
		     "not JSON (a line of 9 bytes that starts with no JSON object or array)");
	expect_event(p, "list", 4);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS), 4);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 2);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(values_that_are_not_objects)
{
	static const char in[] = "42\n\"hello\"\nnull\ntrue\n{\"verb\":\"get\"}\n";
	kag_parser *p = parser_with(S(in));

	expect_error(p, KAG_ESCHEMA, 1, 0, "", "expected an audit event object, got integer");
	expect_error(p, KAG_ESCHEMA, 2, 3, "", "got string");
	expect_error(p, KAG_ESCHEMA, 3, 11, "", "got null");
	expect_error(p, KAG_ESCHEMA, 4, 16, "", "got boolean");
	expect_event(p, "get", 5);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 4);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

/* What cannot be decided before the end of input waits for finish(). */
START_TEST(incomplete_until_finish)
{
	kag_parser *p;
	const kag_event *ev;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	/* an open value */
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"get\"")), KAG_OK);
	expect_end(p);
	ck_assert_int_eq(kag_parser_feed(p, S("}")), KAG_OK);
	expect_event(p, "get", 1);
	/* a last line that is not an object: "42" could go on as "423" */
	ck_assert_int_eq(kag_parser_feed(p, S("\n42")), KAG_OK);
	expect_end(p);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_error(p, KAG_ESCHEMA, 2, 15, "", "got integer");
	expect_end(p);
	/* feeding after finish is a lifecycle error */
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"list\"}\n")), KAG_ESTATE);
	ck_assert_int_eq(kag_parser_feed(p, NULL, 0), KAG_ESTATE);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	kag_parser_free(p);

	/* an unfinished value at the end of input is truncated */
	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"get\"}\n{\"verb\":\"li")), KAG_OK);
	expect_event(p, "get", 1);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 0);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_error(p, KAG_ETRUNCATED, 2, 15, "", "input ends inside a record (truncated record)");
	expect_end(p);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(reset_restarts_stream)
{
	kag_parser *p;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_DEPTH, 3), KAG_OK);
	ck_assert_int_eq(kag_parser_set_source(p, "audit.log"), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("\n\n{\"verb\":\"get\"}\nnot json\n{\"verb\":\"li")), KAG_OK);
	expect_event(p, "get", 3);
	expect_error(p, KAG_EPARSE, 4, 17, "", "not JSON");
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS), 0);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 0);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_BYTES), 0);
	ck_assert_str_eq(kag_parser_error_message(p), "");
	/* the half record is gone, feeding works again, lines restart;
	 * options and the source name are kept */
	ck_assert_int_eq(kag_parser_feed(p, S("\xEF\xBB\xBF{\"verb\":\"list\"}\n{\"a\":[[[[1]]]]}\n")), KAG_OK);
	ck_assert_uint_eq(kag_event_offset(expect_event(p, "list", 1)), 3);
	expect_error(p, KAG_ELIMIT, 2, 19, "", "nesting deeper than 3 levels");
	expect_end(p);
	ck_assert_str_eq(kag_parser_source(p), "audit.log");
	ck_assert_int_eq(kag_parser_set_source(p, NULL), KAG_OK);
	ck_assert_str_eq(kag_parser_source(p), "");
	kag_parser_free(p);
}
END_TEST

START_TEST(reset_inside_a_list)
{
	kag_parser *p;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("[{\"verb\":\"get\"},{\"verb\":\"list\"}]\n")), KAG_OK);
	expect_event(p, "get", 1);
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	expect_end(p);
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"watch\"}")), KAG_OK);
	expect_event(p, "watch", 1);
	expect_end(p);
	kag_parser_free(p);
}
END_TEST

/* ---- any chunking gives the same events ---- */

static const char mixed[] =
	"\xEF\xBB\xBF{\"verb\":\"get\",\"auditID\":\"a1\",\"user\":{\"username\":\"alice\","
	"\"groups\":[\"dev\",\"system:authenticated\"],\"extra\":{\"scope\":[\"x\",\"y\"]}},"
	"\"stageTimestamp\":\"2024-05-01T10:00:00.123456Z\"}\r\n"
	"\r\n"
	"ip-10-0-1-2.ec2.internal {\"verb\":\"list\",\"auditID\":\"a2\",\"stage\":\"ResponseComplete\"}\n"
	"I0501 10:00:00.000 some klog line\n"
	"{\n  \"verb\": \"watch\",\n  \"auditID\": \"a3\",\n  \"objectRef\": {\"resource\": \"pods\"},\n"
	"  \"requestObject\": {\"kind\": \"Pod\", \"spec\": {}}\n}\n"
	"{\"kind\":\"EventList\",\"items\":[{\"verb\":\"create\",\"auditID\":\"a4\"},{\"verb\":5},"
	"{\"verb\":\"delete\",\"auditID\":\"a5\",\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"}}]}\n"
	"[\n{\"verb\":\"patch\",\"auditID\":\"a6\",\"responseStatus\":{\"code\":403}}\n]\n"
	"{\"verb\":\"get\",\"auditID\":\"a7\",\"user\":{\"username\":\"trunc\n"
	"{\"verb\":\"get\",\"auditID\":\"a8\",\n"
	"{\"verb\":\"get\",\"auditID\":\"a9\",\"verb\":\"list\"}\n"
	"42\n"
	"{\"verb\":\"update\",\"auditID\":\"a10\"}";

START_TEST(mixed_stream_whole)
{
	char *t = transcript(S(mixed));
	const char *want[] = {
		"event native line=1 off=3 ", "event native line=3 off=",
		"error KAG_EPARSE line=4 ", "event native line=5 ",
		"event eventlist line=11 ", "error KAG_ESCHEMA line=11 off=",
		"event eventlist line=11 ", "event array line=12 ",
		"error KAG_ETRUNCATED line=15 ", "error KAG_ETRUNCATED line=16 ",
		"error KAG_EPARSE line=17 ", "error KAG_ESCHEMA line=18 ",
		"event native line=19 ",
	};

	expect_records(t, want, sizeof(want) / sizeof(want[0]));
	ck_assert(strstr(t, "user.extra[1]=scope:x,scope:y") != NULL);
	ck_assert(strstr(t, "requestObject[1]={\"kind\":\"Pod\",\"spec\":{}}") != NULL);
	ck_assert(strstr(t, "time=1714557600123456") != NULL);
	ck_assert(strstr(t, "path=/items/1/verb") != NULL);
	ck_assert(strstr(t, "duplicate") != NULL);
	free(t);
}
END_TEST

START_TEST(every_two_way_split)
{
	char *whole = transcript(S(mixed));
	size_t cut;

	for (cut = 0; cut <= sizeof(mixed) - 1; cut++) {
		kag_parser *p;
		char *t;

		ck_assert_int_eq(new_parser(&p), KAG_OK);
		t = transcript_split(p, S(mixed), &cut, 1);
		ck_assert_msg(strcmp(t, whole) == 0, "split at %zu differs: %s", cut, first_line_diff(t, whole));
		free(t);
		kag_parser_free(p);
	}
	free(whole);
}
END_TEST

START_TEST(one_byte_chunks)
{
	char *whole = transcript(S(mixed));
	size_t cuts[sizeof(mixed)], i;
	kag_parser *p;
	char *t;

	for (i = 0; i < sizeof(mixed) - 2; i++)
		cuts[i] = i + 1;
	ck_assert_int_eq(new_parser(&p), KAG_OK);
	t = transcript_split(p, S(mixed), cuts, sizeof(mixed) - 2);
	ck_assert_msg(strcmp(t, whole) == 0, "1-byte chunks differ: %s", first_line_diff(t, whole));
	free(t);
	/* and once more on the same parser after a reset */
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	t = transcript_split(p, S(mixed), cuts, sizeof(mixed) - 2);
	ck_assert_str_eq(t, whole);
	free(t);
	kag_parser_free(p);
	free(whole);
}
END_TEST

START_TEST(empty_feeds_change_nothing)
{
	char *whole = transcript(S(mixed));
	size_t cuts[] = { 0, 0, 1, 1, 2, 3, 3, 200, 200 };
	kag_parser *p;
	char *t;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	t = transcript_split(p, S(mixed), cuts, sizeof(cuts) / sizeof(cuts[0]));
	ck_assert_str_eq(t, whole);
	free(t);
	kag_parser_free(p);
	free(whole);
}
END_TEST

/* ---- input read where it is (kag_parser_feed_nocopy) ---- */

/* Feed `in` cut at the given points, each chunk from a block of its own
 * and exactly its size, with kag_parser_feed_nocopy() (every chunk, or
 * every other one when `alternate`: the rest with kag_parser_feed()).
 * Each block is overwritten and freed once the next chunk is fed (every
 * third, once a feed of no bytes follows its chunk), as the contract
 * allows: a byte read after that is read wrong (and under
 * AddressSanitizer, reported). Returns the malloc'd transcript. */
static char *transcript_nocopy(kag_parser *p, const char *in, size_t len, const size_t *cuts,
			       size_t n_cuts, int alternate)
{
	sb b = { NULL, 0, 0 };
	size_t prev = 0, i;
	char *held = NULL;
	size_t held_len = 0;

	sb_printf(&b, "%s", "");
	for (i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len, n = end - prev;
		char *block = malloc(n ? n : 1);

		TU_REQUIRE(block != NULL);
		memcpy(block, in + prev, n);
		if (alternate && i % 2)
			TU_REQUIRE_INT_EQ(kag_parser_feed(p, block, n), KAG_OK);
		else
			TU_REQUIRE_INT_EQ(kag_parser_feed_nocopy(p, block, n), KAG_OK);
		if (held) {
			memset(held, '}', held_len);
			free(held);
		}
		held = block;
		held_len = n;
		drain(&b, p);
		if (i % 3 == 2) {
			/* a feed of no bytes takes back the parser's own buffer:
			 * the block may go at once */
			TU_REQUIRE_INT_EQ(kag_parser_feed(p, "", 0), KAG_OK);
			memset(held, '}', held_len);
			free(held);
			held = NULL;
		}
		prev = end;
	}
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	drain(&b, p);
	check_stats(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_BYTES), len);
	free(held);
	return b.s;
}

/* The cuts just past each line end of in[0, len); returns their count. */
static size_t line_cuts(const char *in, size_t len, size_t *cuts)
{
	size_t i, n = 0;

	for (i = 0; i + 1 < len; i++)
		if (in[i] == '\n')
			cuts[n++] = i + 1;
	return n;
}

START_TEST(nocopy_same_as_copied)
{
	char *whole = transcript(S(mixed));
	size_t cuts[sizeof(mixed)], n, cut, i;
	int alternate;
	kag_parser *p;
	char *t;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	for (alternate = 0; alternate < 2; alternate++) {
		/* whole lines, where nothing is copied */
		n = line_cuts(S(mixed), cuts);
		ck_assert_uint_eq(n, 18);
		ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
		t = transcript_nocopy(p, S(mixed), cuts, n, alternate);
		ck_assert_msg(strcmp(t, whole) == 0, "line by line (alternate %d) differs: %s",
			      alternate, first_line_diff(t, whole));
		free(t);
		/* anywhere: records that go on in the next chunk */
		for (cut = 0; cut <= sizeof(mixed) - 1; cut++) {
			ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
			t = transcript_nocopy(p, S(mixed), &cut, 1, alternate);
			TU_REQUIRE_MSG(strcmp(t, whole) == 0, "split at %zu (alternate %d) differs: %s",
				       cut, alternate, first_line_diff(t, whole));
			free(t);
		}
		for (i = 0; i < sizeof(mixed) - 2; i++)
			cuts[i] = i + 1;
		ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
		t = transcript_nocopy(p, S(mixed), cuts, sizeof(mixed) - 2, alternate);
		ck_assert_msg(strcmp(t, whole) == 0, "1-byte chunks (alternate %d) differ: %s",
			      alternate, first_line_diff(t, whole));
		free(t);
	}
	kag_parser_free(p);
	free(whole);
}
END_TEST

/* Whole records fed without a copy are read where they are: the parser
 * makes no block the size of the record (the control, copied, does). */
START_TEST(nocopy_makes_no_copy)
{
	static const char head[] = "{\"verb\":\"create\",\"requestObject\":{\"data\":\"";
	static const char tail[] = "\"}}\n";
	size_t body = 100000, n = sizeof(head) - 1 + body + sizeof(tail) - 1, largest;
	char *rec = malloc(n);
	const kag_event *ev;
	kag_parser *p;
	int copy;
	int (*feed)(kag_parser *, const char *, size_t);

	ck_assert_ptr_nonnull(rec);
	memcpy(rec, head, sizeof(head) - 1);
	memset(rec + sizeof(head) - 1, 'a', body);
	memcpy(rec + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	for (copy = 0; copy < 2; copy++) {
		feed = copy ? kag_parser_feed : kag_parser_feed_nocopy;
		ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
		kag__alloc_fail_at(0); /* also resets the largest-request counter */
		ck_assert_int_eq(feed(p, rec, n), KAG_OK);
		expect_event(p, "create", 1);
		ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
		largest = kag__alloc_largest();
		if (copy)
			ck_assert_uint_ge(largest, n);
		else
			ck_assert_uint_lt(largest, body);
		/* again on the same parser: the second record too */
		ck_assert_int_eq(feed(p, rec, n), KAG_OK);
		ev = expect_event(p, "create", 2);
		ck_assert_uint_eq(kag_event_offset(ev), n);
	}
	kag_parser_free(p);
	free(rec);
}
END_TEST

/* A record begun in borrowed bytes goes on in a feed that fails for want
 * of memory: the bytes stay borrowed, nothing is lost, and the feed can be
 * made again. Reset and free while borrowing give the parser's own buffer
 * back (the leak check sees the rest). */
START_TEST(nocopy_failed_feed_keeps_bytes)
{
	static const char a[] = "{\"verb\":\"get\",\"auditID\":";
	static const char b[] = "\"x1\"}\n{\"verb\":\"list\"}\n";
	const kag_event *ev;
	const char *id;
	size_t id_len;
	kag_parser *p;
	int rc;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed_nocopy(p, S(a)), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	kag__alloc_fail_at(1);
	rc = kag_parser_feed(p, S(b));
	kag__alloc_fail_at(0);
	ck_assert_int_eq(rc, KAG_ENOMEM);
	ck_assert_int_eq(kag_parser_feed(p, S(b)), KAG_OK);
	ev = expect_event(p, "get", 1);
	ck_assert_int_eq(kag_event_get_string(&id, &id_len, ev, KAG_FIELD_AUDIT_ID), KAG_OK);
	ck_assert_uint_eq(id_len, 2);
	ck_assert(memcmp(id, "x1", 2) == 0);
	expect_event(p, "list", 2);
	expect_end(p);
	/* reset and free with borrowed bytes */
	ck_assert_int_eq(kag_parser_feed_nocopy(p, S(b)), KAG_OK);
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed_nocopy(p, S(a)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_error(p, KAG_ETRUNCATED, 1, 0, "", "truncated record");
	ck_assert_int_eq(kag_parser_feed_nocopy(p, S(a)), KAG_ESTATE);
	ck_assert_int_eq(kag_parser_feed_nocopy(NULL, S(a)), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_feed_nocopy(p, NULL, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed_nocopy(p, S(b)), KAG_OK);
	kag_parser_free(p);
}
END_TEST

/* ---- records parsed at once ---- */

/* With the jansson front end, a record whose first line is in the buffer
 * is parsed straight from it; what that cannot settle goes to the framer.
 * Whole (most records at once) and in 1-byte chunks (every record framed)
 * must give the same transcript. Nesting limit 3. */
static const char at_once[] =
	"{\"verb\":\"get\",\"auditID\":\"b1\"}\n"
	/* several records on a line, the last followed by text */
	"{\"verb\":\"get\",\"auditID\":\"b2\"}{\"verb\":\"list\",\"auditID\":\"b3\"} "
	"{\"verb\":\"watch\",\"auditID\":\"b4\"} trailing\n"
	/* jansson drops a NUL byte after a number: framed, and still an event */
	"{\"verb\":\"get\",\"auditID\":\"b5\",\"x\":{\"y\":1\0}}\n"
	/* valid JSON, but a line starts with '{' inside it: the framer cuts it */
	"{\"verb\":\"get\",\"auditID\":\"b6\",\"requestObject\":\n{\"a\":1}}\n"
	/* pretty-printed: at once, lines counted */
	"{\n  \"verb\": \"create\",\n  \"auditID\": \"b7\",\n  \"user\": {\"username\": \"u\"}\n}\n"
	/* more brackets than levels, in strings: the tree is walked */
	"{\"verb\":\"get\",\"auditID\":\"b8\",\"userAgent\":\"{{[[\",\"x\":[[]]}\n"
	/* at the nesting limit, then over it */
	"{\"verb\":\"get\",\"auditID\":\"b9\",\"x\":{\"a\":{\"b\":1}}}\n"
	"{\"verb\":\"get\",\"auditID\":\"b10\",\"x\":{\"a\":{\"b\":{}}}}\n"
	/* invalid JSON: jansson's message and position */
	"{\"verb\":\"get\",\"auditID\":\"b11\",}\n"
	/* a record over several lines that is not all there yet at its start
	 * when fed in chunks, and a list */
	"[{\"verb\":\"get\",\"auditID\":\"b12\"},\n {\"verb\":\"list\",\"auditID\":\"b13\"}]\n"
	"{\"verb\":\"get\",\"auditID\":\"b14\"}";

static kag_parser *at_once_parser(void)
{
	kag_parser *p;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, KAG_FRONTEND_JANSSON), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_DEPTH, 3), KAG_OK);
	return p;
}

START_TEST(at_once_same_as_framed)
{
	const char *want[] = {
		"event native line=1 off=0 ", "event native line=2 off=30 ",
		"event native line=2 off=59 ", "event native line=2 off=90 ",
		"error KAG_EPARSE line=2 off=122 path= msg=not JSON (a line of 8 bytes that starts with no JSON object or array)",
		"event native line=3 off=131 ",
		"error KAG_ETRUNCATED line=4 off=174 ", "error KAG_ESCHEMA line=5 off=220 ",
		"error KAG_EPARSE line=5 off=227 ", "event native line=6 off=229 ",
		"event native line=11 off=300 ", "event native line=12 off=358 ",
		"error KAG_ELIMIT line=13 off=406 ", "error KAG_EPARSE line=14 off=487 ",
		"event array line=15 off=488 ", "event array line=15 off=488 ",
		"event native line=17 off=555 ",
	};
	size_t cuts[sizeof(at_once)], i;
	kag_parser *p = at_once_parser();
	char *whole = transcript_split(p, S(at_once), NULL, 0), *t;

	expect_records(whole, want, sizeof(want) / sizeof(want[0]));
	ck_assert(strstr(whole, "record is incomplete: a new record starts on the next line") != NULL);
	ck_assert(strstr(whole, "nesting deeper than 3 levels") != NULL);
	ck_assert(strstr(whole, "invalid JSON: ") != NULL);
	ck_assert(strstr(whole, "user.username[1]=u") != NULL);
	/* b1-b4, b7, b8, b9 and the list (b14, without its line end, is
	 * framed before finish) */
	ck_assert_uint_eq(kag__parser_records_at_once(p), 8);
	kag_parser_free(p);

	for (i = 0; i < sizeof(at_once) - 2; i++)
		cuts[i] = i + 1;
	p = at_once_parser();
	t = transcript_split(p, S(at_once), cuts, sizeof(at_once) - 2);
	ck_assert_msg(strcmp(t, whole) == 0, "1-byte chunks differ: %s", first_line_diff(t, whole));
	ck_assert_uint_eq(kag__parser_records_at_once(p), 0);
	free(t);
	kag_parser_free(p);

	for (i = 0; i <= sizeof(at_once) - 1; i++) {
		p = at_once_parser();
		t = transcript_split(p, S(at_once), &i, 1);
		ck_assert_msg(strcmp(t, whole) == 0, "split at %zu differs: %s", i,
			      first_line_diff(t, whole));
		free(t);
		kag_parser_free(p);
	}
	free(whole);
}
END_TEST

/* A record longer than a string may be is checked against the budgets
 * first: one with too long a string is framed (the framer reports it),
 * the others are parsed at once. */
START_TEST(at_once_string_limit)
{
	static const char in[] =
		"{\"verb\":\"get\"}\n"
		"{\"verb\":\"get\",\"userAgent\":\"abcdefghijklmnopq\"}\n"
		"{\"verb\":\"get\",\"userAgent\":\"abcdefghijklmnop\"}\n";
	kag_parser *p = at_once_parser();

	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_STRING_BYTES, 16), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S(in)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_event(p, "get", 1);
	expect_error(p, KAG_ELIMIT, 2, 15, "", "a string is longer than 16 bytes");
	expect_event(p, "get", 3);
	expect_end(p);
	ck_assert_uint_eq(kag__parser_records_at_once(p), 2);
	kag_parser_free(p);
}
END_TEST

/* Transcripts of `in` fed whole (read before and after finish), in 1-byte
 * chunks and cut at every `step`-th byte must be the same (parser options
 * as `make` sets them).
 * Returns the whole one, and *at_once_out the records it read at once. */
static char *same_in_any_chunks(kag_parser *(*make)(void), const char *in, size_t len,
				size_t step, uint64_t *at_once_out)
{
	size_t *cuts = malloc(len * sizeof(*cuts)), i;
	kag_parser *p = make();
	char *whole = transcript_split(p, in, len, NULL, 0), *t;

	ck_assert_ptr_nonnull(cuts);
	*at_once_out = kag__parser_records_at_once(p);
	kag_parser_free(p);
	/* finished before the first record is read: the last record, too,
	 * is read at once */
	p = make();
	ck_assert_int_eq(kag_parser_feed(p, in, len), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	{
		sb b = { NULL, 0, 0 };

		sb_printf(&b, "%s", "");
		drain(&b, p);
		ck_assert_msg(strcmp(b.s, whole) == 0, "finished first differs: %s",
			      first_line_diff(b.s, whole));
		free(b.s);
	}
	kag_parser_free(p);
	for (i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	p = make();
	t = transcript_split(p, in, len, cuts, len - 1);
	ck_assert_msg(strcmp(t, whole) == 0, "1-byte chunks differ: %s", first_line_diff(t, whole));
	ck_assert_uint_eq(kag__parser_records_at_once(p), 0);
	free(t);
	kag_parser_free(p);
	for (i = 1; i < len; i += step) {
		p = make();
		t = transcript_split(p, in, len, &i, 1);
		ck_assert_msg(strcmp(t, whole) == 0, "split at %zu differs: %s", i,
			      first_line_diff(t, whole));
		free(t);
		kag_parser_free(p);
	}
	free(cuts);
	return whole;
}

/* The first line of a record is looked at once for its line end, NUL
 * bytes and brackets (32 bytes at a time where the processor can); what
 * it finds must settle each record as the framer would: records longer
 * than a block, with a NUL byte after the record or inside it, with
 * brackets in strings, and over several lines. Nesting limit 3. */
START_TEST(at_once_first_line)
{
	static const char in[] =
		/* a NUL byte after the record, on its line: at once, then
		 * the rest of the line is not JSON */
		"{\"verb\":\"get\",\"auditID\":\"f1\",\"userAgent\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}"
		"\0tail\n"
		/* a NUL byte ending a number past the first 64 bytes: framed */
		"{\"verb\":\"get\",\"auditID\":\"f2\",\"userAgent\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		"\"x\":[1\0]}\n"
		/* a first line longer than 64 bytes with brackets in a string,
		 * more than the limit, then a second line: at once, the tree
		 * is walked */
		"{\"verb\":\"get\",\"auditID\":\"f3\",\"userAgent\":"
		"\"{{[[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\n"
		" \"x\":{\"y\":[1]}}\n"
		/* the same one level deeper: the framer reports it */
		"{\"verb\":\"get\",\"auditID\":\"f4\",\"userAgent\":"
		"\"{{[[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\n"
		" \"x\":{\"y\":[[1]]}}\n"
		/* a line end followed by '{' inside a long record: cut short */
		"{\"verb\":\"get\",\"auditID\":\"f5\",\"userAgent\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		"\"requestObject\":\n{\"a\":1}}\n"
		/* exactly 32 and 64 bytes before the line end, then at the
		 * limit and one over it on one line */
		"{\"verb\":\"get\",\"auditID\":\"f6___\"}\n"
		"{\"verb\":\"get\",\"auditID\":\"f7\",\"userAgent\":\"aaaaaaaaaaaaaaaaaaaa\"}\n"
		"{\"verb\":\"get\",\"auditID\":\"f8\",\"x\":[{\"a\":1}]}\n"
		"{\"verb\":\"get\",\"auditID\":\"f9\",\"x\":[{\"a\":[]}]}\n"
		/* the last record, without a line end */
		"{\"verb\":\"get\",\"auditID\":\"f10\",\"x\":[[1]]}";
	const char *want[] = {
		"event native line=1 off=0 ", "error KAG_EPARSE line=1 off=", /* "?tail" */
		"event native line=2 off=", "event native line=3 off=",
		"error KAG_ELIMIT line=5 off=", "error KAG_ETRUNCATED line=7 off=",
		"error KAG_ESCHEMA line=8 off=", "error KAG_EPARSE line=8 off=",
		"event native line=9 off=",
		"event native line=10 off=", "event native line=11 off=",
		"error KAG_ELIMIT line=12 off=", "event native line=13 off=",
	};
	uint64_t read_at_once;
	char *whole = same_in_any_chunks(at_once_parser, in, sizeof(in) - 1, 1, &read_at_once);

	ck_assert_uint_eq(strlen("{\"verb\":\"get\",\"auditID\":\"f6___\"}"), 32);
	ck_assert_uint_eq(strlen("{\"verb\":\"get\",\"auditID\":\"f7\",\"userAgent\":\"aaaaaaaaaaaaaaaaaaaa\"}"),
			  64);
	expect_records(whole, want, sizeof(want) / sizeof(want[0]));
	ck_assert(strstr(whole, "not JSON (a line of 5 bytes that starts with no JSON object or array)") != NULL);
	ck_assert(strstr(whole, "auditID[1]=f2") != NULL);
	ck_assert(strstr(whole, "nesting deeper than 3 levels") != NULL);
	ck_assert(strstr(whole, "record is incomplete: a new record starts on the next line") != NULL);
	/* f1, f3, f6, f7 and f8 (the rest of f5's line was read with f5, and
	 * f10, without its line end, is framed before finish) */
	ck_assert_uint_eq(read_at_once, 5);
	free(whole);
}
END_TEST

static kag_parser *deep_parser(void)
{
	kag_parser *p = at_once_parser();

	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_DEPTH, 300), KAG_OK);
	return p;
}

/* Append a record whose userAgent holds `in_string` bytes c and whose
 * member x is nested `levels` arrays deep. */
static size_t bracket_record(char *buf, size_t n, const char *id, size_t in_string, char c,
			     size_t levels)
{
	size_t i;

	n += (size_t)sprintf(buf + n, "{\"verb\":\"get\",\"auditID\":\"%s\",\"userAgent\":\"", id);
	for (i = 0; i < in_string; i++)
		buf[n++] = c;
	n += (size_t)sprintf(buf + n, "\",\"x\":");
	for (i = 0; i < levels; i++)
		buf[n++] = '[';
	buf[n++] = '1';
	for (i = 0; i < levels; i++)
		buf[n++] = ']';
	n += (size_t)sprintf(buf + n, "}\n");
	return n;
}

/* Brackets are counted over long lines (more of them than one counter of
 * the 32-byte pass holds), and the limit still holds exactly: nesting at
 * the limit (300) and one level over it, with and without thousands of
 * brackets in a string. */
START_TEST(at_once_many_brackets)
{
	const char *want[] = {
		"event native line=1 ", "error KAG_ELIMIT line=2 ", "event native line=3 ",
		"error KAG_ELIMIT line=4 ", "event native line=5 ", "event native line=6 ",
		"error KAG_ELIMIT line=7 ",
	};
	char *in = malloc(64 * 1024), *whole;
	uint64_t read_at_once;
	size_t n = 0;

	ck_assert_ptr_nonnull(in);
	/* the record object and 299 arrays: 300 levels, 9300 brackets */
	n = bracket_record(in, n, "g1", 9000, '[', 299);
	n = bracket_record(in, n, "g2", 9000, '{', 300);
	/* 300 brackets in all, all of them levels */
	n = bracket_record(in, n, "g3", 0, '[', 299);
	n = bracket_record(in, n, "g4", 0, '[', 300);
	/* shallow, brackets in the string only */
	n = bracket_record(in, n, "g5", 9000, '{', 1);
	n = bracket_record(in, n, "g6", 299, '[', 0);
	/* 254 brackets of the string for each of the 32 counters, then
	 * 301 levels: a counter that wrapped would find fewer than 300 */
	n = bracket_record(in, n, "g7", 254 * 32, '[', 300);
	whole = same_in_any_chunks(deep_parser, in, n, 4099, &read_at_once);
	expect_records(whole, want, sizeof(want) / sizeof(want[0]));
	ck_assert(strstr(whole, "nesting deeper than 300 levels") != NULL);
	/* g1 and g5 by a walk of the tree, g3 and g6 by the count */
	ck_assert_uint_eq(read_at_once, 4);
	free(whole);
	free(in);
}
END_TEST

/* Where the bytes that matter fall in the 32-byte blocks of the first
 * line's pass: a record that is one level too deep, or that has a NUL byte
 * after a number, is moved along a byte at a time; each must be settled
 * as the framer settles it. Nesting limit 3. */
START_TEST(at_once_block_edges)
{
	char in[256];
	size_t pad, n;
	uint64_t read_at_once;
	char *whole;
	int kind;

	for (kind = 0; kind < 3; kind++) {
		for (pad = 0; pad < 100; pad++) {
			n = (size_t)sprintf(in, "{\"verb\":\"get\",\"auditID\":\"h\",\"u\":\"%*s\",",
					    (int)pad, "");
			if (kind == 0)
				n += (size_t)sprintf(in + n, "\"x\":[[[1]]]}\n");
			else if (kind == 1)
				n += (size_t)sprintf(in + n, "\"x\":[[1]]}\n");
			else
				n += (size_t)sprintf(in + n, "\"x\":[1%c]}\n", 0);
			whole = same_in_any_chunks(at_once_parser, in, n, n, &read_at_once);
			if (kind == 0) {
				ck_assert_msg(strncmp(whole, "error KAG_ELIMIT line=1 off=0 ", 30) == 0,
					      "pad %zu: %s", pad, whole);
				ck_assert_uint_eq(read_at_once, 0);
			} else {
				ck_assert_msg(strncmp(whole, "event native line=1 off=0 ", 26) == 0 &&
					      strchr(whole, '\n') == whole + strlen(whole) - 1,
					      "pad %zu: %s", pad, whole);
				ck_assert_uint_eq(read_at_once, kind == 1 ? 1 : 0);
			}
			free(whole);
		}
	}
}
END_TEST

/* An oauth-server login event (the decision annotation) read by the
 * jansson front end: format "openshift-oauth" for a top-level record,
 * not for an EventList item or another annotation of the same length. */
START_TEST(oauth_format_jansson)
{
	static const char in[] =
		"{\"verb\":\"post\",\"annotations\":{\"a\":\"b\","
		"\"authentication.openshift.io/decision\":\"deny\"}}\n"
		"{\"verb\":\"post\",\"annotations\":{\"authentication.openshift.io/decisioN\":\"deny\"}}\n"
		"{\"kind\":\"EventList\",\"items\":[{\"verb\":\"post\",\"annotations\":"
		"{\"authentication.openshift.io/decision\":\"deny\"}}]}\n";
	kag_parser *p;
	const kag_event *ev;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, KAG_FRONTEND_JANSSON), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S(in)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	ev = expect_event(p, "post", 1);
	ck_assert_str_eq(kag_event_format(ev), "openshift-oauth");
	ev = expect_event(p, "post", 2);
	ck_assert_str_eq(kag_event_format(ev), "native");
	ev = expect_event(p, "post", 3);
	ck_assert_str_eq(kag_event_format(ev), "eventlist");
	expect_end(p);
	kag_parser_free(p);
}
END_TEST

/* ---- the members of a record ---- */

/* In KAG__K_* order. */
static const char *const member_names[KAG__K_COUNT_] = {
	"kind", "apiVersion", "auditID", "stage", "level", "verb", "requestURI", "userAgent",
	"requestReceivedTimestamp", "stageTimestamp", "timestamp", "user", "impersonatedUser",
	"sourceIPs", "objectRef", "responseStatus", "annotations", "requestObject",
	"responseObject", "items", "AuditId", "k8s_audit_level", "openshift_audit_level",
	"log_type", "Type", "protoPayload", "category", "Category", "properties", "log_s",
	"message", "@message", "records", "tables", "logEvents", "awslogs", "events",
	"resourceLogs",
};

static void check_members(json_t *o, int present)
{
	kag__keys k;
	int i;

	kag__keys_scan(&k, o);
	ck_assert_ptr_eq(k.obj, o);
	for (i = 0; i < KAG__K_COUNT_; i++) {
		ck_assert_msg(k.v[i] == (present ? json_object_get(o, member_names[i]) : NULL),
			      "member %d (%s)", i, member_names[i]);
		if (present)
			ck_assert_int_eq(json_integer_value(k.v[i]), i);
	}
}

START_TEST(member_scan)
{
	static const char *const near[] = {
		"verbs", "Verb", "ver", "", "kind\x01", "requestReceivedTimestamp_", "@messages",
		"auditId", "AuditID", "event", "record", "log_S", "category ", "objectref",
	};
	json_t *o = json_object();
	char key[16];
	size_t i;

	ck_assert_ptr_nonnull(o);
	check_members(o, 0);
	for (i = 0; i < sizeof(near) / sizeof(near[0]); i++)
		ck_assert_int_eq(json_object_set_new(o, near[i], json_integer(-1)), 0);
	check_members(o, 0);
	for (i = 0; i < KAG__K_COUNT_; i++)
		ck_assert_int_eq(json_object_set_new(o, member_names[i], json_integer((json_int_t)i)), 0);
	check_members(o, 1);
	/* a large object is searched by key */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "pad%zu", i);
		ck_assert_int_eq(json_object_set_new(o, key, json_integer(-1)), 0);
	}
	check_members(o, 1);
	json_decref(o);
}
END_TEST

/* Records and sub-objects with many members read like small ones. */
START_TEST(many_members)
{
	char *in = malloc(8192);
	size_t n = 0, i;
	kag_parser *p;
	const kag_event *ev;
	const char *s;
	size_t len;
	int side;

	ck_assert_ptr_nonnull(in);
	for (side = 0; side < 2; side++) {
		n = 0;
		n += (size_t)snprintf(in + n, 8192 - n, "{\"verb\":\"get\",\"user\":{\"username\":\"u\"");
		for (i = 0; side && i < 80; i++)
			n += (size_t)snprintf(in + n, 8192 - n, ",\"pad%zu\":%zu", i, i);
		n += (size_t)snprintf(in + n, 8192 - n, ",\"groups\":[\"g\"]},\"auditID\":\"a\"");
		for (i = 0; side && i < 80; i++)
			n += (size_t)snprintf(in + n, 8192 - n, ",\"pad%zu\":%zu", i, i);
		n += (size_t)snprintf(in + n, 8192 - n,
				      ",\"objectRef\":{\"resource\":\"pods\"},\"stage\":\"ResponseComplete\"}\n");
		p = at_once_parser();
		ck_assert_int_eq(kag_parser_feed(p, in, n), KAG_OK);
		ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		ev = expect_event(p, "get", 1);
		ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_USER_USERNAME), KAG_OK);
		ck_assert(len == 1 && s[0] == 'u');
		ck_assert_int_eq(kag_event_get_item(&s, &len, ev, KAG_FIELD_USER_GROUPS, 0), KAG_OK);
		ck_assert(len == 1 && s[0] == 'g');
		ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_AUDIT_ID), KAG_OK);
		ck_assert(len == 1 && s[0] == 'a');
		ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_OBJ_RESOURCE), KAG_OK);
		ck_assert(len == 4 && memcmp(s, "pods", 4) == 0);
		ck_assert_int_eq(kag_event_stage(ev), KAG_STAGE_RESPONSE_COMPLETE);
		expect_end(p);
		kag_parser_free(p);
	}
	free(in);
}
END_TEST

/* ---- hostile records: each is reported and the next record still parses ---- */

static const char good[] = "{\"verb\":\"ok\",\"auditID\":\"after\"}\n";

/* Feed `in` then a good record, in chunks of `chunk` bytes (0: at once). */
static kag_parser *hostile(const char *in, size_t len, size_t chunk, int opt, uint64_t val)
{
	kag_parser *p;
	size_t off;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	if (opt)
		ck_assert_int_eq(kag_parser_set_option_u64(p, opt, val), KAG_OK);
	if (!chunk)
		chunk = len ? len : 1;
	for (off = 0; off < len; off += chunk)
		ck_assert_int_eq(kag_parser_feed(p, in + off, len - off < chunk ? len - off : chunk),
				 KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S(good)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	return p;
}

static uint64_t lines_in(const char *s, size_t len)
{
	uint64_t n = 1;
	size_t i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* The good record after the hostile one, then the end; one error in all. */
static void then_good(kag_parser *p, const char *in, size_t len)
{
	expect_event(p, "ok", lines_in(in, len));
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 1);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 1);
	check_stats(p);
	kag_parser_free(p);
}

#define HOSTILE(in, opt, val, code, line, off, path, msg) do { \
		kag_parser *hp_ = hostile(S(in), 0, opt, val); \
		expect_error(hp_, code, line, off, path, msg); \
		then_good(hp_, S(in)); \
	} while (0)

START_TEST(malformed_json)
{
	HOSTILE("{\"verb\":\"get\",}\n", 0, 0, KAG_EPARSE, 1, 15, "", "invalid JSON: ");
	HOSTILE("{\"verb\" \"get\"}\n", 0, 0, KAG_EPARSE, 1, 13, "", "invalid JSON");
	/* in a pretty-printed document the line is the line of the fault */
	HOSTILE("\n{\n  \"verb\": \"get\",\n  \"user\": {\"username\": tru}\n}\n", 0, 0,
		KAG_EPARSE, 4, 46, "", "invalid JSON");
	{
		/* a stray closing brace after a complete record */
		static const char in[] = "{\"verb\":\"get\"}}\n";
		kag_parser *p = hostile(S(in), 0, 0, 0);

		expect_event(p, "get", 1);
		expect_error(p, KAG_EPARSE, 1, 14, "", "not JSON (a line of 1 bytes that starts with no JSON object or array)");
		expect_event(p, "ok", 2);
		expect_end(p);
		check_stats(p);
		kag_parser_free(p);
	}
}
END_TEST

START_TEST(truncated_mid_string)
{
	static const char in[] = "{\"verb\":\"get\",\"user\":{\"username\":\"al\n";
	kag_parser *p = hostile(S(in), 0, 0, 0);

	expect_error(p, KAG_ETRUNCATED, 1, 0, "",
		     "record ends inside a string at a line end (truncated record)");
	then_good(p, S(in));
	{
		/* a backslash before the line end changes nothing: a string
		 * cannot hold a line end, escaped or not (whole, and a byte
		 * at a time: the line end then comes after the escape) */
		static const char esc[] = "{\"verb\":\"get\",\"user\":{\"username\":\"al\\\n";
		size_t chunk;

		for (chunk = 0; chunk <= 1; chunk++) {
			p = hostile(S(esc), chunk, 0, 0);
			expect_error(p, KAG_ETRUNCATED, 1, 0, "",
				     "record ends inside a string at a line end (truncated record)");
			then_good(p, S(esc));
		}
	}
}
END_TEST

START_TEST(truncated_mid_structure)
{
	static const char in[] = "{}\n{\"verb\":\"get\",\"user\":{\"username\":\"al\"\n";
	kag_parser *p = hostile(S(in), 0, 0, 0);

	expect_error(p, KAG_ESCHEMA, 1, 0, "", "not an audit event");
	expect_error(p, KAG_ETRUNCATED, 2, 3, "",
		     "record is incomplete: a new record starts on the next line");
	expect_event(p, "ok", 3);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_ERRORS), 2);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(truncated_at_end_of_input)
{
	kag_parser *p;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S(good)), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"get\",\n  \"user\": {")), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_event(p, "ok", 1);
	expect_error(p, KAG_ETRUNCATED, 2, sizeof(good) - 1, "",
		     "input ends inside a record (truncated record)");
	expect_end(p);
	check_stats(p);
	kag_parser_free(p);
}
END_TEST

START_TEST(nesting_too_deep)
{
	char deep[300];
	size_t n = 0, i;

	{
		/* at the limit: fine; one more level: rejected */
		static const char in[] =
			"{\"verb\":\"get\",\"requestObject\":{\"a\":[{}]}}\n{\"verb\":[[[[]]]]}\n";
		kag_parser *p = hostile(S(in), 0, KAG_OPT_MAX_DEPTH, 4);

		expect_event(p, "get", 1);
		expect_error(p, KAG_ELIMIT, 2, (uint64_t)(strchr(in, '\n') + 1 - in), "",
			     "nesting deeper than 4 levels");
		expect_event(p, "ok", 3);
		expect_end(p);
		check_stats(p);
		kag_parser_free(p);
	}
	/* the default limit is 64 */
	n += (size_t)snprintf(deep, sizeof(deep), "{\"verb\":\"get\",\"requestObject\":");
	for (i = 0; i < 64; i++)
		deep[n++] = '[';
	for (i = 0; i < 64; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n++] = '\n';
	{
		kag_parser *p = hostile(deep, n, 0, 0, 0);

		expect_error(p, KAG_ELIMIT, 1, 0, "", "nesting deeper than 64 levels");
		then_good(p, deep, n);
	}
}
END_TEST

START_TEST(record_too_large)
{
	HOSTILE("{\"verb\":\"get\",\"userAgent\":\"0123456789012345678901234567890123456789\"}\n",
		KAG_OPT_MAX_RECORD_BYTES, 64, KAG_ELIMIT, 1, 0, "", "record larger than 64 bytes");
	/* exactly at the limit is accepted */
	{
		static const char in[] = "{\"verb\":\"get\",\"userAgent\":\"0123456789\"}\n";
		kag_parser *p = hostile(S(in), 0, KAG_OPT_MAX_RECORD_BYTES, sizeof(in) - 2);

		expect_event(p, "get", 1);
		expect_event(p, "ok", 2);
		expect_end(p);
		kag_parser_free(p);
	}
}
END_TEST

/* A huge record fed in small chunks is dropped as it comes: the parser's
 * memory stays near the limit, not near the record size. */
static size_t largest_alloc_for(size_t total, size_t chunk, uint64_t limit, int multi_line,
				int *code_out)
{
	char *big = malloc(total + 64);
	size_t n = 0, largest, off, items = 0;
	kag_parser *p;
	const kag_event *ev;
	int rc;

	ck_assert_ptr_nonnull(big);
	n += (size_t)snprintf(big, 64, "{\"verb\":\"get\",\"x\":[");
	while (n < total) {
		memcpy(big + n, multi_line && ++items % 16 == 0 ? "\"ab\",\n" : "\"ab\", ", 6);
		n += 6;
	}
	memcpy(big + n, "\"\"]}\n", 5);
	n += 5;
	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_RECORD_BYTES, limit), KAG_OK);
	kag__alloc_fail_at(0); /* also resets the largest-request counter */
	*code_out = 0;
	for (off = 0; off < n; off += chunk) {
		TU_REQUIRE_INT_EQ(kag_parser_feed(p, big + off, n - off < chunk ? n - off : chunk),
				  KAG_OK);
		while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
			TU_REQUIRE_INT_EQ(*code_out, 0);
			*code_out = rc;
		}
	}
	largest = kag__alloc_largest();
	ck_assert_int_eq(kag_parser_feed(p, S(good)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_event(p, "ok", lines_in(big, n));
	expect_end(p);
	check_stats(p);
	kag_parser_free(p);
	free(big);
	return largest;
}

START_TEST(record_too_large_memory_bounded)
{
	int code;

	/* control: with room for it, the record is buffered whole */
	ck_assert_uint_ge(largest_alloc_for(200000, 100, 16u << 20, 0, &code), 200000);
	ck_assert_int_eq(code, KAG_OK);
	/* over the limit: dropped while it streams in */
	ck_assert_uint_le(largest_alloc_for(200000, 100, 1000, 0, &code), 4096);
	ck_assert_int_eq(code, KAG_ELIMIT);
	ck_assert_uint_le(largest_alloc_for(200000, 7, 1000, 1, &code), 4096);
	ck_assert_int_eq(code, KAG_ELIMIT);
	ck_assert_uint_le(largest_alloc_for(200000, 1, 1000, 1, &code), 4096);
	ck_assert_int_eq(code, KAG_ELIMIT);
}
END_TEST

/* A long line of text without JSON is one error, however it is chunked,
 * and braces inside it do not start records. */
START_TEST(long_text_line)
{
	static const size_t chunks[] = { 1, 4, 13, 40, 121, 364, 1093, 3280, 0 };
	size_t n = 5000, i;
	char *in = malloc(n + 1);

	ck_assert_ptr_nonnull(in);
	memset(in, 'x', n);
	memcpy(in + 2000, "{\"verb\":\"hidden\"}", 17);
	in[n] = '\n';
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		size_t chunk = chunks[i] ? chunks[i] : n + 1, off;
		kag_parser *p;
		const kag_event *ev;

		ck_assert_int_eq(new_parser(&p), KAG_OK);
		ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_RECORD_BYTES, 256), KAG_OK);
		kag__alloc_fail_at(0);
		for (off = 0; off < n + 1; off += chunk) {
			ck_assert_int_eq(kag_parser_feed(p, in + off, n + 1 - off < chunk ? n + 1 - off : chunk),
					 KAG_OK);
			if (!chunks[i])
				continue;
			/* the error comes as soon as the line is over the limit */
			if (off + chunk > 256 && kag_parser_stat(p, KAG_PSTAT_ERRORS) == 0)
				expect_error(p, KAG_ELIMIT, 1, 0, "",
					     "text line longer than 256 bytes");
			ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
		}
		if (chunks[i]) {
			/* dropped as it streamed in */
			ck_assert_uint_le(kag__alloc_largest(), 2 * (chunk + 256) + 512);
		} else {
			/* complete in one piece: judged as a whole line */
			expect_error(p, KAG_EPARSE, 1, 0, "", "not JSON (a line of 5000 bytes that starts with no JSON object or array)");
		}
		ck_assert_int_eq(kag_parser_feed(p, S(good)), KAG_OK);
		ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		then_good(p, in, n + 1);
	}
	free(in);
}
END_TEST

START_TEST(string_too_long)
{
	HOSTILE("{\"verb\":\"get\",\"userAgent\":\"abcdefghijklmnopq\"}\n", KAG_OPT_MAX_STRING_BYTES, 16,
		KAG_ELIMIT, 1, 0, "", "a string is longer than 16 bytes");
	/* keys count too */
	HOSTILE("{\"verb\":\"get\",\"abcdefghijklmnopq\":1}\n", KAG_OPT_MAX_STRING_BYTES, 16,
		KAG_ELIMIT, 1, 0, "", "a string is longer than 16 bytes");
	{
		static const char in[] = "{\"verb\":\"get\",\"userAgent\":\"abcdefghijklmnop\"}\n";
		kag_parser *p = hostile(S(in), 0, KAG_OPT_MAX_STRING_BYTES, 16);

		expect_event(p, "get", 1);
		expect_event(p, "ok", 2);
		expect_end(p);
		kag_parser_free(p);
	}
}
END_TEST

START_TEST(invalid_utf8_and_nul)
{
	HOSTILE("{\"verb\":\"g\xff\"}\n", 0, 0, KAG_EPARSE, 1, 10, "", "invalid JSON");
	HOSTILE("{\"verb\":\"g\xc3\x28\"}\n", 0, 0, KAG_EPARSE, 1, 10, "", "invalid JSON");
	HOSTILE("{\"verb\":\"\xed\xa0\x80\"}\n", 0, 0, KAG_EPARSE, 1, 9, "", "invalid JSON");
	HOSTILE("{\"verb\":\"g\0t\"}\n", 0, 0, KAG_EPARSE, 1, 10, "", "invalid JSON: control character in a string");
	HOSTILE("{\"verb\":\"get\"\0}\n", 0, 0, KAG_EPARSE, 1, 14, "", "invalid JSON");
	HOSTILE("{\"verb\":\"get\",\"a\\u0000b\":1}\n", 0, 0, KAG_EPARSE, 1, 24, "", "NUL byte in object key");
}
END_TEST

START_TEST(wrong_types)
{
	HOSTILE("{\"verb\":5}\n", 0, 0, KAG_ESCHEMA, 1, 0, "/verb", "expected string, got integer");
	HOSTILE("{\"verb\":\"get\",\"user\":\"x\"}\n", 0, 0, KAG_ESCHEMA, 1, 0, "/user",
		"expected object, got string");
	HOSTILE("{\"verb\":\"get\",\"sourceIPs\":\"1.2.3.4\"}\n", 0, 0, KAG_ESCHEMA, 1, 0, "/sourceIPs",
		"expected array, got string");
	HOSTILE("{\"verb\":\"get\",\"sourceIPs\":[\"1.2.3.4\",7]}\n", 0, 0, KAG_ESCHEMA, 1, 0, "/sourceIPs/1",
		"expected string, got integer");
	HOSTILE("{\"verb\":\"get\",\"responseStatus\":{\"code\":\"200\"}}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/responseStatus/code", "expected integer, got string");
	HOSTILE("{\"verb\":\"get\",\"responseStatus\":{\"code\":200.5}}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/responseStatus/code", "expected integer, got number");
	HOSTILE("{\"kind\":0}\n", 0, 0, KAG_ESCHEMA, 1, 0, "/kind", "expected string, got integer");
	HOSTILE("{\"verb\":\"get\",\"apiVersion\":[]}\n", 0, 0, KAG_ESCHEMA, 1, 0, "/apiVersion",
		"expected string, got array");
	HOSTILE("{\"verb\":\"get\",\"user\":{\"groups\":[\"a\",{}]}}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/user/groups/1", "expected string, got object");
	HOSTILE("{\"verb\":\"get\",\"user\":{\"extra\":{\"k\":[1]}}}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/user/extra/k/0", "expected string, got integer");
	HOSTILE("{\"verb\":\"get\",\"impersonatedUser\":{\"username\":true}}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/impersonatedUser/username", "expected string, got boolean");
	HOSTILE("{\"verb\":\"get\",\"objectRef\":{\"namespace\":null,\"name\":1}}\n", 0, 0, KAG_ESCHEMA,
		1, 0, "/objectRef/name", "expected string, got integer");
	HOSTILE("{\"verb\":\"get\",\"annotations\":{\"a\":false}}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/annotations/a", "expected string, got boolean");
	HOSTILE("{\"verb\":\"get\",\"stageTimestamp\":1714557600}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/stageTimestamp", "expected string, got integer");
	/* in a list the path names the item */
	HOSTILE("{\"kind\":\"EventList\",\"items\":[{\"kind\":0}]}\n", 0, 0, KAG_ESCHEMA, 1, 0,
		"/items/0/kind", "expected string, got integer");
}
END_TEST

START_TEST(not_an_audit_event)
{
	HOSTILE("{\"foo\":1,\"kind\":\"Pod\"}\n", 0, 0, KAG_ESCHEMA, 1, 0, "",
		"not an audit event: none of verb, auditID, stage, requestURI, objectRef, user is present");
	HOSTILE("{\"verb\":null,\"user\":null}\n", 0, 0, KAG_ESCHEMA, 1, 0, "", "not an audit event");
	HOSTILE("[{\"foo\":1}]\n", 0, 0, KAG_ESCHEMA, 1, 0, "/0", "not an audit event");
}
END_TEST

START_TEST(duplicate_keys)
{
	HOSTILE("{\"verb\":\"get\",\"verb\":\"list\"}\n", 0, 0, KAG_EPARSE, 1, 20, "",
		"duplicate object key");
	HOSTILE("{\"verb\":\"get\",\"user\":{\"username\":\"a\",\"username\":\"b\"}}\n", 0, 0, KAG_EPARSE,
		1, 47, "", "duplicate object key");
}
END_TEST

START_TEST(too_many_items)
{
	HOSTILE("{\"kind\":\"EventList\",\"items\":[{\"verb\":\"a\"},{\"verb\":\"b\"},{\"verb\":\"c\"}]}\n",
		KAG_OPT_MAX_ITEMS, 2, KAG_ELIMIT, 1, 0, "", "3 items in one list (limit 2)");
	HOSTILE("[{\"verb\":\"a\"},{\"verb\":\"b\"},{\"verb\":\"c\"}]\n",
		KAG_OPT_MAX_ITEMS, 2, KAG_ELIMIT, 1, 0, "", "3 items in one list (limit 2)");
	{
		static const char in[] = "[{\"verb\":\"a\"},{\"verb\":\"b\"}]\n";
		kag_parser *p = hostile(S(in), 0, KAG_OPT_MAX_ITEMS, 2);

		expect_event(p, "a", 1);
		expect_event(p, "b", 1);
		expect_event(p, "ok", 2);
		expect_end(p);
		kag_parser_free(p);
	}
}
END_TEST

START_TEST(nothing_fed)
{
	kag_parser *p;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	expect_end(p);
	ck_assert_int_eq(kag_parser_feed(p, NULL, 0), KAG_OK);
	expect_end(p);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_end(p);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_RECORDS), 0);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_BYTES), 0);
	ck_assert_int_eq(kag_parser_feed(p, NULL, 1), KAG_EINVAL);
	kag_parser_free(p);
}
END_TEST

START_TEST(line_option)
{
	kag_parser *p;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	/* a file resumed at line 40: events and errors carry its numbers */
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_LINE, 40), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"get\"}\n\nnot json\n")), KAG_OK);
	expect_event(p, "get", 40);
	expect_error(p, KAG_EPARSE, 42, 16, "", "not JSON");
	expect_end(p);
	/* line ends fed and not read yet come first: here two of them, read
	 * only when the parser looks past the event */
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"list\"}\n\n")), KAG_OK);
	expect_event(p, "list", 43);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_LINE, 2), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_LINE, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_LINE, 100), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"watch\"}\n{\"verb\":")), KAG_OK);
	expect_event(p, "watch", 100);
	expect_end(p);
	/* inside a record: its own line stays, the lines after it move */
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_LINE, 500), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("\"create\"}\n{\"verb\":\"delete\"}\n")), KAG_OK);
	expect_event(p, "create", 101);
	expect_event(p, "delete", 501);
	expect_end(p);
	/* set_source and reset number from 1 again */
	ck_assert_int_eq(kag_parser_set_source(p, "b.log"), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"get\"}\n")), KAG_OK);
	expect_event(p, "get", 1);
	kag_parser_free(p);
}
END_TEST

/* The error record the tools write: its fields, the message without the
 * line or the pointer; offsets of a parser fed part of a stream. */
START_TEST(error_record_json)
{
	kag_parser *p;
	const char *js;
	size_t len;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_ptr_null(kag_parser_error_json(p, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(kag_parser_set_source(p, "a \"q\".log"), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, S("{\"verb\":\"get\"}\n{\"verb\":7}\nnope\n")),
			 KAG_OK);
	expect_event(p, "get", 1);
	expect_error(p, KAG_ESCHEMA, 2, 15, "/verb", "expected string, got integer");
	js = kag_parser_error_json(p, &len);
	ck_assert_str_eq(js, "{\"error\":{\"code\":\"KAG_ESCHEMA\",\"message\":\"expected string, "
			     "got integer\",\"source\":\"a \\\"q\\\".log:2\",\"line\":2,"
			     "\"offset\":15,\"path\":\"/verb\"}}");
	ck_assert_uint_eq(strlen(js), len);
	/* the next byte fed would be the stream's byte 1000: the 31 bytes fed
	 * are its bytes 969 to 999, and "nope" at 26 here is at 995 there;
	 * the bytes this parser read still count from 0 */
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_OFFSET, 1000), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	expect_error(p, KAG_EPARSE, 3, 995, "", "not JSON");
	ck_assert_str_eq(kag_parser_error_json(p, NULL),
			 "{\"error\":{\"code\":\"KAG_EPARSE\",\"message\":\"not JSON (a line of 4 "
			 "bytes that starts with no JSON object or array)\",\"source\":"
			 "\"a \\\"q\\\".log:3\",\"line\":3,\"offset\":995}}");
	ck_assert_uint_le(kag_parser_stat(p, KAG_PSTAT_BYTES), 31);
	expect_end(p);
	/* reset forgets the error and the offset */
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	ck_assert_ptr_null(kag_parser_error_json(p, NULL));
	kag_parser_free(p);
	ck_assert_ptr_null(kag_parser_error_json(NULL, &len));
}
END_TEST

START_TEST(option_values)
{
	kag_parser *p;

	ck_assert_int_eq(new_parser(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_DEPTH, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, 0, 5), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, 99, 5), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(NULL, KAG_OPT_MAX_DEPTH, 5), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_ITEMS, 1), KAG_OK);
	kag_parser_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parser");
	TCase *shapes = tcase_create("shapes");
	TCase *chunks = tcase_create("chunking");
	TCase *bad = tcase_create("hostile");
	TCase *shapes_j = tcase_create("shapes-jansson");
	TCase *chunks_j = tcase_create("chunking-jansson");
	TCase *bad_j = tcase_create("hostile-jansson");
	TCase *once = tcase_create("at-once");
	SRunner *sr;
	int failed;

	tcase_add_test(shapes, one_document);
	tcase_add_test(shapes, json_lines);
	tcase_add_test(shapes, pretty_printed);
	tcase_add_test(shapes, eventlist_items);
	tcase_add_test(shapes, eventlist_without_kind);
	tcase_add_test(shapes, bare_array);
	tcase_add_test(shapes, array_items_at_column_0);
	tcase_add_test(shapes, bom_crlf_blank_lines);
	tcase_add_test(shapes, bom_only_at_start);
	tcase_add_test(shapes, node_name_prefix);
	tcase_add_test(shapes, text_line_then_stream_goes_on);
	tcase_add_test(shapes, values_that_are_not_objects);
	tcase_add_test(shapes, incomplete_until_finish);
	tcase_add_test(shapes, reset_restarts_stream);
	tcase_add_test(shapes, reset_inside_a_list);
	tcase_add_test(shapes, nothing_fed);
	tcase_add_test(shapes, option_values);
	tcase_add_test(shapes, line_option);
	tcase_add_test(shapes, error_record_json);
	suite_add_tcase(s, shapes);

	tcase_add_test(chunks, mixed_stream_whole);
	tcase_add_test(chunks, every_two_way_split);
	tcase_add_test(chunks, one_byte_chunks);
	tcase_add_test(chunks, empty_feeds_change_nothing);
	tcase_add_test(chunks, nocopy_same_as_copied);
	tcase_add_test(chunks, nocopy_makes_no_copy);
	tcase_add_test(chunks, nocopy_failed_feed_keeps_bytes);
	suite_add_tcase(s, chunks);

	tcase_add_test(bad, malformed_json);
	tcase_add_test(bad, truncated_mid_string);
	tcase_add_test(bad, truncated_mid_structure);
	tcase_add_test(bad, truncated_at_end_of_input);
	tcase_add_test(bad, nesting_too_deep);
	tcase_add_test(bad, record_too_large);
	tcase_add_test(bad, record_too_large_memory_bounded);
	tcase_add_test(bad, long_text_line);
	tcase_add_test(bad, string_too_long);
	tcase_add_test(bad, invalid_utf8_and_nul);
	tcase_add_test(bad, wrong_types);
	tcase_add_test(bad, not_an_audit_event);
	tcase_add_test(bad, duplicate_keys);
	tcase_add_test(bad, too_many_items);
	suite_add_tcase(s, bad);

	/* the same with the jansson front end */
	tcase_add_checked_fixture(shapes_j, use_jansson, use_default);
	tcase_add_test(shapes_j, one_document);
	tcase_add_test(shapes_j, json_lines);
	tcase_add_test(shapes_j, pretty_printed);
	tcase_add_test(shapes_j, eventlist_items);
	tcase_add_test(shapes_j, eventlist_without_kind);
	tcase_add_test(shapes_j, bare_array);
	tcase_add_test(shapes_j, array_items_at_column_0);
	tcase_add_test(shapes_j, bom_crlf_blank_lines);
	tcase_add_test(shapes_j, bom_only_at_start);
	tcase_add_test(shapes_j, node_name_prefix);
	tcase_add_test(shapes_j, text_line_then_stream_goes_on);
	tcase_add_test(shapes_j, values_that_are_not_objects);
	tcase_add_test(shapes_j, incomplete_until_finish);
	tcase_add_test(shapes_j, line_option);
	tcase_add_test(shapes_j, reset_restarts_stream);
	tcase_add_test(shapes_j, reset_inside_a_list);
	tcase_add_test(shapes_j, nothing_fed);
	suite_add_tcase(s, shapes_j);

	tcase_add_checked_fixture(chunks_j, use_jansson, use_default);
	tcase_add_test(chunks_j, mixed_stream_whole);
	tcase_add_test(chunks_j, every_two_way_split);
	tcase_add_test(chunks_j, one_byte_chunks);
	tcase_add_test(chunks_j, empty_feeds_change_nothing);
	tcase_add_test(chunks_j, nocopy_same_as_copied);
	tcase_add_test(chunks_j, nocopy_failed_feed_keeps_bytes);
	suite_add_tcase(s, chunks_j);

	tcase_add_test(once, at_once_same_as_framed);
	tcase_add_test(once, at_once_string_limit);
	tcase_add_test(once, at_once_first_line);
	tcase_add_test(once, at_once_many_brackets);
	tcase_add_test(once, at_once_block_edges);
	tcase_add_test(once, oauth_format_jansson);
	tcase_add_test(once, member_scan);
	tcase_add_test(once, many_members);
	suite_add_tcase(s, once);

	tcase_add_checked_fixture(bad_j, use_jansson, use_default);
	tcase_add_test(bad_j, malformed_json);
	tcase_add_test(bad_j, truncated_mid_string);
	tcase_add_test(bad_j, truncated_mid_structure);
	tcase_add_test(bad_j, truncated_at_end_of_input);
	tcase_add_test(bad_j, nesting_too_deep);
	tcase_add_test(bad_j, record_too_large);
	tcase_add_test(bad_j, record_too_large_memory_bounded);
	tcase_add_test(bad_j, long_text_line);
	tcase_add_test(bad_j, string_too_long);
	tcase_add_test(bad_j, invalid_utf8_and_nul);
	tcase_add_test(bad_j, wrong_types);
	tcase_add_test(bad_j, not_an_audit_event);
	tcase_add_test(bad_j, duplicate_keys);
	tcase_add_test(bad_j, too_many_items);
	suite_add_tcase(s, bad_j);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
