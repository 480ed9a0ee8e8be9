/* exposed_service: services opened beyond the cluster (type NodePort or
 * LoadBalancer, externalIPs, source ranges open to the world), ranked by
 * what they expose (an admin UI, a database port), and Ingresses that
 * serve without TLS. Judged on the request body: a full object, a merge
 * patch or JSON Patch operations. */
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

enum { E_NONE, E_SERVICE, E_SVC_META, E_SVC_NAME, E_SVC_LABELS, E_SVC_LABEL, E_SVC_SPEC,
       E_SVC_TYPE, E_EXTERNAL_IPS, E_SOURCE_RANGES, E_SOURCE_RANGE, E_PORTS, E_PORT,
       E_PORT_NUMBER, E_SELECTOR, E_INGRESS, E_ING_SPEC, E_TLS, E_TLS_ITEM };

static int e_child(int type, const char *key, size_t len)
{
	switch (type) {
	case E_SERVICE:
		return KAG__KEY("spec") ? E_SVC_SPEC : KAG__KEY("metadata") ? E_SVC_META : 0;
	case E_SVC_META:
		return KAG__KEY("name") ? E_SVC_NAME : KAG__KEY("labels") ? E_SVC_LABELS : 0;
	case E_SVC_LABELS:
	case E_SELECTOR:
		return E_SVC_LABEL;
	case E_SVC_SPEC:
		return KAG__KEY("type") ? E_SVC_TYPE
		       : KAG__KEY("externalIPs") ? E_EXTERNAL_IPS
		       : KAG__KEY("loadBalancerSourceRanges") ? E_SOURCE_RANGES
		       : KAG__KEY("ports") ? E_PORTS
		       : KAG__KEY("selector") ? E_SELECTOR : 0;
	case E_SOURCE_RANGES:
		return E_SOURCE_RANGE;
	case E_PORTS:
		return E_PORT;
	case E_PORT:
		return KAG__KEY("port") || KAG__KEY("targetPort") ? E_PORT_NUMBER : 0;
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

/* What a service puts in reach: an administrative UI, known by the name
 * of the service, its labels or selector; a database or cache port. */
#define W_ADMIN_LEN 24
typedef struct {
	kag_str type;        /* NodePort or LoadBalancer */
	int external_ips;
	int open_world;      /* loadBalancerSourceRanges names 0.0.0.0/0 or ::/0 */
	char admin[W_ADMIN_LEN];   /* the admin UI named, or "" */
	int db_port;         /* the first database or cache port, or 0 */
	int ing_spec;        /* an ingress spec was seen (full object or merge patch) */
	int tls;             /* spec.tls with at least one entry */
	int tls_removed;     /* a patch removes or empties spec.tls */
	int tls_touched;
} e_scan;

/* Administrative UIs, each matched as a word at the start of a name or
 * label value or after one of "-._/": "kubernetes-dashboard",
 * "argocd-server", "prometheus-k8s"; not "cargo". */
static const char *const admin_uis[] = {
	"dashboard", "kubeflow", "argo", "jupyter", "grafana", "prometheus", NULL
};

/* v begins with the lower-case word w, ignoring case. */
static int begins_word(const char *v, size_t n, const char *w)
{
	size_t i;

	for (i = 0; w[i]; i++)
		if (i >= n || (v[i] | 0x20) != w[i])
			return 0;
	return 1;
}

static const char *admin_named(const char *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (i && !strchr("-._/", v[i - 1]))
			continue;
		for (j = 0; admin_uis[j]; j++)
			if (begins_word(v + i, n - i, admin_uis[j]))
				return admin_uis[j];
	}
	return NULL;
}

/* Database and cache ports: PostgreSQL, MySQL, Redis, MongoDB,
 * Elasticsearch, etcd; and the admin UIs' own ports: Prometheus, Jupyter,
 * Argo Workflows. */
static const int db_ports[] = { 5432, 3306, 6379, 27017, 9200, 2379, 0 };
static const struct { int port; const char *ui; } admin_ports[] = {
	{ 9090, "prometheus" }, { 8888, "jupyter" }, { 2746, "argo" }, { 0, NULL }
};

static void e_port(e_scan *s, json_int_t port)
{
	size_t i;

	for (i = 0; db_ports[i]; i++)
		if (port == db_ports[i] && !s->db_port)
			s->db_port = db_ports[i];
	for (i = 0; admin_ports[i].port; i++)
		if (port == admin_ports[i].port && !s->admin[0])
			snprintf(s->admin, sizeof(s->admin), "%s", admin_ports[i].ui);
}

static void e_name(e_scan *s, json_t *v)
{
	const char *ui;

	if (s->admin[0] || !v || !json_is_string(v))
		return;
	ui = admin_named(json_string_value(v), json_string_length(v));
	if (ui)
		snprintf(s->admin, sizeof(s->admin), "%s", ui);
}

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
	case E_SOURCE_RANGE:
		if (v && json_is_string(v) && (strcmp(json_string_value(v), "0.0.0.0/0") == 0 ||
					       strcmp(json_string_value(v), "::/0") == 0))
			s->open_world = 1;
		break;
	case E_PORT_NUMBER:
		if (v && json_is_integer(v))
			e_port(s, json_integer_value(v));
		break;
	case E_SVC_NAME:
	case E_SVC_LABEL:
		e_name(s, v);
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

static void e_name_str(e_scan *s, kag_str v)
{
	const char *ui = admin_named(v.ptr, v.len);

	if (ui)
		snprintf(s->admin, sizeof(s->admin), "%s", ui);
}

/* A NodePort or externalIPs reach every node's or the given addresses
 * (medium when set by create or patch); a load balancer is often public by
 * design (low) unless its source ranges say the whole world in so many
 * words (medium). What it exposes ranks it: an admin UI or a database port
 * is high when set by create or patch, medium on an update (which restates
 * the whole object). */
static int service_severity(const e_scan *s, int set)
{
	int severity = KAG_SEVERITY_LOW;

	if ((kag__str_eq(s->type, "NodePort") || s->external_ips) && set)
		severity = KAG_SEVERITY_MEDIUM;
	if (s->open_world)
		severity = KAG_SEVERITY_MEDIUM;
	if (s->admin[0] || s->db_port)
		severity = set ? KAG_SEVERITY_HIGH : KAG_SEVERITY_MEDIUM;
	return severity;
}

static void report_service(kag_finding *f, const e_scan *s, int set, const char *verb,
			   const char *ns, const char *name, const char *user)
{
	char how[160], what[96] = "";

	snprintf(how, sizeof(how), "%s%.*s%s%s", s->type.ptr ? "type " : "",
		 s->type.ptr ? (int)s->type.len : 0, s->type.ptr ? s->type.ptr : "",
		 s->external_ips ? (s->type.ptr ? ", externalIPs set" : "externalIPs set") : "",
		 s->open_world ? (s->type.ptr || s->external_ips
				  ? ", loadBalancerSourceRanges open to the world"
				  : "loadBalancerSourceRanges open to the world") : "");
	if (s->admin[0])
		snprintf(what, sizeof(what), "; exposes an admin UI (%s)", s->admin);
	else if (s->db_port)
		snprintf(what, sizeof(what), "; exposes a database or cache port (%d)", s->db_port);
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, service_severity(s, set), KAG_CONFIDENCE_HIGH,
		    "%s service %s/%s by %s: %s%s", verb, ns, name, user, how, what);
	kag__extra_key(f, "exposure");
	kag__buf_puts(f->extra, "{\"serviceType\":");
	if (s->type.ptr)
		kag__buf_put_json_str(f->extra, s->type.ptr, s->type.len);
	else
		kag__buf_puts(f->extra, "null");
	kag__buf_puts(f->extra, ",\"externalIPs\":");
	kag__buf_puts(f->extra, s->external_ips ? "true" : "false");
	kag__buf_puts(f->extra, ",\"openToWorld\":");
	kag__buf_puts(f->extra, s->open_world ? "true" : "false");
	kag__buf_puts(f->extra, ",\"adminUI\":");
	if (s->admin[0])
		kag__buf_put_json_str(f->extra, s->admin, strlen(s->admin));
	else
		kag__buf_puts(f->extra, "null");
	kag__buf_puts(f->extra, ",\"databasePort\":");
	if (s->db_port) {
		char port[16];

		snprintf(port, sizeof(port), "%d}", s->db_port);
		kag__buf_puts(f->extra, port);
	} else {
		kag__buf_puts(f->extra, "null}");
	}
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
		if (!s.admin[0] && kag__usable(ev, KAG_FIELD_OBJ_NAME))
			e_name_str(&s, ev->str[KAG_FIELD_OBJ_NAME]);
		if (!s.type.ptr && !s.external_ips && !s.open_world)
			return KAG_OK;
		report_service(f, &s, create || patch, verb, ns, name, user);
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
			"LoadBalancer (low), or with externalIPs (medium), or with "
			"loadBalancerSourceRanges naming 0.0.0.0/0 or ::/0 (medium); ranked by "
			"what the service exposes: an administrative UI (the Kubernetes "
			"dashboard, Kubeflow, Argo, Jupyter, Grafana, Prometheus, known by the "
			"service's name, labels or selector, or by ports 9090, 8888 and 2746) or "
			"a database or cache port (5432, 3306, 6379, 27017, 9200, 2379) is high "
			"when created or patched, medium when updated; ingresses created or "
			"updated without spec.tls, or patched to remove it (medium on create or "
			"removal, low on update); by identities outside the baseline; JSON Patch "
			"operations and merge patches are judged on what they set",
		.fields = "requestObject (spec.type, spec.externalIPs, "
			  "spec.loadBalancerSourceRanges, spec.ports, spec.selector, "
			  "metadata.name and labels, spec.tls)",
		.false_positives =
			"public load balancers and ingress controllers terminating TLS elsewhere "
			"(a cloud load balancer in front); this is hygiene more than threat, "
			"weigh it with the identity. A plain web load balancer stays low; an "
			"admin UI or database behind a load balancer whose firewall or source "
			"ranges are set outside the object (a cloud security group) is still "
			"ranked by what it exposes: the record cannot show that firewall. An "
			"admin name is matched as a word (\"argocd-server\", not \"cargo\")",
		.peers =
			"Falco Create NodePort Service, Ingress Object without TLS Certificate "
			"Created; Microsoft Defender exposed Kubernetes dashboard, Kubeflow, "
			"Argo, Jupyter, Grafana and Prometheus services, exposed database "
			"services; GKE Event Threat Detection exposed services; Panther "
			"Service.NodePort.Deployed, Ingress.NoTLS; Elastic "
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
