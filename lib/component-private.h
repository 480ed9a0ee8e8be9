/* Known components: widely deployed operators described as policy data
 * (what each does, the identity it runs as, what its own RBAC lets it
 * touch). The defaults are lib/components.json, compiled into tables by
 * lib/gen_components.py; a policy adds entries or turns the defaults off
 * (policy_load.c). An identity is matched on its authenticated service
 * account or username, never on the userAgent. */
#ifndef KAG_COMPONENT_PRIVATE_H
#define KAG_COMPONENT_PRIVATE_H

#include <stddef.h>

#include "event-private.h"

/* Where a rule applies: the service account's own namespace, every
 * namespace and the cluster scope, or the namespaces listed. */
enum { KAG__NS_OWN = 1, KAG__NS_ALL, KAG__NS_LIST };

/* One rule, read like an RBAC PolicyRule: verbs x apiGroups x resources
 * ("resource" or "resource/subresource"; "*" any, "res/ *" any of its
 * subresources), each a NULL-terminated list, in `scope`. */
typedef struct {
	const char *const *verbs;
	const char *const *groups;
	const char *const *resources;
	int scope;
	const char *const *namespaces;  /* KAG__NS_LIST */
} kag__component_rule;

typedef struct {
	const char *name, *about;
	const char *const *accounts;    /* "namespace:name" globs ('*') */
	const char *const *users;       /* username globs, for identities not service accounts */
	const char *const *groups;      /* when not empty, one of them is required */
	const kag__component_rule *rules;
	size_t n_rules;
} kag__component;

/* The built-in entries (generated: components.c in the build directory). */
extern const kag__component kag__default_components[];
extern const size_t kag__n_default_components;

/* '*' matches any run of bytes (none included); the rest is literal. */
int kag__component_glob(const char *pattern, kag_str s);
/* The first entry of `list` whose identity the event's authenticated user
 * (not impersonated) matches, or NULL. */
const kag__component *kag__component_find(const kag__component *list, size_t n,
					   const kag_event *ev);
/* The request (verb, apiGroup, resource[/subresource], namespace) is
 * inside one of c's rules. */
int kag__component_allows(const kag__component *c, const kag_event *ev);
/* Free what a loaded entry owns (every string and list; not c itself). */
void kag__component_dispose(kag__component *c);

#endif
