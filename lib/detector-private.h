/* What a detector is and how the registry holds it: the definition each
 * detector states once (the ATT&CK techniques it reports, the fields,
 * audit level and outcome it needs, its documentation), what it sees
 * besides the event, and the registry's entries. */
#ifndef KAG_DETECTOR_PRIVATE_H
#define KAG_DETECTOR_PRIVATE_H

#include <stdatomic.h>

#include "buf-private.h"
#include "event-private.h"
#include "lru-private.h"
#include "policy-private.h"

typedef struct kag__ctx kag__ctx;
typedef struct kag__rule kag__rule;   /* a caller rule (rules.c) */

/* An ATT&CK technique a detector reports. A verdict the gate stopped
 * (needs_context before judge() ran) names the detector's primary
 * techniques. `when` names, for the documentation, the findings that
 * report it (NULL: any). */
typedef struct {
	const char *id;          /* "T1552.007"; NULL ends a list */
	const char *when;
	int primary;
} kag__technique;

/* In a list of techniques, ended by { NULL }: */
#define KAG__PRIMARY(id, when) { (id), (when), 1 }
#define KAG__TECHNIQUE(id, when) { (id), (when), 0 }

/* The prose of a detector's documentation. The lines that say what the
 * definition already states (decisive fields, level, ATT&CK) are written
 * from it by kag__detector_doc(); these add what it cannot say. Each is a
 * paragraph without its label, wrapped at 78 columns when written;
 * NULL: none. */
typedef struct {
	const char *finds;            /* what it reports, and how severe */
	const char *fields;           /* more on the fields the judgement reads */
	const char *level;            /* more on the audit level */
	const char *severity;
	const char *never;            /* what it never reports */
	const char *false_positives;
	const char *peers;            /* the peers' rules it covers */
} kag__detector_about;

typedef struct {
	const char *id;
	const char *title;
	/* the whole documentation: written at registry creation for the
	 * built-ins (from `about` and the definition), given by caller
	 * detectors and rules */
	const char *doc;
	kag__detector_about about;
	const kag__technique *attack;  /* every technique it reports, or NULL */
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

/* In a definition: the decisive (required) and the wanted fields, arrays
 * of KAG_FIELD_* with their lengths. */
#define KAG__REQUIRED(fields) \
	.required = (fields), .n_required = sizeof(fields) / sizeof((fields)[0])
#define KAG__WANTED(fields) \
	.wanted = (fields), .n_wanted = sizeof(fields) / sizeof((fields)[0])

/* Write d's documentation: the prose of d->about around the lines written
 * from the definition (kag__detector_facts). */
void kag__detector_doc(kag_buf *b, const kag__detector_def *d);
/* Append the lines the definition gives: "decisive fields: ...",
 * "level: ..." and "ATT&CK: ...", each on a line of its own (b, when not
 * empty, is ended with a newline first). */
void kag__detector_facts(kag_buf *b, const kag__detector_def *d);

/* A registry entry: a built-in definition or a caller's detector. */
typedef struct {
	kag__detector_def def;
	const kag__detector_def *builtin;
	int enabled;
	kag_detector_cb cb;
	void *user_data;
	/* owned copies for caller detectors; the written doc of a built-in */
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
	/* the request's caller, read once per event by the first detector
	 * that asks (kag__caller_get), or NULL: read at each ask */
	struct kag__caller_memo *caller_memo;
};

/* ---- the built-in detectors (lib/detectors/) ---- */
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
extern const kag__detector_def kag__det_configmap_credentials;
extern const kag__detector_def kag__det_known_bad_source;
extern const kag__detector_def kag__det_destructive_delete;
extern const kag__detector_def kag__det_hygiene;

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
void kag__registry_clear_error(kag_registry *r);

#endif
