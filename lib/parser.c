/* The push parser: frames a byte stream into records (JSON lines, pretty
 * printed documents, EventLists, arrays), enforces limits while framing,
 * and hands each record to a front end: the fast one (frontend_fast.c) for
 * native events when it is built and chosen, else, or when it declines, the
 * jansson one. jansson reads a record straight from the buffer when it can
 * tell where the record ends as the framer would (see json_record); the
 * framer's pass is then skipped. One bad record becomes one error and the
 * stream goes on with the next. */
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "buf-private.h"
#include "budget-private.h"
#include "format-private.h"
#include "frame-private.h"
#include "frontend-private.h"
#include "kag.h"

/* The first line of a record jansson reads at once (json_record) is looked
 * at 32 bytes at a time where the processor can (x86-64 with AVX2, checked
 * at run time). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(KAG_NO_AVX2) && !defined(KAG_NO_SIMD)
#include <immintrin.h>
#define HAVE_LINE_AVX2 1
#endif

enum scan_result { SCAN_NEED, SCAN_RECORD, SCAN_ERROR, SCAN_FAST, SCAN_PARSED };

/* Keeps a function that is not on the path of every record out of its
 * callers, so that the path of a JSON line stays within few cache lines. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

struct kag_parser {
	kag_buf in;          /* bytes not yet consumed: in the parser's own
	                      * buffer, or the caller's (borrowed) */
	int borrowed;        /* `in` is the caller's (kag_parser_feed_nocopy):
	                      * its cap is its len, and it is never written */
	char *own;           /* meanwhile, the parser's own buffer */
	size_t own_cap;
	size_t pos;          /* scan position in `in` */
	uint64_t base;       /* stream offset of in.data[0] */
	uint64_t line;       /* line number at `pos` (1-based) */
	int started;         /* past a possible BOM */
	int finished;

	/* the record being framed */
	int in_record;
	int rec_array;       /* the record is a top-level JSON array */
	int skip_line;       /* dropping the rest of an over-long text line */
	size_t rec_start;
	uint64_t rec_line, rec_offset;
	long depth;
	int in_string, escape;
	uint64_t str_len;
	int discarding;      /* record over a limit: bytes dropped, error pending */
	int discard_code;
	char discard_msg[160];

	/* limits */
	uint64_t max_record, max_depth, max_string, max_items, max_values;
	uint64_t embedded_values; /* spent by the documents embedded in the record */

	/* an EventList or array being handed out item by item */
	json_t *list_root;
	kag__list list;
	size_t list_next;
	uint64_t list_line, list_offset;

	int format;          /* KAG_FORMAT_* */
	int frontend;        /* KAG_FRONTEND_* */
	kag__fast fast;
	uint64_t st_fast;    /* records filled by the fast front end */
	uint64_t st_at_once; /* records parsed by jansson straight from the buffer */
	uint64_t fast_line_end; /* stream offset up to which lines were tried */
	int fast_skip;       /* the fast front end declined this record */
	uint64_t json_tried_end; /* stream offset up to which jansson read at once */
	int rec_encoded;     /* the record is a base64 line (gzip payload) */

	kag_event ev;
	char *source;

	/* last error */
	int err_code;        /* 0 before the first */
	int64_t offset_shift; /* KAG_OPT_OFFSET: stream offset minus bytes fed */
	kag_buf err_json;    /* kag_parser_error_json() */
	char err_msg[384];
	char err_path[128];
	uint64_t err_line, err_offset;

	uint64_t st_records, st_events, st_errors, st_skipped;
};

int kag_parser_new(kag_parser **out)
{
	kag_parser *p;

	if (!out)
		return KAG_EINVAL;
	*out = NULL;
	p = kag__calloc(1, sizeof(*p));
	if (!p)
		return KAG_ENOMEM;
	kag__buf_init(&p->in);
	kag__buf_init(&p->err_json);
	kag__event_init(&p->ev);
	p->ev.borrowed = 1;
	p->line = 1;
	p->max_record = KAG__DEFAULT_MAX_RECORD;
	p->max_depth = KAG__DEFAULT_MAX_DEPTH;
	p->max_string = KAG__DEFAULT_MAX_STRING;
	p->max_items = 100000;
	p->max_values = KAG__DEFAULT_MAX_VALUES;
	kag__fast_init(&p->fast);
	p->frontend = KAG_FRONTEND_FAST;
	*out = p;
	return KAG_OK;
}

static void drop_list(kag_parser *p)
{
	if (p->list_root)
		json_decref(p->list_root);
	p->list_root = NULL;
	kag__list_dispose(&p->list);
	p->list_next = 0;
}

/* Take the parser's own buffer back, empty. */
static void own_again(kag_parser *p)
{
	if (!p->borrowed)
		return;
	p->in.data = p->own;
	p->in.cap = p->own_cap;
	p->in.len = 0;
	p->own = NULL;
	p->own_cap = 0;
	p->borrowed = 0;
}

void kag_parser_free(kag_parser *p)
{
	if (!p)
		return;
	own_again(p);
	drop_list(p);
	kag__event_dispose(&p->ev);
	kag__fast_dispose(&p->fast);
	kag__buf_dispose(&p->in);
	kag__buf_dispose(&p->err_json);
	kag__free(p->source);
	kag__free(p);
}

int kag_parser_set_option_u64(kag_parser *p, int option, uint64_t value)
{
	if (!p || (value == 0 && option != KAG_OPT_FORMAT && option != KAG_OPT_OFFSET))
		return KAG_EINVAL;
	switch (option) {
	case KAG_OPT_MAX_RECORD_BYTES: p->max_record = value; break;
	case KAG_OPT_MAX_DEPTH: p->max_depth = value; break;
	case KAG_OPT_MAX_STRING_BYTES: p->max_string = value; break;
	case KAG_OPT_MAX_ITEMS: p->max_items = value; break;
	case KAG_OPT_MAX_VALUES: p->max_values = value; break;
	case KAG_OPT_FRONTEND:
		if (value == KAG_FRONTEND_FAST) {
			p->frontend = KAG_FRONTEND_FAST;
			break;
		}
		if (value != KAG_FRONTEND_JANSSON)
			return KAG_EINVAL;
		p->frontend = KAG_FRONTEND_JANSSON;
		break;
	case KAG_OPT_LINE: {
		/* p->line numbers the scan position: the line ends fed and not
		 * read yet come before the next byte fed */
		uint64_t ends = 0;
		size_t i;

		for (i = p->pos; i < p->in.len; i++)
			ends += p->in.data[i] == '\n';
		if (value <= ends)
			return KAG_EINVAL;
		p->line = value - ends;
		break;
	}
	case KAG_OPT_OFFSET:
		/* the bytes this parser was fed count from 0 (KAG_PSTAT_BYTES);
		 * error offsets are moved to the stream's */
		p->offset_shift = (int64_t)(value - (p->base + p->in.len));
		/* A byte order mark can only come first in the stream: a
		 * parser fed a part of it from further on looks for none
		 * (the part may start with those bytes on a text line). */
		if (p->base + p->in.len == 0)
			p->started = value != 0;
		break;
	case KAG_OPT_FORMAT:
		if (value > KAG_FORMAT_OPENSHIFT)
			return KAG_EINVAL;
		p->format = (int)value;
		break;
	default: return KAG_EINVAL;
	}
	return KAG_OK;
}

int kag_parser_set_source(kag_parser *p, const char *name)
{
	char *copy = NULL;

	if (!p)
		return KAG_EINVAL;
	if (name && !(copy = kag__strdup(name)))
		return KAG_ENOMEM;
	kag__free(p->source);
	p->source = copy;
	p->line = 1;
	return KAG_OK;
}

const char *kag_parser_source(const kag_parser *p)
{
	return p && p->source ? p->source : "";
}

static void reset_record(kag_parser *p)
{
	p->in_record = 0;
	p->depth = 0;
	p->in_string = p->escape = 0;
	p->str_len = 0;
	p->discarding = 0;
}

int kag_parser_reset(kag_parser *p)
{
	if (!p)
		return KAG_EINVAL;
	drop_list(p);
	kag__event_reset(&p->ev);
	own_again(p);
	p->in.len = 0;
	p->pos = 0;
	p->base = 0;
	p->line = 1;
	p->started = p->finished = 0;
	p->skip_line = 0;
	reset_record(p);
	p->st_records = p->st_events = p->st_errors = p->st_skipped = 0;
	p->st_fast = 0;
	p->st_at_once = 0;
	p->fast_line_end = 0;
	p->json_tried_end = 0;
	p->err_msg[0] = p->err_path[0] = '\0';
	p->err_code = 0;
	p->offset_shift = 0;
	return KAG_OK;
}

/* Drop consumed bytes [0, upto) from the buffer. */
static void consume(kag_parser *p, size_t upto)
{
	if (upto == 0)
		return;
	if (p->borrowed) {
		p->in.data += upto;
		p->in.cap -= upto;
	} else {
		memmove(p->in.data, p->in.data + upto, p->in.len - upto);
	}
	p->in.len -= upto;
	p->pos -= upto;
	if (p->in_record && !p->discarding)
		p->rec_start -= upto;
	p->base += upto;
}

/* Between records: blanks and line ends are skipped, the lines counted. */
static void skip_blanks(kag_parser *p)
{
	const char *d = p->in.data;
	size_t len = p->in.len;

	while (p->pos < len) {
		char c = d[p->pos];

		if (c == '\n') {
			p->line++;
			p->pos++;
		} else if (kag__frame_blank(c)) {
			p->pos++;
		} else {
			break;
		}
	}
}

/* Before more input: drop what is consumed already, which is everything
 * before the scan position that is not part of a buffered record. A
 * failed feed leaves the buffer as it was: allow a retry. */
static void compact(kag_parser *p)
{
	p->in.oom = 0;
	if (!p->in_record || p->discarding)
		consume(p, p->pos);
	else
		consume(p, p->rec_start);
}

/* Copy the bytes left of the caller's into the parser's own buffer, with
 * room for `extra` more: a record goes on in the next bytes fed. */
static int unborrow(kag_parser *p, size_t extra)
{
	size_t left = p->in.len;

	if (!p->borrowed)
		return KAG_OK;
	if (left || extra) {
		kag_buf own;
		int rc;

		if (extra > SIZE_MAX - left)
			return KAG_ENOMEM;
		kag__buf_init(&own);
		own.data = p->own;
		own.cap = p->own_cap;
		rc = kag__buf_reserve(&own, left + extra);
		p->own = own.data;
		p->own_cap = own.cap;
		if (rc < 0)
			return KAG_ENOMEM;
		if (left)
			memcpy(p->own, p->in.data, left);
	}
	own_again(p);
	p->in.len = left;
	return KAG_OK;
}

/* Append data to the parser's own buffer (after compact()). */
static int put_copy(kag_parser *p, const char *data, size_t len)
{
	if (unborrow(p, len) < 0)
		return KAG_ENOMEM;
	if (!len)
		return KAG_OK;
	return kag__buf_put(&p->in, data, len);
}

int kag_parser_feed(kag_parser *p, const char *data, size_t len)
{
	if (!p || (!data && len))
		return KAG_EINVAL;
	if (p->finished)
		return KAG_ESTATE;
	compact(p);
	return put_copy(p, data, len);
}

int kag_parser_feed_nocopy(kag_parser *p, const char *data, size_t len)
{
	if (!p || (!data && len))
		return KAG_EINVAL;
	if (p->finished)
		return KAG_ESTATE;
	/* Blanks left after the last record (a caller that stopped reading
	 * at its end) are skipped now, as the next read would: a stream fed
	 * a line at a time is not copied for its line ends. The start of
	 * the stream is left to the read, which looks for a byte order mark
	 * there first. */
	if (!p->in_record && p->started && !p->skip_line)
		skip_blanks(p);
	compact(p);
	/* A record begun in bytes fed before goes on in these: the two are
	 * read as one text, so both are copied. */
	if (p->in.len || !len)
		return put_copy(p, data, len);
	if (!p->borrowed) {
		p->own = p->in.data;
		p->own_cap = p->in.cap;
		p->borrowed = 1;
	}
	/* read only: nothing writes into a borrowed buffer */
	p->in.data = (char *)(uintptr_t)data;
	p->in.len = p->in.cap = len;
	return KAG_OK;
}

int kag_parser_finish(kag_parser *p)
{
	if (!p)
		return KAG_EINVAL;
	p->finished = 1;
	return KAG_OK;
}

/* The stream offset of the byte at `offset` among those fed (KAG_OPT_OFFSET). */
static uint64_t stream_offset(const kag_parser *p, uint64_t offset)
{
	return (uint64_t)((int64_t)offset + p->offset_shift);
}

static int set_error(kag_parser *p, int code, uint64_t line, uint64_t offset,
		     const char *path, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 6, 7), cold))
#endif
	;

static int set_error(kag_parser *p, int code, uint64_t line, uint64_t offset,
		     const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err_msg, sizeof(p->err_msg), fmt, ap);
	va_end(ap);
	snprintf(p->err_path, sizeof(p->err_path), "%s", path ? path : "");
	p->err_code = code;
	p->err_line = line;
	p->err_offset = stream_offset(p, offset);
	p->st_records++;
	p->st_errors++;
	return code;
}

/* The budgets a record is held to, from the parser's limits. */
static kag__budget budget_of(const kag_parser *p)
{
	kag__budget b;

	b.max_depth = p->max_depth;
	b.max_values = p->max_values;
	b.max_string = p->max_string;
	return b;
}

/* Start discarding the current record: it broke a limit. */
static void start_discard(kag_parser *p, int code, const char *msg)
{
	p->discarding = 1;
	p->discard_code = code;
	snprintf(p->discard_msg, sizeof(p->discard_msg), "%s", msg);
}

/* A record ended before its value closed (resync at a line end). */
static int end_broken(kag_parser *p, size_t end, const char *why)
{
	int code = p->discarding ? p->discard_code : KAG_ETRUNCATED;
	const char *msg = p->discarding ? p->discard_msg : why;

	reset_record(p);
	p->pos = end;
	return set_error(p, code, p->rec_line, p->rec_offset, "", "%s", msg);
}

/* Bytes that need a look inside a JSON string. */
static const unsigned char string_special[256] = {
	['"'] = 1, ['\\'] = 1, ['\n'] = 1,
};

/* Bytes that need a look outside strings. */
static const unsigned char structural[256] = {
	['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1, ['\n'] = 1,
};

/* The first byte of s[i, len) that needs a look inside a string, or len. */
static size_t string_run_end(const char *s, size_t i, size_t len)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Eight bytes at a time: (w - 1) & ~w has the high bit of its lowest
	 * zero byte set (borrows can only mark bytes above it). */
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

	while (len - i >= 8) {
		uint64_t w, q, b, n, m;

		memcpy(&w, s + i, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		n = w ^ (ones * '\n');
		m = (((q - ones) & ~q) | ((b - ones) & ~b) | ((n - ones) & ~n)) & highs;
		if (m)
			return i + (size_t)(__builtin_ctzll(m) >> 3);
		i += 8;
	}
#endif
	while (i < len && !string_special[(unsigned char)s[i]])
		i++;
	return i;
}

/* Limits checked after a run of string bytes was skipped at once. */
static void check_run_limits(kag_parser *p)
{
	char m[128];

	if (p->discarding)
		return;
	if (p->str_len > p->max_string) {
		snprintf(m, sizeof(m), "a string is longer than %llu bytes",
			 (unsigned long long)p->max_string);
		start_discard(p, KAG_ELIMIT, m);
	} else if (p->pos - p->rec_start > p->max_record) {
		snprintf(m, sizeof(m), "record larger than %llu bytes",
			 (unsigned long long)p->max_record);
		start_discard(p, KAG_ELIMIT, m);
	}
}

/* Frame the record being read, from the scan position: SCAN_RECORD when
 * its value closed, SCAN_NEED at the end of the bytes so far, SCAN_ERROR
 * (code in *code_out) when it is cut short or broke a limit. */
NOINLINE static int frame(kag_parser *p, int *code_out)
{
	const char *d = p->in.data;
	size_t len = p->in.len, pos = p->pos, start = p->rec_start;
	uint64_t str_len = p->str_len, line = p->line;
	uint64_t max_record = p->max_record, max_string = p->max_string;
	long depth = p->depth;
	int in_string = p->in_string, escape = p->escape, discarding = p->discarding;
	char m[128];

	/* The scan state lives in locals; the parser's copy is brought up to
	 * date before anything that reads it. */
#define SAVE_STATE() (p->pos = pos, p->str_len = str_len, p->line = line, p->depth = depth, \
		      p->in_string = in_string, p->escape = escape)
	while (pos < len) {
		char c;

		if (in_string && !escape) {
			/* Most bytes of a record are string contents: skip
			 * the ones that change nothing at once. */
			size_t i = string_run_end(d, pos, len);

			str_len += i - pos;
			pos = i;
			if (!discarding && (str_len > max_string || pos - start > max_record)) {
				SAVE_STATE();
				check_run_limits(p);
				discarding = p->discarding;
			}
			if (i >= len)
				break;
		}
		c = d[pos];
		if (!in_string && !structural[(unsigned char)c]) {
			/* a run of bytes between values (blanks, numbers,
			 * literals, ':' and ','): nothing to do but count */
			do
				pos++;
			while (pos < len && !structural[(unsigned char)d[pos]]);
			if (!discarding && pos - start > max_record) {
				snprintf(m, sizeof(m), "record larger than %llu bytes",
					 (unsigned long long)max_record);
				start_discard(p, KAG_ELIMIT, m);
				discarding = 1;
			}
			continue;
		}
		if (in_string) {
			if (c == '\n') {
				/* a string cannot hold a line end, escaped or
				 * not: the record was cut short */
				SAVE_STATE();
				*code_out = end_broken(p, pos,
					"record ends inside a string at a line end (truncated record)");
				return SCAN_ERROR;
			} else if (escape) {
				escape = 0;
			} else if (c == '\\') {
				escape = 1;
			} else if (c == '"') {
				in_string = 0;
			}
			if (in_string && ++str_len > max_string && !discarding) {
				snprintf(m, sizeof(m), "a string is longer than %llu bytes",
					 (unsigned long long)max_string);
				start_discard(p, KAG_ELIMIT, m);
				discarding = 1;
			}
		} else if (c == '"') {
			in_string = 1;
			str_len = 0;
		} else if (c == '{' || c == '[') {
			if ((uint64_t)++depth > p->max_depth && !discarding) {
				snprintf(m, sizeof(m), "nesting deeper than %llu levels",
					 (unsigned long long)p->max_depth);
				start_discard(p, KAG_ELIMIT, m);
				discarding = 1;
			}
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				pos++;
				SAVE_STATE();
				if (discarding) {
					int code = p->discard_code;

					reset_record(p);
					*code_out = set_error(p, code, p->rec_line, p->rec_offset,
							      "", "%s", p->discard_msg);
					return SCAN_ERROR;
				}
				return SCAN_RECORD;
			}
		} else if (c == '\n') {
			if (pos + 1 >= len && !p->finished) {
				SAVE_STATE();
				if (discarding)
					consume(p, p->pos);
				return SCAN_NEED; /* cannot yet tell what follows */
			}
			if (pos + 1 < len && kag__frame_breaks(d[pos + 1], p->rec_array, depth)) {
				/* A new top-level record at column 0 while this
				 * one is still open: this one was cut short. */
				SAVE_STATE();
				*code_out = end_broken(p, pos,
					"record is incomplete: a new record starts on the next line");
				return SCAN_ERROR;
			}
			line++;
		}
		pos++;
		if (!discarding && pos - start > max_record) {
			snprintf(m, sizeof(m), "record larger than %llu bytes",
				 (unsigned long long)max_record);
			start_discard(p, KAG_ELIMIT, m);
			discarding = 1;
		}
	}
	SAVE_STATE();
#undef SAVE_STATE
	if (discarding)
		consume(p, p->pos); /* keep memory bounded: drop what was scanned */
	if (p->finished) {
		*code_out = end_broken(p, p->pos, "input ends inside a record (truncated record)");
		return SCAN_ERROR;
	}
	return SCAN_NEED;
}


/* Is a container of the tree nested deeper than `room` levels (v at the
 * first)? */
static int too_deep(json_t *v, uint64_t room)
{
	json_t *c;
	void *it;
	size_t i, n;

	if (room == 0)
		return 1;
	room--;
	if (json_is_object(v)) {
		for (it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			c = json_object_iter_value(it);
			if ((json_is_object(c) || json_is_array(c)) && too_deep(c, room))
				return 1;
		}
		return 0;
	}
	n = json_array_size(v);
	for (i = 0; i < n; i++) {
		c = json_array_get(v, i);
		if ((json_is_object(c) || json_is_array(c)) && too_deep(c, room))
			return 1;
	}
	return 0;
}

/* Are there at most `max` bytes '{' or '[' in s[0, n)? Then no value in
 * it is nested deeper than that. */
static int few_openings(const char *s, size_t n, uint64_t max)
{
	static const char open[2] = { '{', '[' };
	const char *q, *end = s + n;
	uint64_t count = 0;
	int i;

	for (i = 0; i < 2; i++) {
		for (q = s; (q = memchr(q, open[i], (size_t)(end - q))) != NULL; q++) {
			if (++count > max)
				return 0;
		}
	}
	return 1;
}

/* Line ends in rec[from, used), the rest of a record parsed at once: their
 * number in *lines, or -1 when one is followed by '{', which the framer
 * reports (a new record at column 0 cuts this one short). */
static int count_lines(const char *rec, size_t from, size_t used, uint64_t *lines)
{
	const char *q = rec + from, *end = rec + used;
	uint64_t count = 0;

	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		if (q + 1 < end && q[1] == '{')
			return -1;
		count++;
		q++;
	}
	*lines = count;
	return 0;
}

/* The first line of a record: s[0, len) up to its line end (ended) or to
 * the end of the bytes there are. With `counted`, one pass also found
 * whether a NUL byte is in it (nul) and how many bytes '{' or '[' (open). */
typedef struct {
	size_t len;
	int ended, counted, nul;
	uint64_t open;
} first_line;

#ifdef HAVE_LINE_AVX2

/* The first line of s[0, n) (n >= 32), 64 bytes at a time, then by 32. */
__attribute__((target("avx2,popcnt"))) static void line_avx2(const char *s, size_t n,
							     first_line *f)
{
	const __m256i nl = _mm256_set1_epi8('\n'), zero = _mm256_setzero_si256();
	/* '{' and '[' differ in bit 0x20 only */
	const __m256i bit = _mm256_set1_epi8(0x20), brace = _mm256_set1_epi8('{');
	__m256i low = _mm256_cmpeq_epi8(zero, zero), v, w, acc, sum;
	uint32_t e, keep;
	uint64_t open = 0;
	size_t i = 0, stop;
	int nul = 0;

	while (n - i >= 64) {
		/* each byte lane counts at most 254 brackets, then they are summed */
		stop = i + ((n - i) / 64 < 127 ? (n - i) / 64 : 127) * 64;
		acc = zero;
		for (; i < stop; i += 64) {
			v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
			w = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 32));
			if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, nl),
								 _mm256_cmpeq_epi8(w, nl))))
				break;
			/* the lowest byte seen: 0 when there is a NUL */
			low = _mm256_min_epu8(low, _mm256_min_epu8(v, w));
			v = _mm256_cmpeq_epi8(_mm256_or_si256(v, bit), brace);
			w = _mm256_cmpeq_epi8(_mm256_or_si256(w, bit), brace);
			acc = _mm256_sub_epi8(_mm256_sub_epi8(acc, v), w);
		}
		sum = _mm256_sad_epu8(acc, zero);
		open += (uint64_t)_mm256_extract_epi64(sum, 0) +
			(uint64_t)_mm256_extract_epi64(sum, 1) +
			(uint64_t)_mm256_extract_epi64(sum, 2) +
			(uint64_t)_mm256_extract_epi64(sum, 3);
		if (i < stop)
			break; /* a line end in the 64 bytes at i */
	}
	nul = _mm256_movemask_epi8(_mm256_cmpeq_epi8(low, zero)) != 0;
	/* What is left, 32 bytes at a time: the last 32 bytes, less those
	 * already seen, end it. */
	while (i < n) {
		keep = 0xffffffffu;
		if (n - i < 32) {
			keep <<= 32 - (n - i);
			i = n - 32;
		}
		v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
		e = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)) & keep;
		if (e)
			keep &= (e & (0u - e)) - 1; /* the bytes before the line end */
		open += (uint64_t)__builtin_popcount(
			(uint32_t)_mm256_movemask_epi8(
				_mm256_cmpeq_epi8(_mm256_or_si256(v, bit), brace)) & keep);
		nul |= ((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero)) & keep) != 0;
		if (e) {
			f->len = i + (size_t)__builtin_ctz(e);
			f->ended = 1;
			f->nul = nul;
			f->open = open;
			return;
		}
		i += 32;
	}
	f->len = n;
	f->ended = 0;
	f->nul = nul;
	f->open = open;
}
#endif

/* Find the first line of s[0, n). */
static void find_first_line(const char *s, size_t n, first_line *f)
{
	const char *nl;

#ifdef HAVE_LINE_AVX2
	if (n >= 32 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) {
		f->counted = 1;
		line_avx2(s, n, f);
		return;
	}
#endif
	nl = memchr(s, '\n', n);
	f->len = nl ? (size_t)(nl - s) : n;
	f->ended = nl != NULL;
	f->counted = 0;
	f->nul = 0;
	f->open = 0;
}

/* Fill the event with the fast front end from rec[0, len): one framed
 * record (lim NULL) or the line that starts with one (see
 * kag__fast_fill). The event is reset when it declines. */
static int fast_fill(kag_parser *p, const char *rec, size_t len, const kag__fast_limits *lim,
		     size_t *used)
{
	int rc;

	p->ev.format = "native";
	p->ev.source = p->source;
	p->ev.line = p->rec_line;
	p->ev.offset = stream_offset(p, p->rec_offset);
	rc = kag__fast_fill(&p->fast, &p->ev, rec, len, p->format, lim, used);
	if (rc != KAG_OK) {
		kag__event_reset(&p->ev);
		return rc;
	}
	p->st_records++;
	p->st_events++;
	p->st_fast++;
	return KAG_OK;
}

/* A record that starts a line (JSON lines, the common case) goes to the
 * fast front end at once, which takes it only when it is valid JSON within
 * the limits: the framer would cut the same bytes, so its byte-by-byte
 * pass is skipped. Each line is tried once (records after the first on a
 * line, or whose line is not complete yet, are framed as usual), and so is
 * a line longer than a record may be. Returns 1 when the event is filled. */
static int fast_line(kag_parser *p)
{
	const char *rec = p->in.data + p->rec_start, *nl;
	size_t avail = p->in.len - p->rec_start, n, used = 0;
	kag__fast_limits lim;
	int rc;

	p->fast_skip = 0;
	if (p->frontend != KAG_FRONTEND_FAST || p->rec_array || p->rec_offset < p->fast_line_end)
		return 0;
	nl = memchr(rec, '\n', avail);
	n = nl ? (size_t)(nl - rec) : avail;
	p->fast_line_end = p->rec_offset + n;
	if ((!nl && !p->finished) || n > p->max_record)
		return 0;
	/* The value budget holds before a token is made when the line has
	 * no more bytes than values may be; else one pass checks it. The
	 * scan holds the record to the depth limit (and to the depth it
	 * reads: a deeper record within the limit goes to jansson) and to
	 * the string limit. A line over a budget is framed as usual, which
	 * reports it. */
	if (n > p->max_values) {
		kag__budget b = budget_of(p);
		kag__budget_scan scan;

		if (b.max_depth > KAG__FAST_MAX_DEPTH)
			b.max_depth = KAG__FAST_MAX_DEPTH;
		if (kag__budget_check(rec, n, &b, 0, &scan) != KAG__BUDGET_OK) {
			p->json_tried_end = p->rec_offset + n;
			return 0;
		}
	}
	lim.max_record = p->max_record;
	lim.max_depth = p->max_depth;
	lim.max_string = p->max_string;
	rc = fast_fill(p, rec, n, &lim, &used);
	if (rc != KAG_OK) {
		p->fast_skip = rc == KAG__FAST_DECLINED;
		return 0;
	}
	p->pos = p->rec_start + used;
	reset_record(p);
	return 1;
}

/* A record whose first line is in the buffer goes to jansson at once,
 * which stops at the end of its value: for valid JSON, the framer would
 * cut the same bytes, so its byte-by-byte pass is skipped. The limits hold
 * by construction when the record is no longer than a record or a string
 * may be; nesting, when the text has few brackets, or else by a walk of
 * the tree. Anything else (invalid JSON, a limit, a record not all in the
 * buffer yet, a line end the framer would stop at) is framed as usual from
 * the record's start, which reports it, and so are the records that start
 * in what jansson read or on the same line: each byte goes to jansson at
 * once at most once. Returns the root, or NULL. */
static json_t *json_record(kag_parser *p)
{
	const char *rec = p->in.data + p->rec_start;
	size_t avail = p->in.len - p->rec_start, first, n, used;
	uint64_t lines = 0;
	first_line fl;
	json_error_t jerr;
	json_t *root;
	int nul, few;

	if (p->rec_offset < p->json_tried_end)
		return NULL;
	/* The fast front end reads the record unless it declined it. */
	if (p->frontend == KAG_FRONTEND_FAST && !p->fast_skip)
		return NULL;
	/* Without its first line, the record is most likely not all here. */
	find_first_line(rec, avail, &fl);
	if (!fl.ended && !p->finished)
		return NULL;
	first = fl.len;
	n = avail;
	if (n > p->max_record)
		n = (size_t)p->max_record;
	/* The limits hold by construction when jansson may read no more than
	 * a string may be long (max_string) or than there may be values (a
	 * value takes a byte at least). A longer record that ends on its first
	 * line is checked against the budgets instead, and read to its end. */
	if (n > p->max_string || n > p->max_values) {
		kag__budget b = budget_of(p);
		kag__budget_scan scan;

		if (fl.ended && kag__budget_check(rec, first, &b, 1, &scan) == KAG__BUDGET_OK &&
		    scan.closed && scan.end <= n) {
			n = scan.end;
		} else {
			if (n > p->max_string)
				n = (size_t)p->max_string;
			if (n > p->max_values)
				n = (size_t)p->max_values;
		}
	}
	if (n > INT_MAX)
		n = INT_MAX;
	root = json_loadb(rec, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK,
			  &jerr);
	used = jerr.position > 0 ? (size_t)jerr.position : 0;
	if (root && used > 0 && used <= n) {
		/* The first line's facts cover a record that ends on it; when
		 * they hold for the whole line, they hold for the record. */
		if (fl.counted && used <= first) {
			nul = fl.nul && memchr(rec, '\0', used) != NULL;
			few = fl.open <= p->max_depth;
		} else {
			nul = memchr(rec, '\0', used) != NULL;
			few = -1;
		}
		/* jansson drops a NUL byte that ends a number or literal
		 * without counting it in the position: such records are
		 * framed as usual. */
		if (!nul && (used <= first || count_lines(rec, first, used, &lines) == 0) &&
		    (few == 1 || few_openings(rec, used, p->max_depth) ||
		     !too_deep(root, p->max_depth))) {
			p->pos = p->rec_start + used;
			p->line += lines;
			p->st_at_once++;
			return root;
		}
	}
	if (root)
		json_decref(root);
	p->json_tried_end = p->rec_offset + (used > first ? used : first);
	return NULL;
}

/* A line that does not start with a JSON value (p->pos is at its first
 * byte that is not blank): a base64 gzip payload, a node-name prefix before
 * a record, or an error. SCAN_* or -1 to scan on from p->pos. Out of line:
 * the path of a record keeps to a few cache lines. */
NOINLINE static int text_line(kag_parser *p, int *code_out)
{
	const char *d = p->in.data, *nl;
	size_t len = p->in.len, eol, brace;
	int prefix = 0;

	/* Look at the whole line (memchr: a long line is searched again at
	 * each feed). */
	nl = memchr(d + p->pos, '\n', len - p->pos);
	eol = nl ? (size_t)(nl - d) : len;
	if (eol == len && !p->finished) {
		if (kag__frame_text_too_long(eol - p->pos, p->max_record)) {
			uint64_t line = p->line, off = p->base + p->pos;

			p->pos = eol;
			p->skip_line = 1;
			return *code_out = set_error(p, KAG_ELIMIT, line, off,
				"", "text line longer than %llu bytes",
				(unsigned long long)p->max_record), SCAN_ERROR;
		}
		return SCAN_NEED;
	}
	if (kag__eks_encoded_line(p->format, d + p->pos, eol - p->pos) == 1) {
		/* Base64 of gzip data: a CloudWatch Logs subscription
		 * payload as delivered. */
		p->rec_start = p->pos;
		p->rec_line = p->line;
		p->rec_offset = p->base + p->pos;
		p->rec_encoded = 1;
		p->pos = eol;
		return SCAN_RECORD;
	}
	if (kag__node_prefix(d + p->pos, eol - p->pos, &prefix, &brace) == KAG__PREFIX_YES) {
		p->pos += brace;
		return -1;
	}
	{
		uint64_t line = p->line, off = p->base + p->pos;
		size_t n = eol - p->pos;
		json_t *scalar = json_loadb(d + p->pos, n, JSON_DECODE_ANY, NULL);

		if (scalar) {
			/* Valid JSON, but a number, string, ... */
			const char *type = kag__json_type_name(scalar);

			json_decref(scalar);
			p->pos = eol;
			*code_out = set_error(p, KAG_ESCHEMA, line, off, "",
				"expected an audit event object, got %s", type);
			return SCAN_ERROR;
		}
		p->pos = eol;
		*code_out = set_error(p, KAG_EPARSE, line, off, "",
			"not JSON (a line of %zu bytes that starts with no JSON "
			"object or array)", n);
		return SCAN_ERROR;
	}
}

/* The start of a stream: a byte order mark is skipped. SCAN_NEED when
 * there are too few bytes yet to tell, else -1. */
NOINLINE static int skip_bom(kag_parser *p)
{
	const char *d = p->in.data;
	size_t len = p->in.len;

	switch (kag__frame_bom(d + p->pos, len - p->pos, p->finished)) {
	case KAG__BOM_NEED: return SCAN_NEED;
	case KAG__BOM_SKIP: p->pos += 3; break;
	default: break;
	}
	p->started = 1;
	return -1;
}

static int scan(kag_parser *p, int *code_out, json_t **root_out)
{
	const char *d;
	size_t len;
	int rc;

	for (;;) {
		d = p->in.data;
		len = p->in.len;
		if (!p->in_record) {
			if (!p->started && skip_bom(p) == SCAN_NEED)
				return SCAN_NEED;
			if (p->skip_line) {
				const char *nl = len > p->pos ? memchr(d + p->pos, '\n', len - p->pos) : NULL;

				if (!nl) {
					p->pos = len;
					return SCAN_NEED;
				}
				p->pos = (size_t)(nl - d);
				p->skip_line = 0;
			}
			skip_blanks(p);
			if (p->pos >= len)
				return SCAN_NEED;
			if (kag__frame_record_start(d[p->pos])) {
				p->in_record = 1;
				p->rec_array = d[p->pos] == '[';
				p->rec_start = p->pos;
				p->rec_line = p->line;
				p->rec_offset = p->base + p->pos;
				p->fast_skip = 0;
				if (p->frontend == KAG_FRONTEND_FAST && fast_line(p))
					return SCAN_FAST;
				if ((*root_out = json_record(p)) != NULL)
					return SCAN_PARSED;
				continue;
			}
			rc = text_line(p, code_out);
			if (rc >= 0)
				return rc;
			continue;
		}

		/* Inside a record. */
		return frame(p, code_out);
	}
}

static void read_ctx(kag_parser *p, kag__read_ctx *c, kag__limits *lim,
		     const char *list_format)
{
	lim->max_record = p->max_record;
	lim->max_depth = p->max_depth;
	lim->max_string = p->max_string;
	lim->max_items = p->max_items;
	lim->max_values = p->max_values;
	lim->embedded_values = &p->embedded_values;
	c->forced = p->format;
	c->lim = lim;
	c->list_format = list_format;
	c->keys = NULL;
}

/* A record could not be filled: the event is dropped and the error kept. */
KAG__COLD static int fill_failed(kag_parser *p, int rc, uint64_t line, uint64_t offset,
				 const kag_fmt_error *err)
{
	kag__event_reset(&p->ev);
	return set_error(p, rc, line, offset, err->path, "%s", err->message);
}

/* Fill the parser's event (reset by the caller) from one record (a
 * top-level record or a list item of the given kind), read as `c` says.
 * KAG__SKIPPED for a record that is not an audit event (counted). */
static int fill_event(kag_parser *p, json_t *obj, int kind, const kag__read_ctx *c,
		      const char *prefix, uint64_t line, uint64_t offset,
		      const kag_event **out)
{
	kag_fmt_error err;
	int rc;

	err.code = 0;
	err.message[0] = err.path[0] = '\0';
	p->ev.format = "native";
	p->ev.source = p->source;
	p->ev.line = line;
	p->ev.offset = stream_offset(p, offset);
	rc = kag__record_fill(&p->ev, obj, kind, c, prefix, &err);
	if (rc < 0)
		return fill_failed(p, rc, line, offset, &err);
	p->st_records++;
	if (rc == KAG__SKIPPED) {
		kag__event_reset(&p->ev);
		p->st_skipped++;
		return KAG__SKIPPED;
	}
	p->st_events++;
	*out = &p->ev;
	return KAG_OK;
}

static int next_list_item(kag_parser *p, const kag_event **out)
{
	char prefix[160];
	size_t i = p->list_next++;
	json_t *item = json_array_get(p->list.items, i);
	kag__read_ctx c;
	kag__limits lim;

	kag__event_reset(&p->ev);
	read_ctx(p, &c, &lim, p->list.format);
	kag__list_item_path(&p->list, i, prefix, sizeof(prefix));
	return fill_event(p, item, p->list.kind, &c, prefix, p->list_line, p->list_offset, out);
}

/* The root of a record the framer cut (SCAN_RECORD, reset_record done):
 * 1 when the fast front end filled the event, 0 with *root_out parsed by
 * jansson, or a negative code. */
NOINLINE static int framed_root(kag_parser *p, size_t start, size_t rlen, int encoded,
				const kag__limits *lim, json_t **root_out)
{
	kag_fmt_error ferr;
	json_error_t jerr;
	kag__budget b = budget_of(p);
	kag__budget_scan scan;
	const char *what;
	int rc, shallow = 1;

	/* The framer held the record to the limits of depth, string length
	 * and size; a record longer than the value budget is counted. */
	if (!encoded && rlen > p->max_values &&
	    kag__budget_check(p->in.data + start, rlen, &b, 0, &scan) != KAG__BUDGET_OK) {
		char m[96];

		kag__budget_message(m, sizeof(m), &b, scan.hit);
		return set_error(p, KAG_ELIMIT, p->rec_line, p->rec_offset + scan.at, "",
				 "%s", m);
	}
	if (!encoded && p->max_depth > KAG__FAST_MAX_DEPTH) {
		b.max_depth = KAG__FAST_MAX_DEPTH;
		shallow = kag__budget_check(p->in.data + start, rlen, &b, 0, &scan) ==
			  KAG__BUDGET_OK;
	}
	if (!encoded && shallow && p->frontend == KAG_FRONTEND_FAST && !p->fast_skip &&
	    fast_fill(p, p->in.data + start, rlen, NULL, NULL) == KAG_OK)
		return 1;
	if (encoded) {
		while (rlen && p->in.data[start + rlen - 1] == '\r')
			rlen--;
		ferr.code = 0;
		ferr.message[0] = ferr.path[0] = '\0';
		rc = kag__b64gzip_json(root_out, p->in.data + start, rlen, lim, "", &ferr);
		if (rc < 0)
			return set_error(p, rc, p->rec_line, p->rec_offset, ferr.path,
					 "%s", ferr.message);
		return 0;
	}
	*root_out = json_loadb(p->in.data + start, rlen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			       &jerr);
	if (!*root_out) {
		uint64_t line = p->rec_line + (jerr.line > 0 ? (uint64_t)jerr.line - 1 : 0);
		uint64_t off = p->rec_offset + (jerr.position > 0 ? (uint64_t)jerr.position : 0);

		rc = kag__json_fault(&jerr, p->in.data + start, rlen, &what);
		if (rc == KAG_ENOMEM)
			return set_error(p, rc, p->rec_line, p->rec_offset, "",
					 "out of memory reading the record");
		return set_error(p, rc, line, off, "", "invalid JSON: %s", what);
	}
	return 0;
}

/* A record that is not one event (kag__shape_detect gave `shape`): a list
 * to hand out item by item, or a skipped record (both 0), or an error.
 * Takes the root. */
NOINLINE static int other_shape(kag_parser *p, json_t *root, int shape, const kag_fmt_error *ferr)
{
	size_t n;

	if (shape < 0) {
		kag__list_dispose(&p->list);
		json_decref(root);
		return set_error(p, shape, p->rec_line, p->rec_offset, ferr->path, "%s",
				 ferr->message);
	}
	if (shape == KAG__SHAPE_SKIP) {
		kag__list_dispose(&p->list);
		json_decref(root);
		p->st_records++;
		p->st_skipped++;
		return 0;
	}
	n = json_array_size(p->list.items);
	if (n > p->max_items) {
		kag__list_dispose(&p->list);
		json_decref(root);
		return set_error(p, KAG_ELIMIT, p->rec_line, p->rec_offset, "",
				 "%zu items in one list (limit %llu)", n,
				 (unsigned long long)p->max_items);
	}
	p->list_root = root;
	p->list_next = 0;
	p->list_line = p->rec_line;
	p->list_offset = p->rec_offset;
	return 0;
}

/* next_from_list(): the list is all handed out. */
#define LIST_DONE 2

/* The next item of the list being handed out: KAG_OK, an error, or
 * LIST_DONE when there is none left (the list is dropped). */
NOINLINE static int next_from_list(kag_parser *p, const kag_event **out)
{
	int rc;

	while (p->list_next < json_array_size(p->list.items)) {
		rc = next_list_item(p, out);
		if (rc != KAG__SKIPPED)
			return rc;
	}
	drop_list(p);
	return LIST_DONE;
}

int kag_parser_next(const kag_event **out, kag_parser *p)
{
	if (!out || !p)
		return KAG_EINVAL;
	*out = NULL;
	for (;;) {
		json_t *root = NULL;
		kag_fmt_error ferr;
		kag__read_ctx rctx;
		kag__limits lim;
		kag__keys keys;
		int code = 0, shape, rc;

		if (p->list_root && (rc = next_from_list(p, out)) != LIST_DONE)
			return rc;
		kag__event_reset(&p->ev);
		rc = scan(p, &code, &root);
		if (rc != SCAN_PARSED) {
			size_t start = p->rec_start, rlen = p->pos - start;
			int encoded = p->rec_encoded;

			if (rc == SCAN_NEED)
				return KAG_ITEROVER;
			if (rc == SCAN_ERROR)
				return code;
			if (rc == SCAN_FAST) {
				*out = &p->ev;
				return KAG_OK;
			}
			p->rec_encoded = 0;
			reset_record(p);
			p->embedded_values = 0;
			read_ctx(p, &rctx, &lim, NULL);
			rc = framed_root(p, start, rlen, encoded, &lim, &root);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				*out = &p->ev;
				return KAG_OK;
			}
		} else {
			p->rec_encoded = 0;
			reset_record(p);
			p->embedded_values = 0;
			read_ctx(p, &rctx, &lim, NULL);
		}
		ferr.code = 0;
		ferr.message[0] = ferr.path[0] = '\0';
		keys.obj = NULL;
		rctx.keys = &keys;
		shape = kag__shape_detect(root, &rctx, &p->list, &ferr);
		if (shape != KAG__SHAPE_EVENT) {
			if ((rc = other_shape(p, root, shape, &ferr)) < 0)
				return rc;
			continue;
		}
		/* the event was reset above, before the record was read */
		rc = fill_event(p, root, KAG__ITEM_ANY, &rctx, "", p->rec_line, p->rec_offset, out);
		if (rc < 0 || rc == KAG__SKIPPED) {
			json_decref(root);
			if (rc == KAG__SKIPPED)
				continue;
			return rc;
		}
		p->ev.json_root = root; /* strings point into it */
		return KAG_OK;
	}
}

const char *kag_parser_error_json(const kag_parser *p, size_t *len_out)
{
	kag_buf *b;

	if (len_out)
		*len_out = 0;
	if (!p || !p->err_code)
		return NULL;
	/* rendered on demand into the parser's own buffer */
	b = &((kag_parser *)p)->err_json;
	b->len = 0;
	b->oom = 0;
	KAG__BUF_LIT(b, "{\"error\":{\"code\":\"");
	kag__buf_puts(b, kag_error_name(p->err_code));
	KAG__BUF_LIT(b, "\",\"message\":");
	kag__buf_put_json_str(b, p->err_msg, strlen(p->err_msg));
	KAG__BUF_LIT(b, ",\"source\":");
	if (p->source) {
		kag__buf_putc(b, '"');
		kag__buf_put_json_chars(b, p->source, strlen(p->source));
		kag__buf_putc(b, ':');
		kag__buf_put_u64(b, p->err_line);
		kag__buf_putc(b, '"');
	} else {
		KAG__BUF_LIT(b, "null");
	}
	KAG__BUF_LIT(b, ",\"line\":");
	kag__buf_put_u64(b, p->err_line);
	KAG__BUF_LIT(b, ",\"offset\":");
	kag__buf_put_u64(b, p->err_offset);
	if (p->err_path[0]) {
		KAG__BUF_LIT(b, ",\"path\":");
		kag__buf_put_json_str(b, p->err_path, strlen(p->err_path));
	}
	KAG__BUF_LIT(b, "}}");
	kag__buf_putc(b, '\0');
	if (b->oom)
		return NULL;
	if (len_out)
		*len_out = b->len - 1;
	return b->data;
}

const char *kag_parser_error_message(const kag_parser *p)
{
	return p ? p->err_msg : "";
}

uint64_t kag_parser_error_line(const kag_parser *p)
{
	return p ? p->err_line : 0;
}

uint64_t kag_parser_error_offset(const kag_parser *p)
{
	return p ? p->err_offset : 0;
}

const char *kag_parser_error_path(const kag_parser *p)
{
	return p ? p->err_path : "";
}

uint64_t kag__parser_fast_records(const kag_parser *p)
{
	return p ? p->st_fast : 0;
}

uint64_t kag__parser_records_at_once(const kag_parser *p)
{
	return p ? p->st_at_once : 0;
}

uint64_t kag_parser_stat(const kag_parser *p, int stat)
{
	if (!p)
		return 0;
	switch (stat) {
	case KAG_PSTAT_RECORDS: return p->st_records;
	case KAG_PSTAT_EVENTS: return p->st_events;
	case KAG_PSTAT_ERRORS: return p->st_errors;
	case KAG_PSTAT_SKIPPED: return p->st_skipped;
	case KAG_PSTAT_BYTES: return p->base + p->pos;
	default: return 0;
	}
}

int kag__parser_read_record(kag_parser *p, const char *json, size_t len, kag_event *ev)
{
	const kag_event *out;
	size_t i = 0;
	int rc;

	kag__event_reset(ev);
	kag_parser_reset(p);
	/* An array is a list of records to the parser: here, one record
	 * is expected. */
	while (i < len && (json[i] == '\n' || kag__frame_blank(json[i])))
		i++;
	if (i < len && json[i] == '[')
		return set_error(p, KAG_ESCHEMA, 1, 0, "", "expected an audit event object, got array");
	if ((rc = kag_parser_feed(p, json, len)) < 0)
		return set_error(p, rc, 1, 0, "", "%s", kag_strerror(rc));
	kag_parser_finish(p);
	rc = kag_parser_next(&out, p);
	if (rc == KAG_OK && p->list_root) {
		/* an EventList, or a provider's batch */
		rc = set_error(p, KAG_ESCHEMA, 1, 0, "", "expected one audit event, got a list of them");
	} else if (rc == KAG_ITEROVER && p->st_skipped) {
		rc = set_error(p, KAG_ESCHEMA, 1, 0, "", "%s", kag__not_an_event);
	} else if (rc == KAG_ITEROVER) {
		rc = set_error(p, KAG_EPARSE, 1, 0, "", "no JSON value in the text");
	}
	if (rc < 0)
		return rc;
	kag__event_swap(&p->ev, ev);
	/* Nothing may follow the record. */
	rc = kag_parser_next(&out, p);
	if (rc == KAG_ITEROVER && !p->st_skipped)
		return KAG_OK;
	kag__event_reset(ev);
	if (rc < 0)
		return rc;
	return set_error(p, KAG_EPARSE, 1, 0, "", "more than one record in the text");
}
