/* The fast front end against the jansson front end (the reference): the
 * same input is read by two parsers in lockstep, one per front end, and
 * every record must come out the same: the error (code, message, line,
 * offset, JSON pointer) or the event (format, source, line, offset, stage,
 * level, time, and every field: state, string, integer, list items, pairs,
 * path reads, body text), then the verdicts of a session over every
 * built-in detector (bodies included in the verdict JSON), and the
 * parser's counters. Inputs: every file in tests/data under each input
 * format, generated streams (tests/bench/gen.c) in one feed and in chunks,
 * and hostile records. The fast parser must really have read the native
 * events: each test checks how many records it filled. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/gen.h"
#include "event-private.h"
#include "frontend-private.h"
#include "testutil.h"

/* ---- descriptions, into a tu_text ---- */

static void put_printf(tu_text *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void put_printf(tu_text *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	TU_REQUIRE(n >= 0 && (size_t)n < sizeof(tmp));
	tu_put(b, tmp, (size_t)n);
}

/* The descriptions below are made for every record of every stream on
 * both sides: plain appends, printf only where it is rare. */
static void put_str(tu_text *b, const char *s)
{
	tu_put(b, s, strlen(s));
}

static void put_int(tu_text *b, long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	tu_put(b, tmp + i, sizeof(tmp) - i);
}

/* Bytes, quoted, with anything unprintable (NUL included) as \xNN. */
static void put_bytes(tu_text *b, const char *s, size_t n)
{
	size_t i, run = 0;

	tu_put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			tu_put(b, s + run, i - run);
			put_printf(b, "\\x%02x", c);
			run = i + 1;
		}
	}
	tu_put(b, s + run, n - run);
	tu_put(b, "\"", 1);
}

/* ---- one side of the comparison ---- */

typedef struct {
	kag_parser *p;
	kag_session *s;
	tu_text out;              /* what the last record gave */
} side;

static void side_init(side *sd, kag_registry *reg, int frontend, int format, const char *source)
{
	memset(sd, 0, sizeof(*sd));
	ck_assert_int_eq(kag_parser_new(&sd->p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(sd->p, KAG_OPT_FRONTEND, (uint64_t)frontend),
			 KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(sd->p, KAG_OPT_FORMAT, (uint64_t)format), KAG_OK);
	ck_assert_int_eq(kag_parser_set_source(sd->p, source), KAG_OK);
	ck_assert_int_eq(kag_session_new(&sd->s, reg), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(sd->s, KAG_SOPT_EMIT_BENIGN, 1), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(sd->s, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
}

static void side_free(side *sd)
{
	kag_parser_free(sd->p);
	kag_session_free(sd->s);
	free(sd->out.s);
}

static void put_event(tu_text *b, const kag_event *ev)
{
	int f;

	put_printf(b, "event format=%s line=%llu offset=%llu stage=%d level=%d time=%lld\n",
		   kag_event_format(ev), (unsigned long long)kag_event_line(ev),
		   (unsigned long long)kag_event_offset(ev), kag_event_stage(ev),
		   kag_event_level(ev), (long long)kag_event_time_us(ev));
	for (f = 0; f < (int)kag_field_count(); f++) {
		const char *name = kag_field_name(f), *s, *k;
		size_t len, klen, i, n;
		int64_t v;
		int rc;

		tu_put(b, " ", 1);
		put_str(b, name);
		tu_put(b, " state=", 7);
		put_int(b, kag_event_field_state(ev, f));
		rc = kag_event_get_string(&s, &len, ev, f);
		if (rc == KAG_OK) {
			tu_put(b, " str=", 5);
			put_bytes(b, s, len);
		} else {
			tu_put(b, " str:", 5);
			put_str(b, kag_error_name(rc));
		}
		if (kag_event_get_int(&v, ev, f) == KAG_OK) {
			tu_put(b, " int=", 5);
			put_int(b, (long long)v);
		}
		n = kag_event_item_count(ev, f);
		for (i = 0; i < n; i++) {
			if (kag_event_get_item(&s, &len, ev, f, i) == KAG_OK) {
				tu_put(b, " item=", 6);
				put_bytes(b, s, len);
			}
			if (kag_event_get_pair(&k, &klen, &s, &len, ev, f, i) == KAG_OK) {
				tu_put(b, " pair=", 6);
				put_bytes(b, k, klen);
				tu_put(b, ":", 1);
				put_bytes(b, s, len);
			}
		}
		rc = kag_event_get_path(&s, &len, ev, name, strlen(name));
		if (rc == KAG_OK) {
			tu_put(b, " path=", 6);
			put_bytes(b, s, len);
		} else {
			tu_put(b, " path:", 6);
			put_str(b, kag_error_name(rc));
		}
		tu_put(b, "\n", 1);
	}
}

static void put_result(tu_text *b, const kag_result *res)
{
	size_t i, len;

	for (i = 0; i < kag_result_count(res); i++) {
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		tu_put(b, "verdict ", 8);
		tu_put(b, json, len);
		tu_put(b, "\n", 1);
	}
}

/* Describe what the next kag_parser_next() gives; returns its code. */
static int side_next(side *sd)
{
	const kag_event *ev = NULL;
	const kag_result *res;
	int rc = kag_parser_next(&ev, sd->p);

	sd->out.len = 0;
	tu_put(&sd->out, "rc ", 3);
	put_str(&sd->out, kag_error_name(rc));
	tu_put(&sd->out, "\n", 1);
	if (rc == KAG_OK) {
		put_event(&sd->out, ev);
		TU_REQUIRE(kag_session_evaluate(&res, sd->s, ev) == KAG_OK);
		put_result(&sd->out, res);
	} else if (rc != KAG_ITEROVER) {
		put_printf(&sd->out, "line %llu offset %llu path ",
			   (unsigned long long)kag_parser_error_line(sd->p),
			   (unsigned long long)kag_parser_error_offset(sd->p));
		put_bytes(&sd->out, kag_parser_error_path(sd->p), strlen(kag_parser_error_path(sd->p)));
		tu_put(&sd->out, " message ", 9);
		put_bytes(&sd->out, kag_parser_error_message(sd->p),
			  strlen(kag_parser_error_message(sd->p)));
		tu_put(&sd->out, "\n", 1);
	}
	return rc;
}

/* ---- the lockstep comparison ---- */

/* Every built-in detector, over session tables small enough to make
 * hundreds of sessions cheaply (the same on both sides): a session
 * allocates its tables zeroed when it is made, some 17 MB with the default
 * capacities, most of them the detectors' tables of principals. The
 * principals of the streams compared fit in 128 (compare_stream() checks
 * that none was evicted); auditIDs and repeat windows of the longer streams
 * do not, on both sides alike. */
static kag_registry *registry;

static void registry_setup(void)
{
	static const struct {
		int opt;
		uint64_t cap;
	} caps[] = { { KAG_ROPT_DEDUP_CAPACITY, 512 }, { KAG_ROPT_PENDING_CAPACITY, 512 },
		     { KAG_ROPT_REPEAT_CAPACITY, 512 }, { KAG_ROPT_PRINCIPAL_CAPACITY, 128 },
		     { KAG_ROPT_NEW_TERMS_CAPACITY, 128 } };
	size_t i;

	ck_assert_int_eq(kag_registry_new(&registry), KAG_OK);
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		ck_assert_int_eq(kag_registry_set_option_u64(registry, caps[i].opt, caps[i].cap),
				 KAG_OK);
	ck_assert_int_eq(kag_registry_seal(registry), KAG_OK);
}

static void registry_teardown(void)
{
	kag_registry_free(registry);
	registry = NULL;
}

typedef struct {
	size_t records;      /* kag_parser_next() results other than ITEROVER */
	size_t events, errors;
	uint64_t fast;       /* records the fast parser filled itself */
} tally;

static void same(const char *what, const side *fast, const side *ref, size_t record)
{
	size_t i = 0, from;

	if (fast->out.len == ref->out.len && memcmp(fast->out.s, ref->out.s, ref->out.len) == 0)
		return;
	while (i < fast->out.len && i < ref->out.len && fast->out.s[i] == ref->out.s[i])
		i++;
	from = i > 200 ? i - 200 : 0;
	ck_abort_msg("%s, record %zu: the front ends differ at byte %zu\n fast: ...%.400s\n"
		     "  ref: ...%.400s", what, record, i, fast->out.s + from,
		     ref->out.s + (from < ref->out.len ? from : ref->out.len));
}

static void drain(const char *what, side *fast, side *ref, tally *t)
{
	for (;;) {
		int rf = side_next(fast), rr = side_next(ref);

		same(what, fast, ref, t->records);
		TU_REQUIRE(rf == rr);
		if (rr == KAG_ITEROVER)
			return;
		t->records++;
		if (rr == KAG_OK)
			t->events++;
		else
			t->errors++;
	}
}

/* Parser limits for a comparison; 0 keeps the default. */
typedef struct {
	uint64_t max_record, max_depth, max_string;
} limits;

static void set_limits(kag_parser *p, const limits *lim)
{
	if (lim && lim->max_record)
		TU_REQUIRE(kag_parser_set_option_u64(p, KAG_OPT_MAX_RECORD_BYTES, lim->max_record) == KAG_OK);
	if (lim && lim->max_depth)
		TU_REQUIRE(kag_parser_set_option_u64(p, KAG_OPT_MAX_DEPTH, lim->max_depth) == KAG_OK);
	if (lim && lim->max_string)
		TU_REQUIRE(kag_parser_set_option_u64(p, KAG_OPT_MAX_STRING_BYTES, lim->max_string) == KAG_OK);
}

/* Read data with both front ends (in chunks of `chunk` bytes, 0 for one
 * feed) and compare everything. */
static tally compare_stream(const char *what, const char *data, size_t len, int format,
			    size_t chunk, const limits *lim)
{
	static const int stats[] = { KAG_PSTAT_RECORDS, KAG_PSTAT_EVENTS, KAG_PSTAT_ERRORS,
				     KAG_PSTAT_SKIPPED, KAG_PSTAT_BYTES };
	static const int sstats[] = { KAG_SSTAT_VERDICTS, KAG_SSTAT_DEDUP_EVICTIONS,
				      KAG_SSTAT_DEFERRED, KAG_SSTAT_SUPPRESSED, KAG_SSTAT_REPEATS,
				      KAG_SSTAT_REPEAT_EVICTIONS, KAG_SSTAT_LEVEL_UNJUDGED };
	kag_registry *reg = registry;
	side fast, ref;
	const kag_result *rf, *rr;
	tally t = { 0, 0, 0, 0 };
	size_t off = 0, i;

	side_init(&fast, reg, KAG_FRONTEND_FAST, format, what);
	side_init(&ref, reg, KAG_FRONTEND_JANSSON, format, what);
	set_limits(fast.p, lim);
	set_limits(ref.p, lim);
	if (!chunk)
		chunk = len ? len : 1;
	do {
		size_t n = len - off < chunk ? len - off : chunk;

		TU_REQUIRE(kag_parser_feed(fast.p, data + off, n) == KAG_OK);
		TU_REQUIRE(kag_parser_feed(ref.p, data + off, n) == KAG_OK);
		drain(what, &fast, &ref, &t);
		off += n;
	} while (off < len);
	ck_assert_int_eq(kag_parser_finish(fast.p), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(ref.p), KAG_OK);
	drain(what, &fast, &ref, &t);

	ck_assert_int_eq(kag_session_flush(&rf, fast.s), KAG_OK);
	fast.out.len = 0;
	put_result(&fast.out, rf);
	ck_assert_int_eq(kag_session_flush(&rr, ref.s), KAG_OK);
	ref.out.len = 0;
	put_result(&ref.out, rr);
	same(what, &fast, &ref, t.records);
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		ck_assert_msg(kag_parser_stat(fast.p, stats[i]) == kag_parser_stat(ref.p, stats[i]),
			      "%s: counter %d differs", what, stats[i]);
	for (i = 0; i < sizeof(sstats) / sizeof(sstats[0]); i++)
		ck_assert_msg(kag_session_stat(fast.s, sstats[i]) == kag_session_stat(ref.s, sstats[i]),
			      "%s: session counter %d differs", what, sstats[i]);
	ck_assert_msg(kag_session_stat(fast.s, KAG_SSTAT_PRINCIPAL_EVICTIONS) == 0 &&
			      kag_session_stat(ref.s, KAG_SSTAT_PRINCIPAL_EVICTIONS) == 0,
		      "%s: principals evicted; make the tables of registry_setup() larger", what);
	ck_assert_uint_eq(kag__parser_fast_records(ref.p), 0);
	t.fast = kag__parser_fast_records(fast.p);
	ck_assert_uint_le(t.fast, t.events);
	side_free(&fast);
	side_free(&ref);
	return t;
}

/* ---- options ---- */

START_TEST(option_values)
{
	kag_parser *p;

	ck_assert(kag_features() & KAG_FEATURE_FAST_FRONTEND);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, 3), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, KAG_FRONTEND_JANSSON), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, KAG_FRONTEND_FAST), KAG_OK);
	kag_parser_free(p);
}
END_TEST

/* The fast front end is the default: a native event takes it; with the
 * jansson front end chosen, none does. */
START_TEST(default_is_fast)
{
	static const char rec[] = "{\"verb\":\"get\",\"auditID\":\"a\"}\n";
	kag_parser *p;
	const kag_event *ev;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, rec, sizeof(rec) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_uint_eq(kag__parser_fast_records(p), 1);
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	ck_assert_uint_eq(kag__parser_fast_records(p), 0);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, KAG_FRONTEND_JANSSON), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, rec, sizeof(rec) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_uint_eq(kag__parser_fast_records(p), 0);
	kag_parser_free(p);
}
END_TEST

/* ---- every file of tests/data, under every input format ---- */

/* Every file under tests/data (the notes too: they are records neither
 * front end takes), in each input format and chunked. */
static void compare_data_files(size_t *files, tally *sum)
{
	static const int formats[] = { KAG_FORMAT_AUTO, KAG_FORMAT_NATIVE, KAG_FORMAT_EVENTLIST,
				       KAG_FORMAT_GKE, KAG_FORMAT_EKS, KAG_FORMAT_AKS,
				       KAG_FORMAT_OPENSHIFT };
	size_t n, f, i, len;
	char **names = tu_data_files(&n, 1);

	for (f = 0; f < n; f++) {
		char *data = tu_read_data_file(names[f], &len);

		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			tally t = compare_stream(names[f], data, len, formats[i], 0, NULL);

			sum->records += t.records;
			sum->events += t.events;
			sum->errors += t.errors;
			sum->fast += t.fast;
		}
		/* chunked, as a collector feeds it */
		compare_stream(names[f], data, len, KAG_FORMAT_AUTO, 61, NULL);
		free(data);
		(*files)++;
	}
	tu_free_files(names, n);
}

START_TEST(data_files)
{
	tally sum = { 0, 0, 0, 0 };
	size_t files = 0;

	compare_data_files(&files, &sum);
	ck_assert_uint_ge(files, 40);
	/* the native files took the fast path, the rest fell back */
	ck_assert_uint_gt(sum.fast, 200);
	ck_assert_uint_lt(sum.fast, sum.events);
}
END_TEST

/* A file of native events is read by the fast front end entirely. */
START_TEST(native_file_all_fast)
{
	char path[1024];
	size_t len;
	char *data;
	tally t;

	snprintf(path, sizeof(path), "%s/openshift-docs/kube-apiserver-audit.jsonl", KAG_TEST_DATA);
	data = tu_read_file(path, &len);
	t = compare_stream("kube-apiserver-audit.jsonl", data, len, KAG_FORMAT_AUTO, 0, NULL);
	ck_assert_uint_gt(t.events, 0);
	ck_assert_uint_eq(t.fast, t.events);
	free(data);
}
END_TEST

/* ---- generated streams ---- */

static void generated(size_t n, uint64_t seed, size_t chunk, int format)
{
	struct bench_stream s;
	char what[64];
	tally t;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(bench_generate(&s, n, seed), 0);
	snprintf(what, sizeof(what), "generated seed %llu", (unsigned long long)seed);
	t = compare_stream(what, s.data, s.len, format, chunk, NULL);
	ck_assert_uint_eq(t.events, s.lines);
	ck_assert_uint_eq(t.errors, 0);
	ck_assert_uint_eq(t.fast, s.lines);
	bench_stream_free(&s);
}

START_TEST(generated_one_feed)
{
	generated(2500, 1, 0, KAG_FORMAT_AUTO);
	generated(1500, 20240501, 0, KAG_FORMAT_NATIVE);
}
END_TEST

START_TEST(generated_chunks)
{
	generated(1000, 7, 4093, KAG_FORMAT_AUTO);
	generated(200, 8, 13, KAG_FORMAT_OPENSHIFT);
}
END_TEST

/* More seeds and lengths, fed in pieces around the 16- and 32-byte blocks a
 * tokenizer may read at a time, and in one feed. */
START_TEST(generated_seeds)
{
	static const struct {
		size_t n;
		uint64_t seed;
		size_t chunk;
	} streams[] = {
		{ 1, 2, 0 }, { 37, 3, 16 }, { 300, 4, 17 }, { 300, 5, 31 }, { 400, 6, 33 },
		{ 900, 99, 65536 }, { 1200, 20261206, 0 }, { 600, 18446744073709551557ull, 15 },
	};
	size_t i;

	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		generated(streams[i].n, streams[i].seed, streams[i].chunk, KAG_FORMAT_AUTO);
}
END_TEST

/* ---- hostile and unusual records ---- */

enum {
	FAST = 100,     /* an event, filled by the fast front end */
	SLOW = 101      /* an event, left to jansson (another shape, or too deep) */
};

typedef struct {
	const char *rec;
	size_t len;
	int want;       /* FAST, SLOW or the error code of both */
	int format;
} hcase;

#define H(s, want) { s, sizeof(s) - 1, want, KAG_FORMAT_AUTO }
#define HF(s, want, fmt) { s, sizeof(s) - 1, want, fmt }
#define E "\"verb\":\"get\",\"auditID\":\"a1\""

static const hcase hostile[] = {
	/* valid, read by the fast front end */
	H("{" E ",\"user\":{\"username\":\"al\\u00e9x\\ud83d\\ude00\",\"groups\":[\"a\\\"b\","
	  "\"c\\\\d\",\"\\/e\",\"\\b\\f\\n\\r\\t\"]}}", FAST),
	H("{" E ",\"requestURI\":\"x\\u0000y\"}", FAST),
	H("{\"ver\\u0062\":\"get\",\"audit\\u0049D\":\"a1\"}", FAST),
	H("{" E ",\"annotations\":{\"k\\u00e9y\":\"v\\u20ac\",\"authorization.k8s.io/decision\":"
	  "\"allow\"}}", FAST),
	H("{\r\n\t\"verb\" : \"get\" ,\r\n\t\"auditID\":\"a1\" , \"sourceIPs\" : [ \"1.2.3.4\" ,"
	  " \"::1\" ] \r\n}", FAST),
	H("{" E ",\"responseStatus\":{\"code\":-0,\"reason\":\"r\",\"message\":\"m\",\"status\":\"s\"}}",
	  FAST),
	H("{" E ",\"responseStatus\":{\"code\":9223372036854775807}}", FAST),
	H("{" E ",\"responseStatus\":{\"code\":-9223372036854775808}}", FAST),
	H("{" E ",\"responseStatus\":{\"code\":403},\"objectRef\":{\"resource\":\"secrets\","
	  "\"namespace\":\"kube-system\"}}", FAST),
	H("{" E ",\"requestObject\":\"text\",\"responseObject\":1.5e3}", FAST),
	H("{" E ",\"requestObject\":[1,{\"a\":[]},null,true,false,-0.5e-3],\"responseObject\":null}",
	  FAST),
	H("{" E ",\"level\":\"RequestResponse\",\"requestObject\" : { \"kind\" : \"Pod\" , "
	  "\"spec\":{\"hostPID\":true,\"containers\":[{\"name\":\"c\\u0041\",\"securityContext\":"
	  "{\"privileged\":true}}]}}}", FAST),
	H("{" E ",\"user\":null,\"impersonatedUser\":null,\"objectRef\":null,\"responseStatus\":null,"
	  "\"annotations\":null,\"sourceIPs\":null,\"requestObject\":null,\"kind\":null,"
	  "\"apiVersion\":null,\"stage\":null,\"userAgent\":null}", FAST),
	H("{\"verb\":\"\",\"auditID\":\"\",\"user\":{},\"objectRef\":{},\"annotations\":{},"
	  "\"sourceIPs\":[],\"responseStatus\":{}}", FAST),
	H("{" E ",\"user\":{\"username\":\"u\",\"groups\":null,\"extra\":null,\"uid\":null}}", FAST),
	H("{" E ",\"userAgent\":\"a\x7f" "b\"}", FAST),
	H("{" E ",\"requestObject\":{\"a\":1e299,\"b\":0.1e-400,\"c\":-1e-999,"
	  "\"d\":123456789012345678901234567890.5,\"e\":-9223372036854775808}}", FAST),
	H("{" E ",\"requestObject\":{\"k01\":1,\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,"
	  "\"k07\":1,\"k08\":1,\"k09\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,"
	  "\"k15\":1,\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k20\":1,\"k2\\u0031\":1}}", FAST),
	H("{" E ",\"user\":{\"username\":\"u\",\"extra\":{\"scopes\":[\"a\",\"b\"],\"one\":\"x\","
	  "\"none\":[],\"k\\u00e9\":[\"\\u00e9\"]}}}", FAST),
	H("{" E ",\"impersonatedUser\":{\"username\":\"system:admin\",\"groups\":[\"system:masters\"]}}",
	  FAST),
	H("{" E ",\"annotations\":{\"authentication.openshift.io/decision\":\"allow\"}}", FAST),
	H("{" E ",\"userAgent\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"}",
	  FAST),
	H("{" E ",\"user\":{\"username\":\"u\",\"uid\":\"1\"},\"objectRef\":{\"name\":\"n\","
	  "\"uid\":\"1\",\"user\":{\"uid\":\"2\"}}}", FAST),
	H("{" E ",\"stageTimestamp\":\"2024-05-01T10:00:00.123456Z\",\"timestamp\":\"x\","
	  "\"requestReceivedTimestamp\":\"2024-05-01T09:00:00Z\",\"stage\":\"ResponseComplete\","
	  "\"level\":\"Metadata\"}", FAST),
	H("{" E ",\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"x\":{\"items\":[],"
	  "\"protoPayload\":{}}}", FAST),
	H("{\"verb\":\"get\",\"user\":{\"username\":\"no-audit-id\"}}", FAST),
	HF("{\"user\":{\"username\":\"no-verb\"}}", FAST, KAG_FORMAT_NATIVE),
	HF("{" E "}", FAST, KAG_FORMAT_EKS),
	HF("{" E "}", FAST, KAG_FORMAT_OPENSHIFT),

	/* valid, other shapes: jansson reads them */
	H("[{" E "}]", SLOW),
	H("{\"kind\":\"EventList\",\"items\":[{" E "}]}", SLOW),
	H("{" E ",\"items\":[]}", SLOW),
	H("{" E ",\"log_type\":\"audit\",\"k8s_audit_level\":\"Metadata\"}", SLOW),
	H("{\"auditID\":\"a1\",\"user\":{\"username\":\"u\"}}", SLOW),
	H("{\"verb\":5,\"AuditId\":\"x\",\"Type\":\"AKSAudit\",\"log_s\":\"{}\"}", KAG_ESCHEMA),

	/* invalid UTF-8 */
	H("{" E ",\"userAgent\":\"\xc0\x80\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\xc1\xbf\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\xe0\x80\x80\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\xed\xa0\x80\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\xf4\x90\x80\x80\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\xf5\x80\x80\x80\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\x80\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\xe2\x82\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\xff\"}", KAG_EPARSE),
	H("{" E ",\"us\xe9r\":1}", KAG_EPARSE),
	H("{" E ",\"requestObject\":{\"a\":[{\"b\":\"ok\",\"c\":\"\xed\xbf\xbf\"}]}}", KAG_EPARSE),
	H("{" E ",\"x\":\xc3\xa9}", KAG_EPARSE),

	/* control characters and NUL bytes */
	H("{" E ",\"userAgent\":\"a\x01" "b\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"a\x1f" "b\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"a\tb\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"a\0b\"}", KAG_EPARSE),
	/* jansson drops a NUL byte that ends a number or literal: accepted */
	H("{" E ",\"x\":1\0}", SLOW),
	H("{" E ",\"x\":true\0,\"y\":2}", SLOW),
	H("{" E ",\"x\":1,\0\"y\":2}", KAG_EPARSE),
	H("{" E ",\"requestObject\":{\"k\":\"\x02\"}}", KAG_EPARSE),

	/* escapes */
	H("{" E ",\"userAgent\":\"\\x41\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\'\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\U0041\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\u12\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\u12G4\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\ud800\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\udc00\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\ud800\\u0041\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\ud800x\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\ud800\\n\"}", KAG_EPARSE),
	H("{" E ",\"userAgent\":\"\\udbff\\udbff\"}", KAG_EPARSE),
	H("{" E ",\"requestObject\":{\"\\udfff\":1}}", KAG_EPARSE),
	H("{" E ",\"a\\u0000b\":1}", KAG_EPARSE),
	H("{" E ",\"requestObject\":{\"\\u0000\":1}}", KAG_EPARSE),

	/* duplicate keys */
	H("{" E ",\"verb\":\"get\"}", KAG_EPARSE),
	H("{" E ",\"user\":{\"uid\":\"1\",\"uid\":\"2\"}}", KAG_EPARSE),
	H("{" E ",\"x\":1,\"\\u0078\":2}", KAG_EPARSE),
	H("{" E ",\"requestObject\":{\"spec\":{\"a\":{\"b\":1,\"c\":2,\"b\":3}}}}", KAG_EPARSE),
	H("{" E ",\"requestObject\":{\"k01\":1,\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,"
	  "\"k07\":1,\"k08\":1,\"k09\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,"
	  "\"k15\":1,\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k20\":1,\"k0\\u0031\":1}}", KAG_EPARSE),
	H("{" E ",\"annotations\":{\"a\":\"1\",\"a\":\"1\"}}", KAG_EPARSE),
	/* a member the front end knows is found again by its lookup, the
	 * others by the scan: spelled with an escape, after a body, among
	 * more than 32 keys, a provider's or another shape's member */
	H("{" E ",\"v\\u0065rb\":\"get\"}", KAG_EPARSE),
	H("{\"v\\u0065rb\":\"get\"," E "}", KAG_EPARSE),
	H("{" E ",\"requestObject\":{},\"x\":1,\"requestObject\":{}}", KAG_EPARSE),
	H("{" E ",\"k01\":1,\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,\"k07\":1,"
	  "\"k08\":1,\"k09\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,"
	  "\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k20\":1,\"k21\":1,\"k22\":1,\"k23\":1,"
	  "\"k24\":1,\"k25\":1,\"k26\":1,\"k27\":1,\"k28\":1,\"k29\":1,\"k30\":1,\"k31\":1,"
	  "\"k32\":1,\"k33\":1,\"auditID\":\"a2\"}", KAG_EPARSE),
	H("{" E ",\"k01\":1,\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,\"k07\":1,"
	  "\"k08\":1,\"k09\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,"
	  "\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k20\":1,\"k21\":1,\"k22\":1,\"k23\":1,"
	  "\"k24\":1,\"k25\":1,\"k26\":1,\"k27\":1,\"k28\":1,\"k29\":1,\"k30\":1,\"k31\":1,"
	  "\"k32\":1,\"k33\":1,\"k0\\u0031\":1}", KAG_EPARSE),
	H("{" E ",\"log_type\":\"a\",\"log_type\":\"a\"}", KAG_EPARSE),
	H("{" E ",\"message\":\"a\",\"message\":\"a\"}", KAG_EPARSE),
	H("{" E ",\"user\":{},\"impersonatedUser\":{},\"user\":{}}", KAG_EPARSE),

	/* numbers and literals */
	H("{" E ",\"x\":01}", KAG_EPARSE),
	H("{" E ",\"x\":-}", KAG_EPARSE),
	H("{" E ",\"x\":1.}", KAG_EPARSE),
	H("{" E ",\"x\":.5}", KAG_EPARSE),
	H("{" E ",\"x\":1e}", KAG_EPARSE),
	H("{" E ",\"x\":1e+}", KAG_EPARSE),
	H("{" E ",\"x\":+1}", KAG_EPARSE),
	H("{" E ",\"x\":1.5x}", KAG_EPARSE),
	H("{" E ",\"x\":0x10}", KAG_EPARSE),
	H("{" E ",\"x\":9223372036854775808}", KAG_EPARSE),
	H("{" E ",\"x\":-9223372036854775809}", KAG_EPARSE),
	H("{" E ",\"x\":123456789012345678901}", KAG_EPARSE),
	H("{" E ",\"x\":1e309}", KAG_EPARSE),
	H("{" E ",\"x\":-1.5e400}", KAG_EPARSE),
	H("{" E ",\"x\":1.7976931348623157e308}", SLOW),
	H("{" E ",\"x\":NaN}", KAG_EPARSE),
	H("{" E ",\"x\":Infinity}", KAG_EPARSE),
	H("{" E ",\"x\":tru}", KAG_EPARSE),
	H("{" E ",\"x\":True}", KAG_EPARSE),
	H("{" E ",\"x\":nulll}", KAG_EPARSE),
	H("{" E ",\"x\":falsey}", KAG_EPARSE),
	H("{" E ",\"x\":'a'}", KAG_EPARSE),

	/* structure */
	H("{" E ",}", KAG_EPARSE),
	H("{" E ",\"x\":[1,]}", KAG_EPARSE),
	H("{" E ",\"x\" 1}", KAG_EPARSE),
	H("{\"verb\":\"get\" \"auditID\":\"a1\"}", KAG_EPARSE),
	H("{" E ",\"x\"::1}", KAG_EPARSE),
	H("{" E ",\"x\":[\"a\":1]}", KAG_EPARSE),
	H("{" E ",\"user\":{\"a\"}}", KAG_EPARSE),
	H("{," E "}", KAG_EPARSE),
	H("{" E ",,\"x\":1}", KAG_EPARSE),
	H("{verb:\"get\"}", KAG_EPARSE),
	H("{1:\"get\"}", KAG_EPARSE),
	H("{{}:1}", KAG_EPARSE),
	H("{" E ",\"x\":[1 2]}", KAG_EPARSE),
	H("{" E ",\"x\":{\"a\":1]}", KAG_EPARSE),
	H("{" E ",\"x\":[1}}", KAG_EPARSE),
	H("{" E ",\"x\":\"a\"\"b\"}", KAG_EPARSE),
	H("{" E ",\"x\":1\x0b}", KAG_EPARSE),

	/* wrong types: the jansson front end's schema errors */
	H("{\"verb\":5,\"auditID\":\"a1\"}", KAG_ESCHEMA),
	H("{" E ",\"user\":[]}", KAG_ESCHEMA),
	H("{" E ",\"user\":{\"groups\":\"x\"}}", KAG_ESCHEMA),
	H("{" E ",\"user\":{\"groups\":[\"a\",1]}}", KAG_ESCHEMA),
	H("{" E ",\"user\":{\"username\":5}}", KAG_ESCHEMA),
	H("{" E ",\"user\":{\"extra\":{\"k\":null}}}", KAG_ESCHEMA),
	H("{" E ",\"user\":{\"extra\":{\"k\":[\"a\",{}]}}}", KAG_ESCHEMA),
	H("{" E ",\"user\":{\"extra\":[]}}", KAG_ESCHEMA),
	H("{" E ",\"impersonatedUser\":5}", KAG_ESCHEMA),
	H("{" E ",\"annotations\":{\"a\":1}}", KAG_ESCHEMA),
	H("{" E ",\"annotations\":[]}", KAG_ESCHEMA),
	H("{" E ",\"responseStatus\":{\"code\":\"200\"}}", KAG_ESCHEMA),
	H("{" E ",\"responseStatus\":{\"code\":200.0}}", KAG_ESCHEMA),
	H("{" E ",\"responseStatus\":{\"code\":2e2}}", KAG_ESCHEMA),
	H("{" E ",\"responseStatus\":{\"code\":true}}", KAG_ESCHEMA),
	H("{" E ",\"responseStatus\":{\"reason\":{}}}", KAG_ESCHEMA),
	H("{" E ",\"responseStatus\":7}", KAG_ESCHEMA),
	H("{" E ",\"objectRef\":\"x\"}", KAG_ESCHEMA),
	H("{" E ",\"objectRef\":{\"name\":5}}", KAG_ESCHEMA),
	H("{" E ",\"kind\":1}", KAG_ESCHEMA),
	H("{" E ",\"apiVersion\":{}}", KAG_ESCHEMA),
	H("{" E ",\"sourceIPs\":[null]}", KAG_ESCHEMA),
	H("{" E ",\"sourceIPs\":\"1.2.3.4\"}", KAG_ESCHEMA),
	H("{" E ",\"stage\":[]}", KAG_ESCHEMA),
	H("{\"foo\":1}", KAG_ESCHEMA),
	H("{\"verb\":null}", KAG_ESCHEMA),
	HF("{" E "}", KAG_ESCHEMA, KAG_FORMAT_GKE),
	HF("{" E "}", KAG_ESCHEMA, KAG_FORMAT_AKS),
	HF("{" E "}", KAG_ESCHEMA, KAG_FORMAT_EVENTLIST),
	HF("{\"foo\":1}", KAG_ESCHEMA, KAG_FORMAT_NATIVE),
};

/* One record: both front ends agree, and the outcome is the expected one. */
static void check_case(size_t i, const hcase *c)
{
	char what[96];
	char *line = malloc(c->len + 1);
	tally t;

	ck_assert_ptr_nonnull(line);
	memcpy(line, c->rec, c->len);
	line[c->len] = '\n';
	snprintf(what, sizeof(what), "hostile case %zu (%.40s)", i, c->rec);
	t = compare_stream(what, line, c->len + 1, c->format, 0, NULL);
	ck_assert_msg(t.records == 1, "%s: %zu records", what, t.records);
	switch (c->want) {
	case FAST:
		ck_assert_msg(t.events == 1 && t.fast == 1, "%s: want an event from the fast front "
			      "end (events %zu, fast %llu)", what, t.events, (unsigned long long)t.fast);
		break;
	case SLOW:
		ck_assert_msg(t.events == 1 && t.fast == 0, "%s: want an event from jansson "
			      "(events %zu, fast %llu)", what, t.events, (unsigned long long)t.fast);
		break;
	default: {
		/* the error itself was compared; check that it is this one */
		kag_parser *p;
		const kag_event *ev;

		ck_assert_msg(t.errors == 1, "%s: want %s", what, kag_error_name(c->want));
		ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
		ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, (uint64_t)c->format),
				 KAG_OK);
		ck_assert_int_eq(kag_parser_feed(p, line, c->len + 1), KAG_OK);
		ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		ck_assert_msg(kag_parser_next(&ev, p) == c->want, "%s: want %s, got %s (%s)", what,
			      kag_error_name(c->want), kag_error_name(kag_parser_next(&ev, p)),
			      kag_parser_error_message(p));
		kag_parser_free(p);
		break;
	}
	}
	free(line);
}

START_TEST(hostile_records)
{
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		check_case(i, &hostile[i]);
}
END_TEST

/* All of them in one stream, pretty-printed ones included: error lines and
 * offsets count across records. */
START_TEST(hostile_stream)
{
	tu_text all = { NULL, 0, 0 };
	size_t i;
	tally t;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		if (hostile[i].format != KAG_FORMAT_AUTO)
			continue;
		tu_put(&all, hostile[i].rec, hostile[i].len);
		tu_put(&all, "\n", 1);
		if (i % 3 == 0)
			tu_put(&all, "\r\n  \n", 5);
	}
	t = compare_stream("hostile stream", all.s, all.len, KAG_FORMAT_AUTO, 0, NULL);
	ck_assert_uint_gt(t.fast, 20);
	ck_assert_uint_gt(t.errors, 80);
	t = compare_stream("hostile stream", all.s, all.len, KAG_FORMAT_AUTO, 5, NULL);
	ck_assert_uint_gt(t.fast, 20);
	free(all.s);
}
END_TEST

/* Nesting: within the fast front end's depth, past it (jansson reads the
 * record) and past jansson's own limit (both reject it). */
static char *nested(size_t depth, size_t *len)
{
	tu_text b = { NULL, 0, 0 };
	size_t i;

	tu_put(&b, "{" E ",\"requestObject\":", sizeof("{" E ",\"requestObject\":") - 1);
	for (i = 0; i < depth; i++)
		tu_put(&b, i % 2 ? "[" : "{\"k\":", i % 2 ? 1 : 5);
	tu_put(&b, "1", 1);
	for (i = depth; i-- > 0;)
		tu_put(&b, i % 2 ? "]" : "}", 1);
	tu_put(&b, "}\n", 2);
	*len = b.len;
	return b.s;
}

START_TEST(deep_records)
{
	size_t len;
	char *rec;
	tally t;

	rec = nested(60, &len);
	t = compare_stream("depth 61", rec, len, KAG_FORMAT_AUTO, 0, NULL);
	ck_assert(t.events == 1 && t.fast == 1);
	free(rec);
	rec = nested(300, &len);
	t = compare_stream("depth 301", rec, len, KAG_FORMAT_AUTO, 0, &(limits){ 0, 400, 0 });
	ck_assert(t.events == 1 && t.fast == 0);
	free(rec);
	rec = nested(2100, &len);
	t = compare_stream("depth 2101", rec, len, KAG_FORMAT_AUTO, 0, &(limits){ 0, 4000, 0 });
	ck_assert(t.errors == 1 && t.fast == 0);
	free(rec);
}
END_TEST

/* The fast parser reads a record that starts a line without the framer,
 * when it keeps within the limits: small limits must give the framer's
 * errors all the same, at every size around a record's length. */
START_TEST(limits_differential)
{
	static const limits sets[] = {
		{ 0, 0, 40 }, { 0, 0, 8 }, { 0, 3, 0 }, { 0, 2, 0 }, { 0, 1, 0 },
		{ 900, 0, 0 }, { 400, 0, 0 }, { 1500, 4, 100 },
	};
	static const char rec[] = "{\"verb\":\"get\",\"auditID\":\"limit\",\"user\":"
				  "{\"username\":\"abcdefghij\"}}\n";
	struct bench_stream s;
	size_t i, n = sizeof(rec) - 2; /* the record without its line end */
	tally t;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(bench_generate(&s, 300, 99), 0);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		t = compare_stream("generated, small limits", s.data, s.len, KAG_FORMAT_AUTO, 0, &sets[i]);
		ck_assert_uint_eq(t.records, s.lines);
		t = compare_stream("generated, small limits", s.data, s.len, KAG_FORMAT_AUTO, 509,
				   &sets[i]);
	}
	/* around the record's length and its longest string (10 bytes) */
	for (i = n - 3; i <= n + 2; i++) {
		t = compare_stream("record size limit", rec, sizeof(rec) - 1, KAG_FORMAT_AUTO, 0,
				   &(limits){ i, 0, 0 });
		ck_assert_uint_eq(t.records, 1);
	}
	t = compare_stream("record size limit", rec, sizeof(rec) - 1, KAG_FORMAT_AUTO, 0,
			   &(limits){ n, 0, 0 });
	ck_assert(t.events == 1 && t.fast == 1);
	for (i = 8; i <= 11; i++) {
		t = compare_stream("string limit", rec, sizeof(rec) - 1, KAG_FORMAT_AUTO, 0,
				   &(limits){ 0, 0, i });
		ck_assert_uint_eq(t.events, i >= 10);
	}
	for (i = 1; i <= 2; i++) {
		t = compare_stream("depth limit", rec, sizeof(rec) - 1, KAG_FORMAT_AUTO, 0,
				   &(limits){ 0, i, 0 });
		ck_assert_uint_eq(t.events, i == 2);
	}
	bench_stream_free(&s);
}
END_TEST

/* How records sit on lines: several on one line, text after one, a record
 * ending on the line where the next begins, prefixes, CRLF, a BOM, no
 * final line end; in one feed and in every small chunking. */
START_TEST(line_shapes)
{
	static const char *const streams[] = {
		"{" E "}\n{\"verb\":\"list\",\"auditID\":\"a2\"}\n",
		"{" E "} {\"verb\":\"list\",\"auditID\":\"a2\"}\n{\"verb\":\"x\"}{\"verb\":\"y\"}\n",
		"{" E "} trailing text\n{\"verb\":\"list\",\"auditID\":\"a2\"}\n",
		"{" E "}\r\n\r\n  \t{" E "}  \r\n",
		"node-1 {" E "}\nnode-2   {\"verb\":\"list\",\"auditID\":\"a2\"}\n",
		"\xef\xbb\xbf{" E "}\n",
		"{\n  \"verb\": \"get\",\n  \"auditID\": \"p\"\n}{" E "}\n{" E "}",
		"{" E ",\"x\":[1,2]}][{" E "}]\n{" E "}{\n\"verb\":\"z\"}\n",
		"{" E ",\"userAgent\":\"a\nb\"}\n{" E "}\n",
		"{" E ",\"userAgent\":\"unterminated}\n{" E "}\n",
		"{" E ",\"x\":{\"y\":1}\n{" E "}\n",
		"{" E "}\0{" E "}\n{" E "}",
		"{" E ",\"x\":\"\\\"}\"}\n{" E "}\n",
		"[{" E "}]\n{" E "}\n",
		"{" E "}",
		"{" E "} ",
		"H4sIAAAA\n{" E "}\n",
	};
	size_t i, chunk;

	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		const char *d = streams[i];
		size_t len = strlen(d) + (i == 11 ? strlen(d + strlen(d) + 1) + 1 : 0);
		char what[48];

		snprintf(what, sizeof(what), "line shape %zu", i);
		for (chunk = 0; chunk <= 9; chunk++)
			compare_stream(what, d, len, KAG_FORMAT_AUTO, chunk, NULL);
		compare_stream(what, d, len, KAG_FORMAT_NATIVE, 3, NULL);
		compare_stream(what, d, len, KAG_FORMAT_AUTO, 0, &(limits){ 30, 0, 0 });
	}
	/* the plain ones went the fast way */
	ck_assert_uint_eq(compare_stream("crlf", streams[3], strlen(streams[3]), KAG_FORMAT_AUTO, 0,
					 NULL).fast, 2);
	ck_assert_uint_eq(compare_stream("two on a line", streams[1], strlen(streams[1]),
					 KAG_FORMAT_AUTO, 0, NULL).fast, 4);
}
END_TEST

/* A line of many small records is read in linear time: each record after
 * the first is framed as usual rather than retried with the whole line. */
START_TEST(long_line_of_records)
{
	tu_text line = { NULL, 0, 0 };
	size_t i;
	tally t;

	for (i = 0; i < 20000; i++)
		tu_put(&line, "{\"verb\":\"get\"}", 14);
	tu_put(&line, "\n", 1);
	t = compare_stream("long line", line.s, line.len, KAG_FORMAT_AUTO, 0, NULL);
	ck_assert_uint_eq(t.events, 20000);
	ck_assert_uint_eq(t.fast, 20000);
	t = compare_stream("long line", line.s, line.len, KAG_FORMAT_AUTO, 4096, NULL);
	ck_assert_uint_eq(t.events, 20000);
	free(line.s);
}
END_TEST

/* Bodies stay text until something needs them, then parse once. */
START_TEST(lazy_bodies)
{
	static const char rec[] =
		"{\"verb\":\"get\",\"auditID\":\"b1\",\"level\":\"RequestResponse\","
		"\"user\":{\"username\":\"alice\"},\"objectRef\":{\"resource\":\"configmaps\","
		"\"namespace\":\"prod\",\"name\":\"c\"},\"responseStatus\":{\"code\":200},"
		"\"requestObject\" : {\"kind\":\"ConfigMap\", \"data\":{\"a\":\"\\u00e9\"}},"
		"\"responseObject\":[1, 2]}\n";
	kag_registry *reg;
	kag_session *s;
	kag_parser *p;
	const kag_event *ev;
	const kag_result *res;
	struct json_t *body;
	const char *text;
	size_t len;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s, reg), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, rec, sizeof(rec) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_uint_eq(kag__parser_fast_records(p), 1);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_REQUEST_OBJECT), KAG_STATE_OBSERVED);
	ck_assert_ptr_null(ev->body[0]);
	ck_assert_ptr_null(ev->body[1]);
	ck_assert_uint_eq(ev->body_text[0].len, strlen("{\"kind\":\"ConfigMap\", \"data\":{\"a\":\"\\u00e9\"}}"));
	/* no detector reads the body of a configmap get */
	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
	ck_assert_ptr_null(ev->body[0]);
	/* a read parses it, once */
	ck_assert_int_eq(kag_event_get_string(&text, &len, ev, KAG_FIELD_REQUEST_OBJECT), KAG_OK);
	ck_assert_str_eq(text, "{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"\xc3\xa9\"}}");
	body = ev->body[0];
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_null(ev->body_text[0].ptr);
	ck_assert_ptr_eq(kag__event_body(ev, 0), body);
	ck_assert_ptr_eq(kag__event_body(ev, 0), body);
	ck_assert_int_eq(kag_event_get_string(&text, &len, ev, KAG_FIELD_RESPONSE_OBJECT), KAG_OK);
	ck_assert_str_eq(text, "[1,2]");
	kag_parser_free(p);
	kag_session_free(s);
	kag_registry_free(reg);
}
END_TEST

/* Escaped strings are decoded into the event, others point into the
 * record; both are the jansson values. */
START_TEST(unescaped_values)
{
	static const char rec[] =
		"{\"verb\":\"get\",\"auditID\":\"a\\/b\",\"requestURI\":\"/api?x=\\u003c\\u0000\","
		"\"userAgent\":\"plain\"}\n";
	kag_parser *p;
	const kag_event *ev;
	const char *s;
	size_t len;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, rec, sizeof(rec) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_uint_eq(kag__parser_fast_records(p), 1);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_AUDIT_ID), KAG_OK);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(s, "a/b", 3), 0);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_REQUEST_URI), KAG_OK);
	ck_assert_uint_eq(len, 9);
	ck_assert_int_eq(memcmp(s, "/api?x=<\0", 9), 0);
	ck_assert_int_eq(kag_event_get_string(&s, &len, ev, KAG_FIELD_USER_AGENT), KAG_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(s, "plain\"", 6), 0); /* borrowed from the record */
	kag_parser_free(p);
}
END_TEST

static Suite *frontend_suite(void)
{
	Suite *s = suite_create("frontend");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, option_values);
	tcase_add_test(tc, default_is_fast);
	suite_add_tcase(s, tc);
	tc = tcase_create("differential");
	tcase_add_checked_fixture(tc, registry_setup, registry_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, data_files);
	tcase_add_test(tc, native_file_all_fast);
	tcase_add_test(tc, generated_one_feed);
	tcase_add_test(tc, generated_chunks);
	tcase_add_test(tc, generated_seeds);
	tcase_add_test(tc, hostile_records);
	tcase_add_test(tc, hostile_stream);
	tcase_add_test(tc, deep_records);
	tcase_add_test(tc, limits_differential);
	tcase_add_test(tc, line_shapes);
	tcase_add_test(tc, long_line_of_records);
	suite_add_tcase(s, tc);
	tc = tcase_create("values");
	tcase_add_test(tc, lazy_bodies);
	tcase_add_test(tc, unescaped_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!(kag_features() & KAG_FEATURE_FAST_FRONTEND)) {
		puts("built without the fast front end: nothing to compare");
		return 77; /* skipped */
	}
	sr = srunner_create(frontend_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
