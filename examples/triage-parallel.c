/*
 * kag-triage --jobs: records parsed in parallel, judged in input order.
 *
 * Judging needs one session to see every event in input order: the
 * correlation windows and the de-duplication are keyed by principal, but
 * the session clock (which releases requests held at RequestReceived) is
 * the whole stream's, table capacities and evictions are per session, and
 * some state is keyed by object (CSR names), so sessions split by principal
 * would not give the same output. Parsing (JSON to event) is most of the
 * work and needs no such order. So:
 *
 * - The calling thread reads the input and cuts it into pieces with a
 *   scanner that mirrors kag's parser framing (lib/parser.c scan()): JSON
 *   lines, pretty printed documents, arrays and EventLists, node-name
 *   prefixes, base64 lines, non-JSON lines, truncated records. A piece ends
 *   only after a line end that the parser consumes between records without
 *   looking past it, so a parser fed the piece stops where the one reading
 *   the whole stream would.
 * - Pieces are grouped in batches of consecutive pieces, queued in a ring.
 *   A thread takes the next batch and parses each piece with a parser of
 *   its own (events are borrowed from their parser), first fed as many
 *   newlines as the lines it did not see, so that line numbers (in sources
 *   and messages) are the stream's; error offsets are shifted back to
 *   stream offsets.
 * - The thread then waits for its batch's turn, judges the results with the
 *   one session and prints them: batches are judged one at a time, in input
 *   order, so the output is byte for byte that of --jobs 1. Parser memory
 *   (jansson trees) is freed by the thread that allocated it.
 * - The calling thread takes batches too when the ring is full. Memory is
 *   bounded: the ring, a budget of queued bytes, and pieces longer than
 *   TP_BIG, which are fed to one parser as they are read (as the
 *   sequential path does) once every batch before them is judged.
 *
 * SPDX-License-Identifier: MIT
 */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "triage-parallel.h"

#define TP_CHUNK (1 << 16)          /* read size, as the sequential path */
#define TP_BIG (256u << 10)         /* longer pieces are read sequentially */
#define TP_MAX_RECORD (16u << 20)   /* the parser's default KAG_OPT_MAX_RECORD_BYTES */
#define TP_BATCH 16                 /* pieces taken, and judged, at a time */
#define TP_BATCH_BYTES (256u << 10) /* bytes of pieces in a batch, at most */
#define TP_BUDGET (8u << 20)        /* bytes of queued batches */

/* ---- progress ---- */

#if defined(_WIN32)
static double now_s(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}
#else
#include <unistd.h>
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
#endif

void triage_progress_init(struct triage_progress *pr)
{
	memset(pr, 0, sizeof(*pr));
#if !defined(_WIN32)
	pr->on = isatty(STDERR_FILENO);
#endif
	pr->start = pr->on ? now_s() : 0;
}

void triage_progress_show(struct triage_progress *pr, uint64_t bytes, uint64_t events,
			  uint64_t findings)
{
	double now, total;

	if (!pr->on)
		return;
	now = now_s();
	if (now - pr->start < 1.0 || now - pr->last < 0.5)
		return;
	pr->last = now;
	pr->shown = 1;
	total = (double)(pr->done + bytes);
	fprintf(stderr, "\rkag-triage: %.1f MB read, %.0f events/s, %llu findings\033[K",
		total / 1e6, (double)events / (now - pr->start), (unsigned long long)findings);
	fflush(stderr);
}

void triage_progress_next(struct triage_progress *pr, uint64_t bytes)
{
	pr->done += bytes;
}

void triage_progress_done(struct triage_progress *pr)
{
	if (pr->shown)
		fputs("\r\033[K", stderr);
	pr->shown = 0;
}

#if defined(_WIN32)

int triage_default_jobs(void)
{
	return 1;
}

int triage_pool_new(triage_pool **out, struct triage *t, int jobs, int format)
{
	(void)t;
	(void)jobs;
	(void)format;
	*out = NULL;
	return -1;
}

void triage_pool_free(triage_pool *pool)
{
	(void)pool;
}

int triage_pool_stream(triage_pool *pool, FILE *in, const char *name, int *io_failed)
{
	(void)pool;
	(void)in;
	(void)name;
	(void)io_failed;
	return -1;
}

#else /* POSIX threads */

#include <pthread.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif
#include <stdatomic.h>

int triage_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* ---- framing: where the parser stands between records ---- */

struct framer {
	int format;          /* KAG_FORMAT_*: base64 lines are records in auto and eks */
	int started;         /* past a possible BOM */
	int skip_line;       /* an over-long text line is being dropped */
	int in_record, rec_array, in_string, escape;
	long depth;
	int no_split;        /* the next line end closed a record by looking past it */
	int content;         /* the piece so far holds more than blanks */
	uint64_t line;       /* the parser's line number at the scan position */
};

enum { FR_NEED, FR_SPLIT };

/* lib/parser.c node_prefix(): one token of printable non-space bytes,
 * blanks, then '{'. Returns the index of '{' or 0. */
static size_t node_prefix(const char *s, size_t start, size_t end)
{
	size_t i = start;

	while (i < end && s[i] > ' ' && s[i] != '{' && s[i] != '"' && (unsigned char)s[i] < 0x7f)
		i++;
	if (i == start || i >= end || (s[i] != ' ' && s[i] != '\t'))
		return 0;
	while (i < end && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < end && s[i] == '{' ? i : 0;
}

static const unsigned char string_special[256] = {
	['"'] = 1, ['\\'] = 1, ['\n'] = 1,
};

/* Bytes that matter between strings inside a record. */
static const unsigned char struct_special[256] = {
	['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1, ['\n'] = 1,
};

/* The first byte at or after pos that matters in a string (in_string) or
 * between strings, or len. Sixteen bytes at a time where SSE2 is there. */
static size_t skip_plain(const char *d, size_t pos, size_t len, int in_string)
{
	const unsigned char *table = in_string ? string_special : struct_special;

#if defined(__SSE2__) && defined(__GNUC__)
	const __m128i quote = _mm_set1_epi8('"'), nl = _mm_set1_epi8('\n');
	const __m128i bs = _mm_set1_epi8('\\'), lower = _mm_set1_epi8(0x20);
	const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');

	while (pos + 16 <= len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + pos));
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, nl));
		int mask;

		if (in_string) {
			hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, bs));
		} else {
			/* '[' and ']' are '{' and '}' without the 0x20 bit */
			__m128i w = _mm_or_si128(v, lower);

			hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(w, open),
							     _mm_cmpeq_epi8(w, close)));
		}
		mask = _mm_movemask_epi8(hit);
		if (mask)
			return pos + (size_t)__builtin_ctz((unsigned)mask);
		pos += 16;
	}
#endif
	while (pos < len && !table[(unsigned char)d[pos]])
		pos++;
	return pos;
}

#if defined(__SSE2__) && defined(__GNUC__)
#define TP_BLOCKS 1

/* Bit i of each mask: byte i of p[0, 64) is a quote, a backslash, a line
 * end, '{' or '[', '}' or ']'. */
static void block_masks(const char *p, uint64_t *quote, uint64_t *bslash, uint64_t *nl,
			uint64_t *open, uint64_t *close)
{
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), n = _mm_set1_epi8('\n');
	const __m128i lower = _mm_set1_epi8(0x20);
	const __m128i o = _mm_set1_epi8('{'), c = _mm_set1_epi8('}');
	int k;

	*quote = *bslash = *nl = *open = *close = 0;
	for (k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i w = _mm_or_si128(v, lower);
		unsigned sh = 16u * (unsigned)k;

		*quote |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)) << sh;
		*bslash |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, b)) << sh;
		*nl |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, n)) << sh;
		*open |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, o)) << sh;
		*close |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, c)) << sh;
	}
}

/* Bit i: an odd number of the bits 0..i of x are set. */
static uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

enum { BLK_SCALAR, BLK_END, BLK_NEED };

/* Inside a record, 64 bytes at a time: strings are found from the quotes
 * of a block at once, and only brackets and line ends outside them are
 * looked at, with the rules of the byte loop in frame(). A block with a
 * backslash, or with a line end inside a string, is left to that loop
 * (BLK_SCALAR, *pos_io at the block). BLK_END: the record ended (closed,
 * or broken by the record after a line end, at *pos_io). BLK_NEED: a line
 * end outside strings is the last byte read. */
static int frame_blocks(struct framer *f, const char *d, size_t len, size_t *pos_io,
			int finished)
{
	size_t pos = *pos_io;

	while (pos + 64 <= len) {
		uint64_t quote, bslash, nl, open, close, inside, todo;

		block_masks(d + pos, &quote, &bslash, &nl, &open, &close);
		if (bslash)
			break;
		inside = prefix_xor(quote) ^ (f->in_string ? ~(uint64_t)0 : 0);
		if (nl & inside)
			break;
		for (todo = (open | close | nl) & ~inside; todo; todo &= todo - 1) {
			unsigned i = (unsigned)__builtin_ctzll(todo);
			uint64_t bit = (uint64_t)1 << i;
			size_t at = pos + i;

			if (open & bit) {
				f->depth++;
			} else if (close & bit) {
				if (--f->depth == 0) {
					f->in_record = f->in_string = 0;
					*pos_io = at + 1;
					return BLK_END;
				}
			} else if (at + 1 >= len && !finished) {
				f->in_string = 0;
				*pos_io = at;
				return BLK_NEED;
			} else if (at + 1 < len && d[at + 1] == '{' && !(f->rec_array && f->depth == 1)) {
				f->in_record = f->in_string = 0;
				f->no_split = 1;
				*pos_io = at;
				return BLK_END;
			} else {
				f->line++;
			}
		}
		f->in_string ^= __builtin_parityll(quote);
		pos += 64;
	}
	*pos_io = pos;
	return BLK_SCALAR;
}
#endif

/* Scan d[*pos, len) as kag's parser does. FR_SPLIT: *pos is just past a
 * line end the parser consumes between records, with no look at what
 * follows, and the piece has content: a piece may end here. FR_NEED: more
 * bytes are needed (or, when finished, the input is used up). */
static int frame(struct framer *f, const char *d, size_t len, size_t *pos_io, int finished)
{
	size_t pos = *pos_io;
	int rc = FR_NEED;

	for (;;) {
		if (!f->in_record) {
			size_t eol;
			const char *nl;

			if (!f->started) {
				if (len - pos < 3 && !finished &&
				    (len == pos || memcmp(d + pos, "\xEF\xBB\xBF", len - pos) == 0))
					goto out;
				if (len - pos >= 3 && memcmp(d + pos, "\xEF\xBB\xBF", 3) == 0)
					pos += 3;
				f->started = 1;
			}
			if (f->skip_line) {
				nl = len > pos ? memchr(d + pos, '\n', len - pos) : NULL;
				if (!nl) {
					pos = len;
					goto out;
				}
				pos = (size_t)(nl - d);
				f->skip_line = 0;
			}
			while (pos < len) {
				char c = d[pos];

				if (c == '\n') {
					f->line++;
					pos++;
					if (f->no_split) {
						f->no_split = 0;
					} else if (f->content) {
						f->content = 0;
						rc = FR_SPLIT;
						goto out;
					}
				} else if (c == ' ' || c == '\t' || c == '\r') {
					pos++;
				} else {
					break;
				}
			}
			if (pos >= len)
				goto out;
			f->content = 1;
			if (d[pos] == '{' || d[pos] == '[') {
				f->in_record = 1;
				f->rec_array = d[pos] == '[';
				f->depth = 0;
				f->in_string = f->escape = 0;
				continue;
			}
			nl = memchr(d + pos, '\n', len - pos);
			eol = nl ? (size_t)(nl - d) : len;
			if (eol == len && !finished) {
				if (eol - pos > TP_MAX_RECORD) {
					pos = eol;
					f->skip_line = 1;
				}
				goto out;
			}
			if (eol - pos >= 4 && memcmp(d + pos, "H4sI", 4) == 0 &&
			    (f->format == KAG_FORMAT_AUTO || f->format == KAG_FORMAT_EKS)) {
				pos = eol;
				continue;
			}
			if (node_prefix(d, pos, eol)) {
				pos = node_prefix(d, pos, eol);
				continue;
			}
			pos = eol;
			continue;
		}

		/* inside a record */
		{
#ifdef TP_BLOCKS
		size_t scalar_until = 0; /* the byte loop's, up to here */
#endif
		while (pos < len) {
			char c;

#ifdef TP_BLOCKS
			if (!f->escape && pos >= scalar_until && pos + 64 <= len) {
				int r = frame_blocks(f, d, len, &pos, finished);

				if (r == BLK_END)
					break;
				if (r == BLK_NEED)
					goto out;
				if (pos + 64 > len)
					continue;
				scalar_until = pos + 64;
			}
#endif
			if (!f->escape) {
				pos = skip_plain(d, pos, len, f->in_string);
				if (pos >= len)
					break;
			}
			c = d[pos];
			if (f->in_string) {
				if (f->escape) {
					f->escape = 0;
				} else if (c == '\\') {
					f->escape = 1;
				} else if (c == '"') {
					f->in_string = 0;
				} else if (c == '\n') {
					f->in_record = 0; /* broken at the line end */
					break;
				}
			} else if (c == '"') {
				f->in_string = 1;
			} else if (c == '{' || c == '[') {
				f->depth++;
			} else if (c == '}' || c == ']') {
				if (--f->depth == 0) {
					pos++;
					f->in_record = 0;
					break;
				}
			} else if (c == '\n') {
				if (pos + 1 >= len && !finished)
					goto out; /* the parser waits for the next byte too */
				if (pos + 1 < len && d[pos + 1] == '{' &&
				    !(f->rec_array && f->depth == 1)) {
					/* broken by the record that starts next: the
					 * parser saw that byte, so no piece ends here */
					f->in_record = 0;
					f->no_split = 1;
					break;
				}
				f->line++;
			}
			pos++;
		}
		}
		if (f->in_record) {
			if (finished) {
				f->in_record = 0; /* truncated at the end */
				pos = len;
			}
			goto out;
		}
	}
out:
	*pos_io = pos;
	return rc;
}

/* ---- batches, lanes and the pool ---- */

/* A batch of consecutive pieces, queued in the ring. Pieces are cut by
 * frame(); each is parsed by a parser of its own, so that a thread holds
 * the events of a whole batch until its turn to judge them. */
struct batch {
	char *data;          /* the pieces' bytes, one after the other */
	size_t len, cap;
	int n;
	int last;            /* the stream ends with the last piece */
	struct {
		size_t at, len;      /* in data */
		uint64_t line;       /* the parser's line number where it starts */
		uint64_t line_after; /* and after it */
		uint64_t offset;     /* its stream offset */
	} piece[TP_BATCH];
};

/* One parser of a lane, fed the pieces of its rank in the lane's batches. */
struct lparser {
	kag_parser *parser;
	uint64_t line;       /* its line number after what it was fed */
	uint64_t fed;        /* bytes fed this stream, newlines included */
	int64_t shift;       /* stream offset minus parser offset, this piece */
	int rc;              /* first result of this piece */
	kag_event *ev;
};

/* A thread's parsers. */
struct lane {
	triage_pool *pool;
	pthread_t thread;
	struct lparser par[TP_BATCH];
};

struct triage_pool {
	struct triage *t;
	int format;
	int n_threads;
	int n_lanes;
	struct lane *lanes;  /* one per thread, then the caller's */
	struct batch *ring;
	size_t n_ring;

	pthread_mutex_t mu;
	pthread_cond_t work_cv, turn_cv;
	int sync_ok;         /* mu and the conditions are initialised */
	uint64_t tail;       /* batches published (mu) */
	uint64_t next_claim; /* first batch no one has taken (mu) */
	int idle;            /* threads waiting for work (mu) */
	int quit;            /* (mu) */
	atomic_uint_fast64_t turn;    /* the batch whose results are judged next */
	atomic_int turn_waiters;
	atomic_size_t in_flight;      /* bytes of batches queued, not judged */
	atomic_int failed;

	/* the caller's own */
	uint64_t queued;     /* batches in the ring, the open one not counted */
	struct batch *open;  /* being filled, or NULL */
	char *buf;
	size_t cap;
};

static char newlines[4096];

/* Feed n newlines: the lines of the stream this parser did not see. */
static int feed_lines(kag_parser *p, uint64_t n)
{
	while (n) {
		size_t k = n < sizeof(newlines) ? (size_t)n : sizeof(newlines);

		if (kag_parser_feed(p, newlines, k) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* Bring the parser to line `line` (0: where it is) and stream offset
 * `offset`, then feed data. */
static int lp_feed(struct lparser *lp, uint64_t line, uint64_t offset, const char *data, size_t n)
{
	if (line > lp->line) {
		if (feed_lines(lp->parser, line - lp->line) < 0)
			return -1;
		lp->fed += line - lp->line;
		lp->line = line;
	}
	lp->shift = (int64_t)(offset - lp->fed);
	if (n && kag_parser_feed(lp->parser, data, n) < 0)
		return -1;
	lp->fed += n;
	return 0;
}

/* Judge every result of the parser, the first one pulled already. */
static void judge(triage_pool *pl, struct lparser *lp)
{
	int rc = lp->rc;
	kag_event *ev = lp->ev;

	while (rc != KAG_ITEROVER) {
		if (!atomic_load(&pl->failed) &&
		    triage_result(pl->t, lp->parser, rc, ev, lp->shift) < 0)
			atomic_store(&pl->failed, 1);
		if (rc == KAG_ENOMEM || rc == KAG_EINVAL)
			break;
		rc = kag_parser_next(&ev, lp->parser);
	}
	lp->ev = NULL;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Wait until every batch before `target` has been judged: spin a little
 * (a turn often passes within microseconds), then sleep. */
static void wait_turn(triage_pool *pl, uint64_t target)
{
	int spins;

	for (spins = 0; spins < 1000; spins++) {
		if (atomic_load_explicit(&pl->turn, memory_order_acquire) >= target)
			return;
		cpu_relax();
	}
	atomic_fetch_add(&pl->turn_waiters, 1);
	pthread_mutex_lock(&pl->mu);
	while (atomic_load(&pl->turn) < target)
		pthread_cond_wait(&pl->turn_cv, &pl->mu);
	pthread_mutex_unlock(&pl->mu);
	atomic_fetch_sub(&pl->turn_waiters, 1);
}

static void pass_turn(triage_pool *pl, uint64_t next)
{
	atomic_store(&pl->turn, next);
	if (atomic_load(&pl->turn_waiters)) {
		pthread_mutex_lock(&pl->mu);
		pthread_cond_broadcast(&pl->turn_cv);
		pthread_mutex_unlock(&pl->mu);
	}
}

/* Parse batch idx with lane l, wait for its turn, judge it. Results are
 * judged by the thread that parsed them, which also frees them. */
static void process(triage_pool *pl, struct lane *l, uint64_t idx)
{
	struct batch *b = &pl->ring[idx % pl->n_ring];
	int i;

	for (i = 0; i < b->n; i++) {
		struct lparser *lp = &l->par[i];

		lp->ev = NULL;
		if (lp_feed(lp, b->piece[i].line, b->piece[i].offset, b->data + b->piece[i].at,
			    b->piece[i].len) < 0 ||
		    (b->last && i == b->n - 1 && kag_parser_finish(lp->parser) < 0))
			lp->rc = KAG_ENOMEM;
		else
			lp->rc = kag_parser_next(&lp->ev, lp->parser);
		lp->line = b->piece[i].line_after;
	}
	wait_turn(pl, idx);
	for (i = 0; i < b->n; i++)
		judge(pl, &l->par[i]);
	if (b->n)
		triage_tick(pl->t, b->piece[b->n - 1].offset + b->piece[b->n - 1].len);
	atomic_fetch_sub(&pl->in_flight, b->len);
	pass_turn(pl, idx + 1);
}

static void *worker(void *arg)
{
	struct lane *l = arg;
	triage_pool *pl = l->pool;

	pthread_mutex_lock(&pl->mu);
	while (!pl->quit) {
		if (pl->next_claim < pl->tail) {
			uint64_t idx = pl->next_claim++;

			pthread_mutex_unlock(&pl->mu);
			process(pl, l, idx);
			pthread_mutex_lock(&pl->mu);
			continue;
		}
		pl->idle++;
		pthread_cond_wait(&pl->work_cv, &pl->mu);
		pl->idle--;
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

static struct lane *own_lane(triage_pool *pl)
{
	return &pl->lanes[pl->n_threads];
}

/* Queue the open batch and hand the queued ones to the threads. */
static void publish(triage_pool *pl)
{
	if (pl->open) {
		pl->open = NULL;
		pl->queued++;
	}
	pthread_mutex_lock(&pl->mu);
	if (pl->tail != pl->queued) {
		pl->tail = pl->queued;
		if (pl->idle)
			pthread_cond_signal(&pl->work_cv);
	}
	pthread_mutex_unlock(&pl->mu);
}

/* The caller's share of the work while it waits: take the next queued
 * batch if there is one, else wait for a turn to pass. Returns 0 when
 * every queued batch is judged. */
static int help(triage_pool *pl)
{
	uint64_t idx, turn;

	publish(pl);
	turn = atomic_load(&pl->turn);
	if (turn == pl->queued)
		return 0;
	pthread_mutex_lock(&pl->mu);
	if (pl->next_claim < pl->tail) {
		idx = pl->next_claim++;
		pthread_mutex_unlock(&pl->mu);
		process(pl, own_lane(pl), idx);
		return 1;
	}
	pthread_mutex_unlock(&pl->mu);
	wait_turn(pl, turn + 1);
	return 1;
}

/* Add a piece to the open batch: its bytes, the parser line where it
 * starts and after it, its stream offset; last: the stream ends with it. */
static int add_piece(triage_pool *pl, const char *data, size_t n, uint64_t line,
		     uint64_t line_after, uint64_t offset, int last)
{
	struct batch *b = pl->open;

	if (b && (b->n == TP_BATCH || b->len + n > TP_BATCH_BYTES)) {
		publish(pl);
		b = NULL;
	}
	if (!b) {
		size_t flying;

		for (;;) {
			flying = atomic_load(&pl->in_flight);
			if (pl->queued - atomic_load(&pl->turn) < pl->n_ring &&
			    (!flying || flying + TP_BATCH_BYTES <= TP_BUDGET))
				break;
			help(pl);
		}
		b = &pl->ring[pl->queued % pl->n_ring];
		if (b->cap > 2 * TP_BATCH_BYTES) {
			/* give back what long pieces took */
			free(b->data);
			b->data = NULL;
			b->cap = 0;
		}
		b->len = 0;
		b->n = 0;
		b->last = 0;
		pl->open = b;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : TP_CHUNK;
		char *nd;

		while (cap < b->len + n)
			cap *= 2;
		nd = realloc(b->data, cap);
		if (!nd)
			return -1;
		b->data = nd;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, data, n);
	b->piece[b->n].at = b->len;
	b->piece[b->n].len = n;
	b->piece[b->n].line = line;
	b->piece[b->n].line_after = line_after;
	b->piece[b->n].offset = offset;
	b->n++;
	b->len += n;
	b->last = last;
	atomic_fetch_add(&pl->in_flight, n);
	return 0;
}

/* A piece too long to hold, fed to the caller's first parser as it is
 * read, and judged at once (every batch before it is judged first). */
static int long_piece(triage_pool *pl, uint64_t line, uint64_t offset, const char *data,
		      size_t n, int last)
{
	struct lparser *lp = &own_lane(pl)->par[0];

	while (help(pl))
		;
	lp->ev = NULL;
	if (lp_feed(lp, line, offset, data, n) < 0 || (last && kag_parser_finish(lp->parser) < 0))
		lp->rc = KAG_ENOMEM;
	else
		lp->rc = kag_parser_next(&lp->ev, lp->parser);
	judge(pl, lp);
	return 0;
}

int triage_pool_new(triage_pool **out, struct triage *t, int jobs, int format)
{
	triage_pool *pl;
	int i, j;

	*out = NULL;
	if (jobs < 2)
		return -1;
	memset(newlines, '\n', sizeof(newlines));
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -1;
	pl->t = t;
	pl->format = format;
	pl->n_ring = (size_t)jobs * 3;
	pl->ring = calloc(pl->n_ring, sizeof(*pl->ring));
	pl->lanes = calloc((size_t)jobs, sizeof(*pl->lanes));
	pl->n_lanes = pl->lanes ? jobs : 0;
	pl->cap = 2 * TP_CHUNK;
	pl->buf = malloc(pl->cap);
	if (!pl->ring || !pl->lanes || !pl->buf || pthread_mutex_init(&pl->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&pl->work_cv, NULL) != 0 || pthread_cond_init(&pl->turn_cv, NULL) != 0)
		goto fail; /* (not destroyed: the process ends) */
	pl->sync_ok = 1;
	atomic_init(&pl->turn, 0);
	atomic_init(&pl->turn_waiters, 0);
	atomic_init(&pl->in_flight, 0);
	atomic_init(&pl->failed, 0);
	for (i = 0; i < jobs; i++) {
		pl->lanes[i].pool = pl;
		for (j = 0; j < TP_BATCH; j++) {
			if (kag_parser_new(&pl->lanes[i].par[j].parser) < 0 ||
			    triage_setup_parser(t, pl->lanes[i].par[j].parser) < 0)
				goto fail;
		}
	}
	for (pl->n_threads = 0; pl->n_threads < jobs - 1; pl->n_threads++) {
		if (pthread_create(&pl->lanes[pl->n_threads].thread, NULL, worker,
				   &pl->lanes[pl->n_threads]) != 0)
			break;
	}
	if (pl->n_threads == 0) {
		triage_pool_free(pl);
		return -1;
	}
	*out = pl; /* with fewer threads if some did not start */
	return 0;
fail:
	pl->n_threads = 0;
	triage_pool_free(pl);
	return -1;
}

void triage_pool_free(triage_pool *pl)
{
	int i, j;
	size_t k;

	if (!pl)
		return;
	if (pl->n_threads) {
		pthread_mutex_lock(&pl->mu);
		pl->quit = 1;
		pthread_cond_broadcast(&pl->work_cv);
		pthread_mutex_unlock(&pl->mu);
		for (i = 0; i < pl->n_threads; i++)
			pthread_join(pl->lanes[i].thread, NULL);
	}
	if (pl->sync_ok) {
		pthread_cond_destroy(&pl->work_cv);
		pthread_cond_destroy(&pl->turn_cv);
		pthread_mutex_destroy(&pl->mu);
	}
	for (i = 0; i < pl->n_lanes; i++)
		for (j = 0; j < TP_BATCH; j++)
			kag_parser_free(pl->lanes[i].par[j].parser);
	for (k = 0; pl->ring && k < pl->n_ring; k++)
		free(pl->ring[k].data);
	free(pl->ring);
	free(pl->lanes);
	free(pl->buf);
	free(pl);
}

static int reserve(triage_pool *pl, size_t need)
{
	char *nb;
	size_t cap = pl->cap;

	if (need <= cap)
		return 0;
	while (cap < need)
		cap *= 2;
	nb = realloc(pl->buf, cap);
	if (!nb)
		return -1;
	pl->buf = nb;
	pl->cap = cap;
	return 0;
}

int triage_pool_stream(triage_pool *pl, FILE *in, const char *name, int *io_failed)
{
	struct framer fr;
	size_t len = 0, start = 0, scan = 0;
	uint64_t base = 0, piece_line = 1, read_total = 0;
	int eof = 0, big = 0, rc = 0, i, j;

	/* every batch of the last stream is judged: the threads are idle */
	for (i = 0; i <= pl->n_threads; i++) {
		for (j = 0; j < TP_BATCH; j++) {
			struct lparser *lp = &pl->lanes[i].par[j];

			if (kag_parser_reset(lp->parser) < 0 ||
			    kag_parser_set_source(lp->parser, name) < 0)
				return -1;
			lp->line = 1;
			lp->fed = 0;
		}
	}
	memset(&fr, 0, sizeof(fr));
	fr.format = pl->format;
	fr.line = 1;
	atomic_store(&pl->failed, 0);

	while (!eof && !atomic_load(&pl->failed)) {
		size_t n;

		if (reserve(pl, len + TP_CHUNK) < 0) {
			rc = -1;
			break;
		}
		n = fread(pl->buf + len, 1, TP_CHUNK, in);
		len += n;
		read_total += n;
		if (n < TP_CHUNK) {
			eof = 1;
			if (ferror(in)) {
				fprintf(stderr, "kag-triage: %s: read error: %s\n", name, strerror(errno));
				*io_failed = 1;
			}
		}
		/* cut what was read into pieces */
		while (rc == 0 && frame(&fr, pl->buf, len, &scan, eof) == FR_SPLIT) {
			if (big && scan < start)
				continue; /* its parser was fed past this line end */
			if (big) {
				/* the long piece ends here; the rest is batched */
				rc = long_piece(pl, 0, base + start, pl->buf + start, scan - start, 0);
				own_lane(pl)->par[0].line = fr.line;
				big = 0;
			} else {
				rc = add_piece(pl, pl->buf + start, scan - start, piece_line, fr.line,
					       base + start, 0);
			}
			start = scan;
			piece_line = fr.line;
		}
		if (rc < 0)
			break;
		if (eof) {
			/* what is left ends the stream */
			if (big)
				rc = long_piece(pl, 0, base + start, pl->buf + start, len - start, 1);
			else
				rc = add_piece(pl, pl->buf + start, len - start, piece_line, fr.line,
					       base + start, 1);
			start = len;
			break;
		}
		if (big || len - start > TP_BIG) {
			/* too long to hold: fed to one parser as it is read */
			rc = long_piece(pl, big ? 0 : piece_line, base + start, pl->buf + start,
					len - start, 0);
			if (rc < 0)
				break;
			big = 1;
			start = len;
		} else {
			/* what this read completed goes to the threads now */
			publish(pl);
		}
		/* keep what the framer and the current piece still need */
		{
			size_t keep = start < scan ? start : scan;

			memmove(pl->buf, pl->buf + keep, len - keep);
			base += keep;
			len -= keep;
			start -= keep;
			scan -= keep;
		}
	}
	while (help(pl))
		;
	for (i = 0; i <= pl->n_threads; i++)
		for (j = 0; j < TP_BATCH; j++)
			triage_count(pl->t, pl->lanes[i].par[j].parser);
	triage_tick(pl->t, read_total);
	return rc < 0 || atomic_load(&pl->failed) ? -1 : 0;
}

#endif /* POSIX threads */
