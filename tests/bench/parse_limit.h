/*
 * The parse-limit rows of kag-bench: how fast the same bytes can be parsed
 * at all, by simdjson's DOM parse_many, and how fast simdjson's On-Demand
 * API reads the members kag reads (parse_limit.cc, C++), behind a C
 * interface. Built only where a C++ compiler and simdjson are found; then
 * meson defines KAG_BENCH_PARSE_LIMIT.
 */
#ifndef KAG_BENCH_PARSE_LIMIT_H
#define KAG_BENCH_PARSE_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes a buffer must have allocated past its data for it to be parsed in
 * place (simdjson reads whole SIMD blocks); with fewer it is copied first. */
#define BENCH_PARSE_PAD 64

struct bench_parse_limit;

/* A parser (its buffers are kept from one call to the next), or NULL when
 * out of memory. */
struct bench_parse_limit *bench_parse_limit_new(void);

void bench_parse_limit_free(struct bench_parse_limit *pl);

/* Parse buf[0..len), JSON documents one after the other (one per line),
 * cap being the bytes allocated at buf. Sets *docs to the number of
 * documents and returns 0; returns -1 on any error (a document that is not
 * valid JSON, invalid UTF-8, bytes left after the last document, memory). */
int bench_parse_limit_lines(struct bench_parse_limit *pl, const char *buf, size_t len, size_t cap,
			    uint64_t *docs);

/* The same with simdjson's On-Demand iterate_many, reading of each
 * document (an Event) what kag's front ends read: every top-level member
 * but requestObject and responseObject, which are left unread, as kag
 * keeps them as text; strings unescaped, objects two levels down
 * (user.extra's lists), numbers as integers. -1 also when a document is
 * not an object, a list holds other than strings or a number is not an
 * integer. It checks less than kag does: a repeated key passes, and a
 * value left unread (a body) only as far as simdjson checks what it skips
 * (UTF-8, brackets, commas): a misspelled literal in a body passes. */
int bench_parse_members_lines(struct bench_parse_limit *pl, const char *buf, size_t len,
			      size_t cap, uint64_t *docs);

#ifdef __cplusplus
}
#endif

#endif
