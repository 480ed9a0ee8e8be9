/* Caller rules (see rules_load.c for loading, rules_eval.c for judging):
 * the compiled form both share. */
#ifndef KAG_RULES_PRIVATE_H
#define KAG_RULES_PRIVATE_H

#include <stdint.h>

#include "detector-private.h"
#include "finding-private.h"
#include "identity-private.h"

#define MAX_SHOWN 8             /* fields a rule's reasons name */
#define GLOB_MAX_BYTES 256      /* a glob pattern, after unescaping */

enum { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2 };

enum {
	OP_ALL, OP_ANY, OP_NOT,
	OP_EQUALS, OP_IN, OP_PREFIX, OP_SUFFIX, OP_GLOB, OP_EXISTS,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_CODE_IN,
	OP_OUTCOME, OP_IDENTITY
};

/* glob tokens besides literal bytes 0..255 */
#define GLOB_ANY (-1)
#define GLOB_STAR (-2)

/* A compiled glob. The stars split the pattern into segments. Without a
 * star the one segment (head) must match the whole value; with stars the
 * head is anchored at the start of the value, the last segment (tail) at
 * its end, and each segment in between is found by a leftmost search
 * after the end of the one before. Taking the leftmost match is never
 * wrong when the only wildcards are '*' and '?': it leaves the most room
 * for what follows. The search is Shift-And: bit j of the state is set
 * when the last j + 1 bytes read match the first j + 1 tokens of the
 * segment, and one word of state covers 64 tokens, so a value of n bytes
 * costs O(n * ceil(m / 64)) for middle segments of m tokens in all, each
 * byte read once, whatever the pattern. The middle segments share one bit
 * space (token j of them is bit j); a byte's mask has the bits of the
 * tokens it matches, '?' in every mask. Bytes the middle segments do not
 * name share one row of masks, so a row is kept per distinct byte. */
typedef struct {
	int16_t *tok;            /* head, middle and tail tokens, stars dropped */
	uint16_t *mid_len;       /* tokens of each middle segment, in order */
	uint16_t n_tok, head, tail, n_mid;
	uint16_t n_words;        /* words of a mask row */
	uint8_t star;            /* the pattern has a star */
	uint8_t row[256];        /* byte -> its row of masks */
	uint64_t mask[];         /* [row][word] */
} glob_prog;

/* state words of a middle segment: 64 tokens a word, plus one when the
 * segment straddles a word boundary */
#define GLOB_MAX_WORDS ((GLOB_MAX_BYTES + 63) / 64 + 1)

typedef struct rnode rnode;
struct rnode {
	int op;
	int field;              /* event field, or -1 */
	char *key;              /* pair key ("annotations.<key>"), or NULL */
	size_t key_len;
	rnode **kids;           /* all / any / not */
	size_t n_kids;
	char **vals;            /* equals / prefix / suffix / glob: 1; in: n */
	size_t *lens;
	size_t n_vals;
	int64_t *nums;          /* eq..ge: 1; code in: n */
	size_t n_nums;
	glob_prog *glob;        /* glob: the compiled pattern */
	int exists;             /* OP_EXISTS: the expected answer */
	uint32_t set;           /* OP_OUTCOME / OP_IDENTITY: accepted values */
};

struct kag__rule {
	char *id, *title, *doc;
	char *attack_buf[KAG__MAX_ATTACK];
	kag__technique attack[KAG__MAX_ATTACK + 1];  /* primary; id NULL ends */
	int required[KAG__MAX_FIELDS];
	size_t n_required;
	int shown[MAX_SHOWN];                      /* fields named in reasons */
	size_t n_shown;
	int assessment, severity, confidence, min_level, ctx_severity;
	rnode *match;
};


/* Does the compiled glob g match value[0, n)? Linear in n. */
int kag__glob_match(const glob_prog *g, const char *value, size_t n);

/* Is `field` one of the rule's decisive fields? */
int kag__rule_is_decisive(const kag__rule *ru, int field);
/* Free a compiled rule (NULL is a no-op). */
void kag__rule_free(kag__rule *rule);

/* A rule's entry points in the registry: applies() and judge(). */
int kag__rule_applies(const kag_event *ev, const kag__ctx *ctx);
int kag__rule_judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx);

/* Test hook: compile `pattern` and match it against `value`; 1, 0, or a
 * negative KAG_E* code when the pattern does not compile. */
int kag__glob_test(const char *pattern, size_t plen, const char *value, size_t vlen);

#endif
