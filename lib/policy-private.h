/* The policy: baselines, thresholds, windows and capacities, as data.
 * Built-in defaults (policy.c) serve without a file; a policy file
 * (policy_load.c) or the API setters replace them before the registry is
 * sealed. */
#ifndef KAG_POLICY_PRIVATE_H
#define KAG_POLICY_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "addrlist-private.h"
#include "component-private.h"
#include "event-private.h"

/* A list of strings owned by the policy (defaults are static strings).
 * Once the registry is sealed, `indexed` is set and two masks let most
 * lookups end without reading an item: bit min(length, 63) of `lens` for
 * each item's length, and bit (b & 63) of `firsts` for each first byte b
 * (an empty item sets every bit). `len_of` then holds each item's length
 * (NULL if it could not be allocated: lookups compare byte by byte). */
typedef struct {
	const char **items;
	size_t n;
	char **owned;      /* non-NULL when loaded: items point into these */
	int indexed;
	uint64_t lens, firsts;
	size_t *len_of;
} kag__strlist;

typedef struct {
	uint64_t probe_threshold;       /* rbac_probing burst size */
	uint64_t probe_window_us;
	uint64_t late_us;               /* allowance for late events */
	uint64_t dedup_capacity;
	uint64_t principal_capacity;
	uint64_t pending_capacity;
	uint64_t secret_burst_threshold;  /* distinct secrets read by one identity */
	uint64_t secret_burst_window_us;
	uint64_t sequence_window_us;      /* RBAC change -> workload change */
	uint64_t discovery_threshold;     /* distinct (resource, namespace) lists */
	uint64_t discovery_window_us;
	uint64_t new_terms_capacity;      /* first-seen user agents remembered */
	uint64_t repeat_window_us;        /* 0: repeats are not suppressed */
	uint64_t repeat_capacity;         /* open repeat windows */
	uint64_t repeat_key;              /* KAG_REPEAT_* parts */

	/* identity classes (controller_baseline, secrets_access, ...) */
	kag__strlist control_plane_users;   /* exact usernames */
	kag__strlist provider_prefixes;     /* username prefixes */
	kag__strlist operator_prefixes;     /* platform operator username prefixes */
	kag__strlist trusted_users;         /* extra exact usernames treated as platform */
	/* what is sensitive */
	kag__strlist sensitive_resources;   /* resource[/subresource] for rbac_probing */
	kag__strlist system_namespaces;     /* kube-system, kube-public, ... */
	kag__strlist sensitive_host_paths;  /* hostPath prefixes */
	kag__strlist dangerous_capabilities;
	kag__strlist health_paths;          /* anonymous_access exclusions */
	/* RBAC and sources (rbac_escalation, public_source) */
	kag__strlist privileged_roles;       /* roleRef names that grant broad power */
	kag__strlist system_role_prefixes;   /* role names owned by the platform */
	kag__strlist system_role_exceptions; /* system roles that admins may edit */
	kag__strlist trusted_networks;       /* public CIDRs of own nodes/NAT egress */
	/* Helm deployers: identities whose helm writes are release content
	 * without a release-storage write seen first (release.c) */
	kag__strlist deployers;
	/* known components (component.c): the policy's own entries (owned),
	 * matched before the built-in ones unless those are turned off */
	kag__component *components;
	size_t n_components;
	int default_components;
	kag__strlist suspicious_images;      /* miners and offensive tools (privileged_workload) */
	/* caller-supplied address lists (known_bad_source), owned; sorted
	 * and merged at seal */
	kag__addrlists bad_sources;
	/* the cluster the verdicts come from (cluster.c), owned; NULL: none */
	struct kag__cluster *cluster;
} kag__policy;

void kag__policy_defaults(kag__policy *p);
void kag__policy_dispose(kag__policy *p);
/* Free what a list owns and leave it empty (and unindexed). */
void kag__strlist_dispose(kag__strlist *l);
/* Index every list (at seal: the lists no longer change). */
void kag__policy_index(kag__policy *p);
int kag__strlist_has(const kag__strlist *l, kag_str s);
/* Some item is a prefix of s. */
int kag__strlist_prefix(const kag__strlist *l, kag_str s);
/* The known component whose identity the event's user matches: the
 * policy's entries first, then the built-in ones (when on); NULL: none. */
const kag__component *kag__policy_component(const kag__policy *p, const kag_event *ev);
/* Free the policy's own component entries. */
void kag__policy_components_dispose(kag__policy *p);
/* The numbers of the policy: section and key in a policy document, the
 * registry option (KAG_ROPT_*) that sets it, where it is kept, whether it
 * is kept in microseconds (given in seconds), and its largest value (the
 * smallest is kag__policy_number_min()). Shared by the loader (policy_load.c) and the options. */
typedef struct {
	const char *section, *key;
	int option;
	size_t off;
	int seconds;
	uint64_t max;
} kag__policy_number;

extern const kag__policy_number kag__policy_numbers[];
extern const size_t kag__policy_n_numbers;
/* Where number i is kept in p. */
uint64_t *kag__policy_number_at(kag__policy *p, size_t i);
/* The smallest value of number i: 1, but 0 for the repeat window (off). */
uint64_t kag__policy_number_min(size_t i);
/* value is within number i's range. */
int kag__policy_number_ok(size_t i, uint64_t value);
/* Registry options beyond the ones registry.c handles itself. */
int kag__policy_set_option(kag__policy *p, int option, uint64_t value);
/* KAG_ROPT_REPEAT_KEY: a non-zero OR of KAG_REPEAT_* bits. */
int kag__policy_set_repeat_key(kag__policy *p, uint64_t parts);

#endif
