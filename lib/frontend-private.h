/* The fast front end: fills native audit events straight from a record's
 * bytes, cut into tokens by one checked pass (json-scan-private.h), without
 * building a JSON tree. Records of any
 * other shape, and records it cannot take, go to the jansson front end,
 * which stays the reference: both give the same events and the same errors. */
#ifndef KAG_FRONTEND_PRIVATE_H
#define KAG_FRONTEND_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "event-private.h"
#include "json-scan-private.h"

/* Scratch a parser keeps between records. */
typedef struct {
	kag__jscan scan;
} kag__fast;

void kag__fast_init(kag__fast *f);
void kag__fast_dispose(kag__fast *f);

/* kag__fast_fill() did not fill the event: read the record with jansson. */
#define KAG__FAST_DECLINED 1
/* Reading a line (lim != NULL): the line did not scan as a record within
 * the limits; the record the framer cuts from it, if any, is tried again. */
#define KAG__FAST_UNFRAMED 2

/* Deeper records are declined (jansson's own limit is 2048 levels): the
 * scan's depth limit. */
#define KAG__FAST_MAX_DEPTH KAG__JSCAN_MAX_DEPTH

/* The framer's limits, for records read straight from a line. */
typedef struct {
	uint64_t max_record, max_depth, max_string;
} kag__fast_limits;

/* Fill `ev` (freshly reset) from a top-level record read under input format
 * `forced` (KAG_FORMAT_*).
 *
 * With lim == NULL, rec[0, len) is one record as framed by the parser (a
 * JSON object or array). With lim, rec[0, len) is the rest of a line that
 * starts with a record: the record ends where its top-level object closes
 * (*used bytes), and it is only taken when it is valid JSON within lim, so
 * that the framer would have cut exactly these bytes without an error; the
 * framer need not look at it.
 *
 * Returns KAG_OK when ev holds a native event: its strings and body texts
 * point into rec, which must outlive the event, or into the event's arena.
 * Otherwise ev is partly filled (reset it before reuse) and the return is
 * KAG__FAST_UNFRAMED (see above) or KAG__FAST_DECLINED, for everything
 * else: another input shape (lists, provider wrappers), invalid JSON, a
 * field of the wrong type, a broken limit or an allocation failure. The
 * framer and the jansson front end then give the reference answer, so
 * declining is always safe; accepting a record jansson rejects never is. */
int kag__fast_fill(kag__fast *f, kag_event *ev, const char *rec, size_t len, int forced,
		   const kag__fast_limits *lim, size_t *used);

/* Records filled by the fast front end since the parser was made or reset
 * (for tests: proves that a stream took the fast path). */
struct kag_parser;
uint64_t kag__parser_fast_records(const struct kag_parser *p);

#endif
