/* The splitter: exact cut positions on hand-written streams, and, for
 * every corpus file, that separate parsers reading the pieces between its
 * cuts give what one parser reading the whole stream gives. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kag.h"
#include "testutil.h"

#define MAX_CUTS 4096

typedef struct {
	size_t at[MAX_CUTS];
	size_t n;
} cuts;

/* The cuts of data[0, len), fed `chunk` bytes at a time (0: at once). */
static cuts split_with(const char *data, size_t len, int format, size_t chunk,
		       uint64_t max_record)
{
	kag_splitter *s;
	cuts c;
	size_t done = 0;

	c.n = 0;
	ck_assert_int_eq(kag_splitter_new(&s, format), KAG_OK);
	if (max_record)
		ck_assert_int_eq(kag_splitter_set_option_u64(s, KAG_OPT_MAX_RECORD_BYTES,
							      max_record), KAG_OK);
	while (done < len) {
		size_t n = chunk && len - done > chunk ? chunk : len - done, pos = 0;

		while (pos < n) {
			size_t used;
			int rc = kag_splitter_scan(s, data + done + pos, n - pos, &used);

			pos += used;
			if (rc == KAG_OK) {
				TU_REQUIRE(c.n < MAX_CUTS);
				c.at[c.n++] = done + pos;
			} else {
				TU_REQUIRE_INT_EQ(rc, KAG_ITEROVER);
				TU_REQUIRE_INT_EQ(pos, n);
			}
		}
		done += n;
	}
	kag_splitter_free(s);
	return c;
}

/* Cuts of a NUL-terminated stream, the same at once, byte by byte and in
 * chunks of 5. */
static cuts split_all_ways(const char *in, int format)
{
	size_t len = strlen(in), k, chunks[] = {1, 2, 5, 64};
	cuts once = split_with(in, len, format, 0, 0);

	for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		cuts other = split_with(in, len, format, chunks[k], 0);
		size_t i;

		ck_assert_uint_eq(other.n, once.n);
		for (i = 0; i < once.n; i++)
			ck_assert_uint_eq(other.at[i], once.at[i]);
	}
	return once;
}

/* The cuts of `in` are exactly the n given. */
static void expect_cuts(const char *in, int format, size_t n, ...)
{
	cuts c = split_all_ways(in, format);
	va_list ap;
	size_t i;

	ck_assert_msg(c.n == n, "%zu cuts, expected %zu, in \"%s\"", c.n, n, in);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		size_t want = va_arg(ap, size_t);

		ck_assert_msg(c.at[i] == want, "cut %zu at %zu, expected %zu, in \"%s\"", i,
			      c.at[i], want, in);
	}
	va_end(ap);
}

#define Z(x) ((size_t)(x))

START_TEST(single_line_records)
{
	/* a cut after each line end that closes a record; none after the
	 * last record without one */
	expect_cuts("{\"a\":1}\n{\"b\":\"}\"}\n{}", KAG_FORMAT_AUTO, 2, Z(8), Z(18));
	/* blank lines go with the next piece; trailing blanks make no cut */
	expect_cuts("\n\n{}\n\n  \n{}\n\n", KAG_FORMAT_AUTO, 2, Z(5), Z(12));
	/* two records on one line: one piece */
	expect_cuts("{} {}\n[]\n", KAG_FORMAT_AUTO, 2, Z(6), Z(9));
	/* blanks only */
	expect_cuts(" \n\t\r\n\n", KAG_FORMAT_AUTO, 0);
}
END_TEST

START_TEST(pretty_printed_records)
{
	const char *second = "{\n\"x\": [\n1\n]\n}\n";
	char in[128];

	snprintf(in, sizeof(in), "%s%s",
		 "{\n  \"verb\": \"get\",\n  \"user\": {\n    \"username\": \"a\"\n  }\n}\n",
		 second);
	expect_cuts(in, KAG_FORMAT_AUTO, 2, strlen(in) - strlen(second), strlen(in));
}
END_TEST

START_TEST(arrays_at_column_0)
{
	/* the items of a top-level array may start at column 0 */
	expect_cuts("[\n{\"a\":1},\n{\"a\":2}\n]\n{}\n", KAG_FORMAT_AUTO, 2, Z(21), Z(24));
	/* not deeper in it: a '{' at column 0 at depth 2 cuts it short */
	expect_cuts("[[\n{}\n]]\n", KAG_FORMAT_AUTO, 2, Z(6), Z(9));
	/* an EventList object is not an array */
	expect_cuts("{\"items\":[\n{\"a\":1}\n]}\n", KAG_FORMAT_AUTO, 2, Z(19), Z(22));
}
END_TEST

START_TEST(broken_by_record)
{
	/* a line end followed by '{' cuts the open record short: no cut
	 * there (the parser reads the '{' to tell), the next one after the
	 * record that starts */
	expect_cuts("{\"a\":\n{\"b\":1}\n{}\n", KAG_FORMAT_AUTO, 2, Z(14), Z(17));
	/* followed by anything else the record goes on */
	expect_cuts("{\"a\":\n 1}\n", KAG_FORMAT_AUTO, 1, Z(10));
}
END_TEST

START_TEST(truncated_string)
{
	/* a string broken at a line end: the record ends there, and the line
	 * end is read between records, a cut */
	expect_cuts("{\"a\":\"b\n{}\n", KAG_FORMAT_AUTO, 2, Z(8), Z(11));
	/* even an escaped one */
	expect_cuts("{\"a\":\"b\\\n\"}\n", KAG_FORMAT_AUTO, 2, Z(9), Z(12));
	/* escapes and brackets in strings change nothing */
	expect_cuts("{\"a\":\"\\\"}{[\\\\\"}\n{}\n", KAG_FORMAT_AUTO, 2, Z(16), Z(19));
}
END_TEST

START_TEST(bom)
{
	expect_cuts("\xEF\xBB\xBF{}\n{}\n", KAG_FORMAT_AUTO, 2, Z(6), Z(9));
	/* a BOM that is not one starts a text line */
	expect_cuts("\xEF\xBB{}\n{}\n", KAG_FORMAT_AUTO, 2, Z(5), Z(8));
	/* later in the stream it is a text line too, as for the parser */
	expect_cuts("{}\n\xEF\xBB\xBF{\n}\n", KAG_FORMAT_AUTO, 3, Z(3), Z(8), Z(10));
}
END_TEST

START_TEST(eks_lines)
{
	/* a base64 gzip line is a record to its end in auto and eks, even
	 * when it looks like a node-name prefix; elsewhere that prefix
	 * starts a record that the next lines go on with */
	const char *in = "H4sIabc {\n}\n{}\n";

	expect_cuts(in, KAG_FORMAT_AUTO, 3, Z(10), Z(12), Z(15));
	expect_cuts(in, KAG_FORMAT_EKS, 3, Z(10), Z(12), Z(15));
	expect_cuts(in, KAG_FORMAT_OPENSHIFT, 2, Z(12), Z(15));
	expect_cuts(in, KAG_FORMAT_NATIVE, 2, Z(12), Z(15));
	/* shorter than four bytes: not one */
	expect_cuts("H4s {\n}\n", KAG_FORMAT_AUTO, 1, Z(8));
}
END_TEST

START_TEST(node_prefixes)
{
	/* "node {record}" on one line, or pretty printed after the prefix */
	expect_cuts("node-1 {\"a\":1}\nnode-2\t {\n\"b\": 2\n}\n", KAG_FORMAT_AUTO, 2, Z(15),
		    Z(34));
	/* no prefix: a text line, one piece whatever follows on it */
	expect_cuts("node-1 x {\n}\n", KAG_FORMAT_AUTO, 2, Z(11), Z(13));
	expect_cuts("\"q\" {\n}\n", KAG_FORMAT_AUTO, 2, Z(6), Z(8));
	expect_cuts("node-1{\n}\n", KAG_FORMAT_AUTO, 2, Z(8), Z(10));
	/* text lines: each a piece */
	expect_cuts("hello world\n42\n", KAG_FORMAT_AUTO, 2, Z(12), Z(15));
}
END_TEST

START_TEST(over_long_text_lines)
{
	/* a text line longer than the record limit, fed in chunks, is
	 * skipped unread: even a prefix it would have had later */
	const char *in = "aaaaaaaaaaaaaaaaaaaa {\n}\n{}\n";
	cuts c = split_with(in, strlen(in), KAG_FORMAT_AUTO, 4, 16);

	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.at[0], 23);
	ck_assert_uint_eq(c.at[1], 25);
	ck_assert_uint_eq(c.at[2], 28);
	/* within the limit, the prefix counts */
	c = split_with(in, strlen(in), KAG_FORMAT_AUTO, 4, 64);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.at[0], 25);
}
END_TEST

START_TEST(crlf)
{
	expect_cuts("{\"a\":1}\r\n\r\n{\r\n\"b\":2\r\n}\r\n", KAG_FORMAT_AUTO, 2, Z(9), Z(24));
	expect_cuts("node-1 {}\r\nx\r\n", KAG_FORMAT_AUTO, 2, Z(11), Z(14));
}
END_TEST

START_TEST(stream_end)
{
	/* no cut depends on what follows it: the last bytes, a record cut
	 * off at the end or a line end inside a record at the end make none */
	expect_cuts("{}\n{\"a\":", KAG_FORMAT_AUTO, 1, Z(3));
	expect_cuts("{}\n{\"a\":\n", KAG_FORMAT_AUTO, 1, Z(3));
	expect_cuts("{}\n{}", KAG_FORMAT_AUTO, 1, Z(3));
}
END_TEST

START_TEST(reset_and_args)
{
	kag_splitter *s;
	size_t used = 9;

	ck_assert_int_eq(kag_splitter_new(NULL, KAG_FORMAT_AUTO), KAG_EINVAL);
	ck_assert_int_eq(kag_splitter_new(&s, 99), KAG_EINVAL);
	ck_assert_ptr_null(s);
	kag_splitter_free(NULL);
	ck_assert_int_eq(kag_splitter_reset(NULL, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_splitter_scan(NULL, "x", 1, &used), KAG_EINVAL);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(kag_splitter_set_option_u64(NULL, KAG_OPT_FORMAT, 0), KAG_EINVAL);

	ck_assert_int_eq(kag_splitter_new(&s, KAG_FORMAT_AUTO), KAG_OK);
	ck_assert_int_eq(kag_splitter_scan(s, NULL, 1, &used), KAG_EINVAL);
	ck_assert_int_eq(kag_splitter_scan(s, "x", 1, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_splitter_scan(s, NULL, 0, &used), KAG_ITEROVER);
	ck_assert_int_eq(kag_splitter_set_option_u64(s, KAG_OPT_MAX_DEPTH, 3), KAG_EINVAL);
	ck_assert_int_eq(kag_splitter_set_option_u64(s, KAG_OPT_MAX_RECORD_BYTES, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_splitter_set_option_u64(s, KAG_OPT_FORMAT, 7), KAG_EINVAL);
	ck_assert_int_eq(kag_splitter_set_option_u64(s, KAG_OPT_FORMAT, KAG_FORMAT_EKS), KAG_OK);

	/* in a record: no cut; reset at a cut: between records, no BOM */
	ck_assert_int_eq(kag_splitter_scan(s, "{\n", 2, &used), KAG_ITEROVER);
	ck_assert_int_eq(kag_splitter_reset(s, 0), KAG_OK);
	ck_assert_int_eq(kag_splitter_scan(s, "\xEF\xBB\xBF\n", 4, &used), KAG_OK);
	ck_assert_uint_eq(used, 4);
	/* at a stream's start the BOM is skipped */
	ck_assert_int_eq(kag_splitter_reset(s, 1), KAG_OK);
	ck_assert_int_eq(kag_splitter_scan(s, "\xEF\xBB\xBF\n{}\n", 7, &used), KAG_OK);
	ck_assert_uint_eq(used, 7);
	kag_splitter_free(s);
}
END_TEST

/* ---- property: pieces parsed apart give the whole stream's results ---- */

typedef tu_text text;

static void putf(text *t, const char *fmt, ...)
{
	char b[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	tu_put(t, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

/* Every field of an event, its line, offset and format, as text. */
static void put_event(text *t, const kag_event *ev)
{
	int f;

	putf(t, "event %s line %llu offset %llu\n", kag_event_format(ev),
	     (unsigned long long)kag_event_line(ev), (unsigned long long)kag_event_offset(ev));
	for (f = 0; f < (int)kag_field_count(); f++) {
		const char *v, *k;
		size_t n, kn, i;
		int64_t x;

		if (kag_event_field_state(ev, f) == KAG_STATE_ABSENT)
			continue;
		putf(t, " %d:%d", f, kag_event_field_state(ev, f));
		if (kag_event_get_string(&v, &n, ev, f) == KAG_OK)
			tu_put(t, v, n);
		if (kag_event_get_int(&x, ev, f) == KAG_OK)
			putf(t, "%lld", (long long)x);
		for (i = 0; i < kag_event_item_count(ev, f); i++) {
			if (kag_event_get_item(&v, &n, ev, f, i) == KAG_OK) {
				tu_put(t, "|", 1);
				tu_put(t, v, n);
			} else if (kag_event_get_pair(&k, &kn, &v, &n, ev, f, i) == KAG_OK) {
				tu_put(t, "|", 1);
				tu_put(t, k, kn);
				tu_put(t, "=", 1);
				tu_put(t, v, n);
			}
		}
		tu_put(t, "\n", 1);
	}
}

/* Parse data[0, len), the part of a stream at `line` and `offset`, with a
 * new parser of `format`, fed `chunk` bytes at a time, appending its
 * results to t and its counters to stats. */
static void parse_part(text *t, uint64_t *stats, const char *data, size_t len, uint64_t line,
		       uint64_t offset, int format, size_t chunk)
{
	kag_parser *p;
	const kag_event *ev;
	size_t done = 0;
	int rc, k;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_source(p, "s"), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, (uint64_t)format), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_LINE, line), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_OFFSET, offset), KAG_OK);
	do {
		size_t n = chunk && len - done > chunk ? chunk : len - done;

		ck_assert_int_eq(kag_parser_feed(p, data + done, n), KAG_OK);
		done += n;
		if (done == len)
			ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
			if (rc == KAG_OK)
				put_event(t, ev);
			else
				putf(t, "%s\n", kag_parser_error_json(p, NULL));
		}
	} while (done < len);
	for (k = 0; k < 4; k++)
		stats[k] += kag_parser_stat(p, KAG_PSTAT_RECORDS + k);
	kag_parser_free(p);
}

/* One parser over the whole stream against one per piece. */
static void check_pieces(const char *name, const char *data, size_t len, int format,
			 size_t split_chunk)
{
	text whole = {0}, parts = {0};
	uint64_t ws[4] = {0}, ps[4] = {0}, line = 1;
	cuts c = split_with(data, len, format, split_chunk, 0);
	size_t i, from = 0;

	parse_part(&whole, ws, data, len, 1, 0, format, 0);
	for (i = 0; i <= c.n; i++) {
		size_t to = i < c.n ? c.at[i] : len;

		if (to == from && i == c.n)
			break;
		parse_part(&parts, ps, data + from, to - from, line, from, format, 0);
		for (; from < to; from++)
			line += data[from] == '\n';
	}
	ck_assert_msg(whole.len == parts.len &&
		      (whole.len == 0 || memcmp(whole.s, parts.s, whole.len) == 0),
		      "%s (format %d, %zu cuts): pieces differ from the whole:\n%s\n---\n%s",
		      name, format, c.n, whole.s ? whole.s : "", parts.s ? parts.s : "");
	for (i = 0; i < 4; i++)
		ck_assert_msg(ws[i] == ps[i], "%s: counter %zu: %llu != %llu", name, i,
			      (unsigned long long)ws[i], (unsigned long long)ps[i]);
	free(whole.s);
	free(parts.s);
}

static void check_file(const char *name, const char *data, size_t len)
{
	int format;

	for (format = KAG_FORMAT_AUTO; format <= KAG_FORMAT_OPENSHIFT; format++)
		check_pieces(name, data, len, format, 0);
	/* the cuts do not depend on the chunking */
	check_pieces(name, data, len, KAG_FORMAT_AUTO, 7);
	check_pieces(name, data, len, KAG_FORMAT_AUTO, 1);
}

START_TEST(pieces_parse_as_whole_corpus)
{
	size_t n, i, len;
	char **files = tu_data_files(&n, 0);

	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		char *data = tu_read_data_file(files[i], &len);

		check_file(files[i], data, len);
		free(data);
	}
	tu_free_files(files, n);
}
END_TEST

START_TEST(pieces_parse_as_whole_hostile)
{
	size_t len;
	char *data = tu_read_data_file("../golden/hostile.jsonl", &len);

	check_file("hostile.jsonl", data, len);
	free(data);
}
END_TEST

START_TEST(pieces_parse_as_whole_cases)
{
	static const char *const cases[] = {
		"{\"a\":\n{\"verb\":\"get\"}\n{}\n",
		"[\n{\"verb\":\"get\"},\n{\"verb\":\"list\"}\n]\n{\"verb\":1}\n",
		"{\"a\":\"b\n{}\n",
		"\xEF\xBB\xBF{}\n\xEF\xBB\xBF{}\n",
		"node-1 {\"verb\":\"get\"}\nnode-2 {\n\"verb\": \"x\"\n}\nH4sIabc {\n}\n",
		"{\"a\":1}\r\n\r\nnope\r\n42\n\"s\"\n{\"a\":",
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_file(cases[i], cases[i], strlen(cases[i]));
}
END_TEST

static Suite *split_suite(void)
{
	Suite *s = suite_create("split");
	TCase *tc = tcase_create("cuts");

	tcase_add_test(tc, single_line_records);
	tcase_add_test(tc, pretty_printed_records);
	tcase_add_test(tc, arrays_at_column_0);
	tcase_add_test(tc, broken_by_record);
	tcase_add_test(tc, truncated_string);
	tcase_add_test(tc, bom);
	tcase_add_test(tc, eks_lines);
	tcase_add_test(tc, node_prefixes);
	tcase_add_test(tc, over_long_text_lines);
	tcase_add_test(tc, crlf);
	tcase_add_test(tc, stream_end);
	tcase_add_test(tc, reset_and_args);
	suite_add_tcase(s, tc);
	tc = tcase_create("pieces");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, pieces_parse_as_whole_cases);
	tcase_add_test(tc, pieces_parse_as_whole_hostile);
	tcase_add_test(tc, pieces_parse_as_whole_corpus);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(split_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
