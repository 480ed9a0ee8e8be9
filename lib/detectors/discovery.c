/* discovery: an identity mapping what it may do and what exists:
 * self-subject access and rules reviews (`kubectl auth can-i`), and broad
 * listing, many distinct (resource, namespace) lists by one identity within
 * discovery_window_us, reported once per window as a correlated verdict. */
#include <stdio.h>
#include <string.h>

#include "burst-private.h"
#include "caller-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1613", NULL),
	KAG__PRIMARY("T1069.003", "permission reviews"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT };

static int is_review(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_VERB, "create") &&
	       (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "selfsubjectaccessreviews") ||
		kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "selfsubjectrulesreviews"));
}

/* An operator's informers list (then watch) every type they cache, at each
 * start and relist: a service account through an in-cluster client from a
 * private address. kubectl, curl or a person listing the same stays
 * discovery. */
static int informer(const kag_event *ev, const kag__ctx *ctx)
{
	kag__caller c;

	if (!kag__str_prefix(ev->str[KAG_FIELD_USER_USERNAME], "system:serviceaccount:"))
		return 0;
	kag__caller_read(&c, ev, ctx->policy);
	return kag__caller_is_operator(&c);
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	if (is_review(ev))
		return 1;
	/* listing bursts are kept per identity: an anonymous or unknown
	 * identity, or an unknown outcome, gives nothing to count */
	return kag__eq(ev, KAG_FIELD_VERB, "list") && !kag__is_platform(ev, ctx) &&
	       kag__usable(ev, KAG_FIELD_USER_USERNAME) &&
	       (ctx->outcome == KAG_OUTCOME_ALLOWED || ctx->outcome == KAG_OUTCOME_IN_PROGRESS) &&
	       !informer(ev, ctx);
}

/* The identity the request acted as: the impersonated one when present. */
static int workload_identity(const kag_event *ev)
{
	int f = kag__usable(ev, KAG_FIELD_IMP_USERNAME) ? KAG_FIELD_IMP_USERNAME
							 : KAG_FIELD_USER_USERNAME;

	return kag__str_prefix(ev->str[f], "system:serviceaccount:") ||
	       kag__str_prefix(ev->str[f], "system:node:");
}

static int judge_review(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128];
	int rules = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "selfsubjectrulesreviews");
	int machine = workload_identity(ev);
	int severity;

	/* controllers and the platform check their own permissions */
	if (kag__is_platform(ev, ctx) && ctx->identity != KAG__ID_NODE)
		return KAG_OK;
	if (machine)
		severity = KAG_SEVERITY_MEDIUM;
	else if (rules)
		severity = KAG_SEVERITY_LOW;
	else
		return KAG_OK; /* a person asking "can I": routine */
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s %s its own permissions (%s)%s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    rules ? "enumerated" : "checked",
		    rules ? "selfsubjectrulesreviews: kubectl auth can-i --list"
			  : "selfsubjectaccessreviews: kubectl auth can-i",
		    machine ? ": a workload or node credential exploring what it can reach" : "");
	kag__finding_attack(f, "T1069.003");
	kag__finding_attack(f, "T1613");
	kag__extra_key(f, "discovery");
	kag__buf_puts(f->extra, rules ? "\"rules-review\"" : "\"access-review\"");
	return KAG_OK;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	kag_str u, r, ns;
	char target[KAG__BURST_NAME], user[128];
	kag__burst *b;

	if (is_review(ev))
		return judge_review(f, ev, ctx);
	u = ev->str[KAG_FIELD_USER_USERNAME];
	b = kag__state_get(ctx, kag__hash(u.ptr, u.len, 0xbb67ae8584caa73bULL));
	if (!b || !kag__burst_count(b, ctx, ctx->policy->discovery_window_us,
				    KAG__LATE_FROM_FIRST))
		return KAG_OK;
	r = kag__usable(ev, KAG_FIELD_OBJ_RESOURCE) ? ev->str[KAG_FIELD_OBJ_RESOURCE]
						    : (kag_str){ "?", 1 };
	ns = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? ev->str[KAG_FIELD_OBJ_NAMESPACE]
						      : (kag_str){ "*", 1 };
	snprintf(target, sizeof(target), "%.*s@%.*s", (int)(r.len > 40 ? 40 : r.len), r.ptr,
		 (int)(ns.len > 22 ? 22 : ns.len), ns.ptr);
	kag__burst_target_key(b, kag__burst_key(r, ns), target);
	if (!kag__burst_due(b, ctx->policy->discovery_threshold))
		return KAG_OK;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS,
		    workload_identity(ev) ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW,
		    KAG_CONFIDENCE_HIGH,
		    "%s listed %zu distinct resource/namespace targets in %llu requests within "
		    "%llu s: broad discovery",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), b->n_targets,
		    (unsigned long long)b->w.count,
		    (unsigned long long)(ctx->policy->discovery_window_us / 1000000));
	kag__correlate_burst(f, ctx, b);
	kag__finding_attack(f, "T1613");
	kag__extra_key(f, "discovery");
	kag__buf_puts(f->extra, "\"broad-listing\"");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_verbs[] = { "create", "list", NULL };

const kag__detector_def kag__det_discovery = {
	.id = "discovery",
	.title = "Discovery: permission enumeration and broad listing by one identity",
	.about = {
		.finds =
			"selfsubjectrulesreviews created (kubectl auth can-i --list: low; medium "
			"for service accounts and nodes, also when impersonated) and "
			"selfsubjectaccessreviews created by service accounts or nodes (medium); "
			"and one identity listing at least discovery_threshold distinct "
			"(resource, namespace) targets (a cluster-wide list counts as namespace "
			"*) within discovery_window_us (default 5 in 600 s, event time): one "
			"correlated verdict per window (low; medium for service accounts and "
			"nodes) with count, first/last time and the targets",
		.fields = "objectRef.resource/namespace",
		.false_positives =
			"dashboards, kubectl get all -A, backup and inventory tools; platform "
			"identities are never counted; add such tools to trusted_users. An "
			"operator's informers listing every type they cache at start-up and on "
			"each relist are not counted: lists by a service account whose groups "
			"name its namespace, through an in-cluster client (a userAgent naming "
			"no tool such as kubectl, curl or an HTTP library) from a private or "
			"trusted address. Limit: a token stolen from such a pod and used with "
			"a client-go userAgent from inside the cluster is not counted either; "
			"targets are told apart by their whole resource and namespace",
		.peers =
			"Sigma RBAC permission enumeration; Elastic self-subject review, "
			"multi-resource discovery; GuardDuty AnomalousBehavior.PermissionChecked",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_LOW,
	.state_size = sizeof(kag__burst),
	.verbs = route_verbs,
	.applies = applies,
	.judge = judge,
};
