/* A verdict in another record schema: an OCSF Detection Finding (class
 * 2004, OCSF 1.3.0) carrying the audit call as API Activity evidence, or
 * an ECS 8.11 document (kubernetes.audit.* as Elastic's Kubernetes audit
 * integration names it). README "OCSF and ECS" has the mapping as a table.
 *
 * Both are made from kag's own record, the reference: its evidence is
 * already redacted (requestURI query values, exec commands), and the
 * opted-in bodies (requestObject, responseObject) are never copied, so no
 * schema shows more than kag's record. The record is read in place: one
 * pass cuts it into tokens (kept with the verdict and reused, so a render
 * allocates nothing once the verdict's buffers have grown), and its
 * strings and values are copied as they are, already escaped. A rendering
 * is made when first asked for and kept with the verdict: the judging path
 * and kag_verdict_json() pay nothing for it. */
#include <string.h>

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

#include "alloc-private.h"
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

/* ---- kag's record, read in place ---- */

enum { J_OBJ, J_ARR, J_STR, J_NUM, J_LIT };

/* A value of the record: its token, or none (i < 0). */
typedef struct {
	const char *s;
	const kag__jtok *t;
	long i;
} jv;

static jv none(jv v)
{
	v.i = -1;
	return v;
}

static int ok(jv v)
{
	return v.i >= 0;
}

static int type_of(jv v)
{
	return ok(v) ? v.t[v.i].type : -1;
}

/* A string's text as the record has it: escaped, without the quotes. */
static const char *raw(jv v, size_t *len)
{
	*len = v.t[v.i].end - v.t[v.i].start;
	return v.s + v.t[v.i].start;
}

/* A string that is not empty. */
static int is_text(jv v)
{
	return type_of(v) == J_STR && v.t[v.i].end > v.t[v.i].start;
}

static int eq(jv v, const char *text)
{
	size_t len;
	const char *r;

	if (type_of(v) != J_STR)
		return 0;
	r = raw(v, &len);
	return len == strlen(text) && memcmp(r, text, len) == 0;
}

/* An integer (kag's records hold no other numbers). */
static int is_int(jv v)
{
	return type_of(v) == J_NUM;
}

static int64_t int_of(jv v)
{
	const char *c = v.s + v.t[v.i].start, *end = v.s + v.t[v.i].end;
	int neg = c < end && *c == '-';
	uint64_t n = 0;

	for (c += neg; c < end && *c >= '0' && *c <= '9'; c++)
		n = n * 10 + (uint64_t)(*c - '0');
	if (!neg || n == 0)
		return (int64_t)n;
	return -(int64_t)(n - 1) - 1; /* INT64_MIN has no positive counterpart */
}

/* The first item of an array, or the first key of an object; then the
 * one after `at` in the container c (an object's keys skip their values). */
static jv first_of(jv c)
{
	jv v = c;
	int type = type_of(c);

	v.i = (type == J_OBJ || type == J_ARR) && (size_t)c.i + 1 < c.t[c.i].next ? c.i + 1 : -1;
	return v;
}

static jv next_of(jv c, jv at)
{
	size_t j = type_of(c) == J_OBJ ? at.t[at.i + 1].next : at.t[at.i].next;

	at.i = j < c.t[c.i].next ? (long)j : -1;
	return at;
}

/* The value of the member key of object o, or none (absent or null). */
static jv obj_get(jv o, const char *key)
{
	jv k;

	if (type_of(o) != J_OBJ)
		return none(o);
	for (k = first_of(o); ok(k); k = next_of(o, k)) {
		if (eq(k, key)) {
			k.i++;
			return type_of(k) == J_LIT && k.s[k.t[k.i].start] == 'n' ? none(k) : k;
		}
	}
	return none(o);
}

/* The member key of object o is a string that is not empty. */
static int has_text(jv o, const char *key)
{
	return is_text(obj_get(o, key));
}

/* A string of the record, as escaped there, without its quotes. */
static void put_raw(kag_buf *b, jv v)
{
	size_t len;
	const char *r = raw(v, &len);

	kag__buf_put(b, r, len);
}

/* A string of kag's record under key; nothing when it is absent, null or
 * empty. */
static void w_str(writer *w, const char *key, jv s)
{
	if (!is_text(s))
		return;
	w_key(w, key);
	kag__buf_putc(w->b, '"');
	put_raw(w->b, s);
	kag__buf_putc(w->b, '"');
}

/* Any value of kag's record, as it is (a string with its quotes). */
static void put_value(kag_buf *b, jv v)
{
	size_t start = v.t[v.i].start, end = v.t[v.i].end;

	if (type_of(v) == J_STR) {
		start--;
		end++;
	}
	kag__buf_put(b, v.s + start, end - start);
}

static void w_value(writer *w, const char *key, jv v)
{
	if (!ok(v))
		return;
	w_key(w, key);
	put_value(w->b, v);
}

/* An array of the strings of arr, under key; nothing when there is none. */
static void w_strings(writer *w, const char *key, jv arr)
{
	jv item;
	int any = 0;

	for (item = first_of(arr); ok(item); item = next_of(arr, item))
		any |= is_text(item);
	if (!any || type_of(arr) != J_ARR)
		return;
	w_open(w, key, '[');
	for (item = first_of(arr); ok(item); item = next_of(arr, item))
		w_str(w, NULL, item);
	w_close(w, ']');
}

/* Cut the record, v->buf.data[0, v->json_len), into tokens in v->tok
 * (grown as needed, kept for the verdict's next renderings): a string's
 * span is its text without the quotes, a container's its brackets and
 * what is between, and `next` is the token after the value and what it
 * holds. The record is kag's own: valid JSON. */
static int tokenize(kag_verdict *v, jv *root)
{
	const char *s = v->buf.data;
	size_t i = 0, j, k = 0, n = v->json_len;
	uint32_t open = UINT32_MAX;   /* the innermost open container */

	while (i < n) {
		char c = s[i];

		if (c == ',' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		if (k == v->tok_cap) {
			size_t cap = v->tok_cap ? 2 * v->tok_cap : 256;
			kag__jtok *t = kag__realloc(v->tok, cap * sizeof(*t));

			if (!t)
				return KAG_ENOMEM;
			v->tok = t;
			v->tok_cap = cap;
		}
		if (c == '{' || c == '[') {
			/* while it is open, `next` holds the enclosing container */
			v->tok[k] = (kag__jtok){ (uint32_t)i, 0, open, c == '{' ? J_OBJ : J_ARR };
			open = (uint32_t)k++;
			i++;
		} else if (c == '}' || c == ']') {
			uint32_t parent = v->tok[open].next;

			v->tok[open].end = (uint32_t)(i + 1);
			v->tok[open].next = (uint32_t)k;
			open = parent;
			i++;
		} else if (c == '"') {
			for (j = i + 1; j < n && s[j] != '"'; j++)
				j += s[j] == '\\';
			v->tok[k] = (kag__jtok){ (uint32_t)(i + 1), (uint32_t)j, (uint32_t)(k + 1),
						 J_STR };
			k++;
			i = j + 1;
		} else {
			for (j = i; j < n && !strchr(",:]} \t\r\n", s[j]); j++)
				;
			v->tok[k] = (kag__jtok){ (uint32_t)i, (uint32_t)j, (uint32_t)(k + 1),
						 c == '-' || (c >= '0' && c <= '9') ? J_NUM : J_LIT };
			k++;
			i = j;
		}
	}
	root->s = s;
	root->t = v->tok;
	root->i = k && open == UINT32_MAX ? 0 : -1;
	return KAG_OK;
}

/* ---- what the renderings read from kag's record ---- */

typedef struct {
	const kag_verdict *v;
	jv rec, event, ev, user, imp, obj, status, ips, corr, reps, cluster;
	jv ip;     /* the first source address, when it is one */
} parts;

/* A string of the record that is an IPv4 or IPv6 address. */
static int is_ip(jv s)
{
	unsigned char a[16];
	char text[64];
	size_t len;
	const char *r;

	if (!is_text(s))
		return 0;
	r = raw(s, &len);
	if (len >= sizeof(text) || memchr(r, '\\', len))
		return 0;
	memcpy(text, r, len);
	text[len] = '\0';
	return inet_pton(AF_INET, text, a) == 1 || inet_pton(AF_INET6, text, a) == 1;
}

static void parts_read(parts *p, const kag_verdict *v, jv rec)
{
	jv first;

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
	first = type_of(p->ips) == J_ARR ? first_of(p->ips) : none(rec);
	p->ip = is_ip(first) ? first : none(rec);
}

/* The members of kag's evidence that a schema maps to attributes of its
 * own; the others (the detectors' own members, denied_by, annotations)
 * go to the schema's place for the rest. The bodies never leave. */
static int evidence_mapped(jv key)
{
	static const char *const mapped[] = {
		"verb", "user", "impersonatedUser", "sourceIPs", "userAgent", "objectRef",
		"requestURI", "responseStatus", "requestObject", "responseObject",
	};
	size_t i;

	for (i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++)
		if (eq(key, mapped[i]))
			return 1;
	return 0;
}

/* The rest of kag's evidence, as an object under key (nothing when empty). */
static void w_evidence_rest(writer *w, const char *key, const parts *p)
{
	jv k;
	int any = 0;

	for (k = first_of(p->ev); ok(k); k = next_of(p->ev, k))
		any |= !evidence_mapped(k) && !(k.t[k.i + 1].type == J_LIT &&
						 k.s[k.t[k.i + 1].start] == 'n');
	if (!any)
		return;
	w_open(w, key, '{');
	for (k = first_of(p->ev); ok(k); k = next_of(p->ev, k)) {
		jv val = k;

		val.i++;
		if (evidence_mapped(k) || (type_of(val) == J_LIT && val.s[val.t[val.i].start] == 'n'))
			continue;
		w_key(w, NULL);
		put_value(w->b, k);
		kag__buf_putc(w->b, ':');
		put_value(w->b, val);
	}
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
static int64_t time_ms(jv s)
{
	size_t len;
	const char *r;

	if (!is_text(s))
		return 0;
	r = raw(s, &len);
	return kag__parse_time(r, len) / 1000;
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
	jv res = obj_get(p->obj, "resource"), sub = obj_get(p->obj, "subresource");
	jv ns = obj_get(p->obj, "namespace"), name = obj_get(p->obj, "name");
	kag_buf *b = w->b;

	if (!is_text(res) && !is_text(name))
		return;
	w_open(w, "resources", '[');
	w_open(w, NULL, '{');
	if (is_text(res)) {
		w_key(w, "type");
		kag__buf_putc(b, '"');
		put_raw(b, res);
		if (is_text(sub)) {
			kag__buf_putc(b, '/');
			put_raw(b, sub);
		}
		kag__buf_putc(b, '"');
	}
	if (is_text(name)) {
		w_str(w, "name", name);
		w_key(w, "uid");
		kag__buf_putc(b, '"');
		if (is_text(ns)) {
			put_raw(b, ns);
			kag__buf_putc(b, '/');
		}
		put_raw(b, name);
		kag__buf_putc(b, '"');
	}
	w_str(w, "namespace", ns);
	w_value(w, "data", p->obj);
	w_close(w, '}');
	w_close(w, ']');
}

static void ocsf_user(writer *w, const char *key, jv u)
{
	jv groups = obj_get(u, "groups"), g;
	int any = 0;

	if (!has_text(u, "username") && !has_text(u, "uid"))
		return;
	w_open(w, key, '{');
	w_str(w, "name", obj_get(u, "username"));
	w_str(w, "uid", obj_get(u, "uid"));
	for (g = first_of(groups); type_of(groups) == J_ARR && ok(g); g = next_of(groups, g))
		any |= is_text(g);
	if (any) {
		w_open(w, "groups", '[');
		for (g = first_of(groups); ok(g); g = next_of(groups, g)) {
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
	jv uri = obj_get(p->ev, "requestURI");
	const char *r, *q;
	size_t len;

	if (!is_text(uri))
		return;
	r = raw(uri, &len);
	q = memchr(r, '?', len);
	w_open(w, "url", '{');
	w_str(w, "url_string", uri);
	w_key(w, "path");
	kag__buf_putc(w->b, '"');
	kag__buf_put(w->b, r, q ? (size_t)(q - r) : len);
	kag__buf_putc(w->b, '"');
	if (q && (size_t)(q - r) + 1 < len) {
		w_key(w, "query_string");
		kag__buf_putc(w->b, '"');
		kag__buf_put(w->b, q + 1, len - (size_t)(q - r) - 1);
		kag__buf_putc(w->b, '"');
	}
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
	jv code = obj_get(p->status, "code"), verb = obj_get(p->ev, "verb"), ip;
	size_t n_more = 0;

	w_open(w, "evidences", '[');
	w_open(w, NULL, '{');
	if (has_text(p->user, "username") || has_text(p->user, "uid") ||
	    has_text(p->ev, "userAgent")) {
		w_open(w, "actor", '{');
		ocsf_user(w, "user", p->user);
		w_str(w, "app_name", obj_get(p->ev, "userAgent"));
		w_close(w, '}');
	}
	/* the api object needs an operation: the verb, or "unknown" */
	w_open(w, "api", '{');
	if (is_text(verb))
		w_str(w, "operation", verb);
	else
		w_cstr(w, "operation", "unknown");
	w_open(w, "service", '{');
	w_cstr(w, "name", "kube-apiserver");
	w_close(w, '}');
	if (has_text(p->obj, "apiGroup")) {
		w_open(w, "group", '{');
		w_str(w, "name", obj_get(p->obj, "apiGroup"));
		w_close(w, '}');
	}
	w_str(w, "version", obj_get(p->obj, "apiVersion"));
	if (has_text(p->event, "auditID")) {
		w_open(w, "request", '{');
		w_str(w, "uid", obj_get(p->event, "auditID"));
		w_close(w, '}');
	}
	if (is_int(code) || has_text(p->status, "reason") || has_text(p->status, "message")) {
		w_open(w, "response", '{');
		if (is_int(code))
			w_int(w, "code", int_of(code));
		w_str(w, "error", obj_get(p->status, "reason"));
		w_str(w, "message", obj_get(p->status, "message"));
		w_close(w, '}');
	}
	w_close(w, '}');
	if (ok(p->ip)) {
		w_open(w, "src_endpoint", '{');
		w_str(w, "ip", p->ip);
		for (ip = next_of(p->ips, p->ip); ok(ip); ip = next_of(p->ips, ip))
			n_more += is_ip(ip);
		if (n_more) {
			w_open(w, "intermediate_ips", '[');
			for (ip = next_of(p->ips, p->ip); ok(ip); ip = next_of(p->ips, ip))
				if (is_ip(ip))
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
	jv labels = obj_get(p->cluster, "labels"), key, n;
	jv counted = ok(p->corr) ? p->corr : p->reps;
	int64_t start = 0, end = 0, count = 0;

	if (ok(counted)) {
		n = obj_get(counted, "count");
		count = is_int(n) ? int_of(n) : 0;
		start = time_ms(obj_get(counted, "first"));
		end = time_ms(obj_get(counted, "last"));
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
	if (ok(p->cluster)) {
		/* OCSF 1.3 has no attribute for a Kubernetes cluster: its name
		 * and labels are the event's labels ("cluster:NAME",
		 * "KEY:VALUE"), and unmapped.kag.cluster keeps them as kag's
		 * record has them */
		w_open(&w, "labels", '[');
		w_key(&w, NULL);
		KAG__BUF_LIT(b, "\"cluster:");
		n = obj_get(p->cluster, "name");
		if (is_text(n))
			put_raw(b, n);
		kag__buf_putc(b, '"');
		for (key = first_of(labels); ok(key); key = next_of(labels, key)) {
			jv val = key;

			val.i++;
			w_key(&w, NULL);
			kag__buf_putc(b, '"');
			put_raw(b, key);
			kag__buf_putc(b, ':');
			put_raw(b, val);
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
	jv verb = obj_get(p->ev, "verb");
	const char *type = "info";
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (eq(verb, verbs[i].verb))
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
	jv users[2];
	static const char *const user_keys[2] = { "user", "impersonatedUser" };
	jv code = obj_get(p->status, "code");
	size_t i, k;

	users[0] = p->user;
	users[1] = p->imp;
	w_open(w, "kubernetes", '{');
	w_open(w, "audit", '{');
	w_str(w, "auditID", obj_get(p->event, "auditID"));
	w_str(w, "stage", obj_get(p->event, "stage"));
	w_str(w, "level", obj_get(p->event, "level"));
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		w_str(w, strs[i], obj_get(p->ev, strs[i]));
	for (k = 0; k < 2; k++) {
		if (!has_text(users[k], "username") && !has_text(users[k], "uid"))
			continue;
		w_open(w, user_keys[k], '{');
		for (i = 0; i < sizeof(user_members) / sizeof(user_members[0]); i++)
			w_str(w, user_members[i], obj_get(users[k], user_members[i]));
		w_strings(w, "groups", obj_get(users[k], "groups"));
		w_close(w, '}');
	}
	w_strings(w, "sourceIPs", p->ips);
	if (ok(p->obj)) {
		w_open(w, "objectRef", '{');
		for (i = 0; i < sizeof(obj_members) / sizeof(obj_members[0]); i++)
			w_str(w, obj_members[i], obj_get(p->obj, obj_members[i]));
		w_close(w, '}');
	}
	if (ok(p->status)) {
		w_open(w, "responseStatus", '{');
		if (is_int(code))
			w_int(w, "code", int_of(code));
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
static void put_dedotted(kag_buf *b, jv key)
{
	size_t len, i;
	const char *r = raw(key, &len);

	kag__buf_putc(b, '"');
	for (i = 0; i < len; i++)
		kag__buf_putc(b, r[i] == '.' ? '_' : r[i]);
	kag__buf_putc(b, '"');
}

static void render_ecs(kag_buf *b, const parts *p)
{
	const kag_verdict *v = p->v;
	writer w = { b, { 0 }, 0 };
	jv labels = obj_get(p->cluster, "labels"), code = obj_get(p->status, "code"), key;
	jv counted = ok(p->corr) ? p->corr : p->reps;
	jv first = obj_get(counted, "first"), last = obj_get(counted, "last");

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
	if (has_text(p->user, "username") || has_text(p->user, "uid")) {
		w_open(&w, "user", '{');
		w_str(&w, "name", obj_get(p->user, "username"));
		w_str(&w, "id", obj_get(p->user, "uid"));
		if (has_text(p->imp, "username")) {
			w_open(&w, "effective", '{');
			w_str(&w, "name", obj_get(p->imp, "username"));
			w_close(&w, '}');
		}
		w_close(&w, '}');
	}
	if (ok(p->ip)) {
		w_open(&w, "source", '{');
		w_str(&w, "ip", p->ip);
		w_close(&w, '}');
	}
	if (has_text(p->ev, "userAgent")) {
		w_open(&w, "user_agent", '{');
		w_str(&w, "original", obj_get(p->ev, "userAgent"));
		w_close(&w, '}');
	}
	if (has_text(p->status, "reason")) {
		w_open(&w, "error", '{');
		w_str(&w, "code", obj_get(p->status, "reason"));
		w_close(&w, '}');
	}
	if (is_int(code) && int_of(code) >= 100 && int_of(code) <= 599) {
		w_open(&w, "http", '{');
		w_open(&w, "response", '{');
		w_int(&w, "status_code", int_of(code));
		w_close(&w, '}');
		w_close(&w, '}');
	}
	w_open(&w, "orchestrator", '{');
	w_cstr(&w, "type", "kubernetes");
	if (ok(p->cluster)) {
		w_open(&w, "cluster", '{');
		w_str(&w, "name", obj_get(p->cluster, "name"));
		w_close(&w, '}');
	}
	w_str(&w, "namespace", obj_get(p->obj, "namespace"));
	w_str(&w, "api_version", obj_get(p->obj, "apiVersion"));
	if (has_text(p->obj, "resource") || has_text(p->obj, "name")) {
		w_open(&w, "resource", '{');
		w_str(&w, "type", obj_get(p->obj, "resource"));
		w_str(&w, "name", obj_get(p->obj, "name"));
		w_close(&w, '}');
	}
	w_close(&w, '}');
	if (ok(first_of(labels))) {
		w_open(&w, "labels", '{');
		for (key = first_of(labels); ok(key); key = next_of(labels, key)) {
			jv val = key;

			val.i++;
			w_key(&w, NULL);
			put_dedotted(b, key);
			kag__buf_putc(b, ':');
			put_value(b, val);
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
	jv rec;
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
		if (tokenize(v, &rec) < 0)
			return KAG_ENOMEM;
		b->len = 0;
		b->oom = 0;
		parts_read(&p, v, rec);
		if (schema == KAG_SCHEMA_OCSF)
			render_ocsf(b, &p);
		else
			render_ecs(b, &p);
		if (b->oom || kag__buf_terminate(b) < 0)
			return KAG_ENOMEM;
		v->rendered |= bit;
	}
	*out = b->data;
	if (len_out)
		*len_out = b->len;
	return KAG_OK;
}
