/* Growable byte buffer and a small JSON writer on top of it. */
#ifndef KAG_BUF_PRIVATE_H
#define KAG_BUF_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *data;
	size_t len;
	size_t cap;
	int oom; /* sticky: an append failed; the content is incomplete */
} kag_buf;

void kag__buf_init(kag_buf *b);
void kag__buf_dispose(kag_buf *b);
int kag__buf_reserve(kag_buf *b, size_t extra);
int kag__buf_put(kag_buf *b, const char *s, size_t len);
int kag__buf_puts(kag_buf *b, const char *s);
int kag__buf_putc(kag_buf *b, char c);
int kag__buf_put_u64(kag_buf *b, uint64_t v);
int kag__buf_put_i64(kag_buf *b, int64_t v);
/* Append s as a JSON string literal (quotes included). Bytes that are not
 * valid UTF-8 are written as U+FFFD so the output is always valid JSON. */
int kag__buf_put_json_str(kag_buf *b, const char *s, size_t len);
/* NUL-terminate without counting the terminator in len. */
int kag__buf_terminate(kag_buf *b);

#endif
