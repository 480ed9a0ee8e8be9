/* Correlation across events: per-key state in the session's table for the
 * detector, the window of event time in which one key's events are
 * counted, the distinct targets of a window, and the correlation a finding
 * carries. Part of the detector kit. */
#ifndef KAG_BURST_PRIVATE_H
#define KAG_BURST_PRIVATE_H

#include <string.h>

#include "detector-private.h"
#include "finding-private.h"

/* The state kept for key in the detector's table, inserted zeroed when
 * new (evicting the least recently used); NULL when it has no table. */
void *kag__state_get(kag__ctx *ctx, uint64_t key);

/* One key's window: it opens at the first event counted and lasts span_us
 * of event time; an event after it opens the next. */
typedef struct {
	int64_t first_us, last_us;   /* the window's earliest and newest event */
	uint64_t count;              /* events counted in it */
	int reported;                /* its correlated verdict is out */
} kag__window;

/* Where the lateness allowance (policy late_us) is measured from: an
 * event earlier than the window's first by more than it is not counted.
 * From the newest event seen, one late event does not stretch the
 * allowance for the next. */
enum { KAG__LATE_FROM_FIRST, KAG__LATE_FROM_NEWEST };

/* kag__window_count() results */
enum { KAG__WINDOW_LATE = 0, KAG__WINDOW_COUNTED, KAG__WINDOW_OPENED };

/* Count the event (at ctx->now_us) in w, opening a new window (w zeroed
 * first: what the caller keeps per window is to be cleared too) when the
 * last one expired. */
int kag__window_count(kag__window *w, const kag__ctx *ctx, uint64_t span_us, int late_from);
/* Once a window: 1 (and marked reported) when n reaches threshold. */
int kag__window_due(kag__window *w, uint64_t n, uint64_t threshold);

#define KAG__BURST_TARGETS 32  /* distinct targets counted in one window */
#define KAG__BURST_NAME 64     /* bytes kept of a target's name, for display */

/* A window and its distinct targets, told apart by a hash of their whole
 * names; the first KAG__MAX_DISTINCT names are kept, maybe shortened, for
 * the verdict. */
typedef struct {
	kag__window w;
	size_t n_targets;
	uint64_t target_keys[KAG__BURST_TARGETS];
	char targets[KAG__MAX_DISTINCT][KAG__BURST_NAME];
} kag__burst;

/* kag__window_count() for a burst; a new window has no targets. Returns
 * 0 when the event is too late to count. */
int kag__burst_count(kag__burst *b, const kag__ctx *ctx, uint64_t span_us, int late_from);
/* Note a target of the event counted last (up to KAG__BURST_TARGETS):
 * key tells it apart (a hash of its whole name: kag__burst_key), display
 * is what the verdict shows of it (cut to KAG__BURST_NAME - 1 bytes). */
void kag__burst_target_key(kag__burst *b, uint64_t key, const char *display);
/* A target's key: a hash of the parts of its name, each whole. */
uint64_t kag__burst_key(kag_str a, kag_str b);
/* The same for a name that is whole as given. */
static inline void kag__burst_target(kag__burst *b, const char *name)
{
	kag__burst_target_key(b, kag__burst_key((kag_str){ name, strlen(name) },
						(kag_str){ "", 0 }), name);
}
/* kag__window_due() on the distinct targets; a threshold beyond what the
 * window keeps is met when it is full. */
int kag__burst_due(kag__burst *b, uint64_t threshold);

/* The finding correlates count events from first_us to last_us; an event
 * time that was inferred weakens it. */
void kag__correlate(kag_finding *f, const kag__ctx *ctx, uint64_t count, int64_t first_us,
		    int64_t last_us);
/* The same, with the burst's targets as the distinct items. */
void kag__correlate_burst(kag_finding *f, const kag__ctx *ctx, const kag__burst *b);

#endif
