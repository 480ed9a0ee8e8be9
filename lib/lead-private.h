/* Leads: of the events a detector could not judge only because the audit
 * level shows no body, the ones worth a needs_context verdict. The level
 * is a property of the cluster's audit policy, not of the event: the rest
 * are counted toward coverage advice (kag_session_detector_stat). */
#ifndef KAG_LEAD_PRIVATE_H
#define KAG_LEAD_PRIVATE_H

#include "event-private.h"
#include "policy-private.h"

/* A lead on what the event does show: an identity outside the baseline
 * (identity class KAG__ID_NONE, or an impersonated request), a system
 * namespace, a sensitive resource, or a public source. */
int kag__is_lead(const kag__policy *p, const kag_event *ev, int identity);

#endif
