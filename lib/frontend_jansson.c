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
	int copy;            /* strings are copied into the event's arena: the
			      * tree is not kept (kag_event_set_member) */
} fill_ctx;

KAG__COLD static int wrong_type(fill_ctx *c, const char *path, const char *want,
				 const json_t *got)
{
	char full[128];

	snprintf(full, sizeof(full), "%s%s", c->prefix, path);
	return kag__fmt_fail(c->err, KAG_ESCHEMA, full, "expected %s, got %s", want,
			     kag__json_type_name(got));
}

/* Member m (of the object member `in`, or NULL at the top level), then its
 * member `key` (when not NULL) and item i (when not SIZE_MAX), has the
 * wrong type. The pointer is cut where the error's buffer cuts it. */
KAG__COLD static int wrong_at(fill_ctx *c, const kag__member *in, const kag__member *m,
			      const char *key, size_t i, const char *want, const json_t *got)
{
	char p[128];
	int n;

	n = snprintf(p, sizeof(p), "%s%s/%s", in ? "/" : "", in ? in->name : "", m->name);
	if (key && n >= 0 && (size_t)n < sizeof(p))
		n += snprintf(p + n, sizeof(p) - (size_t)n, "/%s", key);
	if (i != SIZE_MAX && n >= 0 && (size_t)n < sizeof(p))
		snprintf(p + n, sizeof(p) - (size_t)n, "/%zu", i);
	return wrong_type(c, p, want, got);
}

KAG__COLD static int no_memory(fill_ctx *c, int rc)
{
	return kag__fmt_fail(c->err, rc, "", "out of memory");
}

/* A string of the tree, borrowed, or copied when the tree is not kept. */
static inline const char *kept(fill_ctx *c, const json_t *v)
{
	if (!c->copy)
		return json_string_value(v);
	return kag__event_copy(c->ev, json_string_value(v), json_string_length(v));
}

static KAG__INLINE int push(fill_ctx *c, int field, const char *key, size_t klen,
			      const json_t *v)
{
	const char *s = kept(c, v);
	int rc;

	if (c->copy && key && !(key = kag__event_copy(c->ev, key, klen)))
		return no_memory(c, KAG_ENOMEM);
	if (!s)
		return no_memory(c, KAG_ENOMEM);
	rc = kag__event_push(c->ev, field, key, klen, s, json_string_length(v),
			     KAG_STATE_OBSERVED);
	return rc < 0 ? no_memory(c, rc) : KAG_OK;
}

/* The members of set `set` (KAG__SET_*) of an object, in one pass over its
 * keys whatever its size: out[i] is the value of member i, or NULL. Keys
 * are unique in a jansson object. Inlined with a constant set, so that the
 * lookup is the set's own switch. */
static KAG__INLINE void members(json_t *obj, int set, json_t **out, size_t n)
{
	size_t i;
	void *it;
	int m;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		m = kag__member_find(set, json_object_iter_key(it), json_object_iter_key_len(it));
		if (m >= 0)
			out[m] = json_object_iter_value(it);
	}
}

static KAG__NOINLINE int take_list(fill_ctx *c, const kag__member *in, const kag__member *m,
				   json_t *arr, int field)
{
	size_t i, n;
	json_t *v;
	int rc;

	if (!json_is_array(arr))
		return wrong_at(c, in, m, NULL, SIZE_MAX, "array", arr);
	n = json_array_size(arr);
	if (n == 0) {
		/* An empty list is still an observed list. */
		c->ev->state[field] = KAG_STATE_OBSERVED;
		return KAG_OK;
	}
	for (i = 0; i < n; i++) {
		v = json_array_get(arr, i);
		if (!json_is_string(v))
			return wrong_at(c, in, m, NULL, i, "string", v);
		if ((rc = push(c, field, NULL, 0, v)) < 0)
			return rc;
	}
	return KAG_OK;
}

/* user.extra: map of string to list of strings, stored as repeated pairs. */
static KAG__NOINLINE int take_multimap(fill_ctx *c, const kag__member *in,
				       const kag__member *m, json_t *obj, int field)
{
	const char *key;
	json_t *vals, *v;
	size_t i, n, klen;
	void *it;
	int rc;

	if (!json_is_object(obj))
		return wrong_at(c, in, m, NULL, SIZE_MAX, "object", obj);
	c->ev->state[field] = KAG_STATE_OBSERVED;
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		key = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		vals = json_object_iter_value(it);
		if (json_is_string(vals)) {
			/* tolerated: a single string instead of a list */
			if ((rc = push(c, field, key, klen, vals)) < 0)
				return rc;
			continue;
		}
		if (!json_is_array(vals))
			return wrong_at(c, in, m, key, SIZE_MAX, "array", vals);
		n = json_array_size(vals);
		for (i = 0; i < n; i++) {
			v = json_array_get(vals, i);
			if (!json_is_string(v))
				return wrong_at(c, in, m, key, i, "string", v);
			if ((rc = push(c, field, key, klen, v)) < 0)
				return rc;
		}
	}
	return KAG_OK;
}

/* The annotation of an OpenShift oauth-server login event. */
static const char oauth_decision[] = "authentication.openshift.io/decision";

/* annotations: map of string to string, stored as pairs. */
static KAG__NOINLINE int take_map(fill_ctx *c, const kag__member *in, const kag__member *m,
				  json_t *o, int field)
{
	const char *key;
	size_t klen;
	json_t *v;
	void *it;
	int rc;

	if (!json_is_object(o))
		return wrong_at(c, in, m, NULL, SIZE_MAX, "object", o);
	c->ev->state[field] = KAG_STATE_OBSERVED;
	for (it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		key = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		v = json_object_iter_value(it);
		if (!json_is_string(v))
			return wrong_at(c, in, m, key, SIZE_MAX, "string", v);
		if (klen == sizeof(oauth_decision) - 1 && memcmp(key, oauth_decision, klen) == 0)
			c->oauth = 1;
		if ((rc = push(c, field, key, klen, v)) < 0)
			return rc;
	}
	return KAG_OK;
}

static KAG__INLINE int take_member(fill_ctx *c, const kag__member *in, int base,
				   const kag__member *m, json_t *v);

/* user, impersonatedUser, objectRef, responseStatus: their members, in the
 * order of their set. */
static KAG__NOINLINE int take_object(fill_ctx *c, const kag__member *m, json_t *o, int field)
{
	const kag__member_set *set = &kag__member_sets[m->set];
	json_t *v[8];
	size_t i;
	int rc;

	if (!json_is_object(o))
		return wrong_at(c, NULL, m, NULL, SIZE_MAX, "object", o);
	c->ev->state[field] = KAG_STATE_OBSERVED;
	switch (m->set) {
	case KAG__SET_USER: members(o, KAG__SET_USER, v, KAG__U_COUNT_); break;
	case KAG__SET_OBJECT_REF: members(o, KAG__SET_OBJECT_REF, v, KAG__O_COUNT_); break;
	case KAG__SET_STATUS: members(o, KAG__SET_STATUS, v, KAG__S_COUNT_); break;
	default: return KAG_OK;
	}
	for (i = 0; i < set->count; i++) {
		if (v[i] && (rc = take_member(c, m, field, &set->m[i], v[i])) < 0)
			return rc;
	}
	return KAG_OK;
}

/* take_member() for every value but a string member's string. */
static int take_other(fill_ctx *c, const kag__member *in, int base, const kag__member *m,
		      json_t *v)
{
	int field = kag__member_field(m, base);
	const char *s;

	if (json_is_null(v))
		return KAG_OK;
	switch (m->kind) {
	case KAG__NM_TYPED:
		return json_is_string(v) ? KAG_OK : wrong_at(c, in, m, NULL, SIZE_MAX, "string", v);
	case KAG__NM_STRING:
		if (!json_is_string(v))
			return wrong_at(c, in, m, NULL, SIZE_MAX, "string", v);
		if (!(s = kept(c, v)))
			return no_memory(c, KAG_ENOMEM);
		kag__event_set(c->ev, field, s, json_string_length(v), KAG_STATE_OBSERVED);
		return KAG_OK;
	case KAG__NM_INT:
		if (!json_is_integer(v))
			return wrong_at(c, in, m, NULL, SIZE_MAX, "integer", v);
		c->ev->code = json_integer_value(v);
		c->ev->state[field] = KAG_STATE_OBSERVED;
		return KAG_OK;
	case KAG__NM_LIST:
		return take_list(c, in, m, v, field);
	case KAG__NM_MULTIMAP:
		return take_multimap(c, in, m, v, field);
	case KAG__NM_MAP:
		return take_map(c, in, m, v, field);
	case KAG__NM_OBJECT:
		return take_object(c, m, v, field);
	case KAG__NM_BODY:
		c->ev->body[field == KAG_FIELD_REQUEST_OBJECT ? 0 : 1] = json_incref(v);
		c->ev->state[field] = KAG_STATE_OBSERVED;
		return KAG_OK;
	default:
		return KAG_OK; /* not an Event member */
	}
}

/* Member m of the object member `in` (whose field is base), or of the
 * event (in NULL, base -1), as its kind says; null is absent. Most members
 * are strings, borrowed from the tree: taken here, inline. */
static KAG__INLINE int take_member(fill_ctx *c, const kag__member *in, int base,
				   const kag__member *m, json_t *v)
{
	if (m->kind == KAG__NM_STRING && json_is_string(v) && !c->copy) {
		kag__event_set(c->ev, kag__member_field(m, base), json_string_value(v),
			       json_string_length(v), KAG_STATE_OBSERVED);
		return KAG_OK;
	}
	return take_other(c, in, base, m, v);
}

/* ---- finding the members ---- */

void kag__keys_scan(kag__keys *k, json_t *obj)
{
	void *it;
	int i;

	/* One pass, whatever the size of the object: each key is placed by
	 * its length and bytes at once. */
	k->obj = obj;
	memset(k->v, 0, sizeof(k->v));
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		i = kag__top_member(json_object_iter_key(it), json_object_iter_key_len(it));
		if (i >= 0)
			k->v[i] = json_object_iter_value(it);
	}
}

/* ---- the event ---- */

int kag__native_fill_keys(kag_event *ev, const kag__keys *k, const char *format,
			  const char *prefix, kag_fmt_error *err)
{
	const kag__member *top = kag__member_sets[KAG__SET_TOP].m;
	fill_ctx c = { ev, prefix ? prefix : "", err, 0, 0 };
	json_t *const *v = k->v;
	int i, rc;

	for (i = 0; i < KAG__K_NATIVE_COUNT_; i++) {
		if (v[i] && (rc = take_member(&c, NULL, -1, &top[i], v[i])) < 0)
			return rc;
	}
	if (!kag__native_identified(ev))
		return kag__fmt_fail(err, KAG_ESCHEMA, prefix ? prefix : "", "%s",
				     kag__not_an_event);
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

int kag__native_member_fill(kag_event *ev, int id, json_t *v, kag_fmt_error *err)
{
	fill_ctx c = { ev, "", err, 0, 1 };

	return take_member(&c, NULL, -1, &kag__member_sets[KAG__SET_TOP].m[id], v);
}

int kag__fill_native_as(kag_event *ev, json_t *obj, const char *format, const char *prefix,
			kag_fmt_error *err)
{
	kag__keys k;

	if (!json_is_object(obj)) {
		fill_ctx c = { ev, prefix ? prefix : "", err, 0, 0 };

		return wrong_type(&c, "", "object", obj);
	}
	kag__keys_scan(&k, obj);
	return kag__native_fill_keys(ev, &k, format, prefix, err);
}

int kag__native_fill(kag_event *ev, json_t *obj, const char *prefix, kag_fmt_error *err)
{
	return kag__fill_native_as(ev, obj, NULL, prefix, err);
}
