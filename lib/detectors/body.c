/* Request bodies: the typed walk the detectors share. */
#include <jansson.h>
#include <string.h>

#include "body-private.h"
#include "finding-private.h"

kag_str kag__json_str(struct json_t *obj, const char *key)
{
	kag_str none = { NULL, 0 };
	json_t *v;

	if (!obj || !json_is_object(obj))
		return none;
	v = json_object_get(obj, key);
	if (!v || !json_is_string(v))
		return none;
	return (kag_str){ json_string_value(v), json_string_length(v) };
}

void kag__report_needs_body(kag_finding *f, const kag_event *ev, int severity, const char *what)
{
	kag__report(f, KAG_ASSESSMENT_NEEDS_CONTEXT, severity, KAG_CONFIDENCE_LOW,
		    "cannot judge: audit level %s carries no request body, which is needed "
		    "to see %s",
		    ev->level ? kag_level_name(ev->level) : "(unknown)", what);
	kag__finding_weaker(f, KAG_FIELD_REQUEST_OBJECT);
}

#define WALK_MAX_DEPTH 32

static void walk(const kag__body_schema *s, int type, json_t *v, void *ud, int depth)
{
	const char *key;
	json_t *child;
	size_t i;
	int t;

	if (!v || depth > WALK_MAX_DEPTH)
		return;
	s->visit(ud, type, v);
	if (json_is_object(v)) {
		json_object_foreach(v, key, child) {
			t = s->child(type, key, strlen(key));
			if (t)
				walk(s, t, child, ud, depth + 1);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			t = s->child(type, NULL, 0);
			if (t)
				walk(s, t, child, ud, depth + 1);
		}
	}
}

void kag__body_walk(const kag__body_schema *s, int type, struct json_t *v, void *ud)
{
	walk(s, type, v, ud, 0);
}

/* Follow a JSON Pointer (RFC 6901) from `type`; 0 when it leaves the
 * schema. */
static int follow_pointer(const kag__body_schema *s, int type, const char *p, size_t n)
{
	char seg[128];
	size_t i = 0;

	if (n == 0)
		return type;
	if (p[0] != '/')
		return 0;
	while (i < n && type) {
		size_t len = 0;

		i++; /* the '/' */
		while (i < n && p[i] != '/') {
			char c = p[i++];

			if (c == '~' && i < n && (p[i] == '0' || p[i] == '1'))
				c = p[i++] == '0' ? '~' : '/';
			if (len + 1 >= sizeof(seg))
				return 0;
			seg[len++] = c;
		}
		seg[len] = '\0';
		type = s->child(type, seg, len);
	}
	return type;
}

void kag__body_walk_patch(const kag__body_schema *s, int root, struct json_t *ops, void *ud)
{
	json_t *op;
	size_t i;

	if (!ops || !json_is_array(ops))
		return;
	json_array_foreach(ops, i, op) {
		kag_str kind = kag__json_str(op, "op"), path = kag__json_str(op, "path");
		int type;

		if (!kind.ptr || !path.ptr)
			continue;
		if (s->reset)
			s->reset(ud);
		type = follow_pointer(s, root, path.ptr, path.len);
		if (!type)
			continue;
		if (kag__str_eq(kind, "add") || kag__str_eq(kind, "replace"))
			walk(s, type, json_object_get(op, "value"), ud, 0);
		else if (kag__str_eq(kind, "remove"))
			s->visit(ud, type, NULL);
	}
}

int kag__body_walk_request(const kag__body_schema *s, int root, const kag_event *ev, void *ud)
{
	json_t *body = kag__event_body(ev, 0);

	if (!body)
		return 0;
	if (json_is_array(body) && kag__eq(ev, KAG_FIELD_VERB, "patch"))
		kag__body_walk_patch(s, root, body, ud);
	else if (json_is_object(body))
		kag__body_walk(s, root, body, ud);
	return 1;
}
