/* A verdict in another record schema: an OCSF Detection Finding (class
 * 2004, OCSF 1.3.0) carrying the audit call as API Activity evidence, or
 * an ECS 8.11 document (kubernetes.audit.* as Elastic's Kubernetes audit
 * integration names it). README "OCSF and ECS" has the mapping as a table.
 *
 * Both are made from kag's own record, the reference: its evidence is
 * already redacted (requestURI query values, exec commands), and the
 * opted-in bodies (requestObject, responseObject) are never copied, so no
 * schema shows more than kag's record. A rendering is made when first asked
 * for and kept with the verdict: the judging path and kag_verdict_json()
 * pay nothing for it. */
#include <jansson.h>
#include <string.h>

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

#include "kag_version.h"
#include "verdict-private.h"

#define OCSF_VERSION "1.3.0"
#define ECS_VERSION "8.11.0"
#define ATTACK_VERSION "14"

/* ---- ATT&CK: names and tactics of the techniques kag's detectors report
 * (ATT&CK Enterprise v14). Caller rules may name others: those keep their
 * id alone. ---- */

typedef struct {
	const char *id, *name;     /* a sub-technique's name without its parent's */
	const char *parent;        /* a sub-technique's parent's name, else NULL */
	const char *tactic_id, *tactic;
} technique;

static const technique techniques[] = {
	{ "T1036.005", "Match Legitimate Name or Location", "Masquerading", "TA0005", "Defense Evasion" },
	{ "T1053.007", "Container Orchestration Job", "Scheduled Task/Job", "TA0002", "Execution" },
	{ "T1059.004", "Unix Shell", "Command and Scripting Interpreter", "TA0002", "Execution" },
	{ "T1069.003", "Cloud Groups", "Permission Groups Discovery", "TA0007", "Discovery" },
	{ "T1070", "Indicator Removal", NULL, "TA0005", "Defense Evasion" },
	{ "T1078", "Valid Accounts", NULL, "TA0001", "Initial Access" },
	{ "T1078.001", "Default Accounts", "Valid Accounts", "TA0001", "Initial Access" },
	{ "T1090", "Proxy", NULL, "TA0011", "Command and Control" },
	{ "T1098", "Account Manipulation", NULL, "TA0003", "Persistence" },
	{ "T1098.006", "Additional Container Cluster Roles", "Account Manipulation", "TA0003", "Persistence" },
	{ "T1133", "External Remote Services", NULL, "TA0001", "Initial Access" },
	{ "T1134", "Access Token Manipulation", NULL, "TA0004", "Privilege Escalation" },
	{ "T1136", "Create Account", NULL, "TA0003", "Persistence" },
	{ "T1485", "Data Destruction", NULL, "TA0040", "Impact" },
	{ "T1489", "Service Stop", NULL, "TA0040", "Impact" },
	{ "T1528", "Steal Application Access Token", NULL, "TA0006", "Credential Access" },
	{ "T1531", "Account Access Removal", NULL, "TA0040", "Impact" },
	{ "T1546", "Event Triggered Execution", NULL, "TA0003", "Persistence" },
	{ "T1552", "Unsecured Credentials", NULL, "TA0006", "Credential Access" },
	{ "T1552.005", "Cloud Instance Metadata API", "Unsecured Credentials", "TA0006", "Credential Access" },
	{ "T1552.007", "Container API", "Unsecured Credentials", "TA0006", "Credential Access" },
	{ "T1557", "Adversary-in-the-Middle", NULL, "TA0006", "Credential Access" },
	{ "T1562", "Impair Defenses", NULL, "TA0005", "Defense Evasion" },
	{ "T1565.001", "Stored Data Manipulation", "Data Manipulation", "TA0040", "Impact" },
	{ "T1609", "Container Administration Command", NULL, "TA0002", "Execution" },
	{ "T1610", "Deploy Container", NULL, "TA0002", "Execution" },
	{ "T1611", "Escape to Host", NULL, "TA0004", "Privilege Escalation" },
	{ "T1613", "Container and Resource Discovery", NULL, "TA0007", "Discovery" },
	{ "T1649", "Steal or Forge Authentication Certificates", NULL, "TA0006", "Credential Access" },
};

static const technique *find_technique(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(techniques) / sizeof(techniques[0]); i++)
		if (strcmp(techniques[i].id, id) == 0)
			return &techniques[i];
	return NULL;
}

/* ---- a JSON writer: members of nested objects with their commas ---- */

#define MAX_DEPTH 8

typedef struct {
	kag_buf *b;
	int n[MAX_DEPTH];   /* members written at each open level */
	int depth;
} writer;

static void w_key(writer *w, const char *key)
{
	if (w->n[w->depth]++)
		kag__buf_putc(w->b, ',');
	if (key) {
		kag__buf_put_json_str(w->b, key, strlen(key));
		kag__buf_putc(w->b, ':');
	}
}

static void w_open(writer *w, const char *key, char bracket)
{
	w_key(w, key);
	kag__buf_putc(w->b, bracket);
	if (w->depth + 1 < MAX_DEPTH)
		w->n[++w->depth] = 0;
}

static void w_close(writer *w, char bracket)
{
	kag__buf_putc(w->b, bracket);
	if (w->depth)
		w->depth--;
}

static void w_cstr(writer *w, const char *key, const char *s)
{
	w_key(w, key);
	kag__buf_put_json_str(w->b, s, strlen(s));
}

static void w_int(writer *w, const char *key, int64_t v)
{
	w_key(w, key);
	kag__buf_put_i64(w->b, v);
}

/* A string of kag's record; nothing when it is absent, null or empty. */
static int is_text(const json_t *s)
{
	return json_is_string(s) && json_string_length(s) > 0;
}

static void w_str(writer *w, const char *key, const json_t *s)
{
	if (!is_text(s))
		return;
	w_key(w, key);
	kag__buf_put_json_str(w->b, json_string_value(s), json_string_length(s));
}

/* Any value of kag's record, as it is. */
static void put_value(kag_buf *b, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		kag__buf_putc(b, '{');
		json_object_foreach((json_t *)v, key, item) {
			if (!first)
				kag__buf_putc(b, ',');
			first = 0;
			kag__buf_put_json_str(b, key, strlen(key));
			kag__buf_putc(b, ':');
			put_value(b, item);
		}
		kag__buf_putc(b, '}');
		break;
	case JSON_ARRAY:
		kag__buf_putc(b, '[');
		json_array_foreach(v, i, item) {
			if (i)
				kag__buf_putc(b, ',');
			put_value(b, item);
		}
		kag__buf_putc(b, ']');
		break;
	case JSON_STRING:
		kag__buf_put_json_str(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		kag__buf_put_i64(b, (int64_t)json_integer_value(v));
		break;
	case JSON_TRUE:
		KAG__BUF_LIT(b, "true");
		break;
	case JSON_FALSE:
		KAG__BUF_LIT(b, "false");
		break;
	default:
		/* kag's records hold no reals; null stays null */
		KAG__BUF_LIT(b, "null");
		break;
	}
}

static void w_value(writer *w, const char *key, const json_t *v)
{
	if (!v || json_is_null(v))
		return;
	w_key(w, key);
	put_value(w->b, v);
}

/* An array of the strings of arr, under key; nothing when there is none. */
static void w_strings(writer *w, const char *key, const json_t *arr)
{
	json_t *item;
	size_t i;
	int any = 0;

	json_array_foreach(arr, i, item)
		any |= is_text(item);
	if (!any)
		return;
	w_open(w, key, '[');
	json_array_foreach(arr, i, item)
		w_str(w, NULL, item);
	w_close(w, ']');
}

/* ---- what the renderings read from kag's record ---- */

typedef struct {
	const kag_verdict *v;
	json_t *rec, *event, *ev, *user, *imp, *obj, *status, *ips, *corr, *reps, *cluster;
	const char *ip;     /* the first source address, when it is one */
} parts;

static json_t *obj_get(const json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return v && !json_is_null(v) ? v : NULL;
}

static const char *cstr_get(const json_t *o, const char *key)
{
	json_t *v = obj_get(o, key);

	return is_text(v) ? json_string_value(v) : NULL;
}

static int is_ip(const char *s)
{
	unsigned char a[16];

	return s && (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

static void parts_read(parts *p, const kag_verdict *v, json_t *rec)
{
	json_t *first;

	memset(p, 0, sizeof(*p));
	p->v = v;
	p->rec = rec;
	p->event = obj_get(rec, "event");
	p->ev = obj_get(rec, "evidence");
	p->user = obj_get(p->ev, "user");
	p->imp = obj_get(p->ev, "impersonatedUser");
	p->obj = obj_get(p->ev, "objectRef");
	p->status = obj_get(p->ev, "responseStatus");
	p->ips = obj_get(p->ev, "sourceIPs");
	p->corr = obj_get(rec, "correlation");
	p->reps = obj_get(rec, "repeats");
	p->cluster = obj_get(rec, "cluster");
	first = json_is_array(p->ips) ? json_array_get(p->ips, 0) : NULL;
	if (is_text(first) && is_ip(json_string_value(first)))
		p->ip = json_string_value(first);
}

/* The members of kag's evidence that a schema maps to attributes of its
 * own; the others (the detectors' own members, denied_by, annotations)
 * go to the schema's place for the rest. The bodies never leave. */
static int evidence_mapped(const char *key)
{
	static const char *const mapped[] = {
		"verb", "user", "impersonatedUser", "sourceIPs", "userAgent", "objectRef",
		"requestURI", "responseStatus", "requestObject", "responseObject",
	};
	size_t i;

	for (i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++)
		if (strcmp(key, mapped[i]) == 0)
			return 1;
	return 0;
}

/* The rest of kag's evidence, as an object under key (nothing when empty). */
static void w_evidence_rest(writer *w, const char *key, const parts *p)
{
	const char *k;
	json_t *item;
	int any = 0;

	json_object_foreach(p->ev, k, item)
		any |= !evidence_mapped(k) && !json_is_null(item);
	if (!any)
		return;
	w_open(w, key, '{');
	json_object_foreach(p->ev, k, item)
		if (!evidence_mapped(k))
			w_value(w, k, item);
	w_close(w, '}');
}

/* kag's own members that neither schema has a place for: the
 * assessment, outcome and kag's names for severity and confidence, the
 * missing and inferred fields, the correlation and repeats, where the
 * event was read, and the rest of the evidence. OCSF's `unmapped.kag`
 * and ECS's custom `kag` field set. */
static void w_kag(writer *w, const parts *p, int ocsf)
{
	static const char *const names[] = { "schema", "assessment", "outcome", "severity",
					      "confidence" };
	size_t i;

	w_open(w, "kag", '{');
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		w_str(w, names[i], obj_get(p->rec, names[i]));
	w_value(w, "missing", obj_get(p->rec, "missing"));
	w_value(w, "inferred", obj_get(p->rec, "inferred"));
	w_value(w, "correlation", p->corr);
	w_value(w, "repeats", p->reps);
	/* OCSF has no place for the cluster, the stage and the level; ECS has
	 * orchestrator.cluster and kubernetes.audit */
	if (ocsf)
		w_value(w, "cluster", p->cluster);
	w_open(w, "event", '{');
	if (ocsf) {
		w_str(w, "stage", obj_get(p->event, "stage"));
		w_str(w, "level", obj_get(p->event, "level"));
	}
	w_str(w, "time", obj_get(p->event, "time"));
	w_str(w, "format", obj_get(p->event, "format"));
	w_str(w, "source", obj_get(p->event, "source"));
	w_close(w, '}');
	w_evidence_rest(w, "evidence", p);
	w_close(w, '}');
}

/* Milliseconds since the epoch of a time kag wrote
 * ("2024-05-01T10:00:00.123456Z"); 0 when there is none. */
static int64_t time_ms(const json_t *s)
{
	return is_text(s) ? kag__parse_time(json_string_value(s), json_string_length(s)) / 1000
			  : 0;
}

/* ---- OCSF 1.3.0: Detection Finding (2004), activity Create ---- */

static const char *const ocsf_severity[] = { "Informational", "Low", "Medium", "High",
					     "Critical" };
static const char *const ocsf_confidence[] = { "Low", "Medium", "High" };

/* One attack object per technique: a sub-technique names its parent as
 * the technique and itself as the sub_technique. */
static void ocsf_attacks(writer *w, const kag_verdict *v)
{
	size_t i;

	if (!v->n_attack)
		return;
	w_open(w, "attacks", '[');
	for (i = 0; i < v->n_attack; i++) {
		const char *id = kag_verdict_attack(v, i), *dot = strchr(id, '.');
		const technique *t = find_technique(id);

		w_open(w, NULL, '{');
		w_open(w, "technique", '{');
		w_key(w, "uid");
		kag__buf_put_json_str(w->b, id, dot ? (size_t)(dot - id) : strlen(id));
		if (t)
			w_cstr(w, "name", t->parent ? t->parent : t->name);
		w_close(w, '}');
		if (dot) {
			w_open(w, "sub_technique", '{');
			w_cstr(w, "uid", id);
			if (t && t->parent)
				w_cstr(w, "name", t->name);
			w_close(w, '}');
		}
		if (t) {
			w_open(w, "tactic", '{');
			w_cstr(w, "uid", t->tactic_id);
			w_cstr(w, "name", t->tactic);
			w_close(w, '}');
		}
		w_cstr(w, "version", ATTACK_VERSION);
		w_close(w, '}');
	}
	w_close(w, ']');
}

/* The object of the request: one Resource Details, its type the resource
 * (with its subresource), its uid namespace/name, the whole objectRef as
 * its data. */
static void ocsf_resources(writer *w, const parts *p)
{
	const char *res = cstr_get(p->obj, "resource"), *sub = cstr_get(p->obj, "subresource");
	const char *ns = cstr_get(p->obj, "namespace"), *name = cstr_get(p->obj, "name");
	kag_buf *b = w->b;

	if (!res && !name)
		return;
	w_open(w, "resources", '[');
	w_open(w, NULL, '{');
	if (res) {
		w_key(w, "type");
		kag__buf_putc(b, '"');
		kag__buf_put_json_chars(b, res, strlen(res));
		if (sub) {
			kag__buf_putc(b, '/');
			kag__buf_put_json_chars(b, sub, strlen(sub));
		}
		kag__buf_putc(b, '"');
	}
	if (name) {
		w_cstr(w, "name", name);
		w_key(w, "uid");
		kag__buf_putc(b, '"');
		if (ns) {
			kag__buf_put_json_chars(b, ns, strlen(ns));
			kag__buf_putc(b, '/');
		}
		kag__buf_put_json_chars(b, name, strlen(name));
		kag__buf_putc(b, '"');
	}
	if (ns)
		w_cstr(w, "namespace", ns);
	w_value(w, "data", p->obj);
	w_close(w, '}');
	w_close(w, ']');
}

static void ocsf_user(writer *w, const char *key, const json_t *u)
{
	json_t *groups = obj_get(u, "groups"), *g;
	size_t i;
	int any = 0;

	if (!cstr_get(u, "username") && !cstr_get(u, "uid"))
		return;
	w_open(w, key, '{');
	w_str(w, "name", obj_get(u, "username"));
	w_str(w, "uid", obj_get(u, "uid"));
	json_array_foreach(groups, i, g)
		any |= is_text(g);
	if (any) {
		w_open(w, "groups", '[');
		json_array_foreach(groups, i, g) {
			if (!is_text(g))
				continue;
			w_open(w, NULL, '{');
			w_str(w, "name", g);
			w_close(w, '}');
		}
		w_close(w, ']');
	}
	w_close(w, '}');
}

/* The request URI (query values already redacted) as a URL object. */
static void ocsf_url(writer *w, const parts *p)
{
	const char *uri = cstr_get(p->ev, "requestURI"), *q;

	if (!uri)
		return;
	q = strchr(uri, '?');
	w_open(w, "url", '{');
	w_cstr(w, "url_string", uri);
	w_key(w, "path");
	kag__buf_put_json_str(w->b, uri, q ? (size_t)(q - uri) : strlen(uri));
	if (q && q[1])
		w_cstr(w, "query_string", q + 1);
	w_close(w, '}');
}

/* The audit call as the API Activity attributes of an evidence: who (the
 * authenticated user; the client's user agent as the actor's application),
 * what (the API operation, its group and version, the auditID as the
 * request uid, the response), from where (the first source address, the
 * others as intermediate addresses), the URL, and the impersonated user
 * as the evidence's user. */
static void ocsf_evidence(writer *w, const parts *p)
{
	json_t *code = obj_get(p->status, "code"), *ip;
	const char *verb = cstr_get(p->ev, "verb");
	size_t i, n_more = 0;

	w_open(w, "evidences", '[');
	w_open(w, NULL, '{');
	if (cstr_get(p->user, "username") || cstr_get(p->user, "uid") ||
	    cstr_get(p->ev, "userAgent")) {
		w_open(w, "actor", '{');
		ocsf_user(w, "user", p->user);
		w_str(w, "app_name", obj_get(p->ev, "userAgent"));
		w_close(w, '}');
	}
	/* the api object needs an operation: the verb, or "unknown" */
	w_open(w, "api", '{');
	w_cstr(w, "operation", verb ? verb : "unknown");
	w_open(w, "service", '{');
	w_cstr(w, "name", "kube-apiserver");
	w_close(w, '}');
	if (cstr_get(p->obj, "apiGroup")) {
		w_open(w, "group", '{');
		w_str(w, "name", obj_get(p->obj, "apiGroup"));
		w_close(w, '}');
	}
	w_str(w, "version", obj_get(p->obj, "apiVersion"));
	if (cstr_get(p->event, "auditID")) {
		w_open(w, "request", '{');
		w_str(w, "uid", obj_get(p->event, "auditID"));
		w_close(w, '}');
	}
	if (json_is_integer(code) || cstr_get(p->status, "reason") ||
	    cstr_get(p->status, "message")) {
		w_open(w, "response", '{');
		if (json_is_integer(code))
			w_int(w, "code", (int64_t)json_integer_value(code));
		w_str(w, "error", obj_get(p->status, "reason"));
		w_str(w, "message", obj_get(p->status, "message"));
		w_close(w, '}');
	}
	w_close(w, '}');
	if (p->ip) {
		w_open(w, "src_endpoint", '{');
		w_cstr(w, "ip", p->ip);
		json_array_foreach(p->ips, i, ip)
			n_more += i > 0 && is_text(ip) && is_ip(json_string_value(ip));
		if (n_more) {
			w_open(w, "intermediate_ips", '[');
			json_array_foreach(p->ips, i, ip)
				if (i > 0 && is_text(ip) && is_ip(json_string_value(ip)))
					w_str(w, NULL, ip);
			w_close(w, ']');
		}
		w_close(w, '}');
	}
	ocsf_url(w, p);
	ocsf_user(w, "user", p->imp);
	w_close(w, '}');
	w_close(w, ']');
}

static void render_ocsf(kag_buf *b, const parts *p)
{
	const kag_verdict *v = p->v;
	writer w = { b, { 0 }, 0 };
	json_t *labels = obj_get(p->cluster, "labels"), *val;
	const char *key;
	int64_t start = 0, end = 0, count = 0;

	if (p->corr) {
		count = (int64_t)json_integer_value(obj_get(p->corr, "count"));
		start = time_ms(obj_get(p->corr, "first"));
		end = time_ms(obj_get(p->corr, "last"));
	} else if (p->reps) {
		count = (int64_t)json_integer_value(obj_get(p->reps, "count"));
		start = time_ms(obj_get(p->reps, "first"));
		end = time_ms(obj_get(p->reps, "last"));
	}
	w_open(&w, NULL, '{');
	w_int(&w, "activity_id", 1);
	w_cstr(&w, "activity_name", "Create");
	w_int(&w, "category_uid", 2);
	w_cstr(&w, "category_name", "Findings");
	w_int(&w, "class_uid", 2004);
	w_cstr(&w, "class_name", "Detection Finding");
	w_int(&w, "type_uid", 200401);
	w_cstr(&w, "type_name", "Detection Finding: Create");
	/* the event's time (0 when it had none): the same finding, the same
	 * record */
	w_int(&w, "time", v->time_us / 1000);
	w_int(&w, "severity_id", v->severity + 1);
	w_cstr(&w, "severity", ocsf_severity[v->severity]);
	w_int(&w, "confidence_id", v->confidence + 1);
	w_cstr(&w, "confidence", ocsf_confidence[v->confidence]);
	w_cstr(&w, "message", kag_verdict_reason(v));
	if (count)
		w_int(&w, "count", count);
	if (start)
		w_int(&w, "start_time", start);
	if (end)
		w_int(&w, "end_time", end);
	w_open(&w, "metadata", '{');
	w_cstr(&w, "version", OCSF_VERSION);
	w_open(&w, "product", '{');
	w_cstr(&w, "name", "kag");
	w_cstr(&w, "vendor_name", "kag");
	w_cstr(&w, "version", KAG_VERSION);
	w_close(&w, '}');
	w_cstr(&w, "uid", v->id);
	w_cstr(&w, "log_name", "kubernetes-audit");
	w_str(&w, "original_time", obj_get(p->event, "time"));
	if (p->cluster) {
		/* OCSF 1.3 has no attribute for a Kubernetes cluster: its name
		 * and labels are the event's labels ("cluster:NAME",
		 * "KEY:VALUE"), and unmapped.kag.cluster keeps them as kag's
		 * record has them */
		w_open(&w, "labels", '[');
		w_key(&w, NULL);
		KAG__BUF_LIT(b, "\"cluster:");
		key = cstr_get(p->cluster, "name");
		kag__buf_put_json_chars(b, key ? key : "", key ? strlen(key) : 0);
		kag__buf_putc(b, '"');
		json_object_foreach(labels, key, val) {
			w_key(&w, NULL);
			kag__buf_putc(b, '"');
			kag__buf_put_json_chars(b, key, strlen(key));
			kag__buf_putc(b, ':');
			kag__buf_put_json_chars(b, json_string_value(val), json_string_length(val));
			kag__buf_putc(b, '"');
		}
		w_close(&w, ']');
	}
	w_close(&w, '}');
	w_open(&w, "finding_info", '{');
	w_cstr(&w, "uid", v->id);
	w_cstr(&w, "title", v->title);
	w_cstr(&w, "desc", kag_verdict_reason(v));
	w_open(&w, "analytic", '{');
	w_cstr(&w, "uid", v->detector);
	w_cstr(&w, "name", v->detector);
	w_int(&w, "type_id", 1);
	w_cstr(&w, "type", "Rule");
	w_close(&w, '}');
	ocsf_attacks(&w, v);
	if (start)
		w_int(&w, "first_seen_time", start);
	if (end)
		w_int(&w, "last_seen_time", end);
	w_close(&w, '}');
	ocsf_resources(&w, p);
	ocsf_evidence(&w, p);
	w_open(&w, "unmapped", '{');
	w_kag(&w, p, 1);
	w_close(&w, '}');
	w_close(&w, '}');
}

/* ---- ECS 8.11 ---- */

static const char *ecs_outcome(int outcome)
{
	switch (outcome) {
	case KAG_OUTCOME_ALLOWED:
	case KAG_OUTCOME_IN_PROGRESS:
		return "success";
	case KAG_OUTCOME_DENIED:
	case KAG_OUTCOME_ERROR:
		return "failure";
	default:
		return "unknown";
	}
}

/* event.type: what the verb did, and what came of it. */
static void ecs_types(writer *w, const parts *p)
{
	static const struct {
		const char *verb, *type;
	} verbs[] = {
		{ "create", "creation" }, { "delete", "deletion" }, { "deletecollection", "deletion" },
		{ "update", "change" }, { "patch", "change" }, { "get", "access" },
		{ "list", "access" }, { "watch", "access" }, { "proxy", "access" },
	};
	const char *verb = cstr_get(p->ev, "verb");
	const char *type = "info";
	size_t i;

	for (i = 0; verb && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i].verb) == 0)
			type = verbs[i].type;
	w_open(w, "type", '[');
	w_cstr(w, NULL, type);
	if (p->v->outcome == KAG_OUTCOME_ALLOWED || p->v->outcome == KAG_OUTCOME_IN_PROGRESS)
		w_cstr(w, NULL, "allowed");
	else if (p->v->outcome == KAG_OUTCOME_DENIED)
		w_cstr(w, NULL, "denied");
	w_close(w, ']');
}

/* The length of technique id's parent ("T1552" of "T1552.007"). */
static size_t parent_len(const char *id)
{
	const char *dot = strchr(id, '.');

	return dot ? (size_t)(dot - id) : strlen(id);
}

/* An array of what `pick` gives for each technique of v, each value once,
 * in the verdict's order; NULLs left out. */
typedef const char *(*pick_fn)(const char *id, size_t *len);

static void ecs_list(writer *w, const char *key, const kag_verdict *v, pick_fn pick)
{
	size_t i, j, len, len2, any = 0;
	const char *s, *s2;

	for (i = 0; i < v->n_attack; i++)
		any += pick(kag_verdict_attack(v, i), &len) != NULL;
	if (!any)
		return;
	w_open(w, key, '[');
	for (i = 0; i < v->n_attack; i++) {
		if (!(s = pick(kag_verdict_attack(v, i), &len)))
			continue;
		for (j = 0; j < i; j++) {
			s2 = pick(kag_verdict_attack(v, j), &len2);
			if (s2 && len2 == len && memcmp(s2, s, len) == 0)
				break;
		}
		if (j < i)
			continue;
		w_key(w, NULL);
		kag__buf_put_json_str(w->b, s, len);
	}
	w_close(w, ']');
}

static const char *pick_parent_id(const char *id, size_t *len)
{
	*len = parent_len(id);
	return id;
}

static const char *pick_parent_name(const char *id, size_t *len)
{
	const technique *t = find_technique(id);
	const char *s = t ? (t->parent ? t->parent : t->name) : NULL;

	*len = s ? strlen(s) : 0;
	return s;
}

static const char *pick_sub_id(const char *id, size_t *len)
{
	*len = strlen(id);
	return strchr(id, '.') ? id : NULL;
}

static const char *pick_sub_name(const char *id, size_t *len)
{
	const technique *t = find_technique(id);
	const char *s = t && t->parent ? t->name : NULL;

	*len = s ? strlen(s) : 0;
	return s;
}

static const char *pick_tactic_id(const char *id, size_t *len)
{
	const technique *t = find_technique(id);

	*len = t ? strlen(t->tactic_id) : 0;
	return t ? t->tactic_id : NULL;
}

static const char *pick_tactic(const char *id, size_t *len)
{
	const technique *t = find_technique(id);

	*len = t ? strlen(t->tactic) : 0;
	return t ? t->tactic : NULL;
}

/* threat.*: the techniques (a sub-technique's parent), their
 * sub-techniques and tactics, each array in the verdict's order and
 * without repeats. */
static void ecs_threat(writer *w, const kag_verdict *v)
{
	size_t i, subs = 0, known = 0;

	if (!v->n_attack)
		return;
	for (i = 0; i < v->n_attack; i++) {
		subs += strchr(kag_verdict_attack(v, i), '.') != NULL;
		known += find_technique(kag_verdict_attack(v, i)) != NULL;
	}
	w_open(w, "threat", '{');
	w_cstr(w, "framework", "MITRE ATT&CK");
	w_open(w, "technique", '{');
	ecs_list(w, "id", v, pick_parent_id);
	ecs_list(w, "name", v, pick_parent_name);
	if (subs) {
		w_open(w, "subtechnique", '{');
		ecs_list(w, "id", v, pick_sub_id);
		ecs_list(w, "name", v, pick_sub_name);
		w_close(w, '}');
	}
	w_close(w, '}');
	if (known) {
		w_open(w, "tactic", '{');
		ecs_list(w, "id", v, pick_tactic_id);
		ecs_list(w, "name", v, pick_tactic);
		w_close(w, '}');
	}
	w_close(w, '}');
}

/* kubernetes.audit.*: the audit event's own names, as Elastic's
 * Kubernetes audit integration writes them. */
static void ecs_audit(writer *w, const parts *p)
{
	static const char *const strs[] = { "verb", "userAgent", "requestURI" };
	static const char *const user_members[] = { "username", "uid" };
	static const char *const obj_members[] = { "resource", "subresource", "namespace", "name",
						   "apiGroup", "apiVersion" };
	/* the integration has no responseStatus.reason: it is error.code */
	static const char *const status_members[] = { "status", "message" };
	const json_t *users[2] = { p->user, p->imp };
	static const char *const user_keys[2] = { "user", "impersonatedUser" };
	json_t *code = obj_get(p->status, "code");
	size_t i, k;

	w_open(w, "kubernetes", '{');
	w_open(w, "audit", '{');
	w_str(w, "auditID", obj_get(p->event, "auditID"));
	w_str(w, "stage", obj_get(p->event, "stage"));
	w_str(w, "level", obj_get(p->event, "level"));
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		w_str(w, strs[i], obj_get(p->ev, strs[i]));
	for (k = 0; k < 2; k++) {
		if (!cstr_get(users[k], "username") && !cstr_get(users[k], "uid"))
			continue;
		w_open(w, user_keys[k], '{');
		for (i = 0; i < sizeof(user_members) / sizeof(user_members[0]); i++)
			w_str(w, user_members[i], obj_get(users[k], user_members[i]));
		w_strings(w, "groups", obj_get(users[k], "groups"));
		w_close(w, '}');
	}
	w_strings(w, "sourceIPs", p->ips);
	if (p->obj) {
		w_open(w, "objectRef", '{');
		for (i = 0; i < sizeof(obj_members) / sizeof(obj_members[0]); i++)
			w_str(w, obj_members[i], obj_get(p->obj, obj_members[i]));
		w_close(w, '}');
	}
	if (p->status) {
		w_open(w, "responseStatus", '{');
		if (json_is_integer(code))
			w_int(w, "code", (int64_t)json_integer_value(code));
		for (i = 0; i < sizeof(status_members) / sizeof(status_members[0]); i++)
			w_str(w, status_members[i], obj_get(p->status, status_members[i]));
		w_close(w, '}');
	}
	w_value(w, "annotations", obj_get(p->ev, "annotations"));
	w_close(w, '}');
	w_close(w, '}');
}

/* A label key as ECS keeps it: Elasticsearch reads dots in a key as
 * nesting, so they become underscores (as Elastic's Kubernetes
 * integration does with pod labels). */
static void put_dedotted(kag_buf *b, const char *key)
{
	const char *s = key, *dot;

	kag__buf_putc(b, '"');
	while ((dot = strchr(s, '.')) != NULL) {
		kag__buf_put_json_chars(b, s, (size_t)(dot - s));
		kag__buf_putc(b, '_');
		s = dot + 1;
	}
	kag__buf_put_json_chars(b, s, strlen(s));
	kag__buf_putc(b, '"');
}

static void render_ecs(kag_buf *b, const parts *p)
{
	const kag_verdict *v = p->v;
	writer w = { b, { 0 }, 0 };
	json_t *labels = obj_get(p->cluster, "labels"), *val, *code = obj_get(p->status, "code");
	json_t *first = NULL, *last = NULL;
	const char *key;

	if (p->corr) {
		first = obj_get(p->corr, "first");
		last = obj_get(p->corr, "last");
	} else if (p->reps) {
		first = obj_get(p->reps, "first");
		last = obj_get(p->reps, "last");
	}
	w_open(&w, NULL, '{');
	w_key(&w, "@timestamp");
	kag__buf_put_time_us(b, v->time_us);
	w_open(&w, "ecs", '{');
	w_cstr(&w, "version", ECS_VERSION);
	w_close(&w, '}');
	w_cstr(&w, "message", kag_verdict_reason(v));
	w_open(&w, "event", '{');
	w_cstr(&w, "id", v->id);
	w_cstr(&w, "kind", v->assessment == KAG_ASSESSMENT_SUSPICIOUS ||
		   v->assessment == KAG_ASSESSMENT_MALICIOUS ? "alert" : "event");
	w_open(&w, "category", '[');
	w_cstr(&w, NULL, "api");
	w_close(&w, ']');
	ecs_types(&w, p);
	w_str(&w, "action", obj_get(p->ev, "verb"));
	w_cstr(&w, "outcome", ecs_outcome(v->outcome));
	/* kag's severities, info 1 to critical 5, as OCSF numbers them */
	w_int(&w, "severity", v->severity + 1);
	w_cstr(&w, "provider", "kube-apiserver");
	w_cstr(&w, "module", "kag");
	w_cstr(&w, "dataset", "kag.verdict");
	w_cstr(&w, "reason", kag_verdict_reason(v));
	w_str(&w, "start", first);
	w_str(&w, "end", last);
	w_close(&w, '}');
	w_open(&w, "rule", '{');
	w_cstr(&w, "id", v->detector);
	w_cstr(&w, "name", v->detector);
	w_cstr(&w, "description", v->title);
	w_cstr(&w, "ruleset", "kag");
	w_cstr(&w, "version", KAG_VERSION);
	w_close(&w, '}');
	ecs_threat(&w, v);
	w_open(&w, "observer", '{');
	w_cstr(&w, "product", "kag");
	w_cstr(&w, "vendor", "kag");
	w_cstr(&w, "version", KAG_VERSION);
	w_close(&w, '}');
	if (cstr_get(p->user, "username") || cstr_get(p->user, "uid")) {
		w_open(&w, "user", '{');
		w_str(&w, "name", obj_get(p->user, "username"));
		w_str(&w, "id", obj_get(p->user, "uid"));
		if (cstr_get(p->imp, "username")) {
			w_open(&w, "effective", '{');
			w_str(&w, "name", obj_get(p->imp, "username"));
			w_close(&w, '}');
		}
		w_close(&w, '}');
	}
	if (p->ip) {
		w_open(&w, "source", '{');
		w_cstr(&w, "ip", p->ip);
		w_close(&w, '}');
	}
	if (cstr_get(p->ev, "userAgent")) {
		w_open(&w, "user_agent", '{');
		w_str(&w, "original", obj_get(p->ev, "userAgent"));
		w_close(&w, '}');
	}
	if (cstr_get(p->status, "reason")) {
		w_open(&w, "error", '{');
		w_str(&w, "code", obj_get(p->status, "reason"));
		w_close(&w, '}');
	}
	if (json_is_integer(code) && json_integer_value(code) >= 100 &&
	    json_integer_value(code) <= 599) {
		w_open(&w, "http", '{');
		w_open(&w, "response", '{');
		w_int(&w, "status_code", (int64_t)json_integer_value(code));
		w_close(&w, '}');
		w_close(&w, '}');
	}
	w_open(&w, "orchestrator", '{');
	w_cstr(&w, "type", "kubernetes");
	if (p->cluster) {
		w_open(&w, "cluster", '{');
		w_str(&w, "name", obj_get(p->cluster, "name"));
		w_close(&w, '}');
	}
	w_str(&w, "namespace", obj_get(p->obj, "namespace"));
	w_str(&w, "api_version", obj_get(p->obj, "apiVersion"));
	if (cstr_get(p->obj, "resource") || cstr_get(p->obj, "name")) {
		w_open(&w, "resource", '{');
		w_str(&w, "type", obj_get(p->obj, "resource"));
		w_str(&w, "name", obj_get(p->obj, "name"));
		w_close(&w, '}');
	}
	w_close(&w, '}');
	if (json_object_size(labels)) {
		w_open(&w, "labels", '{');
		json_object_foreach(labels, key, val) {
			w_key(&w, NULL);
			put_dedotted(b, key);
			kag__buf_putc(b, ':');
			kag__buf_put_json_str(b, json_string_value(val), json_string_length(val));
		}
		w_close(&w, '}');
	}
	ecs_audit(&w, p);
	w_kag(&w, p, 0);
	w_close(&w, '}');
}

/* ---- the API ---- */

int kag_verdict_render(const char **out, size_t *len_out, const kag_verdict *cv, int schema)
{
	/* the renderings are the verdict's cache: a verdict is read by one
	 * thread at a time, like its session */
	kag_verdict *v = (kag_verdict *)cv;
	kag_buf *b;
	json_t *rec;
	parts p;
	unsigned bit;

	if (out)
		*out = NULL;
	if (len_out)
		*len_out = 0;
	if (!out || !v || schema < KAG_SCHEMA_KAG || schema > KAG_SCHEMA_ECS)
		return KAG_EINVAL;
	if (schema == KAG_SCHEMA_KAG) {
		*out = kag_verdict_json(v, len_out);
		return KAG_OK;
	}
	b = &v->render[schema - 1];
	bit = 1u << (schema - 1);
	if (!(v->rendered & bit)) {
		rec = json_loadb(v->buf.data, v->json_len, JSON_ALLOW_NUL, NULL);
		if (!rec)
			return KAG_ENOMEM;   /* the record is kag's own: only memory fails */
		b->len = 0;
		b->oom = 0;
		parts_read(&p, v, rec);
		if (schema == KAG_SCHEMA_OCSF)
			render_ocsf(b, &p);
		else
			render_ecs(b, &p);
		json_decref(rec);
		if (b->oom || kag__buf_terminate(b) < 0)
			return KAG_ENOMEM;
		v->rendered |= bit;
	}
	*out = b->data;
	if (len_out)
		*len_out = b->len;
	return KAG_OK;
}
