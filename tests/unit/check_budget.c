/* Budgets of one record: nesting checked before a token is made, a value
 * budget per record and one shared by the documents embedded in it, the
 * gzip amplifier, out of memory inside jansson reported as KAG_ENOMEM, and
 * error messages that never quote a byte of the record they reject. Each
 * case runs with both front ends, fed whole and in small chunks (the
 * parser reads a line at once only when the whole line is there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "testutil.h"

#define GOOD "{\"verb\":\"get\",\"auditID\":\"after\"}\n"

/* One outcome of a stream: an event's auditID, or an error. */
typedef struct {
	int rc;
	char text[512]; /* the auditID, or the error message */
	char path[160];
} outcome;

typedef struct {
	outcome *o;
	size_t n;
} outcomes;

static const int frontends[] = {
	KAG_FRONTEND_FAST,
	KAG_FRONTEND_JANSSON
};
#define N_FRONTENDS (sizeof(frontends) / sizeof(frontends[0]))

/* Parse `in` with front end fe, fed at once (chunk 0) or `chunk` bytes at a
 * time, under option `opt` = `value` (opt 0: none). */
static outcomes run(const char *in, size_t len, int fe, size_t chunk, int opt, uint64_t value)
{
	outcomes r = { NULL, 0 };
	kag_parser *p;
	const kag_event *ev;
	size_t off = 0;
	int rc;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, (uint64_t)fe), KAG_OK);
	if (opt)
		ck_assert_int_eq(kag_parser_set_option_u64(p, opt, value), KAG_OK);
	for (;;) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;

		if (n)
			ck_assert_int_eq(kag_parser_feed(p, in + off, n), KAG_OK);
		off += n;
		if (off == len)
			ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
			outcome *o;
			const char *s;
			size_t sl;

			r.o = realloc(r.o, (r.n + 1) * sizeof(*r.o));
			ck_assert_ptr_nonnull(r.o);
			o = &r.o[r.n++];
			memset(o, 0, sizeof(*o));
			o->rc = rc;
			if (rc == KAG_OK) {
				if (kag_event_get_string(&s, &sl, ev, KAG_FIELD_AUDIT_ID) == KAG_OK)
					snprintf(o->text, sizeof(o->text), "%.*s", (int)sl, s);
			} else {
				snprintf(o->text, sizeof(o->text), "%s", kag_parser_error_message(p));
				snprintf(o->path, sizeof(o->path), "%s", kag_parser_error_path(p));
			}
		}
		if (off == len)
			break;
	}
	kag_parser_free(p);
	return r;
}

/* Every front end and feeding gives: an error `code` whose message has
 * `msg`, then the event "after". */
static void expect_rejected_then_after(const char *in, size_t len, int opt, uint64_t value,
				       int code, const char *msg)
{
	static const size_t chunks[] = { 0, 4096, 7 };
	size_t f, c;

	for (f = 0; f < N_FRONTENDS; f++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			outcomes r;

			if (chunks[c] == 7 && len > (1u << 16))
				continue; /* tiny chunks over a long record: slow, and
					   * the same path as 4096 */
			r = run(in, len, frontends[f], chunks[c], opt, value);
			ck_assert_msg(r.n == 2, "front end %d, chunk %zu: %zu outcomes",
				      frontends[f], chunks[c], r.n);
			ck_assert_msg(r.o[0].rc == code, "front end %d, chunk %zu: %s (%s)",
				      frontends[f], chunks[c], kag_error_name(r.o[0].rc),
				      r.o[0].text);
			ck_assert_msg(strstr(r.o[0].text, msg) != NULL,
				      "front end %d, chunk %zu: \"%s\" lacks \"%s\"", frontends[f],
				      chunks[c], r.o[0].text, msg);
			ck_assert_int_eq(r.o[1].rc, KAG_OK);
			ck_assert_str_eq(r.o[1].text, "after");
			free(r.o);
		}
	}
}

typedef tu_text text;

static void puts_(text *t, const char *s)
{
	tu_put(t, s, strlen(s));
}

static void repeat(text *t, const char *s, size_t times)
{
	size_t i, n = strlen(s);

	for (i = 0; i < times; i++)
		tu_put(t, s, n);
}

/* ---- nesting ---- */

/* A 1 MiB line of nested objects is rejected for its depth (the fast
 * front end never sees it), and the stream goes on. */
START_TEST(deep_line_rejected)
{
	text t = { 0 };
	size_t depth = (1u << 20) / 6;

	repeat(&t, "{\"a\":", depth);
	puts_(&t, "1");
	repeat(&t, "}", depth);
	puts_(&t, "\n" GOOD);
	expect_rejected_then_after(t.s, t.len, 0, 0, KAG_ELIMIT, "nesting deeper than 64 levels");
	free(t.s);
	t = (text){ 0 };
	repeat(&t, "[", 5000);
	repeat(&t, "]", 5000);
	puts_(&t, "\n" GOOD);
	expect_rejected_then_after(t.s, t.len, 0, 0, KAG_ELIMIT, "nesting deeper than 64 levels");
	free(t.s);
}
END_TEST

/* Within a raised limit but deeper than the fast front end reads: jansson
 * reads it, and both front ends give the same event. */
START_TEST(deep_within_raised_limit)
{
	text t = { 0 };
	size_t f, c;

	puts_(&t, "{\"verb\":\"create\",\"auditID\":\"deep\",\"requestObject\":");
	repeat(&t, "{\"a\":", 150);
	puts_(&t, "1");
	repeat(&t, "}", 150);
	puts_(&t, "}\n" GOOD);
	for (f = 0; f < N_FRONTENDS; f++) {
		for (c = 0; c < 2; c++) {
			outcomes r = run(t.s, t.len, frontends[f], c ? 64 : 0, KAG_OPT_MAX_DEPTH, 200);

			ck_assert_uint_eq(r.n, 2);
			ck_assert_int_eq(r.o[0].rc, KAG_OK);
			ck_assert_str_eq(r.o[0].text, "deep");
			ck_assert_str_eq(r.o[1].text, "after");
			free(r.o);
		}
	}
	free(t.s);
}
END_TEST

/* ---- the value budget ---- */

/* {"verb":"get","auditID":"v","requestObject":{"a":[1,...]}} holds
 * 9 + k values: the object, 3 keys, 2 strings, the body, its key, the
 * array, k numbers. */
static text values_record(size_t k)
{
	text t = { 0 };
	size_t i;

	puts_(&t, "{\"verb\":\"get\",\"auditID\":\"v\",\"requestObject\":{\"a\":[");
	for (i = 0; i < k; i++)
		puts_(&t, i ? ",1" : "1");
	puts_(&t, "]}}\n" GOOD);
	return t;
}

START_TEST(value_budget_edges)
{
	text t = values_record(41);
	size_t f, c;

	/* exactly at the budget: read */
	for (f = 0; f < N_FRONTENDS; f++) {
		for (c = 0; c < 2; c++) {
			outcomes r = run(t.s, t.len, frontends[f], c ? 5 : 0, KAG_OPT_MAX_VALUES, 50);

			ck_assert_uint_eq(r.n, 2);
			ck_assert_int_eq(r.o[0].rc, KAG_OK);
			ck_assert_str_eq(r.o[0].text, "v");
			free(r.o);
		}
	}
	free(t.s);
	/* one more: rejected, the next record read */
	t = values_record(42);
	expect_rejected_then_after(t.s, t.len, KAG_OPT_MAX_VALUES, 50, KAG_ELIMIT,
				   "more than 50 JSON values in one record (value budget)");
	free(t.s);
}
END_TEST

/* A 16 MiB record of empty objects (1.29 GB as a jansson tree) is stopped
 * by the default budget before a tree is built. */
START_TEST(value_budget_default)
{
	text t = { 0 };

	puts_(&t, "{\"a\":[{}");
	repeat(&t, ",{}", ((15u << 20) / 3));
	puts_(&t, "]}\n" GOOD);
	expect_rejected_then_after(t.s, t.len, 0, 0, KAG_ELIMIT,
				   "more than 400000 JSON values in one record (value budget)");
	free(t.s);
}
END_TEST

/* The documents embedded in one record share a budget: the third AKS log
 * of the list breaks it; the next record has a budget of its own. */
START_TEST(embedded_budget_shared)
{
	/* each log: object, 4 keys, 3 strings, objectRef object, 1 key, 1
	 * string = 11 values */
	static const char log[] =
		"{\\\"verb\\\":\\\"get\\\",\\\"auditID\\\":\\\"%c\\\","
		"\\\"stage\\\":\\\"ResponseComplete\\\",\\\"objectRef\\\":{\\\"resource\\\":"
		"\\\"pods\\\"}}";
	text t = { 0 };
	char item[512];
	size_t f;
	int i;

	puts_(&t, "{\"records\":[");
	for (i = 0; i < 3; i++) {
		char body[256];

		snprintf(body, sizeof(body), log, 'x' + i);
		snprintf(item, sizeof(item), "%s{\"category\":\"kube-audit\",\"properties\":"
			 "{\"log\":\"%s\"}}", i ? "," : "", body);
		puts_(&t, item);
	}
	puts_(&t, "]}\n" GOOD);
	for (f = 0; f < N_FRONTENDS; f++) {
		outcomes r = run(t.s, t.len, frontends[f], 0, KAG_OPT_MAX_VALUES, 30);

		ck_assert_uint_eq(r.n, 4);
		ck_assert_int_eq(r.o[0].rc, KAG_OK);
		ck_assert_str_eq(r.o[0].text, "x");
		ck_assert_int_eq(r.o[1].rc, KAG_OK);
		ck_assert_str_eq(r.o[1].text, "y");
		ck_assert_int_eq(r.o[2].rc, KAG_ELIMIT);
		ck_assert_msg(strstr(r.o[2].text, "embedded document: "
				      "more than 30 JSON values in the documents embedded in "
				      "one record") != NULL, "%s", r.o[2].text);
		ck_assert_str_eq(r.o[2].path, "/records/2/properties/log");
		ck_assert_int_eq(r.o[3].rc, KAG_OK);
		ck_assert_str_eq(r.o[3].text, "after");
		free(r.o);
	}
	free(t.s);
}
END_TEST

/* base64 of gzip data, as a CloudWatch Logs subscription delivers it. */
static text b64_gzip(const char *s, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *z;
	size_t zlen, i;
	z_stream zs;
	text t = { 0 };

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zlen = deflateBound(&zs, (uLong)n);
	z = malloc(zlen);
	ck_assert_ptr_nonnull(z);
	zs.next_in = (unsigned char *)(uintptr_t)s;
	zs.avail_in = (uInt)n;
	zs.next_out = z;
	zs.avail_out = (uInt)zlen;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	zlen = zs.total_out;
	deflateEnd(&zs);
	for (i = 0; i < zlen; i += 3) {
		unsigned v = (unsigned)z[i] << 16 | (i + 1 < zlen ? (unsigned)z[i + 1] << 8 : 0) |
			     (i + 2 < zlen ? z[i + 2] : 0);
		char q[4];

		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < zlen ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < zlen ? b64[v & 63] : '=';
		tu_put(&t, q, 4);
	}
	free(z);
	return t;
}

/* A line of about 22 KB whose payload inflates to {},{},...: rejected by
 * the value budget before jansson reads the payload. */
START_TEST(gzip_amplifier)
{
	text payload = { 0 }, t;

	puts_(&payload, "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{}");
	repeat(&payload, ",{}", (15u << 20) / 3);
	puts_(&payload, "]}");
	t = b64_gzip(payload.s, payload.len);
	ck_assert_uint_lt(t.len, 32768);
	puts_(&t, "\n" GOOD);
	expect_rejected_then_after(t.s, t.len, 0, 0, KAG_ELIMIT,
				   "embedded document: more than 400000 JSON values");
	free(t.s);
	free(payload.s);
}
END_TEST

/* ---- out of memory inside jansson ---- */

static unsigned long json_fail_at, json_count;

static void *failing_malloc(size_t n)
{
	if (++json_count >= json_fail_at)
		return NULL;
	return malloc(n);
}

/* jansson's allocations fail from the n-th on, for n = 1, 2, ...: each
 * run ends in an event or KAG_ENOMEM, never a parse error. */
static void oom_sweep(const char *in, int fe)
{
	unsigned long n;
	int enomem = 0, ok = 0;

	for (n = 1; n < 2000 && !ok; n++) {
		kag_parser *p;
		const kag_event *ev;
		int rc;

		ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
		ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, (uint64_t)fe),
				 KAG_OK);
		ck_assert_int_eq(kag_parser_feed(p, in, strlen(in)), KAG_OK);
		ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		json_count = 0;
		json_fail_at = n;
		json_set_alloc_funcs(failing_malloc, free);
		rc = kag_parser_next(&ev, p);
		json_set_alloc_funcs(malloc, free);
		ck_assert_msg(rc == KAG_OK || rc == KAG_ENOMEM,
			      "allocation %lu failed: %s (%s)", n, kag_error_name(rc),
			      kag_parser_error_message(p));
		if (rc == KAG_ENOMEM) {
			enomem++;
			ck_assert_ptr_nonnull(strstr(kag_parser_error_message(p), "out of memory"));
		}
		ok = rc == KAG_OK && json_count < json_fail_at;
		kag_parser_free(p);
	}
	ck_assert_msg(ok, "no run got through");
	ck_assert_int_gt(enomem, 0);
}

/* (A build without the fast front end has no validator to tell a failed
 * allocation from bad syntax: there jansson's word stands.) */
START_TEST(jansson_oom_is_enomem)
{
	oom_sweep("{\"verb\":\"get\",\"auditID\":\"a\",\"user\":{\"username\":\"u\","
		  "\"groups\":[\"g1\",\"g2\"]}}\n", KAG_FRONTEND_JANSSON);
	oom_sweep("{\"category\":\"kube-audit\",\"properties\":{\"log\":\"{\\\"verb\\\":"
		  "\\\"get\\\",\\\"auditID\\\":\\\"a\\\"}\"}}\n", KAG_FRONTEND_JANSSON);
	oom_sweep("[{\"verb\":\"get\",\"auditID\":\"a\"}]\n", frontends[0]);
}
END_TEST

/* ---- error messages quote no input ---- */

/* Malformed records of every kind, each with the marker QZXW where a
 * message might quote it. */
static const char *const marked[] = {
	"QZXW is not JSON\n",
	"\"QZXW\"\n",
	"{\"verb\":QZXW}\n",
	"{\"verb\":\"get\",\"QZXW\":1,\"QZXW\":2}\n",
	"{\"verb\":\"QZXW\\q\"}\n",
	"{\"verb\":\"QZXW\x01\"}\n",
	"{\"verb\":\"QZXW\xff\xfe\"}\n",
	"{\"verb\":\"QZXW\\ud800\"}\n",
	"{\"verb\":\"get\",\"auditID\":\"QZXW\"\n",
	"{\"verb\":\"get\"} QZXW\n",
	"{\"verb\":12345678901234567890123QZXW}\n",
	"{\"category\":\"kube-audit\",\"properties\":{\"log\":\"{QZXW\"}}\n",
	"{\"category\":\"kube-audit\",\"properties\":{\"log\":\"{\\\"verb\\\":\\\"QZXW\"}}\n",
	"{\"category\":\"kube-audit\",\"properties\":{\"log\":\"{\\\"verb\\\":1,\\\"verb\\\":\\\"QZXW\\\"}\"}}\n",
	("{\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Factivity\","
	 "\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
	 "\"serviceName\":\"k8s.io\",\"methodName\":\"QZXW.secret\"},"
	 "\"resource\":{\"type\":\"k8s_cluster\"}}\n"),
	("{\"logGroup\":\"/aws/eks/c/cluster\",\"logStream\":\"kube-apiserver-audit-1\","
	 "\"message\":\"{\\\"auditID\\\":\\\"QZXW\\\",\\\"verb\\\":\\\"get\\\" [Truncated...]\"}\n"),
	"H4sIQZXW\n",
	"{\"verb\":\"get\",\"user\":{\"username\":[\"QZXW\"]}}\n",
	"{\"verb\":\"get\",\"QZXW\":\"x\",\"QZXW\":\"x\",\"requestObject\":{\"password\":\"QZXW\"}}\n",
};

START_TEST(errors_quote_no_input)
{
	size_t i, f, j;

	for (i = 0; i < sizeof(marked) / sizeof(marked[0]); i++) {
		for (f = 0; f < N_FRONTENDS; f++) {
			outcomes r = run(marked[i], strlen(marked[i]), frontends[f], 0, 0, 0);
			int errors = 0;

			for (j = 0; j < r.n; j++) {
				if (r.o[j].rc == KAG_OK)
					continue;
				errors++;
				ck_assert_msg(strstr(r.o[j].text, "QZXW") == NULL &&
					      strstr(r.o[j].path, "QZXW") == NULL,
					      "record %zu, front end %d: %s (%s) quotes input: %s | %s",
					      i, frontends[f], kag_error_name(r.o[j].rc), marked[i],
					      r.o[j].text, r.o[j].path);
			}
			ck_assert_msg(errors > 0, "record %zu was not rejected: %s", i, marked[i]);
			free(r.o);
		}
	}
}
END_TEST

static Suite *budget_suite(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("budget");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, deep_line_rejected);
	tcase_add_test(tc, deep_within_raised_limit);
	tcase_add_test(tc, value_budget_edges);
	tcase_add_test(tc, value_budget_default);
	tcase_add_test(tc, embedded_budget_shared);
	tcase_add_test(tc, gzip_amplifier);
	tcase_add_test(tc, jansson_oom_is_enomem);
	tcase_add_test(tc, errors_quote_no_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(budget_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
