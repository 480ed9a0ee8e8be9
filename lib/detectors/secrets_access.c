/* secrets_access: allowed reads of Secrets by identities outside the
 * baseline; cluster-wide and kube-system listings rank higher; a burst of
 * distinct secrets read by one identity is one correlated verdict. */
#include <stdio.h>
#include <string.h>

#include "burst-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1552.007", NULL),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* Denied reads are rbac_probing's; failed ones read nothing. */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") &&
	       !kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) && kag__verb_is(ev, kag__verbs_read);
}

/* Count a read of a named secret; when it brings the identity to
 * secret_burst_threshold distinct secrets within the window, report one
 * correlated verdict (once per window) and return 1. */
static int burst(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	char target[KAG__BURST_NAME], user[128];
	kag__burst *b;

	if (!ctx->state || !kag__eq(ev, KAG_FIELD_VERB, "get") ||
	    !kag__usable(ev, KAG_FIELD_OBJ_NAME))
		return 0;
	b = kag__state_get(ctx, kag__hash(u.ptr, u.len, 0x9b05688c2b3e6c1fULL));
	if (!kag__burst_count(b, ctx, ctx->policy->secret_burst_window_us, KAG__LATE_FROM_FIRST))
		return 0;
	snprintf(target, sizeof(target), "%.*s/%.*s",
		 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
		 ? (int)(ev->str[KAG_FIELD_OBJ_NAMESPACE].len > 30 ? 30
			 : ev->str[KAG_FIELD_OBJ_NAMESPACE].len) : 1,
		 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? ev->str[KAG_FIELD_OBJ_NAMESPACE].ptr : "*",
		 (int)(ev->str[KAG_FIELD_OBJ_NAME].len > 32 ? 32 : ev->str[KAG_FIELD_OBJ_NAME].len),
		 ev->str[KAG_FIELD_OBJ_NAME].ptr);
	kag__burst_target(b, target);
	if (!kag__burst_due(b, ctx->policy->secret_burst_threshold))
		return 0;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_HIGH, KAG_CONFIDENCE_HIGH,
		    "%s read %zu distinct secrets in %llu requests within %llu s: secret burst",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), b->n_targets,
		    (unsigned long long)b->w.count,
		    (unsigned long long)(ctx->policy->secret_burst_window_us / 1000000));
	kag__correlate_burst(f, ctx, b);
	kag__finding_attack(f, "T1552.007");
	return 1;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], actor[128], ns[96], name[128], verb[16];
	int impersonated = kag__has(ev, KAG_FIELD_IMP_USER);
	int bulk = !kag__eq(ev, KAG_FIELD_VERB, "get");
	int cluster_wide = !kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE);
	int kube_system = kag__eq(ev, KAG_FIELD_OBJ_NAMESPACE, "kube-system");
	int severity;

	/* Platform identities reading secrets are controller_baseline's. */
	if (kag__is_platform(ev, ctx))
		return KAG_OK;
	if (burst(f, ev, ctx))
		return KAG_OK;
	if (bulk && (cluster_wide || kube_system))
		severity = KAG_SEVERITY_HIGH;
	else if (kube_system)
		severity = KAG_SEVERITY_HIGH;
	else
		severity = KAG_SEVERITY_MEDIUM;
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	if (impersonated)
		kag__show(ev, KAG_FIELD_IMP_USERNAME, actor, sizeof(actor));
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s%s%s%s: %s secrets%s%s %s%s%s (outcome %s)",
		    user, impersonated ? " (as " : "", impersonated ? actor : "",
		    impersonated ? ")" : "",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__usable(ev, KAG_FIELD_OBJ_NAME) ? "/" : "",
		    kag__usable(ev, KAG_FIELD_OBJ_NAME) ? kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)) : "",
		    cluster_wide ? "in all namespaces" : "in namespace",
		    cluster_wide ? "" : " ",
		    cluster_wide ? "" : kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)),
		    kag_outcome_name(ctx->outcome));
	kag__finding_attack(f, "T1552.007");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = { "secrets", NULL };

const kag__detector_def kag__det_secrets_access = {
	.id = "secrets_access",
	.title = "Secrets read by an identity outside the platform baseline",
	.about = {
		.finds =
			"allowed get/list/watch of secrets by identities that are not "
			"control-plane, node, kube-system service-account or provider components "
			"(impersonated requests are never baseline); list/watch across all "
			"namespaces or in kube-system, and any kube-system read, rank high; one "
			"identity reading secret_burst_threshold distinct secrets by name within "
			"secret_burst_window_us (default 5 in 600 s, event time) is one "
			"correlated verdict (high) with count, first/last time and the secrets' "
			"names",
		.fields = "verb and objectRef.resource select the request",
		.false_positives =
			"operators and CI identities that manage secrets by design; add them to "
			"the baseline policy. Denied reads are rbac_probing's",
		.peers =
			"Falco 'K8s Secret Get/List', Panther Secrets.DumpAllNamespaces / "
			"BulkSecretAccess, Elastic secret access rules, Sigma secrets enumeration",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.state_size = sizeof(kag__burst),
	.verbs = kag__verbs_read,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
