/* secrets_access: allowed reads of Secrets by identities outside the
 * baseline; cluster-wide and kube-system listings rank higher. */
#include <string.h>

#include "detector-private.h"

static const char *const attack[] = { "T1552.007", NULL };
static const int required[] = { KAG_FIELD_USER_USERNAME };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* Denied reads are rbac_probing's; failed ones read nothing. */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") &&
	       !kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) &&
	       (kag__eq(ev, KAG_FIELD_VERB, "get") || kag__eq(ev, KAG_FIELD_VERB, "list") ||
		kag__eq(ev, KAG_FIELD_VERB, "watch"));
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
	if (ctx->identity != KAG__ID_NONE && !impersonated)
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

const kag__detector_def kag__det_secrets_access = {
	.id = "secrets_access",
	.title = "Secrets read by an identity outside the platform baseline",
	.doc =
		"finds: allowed get/list/watch of secrets by identities that are not\n"
		"  control-plane, node, kube-system service-account or provider components\n"
		"  (impersonated requests are never baseline); list/watch across all\n"
		"  namespaces or in kube-system, and any kube-system read, rank high\n"
		"decisive fields: user.username, verb, objectRef.resource, outcome\n"
		"level: Metadata\n"
		"ATT&CK: T1552.007\n"
		"false positives: operators and CI identities that manage secrets by\n"
		"  design; add them to the baseline policy. Denied reads are rbac_probing's\n"
		"peer rules: Falco 'K8s Secret Get/List', Panther Secrets.DumpAllNamespaces /\n"
		"  BulkSecretAccess, Elastic secret access rules, Sigma secrets enumeration",
	.attack = attack,
	.required = required,
	.n_required = sizeof(required) / sizeof(required[0]),
	.wanted = wanted,
	.n_wanted = sizeof(wanted) / sizeof(wanted[0]),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.applies = applies,
	.judge = judge,
};
