/*
 * kag-bench: kag's pipeline against a bare JSON parse and a jq filter.
 *
 *   kag-bench [--events=N[,N...]] [--seed=S] [--repeat=R] [--dir=DIR]
 *             [--paths=abcdelo] [--no-jq] [--keep] [--max-rss-growth=PCT]
 *             [--paired=ROUNDS [--paired-events=N]]
 *   kag-bench --check [--events=N]   validate the stream and the paths (a test)
 *   kag-bench --dump [--events=N]    write the generated stream to stdout
 *
 * For each size N (default 200000 events, about 1 KB each) a deterministic
 * stream is generated piecewise into a file in DIR ($TMPDIR or /tmp), so
 * that no process holds it whole. Every path then reads that file in 64 KiB
 * chunks, each in its own child process:
 *   (a) jansson json_loadb() of each line, with the flags kag's parser uses;
 *   (b) kag's parser alone, producing events, with each front end;
 *   (c) the full pipeline as kag-triage runs it (parser and a session over
 *       every built-in detector, benign verdicts left out), each front end;
 *   (d) the pre-parsed path: the fields of each event are extracted first
 *       (not timed), then built into an event with the builder API and
 *       judged by the same session (timed: build + evaluate only);
 *   (e) jq selecting exec, secret and 403 lines from the same file (the
 *       script a user would otherwise write), when jq is installed;
 *   (l) the parse limit: simdjson's DOM parse_many of the same bytes, in
 *       pieces of about 1 MiB of whole lines, every document parsed into
 *       its tree and counted, on one thread (parse_limit.cc; only where
 *       kag-bench was built with a C++ compiler and simdjson, otherwise
 *       the row says it is unavailable): what parsing these bytes at
 *       all costs, the reference for the pipeline's own cost;
 *   (o) simdjson's On-Demand API reading, in the same pieces, the members
 *       of each Event that kag reads, the bodies left unread (built as
 *       (l) is): what a front end built on it would start from, before the
 *       checks kag makes that it does not (repeated keys, the bodies'
 *       insides).
 * --paths picks some of them (--paths=d to profile the pre-parsed path).
 * Times are CPU time (user + system) of the path, so that other load on
 * the machine disturbs them less; with --repeat each path runs R times,
 * interleaved, and the fastest run counts. Peak memory is the child's
 * own peak resident set (VmHWM of its image; getrusage's ru_maxrss where
 * there is no /proc, and for jq, which a small child starts); with several
 * sizes it is tabulated side by side, to show that it does not grow with
 * the length of the stream; --max-rss-growth=PCT then fails (exit 1) when
 * a path's peak at the longest stream exceeds its peak at the shortest by
 * more than PCT percent (and 2 MB, below which a peak is noise).
 *
 * --paired=ROUNDS then times (a), (b) and (c) again, in this process, over
 * one stream of --paired-events events (default 25000) held in memory:
 * each round runs every one of them once, in a shuffled order, and a path's
 * ratio in a round is the CPU time of (a) in that round over its own. The
 * median and quartiles of those ratios are reported; slow drifts in the
 * load of a shared machine touch both sides of a ratio alike. (l) runs in
 * the rounds too, when built: the fast front end's full pipeline is then
 * also given as a ratio to the parse limit, CPU time of (l) over its own,
 * and in MB/s, each with median and quartiles, and the goal of 0.5 x (l)
 * is divided between parsing and the engine (paired_budget()). Without
 * --events, only the paired rounds run.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <kag.h>

#include "gen.h"
#include "parse_limit.h"

extern char **environ;

#define CHUNK (64 * 1024)
#define MAX_SIZES 8
#define PREPARSED_BLOCK 2048 /* events extracted, then built and judged, at a time */
#define LIMIT_PIECE (1 << 20) /* (l): bytes of whole lines handed to simdjson at a time */
#define RSS_SLACK_KB 2048     /* --max-rss-growth: growth below this is noise */

/* The jq filter of (e): the lines a script would pick out for a person. */
static const char jq_filter[] =
	"select(.objectRef.subresource == \"exec\" or .objectRef.resource == \"secrets\" "
	"or .responseStatus.code == 403)";

enum mode {
	M_JANSSON,     /* (a) */
	M_PARSE_J,     /* (b) jansson front end */
	M_PARSE_F,     /* (b) fast front end */
	M_PIPE_J,      /* (c) jansson front end */
	M_PIPE_F,      /* (c) fast front end */
	M_PREPARSED,   /* (d) */
	M_JQ,          /* (e) */
	M_LIMIT,       /* (l) */
	M_MEMBERS,     /* (o) */
	M_COUNT_
};

static const char *const mode_label[M_COUNT_] = {
	"(a) jansson json_loadb per line",
	"(b) kag parse to events, jansson",
	"(b) kag parse to events, fast",
	"(c) full pipeline, jansson",
	"(c) full pipeline, fast",
	"(d) pre-parsed: build + evaluate",
	"(e) jq filter (exec/secrets/403)",
	"(l) parse limit: simdjson DOM",
	"(o) simdjson On-Demand, members",
};

/* What a child reports for one run of one path. */
struct run {
	int ok;
	double cpu;        /* seconds of CPU time for the timed part */
	double cpu_build;  /* (d): of which filling the events (measured apart) */
	double wall;
	long rss_kb;       /* peak resident set of the process */
	uint64_t events, errors, verdicts, suppressed, selected;
	uint64_t by_assessment[4];
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int has_fast(void)
{
	return (kag_features() & KAG_FEATURE_FAST_FRONTEND) != 0;
}

/* ---- the paths (each runs in a child process) ---- */

/* The paired rounds (--paired) read a stream held in memory instead of the
 * file: the same CHUNK-sized pieces, copied as read() copies them. */
static const struct bench_stream *mem_stream;

/* A reader of the stream file (or of mem_stream) in CHUNK-sized pieces;
 * its buffer keeps BENCH_PARSE_PAD bytes allocated past what it read, so
 * that (l) parses it in place. */
struct reader {
	int fd;
	char *buf;
	size_t cap;
	size_t mem_pos;
};

static int reader_open(struct reader *r, const char *path)
{
	r->fd = mem_stream ? -1 : open(path, O_RDONLY);
	r->cap = CHUNK + BENCH_PARSE_PAD;
	r->buf = malloc(r->cap);
	r->mem_pos = 0;
	return (mem_stream || r->fd >= 0) && r->buf ? 0 : -1;
}

static void reader_close(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
}

/* Read up to CHUNK bytes at buf + keep (the caller's carried-over bytes);
 * grows the buffer when the carry leaves no room. Returns bytes read, 0 at
 * the end, -1 on error. */
static ssize_t reader_read(struct reader *r, size_t keep)
{
	ssize_t n;

	if (r->cap - keep < CHUNK + BENCH_PARSE_PAD) {
		char *nb = realloc(r->buf, keep + CHUNK + BENCH_PARSE_PAD);

		if (!nb)
			return -1;
		r->buf = nb;
		r->cap = keep + CHUNK + BENCH_PARSE_PAD;
	}
	if (mem_stream) {
		size_t left = mem_stream->len - r->mem_pos;

		n = (ssize_t)(left < CHUNK ? left : CHUNK);
		memcpy(r->buf + keep, mem_stream->data + r->mem_pos, (size_t)n);
		r->mem_pos += (size_t)n;
		return n;
	}
	do
		n = read(r->fd, r->buf + keep, CHUNK);
	while (n < 0 && errno == EINTR);
	return n;
}

/* The length of buf[0, n) up to and with its last line end (0: none). */
static size_t lines_end(const char *buf, size_t n)
{
	while (n && buf[n - 1] != '\n')
		n--;
	return n;
}

static int run_jansson(const char *path, struct run *out)
{
	struct reader r;
	size_t keep = 0;
	ssize_t n;
	double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);

	if (reader_open(&r, path) < 0)
		goto fail;
	while ((n = reader_read(&r, keep)) > 0) {
		char *p = r.buf, *end = r.buf + keep + (size_t)n, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			json_error_t err;
			json_t *root = json_loadb(p, (size_t)(nl - p),
						  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);

			if (root) {
				out->events++;
				json_decref(root);
			} else {
				out->errors++;
			}
			p = nl + 1;
		}
		keep = (size_t)(end - p);
		memmove(r.buf, p, keep);
	}
	if (n < 0 || keep)
		goto fail; /* every generated line ends with a newline */
	out->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
	out->wall = clock_s(CLOCK_MONOTONIC) - w0;
	reader_close(&r);
	return 0;
fail:
	reader_close(&r);
	return -1;
}

/* (l), and (o) with `members`: pieces of about LIMIT_PIECE bytes of whole
 * lines, each parsed by simdjson's parse_many (or iterate_many, reading
 * the Event's members); any error fails the path. */
static int run_limit(const char *path, int members, struct run *out)
{
#ifdef KAG_BENCH_PARSE_LIMIT
	struct bench_parse_limit *pl = bench_parse_limit_new();
	struct reader r;
	size_t keep = 0;
	ssize_t n = 1;
	int rc = -1;
	double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);

	if (reader_open(&r, path) < 0 || !pl)
		goto out;
	while (n > 0) {
		size_t whole;
		uint64_t docs;

		n = reader_read(&r, keep);
		if (n < 0)
			goto out;
		keep += (size_t)n;
		if (n > 0 && keep < LIMIT_PIECE)
			continue;
		whole = lines_end(r.buf, keep);
		if (n == 0 && whole != keep)
			goto out; /* every generated line ends with a newline */
		if (!whole)
			continue;
		if ((members ? bench_parse_members_lines : bench_parse_limit_lines)(pl, r.buf, whole,
										    r.cap, &docs) < 0) {
			fprintf(stderr, "kag-bench: simdjson refused the stream\n");
			goto out;
		}
		out->events += docs;
		keep -= whole;
		memmove(r.buf, r.buf + whole, keep);
	}
	out->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
	out->wall = clock_s(CLOCK_MONOTONIC) - w0;
	rc = 0;
out:
	reader_close(&r);
	bench_parse_limit_free(pl);
	return rc;
#else
	(void)path;
	(void)members;
	(void)out;
	return -1;
#endif
}

static int has_limit(void)
{
#ifdef KAG_BENCH_PARSE_LIMIT
	return 1;
#else
	return 0;
#endif
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

static int new_parser(kag_parser **p, int fast)
{
	int rc;

	if (kag_parser_new(p) < 0 || kag_parser_set_source(*p, "bench") < 0)
		return -1;
	rc = kag_parser_set_option_u64(*p, KAG_OPT_FRONTEND,
				       fast ? KAG_FRONTEND_FAST : KAG_FRONTEND_JANSSON);
	/* A library without front-end choice reads with jansson only. */
	if (rc == KAG_EINVAL && !fast && !has_fast())
		rc = KAG_OK;
	return rc < 0 ? -1 : 0;
}

static int new_session(kag_registry **reg, kag_session **session)
{
	return kag_registry_new(reg) < 0 || kag_registry_seal(*reg) < 0 ||
	       kag_session_new(session, *reg) < 0 ||
	       kag_session_set_option_u64(*session, KAG_SOPT_EMIT_BENIGN, 0) < 0 ? -1 : 0;
}

/* (b) with_session = 0, (c) with_session = 1. The parser reads each
 * read up to its last line end where it is (kag_parser_feed_nocopy()),
 * as (l) does; the rest is carried to the next read once the parser has
 * given the bytes back (a feed of no bytes). */
static int run_kag(const char *path, int fast, int with_session, struct run *out)
{
	kag_registry *reg = NULL;
	kag_session *session = NULL;
	kag_parser *parser = NULL;
	const kag_result *res;
	struct reader r;
	size_t keep = 0, whole;
	ssize_t n = 1;
	int rc = -1;
	double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);

	if (reader_open(&r, path) < 0 || new_parser(&parser, fast) < 0 ||
	    (with_session && new_session(&reg, &session) < 0))
		goto out;
	while (n > 0) {
		const kag_event *ev;
		int err;

		n = reader_read(&r, keep);
		if (n < 0)
			goto out;
		keep += (size_t)n;
		whole = n > 0 ? lines_end(r.buf, keep) : keep;
		if (kag_parser_feed_nocopy(parser, r.buf, whole) < 0 ||
		    (n == 0 && kag_parser_finish(parser) < 0))
			goto out;
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
		if (n > 0 && kag_parser_feed(parser, "", 0) < 0)
			goto out;
		keep -= whole;
		memmove(r.buf, r.buf + whole, keep);
	}
	if (with_session) {
		if (kag_session_flush(&res, session) < 0)
			goto out;
		count_verdicts(out, res);
		out->suppressed = kag_session_stat(session, KAG_SSTAT_SUPPRESSED);
	}
	out->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
	out->wall = clock_s(CLOCK_MONOTONIC) - w0;
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "kag-bench: kag path failed: %s\n", kag_parser_error_message(parser));
	kag_parser_free(parser);
	kag_session_free(session);
	kag_registry_free(reg);
	reader_close(&r);
	return rc;
}

/* ---- (d): fields extracted beforehand, replayed into the builder ---- */

enum { OP_STR, OP_INT, OP_ITEM, OP_PAIR, OP_END };

struct op {
	uint8_t type, field, state;
	uint32_t klen, vlen;   /* key and value bytes follow in the tape */
	int64_t num;
};

struct tape {
	char *data;
	size_t len, cap;
};

static int tape_put(struct tape *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 1 << 20;
		char *nd;

		while (cap < t->len + n)
			cap *= 2;
		nd = realloc(t->data, cap);
		if (!nd)
			return -1;
		t->data = nd;
		t->cap = cap;
	}
	if (n)
		memcpy(t->data + t->len, p, n);
	t->len += n;
	return 0;
}

static int tape_op(struct tape *t, int type, int field, int state, const char *k, size_t klen,
		   const char *v, size_t vlen, int64_t num)
{
	struct op o;

	memset(&o, 0, sizeof(o));
	o.type = (uint8_t)type;
	o.field = (uint8_t)field;
	o.state = (uint8_t)state;
	o.klen = (uint32_t)klen;
	o.vlen = (uint32_t)vlen;
	o.num = num;
	return tape_put(t, &o, sizeof(o)) < 0 || tape_put(t, k, klen) < 0 ||
	       tape_put(t, v, vlen) < 0 ? -1 : 0;
}

/* Every field a caller holding the parsed record would pass, by field id. */
static int extract(struct tape *t, const kag_event *ev)
{
	int f;

	for (f = 0; f < (int)kag_field_count(); f++) {
		int state = kag_event_field_state(ev, f);
		const char *s, *k;
		size_t len, klen, i, n;
		int64_t num;

		if (state == KAG_STATE_ABSENT)
			continue;
		if (kag_event_get_string(&s, &len, ev, f) == KAG_OK) {
			if (tape_op(t, OP_STR, f, state, NULL, 0, s, len, 0) < 0)
				return -1;
		} else if (kag_event_get_int(&num, ev, f) == KAG_OK) {
			if (tape_op(t, OP_INT, f, state, NULL, 0, NULL, 0, num) < 0)
				return -1;
		} else if ((n = kag_event_item_count(ev, f)) > 0) {
			for (i = 0; i < n; i++) {
				if (kag_event_get_item(&s, &len, ev, f, i) == KAG_OK) {
					if (tape_op(t, OP_ITEM, f, state, NULL, 0, s, len, 0) < 0)
						return -1;
				} else if (kag_event_get_pair(&k, &klen, &s, &len, ev, f, i) == KAG_OK) {
					if (tape_op(t, OP_PAIR, f, state, k, klen, s, len, 0) < 0)
						return -1;
				}
			}
		}
	}
	return tape_op(t, OP_END, 0, 0, NULL, 0, NULL, 0, 0);
}

/* Build the next event of the tape at *pos into ev. */
static int replay(kag_event *ev, const struct tape *t, size_t *pos)
{
	int rc = kag_event_clear(ev);

	while (rc == KAG_OK) {
		struct op o;
		const char *k, *v;

		memcpy(&o, t->data + *pos, sizeof(o));
		k = t->data + *pos + sizeof(o);
		v = k + o.klen;
		*pos += sizeof(o) + o.klen + o.vlen;
		switch (o.type) {
		case OP_STR: rc = kag_event_set_string(ev, o.field, v, o.vlen, o.state); break;
		case OP_INT: rc = kag_event_set_int(ev, o.field, o.num, o.state); break;
		case OP_ITEM: rc = kag_event_add_item(ev, o.field, v, o.vlen, o.state); break;
		case OP_PAIR: rc = kag_event_add_pair(ev, o.field, k, o.klen, v, o.vlen, o.state); break;
		default: return KAG_OK;
		}
	}
	return rc;
}

/* Build each event of the tape and judge it; without a session, only
 * build (the builder's share of (d), timed apart). */
static int judge_tape(kag_session *session, kag_event *ev, const struct tape *t, size_t count,
		      struct run *out)
{
	size_t pos = 0, i;
	const kag_result *res;

	for (i = 0; i < count; i++) {
		if (replay(ev, t, &pos) < 0)
			return -1;
		if (!session)
			continue;
		if (kag_session_evaluate(&res, session, ev) < 0)
			return -1;
		count_verdicts(out, res);
	}
	return 0;
}

static int run_preparsed(const char *path, struct run *out)
{
	kag_registry *reg = NULL;
	kag_session *session = NULL;
	kag_parser *parser = NULL;
	kag_event *built = NULL;
	const kag_result *res;
	struct tape tape = { NULL, 0, 0 };
	struct reader r;
	size_t pending = 0;
	ssize_t n = 1;
	int rc = -1;
	double cpu = 0, wall = 0, build = 0, t0, w0;

	if (reader_open(&r, path) < 0 || new_parser(&parser, has_fast()) < 0 ||
	    new_session(&reg, &session) < 0 || kag_event_new(&built) < 0)
		goto out;
	while (n > 0) {
		const kag_event *ev;
		int err;

		n = reader_read(&r, 0);
		if (n < 0)
			goto out;
		if ((n > 0 ? kag_parser_feed(parser, r.buf, (size_t)n) : kag_parser_finish(parser)) < 0)
			goto out;
		while ((err = kag_parser_next(&ev, parser)) != KAG_ITEROVER) {
			if (err < 0) {
				out->errors++;
				continue;
			}
			if (extract(&tape, ev) < 0)
				goto out;
			out->events++;
			pending++;
		}
		if (pending >= PREPARSED_BLOCK || n == 0) {
			t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
			if (judge_tape(NULL, built, &tape, pending, out) < 0)
				goto out;
			build += clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
			t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
			w0 = clock_s(CLOCK_MONOTONIC);
			if (judge_tape(session, built, &tape, pending, out) < 0)
				goto out;
			cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
			wall += clock_s(CLOCK_MONOTONIC) - w0;
			tape.len = 0;
			pending = 0;
		}
	}
	t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	if (kag_session_flush(&res, session) < 0)
		goto out;
	count_verdicts(out, res);
	cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
	out->suppressed = kag_session_stat(session, KAG_SSTAT_SUPPRESSED);
	out->cpu = cpu;
	out->cpu_build = build;
	out->wall = wall;
	rc = 0;
out:
	kag_event_free(built);
	kag_parser_free(parser);
	kag_session_free(session);
	kag_registry_free(reg);
	reader_close(&r);
	free(tape.data);
	return rc;
}

/* ---- running a path in a child ---- */

static const char *jq_path(void)
{
	static char found[4096];
	const char *path = getenv("PATH");

	if (found[0])
		return found;
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);

		if (n && n + 4 < sizeof(found)) {
			snprintf(found, sizeof(found), "%.*s/jq", (int)n, path);
			if (access(found, X_OK) == 0)
				return found;
		}
		path += n + (colon ? 1 : 0);
	}
	found[0] = '\0';
	return NULL;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* (e): jq reads the file on stdin; its selected lines are counted here.
 * Run from a child of the benchmark (see measure()), whose small image is
 * all that jq's peak memory can inherit from before its exec. */
static int run_jq(const char *path, struct run *out)
{
	const char *jq = jq_path();
	int fds[2], status;
	pid_t pid;
	struct rusage ru;
	char buf[CHUNK];
	ssize_t n;
	double w0 = clock_s(CLOCK_MONOTONIC);

	if (!jq || pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open(path, O_RDONLY);

		if (in < 0 || dup2(in, 0) < 0 || dup2(fds[1], 1) < 0)
			_exit(127);
		close(fds[0]);
		close(fds[1]);
		close(in);
		execl(jq, "jq", "-c", jq_filter, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		char *p = buf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		while ((p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL) {
			out->selected++;
			p++;
		}
	}
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	out->cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	out->wall = clock_s(CLOCK_MONOTONIC) - w0;
	out->rss_kb = ru.ru_maxrss;
	return 0;
}

static int run_path(enum mode m, const char *path, struct run *out)
{
	switch (m) {
	case M_JQ: return run_jq(path, out);
	case M_JANSSON: return run_jansson(path, out);
	case M_PARSE_J: return run_kag(path, 0, 0, out);
	case M_PARSE_F: return run_kag(path, 1, 0, out);
	case M_PIPE_J: return run_kag(path, 0, 1, out);
	case M_PIPE_F: return run_kag(path, 1, 1, out);
	case M_PREPARSED: return run_preparsed(path, out);
	case M_LIMIT: return run_limit(path, 0, out);
	case M_MEMBERS: return run_limit(path, 1, out);
	default: return -1;
	}
}

static char self_exe[4096]; /* this program, run afresh for each path */

/* Peak resident memory of this process image, in KiB: VmHWM, which
 * starts afresh at exec (getrusage keeps the peak of the image before). */
static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	if (kb < 0) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		kb = ru.ru_maxrss;
	}
	return kb;
}

/* --child=M FILE: run path M over FILE, write the struct run to fd 3. */
static int child_main(const char *mode, const char *path)
{
	struct run r;
	int m = atoi(mode);

	memset(&r, 0, sizeof(r));
	r.ok = m >= 0 && m < M_COUNT_ && run_path((enum mode)m, path, &r) == 0;
	if (m != M_JQ)
		r.rss_kb = peak_rss_kb();
	return write(3, &r, sizeof(r)) == (ssize_t)sizeof(r) && r.ok ? 0 : 1;
}

/* Run one path in a new process (this program, executed again), which
 * reports its own peak memory: what it takes, not what this process holds. */
static int measure(enum mode m, const char *path, struct run *out)
{
	int fds[2], status;
	pid_t pid;
	struct rusage ru;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	fflush(stdout);
	if (pipe(fds) < 0)
		return -1;
	{
		char arg[32];
		char *const argv[] = { "kag-bench", arg, (char *)path, NULL };
		posix_spawn_file_actions_t fa;
		int rc;

		snprintf(arg, sizeof(arg), "--child=%d", (int)m);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fds[1], 3);
		if (fds[0] != 3)
			posix_spawn_file_actions_addclose(&fa, fds[0]);
		if (fds[1] != 3)
			posix_spawn_file_actions_addclose(&fa, fds[1]);
		rc = posix_spawn(&pid, self_exe, &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (rc != 0) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
	}
	close(fds[1]);
	do
		n = read(fds[0], out, sizeof(*out));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    n != (ssize_t)sizeof(*out) || !out->ok) {
		out->ok = 0;
		return -1;
	}
	return 0;
}

/* ---- the stream file ---- */

struct stream_file {
	char path[4096];
	size_t events;
	uint64_t bytes;
	struct bench_stream counts; /* per-kind counters; data unused */
};

static int write_stream(struct stream_file *sf, const char *dir, size_t n, uint64_t seed)
{
	struct bench_gen g;
	FILE *f;
	int more, fd;

	snprintf(sf->path, sizeof(sf->path), "%s/kag-bench-%ld-%zu-XXXXXX", dir, (long)getpid(), n);
	fd = mkstemp(sf->path);
	if (fd < 0 || !(f = fdopen(fd, "wb"))) {
		fprintf(stderr, "kag-bench: %s: %s\n", sf->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memset(&sf->counts, 0, sizeof(sf->counts));
	bench_gen_init(&g, &sf->counts, n, seed);
	sf->bytes = 0;
	do {
		sf->counts.len = 0;
		more = bench_gen_fill(&g, 4 << 20);
		if (more < 0 || fwrite(sf->counts.data, 1, sf->counts.len, f) != sf->counts.len) {
			more = -1;
			break;
		}
		sf->bytes += sf->counts.len;
	} while (more > 0);
	free(sf->counts.data);
	sf->counts.data = NULL;
	sf->counts.len = sf->counts.cap = 0;
	sf->events = sf->counts.lines;
	if (fclose(f) != 0 || more < 0) {
		fprintf(stderr, "kag-bench: cannot write %s\n", sf->path);
		unlink(sf->path);
		return -1;
	}
	return 0;
}

static void describe(const struct bench_stream *s, uint64_t bytes, uint64_t seed)
{
	size_t i, requests = 0;

	for (i = 0; i < BK_COUNT_; i++)
		requests += s->requests[i];
	printf("stream: %zu events (%zu requests), seed %" PRIu64 ", %.1f MB, %.0f B/event\n",
	       s->lines, requests, seed, (double)bytes / 1e6,
	       s->lines ? (double)bytes / (double)s->lines : 0.0);
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

/* ---- the report ---- */

struct size_result {
	size_t events;
	uint64_t bytes;
	int have[M_COUNT_];
	struct run best[M_COUNT_];
	long rss_kb[M_COUNT_]; /* largest over the repeats */
};

static const char mode_letter[M_COUNT_] = { 'a', 'b', 'b', 'c', 'c', 'd', 'e', 'l', 'o' };
static const char *paths = "abcdelo";

/* The line of a path this build cannot run. */
static const char limit_unavailable[] = "unavailable (kag-bench built without C++ or simdjson)";

static int mode_available(enum mode m, int no_jq)
{
	if (!strchr(paths, mode_letter[m]))
		return 0;
	if ((m == M_PARSE_F || m == M_PIPE_F) && !has_fast())
		return 0;
	if (m == M_JQ && (no_jq || !jq_path()))
		return 0;
	if ((m == M_LIMIT || m == M_MEMBERS) && !has_limit())
		return 0;
	return 1;
}

static void print_table(const struct size_result *sr)
{
	double mb = (double)sr->bytes / 1e6;
	double rate_a = sr->have[M_JANSSON] ? (double)sr->events / sr->best[M_JANSSON].cpu : 0;
	int m;

	printf("\n%-34s %8s %11s %8s %8s %9s\n", "path", "CPU s", "events/s", "MB/s", "x (a)",
	       "peak RSS");
	for (m = 0; m < M_COUNT_; m++) {
		const struct run *r = &sr->best[m];
		double rate;

		if (!sr->have[m])
			continue;
		rate = (double)sr->events / r->cpu;
		printf("%-34s %8.3f %11.0f %8.1f ", mode_label[m], r->cpu, rate, mb / r->cpu);
		if (rate_a > 0)
			printf("%8.2f", rate / rate_a);
		else
			printf("%8s", "-"); /* (a) left out */
		printf(" %6.1f MB\n", (double)sr->rss_kb[m] / 1024.0);
	}
	for (m = M_LIMIT; m <= M_MEMBERS && !has_limit(); m++)
		if (strchr(paths, mode_letter[m]))
			printf("%-34s %s\n", mode_label[m], limit_unavailable);
}

static void print_targets(const struct size_result *sr)
{
	double ra = (double)sr->events / sr->best[M_JANSSON].cpu;
	double rj = sr->have[M_JQ] ? (double)sr->events / sr->best[M_JQ].cpu : 0;

	if (!sr->have[M_JANSSON] || !sr->have[M_PARSE_J] || !sr->have[M_PIPE_J] ||
	    !sr->have[M_PREPARSED])
		return; /* some paths left out */
	printf("\ntargets:\n");
	printf("  (c) jansson >= 0.9 x (a):       %.2f x  %s\n",
	       (double)sr->events / sr->best[M_PIPE_J].cpu / ra,
	       (double)sr->events / sr->best[M_PIPE_J].cpu >= 0.9 * ra ? "met" : "NOT MET");
	if (sr->have[M_PIPE_F]) {
		double rf = (double)sr->events / sr->best[M_PIPE_F].cpu;

		printf("  (c) fast >= 5 x (a):            %.2f x  %s\n", rf / ra,
		       rf >= 5 * ra ? "met" : "NOT MET");
		if (rj > 0)
			printf("  (c) fast >= 5 x (e) jq:         %.2f x  %s\n", rf / rj,
			       rf >= 5 * rj ? "met" : "NOT MET");
		if (sr->have[M_LIMIT])
			printf("  (c) fast >= 0.5 x (l) limit:    %.2f x  %s\n",
			       sr->best[M_LIMIT].cpu / sr->best[M_PIPE_F].cpu,
			       sr->best[M_LIMIT].cpu >= 0.5 * sr->best[M_PIPE_F].cpu ? "met" : "NOT MET");
		printf("  (c) fast >= 1200 MB/s:          %.0f MB/s  %s\n",
		       (double)sr->bytes / 1e6 / sr->best[M_PIPE_F].cpu,
		       (double)sr->bytes / 1e6 >= 1200 * sr->best[M_PIPE_F].cpu ? "met" : "NOT MET");
	}
	printf("  (d) >= 1,000,000 events/s:      %.0f events/s  %s\n",
	       (double)sr->events / sr->best[M_PREPARSED].cpu,
	       (double)sr->events / sr->best[M_PREPARSED].cpu >= 1e6 ? "met" : "NOT MET");
	{
		const struct run *d = &sr->best[M_PREPARSED];
		double engine = d->cpu - d->cpu_build;

		if (d->cpu_build > 0 && engine > 0)
			printf("      of which building %.2f us/event (bodies checked), "
			       "evaluating %.2f us/event (%.0f events/s)\n",
			       1e6 * d->cpu_build / (double)sr->events,
			       1e6 * engine / (double)sr->events, (double)sr->events / engine);
	}
	printf("  gates + detectors over parsing, (c)/(b) - 1, jansson: %+.1f%%\n",
	       100.0 * (sr->best[M_PIPE_J].cpu / sr->best[M_PARSE_J].cpu - 1.0));
	if (sr->have[M_PIPE_F])
		printf("  gates + detectors over parsing, (c)/(b) - 1, fast:    %+.1f%%\n",
		       100.0 * (sr->best[M_PIPE_F].cpu / sr->best[M_PARSE_F].cpu - 1.0));
}

/* The paths must agree on what they read and found. */
static int consistent(const struct size_result *sr)
{
	const struct run *c = &sr->best[M_PIPE_J];
	int m, ok = 1;

	for (m = 0; m < M_COUNT_; m++) {
		const struct run *r = &sr->best[m];

		if (!sr->have[m] || m == M_JQ)
			continue;
		if (r->events != sr->events || r->errors) {
			fprintf(stderr, "kag-bench: %s read %" PRIu64 " events, %" PRIu64
				" errors (expected %zu, 0)\n", mode_label[m], r->events, r->errors,
				sr->events);
			ok = 0;
		}
		if ((m == M_PIPE_F || m == M_PREPARSED) && sr->have[M_PIPE_J] &&
		    (r->verdicts != c->verdicts || r->suppressed != c->suppressed ||
		     memcmp(r->by_assessment, c->by_assessment, sizeof(c->by_assessment)))) {
			fprintf(stderr, "kag-bench: %s gave %" PRIu64 " verdicts (%" PRIu64
				" suppressed), (c) jansson %" PRIu64 " (%" PRIu64 ")\n", mode_label[m],
				r->verdicts, r->suppressed, c->verdicts, c->suppressed);
			ok = 0;
		}
	}
	return ok;
}

static int bench_size(size_t n, uint64_t seed, uint64_t repeat, const char *dir, int no_jq,
		      int keep, struct size_result *sr)
{
	struct stream_file sf;
	uint64_t r;
	int m, ok = 1;

	memset(sr, 0, sizeof(*sr));
	printf("\n== %zu events ==\n", n);
	if (write_stream(&sf, dir, n, seed) < 0)
		return -1;
	describe(&sf.counts, sf.bytes, seed);
	sr->events = sf.events;
	sr->bytes = sf.bytes;
	for (r = 0; r < repeat && ok; r++) {
		for (m = 0; m < M_COUNT_; m++) {
			struct run run;

			if (!mode_available((enum mode)m, no_jq))
				continue;
			if (measure((enum mode)m, sf.path, &run) < 0) {
				fprintf(stderr, "kag-bench: %s failed\n", mode_label[m]);
				ok = 0;
				break;
			}
			if (!sr->have[m] || run.cpu < sr->best[m].cpu)
				sr->best[m] = run;
			if (run.rss_kb > sr->rss_kb[m])
				sr->rss_kb[m] = run.rss_kb;
			sr->have[m] = 1;
		}
	}
	if (keep)
		printf("stream kept in %s\n", sf.path);
	else
		unlink(sf.path);
	if (!ok || !consistent(sr))
		return -1;
	print_table(sr);
	if (sr->have[M_PIPE_J])
		printf("\nverdicts: %" PRIu64 " (suspicious %" PRIu64 ", malicious %" PRIu64
		       ", needs_context %" PRIu64 "); benign suppressed %" PRIu64 "\n",
		       sr->best[M_PIPE_J].verdicts, sr->best[M_PIPE_J].by_assessment[1],
		       sr->best[M_PIPE_J].by_assessment[2], sr->best[M_PIPE_J].by_assessment[3],
		       sr->best[M_PIPE_J].suppressed);
	if (sr->have[M_JQ])
		printf("jq selected %" PRIu64 " lines with: jq -c '%s'\n", sr->best[M_JQ].selected,
		       jq_filter);
	print_targets(sr);
	return 0;
}

/* ---- --paired: per-round ratios in one process ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, first and third quartiles of v[0..n), which it sorts. */
static void spread(double *v, uint64_t n, double q[3])
{
	qsort(v, n, sizeof(*v), cmp_double);
	q[0] = v[n / 2];
	q[1] = v[n / 4];
	q[2] = v[(3 * n) / 4];
}

/* The modes a paired round runs, (a) first. */
static const enum mode paired_modes[] = { M_JANSSON, M_PARSE_J, M_PIPE_J, M_PARSE_F, M_PIPE_F,
					  M_LIMIT };
#define N_PAIRED (sizeof(paired_modes) / sizeof(paired_modes[0]))
#define P_PIPE_J 2 /* (c) jansson in paired_modes */
#define P_PARSE_F 3 /* (b) fast */
#define P_PIPE_F 4 /* (c) fast */
#define P_LIMIT 5  /* (l) */

/* How the goal of 0.5 x (l) divides between parsing and the engine, over
 * the rounds: the fast front end's parse alone, (b), as a multiple of
 * (l)'s speed; the engine's CPU time, (c) - (b), over (l)'s; and the speed
 * the parse would need, as a multiple of (l)'s, for (c) to take twice
 * (l)'s time with the engine as it is (infinite when the engine alone
 * takes that long). */
static void paired_budget(const double *t, uint64_t rounds, double *v)
{
	double q[3];
	uint64_t r;

	for (r = 0; r < rounds; r++)
		v[r] = t[r * N_PAIRED + P_LIMIT] / t[r * N_PAIRED + P_PARSE_F];
	spread(v, rounds, q);
	printf("  %-39s %8.3f %8.3f %8.3f\n", "(b) fast alone x (l), CPU (l) / CPU (b)", q[0],
	       q[1], q[2]);
	for (r = 0; r < rounds; r++)
		v[r] = (t[r * N_PAIRED + P_PIPE_F] - t[r * N_PAIRED + P_PARSE_F]) /
		       t[r * N_PAIRED + P_LIMIT];
	spread(v, rounds, q);
	printf("  %-39s %8.3f %8.3f %8.3f\n", "engine, CPU ((c) - (b)) / CPU (l)", q[0], q[1],
	       q[2]);
	for (r = 0; r < rounds; r++) {
		double left = 2.0 * t[r * N_PAIRED + P_LIMIT] -
			      (t[r * N_PAIRED + P_PIPE_F] - t[r * N_PAIRED + P_PARSE_F]);

		v[r] = left > 0 ? t[r * N_PAIRED + P_LIMIT] / left : HUGE_VAL;
	}
	spread(v, rounds, q);
	printf("  %-39s %8.3f %8.3f %8.3f\n", "parse needed for 0.5 x (l), x (l)", q[0], q[1],
	       q[2]);
}

/* The fast front end's full pipeline over the rounds: its ratios to (a)
 * and to (l) (CPU time of the other over its own, per round) and its
 * rate, against the goals of the fast path. */
static void paired_fast(const double *t, uint64_t rounds, double mb, int with_limit,
			int with_parse, double *v)
{
	double q[3];
	uint64_t r;

	printf("\n(c) full pipeline, fast, over the rounds: %8s %8s %8s\n", "median", "q1", "q3");
	for (r = 0; r < rounds; r++)
		v[r] = t[r * N_PAIRED] / t[r * N_PAIRED + P_PIPE_F];
	spread(v, rounds, q);
	printf("  %-39s %8.3f %8.3f %8.3f\n", "x (a) jansson, CPU (a) / CPU (c)", q[0], q[1], q[2]);
	if (with_limit) {
		for (r = 0; r < rounds; r++)
			v[r] = t[r * N_PAIRED + P_LIMIT] / t[r * N_PAIRED + P_PIPE_F];
		spread(v, rounds, q);
		printf("  %-39s %8.3f %8.3f %8.3f   >= 0.5: %s\n",
		       "x (l) parse limit, CPU (l) / CPU (c)", q[0], q[1], q[2],
		       q[0] >= 0.5 ? "met" : "NOT MET");
		if (with_parse)
			paired_budget(t, rounds, v);
	} else {
		printf("  %-39s %s\n", "x (l) parse limit", limit_unavailable);
	}
	for (r = 0; r < rounds; r++)
		v[r] = mb / t[r * N_PAIRED + P_PIPE_F];
	spread(v, rounds, q);
	printf("  %-39s %8.0f %8.0f %8.0f   >= 1200: %s\n", "MB/s (CPU time)", q[0], q[1], q[2],
	       q[0] >= 1200 ? "met" : "NOT MET");
}

/* Each round runs (a), (b) and (c) once each over the same n events held in
 * memory, in a shuffled order, in this process; a path's ratio in a round is
 * the CPU time of (a) in that round over its own. Slow drifts in the load of
 * a shared machine then touch both sides of a ratio alike: the median and
 * quartiles over the rounds are reported. */
static int paired(size_t n, uint64_t seed, uint64_t rounds, uint64_t *pipe_verdicts)
{
	struct bench_stream s;
	double *t = NULL, *ratio = NULL;
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1, verdicts[N_PAIRED];
	size_t i, k, avail[N_PAIRED], n_avail = 0;
	uint64_t r;
	int ok = 0, in_round[N_PAIRED];
	double q[3];

	memset(&s, 0, sizeof(s));
	memset(verdicts, 0, sizeof(verdicts));
	for (i = 0; i < N_PAIRED; i++) {
		in_round[i] = mode_available(paired_modes[i], 1) || paired_modes[i] == M_JANSSON;
		if (in_round[i])
			avail[n_avail++] = i;
	}
	if (bench_generate(&s, n, seed) < 0 || !(t = calloc(rounds * N_PAIRED, sizeof(*t))) ||
	    !(ratio = calloc(rounds, sizeof(*ratio)))) {
		fprintf(stderr, "kag-bench: out of memory\n");
		goto out;
	}
	printf("\n== paired rounds: %" PRIu64 " rounds of %zu events (%.1f MB) in memory, "
	       "one process ==\n", rounds, s.lines, (double)s.len / 1e6);
	mem_stream = &s;
	for (r = 0; r < rounds; r++) {
		size_t order[N_PAIRED];

		memcpy(order, avail, n_avail * sizeof(order[0]));
		for (i = n_avail - 1; i > 0; i--) {
			size_t j, tmp;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			j = (size_t)(rng % (i + 1));
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		for (k = 0; k < n_avail; k++) {
			enum mode m = paired_modes[order[k]];
			struct run run;

			memset(&run, 0, sizeof(run));
			if (run_path(m, NULL, &run) < 0 || run.events != s.lines || run.errors) {
				fprintf(stderr, "kag-bench: %s failed in a paired round\n", mode_label[m]);
				goto out;
			}
			if (r > 0 && run.verdicts != verdicts[order[k]]) {
				fprintf(stderr, "kag-bench: %s gave other verdicts in round %" PRIu64 "\n",
					mode_label[m], r + 1);
				goto out;
			}
			verdicts[order[k]] = run.verdicts;
			t[r * N_PAIRED + order[k]] = run.cpu;
		}
	}
	/* the front ends agree */
	if (in_round[P_PIPE_J] && in_round[P_PIPE_F] && verdicts[P_PIPE_J] != verdicts[P_PIPE_F]) {
		fprintf(stderr, "kag-bench: the front ends gave %" PRIu64 " and %" PRIu64
			" verdicts in the paired rounds\n", verdicts[P_PIPE_J], verdicts[P_PIPE_F]);
		goto out;
	}
	if (pipe_verdicts)
		*pipe_verdicts = verdicts[P_PIPE_J];
	printf("x (a): CPU time of (a) / of the path in a round, median and quartiles of the "
	       "rounds;\nMB/s: bytes / CPU time of the path, median of the rounds\n");
	printf("%-34s %8s %8s %8s %8s\n", "path", "x (a)", "q1", "q3", "MB/s");
	for (k = 0; k < n_avail; k++) {
		double rate[3];

		i = avail[k];
		for (r = 0; r < rounds; r++)
			ratio[r] = (double)s.len / 1e6 / t[r * N_PAIRED + i];
		spread(ratio, rounds, rate);
		for (r = 0; r < rounds; r++)
			ratio[r] = t[r * N_PAIRED] / t[r * N_PAIRED + i];
		spread(ratio, rounds, q);
		printf("%-34s %8.3f %8.3f %8.3f %8.0f\n", mode_label[paired_modes[i]], q[0], q[1],
		       q[2], rate[0]);
		if (paired_modes[i] == M_PIPE_J)
			printf("  (c) jansson >= 0.9 x (a), median of the rounds: %s\n",
			       q[0] >= 0.9 ? "met" : "NOT MET");
	}
	if (!in_round[P_LIMIT] && strchr(paths, 'l'))
		printf("%-34s %s\n", mode_label[M_LIMIT], limit_unavailable);
	if (in_round[P_PIPE_F])
		paired_fast(t, rounds, (double)s.len / 1e6, in_round[P_LIMIT], in_round[P_PARSE_F],
			    ratio);
	ok = 1;
out:
	mem_stream = NULL;
	bench_stream_free(&s);
	free(t);
	free(ratio);
	return ok ? 0 : -1;
}

static void print_rss(const struct size_result *srs, int n_sizes)
{
	int m, i;

	printf("\npeak RSS by stream length (MB):\n%-34s", "path");
	for (i = 0; i < n_sizes; i++)
		printf(" %10zu", srs[i].events);
	printf("\n");
	for (m = 0; m < M_COUNT_; m++) {
		if (!srs[0].have[m])
			continue;
		printf("%-34s", mode_label[m]);
		for (i = 0; i < n_sizes; i++)
			printf(" %10.1f", (double)srs[i].rss_kb[m] / 1024.0);
		printf("\n");
	}
}

/* --max-rss-growth: each path's peak at the longest stream against its peak
 * at the shortest (jq, another program, left out). Returns the number of
 * paths that grew by more than pct percent and RSS_SLACK_KB. */
static int rss_flat(const struct size_result *srs, int n_sizes, uint64_t pct)
{
	int m, i, lo = 0, hi = 0, grew = 0;

	for (i = 1; i < n_sizes; i++) {
		if (srs[i].events < srs[lo].events)
			lo = i;
		if (srs[i].events > srs[hi].events)
			hi = i;
	}
	printf("\npeak RSS at %zu events against %zu events (at most +%" PRIu64 "%% and %d MB):\n",
	       srs[hi].events, srs[lo].events, pct, RSS_SLACK_KB / 1024);
	for (m = 0; m < M_COUNT_; m++) {
		long a = srs[lo].rss_kb[m], b = srs[hi].rss_kb[m];
		int ok = (double)b <= (double)a * (1.0 + (double)pct / 100.0) + RSS_SLACK_KB;

		if (m == M_JQ || !srs[lo].have[m] || !srs[hi].have[m])
			continue;
		printf("  %-34s %7.1f MB -> %7.1f MB (%+.1f%%)  %s\n", mode_label[m],
		       (double)a / 1024.0, (double)b / 1024.0,
		       a > 0 ? 100.0 * (double)(b - a) / (double)a : 0.0, ok ? "flat" : "GROWS");
		grew += !ok;
	}
	return grew;
}

/* ---- --check: the stream and the paths are what the benchmark claims ---- */

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
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

#ifdef KAG_BENCH_PARSE_LIMIT
/* (l) counts documents, and fails on what is not a stream of them; (o)
 * also fails on a document that is not an object, or a member of the
 * wrong type, and neither refuses a repeated key. */
static void check_limit(void)
{
	static const struct {
		const char *in;
		int rc, rc_members;
		uint64_t docs;
		const char *what;
	} cases[] = {
		{ "{}\n{\"verb\":\"get\"}\n{\"user\":{\"groups\":[\"g\"],\"extra\":{\"k\":[\"v\"]}}}\n"
		  "{\"requestObject\":{\"a\":[1,{}]},\"responseStatus\":{\"code\":200}}\n", 0, 0, 4,
		  "four events" },
		{ "{}\n[1,2]\n\"x\"\n{\"a\":{\"b\":null}}\n", 0, -1, 4, "four documents, two not objects" },
		{ "{\"a\":1}\n{\"a\":\n", -1, -1, 0, "a document cut short" },
		{ "{\"a\":1}\n{\"a\" 1}\n", -1, -1, 0, "a document that is not JSON" },
		{ "{\"a\":\"\xc0\xaf\"}\n", -1, -1, 0, "overlong UTF-8" },
		{ "{\"a\":\"\xed\xa0\x80\"}\n", -1, -1, 0, "a surrogate in UTF-8" },
		{ "{\"a\":1,\"a\":2}\n", 0, 0, 1, "a repeated key" },
		{ "{\"sourceIPs\":[1]}\n", 0, -1, 1, "a list of numbers where kag reads strings" },
		{ "{\"requestObject\":{\"x\":tru}}\n", -1, 0, 1, "a body unread that is not JSON" },
		{ "{\"requestObject\":{\"x\":1,\"x\":2}}\n", 0, 0, 1, "a body unread with a repeated key" },
	};
	struct bench_parse_limit *pl = bench_parse_limit_new();
	char buf[256];
	size_t i;

	expect(pl != NULL, "parse limit: a simdjson parser");
	for (i = 0; pl && i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		int padded, members;

		/* in place (padding allocated), then copied (none); each API */
		for (padded = 1; padded >= 0; padded--) {
			for (members = 0; members < 2; members++) {
				char what[160];
				uint64_t docs = 0;
				int want = members ? cases[i].rc_members : cases[i].rc, rc;

				memset(buf, 0, sizeof(buf));
				memcpy(buf, cases[i].in, len);
				rc = (members ? bench_parse_members_lines : bench_parse_limit_lines)(
					pl, buf, len, padded ? sizeof(buf) : len, &docs);
				snprintf(what, sizeof(what), "%s, %s: %s, %s",
					 members ? "On-Demand members" : "parse limit",
					 padded ? "in place" : "copied", cases[i].what,
					 want == 0 ? "counted" : "refused");
				expect(rc == want && (rc < 0 || docs == cases[i].docs), what);
			}
		}
	}
	bench_parse_limit_free(pl);
}
#endif

static int check(size_t n, uint64_t seed, const char *dir)
{
	struct bench_stream a, b, c, piece;
	struct bench_gen g;
	struct stream_file sf;
	struct size_result sr;
	uint64_t whole, pieces = 0xcbf29ce484222325ull;
	size_t i, requests = 0;
	int all_kinds = 1, more, m;
	double avg;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&piece, 0, sizeof(piece));
	if (bench_generate(&a, n, seed) < 0 || bench_generate(&b, n, seed) < 0 ||
	    bench_generate(&c, n, seed + 1) < 0) {
		fprintf(stderr, "kag-bench: out of memory\n");
		return 1;
	}
	describe(&a, a.len, seed);
	whole = fnv1a(0xcbf29ce484222325ull, a.data, a.len);
	printf("fnv1a64 %016" PRIx64 "\n", whole);
	expect(a.lines == n, "the stream has exactly the events asked for");
	expect(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	       "the same seed gives the same bytes");
	expect(a.len != c.len || memcmp(a.data, c.data, a.len) != 0,
	       "another seed gives other bytes");
	bench_gen_init(&g, &piece, n, seed);
	do {
		piece.len = 0;
		more = bench_gen_fill(&g, 4096);
		if (more >= 0)
			pieces = fnv1a(pieces, piece.data, piece.len);
	} while (more > 0);
	expect(more == 0 && pieces == whole && piece.lines == n,
	       "the stream generated piecewise is the same bytes");
	bench_stream_free(&piece);
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
	bench_stream_free(&a);
	bench_stream_free(&b);
	bench_stream_free(&c);

	/* every path over the file, as the benchmark runs them */
	memset(&sr, 0, sizeof(sr));
	if (write_stream(&sf, dir, n, seed) < 0)
		return 1;
	sr.events = sf.events;
	sr.bytes = sf.bytes;
	for (m = 0; m < M_COUNT_; m++) {
		if (m == M_JQ || !mode_available((enum mode)m, 1))
			continue;
		sr.have[m] = measure((enum mode)m, sf.path, &sr.best[m]) == 0;
		expect(sr.have[m], mode_label[m]);
	}
	unlink(sf.path);
#ifdef KAG_BENCH_PARSE_LIMIT
	check_limit();
	expect(sr.have[M_LIMIT] && sr.best[M_LIMIT].events == sf.events,
	       "simdjson reads one document per line of the stream, no error");
	expect(sr.have[M_MEMBERS] && sr.best[M_MEMBERS].events == sf.events,
	       "simdjson On-Demand reads the members of every event of the stream, no error");
#endif
	if (sr.have[M_JANSSON] && sr.have[M_PIPE_J] && sr.have[M_PREPARSED]) {
		const struct run *kf = &sr.best[M_PIPE_J];

		expect(consistent(&sr), "every path reads every event; the front ends and the "
					"pre-parsed path give the same verdicts");
		expect(kf->by_assessment[KAG_ASSESSMENT_SUSPICIOUS] > 0,
		       "the pipeline finds suspicious activity");
		expect(kf->suppressed > kf->verdicts, "benign verdicts outnumber the others");
		expect(kf->by_assessment[KAG_ASSESSMENT_BENIGN] == 0, "benign verdicts are left out");
		expect(sr.best[M_PIPE_J].rss_kb > 0, "peak memory is measured per path");
		printf("pipeline: %" PRIu64 " verdicts (suspicious %" PRIu64 ", malicious %" PRIu64
		       ", needs_context %" PRIu64 "), %" PRIu64 " benign suppressed\n",
		       kf->verdicts, kf->by_assessment[1], kf->by_assessment[2], kf->by_assessment[3],
		       kf->suppressed);
	}
	{
		uint64_t v = 0;

		expect(paired(n, seed, 3, &v) == 0 && sr.have[M_PIPE_J] &&
			       v == sr.best[M_PIPE_J].verdicts,
		       "paired rounds read the stream from memory, with the verdicts read from "
		       "the file");
	}
	printf("fast front end: %s\n", has_fast() ? "present, checked" : "not in this build");
	printf("parse limit: %s\n", has_limit() ? "present, checked" : limit_unavailable);
	return failures ? 1 : 0;
}

/* ---- main ---- */

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K') {
		v *= 1000;
		end++;
	} else if (*end == 'M') {
		v *= 1000000;
		end++;
	}
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

/* "100k,1M" */
static int parse_sizes(const char *s, uint64_t *sizes, int *n)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_SIZES || parse_size(tok, &sizes[*n]) < 0 || sizes[*n] == 0)
			return -1;
		(*n)++;
	}
	return *n ? 0 : -1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: kag-bench [--events=N[,N...]] [--seed=S] [--repeat=R] [--dir=DIR]\n"
		     "                 [--paths=abcdelo] [--no-jq] [--keep] [--max-rss-growth=PCT]\n"
		     "                 [--paired=ROUNDS [--paired-events=N]]\n"
		     "       (--paired without --events runs the paired rounds only)\n"
		     "       kag-bench --check [--events=N]\n"
		     "       kag-bench --dump [--events=N]\n"
		     "N takes k and M suffixes (1M = 1000000).\n");
}

int main(int argc, char **argv)
{
	uint64_t sizes[MAX_SIZES] = { 200000 }, seed = 1, repeat = 1, paired_rounds = 0;
	uint64_t paired_events = 25000, rss_growth = 0;
	int rss_check = 0;
	int n_sizes = 1, mode_check = 0, mode_dump = 0, no_jq = 0, keep = 0, i, rc = 0;
	int sizes_given = 0;
	const char *dir = getenv("TMPDIR");
	struct size_result *srs;

	if (!dir || !*dir)
		dir = "/tmp";
	if (argc == 3 && strncmp(argv[1], "--child=", 8) == 0)
		return child_main(argv[1] + 8, argv[2]);
	{
		ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

		if (n > 0)
			self_exe[n] = '\0';
		else
			snprintf(self_exe, sizeof(self_exe), "%s", argv[0]);
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int bad = 0;

		if (strncmp(a, "--events=", 9) == 0) {
			bad = parse_sizes(a + 9, sizes, &n_sizes);
			sizes_given = 1;
		} else if (strncmp(a, "--seed=", 7) == 0)
			bad = parse_size(a + 7, &seed);
		else if (strncmp(a, "--repeat=", 9) == 0)
			bad = parse_size(a + 9, &repeat) || repeat == 0;
		else if (strncmp(a, "--dir=", 6) == 0)
			dir = a + 6;
		else if (strncmp(a, "--paths=", 8) == 0)
			bad = !*(paths = a + 8) || strspn(paths, "abcdelo") != strlen(paths);
		else if (strncmp(a, "--paired=", 9) == 0)
			bad = parse_size(a + 9, &paired_rounds) || paired_rounds < 3;
		else if (strncmp(a, "--paired-events=", 16) == 0)
			bad = parse_size(a + 16, &paired_events) || paired_events == 0;
		else if (strncmp(a, "--max-rss-growth=", 17) == 0) {
			bad = parse_size(a + 17, &rss_growth);
			rss_check = 1;
		} else if (strcmp(a, "--no-jq") == 0)
			no_jq = 1;
		else if (strcmp(a, "--keep") == 0)
			keep = 1;
		else if (strcmp(a, "--check") == 0)
			mode_check = 1;
		else if (strcmp(a, "--dump") == 0)
			mode_dump = 1;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			bad = parse_sizes(a, sizes, &n_sizes);
			sizes_given = 1;
		}
		if (bad) {
			usage(stderr);
			return 2;
		}
	}
	if (mode_check)
		return check((size_t)sizes[0], seed, dir);
	if (mode_dump) {
		struct bench_stream s;
		struct bench_gen g;
		int more;

		memset(&s, 0, sizeof(s));
		bench_gen_init(&g, &s, (size_t)sizes[0], seed);
		do {
			s.len = 0;
			more = bench_gen_fill(&g, 1 << 20);
			if (more < 0 || fwrite(s.data, 1, s.len, stdout) != s.len)
				more = -1;
		} while (more > 0);
		bench_stream_free(&s);
		return more == 0 && fflush(stdout) == 0 ? 0 : 1;
	}

	printf("kag-bench: kag %s, jansson %s, fast front end %s, jq %s\n", kag_version_string(),
	       JANSSON_VERSION, has_fast() ? "yes" : "no",
	       no_jq ? "skipped" : jq_path() ? jq_path() : "not found");
	/* --paired alone runs the paired rounds only */
	if (paired_rounds && !sizes_given)
		n_sizes = 0;
	if (n_sizes)
		printf("times: CPU time (user + system) of each path, %s; x (a) = rate / rate "
		       "of (a)\n", repeat > 1 ? "fastest of the runs" : "one run");
	srs = calloc((size_t)(n_sizes ? n_sizes : 1), sizeof(*srs));
	if (!srs)
		return 1;
	for (i = 0; i < n_sizes && rc == 0; i++)
		rc = bench_size((size_t)sizes[i], seed, repeat, dir, no_jq, keep, &srs[i]) < 0;
	if (rc == 0 && n_sizes > 1)
		print_rss(srs, n_sizes);
	if (rc == 0 && rss_check) {
		if (n_sizes < 2) {
			fprintf(stderr, "kag-bench: --max-rss-growth needs two sizes or more\n");
			rc = 2;
		} else if (rss_flat(srs, n_sizes, rss_growth)) {
			rc = 1;
		}
	}
	free(srs);
	if (rc == 0 && paired_rounds)
		rc = paired((size_t)paired_events, seed, paired_rounds, NULL) < 0;
	return rc;
}
