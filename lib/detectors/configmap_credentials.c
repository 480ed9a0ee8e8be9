/* configmap_credentials: ConfigMaps created, updated or patched with data
 * that looks like a credential: a key that names a secret holding a value
 * shaped like one, or a value that is one whatever its key (a PEM private
 * key, a cloud access key, a JWT, a configuration file with a password in
 * it). ConfigMaps are readable by far more identities than Secrets, and
 * are not encrypted at rest. The evidence names the keys, never a value. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "body-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "redact-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1552", NULL),
	{ NULL }
};
static const int required[] = { KAG_FIELD_VERB, KAG_FIELD_OBJ_RESOURCE };
static const int wanted[] = { KAG_FIELD_REQUEST_OBJECT, KAG_FIELD_USER_USERNAME,
			      KAG_FIELD_OBJ_NAME };

#define MAX_KEYS 8

typedef struct {
	const char *keys[MAX_KEYS];   /* the members, in the parsed body */
	size_t key_len[MAX_KEYS];
	size_t n_keys;
	int forms;                    /* KAG__CRED_* of the values, and F_NAMED */
	kag_buf scratch;              /* the masker's output, discarded */
} cm_scan;

#define F_NAMED (1 << 16)         /* a secret-named key with a secret-shaped value */

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	if (!kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "configmaps") ||
	    kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) || !kag__verb_is(ev, kag__verbs_change))
		return 0;
	/* the platform's own ConfigMaps: CA bundles, leader locks, add-on settings */
	return !(kag__is_platform(ev, ctx) && kag__in_system_namespace(ev, ctx->policy));
}

/* A value that could be the secret its key names: a single word of some
 * length, not a number, a switch, a path or a template. A key such as
 * password_min_length holds "12"; token_ttl holds "3600s". */
static int secret_shaped(const char *v, size_t n)
{
	size_t i, digits = 0;

	if (n < 8 || v[0] == '/' || (n >= 2 && (memcmp(v, "${", 2) == 0 ||
						memcmp(v, "{{", 2) == 0)))
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] == ' ' || v[i] == '\n' || v[i] == '\t')
			return 0;
		digits += v[i] >= '0' && v[i] <= '9';
	}
	return digits < n;
}

static void note_key(cm_scan *s, const char *key, size_t len)
{
	if (s->n_keys < MAX_KEYS) {
		s->keys[s->n_keys] = key;
		s->key_len[s->n_keys++] = len;
	}
}

static void judge_member(cm_scan *s, const char *key, size_t klen, json_t *value)
{
	static const int shapes = KAG__CRED_PEM | KAG__CRED_CLOUD_KEY | KAG__CRED_JWT |
				  KAG__CRED_KEY_VALUE | KAG__CRED_AUTH;
	const char *v;
	size_t n;
	int found;

	if (!json_is_string(value))
		return;
	v = json_string_value(value);
	n = json_string_length(value);
	s->scratch.len = 0;
	found = kag__mask_credentials(&s->scratch, v, n, NULL) & shapes;
	if (kag__key_is_secret(key, klen) && secret_shaped(v, n))
		found |= F_NAMED;
	if (!found)
		return;
	s->forms |= found;
	note_key(s, key, klen);
}

static void judge_data(cm_scan *s, json_t *data)
{
	const char *key;
	json_t *v;

	json_object_foreach(data, key, v)
		judge_member(s, key, strlen(key), v);
}

/* JSON Patch: operations that add or replace /data or one of its keys
 * (a key's ~1 and ~0 escapes are left as written: the evidence shows the
 * path's step). */
static void judge_patch(cm_scan *s, json_t *ops)
{
	json_t *op;
	size_t i;

	json_array_foreach(ops, i, op) {
		kag_str verb = kag__json_str(op, "op"), path = kag__json_str(op, "path");

		if (!kag__str_eq(verb, "add") && !kag__str_eq(verb, "replace"))
			continue;
		if (kag__str_eq(path, "/data"))
			judge_data(s, json_object_get(op, "value"));
		else if (path.ptr && path.len > 6 && memcmp(path.ptr, "/data/", 6) == 0)
			judge_member(s, path.ptr + 6, path.len - 6, json_object_get(op, "value"));
	}
}

static void put_forms(kag_finding *f, int forms)
{
	static const struct { int flag; const char *name; } names[] = {
		{ KAG__CRED_PEM, "pem-private-key" }, { KAG__CRED_CLOUD_KEY, "cloud-access-key" },
		{ KAG__CRED_JWT, "jwt" }, { KAG__CRED_AUTH, "authorization-value" },
		{ KAG__CRED_KEY_VALUE, "embedded-secret-setting" }, { F_NAMED, "secret-named-key" },
	};
	size_t i;
	int any = 0;

	kag__buf_puts(f->extra, ",\"forms\":[");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(forms & names[i].flag))
			continue;
		if (any++)
			kag__buf_putc(f->extra, ',');
		kag__buf_put_json_str(f->extra, names[i].name, strlen(names[i].name));
	}
	kag__buf_putc(f->extra, ']');
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	static const kag__body_needle needles[] = { { "data", 0 }, { NULL, 0 } };
	char user[128], ns[96], name[128], verb[16], keys[200];
	json_t *body;
	cm_scan s;
	size_t i, k = 0;
	int severity;

	if (!kag__event_body_may_contain(ev, 0, needles))
		return KAG_OK;
	body = kag__event_body(ev, 0);
	if (!body)
		return KAG_OK; /* Metadata level: ConfigMap writes are too common to ask */
	memset(&s, 0, sizeof(s));
	kag__buf_init(&s.scratch);
	if (json_is_array(body))
		judge_patch(&s, body);
	else
		judge_data(&s, json_object_get(body, "data"));
	kag__buf_dispose(&s.scratch);
	if (!s.forms)
		return KAG_OK;
	severity = s.forms & (KAG__CRED_PEM | KAG__CRED_CLOUD_KEY) ? KAG_SEVERITY_HIGH
								   : KAG_SEVERITY_MEDIUM;
	keys[0] = '\0';
	for (i = 0; i < s.n_keys && k < sizeof(keys) - 1; i++)
		k += (size_t)snprintf(keys + k, sizeof(keys) - k, "%s%.*s", i ? ", " : "",
				      (int)(s.key_len[i] > 64 ? 64 : s.key_len[i]), s.keys[i]);
	if (kag__usable(ev, KAG_FIELD_OBJ_NAME))
		kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(new)");
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_MEDIUM,
		    "%s %s configmap %s/%s with credential-like data under key%s %s "
		    "(ConfigMaps are neither access-restricted nor encrypted like Secrets)",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)), name,
		    s.n_keys > 1 ? "s" : "", keys);
	kag__finding_attack(f, "T1552");
	kag__extra_key(f, "configMapCredentials");
	kag__buf_puts(f->extra, "{\"keys\":[");
	for (i = 0; i < s.n_keys; i++) {
		if (i)
			kag__buf_putc(f->extra, ',');
		kag__buf_put_json_str(f->extra, s.keys[i], s.key_len[i]);
	}
	kag__buf_putc(f->extra, ']');
	put_forms(f, s.forms);
	kag__buf_putc(f->extra, '}');
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = { "configmaps", NULL };

const kag__detector_def kag__det_configmap_credentials = {
	.id = "configmap_credentials",
	.title = "Credentials stored in a ConfigMap",
	.about = {
		.finds =
			"ConfigMaps created, updated or patched (full objects, merge patches "
			"and JSON Patch operations on /data) whose data holds a value shaped "
			"like a credential whatever its key (a PEM private key or a cloud "
			"access key: high; a JWT, an Authorization value, or a configuration "
			"file with a secret-named setting in it: medium), or a key that names "
			"a secret (password, secret, token, aws_secret_access_key, ...) with a "
			"value that could be one (a single word of at least 8 bytes, not a "
			"number, a path or a template: medium); evidence.configMapCredentials "
			"names the keys and the forms found, never a value",
		.fields = "requestObject data (or the JSON Patch operations on it)",
		.level = "Request: the data is in the body; a ConfigMap write logged at "
			 "Metadata level is not reported",
		.false_positives =
			"test fixtures and sample configurations with dummy credentials; "
			"public certificates are not private keys and are not reported; the "
			"platform's own ConfigMaps in the system namespaces are not judged",
		.peers =
			"Defender for Containers sensitive data in ConfigMap; Splunk and "
			"Elastic credential-in-ConfigMap hunting rules",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_LOW,
	.verbs = kag__verbs_change,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
