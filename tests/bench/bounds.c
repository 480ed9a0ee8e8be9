/* What one hostile record costs: time against its length, and the peak
 * memory of a parser that reads it.
 *
 *   kag-bench-bounds [--rounds=N] [--small=KiB] [--large=KiB] [--check]
 *
 * Time: each hostile shape (a line of nested objects, of nested arrays, of
 * empty objects, one long string) is read at 64 KiB and at 1 MiB by each
 * front end, best of N rounds; the figure is the ratio of the two times,
 * about 16 when the work is linear in the length (a cost growing with the
 * square of the length, as an earlier tokenizer's closing brackets had, gives
 * about 256).
 * Caches make a larger record cost more per byte (a 1 MiB record's tree
 * does not fit where a 64 KiB one's does): the run fails when a ratio
 * passes 64, four times the linear figure and a quarter of the square.
 *
 * Memory: each hostile record is read with the default limits in a fresh
 * process (this program run again with --memory-case), which makes the
 * text, resets its peak RSS and reports what reading added to the peak.
 * The run fails when that passes the ceiling the README states (256 MiB).
 *
 * --check: one round, the small sizes, the first two records, as a quick
 * test. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <kag.h>

#define CEILING_MB 256.0
#define MAX_RATIO 64.0

typedef struct {
	char *s;
	size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s) {
			perror("kag-bench-bounds");
			exit(2);
		}
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void puts_(text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* prefix + unit repeated until the text is about `size` bytes + suffix */
static text shape(const char *prefix, const char *unit, const char *suffix, size_t size)
{
	text t = { 0 };
	size_t u = strlen(unit);

	puts_(&t, prefix);
	while (t.len + u <= size)
		put(&t, unit, u);
	puts_(&t, suffix);
	return t;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read `in` to the end with front end fe; the records read. */
static uint64_t read_all(const text *in, int fe)
{
	kag_parser *p;
	const kag_event *ev;
	uint64_t n;

	if (kag_parser_new(&p) < 0 ||
	    (fe && kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, (uint64_t)fe) < 0) ||
	    kag_parser_feed(p, in->s, in->len) < 0 || kag_parser_finish(p) < 0) {
		fprintf(stderr, "kag-bench-bounds: cannot set up a parser\n");
		exit(2);
	}
	while (kag_parser_next(&ev, p) != KAG_ITEROVER)
		;
	n = kag_parser_stat(p, KAG_PSTAT_RECORDS);
	kag_parser_free(p);
	return n;
}

static double best_time(const text *in, int fe, int rounds)
{
	double best = 1e30;
	int r;

	for (r = 0; r < rounds; r++) {
		double t0 = now();

		if (read_all(in, fe) != 2) {
			fprintf(stderr, "kag-bench-bounds: a hostile line was not one record\n");
			exit(2);
		}
		t0 = now() - t0;
		if (t0 < best)
			best = t0;
	}
	return best;
}

/* ---- memory ---- */

static text b64_gzip(const text *in)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	text t = { 0 };
	unsigned char *z;
	size_t zlen, i;
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(2);
	zlen = deflateBound(&zs, (uLong)in->len);
	z = malloc(zlen);
	if (!z)
		exit(2);
	zs.next_in = (unsigned char *)in->s;
	zs.avail_in = (uInt)in->len;
	zs.next_out = z;
	zs.avail_out = (uInt)zlen;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		exit(2);
	zlen = zs.total_out;
	deflateEnd(&zs);
	for (i = 0; i < zlen; i += 3) {
		unsigned v = (unsigned)z[i] << 16 | (i + 1 < zlen ? (unsigned)z[i + 1] << 8 : 0) |
			     (i + 2 < zlen ? z[i + 2] : 0);
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63],
			      i + 1 < zlen ? b64[(v >> 6) & 63] : '=',
			      i + 2 < zlen ? b64[v & 63] : '=' };

		put(&t, q, 4);
	}
	free(z);
	puts_(&t, "\n");
	return t;
}

/* A line of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 if absent. */
static long status_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

/* The hostile records of the memory measurement; 0 is an ordinary event. */
enum { CASE_ORDINARY, CASE_GZIP, CASE_BIG, CASE_WITHIN, CASE_AKS, N_CASES };

static const char *const case_names[N_CASES] = {
	"ordinary event", "22 KB gzip amplifier", "16 MiB of empty objects",
	"399,990 empty objects", "AKS list, both budgets full",
};

static text make_case(int k)
{
	text t = { 0 }, payload, inner;
	size_t i;

	switch (k) {
	case CASE_GZIP:
		payload = shape("{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{}", ",{}", "]}",
				15u << 20);
		t = b64_gzip(&payload);
		free(payload.s);
		break;
	case CASE_BIG:
		t = shape("{\"a\":[{}", ",{}", "]}\n", (16u << 20) - 64);
		break;
	case CASE_WITHIN: /* nearly the record's budget of values */
		t = shape("{\"a\":[{}", ",{}", "]}\n", 3 * 399990);
		break;
	case CASE_AKS:
		/* an AKS record list whose two logs hold nearly the embedded
		 * budget and whose own values nearly the record's */
		inner = shape("[{}", ",{}", "]", 1000000);
		puts_(&t, "{\"records\":[{\"category\":\"kube-audit\",\"properties\":{\"log\":\"");
		put(&t, inner.s, inner.len);
		puts_(&t, "\"}},{\"category\":\"kube-audit\",\"properties\":{\"log\":\"");
		put(&t, inner.s, 195000);
		puts_(&t, "]\"}}],\"pad\":[{}");
		for (i = 0; i < 399000; i++)
			puts_(&t, ",{}");
		puts_(&t, "]}\n");
		free(inner.s);
		break;
	default:
		puts_(&t, "{\"verb\":\"get\",\"auditID\":\"a\",\"user\":{\"username\":\"u\"}}\n");
		break;
	}
	return t;
}

/* In a process of its own (--memory-case): what reading case k with front
 * end fe adds to the peak RSS, in MiB. The text is made first; the peak is
 * then reset to the current RSS (/proc/self/clear_refs), or, where that
 * cannot be written, measured from the peak so far. */
static int memory_case(int k, int fe)
{
	struct rusage ru;
	long before, peak;
	text t;
	FILE *f;
	int reset = 0;

#ifdef __GLIBC__
	/* large blocks come from mmap and go back when freed: what making
	 * the text freed is not there for the parser to reuse unseen */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	mallopt(M_TRIM_THRESHOLD, 128 << 10);
#endif
	t = make_case(k);
	if ((f = fopen("/proc/self/clear_refs", "w")) != NULL) {
		reset = fputs("5", f) >= 0;
		reset &= fclose(f) == 0;
	}
	if (reset && (before = status_kb("VmRSS")) >= 0) {
		read_all(&t, fe);
		peak = status_kb("VmHWM");
	} else {
		getrusage(RUSAGE_SELF, &ru);
		before = ru.ru_maxrss;
		read_all(&t, fe);
		getrusage(RUSAGE_SELF, &ru);
		peak = ru.ru_maxrss;
	}
	printf("%.1f\n", (double)(peak - before) / 1024.0);
	free(t.s);
	return 0;
}

/* Run this program with --memory-case=k --frontend=fe; its answer. */
static double child_added_mb(const char *self, int k, int fe)
{
	char cmd[4096];
	double mb = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --memory-case=%d --frontend=%d", self, k, fe);
	fflush(NULL);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%lf", &mb) != 1 || pclose(p) != 0) {
		fprintf(stderr, "kag-bench-bounds: the reader of case %d failed\n", k);
		exit(2);
	}
	return mb;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name, *prefix, *unit, *suffix;
	} shapes[] = {
		{ "nested objects", "", "{\"a\":", "1\n{\"verb\":\"get\"}\n" },
		{ "nested arrays", "{\"verb\":\"get\",\"requestObject\":", "[", "\n{\"verb\":\"get\"}\n" },
		{ "empty objects", "{\"verb\":\"get\",\"requestObject\":[{}", ",{}",
		  "]}\n{\"verb\":\"get\"}\n" },
		{ "one long string", "{\"verb\":\"get\",\"userAgent\":\"", "ab",
		  "\"}\n{\"verb\":\"get\"}\n" },
	};
	static const int fes[] = { KAG_FRONTEND_FAST, KAG_FRONTEND_JANSSON };
	int rounds = 7, check = 0, failed = 0, i, f, mcase = -1, mfe = 0;
	size_t small = 64u << 10, large = 1u << 20;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--rounds=", 9) == 0) {
			rounds = atoi(argv[i] + 9);
		} else if (strncmp(argv[i], "--small=", 8) == 0) {
			small = (size_t)atol(argv[i] + 8) << 10;
		} else if (strncmp(argv[i], "--large=", 8) == 0) {
			large = (size_t)atol(argv[i] + 8) << 10;
		} else if (strcmp(argv[i], "--check") == 0) {
			check = 1;
		} else if (strncmp(argv[i], "--memory-case=", 14) == 0) {
			mcase = atoi(argv[i] + 14);
		} else if (strncmp(argv[i], "--frontend=", 11) == 0) {
			mfe = atoi(argv[i] + 11);
		} else {
			fprintf(stderr, "usage: kag-bench-bounds [--rounds=N] [--small=KiB] [--large=KiB] [--check]\n");
			return 2;
		}
	}
	if (mcase >= 0)
		return memory_case(mcase, mfe);
	if (rounds < 1)
		rounds = 1;
#ifdef __GLIBC__
	/* Memory freed by a round is kept for the next: the times then
	 * compare the work, not the kernel's zeroing of fresh pages. */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
	if (check) {
		rounds = 1;
		small = 4u << 10;
		large = 64u << 10;
	}

	printf("time against length: best of %d, %zu KiB and %zu KiB lines\n", rounds,
	       small >> 10, large >> 10);
	printf("  %-16s %-8s %10s %10s %7s\n", "shape", "front", "small ms", "large ms", "ratio");
	for (i = 0; i < (int)(sizeof(shapes) / sizeof(shapes[0])); i++) {
		text a = shape(shapes[i].prefix, shapes[i].unit, shapes[i].suffix, small);
		text b = shape(shapes[i].prefix, shapes[i].unit, shapes[i].suffix, large);

		for (f = 0; f < 2; f++) {
			double ta, tb, ratio;

			if (fes[f] == KAG_FRONTEND_FAST &&
			    !(kag_features() & KAG_FEATURE_FAST_FRONTEND))
				continue;
			ta = best_time(&a, fes[f], rounds);
			tb = best_time(&b, fes[f], rounds);
			ratio = tb / (ta > 1e-7 ? ta : 1e-7);
			printf("  %-16s %-8s %10.3f %10.3f %7.1f%s\n", shapes[i].name,
			       fes[f] == KAG_FRONTEND_FAST ? "fast" : "jansson", ta * 1e3, tb * 1e3,
			       ratio, !check && ratio > MAX_RATIO ? "  NOT LINEAR" : "");
			if (!check && ratio > MAX_RATIO)
				failed = 1;
		}
		free(a.s);
		free(b.s);
	}

	printf("\npeak RSS that reading one record adds to a fresh process (MiB)\n");
	for (i = 0; i < (check ? 2 : N_CASES); i++) {
		for (f = 0; f < 2; f++) {
			double mb;

			if (fes[f] == KAG_FRONTEND_FAST &&
			    !(kag_features() & KAG_FEATURE_FAST_FRONTEND))
				continue;
			mb = child_added_mb(argv[0], i, fes[f]);
			printf("  %-30s %-8s %+8.1f%s\n", case_names[i],
			       fes[f] == KAG_FRONTEND_FAST ? "fast" : "jansson", mb,
			       mb > CEILING_MB ? "  OVER THE CEILING" : "");
			if (mb > CEILING_MB)
				failed = 1;
		}
	}
	return failed;
}
