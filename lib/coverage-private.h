/* Coverage: per detector, the events it could not judge and why (the audit
 * level shows no body, a decisive field is missing, the outcome is not
 * known, the request was logged at RequestReceived only), by resource in a
 * bounded table, and the audit-policy rules that would let it judge. The
 * level is a property of the cluster's audit policy, not of the event: this
 * is where the cluster's owner learns how to change it. */
#ifndef KAG_COVERAGE_PRIVATE_H
#define KAG_COVERAGE_PRIVATE_H

#include "detector-private.h"
#include "gate-private.h"

#define KAG__COVERAGE_ROWS 16  /* resources per detector; the rest: "other" */
#define KAG__COVERAGE_KEY 128  /* group, resource and subresource, unterminated */

/* Why a detector could not judge an event (bits; one event may have
 * several). */
enum {
	KAG__COV_LEVEL = 1,    /* the level shows no body the detector needs */
	KAG__COV_FIELD = 2,    /* a decisive field is missing */
	KAG__COV_OUTCOME = 4,  /* the outcome, which it needs, is not known */
	KAG__COV_STAGE = 8,    /* logged at stage RequestReceived only */
	KAG__COV_OTHER = 16,   /* the detector said needs_context, for none of these */
	KAG__COV_REASONS = 5
};

/* The resource an event names, as a table key: the bytes of objectRef's
 * apiGroup, resource and subresource one after the other. */
typedef struct {
	unsigned char glen, rlen, slen;
	int fits;              /* 0: too long for the table: counted as other */
	char key[KAG__COVERAGE_KEY];
} kag__coverage_key;

/* What one detector's verdict (or silence) on one event adds to coverage:
 * made where the detector is run, counted there, or, for a request held at
 * RequestReceived, when its verdict is released (a later stage would have
 * judged it). */
typedef struct {
	size_t entry;          /* registry index + 1; 0: nothing to count */
	int weakened;          /* judged, with less confidence: a body was absent */
	unsigned reasons;      /* KAG__COV_* (unjudged only) */
	uint64_t fields;       /* the missing fields, bit KAG_FIELD_* */
	int level;             /* KAG_LEVEL_* that would show the body; 0: none */
	kag__coverage_key res;
} kag__coverage_note;

typedef struct {
	kag__coverage_key res;
	int level;             /* the most detailed level advised for it; 0: none */
	uint64_t unjudged, weakened;
} kag__coverage_row;

typedef struct {
	uint64_t unjudged;     /* events it could not judge */
	uint64_t verdicts;     /* of those, the ones given a needs_context verdict */
	uint64_t level_silent; /* of the others, the ones stopped only by the level */
	uint64_t weakened;
	uint64_t reason[KAG__COV_REASONS];
	uint64_t field[KAG__FIELD_COUNT];
	kag__coverage_row *rows; /* allocated at the first count; NULL: all in other */
	size_t n_rows;
	uint64_t other_unjudged, other_weakened;
} kag__coverage_det;

typedef struct {
	kag__coverage_det *det;  /* one per registry entry */
	size_t n;
	kag_buf json, policy;    /* the last texts written */
} kag__coverage;

int kag__coverage_init(kag__coverage *c, size_t n_entries);
void kag__coverage_dispose(kag__coverage *c);
/* The note of registry entry `entry` on ev: the gate g stopped it, or f
 * (which it reported) is needs_context or was weakened by an absent body.
 * 1 when there is something to count, 0 when not. */
int kag__coverage_note_make(kag__coverage_note *n, size_t entry, const kag__detector_def *d,
			    const kag_event *ev, const kag__gate_result *g, const kag_finding *f);
/* Count a note: `verdict` 1 when it was given a verdict; `level_only` when
 * none was given only because the level was too low (kag__is_lead). */
void kag__coverage_count(kag__coverage *c, const kag__coverage_note *n, int verdict,
			 int level_only);
/* A KAG_DSTAT_* counter of entry i. */
uint64_t kag__coverage_stat(const kag__coverage *c, size_t i, int stat);
/* Part 0 (group), 1 (resource) or 2 (subresource) of a key; keys ordered
 * by group, resource and subresource. */
kag_str kag__coverage_part(const kag__coverage_key *k, int part);
int kag__coverage_key_cmp(const kag__coverage_key *a, const kag__coverage_key *b);
int kag__coverage_key_eq(const kag__coverage_key *a, const kag__coverage_key *b);
/* The coverage object and the policy snippet (kag.h), into c->json and
 * c->policy; NULL when memory ran out. */
const char *kag__coverage_json(kag__coverage *c, const kag_registry *r, size_t *len);
const char *kag__coverage_policy(kag__coverage *c, const kag_registry *r, size_t *len);

#endif
