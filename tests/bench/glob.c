/*
 * kag-bench-glob: what a caller rule's glob costs, against the length of
 * the value it reads and the length of the pattern.
 *
 *   kag-bench-glob [--rounds=R] [--max-size-ratio=X] [--max-pattern-ratio=Y]
 *   kag-bench-glob --check    the rules match as they should (a test)
 *
 * Each pattern is the glob of one rule on userAgent, judged by a session
 * with every built-in detector disabled, on an event whose userAgent is n
 * bytes of 'a' (no pattern matches it):
 *   tail  "*" + 254 "a" + "b"    the longest glob allowed: an anchored tail
 *   mid   "*" + 253 "a" + "b*"   the same run searched for along the value
 *   one   "*b*"                  the shortest search along the value
 * for n = 64 KiB and 1 MiB. A round times every (pattern, size) once, in a
 * shuffled order, as CPU time of this process over enough events for 4 MiB
 * of value; ratios are taken within a round and the median over the rounds
 * is reported, so that slow drifts in the load of a shared machine touch
 * both sides of a ratio alike. Two of them are checked (exit status 1 when
 * one is over its limit):
 *   size     mid per event at 1 MiB over mid at 64 KiB: 16 when the time is
 *            linear in the length of the value (limit 40);
 *   pattern  mid over one at 1 MiB: what a search for 254 bytes costs per
 *            byte of value over a search for one. Linear matching reads
 *            each byte once, with one word of state per 64 pattern bytes,
 *            so this stays a small constant; a matcher that backtracks
 *            over the run reads each byte about as many times as the run
 *            is long (limit 24).
 * The size ratio alone cannot tell the two apart: a backtracking matcher
 * costs pattern length x value length, linear in the value as well.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kag.h>

#define SMALL (64u << 10)
#define LARGE (1u << 20)
#define VOLUME (4u << 20) /* bytes of value a timing reads */

enum { P_TAIL, P_MID, P_ONE, N_PATTERNS };
enum { S_SMALL, S_LARGE, N_SIZES };

static const char *const pattern_label[N_PATTERNS] = {
	"tail \"*\" + 254 \"a\" + \"b\"",
	"mid  \"*\" + 253 \"a\" + \"b*\"",
	"one  \"*b*\"",
};
static const size_t sizes[N_SIZES] = { SMALL, LARGE };

static char patterns[N_PATTERNS][260];

static void make_patterns(void)
{
	char *p;

	p = patterns[P_TAIL];
	p[0] = '*';
	memset(p + 1, 'a', 254);
	strcpy(p + 255, "b");
	p = patterns[P_MID];
	p[0] = '*';
	memset(p + 1, 'a', 253);
	strcpy(p + 254, "b*");
	strcpy(patterns[P_ONE], "*b*");
}

/* A registry holding the one rule "g" with `glob` on userAgent and no
 * built-in detector enabled, and a session over it. */
static int setup(kag_registry **reg, kag_session **sess, const char *glob)
{
	char json[512];
	size_t i;
	int rc;

	*sess = NULL;
	if ((rc = kag_registry_new(reg)) < 0)
		return rc;
	for (i = 0; i < kag_registry_count(*reg); i++)
		if ((rc = kag_registry_disable(*reg, kag_registry_detector_id(*reg, i))) < 0)
			return rc;
	snprintf(json, sizeof(json), "{\"rules\":[{\"id\":\"g\",\"title\":\"G\",\"assessment\":"
		 "\"suspicious\",\"severity\":\"low\",\"match\":{\"field\":\"userAgent\","
		 "\"glob\":\"%s\"}}]}", glob);
	if ((rc = kag_registry_load_rules(*reg, json, strlen(json))) < 0) {
		fprintf(stderr, "kag-bench-glob: %s\n", kag_registry_error_message(*reg));
		return rc;
	}
	if ((rc = kag_registry_seal(*reg)) < 0)
		return rc;
	return kag_session_new(sess, *reg);
}

/* An event of a complete request whose userAgent is `agent`. */
static int make_event(kag_event **ev, const char *agent, size_t len)
{
	int rc;

	if ((rc = kag_event_new(ev)) < 0)
		return rc;
	kag_event_set_string(*ev, KAG_FIELD_STAGE, "ResponseComplete", 16, KAG_STATE_OBSERVED);
	kag_event_set_string(*ev, KAG_FIELD_LEVEL, "Metadata", 8, KAG_STATE_OBSERVED);
	kag_event_set_string(*ev, KAG_FIELD_VERB, "get", 3, KAG_STATE_OBSERVED);
	kag_event_set_string(*ev, KAG_FIELD_REQUEST_URI, "/api/v1/pods", 12, KAG_STATE_OBSERVED);
	kag_event_set_string(*ev, KAG_FIELD_USER_USERNAME, "alice", 5, KAG_STATE_OBSERVED);
	kag_event_set_int(*ev, KAG_FIELD_RESPONSE_CODE, 200, KAG_STATE_OBSERVED);
	return kag_event_set_string(*ev, KAG_FIELD_USER_AGENT, agent, len, KAG_STATE_OBSERVED);
}

/* Verdicts of rule g for one event, or -1. */
static long verdicts(kag_session *sess, const kag_event *ev)
{
	const kag_result *res;
	size_t i;
	long n = 0;

	if (kag_session_evaluate(&res, sess, ev) < 0)
		return -1;
	for (i = 0; i < kag_result_count(res); i++)
		n += strcmp(kag_verdict_detector(kag_result_verdict(res, i)), "g") == 0;
	return n;
}

/* Each pattern against 1 MiB of 'a', the same with a 'b' in the middle,
 * and ending in 'b', through a fresh session each time. */
static int check(void)
{
	static const int want[3][N_PATTERNS] = {
		{ 0, 0, 0 },    /* all 'a' */
		{ 0, 1, 1 },    /* a 'b' in the middle */
		{ 1, 1, 1 },    /* ending in 'b' */
	};
	char *v = malloc(LARGE);
	int failures = 0, k, p;

	if (!v)
		return 1;
	for (k = 0; k < 3; k++) {
		memset(v, 'a', LARGE);
		if (k == 1)
			v[LARGE / 2] = 'b';
		else if (k == 2)
			v[LARGE - 1] = 'b';
		for (p = 0; p < N_PATTERNS; p++) {
			kag_registry *reg = NULL;
			kag_session *sess = NULL;
			kag_event *ev = NULL;
			long got = -1;

			if (setup(&reg, &sess, patterns[p]) == KAG_OK &&
			    make_event(&ev, v, LARGE) == KAG_OK)
				got = verdicts(sess, ev);
			if (got != want[k][p]) {
				fprintf(stderr, "kag-bench-glob: %s on value %d: %ld verdicts, "
					"want %d\n", pattern_label[p], k, got, want[k][p]);
				failures++;
			}
			kag_event_free(ev);
			kag_session_free(sess);
			kag_registry_free(reg);
		}
	}
	free(v);
	printf("kag-bench-glob: check %s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sort the n values at v; the median, and the quartiles into q. */
static double median(double *v, size_t n, double q[2])
{
	qsort(v, n, sizeof(*v), cmp_double);
	q[0] = v[n / 4];
	q[1] = v[(3 * n) / 4];
	return v[n / 2];
}

static int parse_double(const char *arg, const char *name, double *out)
{
	size_t n = strlen(name);
	char *end;

	if (strncmp(arg, name, n) != 0)
		return 0;
	*out = strtod(arg + n, &end);
	if (end == arg + n || *end || *out <= 0) {
		fprintf(stderr, "kag-bench-glob: bad %s\n", arg);
		exit(2);
	}
	return 1;
}

int main(int argc, char **argv)
{
	kag_registry *reg[N_PATTERNS] = { NULL };
	kag_session *sess[N_PATTERNS] = { NULL };
	kag_event *ev[N_SIZES] = { NULL };
	double rounds_d = 15, max_size = 40, max_pattern = 24, q[2];
	double *t = NULL, *col = NULL, size_ratio = 0, pattern_ratio;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	size_t rounds, r, i, j, p, s;
	char *v = NULL;
	int ok = 1, rc = 1;

	make_patterns();
	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--check") == 0)
			return check();
		if (!parse_double(argv[i], "--rounds=", &rounds_d) &&
		    !parse_double(argv[i], "--max-size-ratio=", &max_size) &&
		    !parse_double(argv[i], "--max-pattern-ratio=", &max_pattern)) {
			fprintf(stderr, "usage: kag-bench-glob [--rounds=R] [--max-size-ratio=X] "
				"[--max-pattern-ratio=Y] | --check\n");
			return 2;
		}
	}
	rounds = (size_t)rounds_d;
	if (rounds < 1)
		rounds = 1;
	if (check() != 0)
		return 1;
	v = malloc(LARGE);
	t = calloc(rounds * N_PATTERNS * N_SIZES, sizeof(*t));
	col = calloc(rounds, sizeof(*col));
	if (!v || !t || !col)
		goto out;
	memset(v, 'a', LARGE);
	for (p = 0; p < N_PATTERNS; p++)
		if (setup(&reg[p], &sess[p], patterns[p]) < 0)
			goto out;
	for (s = 0; s < N_SIZES; s++)
		if (make_event(&ev[s], v, sizes[s]) < 0)
			goto out;

	for (r = 0; r < rounds; r++) {
		size_t order[N_PATTERNS * N_SIZES];

		for (i = 0; i < N_PATTERNS * N_SIZES; i++)
			order[i] = i;
		for (i = N_PATTERNS * N_SIZES - 1; i > 0; i--) {
			size_t tmp;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			j = (size_t)(rng % (i + 1));
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		for (i = 0; i < N_PATTERNS * N_SIZES; i++) {
			size_t n, reps;
			double t0;

			p = order[i] / N_SIZES;
			s = order[i] % N_SIZES;
			reps = VOLUME / sizes[s];
			t0 = cpu_s();
			for (n = 0; n < reps; n++)
				if (verdicts(sess[p], ev[s]) != 0)
					goto out;
			t[(r * N_PATTERNS + p) * N_SIZES + s] = (cpu_s() - t0) / (double)reps;
		}
	}

	printf("\n== caller-rule globs: %zu rounds, CPU time per event (median over the "
	       "rounds) ==\n", rounds);
	printf("%-30s %12s %12s %10s\n", "pattern", "64 KiB", "1 MiB", "1M / 64K");
	for (p = 0; p < N_PATTERNS; p++) {
		double per[N_SIZES], ratio;

		for (s = 0; s < N_SIZES; s++) {
			for (r = 0; r < rounds; r++)
				col[r] = t[(r * N_PATTERNS + p) * N_SIZES + s];
			per[s] = median(col, rounds, q);
		}
		for (r = 0; r < rounds; r++)
			col[r] = t[(r * N_PATTERNS + p) * N_SIZES + S_LARGE] /
				 t[(r * N_PATTERNS + p) * N_SIZES + S_SMALL];
		ratio = median(col, rounds, q);
		printf("%-30s %9.1f us %9.1f us %10.2f\n", pattern_label[p], per[S_SMALL] * 1e6,
		       per[S_LARGE] * 1e6, ratio);
		if (p == P_MID)
			size_ratio = ratio;
	}
	for (r = 0; r < rounds; r++)
		col[r] = t[(r * N_PATTERNS + P_MID) * N_SIZES + S_LARGE] /
			 t[(r * N_PATTERNS + P_ONE) * N_SIZES + S_LARGE];
	pattern_ratio = median(col, rounds, q);
	printf("size ratio, mid 1 MiB / 64 KiB: %.2f (linear: 16; limit %.0f): %s\n", size_ratio,
	       max_size, size_ratio <= max_size ? "ok" : "OVER");
	printf("pattern ratio, mid / one at 1 MiB: %.2f (quartiles %.2f, %.2f; limit %.0f): %s\n",
	       pattern_ratio, q[0], q[1], max_pattern,
	       pattern_ratio <= max_pattern ? "ok" : "OVER");
	ok = size_ratio <= max_size && pattern_ratio <= max_pattern;
	rc = ok ? 0 : 1;
out:
	if (rc && ok)
		fprintf(stderr, "kag-bench-glob: setup or evaluation failed\n");
	for (s = 0; s < N_SIZES; s++)
		kag_event_free(ev[s]);
	for (p = 0; p < N_PATTERNS; p++) {
		kag_session_free(sess[p]);
		kag_registry_free(reg[p]);
	}
	free(v);
	free(t);
	free(col);
	return rc;
}
