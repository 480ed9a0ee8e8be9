/*
 * kag-bench-addresses: known_bad_source lookups with 100,000 ranges loaded.
 *
 *   kag-bench-addresses [--events=N] [--rounds=R] [--max-ratio=X]
 *
 * 100,000 IPv4 and IPv6 ranges (prefixes /20 to /32 and /32 to /128, from
 * a fixed seed) are loaded with kag_registry_load_addresses() and sealed
 * (timed once). A stream of N events (default 200,000) from random public
 * addresses, one in ten drawn from a listed range, is then judged three
 * ways in each round, in CPU time of this process:
 *   parse    the parser alone (the baseline);
 *   empty    parse + a session with only known_bad_source, no list loaded;
 *   listed   the same with the 100,000 ranges loaded.
 * Lookups per second are N over (listed - empty); the ratios listed/parse
 * and empty/parse are reported as medians over the rounds, so that the
 * load of a shared machine touches both sides alike. Exit status 1 when
 * the listed run finds a different number of matches than a linear scan
 * of the ranges, or when listed/empty exceeds --max-ratio (default 1.5):
 * a lookup then costs as much as a third of judging the event.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kag.h>

#define N_RANGES 100000

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed >> 16);
}

static struct { uint32_t net, mask; } v4[N_RANGES];
static size_t n_v4;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A public IPv4 address as a number (first octet 11 to 99 or 101 to 191). */
static uint32_t public_v4(void)
{
	uint32_t a = 11 + rnd() % 181;

	if (a == 100)
		a = 101;
	return a << 24 | (rnd() & 0xffffff);
}

/* The list: 9 in 10 ranges IPv4 (kept for the linear check), the rest IPv6. */
static char *make_list(size_t *len)
{
	char *text = malloc((size_t)N_RANGES * 48), *p = text;
	size_t i;

	if (!text)
		return NULL;
	for (i = 0; i < N_RANGES; i++) {
		if (i % 10 == 9) {
			unsigned bits = 32 + rnd() % 97;

			p += sprintf(p, "2001:%x:%x:%x::/%u\n", rnd() & 0xffff, rnd() & 0xffff,
				     rnd() & 0xffff, bits);
			continue;
		}
		{
			unsigned bits = 20 + rnd() % 13;
			uint32_t mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
			uint32_t a = public_v4() & mask;

			v4[n_v4].net = a;
			v4[n_v4++].mask = mask;
			p += sprintf(p, "%u.%u.%u.%u/%u\n", a >> 24, a >> 16 & 255, a >> 8 & 255,
				     a & 255, bits);
		}
	}
	*len = (size_t)(p - text);
	return text;
}

static int listed(uint32_t a)
{
	size_t i;

	for (i = 0; i < n_v4; i++)
		if ((a & v4[i].mask) == v4[i].net)
			return 1;
	return 0;
}

/* N events; *expect: how many come from a listed address. */
static char *make_events(size_t n, size_t *len, long *expect)
{
	char *text = malloc(n * 400), *p = text;
	size_t i;

	if (!text)
		return NULL;
	*expect = 0;
	for (i = 0; i < n; i++) {
		uint32_t a;

		if (i % 10 == 0) {
			size_t k = rnd() % n_v4;

			a = v4[k].net | (rnd() & ~v4[k].mask);
		} else {
			a = public_v4();
		}
		*expect += listed(a);
		p += sprintf(p, "{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"b-%zu\","
			     "\"stage\":\"ResponseComplete\",\"verb\":\"get\",\"user\":{\"username\":"
			     "\"dev%zu@example.com\"},\"sourceIPs\":[\"%u.%u.%u.%u\"],\"objectRef\":"
			     "{\"resource\":\"pods\",\"namespace\":\"shop\"},\"responseStatus\":"
			     "{\"code\":200},\"stageTimestamp\":\"2024-05-03T08:00:00.000000Z\"}\n",
			     i, i % 97, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	}
	*len = (size_t)(p - text);
	return text;
}

/* Parse the stream, judging each event when sess is given: the number of
 * known_bad_source verdicts, or -1. */
static long run(kag_session *sess, const char *text, size_t len)
{
	kag_parser *p;
	const kag_event *ev;
	long hits = 0;
	int rc;

	if (kag_parser_new(&p) < 0 || kag_parser_feed(p, text, len) < 0 ||
	    kag_parser_finish(p) < 0)
		return -1;
	while ((rc = kag_parser_next(&ev, p)) == KAG_OK) {
		const kag_result *res;
		size_t i;

		if (!sess)
			continue;
		if (kag_session_evaluate(&res, sess, ev) < 0)
			return -1;
		for (i = 0; i < kag_result_count(res); i++)
			hits += strcmp(kag_verdict_detector(kag_result_verdict(res, i)),
				       "known_bad_source") == 0;
	}
	kag_parser_free(p);
	return hits;
}

/* A sealed registry with only known_bad_source enabled. */
static kag_registry *registry(const char *list, size_t len, double *load_s)
{
	kag_registry *reg;
	size_t i;
	double t0;

	if (kag_registry_new(&reg) < 0)
		return NULL;
	for (i = 0; i < kag_registry_count(reg); i++)
		kag_registry_disable(reg, kag_registry_detector_id(reg, i));
	kag_registry_enable(reg, "known_bad_source");
	kag_registry_set_option_u64(reg, KAG_ROPT_REPEAT_WINDOW, 0);
	t0 = cpu_now();
	if (list && kag_registry_load_addresses(reg, "bench", list, len) < 0) {
		fprintf(stderr, "kag-bench-addresses: %s\n", kag_registry_error_message(reg));
		return NULL;
	}
	kag_registry_seal(reg);
	if (load_s)
		*load_s = cpu_now() - t0;
	return reg;
}

/* run() through a fresh session: each round judges the stream anew. */
static long run_on(kag_registry *reg, const char *text, size_t len)
{
	kag_session *sess;
	long hits;

	if (kag_session_new(&sess, reg) < 0)
		return -1;
	hits = run(sess, text, len);
	kag_session_free(sess);
	return hits;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	size_t n_events = 200000, list_len, text_len;
	int rounds = 5, r, i;
	double max_ratio = 1.5, load_s, tp[64], te[64], tl[64], rl[64], re[64], lps[64];
	long expect, hits = 0;
	char *list, *text;
	kag_registry *empty, *full;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--events=", 9) == 0)
			n_events = strtoul(argv[i] + 9, NULL, 10);
		else if (strncmp(argv[i], "--rounds=", 9) == 0)
			rounds = atoi(argv[i] + 9);
		else if (strncmp(argv[i], "--max-ratio=", 12) == 0)
			max_ratio = atof(argv[i] + 12);
		else {
			fprintf(stderr, "usage: kag-bench-addresses [--events=N] [--rounds=R] "
				"[--max-ratio=X]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 64 || n_events < 10)
		return 2;
	list = make_list(&list_len);
	text = list ? make_events(n_events, &text_len, &expect) : NULL;
	empty = registry(NULL, 0, NULL);
	full = text ? registry(list, list_len, &load_s) : NULL;
	if (!empty || !full)
		return 1;
	printf("%d ranges (%zu bytes) loaded and sealed in %.1f ms\n", N_RANGES, list_len,
	       load_s * 1e3);
	for (r = 0; r < rounds; r++) {
		double t0 = cpu_now();

		if (run(NULL, text, text_len) < 0)
			return 1;
		tp[r] = cpu_now() - t0;
		t0 = cpu_now();
		if (run_on(empty, text, text_len) != 0)
			return 1;
		te[r] = cpu_now() - t0;
		t0 = cpu_now();
		hits = run_on(full, text, text_len);
		tl[r] = cpu_now() - t0;
		re[r] = te[r] / tp[r];
		rl[r] = tl[r] / tp[r];
		lps[r] = tl[r] > te[r] ? (double)n_events / (tl[r] - te[r]) : 0;
	}
	printf("%zu events, %ld from listed addresses (%ld expected)\n", n_events, hits, expect);
	printf("parse alone:              %.0f events/s\n", (double)n_events / median(tp, rounds));
	printf("no list / parse:          %.3f\n", median(re, rounds));
	printf("100k ranges / parse:      %.3f\n", median(rl, rounds));
	printf("100k ranges / no list:    %.3f (limit %.2f)\n",
	       median(rl, rounds) / median(re, rounds), max_ratio);
	printf("lookups per second:       %.3g (median of %d rounds; 0: below the noise)\n",
	       median(lps, rounds), rounds);
	kag_registry_free(empty);
	kag_registry_free(full);
	free(list);
	free(text);
	if (hits != expect) {
		fprintf(stderr, "kag-bench-addresses: %ld matches, a linear scan finds %ld\n", hits,
			expect);
		return 1;
	}
	return median(rl, rounds) / median(re, rounds) > max_ratio;
}
