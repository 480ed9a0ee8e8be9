/* controller_baseline: benign verdicts for platform identities doing their
 * own reconciliation, so that "why was this not flagged" has an answer.
 * Matched on the authenticated identity, never on userAgent; never for
 * interactive access or impersonation. */
#include <string.h>

#include "caller-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "identity-private.h"
#include "request-private.h"

static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* a denial or a failure is not reconciliation */
	if (!kag__is_platform(ev, ctx) || ctx->outcome == KAG_OUTCOME_DENIED ||
	    ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	/* a platform credential used by a person's client or from a public
	 * address is not the platform reconciling: the baseline stands down
	 * (userAgent can only take the baseline away, never grant it).
	 * Provider components run in the provider's public ranges. */
	if (kag__caller_tool(ctx, ev) ||
	    (ctx->identity != KAG__ID_PROVIDER && kag__caller_source(ctx, ev) == KAG__SOURCE_PUBLIC))
		return 0;
	return !kag__is_pod_session(ev) &&
	       !(kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods") &&
		 kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "ephemeralcontainers"));
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], verb[32], res[64], ns[96];

	if (!ctx->emit_benign) {
		/* the session leaves benign verdicts out: no reason to format */
		f->reported = 1;
		f->assessment = KAG_ASSESSMENT_BENIGN;
		f->severity = KAG_SEVERITY_INFO;
		return KAG_OK;
	}
	kag__report(f, KAG_ASSESSMENT_BENIGN, KAG_SEVERITY_INFO, KAG_CONFIDENCE_HIGH,
		    "identity class '%s' (%s) reconciling: %s %s in %s",
		    kag__identity_class_name(ctx->identity),
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__has(ev, KAG_FIELD_OBJ_RESOURCE)
			? kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res))
			: kag__show(ev, KAG_FIELD_REQUEST_URI, res, sizeof(res)),
		    kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
			? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns))
			: "cluster scope");
	kag__buf_puts(f->extra, "\"identityClass\":");
	kag__buf_put_json_str(f->extra, kag__identity_class_name(ctx->identity),
			      strlen(kag__identity_class_name(ctx->identity)));
	return KAG_OK;
}

const kag__detector_def kag__det_controller_baseline = {
	.id = "controller_baseline",
	.title = "Platform identity reconciling its own objects (benign)",
	.about = {
		.finds =
			"allowed requests by control-plane components (kube-controller-manager, "
			"kube-scheduler, apiserver, kube-proxy), nodes (system:node:*, group "
			"system:nodes), kube-system service accounts, provider components (eks:*, "
			"system:gke-*, aksService) and platform operators "
			"(system:serviceaccount:openshift-*); groups must agree when present",
		.fields = "user.groups when present",
		.never =
			"on userAgent alone, for exec/attach/port-forward/ephemeral containers, "
			"for impersonated requests, or for denied requests; nor when the "
			"client is a person's (kubectl, curl, wget, a scripting library's HTTP "
			"client, a browser) or, but for provider components, the source "
			"address is public (not in trusted_networks), and never beside a suspicious or malicious verdict "
			"of another detector on the same request (the baseline stands down: "
			"one request tells one story)",
		.false_positives =
			"a benign verdict says that a platform identity's credential was used, "
			"not that the platform sent it: a stolen node or kube-system "
			"service-account token reads as reconciliation here (public_source, "
			"node_proxy and privileged_workload still judge such requests); "
			"trusted_users widens the baseline of every detector, so list only "
			"identities that reconcile by design",
		.peers =
			"Falco's allowed-user macros, Elastic's operator exclusions, as an "
			"explicit verdict instead of a silent exception",
	},
	KAG__REQUIRED(required),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_INFO,
	.benign_only = 1,
	.applies = applies,
	.judge = judge,
};
