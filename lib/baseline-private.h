/* Learned baselines: what each identity has been seen doing, as bounded
 * tables of (verb, resource, subresource, namespace, client) tuples
 * (baseline.c), and their file, "kag-baseline/1" (baseline_file.c). A
 * session consults and learns through the calls below. */
#ifndef KAG_BASELINE_PRIVATE_H
#define KAG_BASELINE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "event-private.h"
#include "finding-private.h"
#include "policy-private.h"

enum { KAG__BL_PARTS = 5 };  /* verb, resource, subresource, namespace, client */
#define KAG__BL_MAX_USER 256  /* bytes of a username kept */
#define KAG__BL_MAX_PART 253  /* bytes of one tuple part kept */

/* A request as the baseline sees it. */
typedef struct {
	kag_str user;
	kag_str part[KAG__BL_PARTS];
	uint64_t user_hash, hash;  /* of the username, of the parts */
} kag__tuple;

/* One tuple held: its parts joined by NULs in `text`. */
typedef struct {
	uint64_t hash;
	int64_t first_us, last_us;
	char *text;
	uint16_t len[KAG__BL_PARTS];
} kag__bl_tuple;

typedef struct {
	uint64_t hash;
	char *user;
	size_t user_len;
	int64_t first_us, last_us;
	kag__bl_tuple *tuples;
	uint32_t n, cap;
	uint32_t hnext;         /* bucket chain, or the free list (index + 1) */
	uint32_t newer, older;  /* use order (index + 1) */
	int used;
} kag__bl_ident;

/* The content: what a load replaces as a whole. */
typedef struct {
	kag__bl_ident *ids;     /* max_identities slots */
	uint32_t *buckets;      /* nbuckets chains (index + 1) */
	size_t nbuckets, slots;
	uint32_t free_head, newest, oldest;
	size_t n_ids, n_tuples;
	int64_t created_us, updated_us;
} kag__bl_store;

struct kag_baseline {
	uint64_t max_identities, max_tuples, max_total;
	uint64_t known_tuples, known_us, max_bytes;
	kag__bl_store st;
	uint64_t learned, id_evictions, tuple_evictions;
	char err_path[256];
	char err_message[512];
};

/* What the baseline knows of a request. */
enum {
	KAG__BL_UNKNOWN = 0,  /* no such identity, or too little history */
	KAG__BL_SEEN,         /* the identity's tuple is held */
	KAG__BL_NEW           /* a known identity, a tuple it was never seen with */
};

/* The request's tuple; 0 when it has none (no usable username or verb, or
 * a part too long to keep). */
int kag__tuple_read(kag__tuple *t, const kag_event *ev);
/* KAG__BL_*, without changing b (sessions that do not learn share it). */
int kag__baseline_lookup(const kag_baseline *b, const kag__tuple *t);
/* Add t (seen at event time now_us) to b, evicting to stay within caps. */
int kag__baseline_learn(kag_baseline *b, const kag__tuple *t, int64_t now_us);
/* "get secrets/status in prod with kubectl" (no namespace: "cluster-wide"). */
void kag__tuple_describe(const kag__tuple *t, char *out, size_t size);

/* ---- judgement (baseline_judge.c) ---- */
/* The request may be learned: allowed, not impersonated, not anonymous,
 * not from a public address. */
int kag__baseline_may_learn(const kag_event *ev, const kag__policy *p, int outcome);
/* Seen behaviour may quiet detector's findings on the request (and make a
 * level-only gate failure no lead): the request may be learned and the
 * detector is not one whose findings are never lowered. */
int kag__baseline_quiets(const kag_event *ev, const kag__policy *p, int outcome,
			 const char *detector);
/* Rewrite a finding that passed its gate for the baseline's answer
 * `status` on t: one severity step lower, or the reason naming new
 * behaviour. Returns what it did (KAG__BL_SEEN, KAG__BL_NEW) or
 * KAG__BL_UNKNOWN (nothing). */
int kag__baseline_judge(kag_finding *f, int status, const kag__tuple *t, const char *detector,
			const kag_event *ev, const kag__policy *p, int outcome);

/* ---- the store, for the file (baseline_file.c) ---- */
void kag__bl_store_dispose(kag__bl_store *st);
/* Allocate st's tables for b's caps (an empty store). */
int kag__bl_store_init(kag__bl_store *st, const kag_baseline *b);
/* The identity named user (NULL: none). */
kag__bl_ident *kag__bl_find(const kag__bl_store *st, const char *user, size_t len,
			    uint64_t hash);
/* A new identity (the store has room: the caller checked the cap). */
kag__bl_ident *kag__bl_add_ident(kag__bl_store *st, const char *user, size_t len);
/* Append a tuple of parts (lengths checked) to id; NULL when out of memory
 * or when id holds the same tuple (*dup set). */
kag__bl_tuple *kag__bl_add_tuple(kag__bl_store *st, kag__bl_ident *id, const kag_str *parts,
				 int *dup);
/* Put the identities in use order by their last-seen times (after a load). */
int kag__bl_order_by_time(kag__bl_store *st);
uint64_t kag__bl_hash_parts(const kag_str *parts);
uint64_t kag__bl_hash_user(const char *user, size_t len);

#endif
