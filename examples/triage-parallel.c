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
 *   is parsed: the piece's parser read exactly one record and blanks, or a
 *   scanner that mirrors kag's parser framing (lib/parser.c scan(), frame()
 *   below) finds the parser between records at the piece's end. Inside a
 *   record the scanner reads 64 bytes at a time (with the vector
 *   instructions the processor has) and looks at single bytes only where
 *   the record may end.
 * - A piece whose end is not between records is read again when it is
 *   judged, by one parser (the pool's own) fed that piece and the ones
 *   after it, with the scanner alongside, until a piece ends between
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
#define TP_MAX_RECORD (16u << 20)   /* the parser's default KAG_OPT_MAX_RECORD_BYTES */
#define TP_BATCH 8                  /* pieces taken, and judged, at a time */
#define TP_BATCH_BYTES (256u << 10) /* bytes of pieces in a batch, at most */
#define TP_BUDGET (8u << 20)        /* bytes of queued batches */
#define TP_SLOTS 3                  /* batches a thread holds, parsed or not */
#define TP_AHEAD 4                  /* batches per thread queued before the caller reads */
#define TP_SPINS 2000               /* looks at the pool before sleeping */
#define TP_BUFS ((int)(TP_BUDGET / TP_BUFSZ) + 2) /* read buffers, made as needed */

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

#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
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

struct block;
struct run;

struct framer {
	int format;          /* KAG_FORMAT_*: base64 lines are records in auto and eks */
	int started;         /* past a possible BOM */
	int skip_line;       /* an over-long text line is being dropped */
	int in_record, rec_array, in_string, escape;
	long depth;
	int no_split;        /* the next line end closed a record by looking past it */
	int content;         /* the piece so far holds more than blanks */
#if defined(__SSE2__) && defined(__GNUC__)
	/* block readers (block_pick) */
	int (*block)(const char *p, int in_string, int escape, struct block *o);
	size_t (*run)(const char *d, size_t pos, size_t len, struct run *r);
#endif
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

/* What a block of 64 bytes inside a record holds, read at once: the bits
 * of brackets and line ends outside strings, their counts, and the string
 * state after it. */
struct block {
	uint64_t open, close, nl;
	int n_open, n_close;
	int in_string, escape;
};

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

/* Bit i+1 of the result: byte i+1 is escaped by a backslash at i, for the
 * backslashes of `bs` taken as escapes (a run escapes every other byte);
 * bit 0 when *carry (the block before ended with an escaping backslash).
 * *carry: this block does. */
static uint64_t escaped_bytes(uint64_t bs, int *carry)
{
	uint64_t esc = *carry ? 1 : 0;

	*carry = 0;
	bs &= ~esc;
	while (bs) {
		uint64_t bit = bs & (~bs + 1);

		bs &= bs - 1;
		if (bit >> 63) {
			*carry = 1;
		} else {
			esc |= bit << 1;
			bs &= ~(bit << 1);
		}
	}
	return esc;
}

/* Read a block from the bits of its quotes, backslashes, line ends, '{'
 * or '[', '}' or ']', with the string state before it. Returns 0 when the
 * byte loop must read it: a backslash outside a string (escapes only count
 * in strings), or a line end inside one, escaped or not (it breaks the
 * record). */
static inline __attribute__((always_inline)) int
block_read(uint64_t quote, uint64_t bslash, uint64_t nl, uint64_t open, uint64_t close,
	   int in_string, int escape, struct block *o, uint64_t (*pfx)(uint64_t))
{
	uint64_t esc = 0, inside;
	int carry = escape;

	if (bslash | (uint64_t)carry) {
		esc = escaped_bytes(bslash, &carry);
		quote &= ~esc;
	}
	inside = pfx(quote) ^ (in_string ? ~(uint64_t)0 : 0);
	if ((bslash & ~esc & ~inside) || (nl & inside))
		return 0;
	o->open = open & ~inside;
	o->close = close & ~inside;
	o->nl = nl & ~inside;
	o->n_open = __builtin_popcountll(o->open);
	o->n_close = __builtin_popcountll(o->close);
	o->in_string = (int)(inside >> 63);
	o->escape = carry;
	return 1;
}

/* The state a run of blocks inside a record carries. */
struct run {
	long depth;
	int in_string, escape;
};

/* Read a block at once when the record cannot end in it: no line end,
 * escapes only in strings, the brackets outside strings never bring the
 * depth to 0. Returns 0, r unchanged, for any other block. */
static inline __attribute__((always_inline)) int
run_block(struct run *r, uint64_t quote, uint64_t bslash, uint64_t nl, uint64_t open,
	  uint64_t close, uint64_t (*pfx)(uint64_t))
{
	uint64_t esc = 0, inside;
	int carry = r->escape, n_close;

	if (nl)
		return 0;
	if (bslash | (uint64_t)carry) {
		esc = escaped_bytes(bslash, &carry);
		quote &= ~esc;
	}
	inside = pfx(quote) ^ (r->in_string ? ~(uint64_t)0 : 0);
	if (bslash & ~esc & ~inside)
		return 0;
	open &= ~inside;
	close &= ~inside;
	n_close = __builtin_popcountll(close);
	if (n_close < r->depth) {
		r->depth += __builtin_popcountll(open) - n_close;
	} else {
		/* as many closing brackets as the depth: see whether they
		 * close the record */
		long depth = r->depth;
		uint64_t todo;

		for (todo = open | close; todo; todo &= todo - 1)
			if (close & todo & (~todo + 1)) {
				if (--depth == 0)
					return 0;
			} else {
				depth++;
			}
		r->depth = depth;
	}
	r->in_string = (int)(inside >> 63);
	r->escape = carry;
	return 1;
}

/* The bits of a block's quotes, backslashes, line ends, '{' or '[', '}' or
 * ']' (m[0] to m[4]). */
static inline __attribute__((always_inline)) void masks_sse2(const char *p, uint64_t *m)
{
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), n = _mm_set1_epi8('\n');
	const __m128i lower = _mm_set1_epi8(0x20);
	const __m128i op = _mm_set1_epi8('{'), cl = _mm_set1_epi8('}');
	int k;

	m[0] = m[1] = m[2] = m[3] = m[4] = 0;
	for (k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		/* '[' and ']' are '{' and '}' without the 0x20 bit */
		__m128i w = _mm_or_si128(v, lower);
		unsigned sh = 16u * (unsigned)k;

		m[0] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)) << sh;
		m[1] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, b)) << sh;
		m[2] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, n)) << sh;
		m[3] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, op)) << sh;
		m[4] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, cl)) << sh;
	}
}

/* One block (block_read), and a run of blocks from pos (run_block): the
 * position of the first block not read. Made for each instruction set. */
#define TP_BLOCK_FNS(isa, attr, pfx)                                                     \
	attr static int block_##isa(const char *p, int in_string, int escape,             \
				    struct block *o)                                      \
	{                                                                                 \
		uint64_t m[5];                                                            \
                                                                                          \
		masks_##isa(p, m);                                                        \
		return block_read(m[0], m[1], m[2], m[3], m[4], in_string, escape, o, pfx); \
	}                                                                                 \
	attr static size_t run_##isa(const char *d, size_t pos, size_t len, struct run *io) \
	{                                                                                 \
		struct run r = *io;                                                       \
		uint64_t m[5];                                                            \
                                                                                          \
		for (; pos + 64 <= len; pos += 64) {                                      \
			masks_##isa(d + pos, m);                                          \
			if (!run_block(&r, m[0], m[1], m[2], m[3], m[4], pfx))            \
				break;                                                    \
		}                                                                         \
		*io = r;                                                                  \
		return pos;                                                               \
	}

TP_BLOCK_FNS(sse2, , prefix_xor)

#if defined(__x86_64__) && (defined(__clang__) || __GNUC__ >= 8)
#define TP_WIDE 1
#include <immintrin.h>

/* The same with the wider vectors most x86-64 processors have, chosen at
 * run time (block_pick). */
#define TP_AVX2 __attribute__((target("avx2,popcnt,pclmul")))
#define TP_AVX512 __attribute__((target("avx512f,avx512bw,popcnt,pclmul")))

/* prefix_xor() in one carry-less multiplication */
static inline __attribute__((always_inline)) TP_AVX2 uint64_t prefix_clmul(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x),
								_mm_set1_epi8((char)0xFF), 0));
}

static inline __attribute__((always_inline)) TP_AVX2 void masks_avx2(const char *p, uint64_t *m)
{
	const __m256i q = _mm256_set1_epi8('"'), b = _mm256_set1_epi8('\\');
	const __m256i n = _mm256_set1_epi8('\n'), lower = _mm256_set1_epi8(0x20);
	const __m256i op = _mm256_set1_epi8('{'), cl = _mm256_set1_epi8('}');
	int k;

	m[0] = m[1] = m[2] = m[3] = m[4] = 0;
	for (k = 0; k < 2; k++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
		__m256i w = _mm256_or_si256(v, lower);
		unsigned sh = 32u * (unsigned)k;

		m[0] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, q)) << sh;
		m[1] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, b)) << sh;
		m[2] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, n)) << sh;
		m[3] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(w, op)) << sh;
		m[4] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(w, cl)) << sh;
	}
}

static inline __attribute__((always_inline)) TP_AVX512 void masks_avx512(const char *p,
									     uint64_t *m)
{
	__m512i v = _mm512_loadu_si512((const void *)p);
	__m512i w = _mm512_or_si512(v, _mm512_set1_epi8(0x20));

	m[0] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
	m[1] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
	m[2] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
	m[3] = _mm512_cmpeq_epi8_mask(w, _mm512_set1_epi8('{'));
	m[4] = _mm512_cmpeq_epi8_mask(w, _mm512_set1_epi8('}'));
}

TP_BLOCK_FNS(avx2, TP_AVX2, prefix_clmul)
TP_BLOCK_FNS(avx512, TP_AVX512, prefix_clmul)
#endif

/* The best block readers this processor runs. */
static void block_pick(struct framer *f)
{
	f->block = block_sse2;
	f->run = run_sse2;
#ifdef TP_WIDE
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("popcnt") || !__builtin_cpu_supports("pclmul"))
		return;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
		f->block = block_avx512;
		f->run = run_avx512;
	} else if (__builtin_cpu_supports("avx2")) {
		f->block = block_avx2;
		f->run = run_avx2;
	}
#endif
}

enum { BLK_SCALAR, BLK_END, BLK_NEED };

/* Inside a record, 64 bytes at a time, with the rules of the byte loop in
 * frame(): a block is read at once (block_read), and its brackets and line
 * ends outside strings are looked at one by one only when the record may
 * end in it. A block that cannot be read so is left to the byte loop
 * (BLK_SCALAR, *pos_io at the block). BLK_END: the record ended (closed,
 * or broken by the record after a line end, at *pos_io). BLK_NEED: a line
 * end outside strings is the last byte read. */
static int frame_blocks(struct framer *f, const char *d, size_t len, size_t *pos_io,
			int finished)
{
	size_t pos = *pos_io;

	while (pos + 64 <= len) {
		struct run r;
		struct block k;
		uint64_t todo;

		/* the blocks where the record cannot end, then one that needs
		 * a closer look */
		r.depth = f->depth;
		r.in_string = f->in_string;
		r.escape = f->escape;
		pos = f->run(d, pos, len, &r);
		f->depth = r.depth;
		f->in_string = r.in_string;
		f->escape = r.escape;
		if (pos + 64 > len)
			break;
		if (!f->block(d + pos, f->in_string, f->escape, &k))
			break;
		if (!k.nl && k.n_close < f->depth) {
			/* the record cannot close in this block */
			f->depth += k.n_open - k.n_close;
		} else {
			for (todo = k.open | k.close | k.nl; todo; todo &= todo - 1) {
				unsigned i = (unsigned)__builtin_ctzll(todo);
				uint64_t bit = (uint64_t)1 << i;
				size_t at = pos + i;

				if (k.open & bit) {
					f->depth++;
				} else if (k.close & bit) {
					if (--f->depth == 0) {
						f->in_record = f->in_string = f->escape = 0;
						*pos_io = at + 1;
						return BLK_END;
					}
				} else if (at + 1 >= len && !finished) {
					f->in_string = f->escape = 0;
					*pos_io = at;
					return BLK_NEED;
				} else if (at + 1 < len && d[at + 1] == '{' &&
					   !(f->rec_array && f->depth == 1)) {
					f->in_record = f->in_string = f->escape = 0;
					f->no_split = 1;
					*pos_io = at;
					return BLK_END;
				}
			}
		}
		f->in_string = k.in_string;
		f->escape = k.escape;
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
			if (pos >= scalar_until && pos + 64 <= len) {
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
				if (c == '\n') {
					f->in_record = 0; /* broken at the line end */
					break;
				} else if (f->escape) {
					f->escape = 0;
				} else if (c == '\\') {
					f->escape = 1;
				} else if (c == '"') {
					f->in_string = 0;
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

/* f at the start of the stream (a BOM may come), or between records;
 * proto holds the input format and the block readers. */
static void framer_start(struct framer *f, const struct framer *proto, int stream_start)
{
	memset(f, 0, sizeof(*f));
	f->format = proto->format;
#ifdef TP_BLOCKS
	f->block = proto->block;
	f->run = proto->run;
#endif
	f->started = !stream_start;
}

/* Scan d[*pos, limit) with f, as far as it can go; *split: base plus the
 * position of the last split (a place between records just past a line
 * end), when there is one. */
static void frame_splits(struct framer *f, const char *d, size_t limit, size_t *pos,
			 uint64_t base, uint64_t *split)
{
	while (frame(f, d, limit, pos, 0) == FR_SPLIT)
		*split = base + *pos;
}

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
	struct framer proto; /* the input format and block readers */
	/* Pieces are read again by `big` from one that ended inside a record
	 * until one ends between records (reread). rf scans them; rf_skip:
	 * bytes of the next piece rf has read already (the byte after a
	 * piece). The judge's, or the caller's once every batch is judged. */
	int reread;
	struct framer rf;
	size_t rf_skip;

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
 * stream offset `offset`. */
static int lp_feed(struct lparser *lp, uint64_t line, uint64_t offset, const char *data, size_t n)
{
	if (line && line != lp->line) {
		if (kag_parser_set_option_u64(lp->parser, KAG_OPT_LINE, line) < 0)
			return -1;
		lp->line = line;
	}
	if (kag_parser_set_option_u64(lp->parser, KAG_OPT_OFFSET, offset) < 0)
		return -1;
	if (n && kag_parser_feed(lp->parser, data, n) < 0)
		return -1;
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
	lp->ev = NULL;
}

/* Pull the first result of the piece just fed, and see whether the piece
 * may hold more: not when the result is an event read from a record of its
 * own (not an item of a list, which hands out the others next) and only
 * blanks follow that record in the piece, which the next call would skip
 * to return KAG_ITEROVER. The parser skips them before its next piece
 * instead, counting their line ends then: its line numbers stay the
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

/* Judge every result of the parser, the first one pulled already. */
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
 * little (a turn often passes within microseconds), then sleep. A thread
 * asleep is counted before it looks a last time, and one that changes the
 * state looks at the count after: one of the two sees the other. */
static void wait_change(triage_pool *pl, const struct seen *s)
{
	int spins;

	for (spins = 0; spins < TP_SPINS; spins++) {
		if (changed(pl, s))
			return;
		cpu_relax();
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

/* Does the piece d[0, n) end between records? d[n] is the byte after it. */
static int ends_between(triage_pool *pl, const char *d, size_t n, int stream_start)
{
	struct framer f;
	size_t pos = 0;
	uint64_t split = (uint64_t)-1;

	framer_start(&f, &pl->proto, stream_start);
	frame_splits(&f, d, n + 1, &pos, 0, &split);
	return split == n;
}

/* Parse the next piece of the slot: the first result is pulled, the rest
 * when it is judged. A piece that held more than one record and blanks is
 * scanned to see whether it ended between records. */
static void parse_piece(triage_pool *pl, struct slot *s)
{
	struct batch *b = batch_of(pl, s->idx);
	int i = s->done++, last = b->last && i == b->n - 1;
	struct lparser *lp = &s->par[i];
	const char *d = b->data + b->piece[i].at;
	size_t n = b->piece[i].len;

	lp->ev = NULL;
	lp->records = kag_parser_stat(lp->parser, KAG_PSTAT_RECORDS);
	lp->skipped = kag_parser_stat(lp->parser, KAG_PSTAT_SKIPPED);
	if (lp_feed(lp, b->piece[i].line, b->piece[i].offset, d, n) < 0 ||
	    (last && kag_parser_finish(lp->parser) < 0)) {
		lp->rc = KAG_ENOMEM;
		lp->more = 1;
	} else {
		lp_first(lp, d, n, last);
	}
	lp->line = b->piece[i].line_after;
	lp->open_end = !last && lp->more && !ends_between(pl, d, n, b->piece[i].offset == 0);
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
	if (lp_feed(lp, line, offset, data, n) < 0 || (last && kag_parser_finish(lp->parser) < 0))
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
	framer_start(&pl->rf, &pl->proto, offset == 0);
	pl->rf_skip = 0;
	pl->reread = 1;
}

/* Read piece i of b again with the pool's parser, which read the pieces
 * before it since one ended inside a record. The rereading ends with a
 * piece that ends between records. */
static void reread_piece(triage_pool *pl, const struct batch *b, int i)
{
	const char *d = b->data + b->piece[i].at;
	size_t n = b->piece[i].len, pos = pl->rf_skip;
	int last = b->last && i == b->n - 1;
	uint64_t split = (uint64_t)-1;

	big_read(pl, b->piece[i].line, b->piece[i].offset, d, n, last);
	if (last) {
		pl->reread = 0;
		return;
	}
	/* the scan goes past the line end that ends the piece, so it stops
	 * at d[n] or after it */
	frame_splits(&pl->rf, d, n + 1, &pos, 0, &split);
	if (split == n)
		pl->reread = 0;
	else
		pl->rf_skip = pos > n ? pos - n : 0;
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
			parse_piece(pl, s);
			return 1;
		}
	}
	if (take && l->tail - l->head < TP_SLOTS && claim(pl, &idx)) {
		s = &l->slot[l->tail++ % TP_SLOTS];
		s->idx = idx;
		s->n = batch_of(pl, idx)->n;
		s->done = 0;
		parse_piece(pl, s);
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

static void *worker(void *arg)
{
	struct lane *l = arg;
	triage_pool *pl = l->pool;

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
	pl->proto.format = format;
#ifdef TP_BLOCKS
	block_pick(&pl->proto);
#endif
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
	    pthread_mutex_init(&pl->mu, NULL) != 0)
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
	for (i = 0; i < pl->n_lanes; i++)
		for (j = 0; j < TP_SLOTS; j++)
			for (k = 0; k < TP_BATCH; k++)
				kag_parser_free(pl->lanes[i].slot[j].par[k].parser);
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
	size_t len = 0, start = 0, scan = 0, rpos = 0;
	uint64_t base = 0, line = 1, piece_line = 1, read_total = 0, rsplit = 0;
	int eof = 0, big = 0, rc = 0, i, fd = fileno(in);
	struct lparser *lp;

	/* every batch of the last stream is judged: the threads are idle */
	for (i = 0; (lp = each_parser(pl, i)) != NULL; i++) {
		if (kag_parser_reset(lp->parser) < 0 || kag_parser_set_source(lp->parser, name) < 0)
			return -1;
		lp->line = 1;
		lp->fed = 0;
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
			/* keep what the cutting, the current piece and the
			 * scan of a long piece still need */
			size_t keep = start < scan ? start : scan;

			if (big && rpos < keep)
				keep = rpos;
			if (move_tail(pl, keep, len) < 0) {
				rc = -1;
				break;
			}
			base += keep;
			len -= keep;
			start -= keep;
			scan -= keep;
			rpos -= big ? keep : 0;
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
				frame_splits(&pl->rf, pl->buf, c + 1, &rpos, base, &rsplit);
				if (rsplit == base + c)
					pl->reread = 0;
				else
					pl->rf_skip = rpos > c ? rpos - c : 0;
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
			rpos = start + pl->rf_skip;
			rsplit = (uint64_t)-1;
			big = 1;
		}
		if (big) {
			big_read(pl, piece_line, base + start, pl->buf + start, len - start, 0);
			start = len;
			frame_splits(&pl->rf, pl->buf, len, &rpos, base, &rsplit);
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
