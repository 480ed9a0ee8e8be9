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
	int oauth;           /* the oauth-server login decision annotation is present */
} fill_ctx;

KAG__COLD static int wrong_type(fill_ctx *c, const char *path, const char *want,
				 const json_t *got)
{
	char full[128];

	snprintf(full, sizeof(full), "%s%s", c->prefix, path);
	return kag__fmt_fail(c->err, KAG_ESCHEMA, full, "expected %s, got %s", want,
			     kag__json_type_name(got));
}

/* Item i of the list at `path` is not a string. */
KAG__COLD static int wrong_item(fill_ctx *c, const char *path, size_t i, const json_t *got)
{
	char p[96];

	snprintf(p, sizeof(p), "%s/%zu", path, i);
	return wrong_type(c, p, "string", got);
}

KAG__COLD static int no_memory(fill_ctx *c, int rc)
{
	return kag__fmt_fail(c->err, rc, "", "out of memory");
}

/* A string member; null counts as absent. */
static inline int take_string(fill_ctx *c, json_t *v, const char *path, int field)
{
	if (json_is_string(v)) {
		kag__event_set(c->ev, field, json_string_value(v), json_string_length(v),
			       KAG_STATE_OBSERVED);
		return KAG_OK;
	}
	if (!v || json_is_null(v))
		return KAG_OK;
	return wrong_type(c, path, "string", v);
}

/* String members read in one loop, in table order. */
typedef struct {
	unsigned char slot;   /* index in the members found */
	unsigned char field;  /* KAG_FIELD_* */
	const char *path;     /* JSON pointer, for messages */
} str_member;

static int take_strings(fill_ctx *c, json_t *const *v, const str_member *m, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = take_string(c, v[m[i].slot], m[i].path, m[i].field)) < 0)
			return rc;
	}
	return KAG_OK;
}

/* The members kag reads of an object, in one pass over its keys whatever
 * its size: which(key, len) gives the index in out[0, n) of a key, or -1
 * for another one. Keys are unique in a jansson object. */
static inline void members(json_t *obj, int (*which)(const char *, size_t), json_t **out,
			   size_t n)
{
	size_t i;
	void *it;
	int m;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		m = which(json_object_iter_key(it), json_object_iter_key_len(it));
		if (m >= 0)
			out[m] = json_object_iter_value(it);
	}
}

#define IS(lit) (memcmp(k, lit, sizeof(lit) - 1) == 0)

/* user and impersonatedUser: username, uid, groups, extra */
static int user_member(const char *k, size_t n)
{
	switch (n) {
	case 8: return IS("username") ? 0 : -1;
	case 3: return IS("uid") ? 1 : -1;
	case 6: return IS("groups") ? 2 : -1;
	case 5: return IS("extra") ? 3 : -1;
	default: return -1;
	}
}

/* objectRef: resource, subresource, namespace, name, apiGroup, apiVersion */
static int object_ref_member(const char *k, size_t n)
{
	switch (n) {
	case 8: return IS("resource") ? 0 : IS("apiGroup") ? 4 : -1;
	case 11: return IS("subresource") ? 1 : -1;
	case 9: return IS("namespace") ? 2 : -1;
	case 4: return IS("name") ? 3 : -1;
	case 10: return IS("apiVersion") ? 5 : -1;
	default: return -1;
	}
}

/* responseStatus: code, reason, message, status */
static int response_status_member(const char *k, size_t n)
{
	switch (n) {
	case 4: return IS("code") ? 0 : -1;
	case 6: return IS("reason") ? 1 : IS("status") ? 3 : -1;
	case 7: return IS("message") ? 2 : -1;
	default: return -1;
	}
}

#undef IS

static int take_list(fill_ctx *c, json_t *arr, const char *path, int field)
{
	size_t i, n;
	json_t *v;
	int rc;

	if (!arr || json_is_null(arr))
		return KAG_OK;
	if (!json_is_array(arr))
		return wrong_type(c, path, "array", arr);
	n = json_array_size(arr);
	if (n == 0) {
		/* An empty list is still an observed list. */
		c->ev->state[field] = KAG_STATE_OBSERVED;
		return KAG_OK;
	}
	for (i = 0; i < n; i++) {
		v = json_array_get(arr, i);
		if (!json_is_string(v))
			return wrong_item(c, path, i, v);
		rc = kag__event_push(c->ev, field, NULL, 0, json_string_value(v),
				     json_string_length(v), KAG_STATE_OBSERVED);
		if (rc < 0)
			return no_memory(c, rc);
	}
	return KAG_OK;
}

/* Member `key` (or item i of it, when i is not SIZE_MAX) of the object at
 * `path` has the wrong type. */
KAG__COLD static int wrong_pair(fill_ctx *c, const char *path, const char *key, size_t i,
				const char *want, const json_t *got)
{
	char p[128];

	if (i == SIZE_MAX)
		snprintf(p, sizeof(p), "%s/%s", path, key);
	else
		snprintf(p, sizeof(p), "%s/%s/%zu", path, key, i);
	return wrong_type(c, p, want, got);
}

/* user.extra: map of string to list of strings, stored as repeated pairs. */
static int take_extra(fill_ctx *c, json_t *obj, const char *path, int field)
{
	const char *key;
	json_t *vals, *v;
	size_t i, n, klen;
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
				return no_memory(c, rc);
			continue;
		}
		if (!json_is_array(vals))
			return wrong_pair(c, path, key, SIZE_MAX, "array", vals);
		n = json_array_size(vals);
		for (i = 0; i < n; i++) {
			v = json_array_get(vals, i);
			if (!json_is_string(v))
				return wrong_pair(c, path, key, i, "string", v);
			rc = kag__event_push(c->ev, field, key, klen, json_string_value(v),
					     json_string_length(v), KAG_STATE_OBSERVED);
			if (rc < 0)
				return no_memory(c, rc);
		}
	}
	return KAG_OK;
}

static int take_user(fill_ctx *c, json_t *u, int base)
{
	/* base is KAG_FIELD_USER or KAG_FIELD_IMP_USER; the four sub-fields
	 * follow it in the same order for both. */
	static const str_member names[2][2] = {
		{ { 0, KAG_FIELD_USER_USERNAME, "/user/username" },
		  { 1, KAG_FIELD_USER_UID, "/user/uid" } },
		{ { 0, KAG_FIELD_IMP_USERNAME, "/impersonatedUser/username" },
		  { 1, KAG_FIELD_IMP_UID, "/impersonatedUser/uid" } },
	};
	static const char *const paths[2][3] = {
		{ "/user", "/user/groups", "/user/extra" },
		{ "/impersonatedUser", "/impersonatedUser/groups", "/impersonatedUser/extra" },
	};
	int which = base == KAG_FIELD_USER ? 0 : 1, rc;
	json_t *v[4];

	if (!u || json_is_null(u))
		return KAG_OK;
	if (!json_is_object(u))
		return wrong_type(c, paths[which][0], "object", u);
	c->ev->state[base] = KAG_STATE_OBSERVED;
	members(u, user_member, v, 4);
	if ((rc = take_strings(c, v, names[which], 2)) < 0 ||
	    (rc = take_list(c, v[2], paths[which][1], base + 3)) < 0)
		return rc;
	return v[3] ? take_extra(c, v[3], paths[which][2], base + 4) : KAG_OK;
}

static int take_object_ref(fill_ctx *c, json_t *o)
{
	static const str_member m[] = {
		{ 0, KAG_FIELD_OBJ_RESOURCE, "/objectRef/resource" },
		{ 1, KAG_FIELD_OBJ_SUBRESOURCE, "/objectRef/subresource" },
		{ 2, KAG_FIELD_OBJ_NAMESPACE, "/objectRef/namespace" },
		{ 3, KAG_FIELD_OBJ_NAME, "/objectRef/name" },
		{ 4, KAG_FIELD_OBJ_API_GROUP, "/objectRef/apiGroup" },
		{ 5, KAG_FIELD_OBJ_API_VERSION, "/objectRef/apiVersion" },
	};
	json_t *v[sizeof(m) / sizeof(m[0])];

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/objectRef", "object", o);
	c->ev->state[KAG_FIELD_OBJECT_REF] = KAG_STATE_OBSERVED;
	members(o, object_ref_member, v, sizeof(m) / sizeof(m[0]));
	return take_strings(c, v, m, sizeof(m) / sizeof(m[0]));
}

static int take_response_status(fill_ctx *c, json_t *o)
{
	static const str_member m[] = {
		{ 1, KAG_FIELD_RESPONSE_REASON, "/responseStatus/reason" },
		{ 2, KAG_FIELD_RESPONSE_MESSAGE, "/responseStatus/message" },
		{ 3, KAG_FIELD_RESPONSE_STATUS_TEXT, "/responseStatus/status" },
	};
	json_t *v[4];

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/responseStatus", "object", o);
	c->ev->state[KAG_FIELD_RESPONSE_STATUS] = KAG_STATE_OBSERVED;
	members(o, response_status_member, v, 4);
	if (v[0] && !json_is_null(v[0])) {
		if (!json_is_integer(v[0]))
			return wrong_type(c, "/responseStatus/code", "integer", v[0]);
		c->ev->code = json_integer_value(v[0]);
		c->ev->state[KAG_FIELD_RESPONSE_CODE] = KAG_STATE_OBSERVED;
	}
	return take_strings(c, v, m, sizeof(m) / sizeof(m[0]));
}

/* The annotation of an OpenShift oauth-server login event. */
static const char oauth_decision[] = "authentication.openshift.io/decision";

static int take_annotations(fill_ctx *c, json_t *o)
{
	const char *key;
	size_t klen;
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
		klen = json_object_iter_key_len(it);
		v = json_object_iter_value(it);
		if (!json_is_string(v))
			return wrong_pair(c, "/annotations", key, SIZE_MAX, "string", v);
		if (klen == sizeof(oauth_decision) - 1 && memcmp(key, oauth_decision, klen) == 0)
			c->oauth = 1;
		rc = kag__event_push(c->ev, KAG_FIELD_ANNOTATIONS, key, klen,
				     json_string_value(v), json_string_length(v),
				     KAG_STATE_OBSERVED);
		if (rc < 0)
			return no_memory(c, rc);
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

/* The KAG__K_* index of key k[0, n), or -1. */
static KAG__INLINE int key_index(const char *k, size_t n)
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

	/* One pass, whatever the size of the object: each key is placed by
	 * its length and bytes at once. */
	k->obj = obj;
	memset(k->v, 0, sizeof(k->v));
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		i = key_index(json_object_iter_key(it), json_object_iter_key_len(it));
		if (i >= 0)
			k->v[i] = json_object_iter_value(it);
	}
}

/* ---- the event ---- */

int kag__native_fill_keys(kag_event *ev, const kag__keys *k, const char *format,
			  const char *prefix, kag_fmt_error *err)
{
	static const str_member strs[] = {
		{ KAG__K_AUDIT_ID, KAG_FIELD_AUDIT_ID, "/auditID" },
		{ KAG__K_STAGE, KAG_FIELD_STAGE, "/stage" },
		{ KAG__K_LEVEL, KAG_FIELD_LEVEL, "/level" },
		{ KAG__K_VERB, KAG_FIELD_VERB, "/verb" },
		{ KAG__K_REQUEST_URI, KAG_FIELD_REQUEST_URI, "/requestURI" },
		{ KAG__K_USER_AGENT, KAG_FIELD_USER_AGENT, "/userAgent" },
		{ KAG__K_REQUEST_RECEIVED_TS, KAG_FIELD_REQUEST_RECEIVED_TS,
		  "/requestReceivedTimestamp" },
		{ KAG__K_STAGE_TS, KAG_FIELD_STAGE_TS, "/stageTimestamp" },
		{ KAG__K_TIMESTAMP, KAG_FIELD_TIMESTAMP, "/timestamp" },
	};
	fill_ctx c = { ev, prefix ? prefix : "", err, 0 };
	json_t *const *v = k->v;
	int rc;

	/* kind and apiVersion are optional, but must be strings when present. */
	if (v[KAG__K_KIND] && !json_is_string(v[KAG__K_KIND]) && !json_is_null(v[KAG__K_KIND]))
		return wrong_type(&c, "/kind", "string", v[KAG__K_KIND]);
	if (v[KAG__K_API_VERSION] && !json_is_string(v[KAG__K_API_VERSION]) &&
	    !json_is_null(v[KAG__K_API_VERSION]))
		return wrong_type(&c, "/apiVersion", "string", v[KAG__K_API_VERSION]);
	if ((rc = take_strings(&c, v, strs, sizeof(strs) / sizeof(strs[0]))) < 0 ||
	    (rc = take_user(&c, v[KAG__K_USER], KAG_FIELD_USER)) < 0 ||
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
	if (format) {
		ev->format = format;
		/* An oauth-server login event: a native event carrying the
		 * authentication decision of OpenShift's login flow. */
		if (c.oauth && strcmp(format, "native") == 0)
			ev->format = "openshift-oauth";
	}
	return KAG_OK;
}

int kag__fill_native_as(kag_event *ev, json_t *obj, const char *format, const char *prefix,
			kag_fmt_error *err)
{
	kag__keys k;

	if (!json_is_object(obj)) {
		fill_ctx c = { ev, prefix ? prefix : "", err, 0 };

		return wrong_type(&c, "", "object", obj);
	}
	kag__keys_scan(&k, obj);
	return kag__native_fill_keys(ev, &k, format, prefix, err);
}

int kag__native_fill(kag_event *ev, json_t *obj, const char *prefix, kag_fmt_error *err)
{
	return kag__fill_native_as(ev, obj, NULL, prefix, err);
}
