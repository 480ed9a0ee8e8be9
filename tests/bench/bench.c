/*
 * kag-bench: the cost of kag's pipeline against a bare JSON parse.
 *
 *   kag-bench [--events=N] [--seed=S] [--repeat=R] [N]
 *   kag-bench --check [--events=N]   validate the generated stream (a test)
 *   kag-bench --dump [--events=N]    write the generated stream to stdout
 *
 * One generated stream (default 200000 events, about 1 KB each) is held in
 * memory and timed three ways in the same run:
 *   (a) jansson json_loadb() of each line, with the flags kag's parser uses;
 *   (b) the full pipeline as kag-triage runs it: parser (64 KiB chunks) and
 *       a session over every built-in detector, benign verdicts left out;
 *   (c) the parser alone, to separate parsing from gates and detectors.
 * Times are process CPU time (wall time is shown too), so that other load on
 * the machine disturbs the figures less. With --repeat, each is run R times
 * and the fastest run is reported.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <kag.h>

#include "gen.h"

#define CHUNK (64 * 1024)

struct run {
	double secs;      /* process CPU time: steadier than wall time on a busy machine */
	double wall;
	uint64_t events, errors, verdicts, suppressed;
	uint64_t by_assessment[4];
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void start(double t[2])
{
	t[0] = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	t[1] = clock_s(CLOCK_MONOTONIC);
}

static void stop(const double t[2], struct run *out)
{
	out->secs = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t[0];
	out->wall = clock_s(CLOCK_MONOTONIC) - t[1];
}

static int run_jansson(const struct bench_stream *s, struct run *out)
{
	const char *p = s->data, *end = s->data + s->len;
	double t0[2];

	memset(out, 0, sizeof(*out));
	start(t0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_error_t err;
		json_t *root = json_loadb(p, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);

		if (root) {
			out->events++;
			json_decref(root);
		} else {
			out->errors++;
		}
		p += len + 1;
	}
	stop(t0, out);
	return 0;
}

static void count_verdicts(struct run *out, const kag_result *res)
{
	size_t i, n = kag_result_count(res);

	out->verdicts += n;
	for (i = 0; i < n; i++) {
		int a = kag_verdict_assessment(kag_result_verdict(res, i));

		if (a >= 0 && a < 4)
			out->by_assessment[a]++;
	}
}

/* with_session = 0: the parser alone. */
static int run_kag(const struct bench_stream *s, int with_session, struct run *out)
{
	kag_registry *reg = NULL;
	kag_session *session = NULL;
	kag_parser *parser = NULL;
	kag_result *res;
	size_t off = 0;
	int rc = -1, finished = 0;
	double t0[2];

	memset(out, 0, sizeof(*out));
	start(t0);
	if (kag_registry_new(&reg) < 0 || kag_registry_seal(reg) < 0 ||
	    kag_session_new(&session, reg) < 0 ||
	    kag_session_set_option_u64(session, KAG_SOPT_EMIT_BENIGN, 0) < 0 ||
	    kag_parser_new(&parser) < 0 || kag_parser_set_source(parser, "bench") < 0)
		goto out;
	while (!finished) {
		kag_event *ev;
		int err;

		if (off < s->len) {
			size_t n = s->len - off < CHUNK ? s->len - off : CHUNK;

			if (kag_parser_feed(parser, s->data + off, n) < 0)
				goto out;
			off += n;
		} else {
			if (kag_parser_finish(parser) < 0)
				goto out;
			finished = 1;
		}
		while ((err = kag_parser_next(&ev, parser)) != KAG_ITEROVER) {
			if (err == KAG_ENOMEM || err == KAG_EINVAL)
				goto out;
			if (err < 0) {
				out->errors++;
				continue;
			}
			out->events++;
			if (!with_session)
				continue;
			if (kag_session_evaluate(&res, session, ev) < 0)
				goto out;
			count_verdicts(out, res);
		}
	}
	if (with_session) {
		if (kag_session_flush(&res, session) < 0)
			goto out;
		count_verdicts(out, res);
	}
	stop(t0, out);
	out->suppressed = kag_session_stat(session, KAG_SSTAT_SUPPRESSED);
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "kag-bench: kag pipeline failed: %s\n", kag_parser_error_message(parser));
	kag_parser_free(parser);
	kag_session_free(session);
	kag_registry_free(reg);
	return rc;
}

static void keep_best(struct run *best, const struct run *r, int first)
{
	if (first || r->secs < best->secs)
		*best = *r;
}

static void report(const char *label, const struct run *r, const struct bench_stream *s)
{
	double mb = (double)s->len / 1e6;

	printf("%-40s %7.3f s %10.0f events/s %7.1f MB/s  (wall %.3f s)\n", label, r->secs,
	       (double)s->lines / r->secs, mb / r->secs, r->wall);
}

static void describe(const struct bench_stream *s, uint64_t seed)
{
	size_t i, requests = 0;

	for (i = 0; i < BK_COUNT_; i++)
		requests += s->requests[i];
	printf("stream: %zu events (%zu requests), seed %" PRIu64 ", %.1f MB, %.0f B/event\n",
	       s->lines, requests, seed, (double)s->len / 1e6,
	       s->lines ? (double)s->len / (double)s->lines : 0.0);
	printf("levels: Metadata %.1f%%, Request %.1f%%, RequestResponse %.1f%%; "
	       "RequestReceived lines %.1f%%\n",
	       100.0 * (double)s->levels[1] / (double)s->lines,
	       100.0 * (double)s->levels[2] / (double)s->lines,
	       100.0 * (double)s->levels[3] / (double)s->lines,
	       100.0 * (double)s->request_received / (double)s->lines);
	printf("mix:");
	for (i = 0; i < BK_COUNT_; i++)
		printf(" %s %.1f%%", bench_kind_name((int)i),
		       100.0 * (double)s->requests[i] / (double)requests);
	printf("\n");
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int failures;

static void expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

/* --check: the generated stream is what the benchmark claims it is. */
static int check(size_t n, uint64_t seed)
{
	struct bench_stream a, b, c;
	struct run ja, kp, kf;
	size_t i, requests = 0;
	int all_kinds = 1;
	double avg;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	if (bench_generate(&a, n, seed) < 0 || bench_generate(&b, n, seed) < 0 ||
	    bench_generate(&c, n, seed + 1) < 0) {
		fprintf(stderr, "kag-bench: out of memory\n");
		return 1;
	}
	describe(&a, seed);
	printf("fnv1a64 %016" PRIx64 "\n", fnv1a(a.data, a.len));
	expect(a.lines == n, "the stream has exactly the events asked for");
	expect(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	       "the same seed gives the same bytes");
	expect(a.len != c.len || memcmp(a.data, c.data, a.len) != 0,
	       "another seed gives other bytes");
	for (i = 0; i < BK_COUNT_; i++) {
		requests += a.requests[i];
		if (!a.requests[i])
			all_kinds = 0;
	}
	expect(all_kinds, "every kind of request occurs");
	expect(a.requests[BK_LEASE] + a.requests[BK_ENDPOINTS] + a.requests[BK_EVENTS] +
		       a.requests[BK_CONFIGMAP] + a.requests[BK_LIST_WATCH] +
		       a.requests[BK_CONTROLLER] > requests * 8 / 10,
	       "over 80% of requests are control-plane reconciliation");
	expect(a.levels[2] > 0 && a.levels[3] > 0 && a.levels[1] > a.lines / 2,
	       "mostly Metadata, with Request and RequestResponse lines");
	expect(a.request_received > 0, "some requests are also logged at RequestReceived");
	avg = (double)a.len / (double)a.lines;
	expect(avg > 800 && avg < 1300, "events average about 1 KB");
	expect(a.len > 0 && a.data[a.len - 1] == '\n' && memchr(a.data, '\0', a.len) == NULL,
	       "one event per line, newline-terminated, no NUL bytes");

	run_jansson(&a, &ja);
	expect(ja.events == n && ja.errors == 0, "jansson parses every line");
	if (run_kag(&a, 0, &kp) < 0 || run_kag(&a, 1, &kf) < 0) {
		failures++;
	} else {
		expect(kp.events == n && kp.errors == 0, "kag's parser reads every line as an event");
		expect(kf.events == n && kf.errors == 0, "the pipeline judges every event");
		expect(kf.by_assessment[KAG_ASSESSMENT_SUSPICIOUS] > 0,
		       "the pipeline finds suspicious activity");
		expect(kf.suppressed > kf.verdicts, "benign verdicts outnumber the others");
		expect(kf.by_assessment[KAG_ASSESSMENT_BENIGN] == 0, "benign verdicts are left out");
		printf("pipeline: %" PRIu64 " verdicts (suspicious %" PRIu64 ", malicious %" PRIu64
		       ", needs_context %" PRIu64 "), %" PRIu64 " benign suppressed\n",
		       kf.verdicts, kf.by_assessment[1], kf.by_assessment[2], kf.by_assessment[3],
		       kf.suppressed);
	}
	bench_stream_free(&a);
	bench_stream_free(&b);
	bench_stream_free(&c);
	return failures ? 1 : 0;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K') {
		v *= 1000;
		end++;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: kag-bench [--events=N] [--seed=S] [--repeat=R] [--check|--dump] [N]\n");
}

int main(int argc, char **argv)
{
	uint64_t n = 200000, seed = 1, repeat = 1;
	int mode_check = 0, mode_dump = 0, i, r;
	struct bench_stream s;
	struct run ja, kf, kp, best_ja, best_kf, best_kp;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int bad = 0;

		if (strncmp(a, "--events=", 9) == 0)
			bad = parse_size(a + 9, &n);
		else if (strncmp(a, "--seed=", 7) == 0)
			bad = parse_size(a + 7, &seed);
		else if (strncmp(a, "--repeat=", 9) == 0)
			bad = parse_size(a + 9, &repeat) || repeat == 0;
		else if (strcmp(a, "--check") == 0)
			mode_check = 1;
		else if (strcmp(a, "--dump") == 0)
			mode_dump = 1;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else
			bad = parse_size(a, &n);
		if (bad || n == 0) {
			usage(stderr);
			return 2;
		}
	}
	if (mode_check)
		return check((size_t)n, seed);

	memset(&s, 0, sizeof(s));
	if (bench_generate(&s, (size_t)n, seed) < 0) {
		fprintf(stderr, "kag-bench: out of memory for %" PRIu64 " events\n", n);
		return 1;
	}
	if (mode_dump) {
		int ok = fwrite(s.data, 1, s.len, stdout) == s.len && fflush(stdout) == 0;

		bench_stream_free(&s);
		return ok ? 0 : 1;
	}

	printf("kag-bench: kag %s, jansson %s\n", kag_version_string(), JANSSON_VERSION);
	describe(&s, seed);
	memset(&best_ja, 0, sizeof(best_ja));
	memset(&best_kf, 0, sizeof(best_kf));
	memset(&best_kp, 0, sizeof(best_kp));
	for (r = 0; r < (int)repeat; r++) {
		if (run_jansson(&s, &ja) < 0 || run_kag(&s, 1, &kf) < 0 || run_kag(&s, 0, &kp) < 0) {
			bench_stream_free(&s);
			return 1;
		}
		keep_best(&best_ja, &ja, r == 0);
		keep_best(&best_kf, &kf, r == 0);
		keep_best(&best_kp, &kp, r == 0);
	}
	if (best_ja.errors || best_kf.errors || best_kf.events != s.lines) {
		fprintf(stderr, "kag-bench: the stream did not parse cleanly (%" PRIu64
			" jansson errors, %" PRIu64 " kag errors)\n", best_ja.errors, best_kf.errors);
		bench_stream_free(&s);
		return 1;
	}
	printf("\n");
	report("(a) jansson json_loadb per line", &best_ja, &s);
	report("(b) kag parser + session, all detectors", &best_kf, &s);
	report("(c) kag parser only", &best_kp, &s);
	printf("\nratio b/a (time): %.2f  (the full pipeline runs at %.0f%% of bare jansson's rate)\n",
	       best_kf.secs / best_ja.secs, 100.0 * best_ja.secs / best_kf.secs);
	printf("parser framing + event slots over jansson, (c-a)/a: %+.1f%%\n",
	       100.0 * (best_kp.secs - best_ja.secs) / best_ja.secs);
	printf("gates + detectors + session, (b-c)/c: %+.1f%% of parsing\n",
	       100.0 * (best_kf.secs - best_kp.secs) / best_kp.secs);
	printf("verdicts: %" PRIu64 " (suspicious %" PRIu64 ", malicious %" PRIu64
	       ", needs_context %" PRIu64 "); benign suppressed %" PRIu64 "\n",
	       best_kf.verdicts, best_kf.by_assessment[1], best_kf.by_assessment[2],
	       best_kf.by_assessment[3], best_kf.suppressed);
	printf("(times are process CPU time%s)\n", repeat > 1 ? ", fastest of the runs" : "");
	bench_stream_free(&s);
	return 0;
}
