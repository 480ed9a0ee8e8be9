/* control_plane_tampering: changes to the machinery that decides what the
 * cluster admits and who it is: admission webhooks and admission policies,
 * the event record (events deleted), cluster DNS (coredns/kube-dns), service
 * routing (kube-proxy's configuration) and the
 * EKS identity map (aws-auth). A webhook's certificate rotated by the
 * account of the component that owns it is info. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "body-private.h"
#include "caller-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1546", "webhooks configured"),
	KAG__PRIMARY("T1562", "webhooks removed, admission policies changed"),
	KAG__PRIMARY("T1070", "events deleted"),
	KAG__TECHNIQUE("T1565.001", "cluster DNS changed"),
	KAG__TECHNIQUE("T1557", "cluster DNS or kube-proxy changed"),
	KAG__TECHNIQUE("T1098.006", "aws-auth changed"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_OBJ_NAME };

enum { T_NONE, T_WEBHOOK, T_POLICY, T_EVENTS, T_DNS, T_PROXY, T_AWS_AUTH };

static int target(const kag_event *ev)
{
	static const char *const webhooks[] = { "mutatingwebhookconfigurations",
						"validatingwebhookconfigurations", NULL };
	static const char *const policies[] = { "validatingadmissionpolicies",
						"validatingadmissionpolicybindings",
						"mutatingadmissionpolicies",
						"mutatingadmissionpolicybindings", NULL };
	static const char *const dns[] = { "coredns", "kube-dns", "coredns-custom", NULL };
	/* kubeadm's and EKS's names for kube-proxy's configuration */
	static const char *const proxy[] = { "kube-proxy", "kube-proxy-config", NULL };
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
	if (kag__eq_any(ev, KAG_FIELD_OBJ_NAME, proxy))
		return kag__verb_is(ev, changes) ? T_PROXY : T_NONE;
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

/* ---- webhook configurations rotated by their owners ---- */

/* What a webhook configuration write's body shows. */
typedef struct {
	int body;            /* a request body was logged */
	int only_ca_bundle;  /* a patch that sets caBundle values and nothing else */
	int own_service;     /* a clientConfig names a service in the caller's namespace */
	int foreign;         /* a clientConfig names a URL, or a service elsewhere */
	char foreign_what[96];
} hook_body;

/* "/webhooks/<n>/clientConfig/caBundle" */
static int ca_bundle_path(kag_str p)
{
	static const char head[] = "/webhooks/", tail[] = "/clientConfig/caBundle";
	size_t i = sizeof(head) - 1, digits = 0;

	if (!kag__str_prefix(p, head))
		return 0;
	while (i < p.len && p.ptr[i] >= '0' && p.ptr[i] <= '9') {
		i++;
		digits++;
	}
	return digits && p.len - i == sizeof(tail) - 1 &&
	       memcmp(p.ptr + i, tail, sizeof(tail) - 1) == 0;
}

/* Every member of obj is one of the names (NULL-terminated). */
static int only_members(json_t *obj, const char *const *names)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return 0;
	json_object_foreach(obj, key, v) {
		for (i = 0; names[i] && strcmp(names[i], key) != 0; i++)
			;
		if (!names[i])
			return 0;
	}
	return 1;
}

/* A merge or apply patch of caBundle values alone: its webhooks carry
 * their name and a clientConfig of caBundle only. */
static int object_only_ca_bundle(json_t *body)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "webhooks", NULL };
	static const char *const meta[] = { "name", "resourceVersion", NULL };
	static const char *const hook[] = { "name", "clientConfig", NULL };
	static const char *const cc[] = { "caBundle", NULL };
	json_t *hooks = json_object_get(body, "webhooks"), *h;
	size_t i;

	if (!only_members(body, top) || !json_is_array(hooks) || !json_array_size(hooks) ||
	    (json_object_get(body, "metadata") && !only_members(json_object_get(body, "metadata"), meta)))
		return 0;
	json_array_foreach(hooks, i, h) {
		if (!only_members(h, hook) || !only_members(json_object_get(h, "clientConfig"), cc))
			return 0;
	}
	return 1;
}

static int patch_only_ca_bundle(json_t *ops)
{
	json_t *op;
	size_t i;

	if (!json_array_size(ops))
		return 0;
	json_array_foreach(ops, i, op) {
		kag_str kind = kag__json_str(op, "op");

		if (!(kag__str_eq(kind, "add") || kag__str_eq(kind, "replace")) ||
		    !ca_bundle_path(kag__json_str(op, "path")))
			return 0;
	}
	return 1;
}

/* The clientConfig of each webhook of an object body: a service in the
 * caller's namespace, or somewhere else (a URL, another namespace). */
static void client_configs(json_t *body, const kag__caller *c, hook_body *hb)
{
	json_t *hooks = json_object_get(body, "webhooks"), *h;
	size_t i;

	json_array_foreach(hooks, i, h) {
		json_t *cc = json_object_get(h, "clientConfig");
		json_t *svc = json_object_get(cc, "service");
		kag_str url = kag__json_str(cc, "url"), ns = kag__json_str(svc, "namespace");

		if (url.ptr) {
			hb->foreign = 1;
			snprintf(hb->foreign_what, sizeof(hb->foreign_what), "URL %.*s",
				 (int)(url.len > 80 ? 80 : url.len), url.ptr);
		} else if (ns.ptr && ns.len == c->sa_ns.len &&
			   memcmp(ns.ptr, c->sa_ns.ptr, ns.len) == 0) {
			hb->own_service = 1;
		} else if (ns.ptr) {
			hb->foreign = 1;
			snprintf(hb->foreign_what, sizeof(hb->foreign_what),
				 "a service in namespace %.*s", (int)(ns.len > 63 ? 63 : ns.len),
				 ns.ptr);
		}
	}
}

static void read_hook_body(const kag_event *ev, const kag__caller *c, hook_body *hb)
{
	json_t *body = kag__event_body(ev, 0);

	memset(hb, 0, sizeof(*hb));
	if (!body)
		return;
	hb->body = 1;
	if (json_is_array(body)) {
		hb->only_ca_bundle = kag__eq(ev, KAG_FIELD_VERB, "patch") &&
				     patch_only_ca_bundle(body);
		return;
	}
	if (!json_is_object(body))
		return;
	hb->only_ca_bundle = kag__eq(ev, KAG_FIELD_VERB, "patch") && object_only_ca_bundle(body);
	client_configs(body, c, hb);
}

/* The configuration's name begins with the caller's namespace or name,
 * as a word ("ingress-nginx-admission" for ingress-nginx). */
static int named_after(const kag_event *ev, const kag__caller *c)
{
	kag_str n = ev->str[KAG_FIELD_OBJ_NAME];
	const kag_str *who[2] = { &c->sa_ns, &c->sa_name };
	size_t i;

	if (!kag__usable(ev, KAG_FIELD_OBJ_NAME))
		return 0;
	for (i = 0; i < 2; i++) {
		kag_str w = *who[i];

		if (n.len >= w.len && memcmp(n.ptr, w.ptr, w.len) == 0 &&
		    (n.len == w.len || n.ptr[w.len] == '-' || n.ptr[w.len] == '.'))
			return 1;
	}
	return 0;
}

/* An update or patch of a webhook configuration by the service account of
 * the component that owns it, through an in-cluster client from a private
 * address: certificate rotation. */
static int owner_rotation(const kag_event *ev, const kag__caller *c, const hook_body *hb)
{
	static const char *const rotate[] = { "update", "patch", NULL };

	if (!kag__verb_is(ev, rotate) || !kag__caller_is_operator(c) || hb->foreign)
		return 0;
	if (hb->only_ca_bundle || hb->own_service)
		return 1;
	/* no body logged (Metadata level): the name is all there is */
	return !hb->body && named_after(ev, c);
}

static int report_rotation(kag_finding *f, const kag_event *ev, kag__ctx *ctx,
			   const hook_body *hb)
{
	char user[128], verb[24], res[64], name[128];

	if (kag__info_unseen(f, ctx, KAG_ASSESSMENT_BENIGN))
		return KAG_OK;
	kag__report(f, KAG_ASSESSMENT_BENIGN, KAG_SEVERITY_INFO, KAG_CONFIDENCE_HIGH,
		    "%s %s %s by %s: certificate rotation by the component that owns it (%s; "
		    "in-cluster client, private address)",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res)),
		    kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)),
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    hb->only_ca_bundle ? "a patch of caBundle only"
		    : hb->own_service ? "its webhooks call a service in the account's namespace"
		    : "named after the account; no body logged");
	kag__extra_key(f, "tampering");
	kag__buf_puts(f->extra, "\"admission-webhook\"");
	kag__extra_key(f, "routine");
	kag__buf_puts(f->extra, "\"owner-rotation\"");
	return KAG_OK;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], verb[24], res[64], name[128], ns[96], towards[128] = "";
	int t = target(ev), severity;
	int deleting = kag__verb_is_delete(ev);
	const char *what;
	hook_body hb;
	kag__caller c;

	kag__caller_get(&c, ctx, ev);
	/* add-on managers and the namespace controller, unless their
	 * credential is being used by hand */
	if (kag__is_platform(ev, ctx) && !kag__caller_suspect(&c))
		return KAG_OK;
	switch (t) {
	case T_WEBHOOK:
		read_hook_body(ev, &c, &hb);
		if (owner_rotation(ev, &c, &hb))
			return report_rotation(f, ev, ctx, &hb);
		what = deleting ? "admission webhook removed (policy enforcement may be gone)"
				: "admission webhook configured (it sees or rewrites admitted objects)";
		severity = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "mutatingwebhookconfigurations") &&
			   !deleting ? KAG_SEVERITY_HIGH : KAG_SEVERITY_MEDIUM;
		if (hb.foreign && !deleting) {
			snprintf(towards, sizeof(towards), "; it calls %s", hb.foreign_what);
			/* a URL receives every admitted object the rules select */
			if (hb.foreign_what[0] == 'U')
				severity = KAG_SEVERITY_HIGH;
		}
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
	case T_PROXY:
		what = "kube-proxy configuration changed (service routing on every node)";
		severity = KAG_SEVERITY_HIGH;
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
		    "%s %s %s%s%s by %s: %s%s",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res)),
		    kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
		    ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)) : "",
		    kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? "/" : "",
		    kag__usable(ev, KAG_FIELD_OBJ_NAME)
		    ? kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)) : "(all)",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), what, towards);
	kag__extra_key(f, "tampering");
	kag__buf_puts(f->extra, t == T_WEBHOOK ? "\"admission-webhook\""
			       : t == T_POLICY ? "\"admission-policy\""
			       : t == T_EVENTS ? "\"events-deleted\""
			       : t == T_DNS ? "\"cluster-dns\""
			       : t == T_PROXY ? "\"kube-proxy\"" : "\"aws-auth\"");
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
		 "DNS, kube-proxy, aws-auth",
	.about = {
		.finds =
			"mutating/validating admission webhook configurations created, changed or "
			"deleted (mutating created or changed: high), admission policies and "
			"their bindings changed; events deleted (deletecollection: high); the "
			"kube-system coredns, kube-dns or coredns-custom configmaps changed or "
			"deleted (high); the kube-system kube-proxy or kube-proxy-config "
			"configmap (service routing on every node) changed or "
			"deleted (high); the kube-system aws-auth configmap created, changed or "
			"deleted (high); by identities outside the baseline",
		.fields = "objectRef.resource/namespace/name",
		.severity =
			"info (benign, evidence.routine \"owner-rotation\"): a webhook "
			"configuration updated or patched by a service account whose groups "
			"name its namespace, through an in-cluster client (a userAgent naming "
			"no tool) from a private or trusted address, when the body is a patch "
			"of caBundle values alone (a JSON Patch of "
			"/webhooks/N/clientConfig/caBundle, or a merge or apply patch of "
			"webhooks' names and caBundle), or names a service in the account's "
			"namespace and no URL or other namespace, or, with no body logged, "
			"when the configuration is named after the account's namespace or "
			"name; a webhook that calls a URL is high, and the reason names what a "
			"webhook calls outside the writer's namespace",
		.false_positives =
			"infrastructure-as-code pipelines editing aws-auth and webhooks; add "
			"their identities to trusted_users. A webhook configuration written by "
			"helm in a Helm release window ranks low at most (a webhook sees or "
			"rewrites every object it is sent: it stays visible); its content "
			"(URL, a service elsewhere) keeps its rank. Created and deleted webhooks, and "
			"changes by anyone else (a person, kubectl or curl, a public address), "
			"keep their rank. Limits, what an attacker holding the owning "
			"account's token from inside the cluster can do unflagged: a caBundle "
			"patch can make the API server trust the attacker's certificate (with "
			"control of the service's endpoints: reading every admitted object) or "
			"break TLS so that a failurePolicy Ignore webhook stops enforcing; an "
			"update is not diffed against the stored object, so it may also loosen "
			"rules or failurePolicy; without a body only the name is judged",
		.peers =
			"Panther AdmissionController.Created; Sigma admission controller "
			"modification, events deleted; Elastic admission webhook, events deleted, "
			"CoreDNS modified, EKS aws-auth modified; Microsoft Defender and GKE "
			"Event Threat Detection kube-proxy configuration modified",
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
