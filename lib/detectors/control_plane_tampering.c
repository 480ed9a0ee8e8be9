/* control_plane_tampering: changes to the machinery that decides what the
 * cluster admits and who it is: admission webhooks and admission policies,
 * the event record (events deleted), cluster DNS (coredns/kube-dns) and the
 * EKS identity map (aws-auth). */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1546", "webhooks configured"),
	KAG__PRIMARY("T1562", "webhooks removed, admission policies changed"),
	KAG__PRIMARY("T1070", "events deleted"),
	KAG__TECHNIQUE("T1565.001", "cluster DNS changed"),
	KAG__TECHNIQUE("T1557", "cluster DNS changed"),
	KAG__TECHNIQUE("T1098.006", "aws-auth changed"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_OBJ_NAME };

enum { T_NONE, T_WEBHOOK, T_POLICY, T_EVENTS, T_DNS, T_AWS_AUTH };

static int target(const kag_event *ev)
{
	static const char *const webhooks[] = { "mutatingwebhookconfigurations",
						"validatingwebhookconfigurations", NULL };
	static const char *const policies[] = { "validatingadmissionpolicies",
						"validatingadmissionpolicybindings",
						"mutatingadmissionpolicies",
						"mutatingadmissionpolicybindings", NULL };
	static const char *const dns[] = { "coredns", "kube-dns", "coredns-custom", NULL };
	static const char *const changes[] = { "update", "patch", "delete", NULL };

	if (kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) || !kag__has(ev, KAG_FIELD_OBJ_RESOURCE))
		return T_NONE;
	if (kag__eq_any(ev, KAG_FIELD_OBJ_RESOURCE, webhooks))
		return kag__verb_is_write(ev) ? T_WEBHOOK : T_NONE;
	if (kag__eq_any(ev, KAG_FIELD_OBJ_RESOURCE, policies))
		return kag__verb_is_write(ev) ? T_POLICY : T_NONE;
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "events"))
		return kag__verb_is_delete(ev) ? T_EVENTS : T_NONE;
	if (!kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "configmaps") ||
	    !kag__eq(ev, KAG_FIELD_OBJ_NAMESPACE, "kube-system"))
		return T_NONE;
	if (kag__eq_any(ev, KAG_FIELD_OBJ_NAME, dns))
		return kag__verb_is(ev, changes) ? T_DNS : T_NONE;
	if (kag__eq(ev, KAG_FIELD_OBJ_NAME, "aws-auth"))
		return kag__verb_is(ev, changes) || kag__eq(ev, KAG_FIELD_VERB, "create")
		       ? T_AWS_AUTH : T_NONE;
	return T_NONE;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return target(ev) != T_NONE;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], verb[24], res[64], name[128], ns[96];
	int t = target(ev), severity;
	int deleting = kag__verb_is_delete(ev);
	const char *what;

	if (kag__is_platform(ev, ctx))
		return KAG_OK; /* add-on managers and the namespace controller */
	switch (t) {
	case T_WEBHOOK:
		what = deleting ? "admission webhook removed (policy enforcement may be gone)"
				: "admission webhook configured (it sees or rewrites admitted objects)";
		severity = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "mutatingwebhookconfigurations") &&
			   !deleting ? KAG_SEVERITY_HIGH : KAG_SEVERITY_MEDIUM;
		kag__finding_attack(f, deleting ? "T1562" : "T1546");
		break;
	case T_POLICY:
		what = deleting ? "admission policy removed" : "admission policy changed";
		severity = KAG_SEVERITY_MEDIUM;
		kag__finding_attack(f, "T1562");
		break;
	case T_EVENTS:
		what = "events deleted (the cluster's activity record)";
		severity = kag__eq(ev, KAG_FIELD_VERB, "deletecollection") ? KAG_SEVERITY_HIGH
									  : KAG_SEVERITY_MEDIUM;
		kag__finding_attack(f, "T1070");
		break;
	case T_DNS:
		what = "cluster DNS configuration changed (name resolution for every pod)";
		severity = KAG_SEVERITY_HIGH;
		kag__finding_attack(f, "T1565.001");
		kag__finding_attack(f, "T1557");
		break;
	case T_AWS_AUTH:
		what = "EKS aws-auth identity map changed (who maps to which Kubernetes groups)";
		severity = KAG_SEVERITY_HIGH;
		kag__finding_attack(f, "T1098.006");
		break;
	default:
		return KAG_OK;
	}
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s %s %s%s%s by %s: %s",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res)),
		    kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
		    ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)) : "",
		    kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? "/" : "",
		    kag__usable(ev, KAG_FIELD_OBJ_NAME)
		    ? kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)) : "(all)",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), what);
	kag__extra_key(f, "tampering");
	kag__buf_puts(f->extra, t == T_WEBHOOK ? "\"admission-webhook\""
			       : t == T_POLICY ? "\"admission-policy\""
			       : t == T_EVENTS ? "\"events-deleted\""
			       : t == T_DNS ? "\"cluster-dns\"" : "\"aws-auth\"");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = {
	"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
	"mutatingadmissionpolicies", "mutatingadmissionpolicybindings", "events",
	"configmaps", NULL
};

const kag__detector_def kag__det_control_plane_tampering = {
	.id = "control_plane_tampering",
	.title = "Control-plane tampering: admission webhooks, events deleted, cluster "
		 "DNS, aws-auth",
	.about = {
		.finds =
			"mutating/validating admission webhook configurations created, changed or "
			"deleted (mutating created or changed: high), admission policies and "
			"their bindings changed; events deleted (deletecollection: high); the "
			"kube-system coredns, kube-dns or coredns-custom configmaps changed or "
			"deleted (high); the kube-system aws-auth configmap created, changed or "
			"deleted (high); by identities outside the baseline",
		.fields = "objectRef.resource/namespace/name",
		.false_positives =
			"cert-manager and policy engines (gatekeeper, kyverno) patching their own "
			"webhooks, infrastructure-as-code pipelines editing aws-auth; add their "
			"identities to trusted_users",
		.peers =
			"Panther AdmissionController.Created; Sigma admission controller "
			"modification, events deleted; Elastic admission webhook, events deleted, "
			"CoreDNS modified, EKS aws-auth modified",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.verbs = kag__verbs_write,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
