/* hygiene: habits that are not attacks on their own but make one easier
 * to hide or to mount, reported low or info: a ServiceAccount created in a
 * system namespace by an identity outside the platform (an account that
 * blends in with the platform's own), and a pod created in the `default`
 * namespace by a person (workloads without a home, often a quick test or
 * a foothold). */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1136", "service accounts in a system namespace"),
	KAG__TECHNIQUE("T1610", "pods in default"),
	{ NULL }
};
/* Nothing is decisive: a hygiene signal is not worth a needs_context
 * verdict, so a create without a user name or a known outcome says
 * nothing. */
static const int wanted[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_SOURCE_IPS,
			      KAG_FIELD_OBJ_NAME };

enum { H_NONE, H_ACCOUNT, H_DEFAULT_POD };

static int kind_of(const kag_event *ev, const kag__policy *p)
{
	if (kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) || !kag__eq(ev, KAG_FIELD_VERB, "create"))
		return H_NONE;
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "serviceaccounts"))
		return kag__in_system_namespace(ev, p) ? H_ACCOUNT : H_NONE;
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods"))
		return kag__eq(ev, KAG_FIELD_OBJ_NAMESPACE, "default") ? H_DEFAULT_POD : H_NONE;
	return H_NONE;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome != KAG_OUTCOME_ALLOWED || !kag__usable(ev, KAG_FIELD_USER_USERNAME))
		return 0;
	return kind_of(ev, ctx->policy) != H_NONE;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], ns[96], name[128];
	int k = kind_of(ev, ctx->policy);

	if (kag__is_platform(ev, ctx) || (k == H_DEFAULT_POD && !kag__is_person(ev)))
		return KAG_OK;
	if (k == H_DEFAULT_POD && kag__info_unseen(f, ctx, KAG_ASSESSMENT_SUSPICIOUS))
		return KAG_OK;
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns));
	if (kag__usable(ev, KAG_FIELD_OBJ_NAME))
		kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(new)");
	if (k == H_ACCOUNT) {
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_LOW, KAG_CONFIDENCE_HIGH,
			    "%s created serviceaccount %s/%s: an account in a system namespace, "
			    "where it blends in with the platform's own, made by an identity "
			    "outside the platform", user, ns, name);
		kag__finding_attack(f, "T1136");
	} else {
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_INFO, KAG_CONFIDENCE_HIGH,
			    "%s created pod %s/%s by hand in the default namespace: a workload "
			    "outside any application's namespace", user, ns, name);
		kag__finding_attack(f, "T1610");
	}
	kag__extra_key(f, "hygiene");
	kag__buf_puts(f->extra, k == H_ACCOUNT ? "\"system-namespace-serviceaccount\""
					       : "\"default-namespace-pod\"");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = { "serviceaccounts", "pods", NULL };
static const char *const route_verbs[] = { "create", NULL };

const kag__detector_def kag__det_hygiene = {
	.id = "hygiene",
	.title = "Hygiene: service accounts in system namespaces, pods in default",
	.about = {
		.finds =
			"a serviceaccount created in a system namespace by an identity outside "
			"the platform baseline (low), and a pod created in the default "
			"namespace by a person, a user name outside \"system:\" (info, printed "
			"with --all)",
		.fields = "objectRef.resource/namespace; a create without user.username or "
			  "an allowed outcome says nothing (a hygiene signal asks for no "
			  "context)",
		.never =
			"the platform's own accounts and pods, pods that controllers derive "
			"(judged at their workload), service accounts' pods in default, "
			"tokens requested for an account (credential_minting)",
		.false_positives =
			"add-ons installed by hand into kube-system create their accounts there "
			"(a Helm release's accounts are release content, info); a person's "
			"quick test pod in default. Both are hygiene, not threat: weigh them "
			"with the identity and what follows",
		.peers =
			"Falco K8s Serviceaccount Created in Kube Namespace, Create Disallowed "
			"Pod in default; Sigma service account created in kube-system; "
			"Microsoft Defender new container in the default namespace",
	},
	.attack = attack,
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.ctx_severity = KAG_SEVERITY_INFO,
	.verbs = route_verbs,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
