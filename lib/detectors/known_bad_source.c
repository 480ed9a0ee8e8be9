/* known_bad_source: the connecting address is on an address list the
 * caller loaded (Tor exit nodes, a threat-intelligence feed). The address
 * judged is the last sourceIPs entry, the connection's peer: the earlier
 * entries come from X-Forwarded-For, which the client writes. kag ships no
 * list: without one the detector never applies. */
#include <string.h>

#include "address-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1090", "anonymising proxies and attacker infrastructure"),
	KAG__TECHNIQUE("T1078", "allowed requests of an authenticated identity"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_SOURCE_IPS };
static const int wanted[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_USER_AGENT };

static const char *listed(const kag_event *ev, const kag__ctx *ctx)
{
	kag__ip ip;

	if (!kag__ip_parse(kag__last_source_ip(ev), &ip))
		return NULL;
	return kag__addrlists_find(&ctx->policy->bad_sources, ip.v6, ip.a);
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* no list loaded: one load and a compare per event */
	if (!ctx->policy->bad_sources.n_ranges)
		return 0;
	return listed(ev, ctx) != NULL;
}

static int anonymous(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_USER_USERNAME, "system:anonymous") ||
	       kag__eq(ev, KAG_FIELD_USER_USERNAME, "system:unauthenticated");
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	const char *list = listed(ev, ctx);
	kag_str ip = kag__last_source_ip(ev);
	char user[128], verb[24], res[48];
	/* a request served (or being served) reached the cluster */
	int served = ctx->outcome == KAG_OUTCOME_ALLOWED ||
		     ctx->outcome == KAG_OUTCOME_IN_PROGRESS;
	int known = ctx->outcome != KAG_OUTCOME_UNKNOWN;

	if (!list)
		return KAG_OK;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS,
		    served ? KAG_SEVERITY_HIGH : KAG_SEVERITY_MEDIUM,
		    known ? KAG_CONFIDENCE_HIGH : KAG_CONFIDENCE_MEDIUM,
		    "%s from %.*s, listed in %s: %s %s by %s",
		    served ? "request served" : known ? "denied or failed request"
						      : "request of unknown outcome",
		    (int)(ip.len > 64 ? 64 : ip.len), ip.ptr, list,
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__usable(ev, KAG_FIELD_OBJ_RESOURCE)
		    ? kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res))
		    : kag__show(ev, KAG_FIELD_REQUEST_URI, res, sizeof(res)),
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)));
	kag__finding_attack(f, "T1090");
	if (served && kag__usable(ev, KAG_FIELD_USER_USERNAME) && !anonymous(ev))
		kag__finding_attack(f, "T1078");
	kag__extra_key(f, "knownBadSource");
	kag__buf_puts(f->extra, "{\"address\":");
	kag__buf_put_json_str(f->extra, ip.ptr, ip.len);
	kag__buf_puts(f->extra, ",\"list\":");
	kag__buf_put_json_str(f->extra, list, strlen(list));
	kag__buf_puts(f->extra, "}");
	return KAG_OK;
}

const kag__detector_def kag__det_known_bad_source = {
	.id = "known_bad_source",
	.title = "Request from an address on a caller-supplied list",
	.about = {
		.finds =
			"requests whose last sourceIPs entry (the connection peer; earlier "
			"entries come from X-Forwarded-For, which the client sets) lies in an "
			"address list the caller loaded (kag_registry_load_addresses(), the "
			"policy's bad_sources, kag-triage --bad-sources=FILE): Tor exit nodes, "
			"threat-intelligence feeds. The evidence names the list. kag ships no "
			"list: without one the detector never applies",
		.fields = "the last sourceIPs entry is judged, whoever the user is",
		.severity =
			"high when the request was served (allowed, or a response started), "
			"medium when it was denied or failed; confidence medium when the "
			"outcome is unknown",
		.false_positives =
			"feeds list shared addresses (cloud NAT, VPN and proxy providers) and "
			"go stale: load the lists the caller trusts, refreshed as their "
			"publishers advise",
		.peers = "GuardDuty Discovery:Kubernetes/TorIPCaller, "
			 "Discovery:Kubernetes/MaliciousIPCaller and "
			 "MaliciousIPCaller.Custom (and the same callers under other tactics)",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.applies = applies,
	.judge = judge,
};
