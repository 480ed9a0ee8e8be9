/* The splitter: where a stream may be cut so that separate parsers, each
 * reading one piece, give what one parser reading the whole stream gives.
 *
 * It follows the parser's framing (parser.c scan() and frame()) without
 * its budgets or its JSON: between records the rules of frame-private.h and
 * the providers' text-line forms of the format layer, the very functions
 * the parser calls; inside a record only strings, escapes and brackets. A
 * cut is a line end the parser consumes between records without looking at
 * the byte after it, once the piece holds more than blanks.
 *
 * The bytes come in any chunking and are read once: whatever must be known
 * across a chunk's end (a BOM's first bytes, a text line's first four, a
 * line end inside a record whose next byte decides whether the record was
 * cut short) is kept in the handle. Inside a record the scan reads 64
 * bytes at a time with the vector instructions the processor has (SSE2,
 * AVX2 or AVX-512, chosen at run time) and looks at single bytes only
 * where the record may end. */
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "format-private.h"
#include "frame-private.h"
#include "kag.h"

#if defined(__SSE2__) && defined(__GNUC__) && !defined(KAG_NO_SIMD)
#include <emmintrin.h>
#endif

#define SPLIT_MAX_RECORD (16u << 20) /* the parser's default KAG_OPT_MAX_RECORD_BYTES */

struct block;
struct run;

/* Where the scan stands. */
enum {
	SP_BOM,     /* at the stream's start: a BOM may come (bom[] so far) */
	SP_BETWEEN, /* between records: blanks and line ends */
	SP_TEXT,    /* on a text line, its form not known yet */
	SP_SKIP,    /* on a text line to its end */
	SP_RECORD   /* inside a record */
};

struct kag_splitter {
	int format;          /* KAG_FORMAT_* */
	uint64_t max_record; /* text lines longer are dropped unread */
	int state;           /* SP_* */
	int content;         /* the piece since the last cut holds more than blanks */

	char bom[3];         /* SP_BOM: the stream's first bytes */
	size_t bom_len;

	char head[4];        /* SP_TEXT: the line's first bytes */
	size_t head_len;
	int prefix;          /* kag__node_prefix() state */
	uint64_t text_len;   /* bytes of the line so far */

	int rec_array;       /* SP_RECORD: the record is a top-level array */
	long depth;
	int in_string, escape;
	int nl_pending;      /* a line end outside strings was the last byte */

#if defined(__SSE2__) && defined(__GNUC__) && !defined(KAG_NO_SIMD)
	/* block readers (block_pick) */
	int (*block)(const char *p, int in_string, int escape, struct block *o);
	size_t (*run)(const char *d, size_t pos, size_t len, struct run *r);
#endif
};

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

#if defined(__SSE2__) && defined(__GNUC__) && !defined(KAG_NO_SIMD)
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

#if defined(__SSE2__) && defined(__GNUC__) && !defined(KAG_NO_SIMD)
#define SPLIT_BLOCKS 1

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
#define SPLIT_BLOCK_FNS(isa, attr, pfx)                                                     \
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

SPLIT_BLOCK_FNS(sse2, , prefix_xor)

#if defined(__x86_64__) && !defined(KAG_NO_AVX2) && !defined(KAG_NO_SIMD) && (defined(__clang__) || __GNUC__ >= 8)
#define SPLIT_WIDE 1
#include <immintrin.h>

/* The same with the wider vectors most x86-64 processors have, chosen at
 * run time (block_pick). */
#define SPLIT_AVX2 __attribute__((target("avx2,popcnt,pclmul")))
#define SPLIT_AVX512 __attribute__((target("avx512f,avx512bw,popcnt,pclmul")))

/* prefix_xor() in one carry-less multiplication */
static inline __attribute__((always_inline)) SPLIT_AVX2 uint64_t prefix_clmul(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x),
								_mm_set1_epi8((char)0xFF), 0));
}

static inline __attribute__((always_inline)) SPLIT_AVX2 void masks_avx2(const char *p, uint64_t *m)
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

static inline __attribute__((always_inline)) SPLIT_AVX512 void masks_avx512(const char *p,
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

SPLIT_BLOCK_FNS(avx2, SPLIT_AVX2, prefix_clmul)
SPLIT_BLOCK_FNS(avx512, SPLIT_AVX512, prefix_clmul)
#endif

/* The best block readers this processor runs. */
static void block_pick(kag_splitter *s)
{
	s->block = block_sse2;
	s->run = run_sse2;
#ifdef SPLIT_WIDE
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("popcnt") || !__builtin_cpu_supports("pclmul"))
		return;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
		s->block = block_avx512;
		s->run = run_avx512;
	} else if (__builtin_cpu_supports("avx2")) {
		s->block = block_avx2;
		s->run = run_avx2;
	}
#endif
}
#endif /* SPLIT_BLOCKS */

/* The record ended at d[pos]: closed just before, or cut short by the
 * record that starts at pos. */
static void record_end(kag_splitter *s)
{
	s->state = SP_BETWEEN;
	s->in_string = s->escape = 0;
	s->nl_pending = 0;
}

#ifdef SPLIT_BLOCKS
enum { BLK_SCALAR, BLK_END };

/* Inside a record, 64 bytes at a time, with the rules of the byte loop in
 * record_scan(): a block is read at once (block_read), and its brackets
 * and line ends outside strings are looked at one by one only when the
 * record may end in it. A block that cannot be read so is left to the byte
 * loop (BLK_SCALAR, *pos_io at the block). BLK_END: the record ended
 * (closed, or cut short by the record at *pos_io). A line end outside
 * strings as the last byte: BLK_SCALAR with nl_pending set, *pos_io at
 * len. */
static int record_blocks(kag_splitter *s, const char *d, size_t len, size_t *pos_io)
{
	size_t pos = *pos_io;

	while (pos + 64 <= len) {
		struct run r;
		struct block k;
		uint64_t todo;

		/* the blocks where the record cannot end, then one that needs
		 * a closer look */
		r.depth = s->depth;
		r.in_string = s->in_string;
		r.escape = s->escape;
		pos = s->run(d, pos, len, &r);
		s->depth = r.depth;
		s->in_string = r.in_string;
		s->escape = r.escape;
		if (pos + 64 > len)
			break;
		if (!s->block(d + pos, s->in_string, s->escape, &k))
			break;
		if (!k.nl && k.n_close < s->depth) {
			/* the record cannot close in this block */
			s->depth += k.n_open - k.n_close;
		} else {
			for (todo = k.open | k.close | k.nl; todo; todo &= todo - 1) {
				unsigned i = (unsigned)__builtin_ctzll(todo);
				uint64_t bit = (uint64_t)1 << i;
				size_t at = pos + i;

				if (k.open & bit) {
					s->depth++;
				} else if (k.close & bit) {
					if (--s->depth == 0) {
						record_end(s);
						*pos_io = at + 1;
						return BLK_END;
					}
				} else if (at + 1 >= len) {
					s->in_string = s->escape = 0;
					s->nl_pending = 1;
					*pos_io = len;
					return BLK_SCALAR;
				} else if (kag__frame_breaks(d[at + 1], s->rec_array, s->depth)) {
					record_end(s);
					*pos_io = at + 1;
					return BLK_END;
				}
			}
		}
		s->in_string = k.in_string;
		s->escape = k.escape;
		pos += 64;
	}
	*pos_io = pos;
	return BLK_SCALAR;
}
#endif

/* Inside a record: scan d[*pos_io, len) until the record ends (state
 * SP_BETWEEN, *pos_io just past its last byte) or the bytes do. */
static void record_scan(kag_splitter *s, const char *d, size_t len, size_t *pos_io)
{
	size_t pos = *pos_io;
#ifdef SPLIT_BLOCKS
	size_t scalar_until = 0; /* the byte loop's, up to here */
#endif

	if (s->nl_pending) {
		/* the line end that ended the last bytes: this byte tells
		 * whether the record was cut short there */
		s->nl_pending = 0;
		if (kag__frame_breaks(d[pos], s->rec_array, s->depth)) {
			record_end(s);
			return;
		}
	}
	while (pos < len) {
		char c;

#ifdef SPLIT_BLOCKS
		if (pos >= scalar_until && pos + 64 <= len) {
			if (record_blocks(s, d, len, &pos) == BLK_END)
				break;
			if (pos + 64 > len)
				continue;
			scalar_until = pos + 64;
		}
#endif
		if (!s->escape) {
			pos = skip_plain(d, pos, len, s->in_string);
			if (pos >= len)
				break;
		}
		c = d[pos];
		if (s->in_string) {
			if (c == '\n') {
				/* a string cannot hold a line end: the record
				 * was cut short, and the line end is read
				 * between records */
				record_end(s);
				break;
			} else if (s->escape) {
				s->escape = 0;
			} else if (c == '\\') {
				s->escape = 1;
			} else if (c == '"') {
				s->in_string = 0;
			}
		} else if (c == '"') {
			s->in_string = 1;
		} else if (c == '{' || c == '[') {
			s->depth++;
		} else if (c == '}' || c == ']') {
			if (--s->depth == 0) {
				pos++;
				record_end(s);
				break;
			}
		} else if (c == '\n') {
			if (pos + 1 >= len) {
				s->nl_pending = 1; /* the parser waits for the next byte too */
			} else if (kag__frame_breaks(d[pos + 1], s->rec_array, s->depth)) {
				pos++;
				record_end(s);
				break;
			}
		}
		pos++;
	}
	*pos_io = pos < len ? pos : len;
}

/* On a text line, its form not known yet: read d[*pos_io, len) up to the
 * line's end at the most. The forms are tried as the parser tries them
 * (parser.c text_line()): an EKS payload line is a record to its end, a
 * node-name prefix is followed by a record on the line, any other line is
 * skipped whole. */
static void text_scan(kag_splitter *s, const char *d, size_t len, size_t *pos_io)
{
	size_t pos = *pos_io, brace = 0, n;
	const char *nl = memchr(d + pos, '\n', len - pos);
	size_t eol = nl ? (size_t)(nl - d) : len;
	int eks, rc;

	n = eol - pos;
	if (s->head_len < 4) {
		size_t k = 4 - s->head_len < n ? 4 - s->head_len : n;

		memcpy(s->head + s->head_len, d + pos, k);
		s->head_len += k;
	}
	eks = kag__eks_encoded_line(s->format, s->head, s->head_len);
	if (eks == 1) {
		s->state = SP_SKIP;
		return;
	}
	/* A prefix followed by '{' takes at least three bytes with a blank:
	 * by then eks is known not to match. */
	rc = kag__node_prefix(d + pos, n, &s->prefix, &brace);
	if (rc == KAG__PREFIX_YES) {
		*pos_io = pos + brace;
		s->state = SP_BETWEEN; /* which starts the record there */
		return;
	}
	if (rc == KAG__PREFIX_NO) {
		s->state = SP_SKIP;
		return;
	}
	s->text_len += n;
	*pos_io = eol;
	if (nl)
		s->state = SP_BETWEEN; /* the line ended without a prefix */
	else if (kag__frame_text_too_long(s->text_len, s->max_record))
		s->state = SP_SKIP;
}

static int scan_chunk(kag_splitter *s, const char *data, size_t len, size_t *pos_io);

/* At the stream's start: skip a BOM. Bytes kept from earlier calls that
 * turn out to be no BOM start a text line, read as such (they hold no line
 * end, so no cut). */
static void bom_scan(kag_splitter *s, const char *d, size_t len, size_t *pos_io)
{
	char b[3];
	size_t had = s->bom_len, k = 3 - had < len - *pos_io ? 3 - had : len - *pos_io;

	memcpy(b, s->bom, had);
	memcpy(b + had, d + *pos_io, k);
	switch (kag__frame_bom(b, had + k, 0)) {
	case KAG__BOM_NEED:
		memcpy(s->bom, b, had + k);
		s->bom_len = had + k;
		*pos_io += k;
		return;
	case KAG__BOM_SKIP:
		*pos_io += k;
		s->state = SP_BETWEEN;
		return;
	default:
		s->state = SP_BETWEEN;
		if (had) {
			size_t at = 0;

			memcpy(b, s->bom, had);
			scan_chunk(s, b, had, &at);
		}
		return;
	}
}

/* Scan data[*pos_io, len): 1 at a cut (*pos_io just past it), else 0 with
 * every byte read. */
static int scan_chunk(kag_splitter *s, const char *data, size_t len, size_t *pos_io)
{
	size_t pos = *pos_io;

	while (pos < len) {
		switch (s->state) {
		case SP_BOM:
			bom_scan(s, data, len, &pos);
			break;
		case SP_BETWEEN: {
			char c = data[pos];

			if (c == '\n') {
				pos++;
				if (s->content) {
					/* the parser consumed it between records
					 * without a look further: a cut */
					s->content = 0;
					*pos_io = pos;
					return 1;
				}
			} else if (kag__frame_blank(c)) {
				pos++;
			} else if (kag__frame_record_start(c)) {
				s->content = 1;
				s->state = SP_RECORD;
				s->rec_array = c == '[';
				s->depth = 0;
				s->in_string = s->escape = s->nl_pending = 0;
			} else {
				s->content = 1;
				s->state = SP_TEXT;
				s->head_len = 0;
				s->prefix = 0;
				s->text_len = 0;
			}
			break;
		}
		case SP_TEXT:
			text_scan(s, data, len, &pos);
			break;
		case SP_SKIP: {
			const char *nl = memchr(data + pos, '\n', len - pos);

			if (nl) {
				pos = (size_t)(nl - data);
				s->state = SP_BETWEEN;
			} else {
				pos = len;
			}
			break;
		}
		default:
			record_scan(s, data, len, &pos);
			break;
		}
	}
	*pos_io = len;
	return 0;
}

int kag_splitter_scan(kag_splitter *s, const char *data, size_t len, size_t *used_out)
{
	size_t pos = 0;

	if (used_out)
		*used_out = 0;
	if (!s || (!data && len) || !used_out)
		return KAG_EINVAL;
	if (scan_chunk(s, data, len, &pos)) {
		*used_out = pos;
		return KAG_OK;
	}
	*used_out = len;
	return KAG_ITEROVER;
}

int kag_splitter_reset(kag_splitter *s, int at_stream_start)
{
	if (!s)
		return KAG_EINVAL;
	s->state = at_stream_start ? SP_BOM : SP_BETWEEN;
	s->bom_len = 0;
	s->content = 0;
	s->in_string = s->escape = s->nl_pending = 0;
	s->depth = 0;
	return KAG_OK;
}

int kag_splitter_new(kag_splitter **out, int format)
{
	kag_splitter *s;

	if (!out)
		return KAG_EINVAL;
	*out = NULL;
	if (format < KAG_FORMAT_AUTO || format > KAG_FORMAT_OPENSHIFT)
		return KAG_EINVAL;
	s = kag__calloc(1, sizeof(*s));
	if (!s)
		return KAG_ENOMEM;
	s->format = format;
	s->max_record = SPLIT_MAX_RECORD;
#ifdef SPLIT_BLOCKS
	block_pick(s);
#endif
	kag_splitter_reset(s, 1);
	*out = s;
	return KAG_OK;
}

void kag_splitter_free(kag_splitter *s)
{
	kag__free(s);
}

int kag_splitter_set_option_u64(kag_splitter *s, int option, uint64_t value)
{
	if (!s)
		return KAG_EINVAL;
	switch (option) {
	case KAG_OPT_MAX_RECORD_BYTES:
		if (value == 0)
			return KAG_EINVAL;
		s->max_record = value;
		return KAG_OK;
	case KAG_OPT_FORMAT:
		if (value > KAG_FORMAT_OPENSHIFT)
			return KAG_EINVAL;
		s->format = (int)value;
		return KAG_OK;
	default:
		return KAG_EINVAL;
	}
}

