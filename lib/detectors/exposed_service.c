/* exposed_service: services opened beyond the cluster (type NodePort or
 * LoadBalancer, externalIPs) and Ingresses that serve without TLS. Judged
 * on the request body: a full object, a merge patch or JSON Patch
 * operations. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "body-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1133", NULL),
	{ NULL }
};
static const int required[] = { KAG_FIELD_VERB, KAG_FIELD_OBJ_RESOURCE };
static const int wanted[] = { KAG_FIELD_REQUEST_OBJECT, KAG_FIELD_USER_USERNAME, KAG_FIELD_OBJ_NAME };

enum { E_NONE, E_SERVICE, E_SVC_SPEC, E_SVC_TYPE, E_EXTERNAL_IPS, E_INGRESS, E_ING_SPEC,
       E_TLS, E_TLS_ITEM };

static int e_child(int type, const char *key, size_t len)
{
	switch (type) {
	case E_SERVICE:
		return KAG__KEY("spec") ? E_SVC_SPEC : 0;
	case E_SVC_SPEC:
		return KAG__KEY("type") ? E_SVC_TYPE : KAG__KEY("externalIPs") ? E_EXTERNAL_IPS : 0;
	case E_INGRESS:
		return KAG__KEY("spec") ? E_ING_SPEC : 0;
	case E_ING_SPEC:
		return KAG__KEY("tls") ? E_TLS : 0;
	case E_TLS:
		return E_TLS_ITEM;
	default:
		return 0;
	}
}

typedef struct {
	kag_str type;        /* NodePort or LoadBalancer */
	int external_ips;
	int ing_spec;        /* an ingress spec was seen (full object or merge patch) */
	int tls;             /* spec.tls with at least one entry */
	int tls_removed;     /* a patch removes or empties spec.tls */
	int tls_touched;
} e_scan;

static void e_visit(void *ud, int type, json_t *v)
{
	e_scan *s = ud;

	switch (type) {
	case E_SVC_TYPE:
		if (v && json_is_string(v) &&
		    (strcmp(json_string_value(v), "NodePort") == 0 ||
		     strcmp(json_string_value(v), "LoadBalancer") == 0))
			s->type = (kag_str){ json_string_value(v), json_string_length(v) };
		break;
	case E_EXTERNAL_IPS:
		if (v && json_is_array(v) && json_array_size(v))
			s->external_ips = 1;
		break;
	case E_ING_SPEC:
		if (v && json_is_object(v))
			s->ing_spec = 1;
		break;
	case E_TLS:
		s->tls_touched = 1;
		if (v && json_is_array(v) && json_array_size(v))
			s->tls = 1;
		else if (!v || json_is_null(v))
			s->tls_removed = 1; /* JSON Patch remove, merge patch null */
		break;
	case E_TLS_ITEM:
		/* one entry added; removing one entry leaves the others unknown */
		if (v && json_is_object(v))
			s->tls_touched = s->tls = 1;
		break;
	default:
		break;
	}
}

static const kag__body_schema e_schema = { e_child, e_visit, NULL };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	if (kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) || !kag__verb_is(ev, kag__verbs_change))
		return 0;
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "services") ||
	       kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "ingresses");
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], verb[24], ns[96], name[128];
	int service = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "services");
	int create = kag__eq(ev, KAG_FIELD_VERB, "create");
	int patch = kag__eq(ev, KAG_FIELD_VERB, "patch");
	int severity;
	e_scan s;

	if (kag__is_platform(ev, ctx))
		return KAG_OK; /* cloud controllers and add-on managers */
	memset(&s, 0, sizeof(s));
	kag__body_walk_request(&e_schema, service ? E_SERVICE : E_INGRESS, ev, &s);
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb));
	kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns));
	if (kag__usable(ev, KAG_FIELD_OBJ_NAME))
		kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(new)");
	if (service) {
		if (!s.type.ptr && !s.external_ips)
			return KAG_OK;
		if (kag__str_eq(s.type, "NodePort") || s.external_ips)
			severity = create || patch ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW;
		else
			severity = KAG_SEVERITY_LOW; /* load balancers are often public by design */
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
			    "%s service %s/%s by %s: %s%.*s%s", verb, ns, name, user,
			    s.type.ptr ? "type " : "", s.type.ptr ? (int)s.type.len : 0,
			    s.type.ptr ? s.type.ptr : "",
			    s.external_ips ? (s.type.ptr ? ", externalIPs set" : "externalIPs set")
					   : "");
		kag__extra_key(f, "exposure");
		kag__buf_puts(f->extra, "{\"serviceType\":");
		if (s.type.ptr)
			kag__buf_put_json_str(f->extra, s.type.ptr, s.type.len);
		else
			kag__buf_puts(f->extra, "null");
		kag__buf_puts(f->extra, ",\"externalIPs\":");
		kag__buf_puts(f->extra, s.external_ips ? "true}" : "false}");
	} else {
		/* a patch that leaves TLS alone says nothing about it */
		if (patch && !s.tls_touched)
			return KAG_OK;
		if (!patch && !s.ing_spec)
			return KAG_OK;
		if (s.tls)
			return KAG_OK;
		severity = create || s.tls_removed ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW;
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
			    "%s ingress %s/%s by %s: %s", verb, ns, name, user,
			    s.tls_removed ? "TLS removed" : "serves without TLS (no spec.tls)");
		kag__extra_key(f, "exposure");
		kag__buf_puts(f->extra, "{\"ingressTLS\":false}");
	}
	kag__finding_attack(f, "T1133");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = { "services", "ingresses", NULL };

const kag__detector_def kag__det_exposed_service = {
	.id = "exposed_service",
	.title = "Service exposed outside the cluster, or Ingress without TLS",
	.about = {
		.finds =
			"services created, updated or patched to type NodePort (medium) or "
			"LoadBalancer (low), or with externalIPs (medium); ingresses created or "
			"updated without spec.tls, or patched to remove it (medium on create or "
			"removal, low on update); by identities outside the baseline; JSON Patch "
			"operations and merge patches are judged on what they set",
		.fields = "requestObject (spec.type, spec.externalIPs, spec.tls)",
		.false_positives =
			"public load balancers and ingress controllers terminating TLS elsewhere "
			"(a cloud load balancer in front); this is hygiene more than threat, "
			"weigh it with the identity",
		.peers =
			"Falco Create NodePort Service, Ingress Object without TLS Certificate "
			"Created; Panther Service.NodePort.Deployed, Ingress.NoTLS; Elastic "
			"exposed service created with type NodePort",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_REQUEST,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_LOW,
	.verbs = kag__verbs_change,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
