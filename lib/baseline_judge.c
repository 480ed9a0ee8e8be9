/* What a learned baseline may change in a judgement (baseline-private.h).
 *
 * The session consults the baseline after the detectors, on the findings
 * of built-in detectors and caller rules that passed their gate. Seen
 * behaviour ranks one step lower; new behaviour of a known identity keeps
 * its rank and says so. What an attacker could teach the baseline to hide
 * is never lowered: the findings of the detectors below, critical ones,
 * correlations, and any request that was denied, impersonated, anonymous
 * or came from a public address. */
#include <stdio.h>
#include <string.h>

#include "baseline-private.h"
#include "detectors/address-private.h"
#include "identity-private.h"

/* Their findings are about the request itself, whoever made it before. */
static const char *const never_lowered[] = {
	"interactive_access", "impersonation", "anonymous_access", "public_source",
	"known_bad_source", NULL
};

static int anonymous(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_USER_USERNAME, "system:anonymous") ||
	       kag__list_has(ev, KAG_FIELD_USER_GROUPS, "system:unauthenticated");
}

int kag__baseline_may_learn(const kag_event *ev, const kag__policy *p, int outcome)
{
	return outcome == KAG_OUTCOME_ALLOWED && !kag__has(ev, KAG_FIELD_IMP_USERNAME) &&
	       !anonymous(ev) && kag__source_kind(ev, p) != KAG__SOURCE_PUBLIC;
}

int kag__baseline_quiets(const kag_event *ev, const kag__policy *p, int outcome,
			 const char *detector)
{
	size_t i;

	for (i = 0; never_lowered[i]; i++)
		if (strcmp(detector, never_lowered[i]) == 0)
			return 0;
	return kag__baseline_may_learn(ev, p, outcome);
}

/* Put `lead` and "; " before f's reason, cutting the reason's end when the
 * whole does not fit. */
static void reason_lead(kag_finding *f, const char *lead)
{
	size_t room = sizeof(f->reason) - 1, n = strlen(lead), was = strlen(f->reason);

	if (n > room - 2)
		n = room - 2;
	if (was > room - n - 2)
		was = room - n - 2;
	memmove(f->reason + n + 2, f->reason, was);
	memcpy(f->reason, lead, n);
	f->reason[n] = ';';
	f->reason[n + 1] = ' ';
	f->reason[n + 2 + was] = '\0';
}

int kag__baseline_judge(kag_finding *f, int status, const kag__tuple *t, const char *detector,
			const kag_event *ev, const kag__policy *p, int outcome)
{
	char what[320], lead[360];

	if (f->assessment != KAG_ASSESSMENT_SUSPICIOUS && f->assessment != KAG_ASSESSMENT_MALICIOUS)
		return KAG__BL_UNKNOWN;
	if (status == KAG__BL_NEW) {
		kag__tuple_describe(t, what, sizeof(what));
		snprintf(lead, sizeof(lead), "new for this identity: first %s", what);
		reason_lead(f, lead);
		return KAG__BL_NEW;
	}
	if (status != KAG__BL_SEEN || f->assessment != KAG_ASSESSMENT_SUSPICIOUS ||
	    f->severity >= KAG_SEVERITY_CRITICAL || f->severity == KAG_SEVERITY_INFO ||
	    f->corr_count ||
	    !kag__baseline_quiets(ev, p, outcome, detector))
		return KAG__BL_UNKNOWN;
	f->severity--;
	reason_lead(f, "seen before in the baseline, one step lower");
	return KAG__BL_SEEN;
}
