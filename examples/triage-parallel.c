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
 * - The calling thread reads the input and cuts it into pieces at line
 *   ends followed by a byte that starts a record or a text line ('{', '[',
 *   a letter or a digit): one memchr() per line. At such a cut the parser
 *   is almost always between records, but not always (a record broken
 *   there, a JSON array with items at column 0, a pretty printed record
 *   whose lines are not indented), so each cut is checked where the piece
 *   is parsed: the piece's parser read exactly one record and blanks, or
 *   the library's splitter (kag_splitter, lib/split.c), which follows the
 *   parser's framing, finds a cut at the piece's end.
 * - A piece whose end is not between records is read again when it is
 *   judged, by one parser (the pool's own) fed that piece and the ones
 *   after it, with a splitter alongside, until a piece ends between
 *   records; what the pieces' own parsers made of them is dropped, and
 *   they start afresh. Output and counters are those of one parser reading
 *   the whole stream.
 * - Pieces are grouped in batches of consecutive pieces, queued in a ring.
 *   Each thread, the caller included, has parsers for TP_SLOTS batches: it
 *   takes the next batch nobody has taken and parses its pieces, each with
 *   a parser of its own (events are borrowed from their parser), told the
 *   line number and stream offset where the piece starts (KAG_OPT_LINE,
 *   KAG_OPT_OFFSET), so that lines (in sources) and offsets (in error
 *   records) are the stream's.
 * - Batches are judged one at a time, in input order, with the one
 *   session, and printed: the output is byte for byte that of --jobs 1.
 *   The turn is a counter taken with compare-and-swap. A thread judges its
 *   own oldest batch when the turn comes to it, checking between pieces, so
 *   it parses on while it waits; a thread with nothing else to do judges
 *   the batch whose turn it is even if another thread parsed it (one busy
 *   reading, say), which takes its parsers back once the turn has passed.
 *   Parser memory is mostly freed by the thread that parsed it, when its
 *   parser takes the next piece.
 * - The calling thread reads when few batches are queued, after finishing
 *   the batch it is parsing; before a read that would wait for data (on
 *   a pipe), it judges every batch it holds, so nothing already read waits
 *   on the writer. Memory is bounded: the ring, a budget of queued bytes, and
 *   pieces longer than TP_BIG, which are fed to the pool's own parser as
 *   they are read (as the sequential path does) once every batch before them
 *   is judged.
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
#define TP_BUFSZ (512u << 10)       /* a read buffer, which batches point into */
#define TP_BIG (256u << 10)         /* longer pieces are read sequentially */
#define TP_BATCH 8                  /* pieces taken, and judged, at a time */
#define TP_BATCH_BYTES (256u << 10) /* bytes of pieces in a batch, at most */
#define TP_BUDGET (8u << 20)        /* bytes of queued batches */
#define TP_SLOTS 3                  /* batches a thread holds, parsed or not */
#define TP_AHEAD 4                  /* batches per thread queued before the caller reads */
#define TP_SPIN_NS 10000            /* ns spent looking at the pool, then sleep */
#define TP_BUFS ((int)(TP_BUDGET / TP_BUFSZ) + 2) /* read buffers, made as needed */

/* ---- progress ---- */

#if defined(_WIN32)
static double now_s(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}
#else
#include <unistd.h>
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double now_s(void)
{
	return (double)now_ns() / 1e9;
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

#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdatomic.h>

/* ---- cutting ---- */

/* Bytes that start a record or a text line: the input is cut before them
 * where they start a line. */
static unsigned char cut_before[256];

static void cut_table(void)
{
	int c;

	for (c = 0; c < 256; c++)
		cut_before[c] = c == '{' || c == '[' || (c >= '0' && c <= '9') ||
				(c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* ---- batches, lanes and the pool ---- */

struct slot;

/* A batch of consecutive pieces, queued in the ring. Each piece is parsed
 * by a parser of its own, so that a thread holds the events of its batches
 * until their turn to be judged. */
struct batch {
	const char *data;    /* the read buffer its pieces are in, each followed
			      * by the byte after it (unless the stream ends) */
	size_t len;          /* bytes of its pieces */
	int n;
	int last;            /* the stream ends with the last piece */
	struct {
		size_t at, len;      /* in data */
		uint64_t line;       /* the parser's line number where it starts */
		uint64_t line_after; /* and after it */
		uint64_t offset;     /* its stream offset */
	} piece[TP_BATCH];
	struct slot *slot;   /* the parsers holding its results, once parsed */
	atomic_uint_fast64_t parsed; /* the batch's index + 1 once parsed */
};

/* One parser of a lane, fed the pieces of its rank in the batches of its
 * slot. */
struct lparser {
	kag_parser *parser;
	uint64_t line;       /* its line number after what it was fed */
	uint64_t fed;        /* bytes fed this stream */
	int rc;              /* first result of this piece */
	int more;            /* the piece may hold more results */
	int open_end;        /* the piece ends inside a record */
	int lent;            /* it reads the piece where it is (nocopy) */
	uint64_t records, skipped; /* its counters before this piece */
	uint64_t kept_records, kept_skipped; /* counters from before a restart */
	const kag_event *ev;
};

/* A batch a thread has taken: parsed piece by piece, then judged. */
struct slot {
	uint64_t idx;        /* the batch */
	int n, done;         /* its pieces, and those parsed so far */
	struct lparser par[TP_BATCH];
};

/* A thread's parsers: TP_SLOTS batches, taken in input order
 * (slot[head % TP_SLOTS] the oldest). */
struct lane {
	triage_pool *pool;
	pthread_t thread;
	uint64_t head, tail; /* slots in use: [head, tail) */
	struct slot slot[TP_SLOTS];
	kag_splitter *sp;    /* checks where its pieces end */
};

#define TP_LINE 64 /* a cache line: apart, what different threads write */

struct triage_pool {
	struct triage *t;
	int format;
	int may_block;       /* reads of this input may wait for data */
	int n_threads;
	int n_lanes;
	struct lane *lanes;  /* one per thread, then the caller's */
	struct batch *ring;
	size_t n_ring;
	struct lparser big;  /* the pool's own, for pieces longer than TP_BIG and
			      * pieces read again (below) */
	/* Pieces are read again by `big` from one that ended inside a record
	 * until one ends between records (reread). rf follows them: the
	 * judge's, or the caller's once every batch is judged. */
	int reread;
	kag_splitter *rf;

	pthread_mutex_t mu;  /* for sleeping only */
	pthread_cond_t cv;
	int sync_ok;         /* mu and cv are initialised */

	char pad0[TP_LINE];
	/* 2k: batch k is judged next, 2k + 1: it is being judged */
	atomic_uint_fast64_t turn;
	atomic_int failed;
	char pad1[TP_LINE];
	atomic_uint_fast64_t tail;       /* batches published */
	char pad2[TP_LINE];
	atomic_uint_fast64_t next_claim; /* first batch no one has taken */
	char pad3[TP_LINE];
	atomic_int waiters;              /* threads asleep */
	atomic_int quit;
	char pad4[TP_LINE];

	/* the caller's own */
	uint64_t queued;     /* batches in the ring, the open one not counted */
	struct batch *open;  /* being filled, or NULL */
	/* Input is read into buffers that batches point into. A buffer is
	 * read into until full, then what is still needed of it moves to the
	 * next one, taken once the batches with pieces in it are judged. */
	struct {
		char *data;
		size_t cap;
		uint64_t last;   /* batches before this one hold its pieces */
	} rb[TP_BUFS];
	int cur;             /* the buffer read into: buf, cap */
	char *buf;
	size_t cap;
};

/* Feed data to the parser: the piece at line `line` (0: where it is) and
 * stream offset `offset`. nocopy: the parser reads it where it is (a
 * piece of a batch, whose buffer is kept until the batch is judged, when
 * the parser gives it back: see judge()). */
static int lp_feed(struct lparser *lp, uint64_t line, uint64_t offset, const char *data, size_t n,
		   int nocopy)
{
	if (line && line != lp->line) {
		if (kag_parser_set_option_u64(lp->parser, KAG_OPT_LINE, line) < 0)
			return -1;
		lp->line = line;
	}
	if (kag_parser_set_option_u64(lp->parser, KAG_OPT_OFFSET, offset) < 0)
		return -1;
	if (n && (nocopy ? kag_parser_feed_nocopy(lp->parser, data, n)
			 : kag_parser_feed(lp->parser, data, n)) < 0)
		return -1;
	lp->lent = nocopy && n;
	lp->fed += n;
	return 0;
}

/* The parser read a piece that did not end between records: whatever it
 * made of it is dropped (the piece is read again), and it starts afresh,
 * its counters from before the piece kept. */
static void lp_restart(struct lparser *lp)
{
	lp->kept_records += lp->records;
	lp->kept_skipped += lp->skipped;
	kag_parser_reset(lp->parser);
	lp->line = 1;
	lp->fed = 0;
	lp->lent = 0;
	lp->ev = NULL;
}

/* Pull the first result of the piece just fed, and see whether the piece
 * may hold more: not when the result is an event read from a record of its
 * own (not an item of a list, which hands out the others next) and only
 * blanks follow that record in the piece, which the next call would skip
 * to return KAG_ITEROVER. The parser skips them when it is fed its next
 * piece instead, counting their line ends then: its line numbers stay the
 * stream's. */
static void lp_first(struct lparser *lp, const char *piece, size_t n, int last)
{
	const char *format;
	uint64_t used;
	size_t i;

	lp->rc = kag_parser_next(&lp->ev, lp->parser);
	lp->more = 1;
	if (lp->rc != KAG_OK || last)
		return;
	format = kag_event_format(lp->ev);
	if (strcmp(format, "native") != 0 && strcmp(format, "openshift-oauth") != 0)
		return;
	/* bytes of this piece the parser has consumed */
	used = kag_parser_stat(lp->parser, KAG_PSTAT_BYTES) - (lp->fed - n);
	if (used > n)
		return;
	for (i = (size_t)used; i < n; i++)
		if (piece[i] != '\n' && piece[i] != ' ' && piece[i] != '\t' && piece[i] != '\r')
			return;
	lp->more = 0;
}

/* Judge every result of the parser, the first one pulled already. A
 * parser that read its piece where it is gives it back with a feed of no
 * bytes, which copies what it has not read (blanks after the last record,
 * or nothing), before the batch's turn passes and its buffer may be read
 * into again; after the stream's last piece (finished) it holds nothing
 * already. A piece that ends inside a record is read again, and its
 * parser starts afresh. */
static void judge(triage_pool *pl, struct lparser *lp)
{
	int rc = lp->rc;
	const kag_event *ev = lp->ev;

	while (rc != KAG_ITEROVER) {
		if (!atomic_load_explicit(&pl->failed, memory_order_relaxed) &&
		    triage_result(pl->t, lp->parser, rc, ev) < 0)
			atomic_store(&pl->failed, 1);
		if (rc == KAG_EINVAL || !lp->more)
			break;
		rc = kag_parser_next(&ev, lp->parser);
	}
	lp->ev = NULL;
	if (lp->lent) {
		rc = kag_parser_feed(lp->parser, "", 0);
		if (rc < 0 && rc != KAG_ESTATE)
			atomic_store(&pl->failed, 1);
		lp->lent = 0;
	}
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* What a thread with nothing to do waits to change: the turn (a batch
 * judged), the batches published, the end. */
struct seen {
	uint64_t turn, tail;
};

static void look(triage_pool *pl, struct seen *s)
{
	s->turn = atomic_load_explicit(&pl->turn, memory_order_acquire);
	s->tail = atomic_load_explicit(&pl->tail, memory_order_acquire);
}

static int changed(triage_pool *pl, const struct seen *s)
{
	return atomic_load(&pl->turn) != s->turn || atomic_load(&pl->tail) != s->tail ||
	       atomic_load(&pl->quit);
}

/* The turn or the batches published changed (a store of the pool's
 * order before this): wake the threads that sleep. */
static void notify(triage_pool *pl)
{
	if (atomic_load(&pl->waiters)) {
		pthread_mutex_lock(&pl->mu);
		pthread_cond_broadcast(&pl->cv);
		pthread_mutex_unlock(&pl->mu);
	}
}

/* Wait for a change from `s` (read before finding nothing to do): spin a
 * little (a turn often passes within microseconds), then sleep. The spin
 * is bounded in time, not in pauses, whose length differs from one
 * processor to another by more than ten times. With the host's other load
 * on a core, the thread waited for may not run for milliseconds, and a
 * longer spin only burns the waiter's time: --jobs=2 over the benchmark
 * stream, another process busy on one of two cores, took 0.63 s at best
 * spinning 2000 pauses (112 us here), 0.52 s spinning 10 us; with both
 * cores idle, the same time either way. A thread asleep is counted before
 * it looks a last time, and one that changes the state looks at the count
 * after: one of the two sees the other. */
static void wait_change(triage_pool *pl, const struct seen *s)
{
	uint64_t start = 0;
	unsigned spins;

	for (spins = 1;; spins++) {
		if (changed(pl, s))
			return;
		cpu_relax();
		if (spins % 32 == 0) {
			uint64_t t = now_ns();

			if (!start)
				start = t;
			else if (t - start >= TP_SPIN_NS)
				break;
		}
	}
	pthread_mutex_lock(&pl->mu);
	atomic_fetch_add(&pl->waiters, 1);
	while (!changed(pl, s))
		pthread_cond_wait(&pl->cv, &pl->mu);
	atomic_fetch_sub(&pl->waiters, 1);
	pthread_mutex_unlock(&pl->mu);
}

static struct batch *batch_of(triage_pool *pl, uint64_t idx)
{
	return &pl->ring[idx % pl->n_ring];
}

/* The first batch not judged yet (being judged, perhaps). */
static uint64_t judged(triage_pool *pl)
{
	return atomic_load_explicit(&pl->turn, memory_order_acquire) >> 1;
}

/* Batches published and not taken. */
static uint64_t unclaimed(triage_pool *pl)
{
	uint64_t taken = atomic_load_explicit(&pl->next_claim, memory_order_relaxed);

	return atomic_load_explicit(&pl->tail, memory_order_relaxed) - taken;
}

/* Take the next published batch nobody has taken. */
static int claim(triage_pool *pl, uint64_t *idx)
{
	uint_fast64_t c = atomic_load_explicit(&pl->next_claim, memory_order_relaxed);

	while (c < atomic_load_explicit(&pl->tail, memory_order_acquire)) {
		if (atomic_compare_exchange_weak(&pl->next_claim, &c, c + 1)) {
			*idx = c;
			return 1;
		}
	}
	return 0;
}

/* Read d[0, n), the next bytes of the stream, with sp: does a cut end
 * them (is a parser between records there)? at_cut: whether one did before
 * them, the answer when n is 0. */
static int ends_at_cut(kag_splitter *sp, const char *d, size_t n, int at_cut)
{
	size_t pos = 0, used;

	while (pos < n) {
		at_cut = kag_splitter_scan(sp, d + pos, n - pos, &used) == KAG_OK;
		pos += used;
	}
	return at_cut;
}

/* Does the piece d[0, n) end between records? */
static int ends_between(kag_splitter *sp, const char *d, size_t n, int stream_start)
{
	kag_splitter_reset(sp, stream_start);
	return ends_at_cut(sp, d, n, 0);
}

/* Parse the next piece of the slot: the first result is pulled, the rest
 * when it is judged. A piece that held more than one record and blanks is
 * scanned to see whether it ended between records. */
static void parse_piece(triage_pool *pl, struct lane *l, struct slot *s)
{
	struct batch *b = batch_of(pl, s->idx);
	int i = s->done++, last = b->last && i == b->n - 1;
	struct lparser *lp = &s->par[i];
	const char *d = b->data + b->piece[i].at;
	size_t n = b->piece[i].len;

	lp->ev = NULL;
	lp->records = kag_parser_stat(lp->parser, KAG_PSTAT_RECORDS);
	lp->skipped = kag_parser_stat(lp->parser, KAG_PSTAT_SKIPPED);
	if (lp_feed(lp, b->piece[i].line, b->piece[i].offset, d, n, 1) < 0 ||
	    (last && kag_parser_finish(lp->parser) < 0)) {
		lp->rc = KAG_ENOMEM;
		lp->more = 1;
	} else {
		lp_first(lp, d, n, last);
	}
	lp->line = b->piece[i].line_after;
	lp->open_end = !last && lp->more && !ends_between(l->sp, d, n, b->piece[i].offset == 0);
	if (s->done == s->n) {
		b->slot = s;
		atomic_store_explicit(&b->parsed, s->idx + 1, memory_order_release);
	}
}

/* Feed data to the pool's parser and judge what it gives: part of a piece
 * too long to hold (read as it comes, every batch before it judged), or a
 * piece read again (below). The piece starts at line `line`, data at
 * stream offset `offset`. */
static void big_read(triage_pool *pl, uint64_t line, uint64_t offset, const char *data,
		     size_t n, int last)
{
	struct lparser *lp = &pl->big;

	lp->ev = NULL;
	lp->more = 1;
	if (lp_feed(lp, line, offset, data, n, 0) < 0 ||
	    (last && kag_parser_finish(lp->parser) < 0))
		lp->rc = KAG_ENOMEM;
	else
		lp->rc = kag_parser_next(&lp->ev, lp->parser);
	judge(pl, lp);
}

/* Start reading pieces again with the pool's parser, from one that starts
 * at stream offset `offset` (which ended inside a record, or is too long
 * to hold). */
static void reread_begin(triage_pool *pl, uint64_t offset)
{
	kag_splitter_reset(pl->rf, offset == 0);
	pl->reread = 1;
}

/* Read piece i of b again with the pool's parser, which read the pieces
 * before it since one ended inside a record. The rereading ends with a
 * piece that ends between records. */
static void reread_piece(triage_pool *pl, const struct batch *b, int i)
{
	const char *d = b->data + b->piece[i].at;
	size_t n = b->piece[i].len;
	int last = b->last && i == b->n - 1;

	big_read(pl, b->piece[i].line, b->piece[i].offset, d, n, last);
	if (last || ends_at_cut(pl->rf, d, n, 0))
		pl->reread = 0;
}

/* Judge batch idx if it is its turn, it is parsed and no one judges it:
 * with the parsers of the thread that parsed it, which may be another
 * (busy reading, say); that thread takes them back once the turn has
 * passed the batch. Returns 1 when it was judged. */
static int try_judge(triage_pool *pl, uint64_t idx)
{
	struct batch *b = batch_of(pl, idx);
	uint_fast64_t want = 2 * idx;
	struct slot *s;
	int i;

	if (atomic_load_explicit(&pl->turn, memory_order_relaxed) != want ||
	    atomic_load_explicit(&b->parsed, memory_order_acquire) != idx + 1 ||
	    !atomic_compare_exchange_strong(&pl->turn, &want, 2 * idx + 1))
		return 0;
	s = b->slot;
	for (i = 0; i < b->n; i++) {
		struct lparser *lp = &s->par[i];

		if (!pl->reread && !lp->open_end) {
			judge(pl, lp);
			continue;
		}
		if (!pl->reread)
			reread_begin(pl, b->piece[i].offset);
		reread_piece(pl, b, i);
		lp_restart(lp);
	}
	if (b->n)
		triage_tick(pl->t, b->piece[b->n - 1].offset + b->piece[b->n - 1].len);
	atomic_store(&pl->turn, 2 * idx + 2);
	notify(pl);
	return 1;
}

/* One step of a lane's work, the most urgent first: judge its oldest
 * batch when its turn has come, parse a piece, take a batch (take: it may
 * take one), judge the batch whose turn it is if another thread parsed it
 * and has not come to judge it. Returns 0 when there was nothing to do. */
static int lane_step(triage_pool *pl, struct lane *l, int take)
{
	struct slot *s;
	uint64_t idx, turn = judged(pl);

	while (l->head != l->tail && l->slot[l->head % TP_SLOTS].idx < turn)
		l->head++; /* judged by another thread */
	if (l->head != l->tail && try_judge(pl, l->slot[l->head % TP_SLOTS].idx)) {
		l->head++;
		return 1;
	}
	if (l->head != l->tail) {
		s = &l->slot[(l->tail - 1) % TP_SLOTS];
		if (s->done < s->n) {
			parse_piece(pl, l, s);
			return 1;
		}
	}
	if (take && l->tail - l->head < TP_SLOTS && claim(pl, &idx)) {
		s = &l->slot[l->tail++ % TP_SLOTS];
		s->idx = idx;
		s->n = batch_of(pl, idx)->n;
		s->done = 0;
		parse_piece(pl, l, s);
		return 1;
	}
	return try_judge(pl, turn);
}

/* Is a batch the caller has taken waiting for it: not parsed yet, or its
 * turn has come? */
static int lane_busy(triage_pool *pl, struct lane *l)
{
	struct slot *s;

	if (l->head == l->tail)
		return 0;
	s = &l->slot[(l->tail - 1) % TP_SLOTS];
	if (s->done < s->n)
		return 1;
	return atomic_load_explicit(&pl->turn, memory_order_acquire) ==
	       2 * l->slot[l->head % TP_SLOTS].idx;
}

/* A thread's malloc arena (glibc gives each thread one) grows a page at a
 * time as its parsers' buffers come to the longest records, and each
 * growth is a system call (mprotect) that interrupts the other cores to
 * flush their TLBs. The arena is grown once to about what the parsers
 * come to hold, and given back: it grows within that without a call. */
static void arena_reserve(void)
{
	void *b[16];
	int i;

	for (i = 0; i < 16; i++)
		b[i] = malloc(120u << 10); /* below the size malloc maps alone */
	for (i = 0; i < 16; i++)
		free(b[i]);
}

static void *worker(void *arg)
{
	struct lane *l = arg;
	triage_pool *pl = l->pool;

	arena_reserve();

	for (;;) {
		struct seen seen;

		look(pl, &seen);
		if (lane_step(pl, l, 1))
			continue;
		if (atomic_load(&pl->quit))
			break;
		wait_change(pl, &seen);
	}
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
	if (atomic_load_explicit(&pl->tail, memory_order_relaxed) != pl->queued) {
		atomic_store(&pl->tail, pl->queued);
		notify(pl);
	}
}

/* The caller's share while it waits for room or for the end: a step of
 * its lane's work, else a wait for a change. take: it may take batches.
 * Returns 0 when every queued batch is judged. */
static int help(triage_pool *pl, int take)
{
	struct seen seen;

	look(pl, &seen);
	if (lane_step(pl, own_lane(pl), take))
		return 1;
	if (judged(pl) == pl->queued)
		return 0;
	wait_change(pl, &seen);
	return 1;
}

/* Judge every queued batch. */
static void drain(triage_pool *pl)
{
	struct lane *l = own_lane(pl);

	publish(pl);
	while (help(pl, 1))
		;
	l->head = l->tail; /* all judged */
}

/* Is there room in the ring for one more batch? */
static int room(triage_pool *pl)
{
	uint64_t k = judged(pl);
	size_t flying = 0;

	if (pl->queued - k >= pl->n_ring)
		return 0;
	for (; k < pl->queued; k++)
		flying += batch_of(pl, k)->len;
	return !flying || flying + TP_BATCH_BYTES <= TP_BUDGET;
}

/* Add the piece buf[at, at + n) to the open batch, with the parser line
 * where it starts and after it and its stream offset; last: the stream
 * ends with it (else the byte after it is there too). */
static int add_piece(triage_pool *pl, size_t at, size_t n, uint64_t line, uint64_t line_after,
		     uint64_t offset, int last)
{
	struct batch *b = pl->open;

	if (b && (b->n == TP_BATCH || b->len + n > TP_BATCH_BYTES)) {
		publish(pl);
		b = NULL;
	}
	if (!b) {
		while (!room(pl))
			help(pl, 1);
		b = batch_of(pl, pl->queued);
		b->data = pl->buf;
		b->len = 0;
		b->n = 0;
		b->last = 0;
		pl->open = b;
		pl->rb[pl->cur].last = pl->queued + 1;
	}
	b->piece[b->n].at = at;
	b->piece[b->n].len = n;
	b->piece[b->n].line = line;
	b->piece[b->n].line_after = line_after;
	b->piece[b->n].offset = offset;
	b->n++;
	b->len += n;
	b->last = last;
	return 0;
}

/* Is buffer k free: are the batches with pieces in it judged? */
static int buffer_free(triage_pool *pl, int k)
{
	return judged(pl) >= pl->rb[k].last;
}

/* Move buf[keep, len) to the start of a buffer with room for TP_CHUNK
 * more: of this one when no batch to judge has pieces in it, else of a free
 * one (one made already if there is one), else of the next one once the
 * batches with pieces in it are judged. */
static int move_tail(triage_pool *pl, size_t keep, size_t len)
{
	int to = pl->cur, k;
	size_t tail = len - keep, need = tail + TP_CHUNK;

	publish(pl);
	if (!buffer_free(pl, to)) {
		to = -1;
		for (k = 0; k < TP_BUFS; k++) {
			if (k == pl->cur || !buffer_free(pl, k))
				continue;
			if (to < 0 || (pl->rb[k].data && !pl->rb[to].data))
				to = k;
			if (pl->rb[to].data)
				break;
		}
		if (to < 0) {
			to = (pl->cur + 1) % TP_BUFS;
			while (!buffer_free(pl, to))
				help(pl, 1);
		}
	}
	/* grow, or give back what a long line took */
	if (pl->rb[to].cap < need || (to != pl->cur && pl->rb[to].cap > TP_BUFSZ && need <= TP_BUFSZ)) {
		size_t cap = need <= TP_BUFSZ ? TP_BUFSZ : 2 * need;
		char *nd = realloc(pl->rb[to].data, cap);

		if (!nd)
			return -1;
		pl->rb[to].data = nd;
		pl->rb[to].cap = cap;
		if (to == pl->cur)
			pl->buf = nd;
	}
	if (to == pl->cur)
		memmove(pl->buf, pl->buf + keep, tail);
	else
		memcpy(pl->rb[to].data, pl->buf + keep, tail);
	pl->cur = to;
	pl->buf = pl->rb[to].data;
	pl->cap = pl->rb[to].cap;
	return 0;
}

static int new_parser(struct triage *t, struct lparser *lp)
{
	return kag_parser_new(&lp->parser) < 0 || triage_setup_parser(t, lp->parser) < 0 ? -1 : 0;
}

int triage_pool_new(triage_pool **out, struct triage *t, int jobs, int format)
{
	triage_pool *pl;
	int i, j, k;
	size_t r;

	*out = NULL;
	if (jobs < 2)
		return -1;
	cut_table();
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -1;
	pl->t = t;
	pl->format = format;
	/* each thread's slots, and batches waiting: TP_AHEAD per thread
	 * before the caller reads, as many more read at once */
	pl->n_ring = (size_t)jobs * (TP_SLOTS + 2 * TP_AHEAD);
	pl->ring = calloc(pl->n_ring, sizeof(*pl->ring));
	pl->lanes = calloc((size_t)jobs, sizeof(*pl->lanes));
	pl->n_lanes = pl->lanes ? jobs : 0;
	pl->rb[0].data = malloc(TP_BUFSZ);
	pl->rb[0].cap = pl->rb[0].data ? TP_BUFSZ : 0;
	pl->buf = pl->rb[0].data;
	pl->cap = pl->rb[0].cap;
	if (!pl->ring || !pl->lanes || !pl->buf || new_parser(t, &pl->big) < 0 ||
	    kag_splitter_new(&pl->rf, format) < 0 || pthread_mutex_init(&pl->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&pl->cv, NULL) != 0) {
		pthread_mutex_destroy(&pl->mu);
		goto fail;
	}
	pl->sync_ok = 1;
	atomic_init(&pl->turn, 0);
	atomic_init(&pl->failed, 0);
	atomic_init(&pl->tail, 0);
	atomic_init(&pl->next_claim, 0);
	atomic_init(&pl->waiters, 0);
	atomic_init(&pl->quit, 0);
	for (r = 0; r < pl->n_ring; r++)
		atomic_init(&pl->ring[r].parsed, 0);
	for (i = 0; i < jobs; i++) {
		pl->lanes[i].pool = pl;
		if (kag_splitter_new(&pl->lanes[i].sp, format) < 0)
			goto fail;
		for (j = 0; j < TP_SLOTS; j++)
			for (k = 0; k < TP_BATCH; k++)
				if (new_parser(t, &pl->lanes[i].slot[j].par[k]) < 0)
					goto fail;
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
	/* with fewer threads if some did not start: the caller's lane is the
	 * one after the last thread's */
	*out = pl;
	return 0;
fail:
	pl->n_threads = 0;
	triage_pool_free(pl);
	return -1;
}

void triage_pool_free(triage_pool *pl)
{
	int i, j, k;

	if (!pl)
		return;
	if (pl->n_threads) {
		atomic_store(&pl->quit, 1);
		notify(pl);
		for (i = 0; i < pl->n_threads; i++)
			pthread_join(pl->lanes[i].thread, NULL);
	}
	if (pl->sync_ok) {
		pthread_cond_destroy(&pl->cv);
		pthread_mutex_destroy(&pl->mu);
	}
	for (i = 0; i < pl->n_lanes; i++) {
		kag_splitter_free(pl->lanes[i].sp);
		for (j = 0; j < TP_SLOTS; j++)
			for (k = 0; k < TP_BATCH; k++)
				kag_parser_free(pl->lanes[i].slot[j].par[k].parser);
	}
	kag_splitter_free(pl->rf);
	kag_parser_free(pl->big.parser);
	for (k = 0; k < TP_BUFS; k++)
		free(pl->rb[k].data);
	free(pl->ring);
	free(pl->lanes);
	free(pl);
}

/* Every parser of the pool, in turn (the threads are idle). */
static struct lparser *each_parser(triage_pool *pl, int n)
{
	int per_lane = TP_SLOTS * TP_BATCH, lane = n / per_lane;

	if (n < 0 || lane > pl->n_threads)
		return n == (pl->n_threads + 1) * per_lane ? &pl->big : NULL;
	return &pl->lanes[lane].slot[(n % per_lane) / TP_BATCH].par[n % TP_BATCH];
}

/* Read up to n bytes of fd into dst. For an input that may wait for data
 * (a pipe, a terminal), the caller's own batches are judged first when no
 * data is there yet: nothing already read waits on the writer. Returns the
 * count, 0 at the end, -1 on an error (errno). */
static ssize_t read_input(triage_pool *pl, int fd, char *dst, size_t n)
{
	for (;;) {
		ssize_t got;

		if (pl->may_block) {
			struct pollfd pfd;
			struct lane *l = own_lane(pl);

			pfd.fd = fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (l->head != l->tail && poll(&pfd, 1, 0) == 0) {
				while (l->head != l->tail)
					help(pl, 0);
			}
		}
		got = read(fd, dst, n);
		if (got >= 0 || errno != EINTR)
			return got;
	}
}

int triage_pool_stream(triage_pool *pl, FILE *in, const char *name, int *io_failed)
{
	struct stat st;
	size_t len = 0, start = 0, scan = 0;
	uint64_t base = 0, line = 1, piece_line = 1, read_total = 0;
	int eof = 0, big = 0, rf_at_cut = 0, rc = 0, i, fd = fileno(in);
	struct lparser *lp;

	/* every batch of the last stream is judged: the threads are idle */
	for (i = 0; (lp = each_parser(pl, i)) != NULL; i++) {
		if (kag_parser_reset(lp->parser) < 0 || kag_parser_set_source(lp->parser, name) < 0)
			return -1;
		lp->line = 1;
		lp->fed = 0;
		lp->lent = 0;
		lp->kept_records = lp->kept_skipped = 0;
	}
	pl->may_block = fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
	pl->reread = 0;
	atomic_store(&pl->failed, 0);

	while (!eof && !atomic_load(&pl->failed)) {
		ssize_t got;

		/* finish the batch being parsed, judge the ones whose turn has
		 * come, and do a share of the work while enough is queued for
		 * the threads; then read */
		while (lane_busy(pl, own_lane(pl)) ||
		       unclaimed(pl) >= (uint64_t)TP_AHEAD * (uint64_t)pl->n_lanes)
			if (!lane_step(pl, own_lane(pl), unclaimed(pl) > (uint64_t)pl->n_threads))
				break;
		if (pl->cap - len < TP_CHUNK) {
			/* keep what the cutting and the current piece still
			 * need */
			size_t keep = start < scan ? start : scan;

			if (move_tail(pl, keep, len) < 0) {
				rc = -1;
				break;
			}
			base += keep;
			len -= keep;
			start -= keep;
			scan -= keep;
		}
		got = fd < 0 ? -1 : read_input(pl, fd, pl->buf + len, TP_CHUNK);
		if (got <= 0) {
			eof = 1;
			if (got < 0) {
				fprintf(stderr, "kag-triage: %s: read error: %s\n", name, strerror(errno));
				*io_failed = 1;
			}
			got = 0;
		}
		len += (size_t)got;
		read_total += (uint64_t)got;
		/* cut what was read into pieces: after a line end, before a byte
		 * that starts a record or a text line */
		while (rc == 0 && scan < len) {
			const char *nl = memchr(pl->buf + scan, '\n', len - scan);
			size_t c;

			if (!nl) {
				scan = len;
				break;
			}
			c = (size_t)(nl - pl->buf) + 1;
			if (c == len && !eof) {
				scan = c - 1; /* the byte after it decides */
				break;
			}
			line++;
			scan = c;
			if (c == len || !cut_before[(unsigned char)pl->buf[c]])
				continue;
			if (big) {
				/* the long piece ends here; is the parser between
				 * records? The rest is batched either way */
				big_read(pl, piece_line, base + start, pl->buf + start, c - start, 0);
				if (ends_at_cut(pl->rf, pl->buf + start, c - start, rf_at_cut))
					pl->reread = 0;
				big = 0;
			} else {
				rc = add_piece(pl, start, c - start, piece_line, line, base + start, 0);
			}
			start = c;
			piece_line = line;
		}
		if (rc < 0)
			break;
		if (eof) {
			/* what is left ends the stream */
			if (big)
				big_read(pl, piece_line, base + start, pl->buf + start, len - start, 1);
			else
				rc = add_piece(pl, start, len - start, piece_line, line, base + start,
					       1);
			start = len;
			break;
		}
		if (!big && len - start > TP_BIG) {
			/* too long to hold: read as the sequential path reads,
			 * once every batch before it is judged */
			drain(pl);
			if (!pl->reread)
				reread_begin(pl, base + start);
			rf_at_cut = 0;
			big = 1;
		}
		if (big) {
			big_read(pl, piece_line, base + start, pl->buf + start, len - start, 0);
			rf_at_cut = ends_at_cut(pl->rf, pl->buf + start, len - start, rf_at_cut);
			start = len;
		} else {
			/* what this read completed goes to the threads now */
			publish(pl);
		}
	}
	drain(pl);
	for (i = 0; (lp = each_parser(pl, i)) != NULL; i++)
		triage_count(pl->t, kag_parser_stat(lp->parser, KAG_PSTAT_RECORDS) + lp->kept_records,
			     kag_parser_stat(lp->parser, KAG_PSTAT_SKIPPED) + lp->kept_skipped);
	triage_tick(pl->t, read_total);
	return rc < 0 || atomic_load(&pl->failed) ? -1 : 0;
}

#endif /* POSIX threads */
