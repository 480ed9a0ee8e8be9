/* Correlation across events: the window of event time and the distinct
 * targets the detectors count bursts with. */
#include <stdio.h>
#include <string.h>

#include "burst-private.h"

void *kag__state_get(kag__ctx *ctx, uint64_t key)
{
	void *st;

	if (!ctx->state)
		return NULL;
	st = kag__lru_find(ctx->state, key);
	return st ? st : kag__lru_insert(ctx->state, key);
}

int kag__window_count(kag__window *w, const kag__ctx *ctx, uint64_t span_us, int late_from)
{
	int64_t now = ctx->now_us, late = (int64_t)ctx->policy->late_us;

	if (w->count == 0 || now > w->first_us + (int64_t)span_us) {
		memset(w, 0, sizeof(*w));
		w->first_us = w->last_us = now;
		w->count = 1;
		return KAG__WINDOW_OPENED;
	}
	if (now < w->first_us &&
	    now < (late_from == KAG__LATE_FROM_NEWEST ? w->last_us : w->first_us) - late)
		return KAG__WINDOW_LATE;
	if (now < w->first_us)
		w->first_us = now;
	if (now > w->last_us)
		w->last_us = now;
	w->count++;
	return KAG__WINDOW_COUNTED;
}

int kag__window_due(kag__window *w, uint64_t n, uint64_t threshold)
{
	if (w->reported || n < threshold)
		return 0;
	w->reported = 1;
	return 1;
}

int kag__burst_count(kag__burst *b, const kag__ctx *ctx, uint64_t span_us, int late_from)
{
	int rc = kag__window_count(&b->w, ctx, span_us, late_from);

	if (rc == KAG__WINDOW_OPENED)
		b->n_targets = 0;
	return rc != KAG__WINDOW_LATE;
}

uint64_t kag__burst_key(kag_str a, kag_str b)
{
	uint64_t h = kag__hash_step(0x6a09e667f3bcc909ULL, a.ptr ? a.ptr : "", a.len);

	return kag__hash_end(kag__hash_step(h, b.ptr ? b.ptr : "", b.len));
}

void kag__burst_target_key(kag__burst *b, uint64_t key, const char *display)
{
	size_t i;

	for (i = 0; i < b->n_targets; i++)
		if (b->target_keys[i] == key)
			return;
	if (b->n_targets >= KAG__BURST_TARGETS)
		return;
	if (b->n_targets < KAG__MAX_DISTINCT)
		snprintf(b->targets[b->n_targets], KAG__BURST_NAME, "%s", display);
	b->target_keys[b->n_targets++] = key;
}

int kag__burst_due(kag__burst *b, uint64_t threshold)
{
	return kag__window_due(&b->w, b->n_targets,
			       threshold < KAG__BURST_TARGETS ? threshold : KAG__BURST_TARGETS);
}

void kag__correlate(kag_finding *f, const kag__ctx *ctx, uint64_t count, int64_t first_us,
		    int64_t last_us)
{
	f->corr_count = count;
	f->corr_first_us = first_us;
	f->corr_last_us = last_us;
	if (ctx->time_inferred)
		kag__finding_weaker(f, KAG_FIELD_STAGE_TS);
}

void kag__correlate_burst(kag_finding *f, const kag__ctx *ctx, const kag__burst *b)
{
	size_t i;

	kag__correlate(f, ctx, b->w.count, b->w.first_us, b->w.last_us);
	f->n_distinct = b->n_targets < KAG__MAX_DISTINCT ? b->n_targets : KAG__MAX_DISTINCT;
	for (i = 0; i < f->n_distinct; i++)
		f->distinct[i] = b->targets[i];
}
