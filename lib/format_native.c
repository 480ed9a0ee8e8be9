/* The jansson front end for native audit.k8s.io Events (v1 and v1beta1).
 * Strings are borrowed from the jansson tree, which the event keeps alive. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format-private.h"

int kag__fmt_fail(kag_fmt_error *err, int code, const char *path, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

const char *kag__json_type_name(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

typedef struct {
	kag_event *ev;
	const char *prefix;
	kag_fmt_error *err;
} fill_ctx;

static int wrong_type(fill_ctx *c, const char *path, const char *want, const json_t *got)
{
	char full[128];

	snprintf(full, sizeof(full), "%s%s", c->prefix, path);
	return kag__fmt_fail(c->err, KAG_ESCHEMA, full, "%s: expected %s, got %s",
			     full, want, kag__json_type_name(got));
}

/* A string member; null counts as absent. */
static int take_string(fill_ctx *c, json_t *v, const char *path, int field)
{
	if (!v || json_is_null(v))
		return KAG_OK;
	if (!json_is_string(v))
		return wrong_type(c, path, "string", v);
	kag__event_set(c->ev, field, json_string_value(v), json_string_length(v),
		       KAG_STATE_OBSERVED);
	return KAG_OK;
}

typedef struct {
	const char *name;
	size_t len;
} member;

#define M(lit) { lit, sizeof(lit) - 1 }

/* Objects with more keys than this are searched by key instead. */
#define SCAN_MAX_KEYS 64

/* out[i] = member m[i].name of object `obj`, or NULL: one pass over the
 * keys of a small object, a lookup per member in a large one. */
static void pick(json_t *obj, const member *m, size_t n, json_t **out)
{
	size_t i, len;
	const char *key;
	void *it;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (json_object_size(obj) > SCAN_MAX_KEYS) {
		for (i = 0; i < n; i++)
			out[i] = json_object_getn(obj, m[i].name, m[i].len);
		return;
	}
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		key = json_object_iter_key(it);
		len = json_object_iter_key_len(it);
		for (i = 0; i < n; i++) {
			if (m[i].len == len && memcmp(m[i].name, key, len) == 0) {
				out[i] = json_object_iter_value(it);
				break;
			}
		}
	}
}

static int take_list(fill_ctx *c, json_t *arr, const char *path, int field)
{
	size_t i;
	json_t *v;
	int rc;

	if (!arr || json_is_null(arr))
		return KAG_OK;
	if (!json_is_array(arr))
		return wrong_type(c, path, "array", arr);
	if (json_array_size(arr) == 0) {
		/* An empty list is still an observed list. */
		c->ev->state[field] = KAG_STATE_OBSERVED;
		return KAG_OK;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			char p[96];

			snprintf(p, sizeof(p), "%s/%zu", path, i);
			return wrong_type(c, p, "string", v);
		}
		rc = kag__event_push(c->ev, field, NULL, 0, json_string_value(v),
				     json_string_length(v), KAG_STATE_OBSERVED);
		if (rc < 0)
			return kag__fmt_fail(c->err, rc, "", "out of memory");
	}
	return KAG_OK;
}

/* user.extra: map of string to list of strings, stored as repeated pairs. */
static int take_extra(fill_ctx *c, json_t *obj, const char *path, int field)
{
	const char *key;
	json_t *vals, *v;
	size_t i, klen;
	void *it;
	int rc;

	if (!obj || json_is_null(obj))
		return KAG_OK;
	if (!json_is_object(obj))
		return wrong_type(c, path, "object", obj);
	c->ev->state[field] = KAG_STATE_OBSERVED;
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		key = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		vals = json_object_iter_value(it);
		if (json_is_string(vals)) {
			/* tolerated: a single string instead of a list */
			rc = kag__event_push(c->ev, field, key, klen, json_string_value(vals),
					     json_string_length(vals), KAG_STATE_OBSERVED);
			if (rc < 0)
				return kag__fmt_fail(c->err, rc, "", "out of memory");
			continue;
		}
		if (!json_is_array(vals)) {
			char p[128];

			snprintf(p, sizeof(p), "%s/%s", path, key);
			return wrong_type(c, p, "array", vals);
		}
		json_array_foreach(vals, i, v) {
			if (!json_is_string(v)) {
				char p[128];

				snprintf(p, sizeof(p), "%s/%s/%zu", path, key, i);
				return wrong_type(c, p, "string", v);
			}
			rc = kag__event_push(c->ev, field, key, klen, json_string_value(v),
					     json_string_length(v), KAG_STATE_OBSERVED);
			if (rc < 0)
				return kag__fmt_fail(c->err, rc, "", "out of memory");
		}
	}
	return KAG_OK;
}

static int take_user(fill_ctx *c, json_t *u, int base)
{
	/* base is KAG_FIELD_USER or KAG_FIELD_IMP_USER; the four sub-fields
	 * follow it in the same order for both. */
	static const char *const paths[2][5] = {
		{ "/user", "/user/username", "/user/uid", "/user/groups", "/user/extra" },
		{ "/impersonatedUser", "/impersonatedUser/username", "/impersonatedUser/uid",
		  "/impersonatedUser/groups", "/impersonatedUser/extra" },
	};
	static const member m[] = { M("username"), M("uid"), M("groups"), M("extra") };
	const char *const *path = paths[base == KAG_FIELD_USER ? 0 : 1];
	json_t *v[4];
	int rc;

	if (!u || json_is_null(u))
		return KAG_OK;
	if (!json_is_object(u))
		return wrong_type(c, path[0], "object", u);
	c->ev->state[base] = KAG_STATE_OBSERVED;
	pick(u, m, 4, v);
	if ((rc = take_string(c, v[0], path[1], base + 1)) < 0 ||
	    (rc = take_string(c, v[1], path[2], base + 2)) < 0 ||
	    (rc = take_list(c, v[2], path[3], base + 3)) < 0)
		return rc;
	return take_extra(c, v[3], path[4], base + 4);
}

static int take_object_ref(fill_ctx *c, json_t *o)
{
	static const member m[] = {
		M("resource"), M("subresource"), M("namespace"), M("name"), M("apiGroup"),
		M("apiVersion"),
	};
	static const struct { const char *path; int field; } f[] = {
		{ "/objectRef/resource", KAG_FIELD_OBJ_RESOURCE },
		{ "/objectRef/subresource", KAG_FIELD_OBJ_SUBRESOURCE },
		{ "/objectRef/namespace", KAG_FIELD_OBJ_NAMESPACE },
		{ "/objectRef/name", KAG_FIELD_OBJ_NAME },
		{ "/objectRef/apiGroup", KAG_FIELD_OBJ_API_GROUP },
		{ "/objectRef/apiVersion", KAG_FIELD_OBJ_API_VERSION },
	};
	json_t *v[sizeof(m) / sizeof(m[0])];
	size_t i;
	int rc;

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/objectRef", "object", o);
	c->ev->state[KAG_FIELD_OBJECT_REF] = KAG_STATE_OBSERVED;
	pick(o, m, sizeof(m) / sizeof(m[0]), v);
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if ((rc = take_string(c, v[i], f[i].path, f[i].field)) < 0)
			return rc;
	}
	return KAG_OK;
}

static int take_response_status(fill_ctx *c, json_t *o)
{
	static const member m[] = { M("code"), M("reason"), M("message"), M("status") };
	json_t *v[4];
	int rc;

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/responseStatus", "object", o);
	c->ev->state[KAG_FIELD_RESPONSE_STATUS] = KAG_STATE_OBSERVED;
	pick(o, m, 4, v);
	if (v[0] && !json_is_null(v[0])) {
		if (!json_is_integer(v[0]))
			return wrong_type(c, "/responseStatus/code", "integer", v[0]);
		c->ev->code = json_integer_value(v[0]);
		c->ev->state[KAG_FIELD_RESPONSE_CODE] = KAG_STATE_OBSERVED;
	}
	if ((rc = take_string(c, v[1], "/responseStatus/reason", KAG_FIELD_RESPONSE_REASON)) < 0 ||
	    (rc = take_string(c, v[2], "/responseStatus/message", KAG_FIELD_RESPONSE_MESSAGE)) < 0 ||
	    (rc = take_string(c, v[3], "/responseStatus/status", KAG_FIELD_RESPONSE_STATUS_TEXT)) < 0)
		return rc;
	return KAG_OK;
}

static int take_annotations(fill_ctx *c, json_t *o)
{
	const char *key;
	json_t *v;
	void *it;
	int rc;

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/annotations", "object", o);
	c->ev->state[KAG_FIELD_ANNOTATIONS] = KAG_STATE_OBSERVED;
	for (it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		key = json_object_iter_key(it);
		v = json_object_iter_value(it);
		if (!json_is_string(v)) {
			char p[128];

			snprintf(p, sizeof(p), "/annotations/%s", key);
			return wrong_type(c, p, "string", v);
		}
		rc = kag__event_push(c->ev, KAG_FIELD_ANNOTATIONS, key, json_object_iter_key_len(it),
				     json_string_value(v), json_string_length(v),
				     KAG_STATE_OBSERVED);
		if (rc < 0)
			return kag__fmt_fail(c->err, rc, "", "out of memory");
	}
	return KAG_OK;
}

static void take_body(fill_ctx *c, json_t *v, int field, int slot)
{
	if (!v || json_is_null(v))
		return;
	c->ev->body[slot] = json_incref(v);
	c->ev->state[field] = KAG_STATE_OBSERVED;
}

/* ---- finding the members ---- */

/* In KAG__K_* order. */
static const member key_names[KAG__K_COUNT_] = {
	M("kind"), M("apiVersion"), M("auditID"), M("stage"), M("level"), M("verb"),
	M("requestURI"), M("userAgent"), M("requestReceivedTimestamp"), M("stageTimestamp"),
	M("timestamp"), M("user"), M("impersonatedUser"), M("sourceIPs"), M("objectRef"),
	M("responseStatus"), M("annotations"), M("requestObject"), M("responseObject"),
	M("items"), M("AuditId"), M("k8s_audit_level"), M("openshift_audit_level"),
	M("log_type"), M("Type"), M("protoPayload"), M("category"), M("Category"),
	M("properties"), M("log_s"), M("message"), M("@message"), M("records"), M("tables"),
	M("logEvents"), M("awslogs"), M("events"), M("resourceLogs"),
};

/* The KAG__K_* index of key k[0, n), or -1. */
static int key_index(const char *k, size_t n)
{
#define IS(lit, idx) if (memcmp(k, lit, sizeof(lit) - 1) == 0) return idx
	switch (n) {
	case 4:
		IS("verb", KAG__K_VERB); IS("user", KAG__K_USER); IS("kind", KAG__K_KIND);
		IS("Type", KAG__K_TYPE);
		break;
	case 5:
		IS("stage", KAG__K_STAGE); IS("level", KAG__K_LEVEL); IS("items", KAG__K_ITEMS);
		IS("log_s", KAG__K_LOG_S);
		break;
	case 6:
		IS("tables", KAG__K_TABLES); IS("events", KAG__K_EVENTS);
		break;
	case 7:
		IS("auditID", KAG__K_AUDIT_ID); IS("AuditId", KAG__K_AUDIT_ID_ROW);
		IS("message", KAG__K_MESSAGE); IS("records", KAG__K_RECORDS);
		IS("awslogs", KAG__K_AWSLOGS);
		break;
	case 8:
		IS("log_type", KAG__K_LOG_TYPE); IS("category", KAG__K_CATEGORY);
		IS("Category", KAG__K_CATEGORY_ROW); IS("@message", KAG__K_AT_MESSAGE);
		break;
	case 9:
		IS("userAgent", KAG__K_USER_AGENT); IS("sourceIPs", KAG__K_SOURCE_IPS);
		IS("objectRef", KAG__K_OBJECT_REF); IS("timestamp", KAG__K_TIMESTAMP);
		IS("logEvents", KAG__K_LOG_EVENTS);
		break;
	case 10:
		IS("apiVersion", KAG__K_API_VERSION); IS("requestURI", KAG__K_REQUEST_URI);
		IS("properties", KAG__K_PROPERTIES);
		break;
	case 11:
		IS("annotations", KAG__K_ANNOTATIONS);
		break;
	case 12:
		IS("protoPayload", KAG__K_PROTO_PAYLOAD); IS("resourceLogs", KAG__K_RESOURCE_LOGS);
		break;
	case 13:
		IS("requestObject", KAG__K_REQUEST_OBJECT);
		break;
	case 14:
		IS("stageTimestamp", KAG__K_STAGE_TS); IS("responseStatus", KAG__K_RESPONSE_STATUS);
		IS("responseObject", KAG__K_RESPONSE_OBJECT);
		break;
	case 15:
		IS("k8s_audit_level", KAG__K_K8S_AUDIT_LEVEL);
		break;
	case 16:
		IS("impersonatedUser", KAG__K_IMP_USER);
		break;
	case 21:
		IS("openshift_audit_level", KAG__K_OPENSHIFT_AUDIT_LEVEL);
		break;
	case 24:
		IS("requestReceivedTimestamp", KAG__K_REQUEST_RECEIVED_TS);
		break;
	default:
		break;
	}
#undef IS
	return -1;
}

void kag__keys_scan(kag__keys *k, json_t *obj)
{
	void *it;
	int i;

	k->obj = obj;
	if (json_object_size(obj) > SCAN_MAX_KEYS) {
		for (i = 0; i < KAG__K_COUNT_; i++)
			k->v[i] = json_object_getn(obj, key_names[i].name, key_names[i].len);
		return;
	}
	memset(k->v, 0, sizeof(k->v));
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		i = key_index(json_object_iter_key(it), json_object_iter_key_len(it));
		if (i >= 0)
			k->v[i] = json_object_iter_value(it);
	}
}

/* ---- the event ---- */

int kag__native_fill_keys(kag_event *ev, const kag__keys *k, const char *prefix,
			  kag_fmt_error *err)
{
	static const struct { int key; const char *path; int field; } strs[] = {
		{ KAG__K_AUDIT_ID, "/auditID", KAG_FIELD_AUDIT_ID },
		{ KAG__K_STAGE, "/stage", KAG_FIELD_STAGE },
		{ KAG__K_LEVEL, "/level", KAG_FIELD_LEVEL },
		{ KAG__K_VERB, "/verb", KAG_FIELD_VERB },
		{ KAG__K_REQUEST_URI, "/requestURI", KAG_FIELD_REQUEST_URI },
		{ KAG__K_USER_AGENT, "/userAgent", KAG_FIELD_USER_AGENT },
		{ KAG__K_REQUEST_RECEIVED_TS, "/requestReceivedTimestamp",
		  KAG_FIELD_REQUEST_RECEIVED_TS },
		{ KAG__K_STAGE_TS, "/stageTimestamp", KAG_FIELD_STAGE_TS },
		{ KAG__K_TIMESTAMP, "/timestamp", KAG_FIELD_TIMESTAMP },
	};
	fill_ctx c = { ev, prefix ? prefix : "", err };
	json_t *const *v = k->v;
	size_t i;
	int rc;

	/* kind and apiVersion are optional, but must be strings when present. */
	if (v[KAG__K_KIND] && !json_is_null(v[KAG__K_KIND]) && !json_is_string(v[KAG__K_KIND]))
		return wrong_type(&c, "/kind", "string", v[KAG__K_KIND]);
	if (v[KAG__K_API_VERSION] && !json_is_null(v[KAG__K_API_VERSION]) &&
	    !json_is_string(v[KAG__K_API_VERSION]))
		return wrong_type(&c, "/apiVersion", "string", v[KAG__K_API_VERSION]);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if ((rc = take_string(&c, v[strs[i].key], strs[i].path, strs[i].field)) < 0)
			return rc;
	}
	if ((rc = take_user(&c, v[KAG__K_USER], KAG_FIELD_USER)) < 0 ||
	    (rc = take_user(&c, v[KAG__K_IMP_USER], KAG_FIELD_IMP_USER)) < 0 ||
	    (rc = take_list(&c, v[KAG__K_SOURCE_IPS], "/sourceIPs", KAG_FIELD_SOURCE_IPS)) < 0 ||
	    (rc = take_object_ref(&c, v[KAG__K_OBJECT_REF])) < 0 ||
	    (rc = take_response_status(&c, v[KAG__K_RESPONSE_STATUS])) < 0 ||
	    (rc = take_annotations(&c, v[KAG__K_ANNOTATIONS])) < 0)
		return rc;
	take_body(&c, v[KAG__K_REQUEST_OBJECT], KAG_FIELD_REQUEST_OBJECT, 0);
	take_body(&c, v[KAG__K_RESPONSE_OBJECT], KAG_FIELD_RESPONSE_OBJECT, 1);

	if (!kag__has(ev, KAG_FIELD_VERB) && !kag__has(ev, KAG_FIELD_AUDIT_ID) &&
	    !kag__has(ev, KAG_FIELD_STAGE) && !kag__has(ev, KAG_FIELD_REQUEST_URI) &&
	    !kag__has(ev, KAG_FIELD_OBJECT_REF) && !kag__has(ev, KAG_FIELD_USER))
		return kag__fmt_fail(err, KAG_ESCHEMA, prefix ? prefix : "",
				     "not an audit event: none of verb, auditID, stage, "
				     "requestURI, objectRef, user is present");
	kag__event_finish(ev);
	return KAG_OK;
}

int kag__native_fill(kag_event *ev, json_t *obj, const char *prefix, kag_fmt_error *err)
{
	kag__keys k;

	if (!json_is_object(obj)) {
		fill_ctx c = { ev, prefix ? prefix : "", err };

		return wrong_type(&c, "", "object", obj);
	}
	kag__keys_scan(&k, obj);
	return kag__native_fill_keys(ev, &k, prefix, err);
}
