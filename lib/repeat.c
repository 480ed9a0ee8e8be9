/* Repeat suppression and aggregation (repeat-private.h). Open windows live
 * in a bounded table (lru.c) mapping a verdict's repeat key to a record;
 * the records are also linked in the order their windows opened, which is
 * the order they end in (every window has the same length), so expiry
 * reads only the oldest ones. */
#include <string.h>

#include "alloc-private.h"
#include "repeat-private.h"
#include "detectors/request-private.h"

struct kag__repeat_rec {
	uint64_t key;
	int64_t start_us;          /* time of the verdict that opened it */
	int64_t first_us, last_us; /* times of the first and last repeat */
	uint64_t count;
	kag_verdict *held;         /* the last repeat, or NULL */
	uint32_t older, newer;     /* index + 1; newer links the free list */
};

/* ---- the key ---- */

/* Mix one field into h; an absent field is marked apart from an empty
 * one, and each part by its tag, so that no two parts can trade bytes. */
static uint64_t mix_str(uint64_t h, unsigned tag, kag_str s)
{
	return kag__hash_step(h ^ ((uint64_t)tag << 1 | (s.ptr == NULL)), s.ptr, s.len);
}

static uint64_t mix_field(uint64_t h, unsigned tag, const kag_event *ev, int field)
{
	kag_str none = { NULL, 0 };

	return mix_str(h, tag, ev->state[field] ? ev->str[field] : none);
}

static uint64_t mix_cstr(uint64_t h, unsigned tag, const char *s)
{
	kag_str v = { s, strlen(s) };

	return mix_str(h, tag, v);
}

uint64_t kag__repeat_key(const kag__policy *p, const kag_verdict *v, const kag_event *ev)
{
	uint64_t parts = p->repeat_key, h;
	char judged[3] = { (char)('0' + v->assessment), (char)('0' + v->severity),
			   (char)('0' + v->outcome) };
	kag_str verdict = { judged, parts & KAG_REPEAT_OUTCOME ? 3 : 2 };

	h = mix_cstr(0, 1, v->detector);
	h = mix_str(h, 2, verdict);
	if (parts & KAG_REPEAT_USER) {
		h = mix_field(h, 3, ev, KAG_FIELD_USER_USERNAME);
		h = mix_field(h, 4, ev, KAG_FIELD_IMP_USERNAME);
	}
	if (parts & KAG_REPEAT_VERB)
		h = mix_field(h, 5, ev, KAG_FIELD_VERB);
	if (parts & KAG_REPEAT_RESOURCE) {
		h = mix_field(h, 6, ev, KAG_FIELD_OBJ_API_GROUP);
		h = mix_field(h, 7, ev, KAG_FIELD_OBJ_RESOURCE);
		h = mix_field(h, 8, ev, KAG_FIELD_OBJ_SUBRESOURCE);
	}
	if (parts & KAG_REPEAT_NAMESPACE)
		h = mix_field(h, 9, ev, KAG_FIELD_OBJ_NAMESPACE);
	if (parts & KAG_REPEAT_NAME)
		h = mix_field(h, 10, ev, KAG_FIELD_OBJ_NAME);
	if (parts & KAG_REPEAT_REASON)
		h = mix_cstr(h, 11, kag_verdict_reason(v));
	if (parts & KAG_REPEAT_SOURCE)
		h = mix_str(h, 12, kag__last_source_ip(ev));
	if (parts & KAG_REPEAT_USER_AGENT)
		h = mix_field(h, 13, ev, KAG_FIELD_USER_AGENT);
	return kag__lru_key(kag__hash_end(h));
}

/* ---- open windows ---- */

static void rec_unlink(kag__repeats *t, uint32_t i1)
{
	kag__repeat_rec *r = &t->recs[i1 - 1];

	if (r->older)
		t->recs[r->older - 1].newer = r->newer;
	else
		t->oldest = r->newer;
	if (r->newer)
		t->recs[r->newer - 1].older = r->older;
	else
		t->newest = r->older;
	r->older = 0;
	r->newer = t->free;
	t->free = i1;
}

/* Close window i1: its aggregate goes out when it counted repeats. The
 * table entry is the caller's to remove (or is being evicted). */
static void rec_close(kag__repeats *t, uint32_t i1)
{
	kag__repeat_rec *r = &t->recs[i1 - 1];
	kag_verdict *v = r->held;

	r->held = NULL;
	rec_unlink(t, i1);
	if (!v)
		return;
	if (kag__verdict_add_repeats(v, r->count, r->first_us, r->last_us) < 0)
		t->failed = 1;
	if (t->sink.out(t->sink.user, v) < 0)
		t->failed = 1;
}

static void on_evict(uint64_t key, void *payload, void *user)
{
	(void)key;
	rec_close(user, *(uint32_t *)payload);
}

static uint32_t rec_open(kag__repeats *t, uint64_t key, int64_t time_us)
{
	uint32_t i1 = t->free;
	kag__repeat_rec *r = &t->recs[i1 - 1];

	t->free = r->newer;
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->start_us = time_us;
	r->older = t->newest;
	if (t->newest)
		t->recs[t->newest - 1].newer = i1;
	else
		t->oldest = i1;
	t->newest = i1;
	return i1;
}

int kag__repeats_init(kag__repeats *t, const kag__policy *p, const kag__repeat_sink *sink)
{
	size_t i;
	int rc;

	memset(t, 0, sizeof(*t));
	t->sink = *sink;
	t->window_us = p->repeat_window_us;
	t->late_us = p->late_us;
	if (!t->window_us)
		return KAG_OK;
	rc = kag__lru_init(&t->index, p->repeat_capacity, sizeof(uint32_t), on_evict, t);
	if (rc < 0)
		return rc;
	/* one record per table entry: an insert that finds no free record
	 * has evicted an entry, and with it a record, first */
	t->cap = t->index.cap;
	t->recs = kag__calloc(t->cap, sizeof(*t->recs));
	if (!t->recs)
		return KAG_ENOMEM;
	for (i = 0; i < t->cap; i++)
		t->recs[i].newer = i + 1 < t->cap ? (uint32_t)(i + 2) : 0;
	t->free = 1;
	return KAG_OK;
}

void kag__repeats_dispose(kag__repeats *t)
{
	size_t i;

	for (i = 0; t->recs && i < t->cap; i++) {
		if (t->recs[i].held)
			t->sink.drop(t->sink.user, t->recs[i].held);
		t->recs[i].held = NULL;
	}
	kag__free(t->recs);
	t->recs = NULL;
	kag__lru_dispose(&t->index);
}

int kag__repeats_admit(kag__repeats *t, kag_verdict *v, int64_t now)
{
	int64_t time_us = v->time_us ? v->time_us : now;
	uint32_t *slot, i1;
	kag__repeat_rec *r;

	if (!t->window_us || !v->repeat_key)
		return t->sink.out(t->sink.user, v);
	slot = kag__lru_find(&t->index, v->repeat_key);
	if (slot) {
		r = &t->recs[*slot - 1];
		if (time_us < r->start_us + (int64_t)t->window_us) {
			/* a repeat (a late one too): counted, and held as the
			 * aggregate in place of the one before */
			if (r->held)
				t->sink.drop(t->sink.user, r->held);
			r->held = v;
			if (!r->count++ || time_us < r->first_us)
				r->first_us = time_us;
			if (time_us > r->last_us)
				r->last_us = time_us;
			t->repeats++;
			return KAG_OK;
		}
		/* past the window: it closes, and v opens the next one */
		rec_close(t, *slot);
		kag__lru_remove(&t->index, v->repeat_key);
	}
	slot = kag__lru_insert(&t->index, v->repeat_key);
	i1 = rec_open(t, v->repeat_key, time_us);
	*slot = i1;
	return t->sink.out(t->sink.user, v);
}

void kag__repeats_expire(kag__repeats *t, int64_t now)
{
	while (t->oldest) {
		kag__repeat_rec *r = &t->recs[t->oldest - 1];
		uint64_t key = r->key;

		if (!now || r->start_us + (int64_t)(t->window_us + t->late_us) >= now)
			break;
		rec_close(t, t->oldest);
		kag__lru_remove(&t->index, key);
	}
}

void kag__repeats_flush(kag__repeats *t)
{
	while (t->oldest) {
		uint64_t key = t->recs[t->oldest - 1].key;

		rec_close(t, t->oldest);
		kag__lru_remove(&t->index, key);
	}
}
