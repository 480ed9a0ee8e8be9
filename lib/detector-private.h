/* What a detector is, what it sees, and how it reports. Shared by the
 * registry, the gate, the session and every detector family. */
#ifndef KAG_DETECTOR_PRIVATE_H
#define KAG_DETECTOR_PRIVATE_H

#include <stdatomic.h>

#include "buf-private.h"
#include "event-private.h"
#include "lru-private.h"

#define KAG__MAX_ATTACK 6
#define KAG__MAX_DISTINCT 16
#define KAG__MAX_FIELDS 16

typedef struct kag__ctx kag__ctx;
typedef struct kag__rule kag__rule;   /* a caller rule (rules.c) */

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

/* Baselines, thresholds, windows and capacities: data, not code. Built-in
 * defaults (policy.c) serve without a file; a policy file or the API
 * setters replace them before the registry is sealed. */
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
} kag__policy;

void kag__policy_defaults(kag__policy *p);
void kag__policy_dispose(kag__policy *p);
/* Index every list (at seal: the lists no longer change). */
void kag__policy_index(kag__policy *p);
int kag__strlist_has(const kag__strlist *l, kag_str s);
/* Some item is a prefix of s. */
int kag__strlist_prefix(const kag__strlist *l, kag_str s);

struct kag_finding {
	int reported;
	int assessment, severity, confidence;
	char reason[384];
	size_t n_attack;
	char attack[KAG__MAX_ATTACK][16];
	/* correlation (count 0: none) */
	uint64_t corr_count;
	int64_t corr_first_us, corr_last_us;
	size_t n_distinct;
	const char *distinct[KAG__MAX_DISTINCT];
	/* detector-specific evidence members: `"key":value` pairs joined by
	 * commas, written into a session scratch buffer */
	kag_buf *extra;
	/* fields absent from the event that lowered confidence */
	size_t n_missing;
	int missing[KAG__MAX_FIELDS];
};

typedef struct {
	const char *id;
	const char *title;
	const char *doc;               /* what, fields, level, ATT&CK, guidance, peers */
	const char *const *attack;     /* NULL-terminated */
	const int *required;           /* decisive: absent => needs_context */
	size_t n_required;
	const int *wanted;             /* listed in `missing` when absent */
	size_t n_wanted;
	int min_level;                 /* KAG_LEVEL_* needed */
	int needs_outcome;             /* an unknown outcome => needs_context */
	int ctx_severity;              /* severity of a needs_context verdict */
	/* every verdict is benign or info, needs_context ones included
	 * (ctx_severity INFO): when the session leaves those out, it counts
	 * the event as suppressed without running the gate or judge() */
	int benign_only;
	size_t state_size;             /* per-principal state in the session */
	/* the index (route.c): applies() is false unless the verb, and the
	 * objectRef.resource, is one of these (NULL-terminated; NULL: any) */
	const char *const *verbs;
	const char *const *resources;
	/* cheap test: is this event the detector's business at all? */
	int (*applies)(const kag_event *ev, const kag__ctx *ctx);
	/* judge an event that passed the gate; report through f */
	int (*judge)(kag_finding *f, const kag_event *ev, kag__ctx *ctx);
	/* capacity of the state table; NULL: policy principal_capacity */
	uint64_t (*state_capacity)(const kag__policy *p);
} kag__detector_def;

/* A registry entry: a built-in definition or a caller's detector. */
typedef struct {
	kag__detector_def def;
	const kag__detector_def *builtin;
	int enabled;
	kag_detector_cb cb;
	void *user_data;
	/* owned copies for caller detectors */
	char *own_id, *own_title, *own_doc;
	int *own_required;
	kag__rule *rule;         /* caller rule loaded from JSON, or NULL */
} kag__entry;

struct kag_registry {
	atomic_int refs;
	int sealed;
	kag__entry *entries;
	size_t n_entries, cap_entries;
	kag__policy policy;
	/* detail of the last failed policy/rules call (policy_load.c) */
	char err_path[256];
	char err_message[512];
};

/* What a detector sees besides the event. */
struct kag__ctx {
	const kag_registry *reg;
	const kag__policy *policy;
	int outcome;
	int identity;          /* KAG__ID_* of the authenticated user */
	int64_t now_us;        /* event time, or the latest seen */
	int time_inferred;     /* the event had no usable time */
	kag__lru *state;       /* this detector's per-principal state, or NULL */
	const kag__rule *rule; /* the entry's caller rule, or NULL */
	int emit_benign;       /* benign/info verdicts will be returned: worth
				* formatting a reason for */
};

/* ---- gate ---- */
typedef struct {
	int passed;
	int outcome;
	int stage_ok;
	int level_ok;
	int no_outcome;   /* the outcome, which the detector needs, is unknown */
	size_t n_missing;
	int missing[KAG__MAX_FIELDS];
	char reason[256];
} kag__gate_result;

int kag__outcome(const kag_event *ev);
/* Check the gate: passed, missing fields, stage_ok, level_ok; the reason
 * is left empty until kag__gate_explain() writes it (only verdicts that
 * are kept need it). */
void kag__gate_check(kag__gate_result *g, const kag__detector_def *d,
		     const kag_event *ev, int outcome);
void kag__gate_explain(kag__gate_result *g, const kag__detector_def *d, const kag_event *ev);

/* ---- identity classes (policy: who reconciles what) ---- */
enum {
	KAG__ID_NONE = 0,
	KAG__ID_CONTROL_PLANE,
	KAG__ID_NODE,
	KAG__ID_KUBE_SYSTEM_SA,
	KAG__ID_PROVIDER,
	KAG__ID_PLATFORM_OPERATOR
};
int kag__identity_class(const kag__policy *p, const kag_event *ev, int username_field,
			int groups_field);
const char *kag__identity_class_name(int id_class);

/* ---- reporting helpers for detectors ---- */
void kag__report(kag_finding *f, int assessment, int severity, int confidence,
		 const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;
void kag__finding_attack(kag_finding *f, const char *technique);
/* Lower confidence by one step and record the field responsible. */
void kag__finding_weaker(kag_finding *f, int field);
/* Short printable view of a string slot for reasons ("?" when absent). */
const char *kag__show(const kag_event *ev, int field, char *buf, size_t size);
int kag__list_has_n(const kag_event *ev, int field, const char *value, size_t len);
/* An item of the list field equals the string literal value. */
static inline int kag__list_has(const kag_event *ev, int field, const char *value)
{
	return kag__list_has_n(ev, field, value, strlen(value));
}
/* Last sourceIPs entry (the one the client cannot forge), or {NULL,0}. */
kag_str kag__last_source_ip(const kag_event *ev);

/* ---- built-in detector families ---- */
extern const kag__detector_def kag__det_interactive_access;
extern const kag__detector_def kag__det_impersonation;
extern const kag__detector_def kag__det_rbac_probing;
extern const kag__detector_def kag__det_secrets_access;
extern const kag__detector_def kag__det_controller_baseline;
extern const kag__detector_def kag__det_privileged_workload;
extern const kag__detector_def kag__det_rbac_escalation;
extern const kag__detector_def kag__det_anonymous_access;
extern const kag__detector_def kag__det_credential_minting;
extern const kag__detector_def kag__det_node_proxy;
extern const kag__detector_def kag__det_control_plane_tampering;
extern const kag__detector_def kag__det_persistence_workload;
extern const kag__detector_def kag__det_exposed_service;
extern const kag__detector_def kag__det_discovery;
extern const kag__detector_def kag__det_public_source;
extern const kag__detector_def kag__det_new_user_agent;

/* ---- helpers shared by the catalogue (detectors/privileged_workload.c) ---- */
struct json_t;
int kag__verb_is(const kag_event *ev, const char *const *verbs);  /* NULL-terminated */
/* create, update, patch, delete or deletecollection */
int kag__verb_is_write(const kag_event *ev);
/* Start the next `"key":` member of f->extra. */
void kag__extra_key(kag_finding *f, const char *key);
/* The identity is a platform one and the request is not impersonated. */
int kag__is_platform(const kag_event *ev, const kag__ctx *ctx);
/* A typed walk over request bodies, shared by full objects, merge patches
 * and JSON Patch operations: child() maps a member name (or, for arrays,
 * any element, key NULL or an index segment) of a node of `type` to the
 * child's type (0: not of interest); visit() sees every node of interest;
 * reset() runs before each JSON Patch operation. Allocates nothing. */
typedef struct {
	int (*child)(int type, const char *key, size_t len);
	void (*visit)(void *ud, int type, struct json_t *v);
	void (*reset)(void *ud);
} kag__body_schema;
void kag__body_walk(const kag__body_schema *s, int type, struct json_t *v, void *ud);
/* A JSON Patch array: add/replace/copy-free operations walked from their
 * path; remove operations are reported to visit() with a NULL value. */
void kag__body_walk_patch(const kag__body_schema *s, int root, struct json_t *ops, void *ud);
/* Walk the request body: a JSON Patch array or an object (full object,
 * merge or strategic merge patch). Returns 0 when there is no body. */
int kag__body_walk_request(const kag__body_schema *s, int root, const kag_event *ev, void *ud);
/* Member `key` of an object as a string, or {NULL,0}. */
kag_str kag__json_str(struct json_t *obj, const char *key);
/* Report that the request body needed to judge is absent. */
void kag__report_needs_body(kag_finding *f, const kag_event *ev, int severity, const char *what);

/* ---- registry internals ---- */
void kag__registry_ref(kag_registry *r);
int kag__registry_find_entry(const kag_registry *r, const char *id);
/* Record the detail of a failed call: `path` is a JSON pointer ("" for the
 * whole document); the message becomes "path: reason". */
void kag__registry_error(kag_registry *r, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* Registry options beyond the ones registry.c handles itself. */
int kag__policy_set_option(kag__policy *p, int option, uint64_t value);
void kag__rule_free(kag__rule *rule);

#endif
