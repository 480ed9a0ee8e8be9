/* rbac_escalation: RBAC objects written so that someone gains power: roles
 * granting wildcards, escalate/bind/impersonate, exec/attach, nodes/proxy,
 * token minting, secret reads or writes; bindings to privileged roles or to
 * anonymous, all-authenticated, all-service-account or default service
 * account subjects; platform (system:) roles and bindings changed or
 * deleted. Patches are judged on what they add. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "body-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1098.006", NULL),
	KAG__TECHNIQUE("T1078.001", "anonymous, all-authenticated or default-account subjects"),
	KAG__TECHNIQUE("T1531", "platform RBAC objects deleted"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_VERB, KAG_FIELD_OBJ_RESOURCE };
static const int wanted[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_OBJ_NAME };

enum {
	R_NONE, R_ROLE, R_RULES, R_RULE, R_VERBS, R_VERB, R_RESOURCES, R_RESOURCE,
	R_BINDING, R_ROLEREF, R_SUBJECTS, R_SUBJECT
};

static int r_child(int type, const char *key, size_t len)
{
	switch (type) {
	case R_ROLE:
		return KAG__KEY("rules") ? R_RULES : 0;
	case R_RULES:
		return R_RULE;
	case R_RULE:
		return KAG__KEY("verbs") ? R_VERBS : KAG__KEY("resources") ? R_RESOURCES : 0;
	case R_VERBS:
		return R_VERB;
	case R_RESOURCES:
		return R_RESOURCE;
	case R_BINDING:
		return KAG__KEY("roleRef") ? R_ROLEREF : KAG__KEY("subjects") ? R_SUBJECTS : 0;
	case R_SUBJECTS:
		return R_SUBJECT;
	default:
		return 0;
	}
}

#define R_MAX 10

enum {
	G_ALL = 1 << 0,          /* "*" verbs on "*" resources */
	G_WILDCARD = 1 << 1,
	G_ESCALATE = 1 << 2,     /* escalate, bind, impersonate */
	G_SENSITIVE = 1 << 3,    /* exec/attach, nodes/proxy, token minting */
	G_SECRETS = 1 << 4,
	G_WRITE_RBAC = 1 << 5,
	G_WRITE = 1 << 6,
	/* binding findings */
	B_PRIV_ROLE = 1 << 8,
	B_BROAD = 1 << 9,        /* anonymous, unauthenticated, all authenticated/SAs */
	B_DEFAULT_SA = 1 << 10,
	B_MASTERS = 1 << 11
};

typedef struct {
	const kag__policy *p;
	int flags;
	size_t n_grants, n_subjects;
	kag_str grants[R_MAX];
	kag_str subjects[R_MAX];   /* kind/name or kind/namespace/name, in subj_buf */
	char subj_buf[R_MAX][160];
	kag_str role_ref;
} r_scan;

static void grant(r_scan *s, int flag, kag_str what)
{
	size_t i;

	s->flags |= flag;
	for (i = 0; i < s->n_grants; i++)
		if (s->grants[i].len == what.len && memcmp(s->grants[i].ptr, what.ptr, what.len) == 0)
			return;
	if (s->n_grants < R_MAX)
		s->grants[s->n_grants++] = what;
}

static kag_str lit(const char *s)
{
	return (kag_str){ s, strlen(s) };
}

static int str_in(kag_str s, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (kag__str_eq(s, list[i]))
			return 1;
	return 0;
}

static const char *const escalating_verbs[] = { "escalate", "bind", "impersonate", NULL };
static const char *const read_verbs[] = { "get", "list", "watch", "*", NULL };
static const char *const write_verbs[] = { "create", "update", "patch", "delete",
					   "deletecollection", "*", NULL };
static const char *const sensitive_resources[] = {
	"pods/exec", "pods/attach", "pods/portforward", "pods/ephemeralcontainers",
	"nodes/proxy", "serviceaccounts/token", "pods/*", "nodes/*", "serviceaccounts/*",
	"certificatesigningrequests/approval", NULL
};
static const char *const rbac_resources[] = {
	"roles", "clusterroles", "rolebindings", "clusterrolebindings",
	"mutatingwebhookconfigurations", "validatingwebhookconfigurations", NULL
};

/* A verb or a resource seen on its own (a JSON Patch adding one). */
static void leaf_verb(r_scan *s, kag_str v)
{
	if (kag__str_eq(v, "*"))
		grant(s, G_WILDCARD, lit("verbs:*"));
	else if (str_in(v, escalating_verbs))
		grant(s, G_ESCALATE, v);
}

static void leaf_resource(r_scan *s, kag_str r)
{
	if (kag__str_eq(r, "*"))
		grant(s, G_WILDCARD, lit("resources:*"));
	else if (str_in(r, sensitive_resources))
		grant(s, G_SENSITIVE, r);
}

static int array_has(json_t *arr, const char *const *list)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (json_is_string(v) &&
		    str_in((kag_str){ json_string_value(v), json_string_length(v) }, list))
			return 1;
	}
	return 0;
}

static void visit_rule(r_scan *s, json_t *rule)
{
	json_t *verbs = json_object_get(rule, "verbs");
	json_t *res = json_object_get(rule, "resources");
	json_t *urls = json_object_get(rule, "nonResourceURLs");
	json_t *v;
	size_t i;
	int reads, writes;

	if (!json_is_array(verbs))
		return;
	reads = array_has(verbs, read_verbs);
	writes = array_has(verbs, write_verbs);
	if (array_has(verbs, (const char *const[]){ "*", NULL }) && json_is_array(res) &&
	    array_has(res, (const char *const[]){ "*", NULL }))
		grant(s, G_ALL, lit("*/*"));
	if (json_is_array(res)) {
		json_array_foreach(res, i, v) {
			kag_str r;

			if (!json_is_string(v))
				continue;
			r = (kag_str){ json_string_value(v), json_string_length(v) };
			if (kag__str_eq(r, "secrets") && reads)
				grant(s, G_SECRETS, lit("secrets:read"));
			if (writes && str_in(r, rbac_resources))
				grant(s, G_WRITE_RBAC, lit("write:rbac"));
			else if (writes)
				grant(s, G_WRITE, lit("write"));
		}
	}
	if (writes && json_is_array(urls) && json_array_size(urls))
		grant(s, G_WRITE, lit("write:nonResourceURLs"));
}

static void add_subject(r_scan *s, json_t *subj)
{
	kag_str kind = kag__json_str(subj, "kind"), name = kag__json_str(subj, "name");
	kag_str ns = kag__json_str(subj, "namespace");
	static const char *const broad[] = { "system:anonymous", "system:unauthenticated",
					     "system:authenticated", "system:serviceaccounts",
					     NULL };
	size_t i = s->n_subjects;

	if (!name.ptr)
		return;
	if (str_in(name, broad) && !kag__str_eq(kind, "ServiceAccount"))
		s->flags |= B_BROAD;
	else if (kag__str_eq(kind, "Group") && kag__str_eq(name, "system:masters"))
		s->flags |= B_MASTERS;
	else if (kag__str_eq(kind, "ServiceAccount") && kag__str_eq(name, "default"))
		s->flags |= B_DEFAULT_SA;
	if (i >= R_MAX)
		return;
	if (ns.ptr)
		snprintf(s->subj_buf[i], sizeof(s->subj_buf[i]), "%.*s/%.*s/%.*s",
			 kind.ptr ? (int)(kind.len > 32 ? 32 : kind.len) : 1, kind.ptr ? kind.ptr : "?",
			 (int)(ns.len > 63 ? 63 : ns.len), ns.ptr,
			 (int)(name.len > 63 ? 63 : name.len), name.ptr);
	else
		snprintf(s->subj_buf[i], sizeof(s->subj_buf[i]), "%.*s/%.*s",
			 kind.ptr ? (int)(kind.len > 32 ? 32 : kind.len) : 1, kind.ptr ? kind.ptr : "?",
			 (int)(name.len > 120 ? 120 : name.len), name.ptr);
	s->subjects[i] = lit(s->subj_buf[i]);
	s->n_subjects++;
}

static void r_visit(void *ud, int type, json_t *v)
{
	r_scan *s = ud;

	if (!v)
		return;
	switch (type) {
	case R_RULE:
		if (json_is_object(v))
			visit_rule(s, v);
		break;
	case R_VERB:
		if (json_is_string(v))
			leaf_verb(s, (kag_str){ json_string_value(v), json_string_length(v) });
		break;
	case R_RESOURCE:
		if (json_is_string(v))
			leaf_resource(s, (kag_str){ json_string_value(v), json_string_length(v) });
		break;
	case R_ROLEREF:
		if (!s->role_ref.ptr)
			s->role_ref = kag__json_str(v, "name");
		break;
	case R_SUBJECT:
		if (json_is_object(v))
			add_subject(s, v);
		break;
	default:
		break;
	}
}

static const kag__body_schema r_schema = { r_child, r_visit, NULL };

static int is_role(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "roles") ||
	       kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "clusterroles");
}

static int is_binding(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "rolebindings") ||
	       kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "clusterrolebindings");
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	if (kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) || !(is_role(ev) || is_binding(ev)))
		return 0;
	return kag__verb_is_write(ev);
}

static int system_name(const kag_event *ev, const kag__policy *p)
{
	kag_str n;

	if (!kag__usable(ev, KAG_FIELD_OBJ_NAME))
		return 0;
	n = ev->str[KAG_FIELD_OBJ_NAME];
	return kag__strlist_prefix(&p->system_role_prefixes, n) &&
	       !kag__strlist_has(&p->system_role_exceptions, n);
}

static void put_strs(kag_buf *b, const char *key, const kag_str *v, size_t n)
{
	size_t i;

	kag__buf_puts(b, ",\"");
	kag__buf_puts(b, key);
	kag__buf_puts(b, "\":[");
	for (i = 0; i < n; i++) {
		if (i)
			kag__buf_putc(b, ',');
		kag__buf_put_json_str(b, v[i].ptr, v[i].len);
	}
	kag__buf_putc(b, ']');
}

static void say_strs(char *buf, size_t size, const kag_str *v, size_t n)
{
	size_t len = strlen(buf), i;

	for (i = 0; i < n && len < size - 1; i++)
		len += snprintf(buf + len, size - len, "%s%.*s", i ? "," : "",
				(int)(v[i].len > 48 ? 48 : v[i].len), v[i].ptr);
}

static int max_sev(int a, int b)
{
	return a > b ? a : b;
}

/* The object and who changed it, as the reasons show them. */
typedef struct {
	char user[128], name[128], res[32], verb[24];
} shown;

static void show(shown *w, const kag_event *ev)
{
	kag__show(ev, KAG_FIELD_USER_USERNAME, w->user, sizeof(w->user));
	kag__show(ev, KAG_FIELD_OBJ_NAME, w->name, sizeof(w->name));
	kag__show(ev, KAG_FIELD_OBJ_RESOURCE, w->res, sizeof(w->res));
	kag__show(ev, KAG_FIELD_VERB, w->verb, sizeof(w->verb));
}

/* A platform RBAC object removed, or modified with its content not in the
 * record: judged on the name alone. */
static void report_system_object(kag_finding *f, const shown *w, int deleting)
{
	if (deleting) {
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_HIGH, KAG_CONFIDENCE_HIGH,
			    "%s %s %s by %s: a platform RBAC object removed", w->verb, w->res,
			    w->name, w->user);
		kag__finding_attack(f, "T1098.006");
		kag__finding_attack(f, "T1531");
	} else {
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_HIGH, KAG_CONFIDENCE_HIGH,
			    "%s %s %s by %s: a platform RBAC object modified (content not in the "
			    "record)", w->verb, w->res, w->name, w->user);
		kag__finding_weaker(f, KAG_FIELD_REQUEST_OBJECT);
		kag__finding_attack(f, "T1098.006");
	}
	kag__extra_key(f, "rbac");
	kag__buf_puts(f->extra, "{\"systemObject\":true}");
}

/* A role's severity from what it grants, and the grants for the reason. */
static int role_severity(const r_scan *s, int cluster, char *what, size_t size)
{
	int severity = 0;

	if (s->flags & G_ALL)
		severity = cluster ? KAG_SEVERITY_CRITICAL : KAG_SEVERITY_HIGH;
	else if (s->flags & (G_WILDCARD | G_ESCALATE | G_SENSITIVE))
		severity = cluster ? KAG_SEVERITY_HIGH : KAG_SEVERITY_MEDIUM;
	else if (s->flags & (G_SECRETS | G_WRITE_RBAC))
		severity = KAG_SEVERITY_MEDIUM;
	else if (s->flags & G_WRITE)
		severity = KAG_SEVERITY_LOW;
	if (s->n_grants) {
		snprintf(what, size, "grants ");
		say_strs(what, size, s->grants, s->n_grants);
	}
	return severity;
}

/* A binding's severity from the role it binds and to whom. */
static int binding_severity(r_scan *s, const kag_event *ev, const kag__ctx *ctx, int cluster)
{
	/* a patch names no roleRef (it is immutable): the response does */
	if (!s->role_ref.ptr && kag__event_body(ev, 1))
		s->role_ref = kag__json_str(json_object_get(kag__event_body(ev, 1), "roleRef"),
					    "name");
	if (s->role_ref.ptr && kag__strlist_has(&ctx->policy->privileged_roles, s->role_ref))
		s->flags |= B_PRIV_ROLE;
	if (s->flags & B_BROAD)
		return s->flags & B_PRIV_ROLE ? KAG_SEVERITY_CRITICAL : KAG_SEVERITY_HIGH;
	if (s->flags & B_PRIV_ROLE)
		return (s->flags & B_DEFAULT_SA) || cluster ? KAG_SEVERITY_HIGH
							    : KAG_SEVERITY_MEDIUM;
	if (s->flags & (B_DEFAULT_SA | B_MASTERS))
		return KAG_SEVERITY_MEDIUM;
	return 0;
}

/* "binds ROLE to SUBJECTS", for the reason. */
static void say_binding(const r_scan *s, char *what, size_t size)
{
	snprintf(what, size, "binds %.*s to ",
		 s->role_ref.ptr ? (int)(s->role_ref.len > 64 ? 64 : s->role_ref.len) : 1,
		 s->role_ref.ptr ? s->role_ref.ptr : "?");
	if (s->n_subjects)
		say_strs(what, size, s->subjects, s->n_subjects);
	else
		snprintf(what + strlen(what), size - strlen(what), "(no subjects)");
}

/* The finding on a role or binding whose content was read. */
static void report_change(kag_finding *f, const shown *w, const r_scan *s, int role, int sys,
			  int severity, const char *what)
{
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s %s %s by %s%s: %s", w->verb, w->res, w->name, w->user,
		    sys ? " (a platform RBAC object)" : "", what);
	kag__finding_attack(f, "T1098.006");
	if (s->flags & (B_BROAD | B_DEFAULT_SA))
		kag__finding_attack(f, "T1078.001");
	kag__extra_key(f, "rbac");
	kag__buf_puts(f->extra, "{\"systemObject\":");
	kag__buf_puts(f->extra, sys ? "true" : "false");
	if (role) {
		put_strs(f->extra, "grants", s->grants, s->n_grants);
	} else {
		kag__buf_puts(f->extra, ",\"roleRef\":");
		if (s->role_ref.ptr)
			kag__buf_put_json_str(f->extra, s->role_ref.ptr, s->role_ref.len);
		else
			kag__buf_puts(f->extra, "null");
		put_strs(f->extra, "subjects", s->subjects, s->n_subjects);
	}
	kag__buf_putc(f->extra, '}');
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char what[240];
	int role = is_role(ev), sys = system_name(ev, ctx->policy);
	int cluster = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "clusterroles") ||
		      kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "clusterrolebindings");
	int severity;
	shown w;
	r_scan s;

	/* the platform maintains its own roles (aggregation, bootstrap) */
	if (kag__is_platform(ev, ctx))
		return KAG_OK;
	show(&w, ev);
	if (kag__verb_is_delete(ev)) {
		if (sys)
			report_system_object(f, &w, 1);
		return KAG_OK;
	}
	memset(&s, 0, sizeof(s));
	s.p = ctx->policy;
	if (!kag__body_walk_request(&r_schema, role ? R_ROLE : R_BINDING, ev, &s)) {
		if (sys)
			report_system_object(f, &w, 0);
		else
			kag__report_needs_body(f, ev, KAG_SEVERITY_MEDIUM,
					       role ? "the rules the role grants"
						    : "the role and subjects the binding names");
		return KAG_OK;
	}
	what[0] = '\0';
	if (role) {
		severity = role_severity(&s, cluster, what, sizeof(what));
	} else {
		severity = binding_severity(&s, ev, ctx, cluster);
		if (!s.role_ref.ptr && !severity && !sys) {
			kag__report(f, KAG_ASSESSMENT_NEEDS_CONTEXT, KAG_SEVERITY_MEDIUM,
				    KAG_CONFIDENCE_LOW,
				    "cannot judge: the %s body names no roleRef (a patch); level "
				    "RequestResponse records the bound role", w.verb);
			kag__finding_weaker(f, KAG_FIELD_RESPONSE_OBJECT);
			return KAG_OK;
		}
		say_binding(&s, what, sizeof(what));
	}
	if (sys)
		severity = max_sev(severity, KAG_SEVERITY_HIGH);
	if (severity)
		report_change(f, &w, &s, role, sys, severity, what);
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = {
	"roles", "clusterroles", "rolebindings", "clusterrolebindings", NULL
};

const kag__detector_def kag__det_rbac_escalation = {
	.id = "rbac_escalation",
	.title = "RBAC change that grants power: privileged bindings, dangerous roles, "
		 "platform roles modified",
	.about = {
		.finds =
			"created, updated or patched roles/clusterroles granting \"*\" verbs or "
			"resources, escalate/bind/impersonate, pods/exec|attach|portforward, "
			"nodes/proxy, serviceaccounts/token, secret reads, writes to RBAC objects "
			"or webhooks (medium) or any other write (low); created, updated or "
			"patched (cluster)rolebindings to a privileged role (policy "
			"privileged_roles: cluster-admin, admin, ...) or to system:anonymous, "
			"system:unauthenticated, system:authenticated, system:serviceaccounts or "
			"a default service account; platform roles and bindings (policy "
			"system_role_prefixes, minus system_role_exceptions) modified or deleted; "
			"patches are judged on what they add, a binding patch takes its roleRef "
			"from the response body",
		.fields = "objectRef.name; requestObject (rules, roleRef, subjects)",
		.level =
			"role and binding content needs Request, needs_context without it; "
			"Metadata suffices for platform roles modified or deleted",
		.false_positives =
			"platform identities maintaining their own roles are never flagged; "
			"roles and binding patches below high written by helm in a Helm release "
			"window, and requests inside a known component's rules, are info; "
			"findings ranked high (privileged bindings, wildcard roles) stay, "
			"whoever writes them; role updates are judged like creates",
		.peers =
			"Falco Attach to cluster-admin Role, ClusterRole With Wildcard / Write "
			"Privileges / Pod Exec Created, System ClusterRole Modified/Deleted; "
			"Panther ClusterRoleBinding.Privileged, Role.Wildcard / PodExec / "
			"NodeProxyPermissions / WritePermissions, SystemRole.Modified; Elastic "
			"cluster-admin binding, sensitive role, wildcard elevation; GuardDuty "
			"AnonymousAccessGranted, AdminAccessToDefaultServiceAccount",
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
