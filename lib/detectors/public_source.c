/* public_source: platform principals (service accounts, nodes, control-plane
 * and other system: identities), or writes into the system namespaces,
 * arriving from a public source address. The address judged is the last
 * sourceIPs entry: the connection's peer, the one entry a client cannot
 * set through X-Forwarded-For. */
#include <stdio.h>
#include <string.h>

#include "caller-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1078", NULL),
	KAG__PRIMARY("T1552.007", "secrets and tokens"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_SOURCE_IPS };
static const int wanted[] = { KAG_FIELD_USER_AGENT, KAG_FIELD_VERB };

/* ---- the detector ---- */

enum { S_NONE, S_SERVICE_ACCOUNT, S_NODE, S_SYSTEM, S_PERSON };

static int principal(const kag_event *ev, const kag__ctx *ctx)
{
	kag_str u;

	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME))
		return S_NONE;
	u = ev->str[KAG_FIELD_USER_USERNAME];
	/* anonymous requests are anonymous_access's */
	if (kag__str_eq(u, "system:anonymous") || kag__str_eq(u, "system:unauthenticated"))
		return S_NONE;
	/* provider components run in the provider's own public address space */
	if (ctx->identity == KAG__ID_PROVIDER)
		return S_NONE;
	if (kag__str_prefix(u, "system:serviceaccount:"))
		return S_SERVICE_ACCOUNT;
	if (kag__str_prefix(u, "system:node:"))
		return S_NODE;
	if (kag__str_prefix(u, "system:") || ctx->identity != KAG__ID_NONE)
		return S_SYSTEM;
	return S_PERSON;
}

static int acts_on_workloads(const kag_event *ev)
{
	return kag__verb_is_write(ev) || kag__is_pod_session(ev);
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	int who;

	/* a denial reached nothing: rbac_probing's */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	/* the address first: most traffic is private, whoever sends it (the
	 * caller's address, read once for the event's detectors: public and
	 * not in trusted_networks) */
	if (kag__caller_source(ctx, ev) != KAG__SOURCE_PUBLIC)
		return 0;
	who = principal(ev, ctx);
	if (who == S_NONE)
		return 0;
	return who != S_PERSON ||
	       (kag__in_system_namespace(ev, ctx->policy) && acts_on_workloads(ev));
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	static const char *const names[] = { "", "service account", "node",
					     "system component", "user" };
	char user[128], verb[24], res[48], ns[64];
	kag_str ip = kag__last_source_ip(ev);
	int who = principal(ev, ctx), write = acts_on_workloads(ev), severity;
	int secrets = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") ||
		      kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "token");

	int egress = who == S_NODE || who == S_SERVICE_ACCOUNT;

	/* Nodes and pods reach a public API endpoint through the cluster's
	 * public egress (NAT) on many managed clusters: without the egress
	 * ranges in trusted_networks that is a weak lead, unless secrets are
	 * involved. Control-plane components have no reason to. */
	if (who == S_PERSON)
		severity = KAG_SEVERITY_MEDIUM;
	else if (egress)
		severity = secrets ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW;
	else if (write || secrets)
		severity = KAG_SEVERITY_HIGH;
	else
		severity = KAG_SEVERITY_MEDIUM;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity,
		    egress ? KAG_CONFIDENCE_MEDIUM : KAG_CONFIDENCE_HIGH,
		    "%s %s from public address %.*s: %s %s%s%s%s%s", names[who],
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    (int)(ip.len > 64 ? 64 : ip.len), ip.ptr,
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__usable(ev, KAG_FIELD_OBJ_RESOURCE)
		    ? kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res))
		    : kag__show(ev, KAG_FIELD_REQUEST_URI, res, sizeof(res)),
		    kag__in_system_namespace(ev, ctx->policy) ? " in " : "",
		    kag__in_system_namespace(ev, ctx->policy)
		    ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)) : "",
		    who == S_PERSON ? " (a system namespace)" : "",
		    egress ? " (cluster egress through a public address is common on managed "
			     "clusters: list the egress ranges in trusted_networks)" : "");
	kag__finding_attack(f, "T1078");
	if (secrets)
		kag__finding_attack(f, "T1552.007");
	kag__extra_key(f, "publicSource");
	kag__buf_puts(f->extra, "{\"address\":");
	kag__buf_put_json_str(f->extra, ip.ptr, ip.len);
	kag__buf_puts(f->extra, ",\"principal\":\"");
	kag__buf_puts(f->extra, names[who]);
	kag__buf_puts(f->extra, "\"}");
	return KAG_OK;
}

const kag__detector_def kag__det_public_source = {
	.id = "public_source",
	.title = "Platform principal or system namespace reached from a public address",
	.about = {
		.finds =
			"allowed requests whose last sourceIPs entry (the connection peer; the "
			"earlier entries come from X-Forwarded-For, which the client sets) is "
			"public (not RFC 1918, loopback, link-local, RFC 6598 shared, "
			"unique-local, multicast or reserved; not in policy trusted_networks) and "
			"whose identity is a control-plane or other system: principal (writes, "
			"exec and secret or token access high, reads medium), a node or service "
			"account (low, medium for secrets or tokens: managed clusters often "
			"egress through public addresses), or a person writing or exec'ing into a "
			"system namespace (medium); provider components (eks:, system:gke-, "
			"aksService) run in public provider ranges and are left out, anonymous "
			"requests are anonymous_access's",
		.fields = "the last sourceIPs entry is judged",
		.false_positives =
			"nodes or NAT gateways with public egress addresses: list them in "
			"trusted_networks (kag carries no cloud address-range data)",
		.peers = "Panther SystemNamespaceFromPublicIP, System.Principal.PublicIP",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.applies = applies,
	.judge = judge,
};
