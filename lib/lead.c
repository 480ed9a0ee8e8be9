/* Leads (lead-private.h). */
#include <stdio.h>

#include "lead-private.h"
#include "identity-private.h"
#include "detectors/address-private.h"
#include "detectors/caller-private.h"
#include "detectors/request-private.h"

/* objectRef.resource, or resource/subresource, is a sensitive resource. */
static int sensitive(const kag__policy *p, const kag_event *ev)
{
	char both[160];
	kag_str r, sub;
	int n;

	if (!kag__usable(ev, KAG_FIELD_OBJ_RESOURCE))
		return 0;
	r = ev->str[KAG_FIELD_OBJ_RESOURCE];
	if (kag__strlist_has(&p->sensitive_resources, r))
		return 1;
	if (!kag__usable(ev, KAG_FIELD_OBJ_SUBRESOURCE))
		return 0;
	sub = ev->str[KAG_FIELD_OBJ_SUBRESOURCE];
	n = snprintf(both, sizeof(both), "%.*s/%.*s", (int)(r.len < 64 ? r.len : 64), r.ptr,
		     (int)(sub.len < 64 ? sub.len : 64), sub.ptr);
	return n > 0 && kag__strlist_has(&p->sensitive_resources, (kag_str){ both, (size_t)n });
}

int kag__is_lead(const kag__policy *p, const kag_event *ev, int identity)
{
	kag__caller c;

	if (identity == KAG__ID_NONE || kag__has(ev, KAG_FIELD_IMP_USERNAME) ||
	    kag__in_system_namespace(ev, p) || sensitive(p, ev))
		return 1;
	/* a baseline identity's credential in a person's tool, or from a
	 * public address, is the lead of stolen token use */
	kag__caller_read(&c, ev, p);
	return c.tool != NULL || c.source == KAG__SOURCE_PUBLIC;
}
