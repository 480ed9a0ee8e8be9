/* Growable byte buffer and a small JSON writer on top of it. */
#ifndef KAG_BUF_PRIVATE_H
#define KAG_BUF_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kag.h"

typedef struct {
	char *data;
	size_t len;   /* never above cap */
	size_t cap;
	int oom; /* sticky: an append failed; the content is incomplete */
} kag_buf;

void kag__buf_init(kag_buf *b);
void kag__buf_dispose(kag_buf *b);
/* The slow path of kag__buf_reserve: reallocate (or fail for good). */
int kag__buf_grow(kag_buf *b, size_t extra);
int kag__buf_put_u64(kag_buf *b, uint64_t v);
int kag__buf_put_i64(kag_buf *b, int64_t v);
/* Append s as a JSON string literal (quotes included). Bytes that are not
 * valid UTF-8 are written as U+FFFD so the output is always valid JSON. */
int kag__buf_put_json_str(kag_buf *b, const char *s, size_t len);
/* The same without the quotes: the inside of a string literal, for one
 * written in parts. Parts split at ASCII bytes escape as the whole would. */
int kag__buf_put_json_chars(kag_buf *b, const char *s, size_t len);
/* Append a time in microseconds since the epoch as a quoted RFC 3339 UTC
 * string with six fraction digits ("2024-05-01T10:00:00.023574Z"). */
int kag__buf_put_time_us(kag_buf *b, int64_t us);
/* NUL-terminate without counting the terminator in len. */
int kag__buf_terminate(kag_buf *b);

/* The appends below are inline: a verdict is a few hundred of them, most
 * a handful of bytes of known length, and each then costs a compare and a
 * copy. */

/* Make room for extra more bytes and a terminator. */
static inline int kag__buf_reserve(kag_buf *b, size_t extra)
{
	if (!b->oom && extra < b->cap - b->len)
		return KAG_OK;
	return kag__buf_grow(b, extra);
}

static inline int kag__buf_put(kag_buf *b, const char *s, size_t len)
{
	if (kag__buf_reserve(b, len) < 0)
		return KAG_ENOMEM;
	if (len)
		memcpy(b->data + b->len, s, len);
	b->len += len;
	return KAG_OK;
}

/* Append a string literal, its length taken at compile time. */
#define KAG__BUF_LIT(b, lit) kag__buf_put((b), "" lit, sizeof(lit) - 1)

static inline int kag__buf_puts(kag_buf *b, const char *s)
{
	return kag__buf_put(b, s, strlen(s));
}

static inline int kag__buf_putc(kag_buf *b, char c)
{
	if (kag__buf_reserve(b, 1) < 0)
		return KAG_ENOMEM;
	b->data[b->len++] = c;
	return KAG_OK;
}

#endif
