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
static int take_string(fill_ctx *c, json_t *obj, const char *key, const char *path, int field)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return KAG_OK;
	if (!json_is_string(v))
		return wrong_type(c, path, "string", v);
	kag__event_set(c->ev, field, json_string_value(v), json_string_length(v),
		       KAG_STATE_OBSERVED);
	return KAG_OK;
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
	size_t i;
	int rc;

	if (!obj || json_is_null(obj))
		return KAG_OK;
	if (!json_is_object(obj))
		return wrong_type(c, path, "object", obj);
	c->ev->state[field] = KAG_STATE_OBSERVED;
	json_object_foreach(obj, key, vals) {
		size_t klen = strlen(key);

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

static int take_user(fill_ctx *c, json_t *ev_obj, const char *key, int base)
{
	/* base is KAG_FIELD_USER or KAG_FIELD_IMP_USER; the four sub-fields
	 * follow it in the same order for both. */
	static const char *const paths[2][5] = {
		{ "/user", "/user/username", "/user/uid", "/user/groups", "/user/extra" },
		{ "/impersonatedUser", "/impersonatedUser/username", "/impersonatedUser/uid",
		  "/impersonatedUser/groups", "/impersonatedUser/extra" },
	};
	const char *const *path = paths[base == KAG_FIELD_USER ? 0 : 1];
	json_t *u = json_object_get(ev_obj, key);
	int rc;

	if (!u || json_is_null(u))
		return KAG_OK;
	if (!json_is_object(u))
		return wrong_type(c, path[0], "object", u);
	c->ev->state[base] = KAG_STATE_OBSERVED;
	if ((rc = take_string(c, u, "username", path[1], base + 1)) < 0 ||
	    (rc = take_string(c, u, "uid", path[2], base + 2)) < 0 ||
	    (rc = take_list(c, json_object_get(u, "groups"), path[3], base + 3)) < 0)
		return rc;
	return take_extra(c, json_object_get(u, "extra"), path[4], base + 4);
}

static int take_object_ref(fill_ctx *c, json_t *ev_obj)
{
	static const struct { const char *key, *path; int field; } m[] = {
		{ "resource", "/objectRef/resource", KAG_FIELD_OBJ_RESOURCE },
		{ "subresource", "/objectRef/subresource", KAG_FIELD_OBJ_SUBRESOURCE },
		{ "namespace", "/objectRef/namespace", KAG_FIELD_OBJ_NAMESPACE },
		{ "name", "/objectRef/name", KAG_FIELD_OBJ_NAME },
		{ "apiGroup", "/objectRef/apiGroup", KAG_FIELD_OBJ_API_GROUP },
		{ "apiVersion", "/objectRef/apiVersion", KAG_FIELD_OBJ_API_VERSION },
	};
	json_t *o = json_object_get(ev_obj, "objectRef");
	size_t i;
	int rc;

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/objectRef", "object", o);
	c->ev->state[KAG_FIELD_OBJECT_REF] = KAG_STATE_OBSERVED;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if ((rc = take_string(c, o, m[i].key, m[i].path, m[i].field)) < 0)
			return rc;
	}
	return KAG_OK;
}

static int take_response_status(fill_ctx *c, json_t *ev_obj)
{
	json_t *o = json_object_get(ev_obj, "responseStatus"), *code;
	int rc;

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/responseStatus", "object", o);
	c->ev->state[KAG_FIELD_RESPONSE_STATUS] = KAG_STATE_OBSERVED;
	code = json_object_get(o, "code");
	if (code && !json_is_null(code)) {
		if (!json_is_integer(code))
			return wrong_type(c, "/responseStatus/code", "integer", code);
		c->ev->code = json_integer_value(code);
		c->ev->state[KAG_FIELD_RESPONSE_CODE] = KAG_STATE_OBSERVED;
	}
	if ((rc = take_string(c, o, "reason", "/responseStatus/reason", KAG_FIELD_RESPONSE_REASON)) < 0 ||
	    (rc = take_string(c, o, "message", "/responseStatus/message", KAG_FIELD_RESPONSE_MESSAGE)) < 0 ||
	    (rc = take_string(c, o, "status", "/responseStatus/status", KAG_FIELD_RESPONSE_STATUS_TEXT)) < 0)
		return rc;
	return KAG_OK;
}

static int take_annotations(fill_ctx *c, json_t *ev_obj)
{
	json_t *o = json_object_get(ev_obj, "annotations"), *v;
	const char *key;
	int rc;

	if (!o || json_is_null(o))
		return KAG_OK;
	if (!json_is_object(o))
		return wrong_type(c, "/annotations", "object", o);
	c->ev->state[KAG_FIELD_ANNOTATIONS] = KAG_STATE_OBSERVED;
	json_object_foreach(o, key, v) {
		if (!json_is_string(v)) {
			char p[128];

			snprintf(p, sizeof(p), "/annotations/%s", key);
			return wrong_type(c, p, "string", v);
		}
		rc = kag__event_push(c->ev, KAG_FIELD_ANNOTATIONS, key, strlen(key),
				     json_string_value(v), json_string_length(v),
				     KAG_STATE_OBSERVED);
		if (rc < 0)
			return kag__fmt_fail(c->err, rc, "", "out of memory");
	}
	return KAG_OK;
}

static void take_body(fill_ctx *c, json_t *ev_obj, const char *key, int field, int slot)
{
	json_t *v = json_object_get(ev_obj, key);

	if (!v || json_is_null(v))
		return;
	c->ev->body[slot] = json_incref(v);
	c->ev->state[field] = KAG_STATE_OBSERVED;
}

int kag__native_fill(kag_event *ev, json_t *obj, const char *prefix, kag_fmt_error *err)
{
	static const struct { const char *key, *path; int field; } strs[] = {
		{ "auditID", "/auditID", KAG_FIELD_AUDIT_ID },
		{ "stage", "/stage", KAG_FIELD_STAGE },
		{ "level", "/level", KAG_FIELD_LEVEL },
		{ "verb", "/verb", KAG_FIELD_VERB },
		{ "requestURI", "/requestURI", KAG_FIELD_REQUEST_URI },
		{ "userAgent", "/userAgent", KAG_FIELD_USER_AGENT },
		{ "requestReceivedTimestamp", "/requestReceivedTimestamp", KAG_FIELD_REQUEST_RECEIVED_TS },
		{ "stageTimestamp", "/stageTimestamp", KAG_FIELD_STAGE_TS },
		{ "timestamp", "/timestamp", KAG_FIELD_TIMESTAMP },
	};
	fill_ctx c = { ev, prefix ? prefix : "", err };
	json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(obj))
		return wrong_type(&c, "", "object", obj);
	/* kind and apiVersion are optional, but must be strings when present. */
	v = json_object_get(obj, "kind");
	if (v && !json_is_null(v) && !json_is_string(v))
		return wrong_type(&c, "/kind", "string", v);
	v = json_object_get(obj, "apiVersion");
	if (v && !json_is_null(v) && !json_is_string(v))
		return wrong_type(&c, "/apiVersion", "string", v);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if ((rc = take_string(&c, obj, strs[i].key, strs[i].path, strs[i].field)) < 0)
			return rc;
	}
	if ((rc = take_user(&c, obj, "user", KAG_FIELD_USER)) < 0 ||
	    (rc = take_user(&c, obj, "impersonatedUser", KAG_FIELD_IMP_USER)) < 0 ||
	    (rc = take_list(&c, json_object_get(obj, "sourceIPs"), "/sourceIPs", KAG_FIELD_SOURCE_IPS)) < 0 ||
	    (rc = take_object_ref(&c, obj)) < 0 ||
	    (rc = take_response_status(&c, obj)) < 0 ||
	    (rc = take_annotations(&c, obj)) < 0)
		return rc;
	take_body(&c, obj, "requestObject", KAG_FIELD_REQUEST_OBJECT, 0);
	take_body(&c, obj, "responseObject", KAG_FIELD_RESPONSE_OBJECT, 1);

	if (!kag__has(ev, KAG_FIELD_VERB) && !kag__has(ev, KAG_FIELD_AUDIT_ID) &&
	    !kag__has(ev, KAG_FIELD_STAGE) && !kag__has(ev, KAG_FIELD_REQUEST_URI) &&
	    !kag__has(ev, KAG_FIELD_OBJECT_REF) && !kag__has(ev, KAG_FIELD_USER))
		return kag__fmt_fail(err, KAG_ESCHEMA, prefix ? prefix : "",
				     "not an audit event: none of verb, auditID, stage, "
				     "requestURI, objectRef, user is present");
	kag__event_finish(ev);
	return KAG_OK;
}
