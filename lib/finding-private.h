/* Findings: what a detector reports, before the session makes a verdict of
 * it, and the helpers detectors and caller rules report through. */
#ifndef KAG_FINDING_PRIVATE_H
#define KAG_FINDING_PRIVATE_H

#include "buf-private.h"
#include "event-private.h"

#define KAG__MAX_ATTACK 6     /* techniques on one verdict */
#define KAG__MAX_DISTINCT 16  /* distinct items named by a correlation */
#define KAG__MAX_FIELDS 16    /* fields named missing; decisive fields of a detector */

struct kag_finding {
	int reported;
	int assessment, severity, confidence;
	char reason[384];
	size_t n_attack;
	char attack[KAG__MAX_ATTACK][16];
	/* correlation (count 0: none) */
	uint64_t corr_count;
	int64_t corr_first_us, corr_last_us;
	size_t n_distinct;
	const char *distinct[KAG__MAX_DISTINCT];
	/* detector-specific evidence members: `"key":value` pairs joined by
	 * commas, written into a session scratch buffer */
	kag_buf *extra;
	/* fields absent from the event that lowered confidence */
	size_t n_missing;
	int missing[KAG__MAX_FIELDS];
};

void kag__report(kag_finding *f, int assessment, int severity, int confidence,
		 const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;
void kag__finding_attack(kag_finding *f, const char *technique);
/* Lower confidence by one step and record the field responsible. */
void kag__finding_weaker(kag_finding *f, int field);
/* Short printable view of a string slot for reasons ("?" when absent). */
const char *kag__show(const kag_event *ev, int field, char *buf, size_t size);
/* Start the next `"key":` member of f->extra. */
void kag__extra_key(kag_finding *f, const char *key);

#endif
