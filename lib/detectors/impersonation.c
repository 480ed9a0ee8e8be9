/* impersonation: any request carrying impersonatedUser; severity by how
 * privileged the assumed identity is. Both identities stay in evidence. */
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "identity-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1134", NULL),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_IMP_USERNAME };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	(void)ctx;
	return kag__has(ev, KAG_FIELD_IMP_USER);
}

/* How privileged is the impersonated identity? */
static int target_severity(const kag_event *ev, const char **why)
{
	kag_str u = ev->str[KAG_FIELD_IMP_USERNAME];

	if (kag__list_has(ev, KAG_FIELD_IMP_GROUPS, "system:masters")) {
		*why = "target is in system:masters";
		return KAG_SEVERITY_CRITICAL;
	}
	if (kag__str_eq(u, "system:admin") || kag__str_eq(u, "kubernetes-admin")) {
		*why = "target is a cluster administrator";
		return KAG_SEVERITY_CRITICAL;
	}
	if (kag__str_eq(u, "system:anonymous") ||
	    kag__list_has(ev, KAG_FIELD_IMP_GROUPS, "system:unauthenticated")) {
		*why = "target is anonymous";
		return KAG_SEVERITY_HIGH;
	}
	if (kag__str_prefix(u, "system:serviceaccount:kube-system:")) {
		*why = "target is a kube-system service account";
		return KAG_SEVERITY_HIGH;
	}
	if (kag__str_prefix(u, "system:node:") || kag__list_has(ev, KAG_FIELD_IMP_GROUPS, "system:nodes")) {
		*why = "target is a node identity";
		return KAG_SEVERITY_HIGH;
	}
	if (kag__str_prefix(u, "system:") && !kag__str_prefix(u, "system:serviceaccount:")) {
		*why = "target is a system component";
		return KAG_SEVERITY_HIGH;
	}
	*why = "target is an ordinary identity";
	return KAG_SEVERITY_MEDIUM;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], target[128], verb[32], res[64];
	const char *why;
	int severity = target_severity(ev, &why);

	if (ctx->outcome == KAG_OUTCOME_DENIED && severity > KAG_SEVERITY_LOW)
		severity--;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s acted as %s (%s): %s %s, outcome %s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    kag__show(ev, KAG_FIELD_IMP_USERNAME, target, sizeof(target)), why,
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__has(ev, KAG_FIELD_OBJ_RESOURCE)
			? kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res))
			: kag__show(ev, KAG_FIELD_REQUEST_URI, res, sizeof(res)),
		    kag_outcome_name(ctx->outcome));
	kag__finding_attack(f, "T1134");
	if (ctx->outcome == KAG_OUTCOME_UNKNOWN)
		kag__finding_weaker(f, KAG_FIELD_RESPONSE_CODE);
	return KAG_OK;
}

const kag__detector_def kag__det_impersonation = {
	.id = "impersonation",
	.title = "A request made as another identity (Impersonate-* headers honoured)",
	.about = {
		.finds =
			"any request whose record carries impersonatedUser; the authenticated "
			"user and the impersonated identity (groups, extra) are both kept",
		.severity =
			"critical for system:masters or cluster administrators, high for "
			"anonymous, node, kube-system service-account and system identities, "
			"medium otherwise; one step lower when the request was denied",
		.false_positives =
			"platform tooling that impersonates by design (audit2rbac demos, some CI "
			"systems); never treated as baseline reconciliation",
		.peers =
			"Elastic impersonation rules (privileged targets); no Falco or Sigma "
			"equivalent",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 0,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.applies = applies,
	.judge = judge,
};
