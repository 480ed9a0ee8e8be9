/* Budgets of one record: how deeply its JSON nests, how many values it
 * holds and how long its strings are, checked in one pass over the bytes
 * before a reader builds tokens or a tree from them. A reader's time and
 * memory then stay linear in the record's length and capped, whatever the
 * bytes are. */
#ifndef KAG_BUDGET_PRIVATE_H
#define KAG_BUDGET_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

/* Defaults of KAG_OPT_MAX_VALUES, KAG_OPT_MAX_DEPTH, KAG_OPT_MAX_STRING and
 * KAG_OPT_MAX_RECORD: a parser's, and the limits of kag_event_set_member(). */
#define KAG__DEFAULT_MAX_VALUES 400000u
#define KAG__DEFAULT_MAX_DEPTH 64u
#define KAG__DEFAULT_MAX_STRING (1u << 20)
#define KAG__DEFAULT_MAX_RECORD (16u << 20)

typedef struct {
	uint64_t max_depth;  /* containers open at once */
	uint64_t max_values; /* objects, arrays, strings (keys too), numbers and literals */
	uint64_t max_string; /* bytes of one string, as written (escapes not decoded) */
} kag__budget;

/* Which budget a text broke. */
enum kag__budget_hit {
	KAG__BUDGET_OK = 0,
	KAG__BUDGET_DEPTH,
	KAG__BUDGET_VALUES,
	KAG__BUDGET_STRING
};

typedef struct {
	int hit;          /* KAG__BUDGET_* */
	size_t at;        /* offset of the byte that broke it */
	uint64_t values;  /* values counted (up to `at` when one was broken) */
	int closed;       /* the first top-level value closed */
	size_t end;       /* where the scan stopped: after the first top-level
			   * container closed (with stop_at_close), else len */
	int in_string;    /* the text ended inside a string */
	uint64_t depth;   /* containers still open at the end */
} kag__budget_scan;

/* Scan s[0, len) under b. With stop_at_close, the scan ends where the first
 * top-level container closes. Returns KAG__BUDGET_OK or the budget broken
 * first (r->hit, r->at). Counts values as JSON's grammar has them for valid
 * text; for invalid text the counts are an upper bound of what a reader
 * would make before it fails. One pass, no allocation. */
int kag__budget_check(const char *s, size_t len, const kag__budget *b, int stop_at_close,
		      kag__budget_scan *r);

/* "nesting deeper than 64 levels", ...: the message of a broken budget,
 * naming the budget and its value (never the input). */
void kag__budget_message(char *buf, size_t size, const kag__budget *b, int hit);

/* A jansson load error of the text s[0, len) as kag reports it: the code
 * (KAG_EPARSE, KAG_ELIMIT for jansson's depth limit, KAG_ENOMEM) and a
 * static description in *what that quotes no input byte. */
struct json_error_t;
int kag__json_fault(const struct json_error_t *e, const char *s, size_t len, const char **what);

#endif
