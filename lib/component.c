/* Known components: matching an identity and a request against the
 * entries' patterns and rules. */
#include <stdint.h>
#include <string.h>

#include "alloc-private.h"
#include "component-private.h"
#include "identity-private.h"

int kag__component_glob(const char *p, kag_str s)
{
	const char *star = NULL, *retry = NULL;
	size_t i = 0;

	/* greedy with one backtrack point: linear for patterns of a few stars */
	while (i < s.len || *p) {
		if (*p == '*') {
			star = ++p;
			retry = s.ptr + i;
			continue;
		}
		if (i < s.len && *p && *p == s.ptr[i]) {
			p++;
			i++;
			continue;
		}
		if (!star || retry >= s.ptr + s.len)
			return 0;
		p = star;
		i = (size_t)(++retry - s.ptr);
	}
	return 1;
}

static int any_glob(const char *const *list, kag_str s)
{
	for (; list && *list; list++)
		if (kag__component_glob(*list, s))
			return 1;
	return 0;
}

static int any_eq(const char *const *list, kag_str s)
{
	for (; list && *list; list++)
		if (strcmp(*list, "*") == 0 || kag__str_eq(s, *list))
			return 1;
	return 0;
}

static int groups_ok(const kag__component *c, const kag_event *ev)
{
	const char *const *g = c->groups;

	if (!g || !*g)
		return 1;
	for (; *g; g++)
		if (kag__list_has(ev, KAG_FIELD_USER_GROUPS, *g))
			return 1;
	return 0;
}

const kag__component *kag__component_find(const kag__component *list, size_t n,
					   const kag_event *ev)
{
	static const char sa[] = "system:serviceaccount:";
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME], rest;
	int is_sa;
	size_t i;

	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME) || kag__has(ev, KAG_FIELD_IMP_USER))
		return NULL;
	is_sa = kag__str_prefix(u, sa);
	/* "namespace:name" of a service account */
	rest.ptr = u.ptr + (is_sa ? sizeof(sa) - 1 : 0);
	rest.len = u.len - (is_sa ? sizeof(sa) - 1 : 0);
	for (i = 0; i < n; i++) {
		const kag__component *c = &list[i];

		if ((is_sa ? any_glob(c->accounts, rest) : any_glob(c->users, u)) &&
		    groups_ok(c, ev))
			return c;
	}
	return NULL;
}

/* objectRef.resource with "/subresource" when there is one, against a
 * rule's resources: "*" any, "res/ *" any subresource of res. */
static int resource_ok(const char *const *list, const kag_event *ev)
{
	kag_str r = ev->str[KAG_FIELD_OBJ_RESOURCE], sub = ev->str[KAG_FIELD_OBJ_SUBRESOURCE];
	int has_sub = kag__usable(ev, KAG_FIELD_OBJ_SUBRESOURCE) && sub.len;

	for (; *list; list++) {
		const char *x = *list, *slash = strchr(x, '/');
		size_t head = slash ? (size_t)(slash - x) : strlen(x);

		if (strcmp(x, "*") == 0)
			return 1;
		if (head != r.len || memcmp(x, r.ptr, r.len) != 0)
			continue;
		if (!slash ? !has_sub
			   : has_sub && (strcmp(slash + 1, "*") == 0 || kag__str_eq(sub, slash + 1)))
			return 1;
	}
	return 0;
}

/* The service account's namespace: "system:serviceaccount:<ns>:<name>". */
static int own_namespace(const kag_event *ev, kag_str ns)
{
	static const char sa[] = "system:serviceaccount:";
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];

	return kag__str_prefix(u, sa) && u.len > sizeof(sa) - 1 + ns.len &&
	       memcmp(u.ptr + sizeof(sa) - 1, ns.ptr, ns.len) == 0 &&
	       u.ptr[sizeof(sa) - 1 + ns.len] == ':';
}

static int scope_ok(const kag__component_rule *r, const kag_event *ev)
{
	kag_str ns = ev->str[KAG_FIELD_OBJ_NAMESPACE];
	int namespaced = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) && ns.len;

	switch (r->scope) {
	case KAG__NS_ALL:
		return 1;
	case KAG__NS_OWN:
		return namespaced && own_namespace(ev, ns);
	case KAG__NS_LIST:
		return namespaced && any_eq(r->namespaces, ns);
	default:
		return 0;
	}
}

int kag__component_allows(const kag__component *c, const kag_event *ev)
{
	kag_str group = kag__usable(ev, KAG_FIELD_OBJ_API_GROUP) ? ev->str[KAG_FIELD_OBJ_API_GROUP]
								 : (kag_str){ "", 0 };
	size_t i;

	if (!kag__usable(ev, KAG_FIELD_OBJ_RESOURCE) || !kag__usable(ev, KAG_FIELD_VERB))
		return 0;
	for (i = 0; i < c->n_rules; i++) {
		const kag__component_rule *r = &c->rules[i];

		if (any_eq(r->verbs, ev->str[KAG_FIELD_VERB]) && any_eq(r->groups, group) &&
		    resource_ok(r->resources, ev) && scope_ok(r, ev))
			return 1;
	}
	return 0;
}

static void free_list(const char *const *l)
{
	const char *const *p;

	if (!l)
		return;
	for (p = l; *p; p++)
		kag__free((void *)(uintptr_t)*p);
	kag__free((void *)(uintptr_t)l);
}

void kag__component_dispose(kag__component *c)
{
	size_t i;

	kag__free((void *)(uintptr_t)c->name);
	kag__free((void *)(uintptr_t)c->about);
	free_list(c->accounts);
	free_list(c->users);
	free_list(c->groups);
	for (i = 0; c->rules && i < c->n_rules; i++) {
		free_list(c->rules[i].verbs);
		free_list(c->rules[i].groups);
		free_list(c->rules[i].resources);
		free_list(c->rules[i].namespaces);
	}
	kag__free((void *)(uintptr_t)c->rules);
	memset(c, 0, sizeof(*c));
}
