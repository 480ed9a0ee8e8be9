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

int kag__buf_reserve(kag_buf *b, size_t extra)
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

int kag__buf_put(kag_buf *b, const char *s, size_t len)
{
	if (kag__buf_reserve(b, len) < 0)
		return KAG_ENOMEM;
	if (len)
		memcpy(b->data + b->len, s, len);
	b->len += len;
	return KAG_OK;
}

int kag__buf_puts(kag_buf *b, const char *s)
{
	return kag__buf_put(b, s, strlen(s));
}

int kag__buf_putc(kag_buf *b, char c)
{
	if (kag__buf_reserve(b, 1) < 0)
		return KAG_ENOMEM;
	b->data[b->len++] = c;
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

int kag__buf_put_json_str(kag_buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	if (kag__buf_reserve(b, len + 2) < 0)
		return KAG_ENOMEM;
	b->data[b->len++] = '"';
	while (i < len) {
		unsigned char c;
		size_t n;

		/* plain text runs eight bytes at a time */
		while (i + 8 <= len && !kag__json_special8(s + i)) {
			i += 8;
			run += 8;
		}
		if (i >= len)
			break;
		c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (run && kag__buf_put(b, str + i - run, run) < 0)
			return KAG_ENOMEM;
		run = 0;
		if (c >= 0x80) {
			n = kag__utf8_seq(s + i, len - i);
			if (n == 0) {
				kag__buf_put(b, "\xEF\xBF\xBD", 3);
				i++;
			} else {
				kag__buf_put(b, str + i, n);
				i += n;
			}
			continue;
		}
		switch (c) {
		case '"': kag__buf_put(b, "\\\"", 2); break;
		case '\\': kag__buf_put(b, "\\\\", 2); break;
		case '\n': kag__buf_put(b, "\\n", 2); break;
		case '\r': kag__buf_put(b, "\\r", 2); break;
		case '\t': kag__buf_put(b, "\\t", 2); break;
		default: {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			kag__buf_put(b, esc, 6);
		}
		}
		i++;
	}
	if (run)
		kag__buf_put(b, str + len - run, run);
	kag__buf_putc(b, '"');
	return b->oom ? KAG_ENOMEM : KAG_OK;
}

int kag__buf_terminate(kag_buf *b)
{
	if (kag__buf_reserve(b, 0) < 0)
		return KAG_ENOMEM;
	b->data[b->len] = '\0';
	return KAG_OK;
}
