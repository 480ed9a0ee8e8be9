/* Correlation across events: per-key state in the session's table for the
 * detector, the windowed burst counter (events and distinct targets of
 * one key within a window of event time) and the correlation a finding
 * carries. Part of the detector kit. */
#ifndef KAG_BURST_PRIVATE_H
#define KAG_BURST_PRIVATE_H

#include "detector-private.h"
#include "finding-private.h"

/* The state kept for key in the detector's table, inserted zeroed when
 * new (evicting the least recently used); NULL when it has no table. */
void *kag__state_get(kag__ctx *ctx, uint64_t key);

#define KAG__BURST_TARGETS 32  /* distinct targets counted in one window */
#define KAG__BURST_NAME 64     /* bytes kept of a target's name */

/* One key's window: it opens at the first event counted and lasts span_us
 * of event time; an event after it opens the next. The distinct targets
 * are told apart by a hash of their names; the first KAG__MAX_DISTINCT
 * names are kept for the verdict. */
typedef struct {
	int64_t first_us, last_us;   /* the window's earliest and newest event */
	uint64_t count;              /* events counted in it */
	int reported;                /* its burst verdict is out */
	size_t n_targets;
	uint64_t target_keys[KAG__BURST_TARGETS];
	char targets[KAG__MAX_DISTINCT][KAG__BURST_NAME];
} kag__burst;

/* Where the lateness allowance (policy late_us) is measured from: an
 * event earlier than the window's first by more than it is not counted.
 * From the newest event seen, one late event does not stretch the
 * allowance for the next. */
enum { KAG__LATE_FROM_FIRST, KAG__LATE_FROM_NEWEST };

/* Count the event (at ctx->now_us) in b's window of span_us, opening a new
 * window when it expired. Returns 1 when counted, 0 when too late. */
int kag__burst_count(kag__burst *b, const kag__ctx *ctx, uint64_t span_us, int late_from);
/* Note a target of the event counted last; the first `cap` (at most
 * KAG__BURST_TARGETS) distinct targets of a window are kept. */
void kag__burst_target(kag__burst *b, const char *name, size_t cap);
/* Once a window: 1 (and marked reported) when its count reaches
 * threshold. */
int kag__burst_due(kag__burst *b, uint64_t threshold);
/* The same for its distinct targets; a threshold beyond what the window
 * keeps is met when it is full. */
int kag__burst_due_targets(kag__burst *b, uint64_t threshold);

/* The finding correlates count events from first_us to last_us; an event
 * time that was inferred weakens it. */
void kag__correlate(kag_finding *f, const kag__ctx *ctx, uint64_t count, int64_t first_us,
		    int64_t last_us);
/* The finding correlates b's window: its count, times and targets. */
void kag__correlate_burst(kag_finding *f, const kag__ctx *ctx, const kag__burst *b);

#endif
