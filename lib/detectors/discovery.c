/* discovery: an identity mapping what it may do and what exists:
 * self-subject access and rules reviews (`kubectl auth can-i`), ranked for
 * people by what was asked, with a person's many distinct questions in a
 * window reported as one enumeration; and broad listing, many distinct
 * (resource, namespace) lists by one identity within discovery_window_us,
 * reported once per window as a correlated verdict. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "body-private.h"
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

/* What a review asked: spec.resourceAttributes of an access review,
 * spec.namespace of a rules review. */
typedef struct {
	char ns[64], verb[32], resource[64], sub[32];
	int seen;
} ask;

enum { Q_NONE, Q_REVIEW, Q_SPEC, Q_ATTRS };

static int q_child(int type, const char *key, size_t len)
{
	switch (type) {
	case Q_REVIEW:
		return KAG__KEY("spec") ? Q_SPEC : 0;
	case Q_SPEC:
		return KAG__KEY("resourceAttributes") ? Q_ATTRS : 0;
	default:
		return 0;
	}
}

static void copy(char *out, size_t size, json_t *obj, const char *key)
{
	kag_str v = kag__json_str(obj, key);

	snprintf(out, size, "%.*s", v.ptr ? (int)(v.len < size ? v.len : size - 1) : 0,
		 v.ptr ? v.ptr : "");
}

static void q_visit(void *ud, int type, json_t *v)
{
	ask *a = ud;

	if (!v || !json_is_object(v))
		return;
	a->seen = 1;
	if (type == Q_SPEC && !a->ns[0]) {
		copy(a->ns, sizeof(a->ns), v, "namespace"); /* a rules review */
	} else if (type == Q_ATTRS) {
		copy(a->ns, sizeof(a->ns), v, "namespace");
		copy(a->verb, sizeof(a->verb), v, "verb");
		copy(a->resource, sizeof(a->resource), v, "resource");
		copy(a->sub, sizeof(a->sub), v, "subresource");
	}
}

static const kag__body_schema q_schema = { q_child, q_visit, NULL };

/* The question reaches what an attacker wants next: secret reads, a shell
 * in a pod, acting as someone else, granting or escalating, the kubelet
 * API, minted tokens; or everything at once. */
static int ask_sensitive(const ask *a)
{
	static const char *const reads[] = { "get", "list", "watch", "*", NULL };
	size_t i;

	if (!strcmp(a->verb, "impersonate") || !strcmp(a->verb, "escalate") ||
	    !strcmp(a->verb, "bind") || !strcmp(a->resource, "*"))
		return 1;
	if (!strcmp(a->resource, "secrets"))
		for (i = 0; reads[i]; i++)
			if (!strcmp(a->verb, reads[i]))
				return 1;
	if (!strcmp(a->resource, "pods"))
		return !strcmp(a->sub, "exec") || !strcmp(a->sub, "attach") ||
		       !strcmp(a->sub, "portforward");
	return (!strcmp(a->resource, "nodes") && !strcmp(a->sub, "proxy")) ||
	       (!strcmp(a->resource, "serviceaccounts") && !strcmp(a->sub, "token"));
}

/* A system namespace, or every namespace (none named). */
static int ask_system(const ask *a, const kag__policy *p)
{
	return !a->ns[0] || kag__strlist_has(&p->system_namespaces,
					     (kag_str){ a->ns, strlen(a->ns) });
}

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
	kag__caller_get(&c, ctx, ev);
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

/* A person's access reviews: many distinct questions in the window are
 * one enumeration (rakkess, a script over can-i): reported once, medium.
 * Returns 1 when it reported. */
static int person_burst(kag_finding *f, const kag_event *ev, kag__ctx *ctx, const ask *a)
{
	char target[KAG__BURST_NAME], user[128];
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	kag__burst *b = kag__state_get(ctx, kag__hash(u.ptr, u.len, 0x3c6ef372fe94f82bULL));

	if (!b || !a->seen ||
	    !kag__burst_count(b, ctx, ctx->policy->discovery_window_us, KAG__LATE_FROM_FIRST))
		return 0;
	snprintf(target, sizeof(target), "%.12s %.24s%s%.12s@%.12s", a->verb, a->resource,
		 a->sub[0] ? "/" : "", a->sub, a->ns[0] ? a->ns : "*");
	kag__burst_target(b, target);
	if (!kag__burst_due(b, ctx->policy->discovery_threshold))
		return 0;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_MEDIUM, KAG_CONFIDENCE_HIGH,
		    "%s asked %zu distinct permission questions (selfsubjectaccessreviews) in "
		    "%llu requests within %llu s: permission enumeration (rakkess, a loop over "
		    "kubectl auth can-i)",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), b->n_targets,
		    (unsigned long long)b->w.count,
		    (unsigned long long)(ctx->policy->discovery_window_us / 1000000));
	kag__correlate_burst(f, ctx, b);
	return 1;
}

/* A person asking about their own permissions, ranked by what was asked:
 * secrets, exec, impersonate, escalate or bind, higher in a system
 * namespace or cluster-wide; an everyday question is info. */
static int judge_person(kag_finding *f, const kag_event *ev, kag__ctx *ctx, int rules)
{
	char user[128], what[256];
	int severity, sensitive, system;
	ask a;

	memset(&a, 0, sizeof(a));
	kag__body_walk_request(&q_schema, Q_REVIEW, ev, &a);
	sensitive = !rules && a.seen && ask_sensitive(&a);
	system = a.seen && ask_system(&a, ctx->policy);
	if (!rules && person_burst(f, ev, ctx, &a)) {
		kag__finding_attack(f, "T1069.003");
		kag__extra_key(f, "discovery");
		kag__buf_puts(f->extra, "\"access-review-burst\"");
		return KAG_OK;
	}
	if (rules)
		severity = system ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW;
	else if (sensitive)
		severity = system ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW;
	else
		severity = KAG_SEVERITY_INFO; /* "can I": routine, recorded */
	if (severity == KAG_SEVERITY_INFO && kag__info_unseen(f, ctx, KAG_ASSESSMENT_SUSPICIOUS))
		return KAG_OK;
	if (!a.seen)
		snprintf(what, sizeof(what), "what was asked is not in the record");
	else if (rules)
		snprintf(what, sizeof(what), "every permission in %s", a.ns[0] ? a.ns : "the cluster");
	else
		snprintf(what, sizeof(what), "%s %s%s%s in %s", a.verb[0] ? a.verb : "?",
			 a.resource[0] ? a.resource : "?", a.sub[0] ? "/" : "", a.sub,
			 a.ns[0] ? a.ns : "all namespaces");
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s %s its own permissions (%s): asked %s%s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    rules ? "enumerated" : "checked",
		    rules ? "selfsubjectrulesreviews: kubectl auth can-i --list"
			  : "selfsubjectaccessreviews: kubectl auth can-i", what,
		    sensitive ? system ? ": a sensitive permission in a system namespace or "
					 "cluster-wide"
				       : ": a sensitive permission"
			      : "");
	if (severity > KAG_SEVERITY_INFO)
		kag__finding_attack(f, "T1069.003");
	kag__extra_key(f, "discovery");
	kag__buf_puts(f->extra, rules ? "\"rules-review\"" : "\"access-review\"");
	return KAG_OK;
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
	if (!machine)
		return judge_person(f, ev, ctx, rules);
	severity = KAG_SEVERITY_MEDIUM;
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
			"selfsubjectrulesreviews created (kubectl auth can-i --list: low, medium "
			"for a system namespace; medium for service accounts and nodes, also "
			"when impersonated); selfsubjectaccessreviews created by service "
			"accounts or nodes (medium), and by people ranked by what was asked "
			"(spec.resourceAttributes): secrets reads, pods/exec, attach or "
			"portforward, impersonate, escalate, bind, nodes/proxy, "
			"serviceaccounts/token or * are low, medium in a system namespace or "
			"cluster-wide; any other question is info; a person asking at least "
			"discovery_threshold distinct questions within discovery_window_us is "
			"one correlated enumeration verdict (medium, rakkess-style); "
			"and one identity listing at least discovery_threshold distinct "
			"(resource, namespace) targets (a cluster-wide list counts as namespace "
			"*) within discovery_window_us (default 5 in 600 s, event time): one "
			"correlated verdict per window (low; medium for service accounts and "
			"nodes) with count, first/last time and the targets",
		.fields = "objectRef.resource/namespace; for reviews the requestObject "
			  "(spec.resourceAttributes, spec.namespace): at Metadata a person's "
			  "access review is info and a rules review low",
		.false_positives =
			"dashboards, kubectl get all -A, backup and inventory tools; platform "
			"identities are never counted; add such tools to trusted_users. An "
			"operator's informers listing every type they cache at start-up and on "
			"each relist are not counted: lists by a service account whose groups "
			"name its namespace, through an in-cluster client (a userAgent naming "
			"no tool such as kubectl, curl or an HTTP library) from a private or "
			"trusted address. Limit: a token stolen from such a pod and used with "
			"a client-go userAgent from inside the cluster is not counted either; "
			"targets are told apart by their whole resource and namespace. People's "
			"tools that check many permissions at start (k9s, Lens, IDE plug-ins) "
			"look like enumeration: add their users to trusted_users",
		.peers =
			"Sigma RBAC permission enumeration; Elastic self-subject review, "
			"multi-resource discovery; GuardDuty AnomalousBehavior.PermissionChecked; "
			"Splunk and Defender permission enumeration by users",
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
