/* Growable buffer and JSON string escaping. */
#include <string.h>

#include "alloc-private.h"
#include "buf-private.h"
#include "json-text-private.h"
#include "kag.h"

void kag__buf_init(kag_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void kag__buf_dispose(kag_buf *b)
{
	kag__free(b->data);
	kag__buf_init(b);
}

int kag__buf_grow(kag_buf *b, size_t extra)
{
	size_t want, cap;
	char *nd;

	if (b->oom)
		return KAG_ENOMEM;
	if (extra > SIZE_MAX - b->len - 1)
		return b->oom = 1, KAG_ENOMEM;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return KAG_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	nd = kag__realloc(b->data, cap);
	if (!nd) {
		b->oom = 1;
		return KAG_ENOMEM;
	}
	b->data = nd;
	b->cap = cap;
	return KAG_OK;
}

int kag__buf_put_u64(kag_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return kag__buf_put(b, tmp + i, sizeof(tmp) - i);
}

int kag__buf_put_i64(kag_buf *b, int64_t v)
{
	if (v < 0) {
		if (kag__buf_putc(b, '-') < 0)
			return KAG_ENOMEM;
		return kag__buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
	}
	return kag__buf_put_u64(b, (uint64_t)v);
}

/* Bytes written verbatim inside a JSON string: printable ASCII but the
 * quote and the backslash. */
static int json_plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\' && c < 0x80;
}

/* The escaped form of one byte below 0x80 that is not plain; returns its
 * length (2 or 6). */
static size_t json_escape(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\';
	switch (c) {
	case '"': out[1] = '"'; return 2;
	case '\\': out[1] = '\\'; return 2;
	case '\n': out[1] = 'n'; return 2;
	case '\r': out[1] = 'r'; return 2;
	case '\t': out[1] = 't'; return 2;
	default:
		memcpy(out + 1, "u00", 3);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
}

/*
 * The string escaped for JSON, with its quotes or, for one written in
 * parts, without.
 *
 * One pass scans and copies together. Room for the plain case (the bytes
 * and two quotes) is reserved first, so plain text goes straight into the
 * buffer, eight bytes at a time where it can, with no further checks. Only
 * a byte that grows when written (an escape, U+FFFD for a bad byte)
 * reserves again, for itself and the rest of the string.
 *
 * Invariant: at input position i, at least len - i + 2 bytes are free
 * after out (the rest, a closing quote and the terminator).
 */
static int put_escaped(kag_buf *b, const char *str, size_t len, int quoted)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	char *out;

	if (kag__buf_reserve(b, len + 2) < 0)
		return KAG_ENOMEM;
	out = b->data + b->len;
	if (quoted)
		*out++ = '"';
	for (;;) {
		unsigned char c;
		size_t n;

		while (i + 8 <= len && !kag__json_special8(s + i)) {
			memcpy(out, s + i, 8);
			out += 8;
			i += 8;
		}
		/* The last bytes: when the eight bytes ending the string are
		 * all plain, one look and one copy do it (the copy rewrites
		 * bytes already written, with themselves: plain bytes before
		 * i were copied one for one). */
		if (i < len && i + 8 > len && len >= 8 && !kag__json_special8(s + len - 8)) {
			memcpy(out - (i + 8 - len), s + len - 8, 8);
			out += len - i;
			break;
		}
		/* otherwise byte by byte up to one that needs a closer look */
		while (i < len && json_plain(s[i]))
			*out++ = (char)s[i++];
		if (i >= len)
			break;
		c = s[i];
		if (c >= 0x80 && (n = kag__utf8_seq(s + i, len - i)) != 0) {
			/* a valid sequence is copied as it is: no growth */
			memcpy(out, s + i, n);
			out += n;
			i += n;
			continue;
		}
		/* grows by up to five bytes: reserve for it and the rest */
		b->len = (size_t)(out - b->data);
		if (kag__buf_reserve(b, len - i + 6) < 0)
			return KAG_ENOMEM;
		out = b->data + b->len;
		if (c >= 0x80) {
			memcpy(out, "\xEF\xBF\xBD", 3);
			out += 3;
		} else {
			out += json_escape(out, c);
		}
		i++;
	}
	if (quoted)
		*out++ = '"';
	b->len = (size_t)(out - b->data);
	return KAG_OK;
}

/* Most strings in a verdict need no escape at all. They take this path:
 * checked and copied eight bytes at a time, the end of one of eight bytes
 * or more with one overlapping look. At the first byte that needs a closer
 * look, the general path starts over. */
int kag__buf_put_json_str(kag_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;
	char *out;

	if (kag__buf_reserve(b, len + 2) < 0)
		return KAG_ENOMEM;
	out = b->data + b->len + 1;
	for (i = 0; i + 8 <= len; i += 8) {
		if (kag__json_special8(s + i))
			return put_escaped(b, str, len, 1);
		memcpy(out + i, s + i, 8);
	}
	if (i < len && len >= 8) {
		if (kag__json_special8(s + len - 8))
			return put_escaped(b, str, len, 1);
		memcpy(out + len - 8, s + len - 8, 8);
	} else {
		for (; i < len; i++) {
			if (!json_plain(s[i]))
				return put_escaped(b, str, len, 1);
			out[i] = (char)s[i];
		}
	}
	out[-1] = '"';
	out[len] = '"';
	b->len += len + 2;
	return KAG_OK;
}

int kag__buf_put_json_chars(kag_buf *b, const char *str, size_t len)
{
	return put_escaped(b, str, len, 0);
}

int kag__buf_put_time_us(kag_buf *b, int64_t us)
{
	/* RFC 3339 with microseconds, UTC; the date from the day count in
	 * 400-year eras */
	int64_t secs = us / 1000000, frac = us % 1000000, days, rem;
	int y, m, d, i;
	char out[32];
	int64_t era, doe, yoe, doy, mp;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = (int)(yoe + era * 400 + (m <= 2));
	{
		int vals[7] = { y, m, d, (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60),
				(int)frac };
		int widths[7] = { 4, 2, 2, 2, 2, 2, 6 };
		const char seps[7] = { '-', '-', 'T', ':', ':', '.', 'Z' };
		size_t n = 0;

		out[n++] = '"';
		for (i = 0; i < 7; i++) {
			int w = widths[i], val = vals[i], k;

			for (k = w - 1; k >= 0; k--) {
				out[n + (size_t)k] = (char)('0' + val % 10);
				val /= 10;
			}
			n += (size_t)w;
			out[n++] = seps[i];
		}
		out[n++] = '"';
		return kag__buf_put(b, out, n);
	}
}

int kag__buf_terminate(kag_buf *b)
{
	if (kag__buf_reserve(b, 0) < 0)
		return KAG_ENOMEM;
	b->data[b->len] = '\0';
	return KAG_OK;
}
