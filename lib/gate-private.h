/* The gate: can a detector judge this event at all? Its decisive fields,
 * the audit level and the outcome it needs. */
#ifndef KAG_GATE_PRIVATE_H
#define KAG_GATE_PRIVATE_H

#include "detector-private.h"
#include "finding-private.h"

typedef struct {
	int passed;
	int outcome;
	int stage_ok;
	int level_ok;
	int no_outcome;   /* the outcome, which the detector needs, is unknown */
	size_t n_missing;
	int missing[KAG__MAX_FIELDS];
	char reason[256];
} kag__gate_result;

int kag__outcome(const kag_event *ev);
/* Who refused a request whose outcome is denied: an authenticator (401,
 * an OpenShift login deny); admission (a 403 or 422 whose message names
 * an admission webhook, PodSecurity or a ValidatingAdmissionPolicy, or a
 * 403 with a message after the authorizers allowed it); otherwise an
 * authorizer. Only authorization denials are permission probing. */
enum { KAG__DENIED_NOT = 0, KAG__DENIED_AUTHENTICATION, KAG__DENIED_AUTHORIZATION,
       KAG__DENIED_ADMISSION };
int kag__denied_by(const kag_event *ev);
/* "authentication", "authorization", "admission"; NULL for KAG__DENIED_NOT. */
const char *kag__denied_by_name(int by);
/* Check the gate: passed, missing fields, stage_ok, level_ok; the reason
 * is left empty until kag__gate_explain() writes it (only verdicts that
 * are kept need it). */
void kag__gate_check(kag__gate_result *g, const kag__detector_def *d,
		     const kag_event *ev, int outcome);
void kag__gate_explain(kag__gate_result *g, const kag__detector_def *d, const kag_event *ev);

#endif
