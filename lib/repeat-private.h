/* Repeat suppression: within a window of event time, a verdict with the
 * same detector, assessment, severity and repeat key (policy repeat_key:
 * identity, verb, object, outcome, reason, ...) as the verdict that opened
 * the window is counted instead of returned. The window's aggregate (the
 * last repeat, carrying "repeats":{count, first, last}) is returned when
 * the window closes: event time passes its end, its entry is evicted from
 * the bounded table, or the session is flushed. So no count is lost and an
 * analyst reads one verdict, and one aggregate, per finding and window.
 *
 * It runs on the verdicts the session returns, after every detector has
 * seen the event: correlation state is fed by every repeat. */
#ifndef KAG_REPEAT_PRIVATE_H
#define KAG_REPEAT_PRIVATE_H

#include "lru-private.h"
#include "verdict-private.h"

typedef struct kag__repeat_rec kag__repeat_rec;

/* Where verdicts go (the session): out() returns one to the caller,
 * drop() takes a displaced one back. */
typedef struct {
	int (*out)(void *user, kag_verdict *v);
	void (*drop)(void *user, kag_verdict *v);
	void *user;
} kag__repeat_sink;

typedef struct {
	uint64_t window_us;      /* 0: off, every verdict goes straight out */
	uint64_t late_us;        /* a window closes this long after its end */
	kag__lru index;          /* key -> open window's record index + 1 */
	kag__repeat_rec *recs;   /* open windows, oldest first */
	size_t cap;
	uint32_t oldest, newest, free;
	uint64_t repeats;        /* verdicts counted instead of returned */
	kag__repeat_sink sink;
	int failed;              /* out() failed while closing a window */
} kag__repeats;

int kag__repeats_init(kag__repeats *t, const kag__policy *p, const kag__repeat_sink *sink);
/* Give every held verdict back through drop(). */
void kag__repeats_dispose(kag__repeats *t);
/* The repeat key of a verdict judged on ev (never 0). */
uint64_t kag__repeat_key(const kag__policy *p, const kag_verdict *v, const kag_event *ev);
/* Take v (its time, or `now` when it has none): return it through out(),
 * or count it as a repeat and hold it. Returns out()'s result or KAG_OK. */
int kag__repeats_admit(kag__repeats *t, kag_verdict *v, int64_t now);
/* Close the windows that ended (with the late-event allowance) by `now`. */
void kag__repeats_expire(kag__repeats *t, int64_t now);
/* Close every window. */
void kag__repeats_flush(kag__repeats *t);

#endif
