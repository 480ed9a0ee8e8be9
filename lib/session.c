/* Sessions: one thread's evaluation context. Runs the gate and detectors on
 * each event, de-duplicates the stages of one request by auditID, holds
 * requests seen only at RequestReceived until a later stage or expiry,
 * keeps per-detector correlation state, makes one request tell one story
 * (a baseline stands down when another detector finds something), and
 * counts repeats of a verdict instead of returning them (repeat.c), and
 * consults and learns into an attached baseline (baseline_judge.c). Every
 * table has a fixed capacity. */
#include <string.h>

#include "alloc-private.h"
#include "baseline-private.h"
#include "coverage-private.h"
#include "detectors/caller-private.h"
#include "identity-private.h"
#include "known-private.h"
#include "lead-private.h"
#include "repeat-private.h"
#include "route-private.h"
#include "verdict-private.h"

enum { DEDUP_PENDING = 1, DEDUP_JUDGED = 2 };

/* 4 bytes, so that a set of the table is one cache line (lru-private.h);
 * pending capacities are at most 2^24. */
typedef struct {
	unsigned int state : 2;
	unsigned int pending : 30; /* pending record index + 1 */
} dedup_entry;

_Static_assert(sizeof(dedup_entry) <= 4, "a dedup entry fits the table's 4-byte payloads");

typedef struct {
	uint64_t key;
	int64_t time_us;
	kag_verdict *head, *tail;
	uint32_t older, newer; /* index + 1 */
	int used;
} pending_rec;

struct kag_result {
	kag_verdict **items;
	size_t n, cap;
};

struct kag_session {
	kag_registry *reg;
	int emit_benign, include_bodies;
	kag__lru dedup;
	kag__lru *det_state;      /* one per registry entry (unused if no state) */
	kag__route route;         /* which entries an event can concern */
	pending_rec *pend;
	size_t pend_cap, pend_count;
	uint32_t pend_oldest, pend_newest, pend_free;
	kag_result result;
	kag_verdict *pool;
	kag__repeats repeats;     /* open repeat windows */
	kag__releases releases;   /* Helm release windows */
	kag_verdict *staged, *staged_tail; /* the verdicts of the event being judged */
	int staged_alert;         /* one of them is suspicious or malicious */
	kag__coverage cov;        /* what the detectors could not judge, and why */
	int judging_pending;      /* the event is held at RequestReceived */
	int staged_grave;         /* one of them is malicious, high or critical */
	kag_baseline *baseline;   /* the caller's, or NULL */
	int learn;
	kag__tuple tuple;         /* the event's, when bl_status is not UNKNOWN */
	int bl_status;            /* KAG__BL_* of the event being judged */
	kag_buf scratch;
	int64_t last_time;
	int failed;               /* an allocation failed while releasing */
	uint64_t st_events, st_dups, st_verdicts, st_deferred, st_suppressed, st_unjudged;
	uint64_t st_bl_seen, st_bl_new, st_bl_learned;
};

/* ---- verdict pool and result ---- */

static kag_verdict *pool_get(kag_session *s)
{
	kag_verdict *v = s->pool;

	if (v) {
		s->pool = v->next;
		v->next = NULL;
		return v;
	}
	v = kag__calloc(1, sizeof(*v));
	if (v)
		kag__buf_init(&v->buf);
	return v;
}

static void pool_put(kag_session *s, kag_verdict *v)
{
	v->next = s->pool;
	s->pool = v;
}

static int result_push(kag_session *s, kag_verdict *v)
{
	kag_result *r = &s->result;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		kag_verdict **ni = kag__realloc(r->items, cap * sizeof(*ni));

		if (!ni) {
			pool_put(s, v);
			return KAG_ENOMEM;
		}
		r->items = ni;
		r->cap = cap;
	}
	r->items[r->n++] = v;
	s->st_verdicts++;
	return KAG_OK;
}

/* The repeat table's way out: a verdict returned to the caller. */
static int sink_out(void *user, kag_verdict *v)
{
	return result_push(user, v);
}

static void sink_drop(void *user, kag_verdict *v)
{
	pool_put(user, v);
}

/* A verdict of a judged request goes to the caller, unless it repeats one
 * in its window. */
static void deliver(kag_session *s, kag_verdict *v)
{
	if (kag__repeats_admit(&s->repeats, v, s->last_time) < 0)
		s->failed = 1;
}

static void result_recycle(kag_session *s)
{
	size_t i;

	for (i = 0; i < s->result.n; i++)
		pool_put(s, s->result.items[i]);
	s->result.n = 0;
}

/* ---- pending requests (seen only at RequestReceived) ---- */

static void pend_unlink(kag_session *s, uint32_t i1)
{
	pending_rec *p = &s->pend[i1 - 1];

	if (p->older)
		s->pend[p->older - 1].newer = p->newer;
	else
		s->pend_oldest = p->newer;
	if (p->newer)
		s->pend[p->newer - 1].older = p->older;
	else
		s->pend_newest = p->older;
	p->used = 0;
	p->older = 0;
	p->newer = s->pend_free;
	s->pend_free = i1;
	s->pend_count--;
}

/* Move a pending request's verdicts into the result (release = 1) or back
 * to the pool (superseded by a later stage), and free the record. */
static void pend_finish(kag_session *s, uint32_t i1, int release)
{
	pending_rec *p = &s->pend[i1 - 1];
	kag_verdict *v = p->head, *next;

	for (; v; v = next) {
		next = v->next;
		v->next = NULL;
		/* no later stage judged the request: what the detectors could
		 * not judge at RequestReceived counts now */
		if (release)
			kag__coverage_count(&s->cov, &v->cov, 1, 0);
		if (release)
			deliver(s, v);
		else
			pool_put(s, v);
	}
	p->head = p->tail = NULL;
	pend_unlink(s, i1);
}

static void on_dedup_evict(uint64_t key, void *payload, void *user)
{
	dedup_entry *e = payload;
	kag_session *s = user;

	(void)key;
	if (e->state == DEDUP_PENDING && e->pending)
		pend_finish(s, e->pending, 1);
}

static uint32_t pend_new(kag_session *s, uint64_t key, int64_t time_us)
{
	uint32_t i1;
	pending_rec *p;

	if (!s->pend_free) {
		/* full: the oldest request gives up waiting for its later stage */
		dedup_entry *e = kag__lru_find(&s->dedup, s->pend[s->pend_oldest - 1].key);

		if (e) {
			e->state = DEDUP_JUDGED;
			e->pending = 0;
		}
		pend_finish(s, s->pend_oldest, 1);
	}
	i1 = s->pend_free;
	p = &s->pend[i1 - 1];
	s->pend_free = p->newer;
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->key = key;
	p->time_us = time_us;
	p->older = s->pend_newest;
	if (s->pend_newest)
		s->pend[s->pend_newest - 1].newer = i1;
	else
		s->pend_oldest = i1;
	s->pend_newest = i1;
	s->pend_count++;
	return i1;
}

/* Release requests that waited longer than twice the late-event allowance. */
static void pend_expire(kag_session *s, int64_t now)
{
	int64_t horizon = (int64_t)(2 * s->reg->policy.late_us);

	while (s->pend_oldest) {
		pending_rec *p = &s->pend[s->pend_oldest - 1];
		dedup_entry *e;

		if (!p->time_us || !now || p->time_us + horizon >= now)
			break;
		e = kag__lru_find(&s->dedup, p->key);
		if (e) {
			e->state = DEDUP_JUDGED;
			e->pending = 0;
		}
		pend_finish(s, s->pend_oldest, 1);
	}
}

/* KAG_ENOMEM when releasing a verdict failed during the call. */
static int status(const kag_session *s)
{
	return s->failed || s->repeats.failed ? KAG_ENOMEM : KAG_OK;
}

/* ---- lifecycle ---- */

int kag_session_new(kag_session **out, kag_registry *r)
{
	kag_session *s;
	size_t i;
	int rc;

	if (!out || !r)
		return KAG_EINVAL;
	*out = NULL;
	if (!r->sealed)
		return KAG_ESTATE;
	s = kag__calloc(1, sizeof(*s));
	if (!s)
		return KAG_ENOMEM;
	kag__registry_ref(r);
	s->reg = r;
	s->emit_benign = 1;
	kag__route_build(&s->route, r);
	kag__buf_init(&s->scratch);
	rc = kag__lru_init(&s->dedup, r->policy.dedup_capacity, sizeof(dedup_entry),
			   on_dedup_evict, s);
	if (rc < 0)
		goto fail;
	{
		kag__repeat_sink sink = { sink_out, sink_drop, s };

		rc = kag__repeats_init(&s->repeats, &r->policy, &sink);
		if (rc < 0)
			goto fail;
	}
	rc = kag__releases_init(&s->releases, &r->policy);
	if (rc < 0)
		goto fail;
	rc = KAG_ENOMEM;
	s->det_state = kag__calloc(r->n_entries, sizeof(kag__lru));
	s->pend_cap = r->policy.pending_capacity;
	s->pend = kag__calloc(s->pend_cap, sizeof(pending_rec));
	if (!s->det_state || !s->pend || kag__coverage_init(&s->cov, r->n_entries) < 0)
		goto fail;
	for (i = 0; i < s->pend_cap; i++)
		s->pend[i].newer = i + 1 < s->pend_cap ? (uint32_t)(i + 2) : 0;
	s->pend_free = 1;
	for (i = 0; i < r->n_entries; i++) {
		if (r->entries[i].def.state_size) {
			const kag__detector_def *d = &r->entries[i].def;

			rc = kag__lru_init(&s->det_state[i], d->state_capacity
					   ? d->state_capacity(&r->policy) : r->policy.principal_capacity,
					   d->state_size, NULL, NULL);
			if (rc < 0)
				goto fail;
		}
	}
	*out = s;
	return KAG_OK;
fail:
	kag_session_free(s);
	return rc;
}

void kag_session_free(kag_session *s)
{
	kag_verdict *v, *next;
	size_t i;

	if (!s)
		return;
	result_recycle(s);
	while (s->pend && s->pend_oldest)
		pend_finish(s, s->pend_oldest, 0);
	kag__repeats_dispose(&s->repeats);
	kag__releases_dispose(&s->releases);
	for (v = s->pool; v; v = next) {
		next = v->next;
		kag__verdict_dispose(v);
		kag__free(v);
	}
	if (s->det_state) {
		for (i = 0; i < s->reg->n_entries; i++)
			kag__lru_dispose(&s->det_state[i]);
	}
	kag__free(s->det_state);
	kag__coverage_dispose(&s->cov);
	kag__free(s->pend);
	kag__lru_dispose(&s->dedup);
	kag__free(s->result.items);
	kag__buf_dispose(&s->scratch);
	kag_registry_free(s->reg);
	kag__free(s);
}

int kag_session_set_option_u64(kag_session *s, int option, uint64_t value)
{
	if (!s || value > 1)
		return KAG_EINVAL;
	switch (option) {
	case KAG_SOPT_EMIT_BENIGN: s->emit_benign = (int)value; break;
	case KAG_SOPT_INCLUDE_BODIES: s->include_bodies = (int)value; break;
	default: return KAG_EINVAL;
	}
	return KAG_OK;
}

uint64_t kag_session_stat(const kag_session *s, int stat)
{
	size_t i;
	uint64_t n = 0;

	if (!s)
		return 0;
	switch (stat) {
	case KAG_SSTAT_EVENTS: return s->st_events;
	case KAG_SSTAT_DUPLICATES: return s->st_dups;
	case KAG_SSTAT_VERDICTS: return s->st_verdicts;
	case KAG_SSTAT_DEDUP_EVICTIONS: return s->dedup.evictions;
	case KAG_SSTAT_PRINCIPAL_EVICTIONS:
		for (i = 0; i < s->reg->n_entries; i++)
			n += s->det_state[i].evictions;
		return n;
	case KAG_SSTAT_DEFERRED: return s->st_deferred;
	case KAG_SSTAT_SUPPRESSED: return s->st_suppressed;
	case KAG_SSTAT_REPEATS: return s->repeats.repeats;
	case KAG_SSTAT_REPEAT_EVICTIONS: return s->repeats.index.evictions;
	case KAG_SSTAT_LEVEL_UNJUDGED: return s->st_unjudged;
	case KAG_SSTAT_BASELINE_SEEN: return s->st_bl_seen;
	case KAG_SSTAT_BASELINE_NEW: return s->st_bl_new;
	case KAG_SSTAT_BASELINE_LEARNED: return s->st_bl_learned;
	case KAG_SSTAT_BASELINE_EVICTIONS:
		return s->baseline ? s->baseline->id_evictions + s->baseline->tuple_evictions : 0;
	case KAG_SSTAT_DEDUP_ENTRIES: return s->dedup.count;
	case KAG_SSTAT_DEDUP_CAPACITY: return s->dedup.cap;
	case KAG_SSTAT_PRINCIPAL_ENTRIES:
	case KAG_SSTAT_PRINCIPAL_CAPACITY:
		for (i = 0; i < s->reg->n_entries; i++)
			n += stat == KAG_SSTAT_PRINCIPAL_ENTRIES ? s->det_state[i].count
								 : s->det_state[i].cap;
		return n;
	case KAG_SSTAT_PENDING_ENTRIES: return s->pend_count;
	case KAG_SSTAT_PENDING_CAPACITY: return s->pend_cap;
	case KAG_SSTAT_REPEAT_ENTRIES: return s->repeats.index.count;
	case KAG_SSTAT_REPEAT_CAPACITY: return s->repeats.index.cap;
	default: return 0;
	}
}

int kag_session_set_baseline(kag_session *s, kag_baseline *b, int learn)
{
	if (!s || (learn != 0 && learn != 1) || (learn && !b))
		return KAG_EINVAL;
	s->baseline = b;
	s->learn = learn;
	return KAG_OK;
}

uint64_t kag_session_detector_stat(const kag_session *s, size_t detector, int stat)
{
	if (!s || detector >= s->reg->n_entries)
		return 0;
	return kag__coverage_stat(&s->cov, detector, stat);
}

const char *kag_session_coverage_json(kag_session *s, size_t *len_out)
{
	return s ? kag__coverage_json(&s->cov, s->reg, len_out) : NULL;
}

const char *kag_session_coverage_policy(kag_session *s, size_t *len_out)
{
	return s ? kag__coverage_policy(&s->cov, s->reg, len_out) : NULL;
}

/* ---- evaluation ---- */

/* The gate stopped d only because the event's audit level (known) shows
 * no body: a property of the cluster's audit policy, not of the event. */
static int level_only(const kag__gate_result *g, const kag__detector_def *d,
		      const kag_event *ev)
{
	return !g->passed && !g->level_ok && g->n_missing == 0 && g->stage_ok &&
	       ev->level != KAG_LEVEL_UNKNOWN && ev->level < d->min_level;
}

/* What the baseline has seen the identity do is no lead for a verdict the
 * audit level keeps from judging (unless the request is one it never
 * quiets). */
static int seen_routine(const kag_session *s, const kag__detector_def *d, const kag_event *ev,
			const kag__ctx *ctx)
{
	return s->bl_status == KAG__BL_SEEN &&
	       kag__baseline_quiets(ev, ctx->policy, ctx->outcome, d->id);
}

/* Build the verdict of entry i on ev and stage it with the event's others
 * (settle() sends them on). */
static int emit(kag_session *s, size_t i, const kag__detector_def *d, const kag_event *ev,
		const kag__ctx *ctx, const kag_finding *f, kag__gate_result *g)
{
	kag__verdict_input in = { d, ev, f, g, s->include_bodies, s->reg->policy.cluster };
	int assessment, severity;
	kag_finding learned;
	kag__coverage_note note;
	int noted = kag__coverage_note_make(&note, i, d, ev, g, f);
	kag_verdict *v;

	/* the baseline after the detector: caller callbacks are left alone */
	if (s->bl_status != KAG__BL_UNKNOWN && g->passed && !s->reg->entries[i].cb) {
		memcpy(&learned, f, sizeof(learned));
		switch (kag__baseline_judge(&learned, s->bl_status, &s->tuple, d->id, ev,
					    ctx->policy, ctx->outcome)) {
		case KAG__BL_SEEN: s->st_bl_seen++; in.f = f = &learned; break;
		case KAG__BL_NEW: s->st_bl_new++; in.f = f = &learned; break;
		default: break;
		}
	}
	assessment = g->passed ? f->assessment : KAG_ASSESSMENT_NEEDS_CONTEXT;
	severity = g->passed ? f->severity : d->ctx_severity;

	if (!s->emit_benign && (assessment == KAG_ASSESSMENT_BENIGN || severity == KAG_SEVERITY_INFO)) {
		s->st_suppressed++;
		/* a request held at RequestReceived counts only when released */
		if (noted && !s->judging_pending)
			kag__coverage_count(&s->cov, &note, 0, 0);
		return KAG_OK;
	}
	/* needs_context only for a lead; the rest is counted toward coverage */
	if (level_only(g, d, ev) && (!kag__is_lead(ctx->policy, ev, ctx->identity) ||
				     seen_routine(s, d, ev, ctx))) {
		kag__coverage_count(&s->cov, &note, 0, 1);
		s->st_unjudged++;
		return KAG_OK;
	}
	if (!g->passed)
		kag__gate_explain(g, d, ev);
	v = pool_get(s);
	if (!v)
		return KAG_ENOMEM;
	if (kag__verdict_build(v, &in) < 0) {
		pool_put(s, v);
		return KAG_ENOMEM;
	}
	v->baseline = d->benign_only && assessment == KAG_ASSESSMENT_BENIGN;
	v->cov.entry = 0;
	if (noted && s->judging_pending)
		v->cov = note;
	else if (noted)
		kag__coverage_count(&s->cov, &note, assessment == KAG_ASSESSMENT_NEEDS_CONTEXT, 0);
	if (assessment == KAG_ASSESSMENT_SUSPICIOUS || assessment == KAG_ASSESSMENT_MALICIOUS)
		s->staged_alert = 1;
	if (assessment == KAG_ASSESSMENT_MALICIOUS ||
	    (assessment == KAG_ASSESSMENT_SUSPICIOUS && severity >= KAG_SEVERITY_HIGH))
		s->staged_grave = 1;
	/* a correlation is a count already */
	if (s->repeats.window_us && !(g->passed && f->corr_count))
		v->repeat_key = kag__repeat_key(ctx->policy, v, ev);
	if (s->staged_tail)
		s->staged_tail->next = v;
	else
		s->staged = v;
	s->staged_tail = v;
	return KAG_OK;
}

/* Send the event's staged verdicts on: to the pending request (dest) or to
 * the caller. One request tells one story: when another detector found
 * something suspicious, the baseline's benign verdict stands down. */
static void settle(kag_session *s, pending_rec *dest)
{
	kag_verdict *v = s->staged, *next;
	int alert = s->staged_alert;

	s->staged = s->staged_tail = NULL;
	s->staged_alert = s->staged_grave = 0;
	for (; v; v = next) {
		next = v->next;
		v->next = NULL;
		if (alert && v->baseline) {
			pool_put(s, v);
		} else if (dest) {
			if (dest->tail)
				dest->tail->next = v;
			else
				dest->head = v;
			dest->tail = v;
		} else {
			deliver(s, v);
		}
	}
}

/* Take back the staged verdicts of an evaluation that failed. */
static void unstage(kag_session *s)
{
	kag_verdict *v = s->staged, *next;

	for (; v; v = next) {
		next = v->next;
		pool_put(s, v);
	}
	s->staged = s->staged_tail = NULL;
	s->staged_alert = s->staged_grave = 0;
}

/* A blank finding: every member but the arrays, which their counts and the
 * NUL bound (the finding is large; most detectors report nothing). */
static void finding_init(kag_finding *f)
{
	f->reported = 0;
	f->assessment = 0;
	f->severity = 0;
	f->confidence = KAG_CONFIDENCE_HIGH;
	f->reason[0] = '\0';
	f->n_attack = 0;
	f->corr_count = 0;
	f->corr_first_us = f->corr_last_us = 0;
	f->n_distinct = 0;
	f->extra = NULL;
	f->n_missing = 0;
}

/* The index of the lowest set bit of a non-zero word. */
static inline size_t lowest_bit(uint64_t w)
{
#if defined(__GNUC__) || defined(__clang__)
	return (size_t)__builtin_ctzll(w);
#else
	size_t i = 0;

	while (!(w & 1)) {
		w >>= 1;
		i++;
	}
	return i;
#endif
}

/* What the detectors see besides the event. */
static void ctx_init(kag__ctx *ctx, const kag_session *s, const kag_event *ev, int outcome,
		     int64_t now, int time_inferred)
{
	const kag_registry *r = s->reg;

	ctx->reg = r;
	ctx->policy = &r->policy;
	ctx->outcome = outcome;
	ctx->identity = kag__identity_class(&r->policy, ev, KAG_FIELD_USER_USERNAME,
					    KAG_FIELD_USER_GROUPS);
	ctx->now_us = now;
	ctx->time_inferred = time_inferred;
	ctx->state = NULL;
	ctx->rule = NULL;
	ctx->emit_benign = s->emit_benign;
	ctx->caller_memo = NULL;
}

/* Is the event the business of entry e? applies() reads the event and the
 * context only, so the answer holds whatever the detectors judge. */
static int entry_applies(const kag__entry *e, const kag_event *ev, kag__ctx *ctx)
{
	ctx->rule = e->rule;
	return e->enabled && (!e->def.applies || e->def.applies(ev, ctx));
}

/* The indexed entries the event can concern: the index's candidates that
 * entry_applies() accepts. */
static uint64_t applicable(const kag_session *s, const kag_event *ev, kag__ctx *ctx)
{
	const kag_registry *r = s->reg;
	uint64_t todo = kag__route_candidates(&s->route, ev), yes = 0;
	size_t i;

	if (r->n_entries < KAG__ROUTE_INDEXED)
		todo &= ((uint64_t)1 << r->n_entries) - 1;
	while (todo) {
		i = lowest_bit(todo);
		todo &= todo - 1;
		if (entry_applies(&r->entries[i], ev, ctx))
			yes |= (uint64_t)1 << i;
	}
	return yes;
}

/* Judge the event by the indexed entries in `todo` (from applicable()), in
 * registry order, then by every entry past the index that applies. */
static int run_detectors(kag_session *s, const kag_event *ev, kag__ctx *ctx, uint64_t todo)
{
	const kag_registry *r = s->reg;
	size_t i, next = KAG__ROUTE_INDEXED;
	int rc;

	for (;;) {
		const kag__entry *e;
		const kag__detector_def *d;
		kag__gate_result g;
		kag_finding f;

		if (todo) {
			i = lowest_bit(todo);
			todo &= todo - 1;
			e = &r->entries[i];
			ctx->rule = e->rule;
		} else if (next < r->n_entries) {
			i = next++;
			e = &r->entries[i];
			if (!entry_applies(e, ev, ctx))
				continue;
		} else {
			break;
		}
		d = &e->def;
		if (d->benign_only && !s->emit_benign && !e->cb) {
			/* what emit() would make of any verdict of it */
			s->st_suppressed++;
			continue;
		}
		ctx->state = d->state_size ? &s->det_state[i] : NULL;
		kag__gate_check(&g, d, ev, ctx->outcome);
		finding_init(&f);
		s->scratch.len = 0;
		s->scratch.oom = 0;
		f.extra = &s->scratch;
		if (e->cb) {
			if (e->cb(&f, ev, ctx->outcome, e->user_data) != 0)
				return KAG_EUSER;
			if (!f.reported)
				continue;
		} else if (g.passed) {
			rc = d->judge(&f, ev, ctx);
			if (rc < 0)
				return rc;
			if (!f.reported)
				continue;
		}
		if (e->builtin)
			kag__known_settle(&f, &g, d, ev, ctx, &s->releases);
		rc = emit(s, i, d, ev, ctx, &f, &g);
		if (rc < 0)
			return rc;
	}
	return KAG_OK;
}

/* The de-duplication key of an event with a usable auditID. The stages of
 * one request share its auditID, user, verb and URI. A client can choose
 * its auditID (the Audit-ID header): the rest of the key keeps it from
 * passing off a new request as a later stage of an old one, its own or
 * another's. */
static uint64_t dedup_key(const kag_event *ev)
{
	static const int parts[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB,
				     KAG_FIELD_REQUEST_URI };
	kag_str id = ev->str[KAG_FIELD_AUDIT_ID];
	uint64_t key = kag__hash_step(0, id.ptr, id.len);
	size_t i;

	/* an absent part hashes as the empty string, marked apart from a
	 * present empty one */
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		kag_str v = ev->state[parts[i]] ? ev->str[parts[i]] : (kag_str){ NULL, 0 };

		key = kag__hash_step(key ^ (i + (v.ptr ? 0 : 8)), v.ptr, v.len);
	}
	return kag__hash_end(key);
}

/* What the attached baseline knows of the event's request. */
static void consult(kag_session *s, const kag_event *ev)
{
	s->bl_status = KAG__BL_UNKNOWN;
	if (s->baseline && kag__tuple_read(&s->tuple, ev))
		s->bl_status = kag__baseline_lookup(s->baseline, &s->tuple);
}

/* Learn the judged request, unless the session called it grave: an attack
 * ranked high is not made routine by being seen. */
static int learn(kag_session *s, const kag_event *ev, const kag__ctx *ctx)
{
	kag__tuple t;
	uint64_t before;
	int rc;

	if (!s->learn || s->staged_grave ||
	    !kag__baseline_may_learn(ev, ctx->policy, ctx->outcome) || !kag__tuple_read(&t, ev))
		return KAG_OK;
	before = s->baseline->learned;
	rc = kag__baseline_learn(s->baseline, &t, ctx->now_us);
	s->st_bl_learned += s->baseline->learned - before;
	return rc;
}

int kag_session_evaluate(const kag_result **out, kag_session *s, const kag_event *ev)
{
	int64_t now;
	int outcome, rc, dedup;
	uint64_t key = 0, todo;
	pending_rec *dest = NULL;
	kag__ctx ctx;
	struct kag__caller_memo memo = { 0 };

	if (!out || !s || !ev)
		return KAG_EINVAL;
	/* The table is large and read at a random place once an event, most
	 * often a line no cache holds: it is fetched while the time, the
	 * outcome and the detectors' cheap tests are worked out. */
	dedup = kag__usable(ev, KAG_FIELD_AUDIT_ID);
	if (dedup) {
		key = dedup_key(ev);
		kag__lru_prefetch(&s->dedup, key);
	}
	*out = &s->result;
	result_recycle(s);
	s->failed = s->repeats.failed = 0;
	s->st_events++;
	outcome = kag__outcome(ev);
	kag__event_time(ev);
	now = ev->time_us ? ev->time_us : s->last_time;
	ctx_init(&ctx, s, ev, outcome, now, ev->time_us == 0);
	ctx.caller_memo = &memo;
	if (ev->time_us > s->last_time)
		s->last_time = ev->time_us;
	pend_expire(s, s->last_time);
	kag__repeats_expire(&s->repeats, s->last_time);
	kag__releases_observe(&s->releases, ev, outcome, now, &s->reg->policy);
	/* the detectors' cheap tests, while the table's line arrives */
	todo = applicable(s, ev, &ctx);

	if (dedup) {
		dedup_entry *e = kag__lru_find(&s->dedup, key);

		if (ev->stage == KAG_STAGE_REQUEST_RECEIVED) {
			if (e) {
				s->st_dups++;
				return status(s);
			}
			e = kag__lru_insert(&s->dedup, key);
			e->state = DEDUP_PENDING;
			e->pending = pend_new(s, key, ev->time_us);
			dest = &s->pend[e->pending - 1];
			s->st_deferred++;
		} else {
			if (e && e->state == DEDUP_JUDGED) {
				s->st_dups++;
				return status(s);
			}
			if (e && e->state == DEDUP_PENDING) {
				if (e->pending)
					pend_finish(s, e->pending, 0);
			} else {
				e = kag__lru_insert(&s->dedup, key);
			}
			e->state = DEDUP_JUDGED;
			e->pending = 0;
		}
	}
	s->judging_pending = dest != NULL;
	consult(s, ev);
	rc = run_detectors(s, ev, &ctx, todo);
	if (rc < 0) {
		unstage(s);
		return rc;
	}
	rc = learn(s, ev, &ctx);
	settle(s, dest);
	return rc < 0 ? rc : status(s);
}

static void mark_judged(uint64_t key, void *payload, void *user)
{
	dedup_entry *e = payload;

	(void)key;
	(void)user;
	if (e->state == DEDUP_PENDING) {
		e->state = DEDUP_JUDGED;
		e->pending = 0;
	}
}

int kag_session_flush(const kag_result **out, kag_session *s)
{
	if (!out || !s)
		return KAG_EINVAL;
	*out = &s->result;
	result_recycle(s);
	s->failed = s->repeats.failed = 0;
	while (s->pend_oldest)
		pend_finish(s, s->pend_oldest, 1);
	kag__lru_foreach(&s->dedup, mark_judged, NULL);
	kag__repeats_flush(&s->repeats);
	return status(s);
}

size_t kag_result_count(const kag_result *res)
{
	return res ? res->n : 0;
}

const kag_verdict *kag_result_verdict(const kag_result *res, size_t i)
{
	return res && i < res->n ? res->items[i] : NULL;
}
