/* A policy's "components": entries read from JSON into owned
 * kag__component values, every error at its JSON pointer. The schema is
 * the one of lib/components.json (README, "Known components"). */
#include <jansson.h>
#include <string.h>

#include "alloc-private.h"
#include "component-load-private.h"
#include "load-private.h"

#define NAME_MAX_BYTES 63
#define TEXT_MAX_BYTES 1024
#define ITEMS_MAX 256
#define RULES_MAX 64

typedef struct {
	kag_registry *r;
	kag__jptr *path;
} cl;

#define fail(C, ...) kag__load_fail((C)->r, (C)->path, __VA_ARGS__)

/* Why s cannot be a pattern or a name, or NULL. */
static const char *bad_text(const char *s, size_t len, size_t max)
{
	size_t k;

	if (len == 0)
		return "must not be empty";
	if (len > max)
		return max == NAME_MAX_BYTES ? "is longer than 63 bytes" : "is longer than 1024 bytes";
	if (strlen(s) != len)
		return "contains a NUL character";
	for (k = 0; k < len; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			return "contains a control character";
	return NULL;
}

static int text(cl *C, json_t *v, size_t max, char **out)
{
	const char *why;

	if (!json_is_string(v))
		return fail(C, KAG_ESCHEMA, "expected a string, got %s", kag__json_kind(v));
	why = bad_text(json_string_value(v), json_string_length(v), max);
	if (why)
		return fail(C, KAG_ESCHEMA, "%s", why);
	*out = kag__strndup(json_string_value(v), json_string_length(v));
	return *out ? KAG_OK : fail(C, KAG_ENOMEM, "out of memory");
}

enum { L_ANY, L_ACCOUNT, L_VERB };

/* A NULL-terminated owned list of strings; `empty_ok` allows []. */
static int strings(cl *C, json_t *arr, int kind, int empty_ok, const char *const **out)
{
	static const char *const verbs[] = { "get", "list", "watch", "create", "update",
					     "patch", "delete", "deletecollection",
					     "impersonate", "bind", "escalate", "approve",
					     "sign", "*", NULL };
	char **l;
	json_t *v;
	size_t k;
	int rc;

	if (!json_is_array(arr))
		return fail(C, KAG_ESCHEMA, "expected an array of strings, got %s",
			    kag__json_kind(arr));
	if (!empty_ok && json_array_size(arr) == 0)
		return fail(C, KAG_ESCHEMA, "must not be empty");
	if (json_array_size(arr) > ITEMS_MAX)
		return fail(C, KAG_ELIMIT, "more than %d items", ITEMS_MAX);
	l = kag__calloc(json_array_size(arr) + 1, sizeof(*l));
	if (!l)
		return fail(C, KAG_ENOMEM, "out of memory");
	*out = (const char *const *)l;
	json_array_foreach(arr, k, v) {
		size_t old = kag__jptr_index(C->path, k), i;

		/* apiGroups hold "" for the core group */
		if (json_is_string(v) && json_string_length(v) == 0 && kind == L_ANY && empty_ok == 2) {
			l[k] = kag__strndup("", 0);
			if (!l[k])
				return fail(C, KAG_ENOMEM, "out of memory");
			kag__jptr_pop(C->path, old);
			continue;
		}
		rc = text(C, v, TEXT_MAX_BYTES, &l[k]);
		if (rc < 0)
			return rc;
		if (kind == L_ACCOUNT) {
			const char *colon = strchr(l[k], ':');

			if (!colon || colon == l[k] || !colon[1] || strchr(colon + 1, ':'))
				return fail(C, KAG_ESCHEMA, "expected \"namespace:name\" (globs "
					    "with '*'), e.g. \"cert-manager:cert-manager\"");
		}
		if (kind == L_VERB) {
			for (i = 0; verbs[i] && strcmp(verbs[i], l[k]) != 0; i++)
				;
			if (!verbs[i])
				return fail(C, KAG_ESCHEMA, "unknown verb (known: get, list, watch, "
					    "create, update, patch, delete, deletecollection, "
					    "impersonate, bind, escalate, approve, sign, *)");
		}
		kag__jptr_pop(C->path, old);
	}
	return KAG_OK;
}

/* Look up `key` of obj under the path. */
#define MEMBER(C, obj, key, call) do { \
	json_t *m_ = json_object_get((obj), (key)); \
	if (m_) { \
		size_t o_ = kag__jptr_push((C)->path, (key)); \
		int rc_ = (call); \
		if (rc_ < 0) \
			return rc_; \
		kag__jptr_pop((C)->path, o_); \
	} \
} while (0)

/* Every key of obj is one of `known` (a ", "-joined list for the message). */
static int keys_known(cl *C, json_t *obj, const char *const *known, const char *say)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			size_t old = kag__jptr_push(C->path, key);
			int rc = fail(C, KAG_ESCHEMA, "unknown key (known: %s)", say);

			kag__jptr_pop(C->path, old);
			return rc;
		}
	}
	return KAG_OK;
}

static int scope(cl *C, json_t *v, kag__component_rule *r)
{
	if (json_is_string(v) && strcmp(json_string_value(v), "own") == 0) {
		r->scope = KAG__NS_OWN;
		return KAG_OK;
	}
	if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0) {
		r->scope = KAG__NS_ALL;
		return KAG_OK;
	}
	if (!json_is_array(v))
		return fail(C, KAG_ESCHEMA, "expected \"own\", \"all\" or an array of namespaces");
	r->scope = KAG__NS_LIST;
	return strings(C, v, L_ANY, 0, &r->namespaces);
}

static int rule(cl *C, json_t *obj, kag__component_rule *r)
{
	static const char *const known[] = { "verbs", "apiGroups", "resources", "namespaces",
					     NULL };
	static const char *const need[] = { "verbs", "apiGroups", "resources", "namespaces" };
	size_t i;
	int rc;

	if (!json_is_object(obj))
		return fail(C, KAG_ESCHEMA, "expected a rule object, got %s", kag__json_kind(obj));
	rc = keys_known(C, obj, known, "verbs, apiGroups, resources, namespaces");
	if (rc < 0)
		return rc;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!json_object_get(obj, need[i]))
			return fail(C, KAG_ESCHEMA, "a rule needs \"%s\"", need[i]);
	MEMBER(C, obj, "verbs", strings(C, m_, L_VERB, 0, &r->verbs));
	MEMBER(C, obj, "apiGroups", strings(C, m_, L_ANY, 2, &r->groups));
	MEMBER(C, obj, "resources", strings(C, m_, L_ANY, 0, &r->resources));
	MEMBER(C, obj, "namespaces", scope(C, m_, r));
	if (!r->groups[0])
		return fail(C, KAG_ESCHEMA, "a rule needs at least one apiGroup (\"\" is the core "
			    "group)");
	return KAG_OK;
}

static int rules(cl *C, json_t *arr, kag__component *c)
{
	kag__component_rule *rs;
	json_t *v;
	size_t k;
	int rc;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(C, KAG_ESCHEMA, "expected a non-empty array of rules, got %s",
			    json_is_array(arr) ? "an empty array" : kag__json_kind(arr));
	if (json_array_size(arr) > RULES_MAX)
		return fail(C, KAG_ELIMIT, "more than %d rules", RULES_MAX);
	rs = kag__calloc(json_array_size(arr), sizeof(*rs));
	if (!rs)
		return fail(C, KAG_ENOMEM, "out of memory");
	c->rules = rs;
	c->n_rules = json_array_size(arr);
	json_array_foreach(arr, k, v) {
		size_t old = kag__jptr_index(C->path, k);

		rc = rule(C, v, &rs[k]);
		if (rc < 0)
			return rc;
		kag__jptr_pop(C->path, old);
	}
	return KAG_OK;
}

static int match(cl *C, json_t *obj, kag__component *c)
{
	static const char *const known[] = { "service_accounts", "users", "groups", NULL };
	int rc;

	if (!json_is_object(obj))
		return fail(C, KAG_ESCHEMA, "expected an object, got %s", kag__json_kind(obj));
	rc = keys_known(C, obj, known, "service_accounts, users, groups");
	if (rc < 0)
		return rc;
	MEMBER(C, obj, "service_accounts", strings(C, m_, L_ACCOUNT, 1, &c->accounts));
	MEMBER(C, obj, "users", strings(C, m_, L_ANY, 1, &c->users));
	MEMBER(C, obj, "groups", strings(C, m_, L_ANY, 1, &c->groups));
	if ((!c->accounts || !c->accounts[0]) && (!c->users || !c->users[0]))
		return fail(C, KAG_ESCHEMA, "names no identity: give \"service_accounts\" or "
			    "\"users\" (the userAgent is never matched)");
	return KAG_OK;
}

int kag__component_load(kag_registry *r, kag__jptr *path, json_t *obj, kag__component *c)
{
	static const char *const known[] = { "name", "about", "source", "match", "rules", NULL };
	cl C = { r, path };
	char *source = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(obj))
		return fail(&C, KAG_ESCHEMA, "expected a component object, got %s",
			    kag__json_kind(obj));
	rc = keys_known(&C, obj, known, "name, about, source, match, rules");
	if (rc < 0)
		return rc;
	if (!json_object_get(obj, "name") || !json_object_get(obj, "about") ||
	    !json_object_get(obj, "match") || !json_object_get(obj, "rules"))
		return fail(&C, KAG_ESCHEMA, "a component needs \"name\", \"about\", \"match\" "
			    "and \"rules\"");
	MEMBER(&C, obj, "name", text(&C, m_, NAME_MAX_BYTES, (char **)&c->name));
	MEMBER(&C, obj, "about", text(&C, m_, TEXT_MAX_BYTES, (char **)&c->about));
	MEMBER(&C, obj, "source", text(&C, m_, TEXT_MAX_BYTES, &source));
	kag__free(source);
	MEMBER(&C, obj, "match", match(&C, m_, c));
	MEMBER(&C, obj, "rules", rules(&C, m_, c));
	return KAG_OK;
}
