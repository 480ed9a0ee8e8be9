/* Learned baselines (baseline-private.h): the bounded tables, a request's
 * tuple, lookup and learning.
 *
 * Identities live in a fixed array of max_identities slots, found through
 * a chained hash of their names and kept in use order; each holds a small
 * array of tuples, searched by hash (at most max_tuples of them). Memory
 * is bounded by the caps, whatever the stream's length: the least recently
 * used identity, or an identity's least recently seen tuple, makes room. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "baseline-private.h"
#include "detectors/request-private.h"
#include "kag.h"
#include "lru-private.h"

#define DEFAULT_MAX_IDENTITIES 4096
#define DEFAULT_MAX_TUPLES 256
#define DEFAULT_MAX_TOTAL 65536
#define DEFAULT_KNOWN_TUPLES 5
#define DEFAULT_KNOWN_SECONDS 3600
#define DEFAULT_MAX_BYTES (32u << 20)

/* ---- a request's tuple ---- */

/* The client: the userAgent's product token (kag__ua_product), so that an
 * upgrade is no new behaviour. */
static kag_str client_product(const kag_event *ev)
{
	if (!kag__usable(ev, KAG_FIELD_USER_AGENT))
		return (kag_str){ "", 0 };
	return kag__ua_product(ev->str[KAG_FIELD_USER_AGENT]);
}

static kag_str part_of(const kag_event *ev, int field)
{
	return kag__usable(ev, field) ? ev->str[field] : (kag_str){ "", 0 };
}

uint64_t kag__bl_hash_parts(const kag_str *parts)
{
	uint64_t h = 0;
	size_t i;

	for (i = 0; i < KAG__BL_PARTS; i++)
		h = kag__hash_step(h ^ i, parts[i].ptr, parts[i].len);
	return kag__hash_end(h);
}

uint64_t kag__bl_hash_user(const char *user, size_t len)
{
	return kag__hash(user, len, 0x6b61672d626c);
}

int kag__tuple_read(kag__tuple *t, const kag_event *ev)
{
	size_t i;

	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME) || !kag__usable(ev, KAG_FIELD_VERB))
		return 0;
	t->user = ev->str[KAG_FIELD_USER_USERNAME];
	t->part[0] = ev->str[KAG_FIELD_VERB];
	t->part[1] = part_of(ev, KAG_FIELD_OBJ_RESOURCE);
	t->part[2] = part_of(ev, KAG_FIELD_OBJ_SUBRESOURCE);
	t->part[3] = part_of(ev, KAG_FIELD_OBJ_NAMESPACE);
	t->part[4] = client_product(ev);
	if (t->user.len > KAG__BL_MAX_USER || memchr(t->user.ptr, '\0', t->user.len))
		return 0;
	for (i = 0; i < KAG__BL_PARTS; i++)
		if (t->part[i].len > KAG__BL_MAX_PART || memchr(t->part[i].ptr, '\0', t->part[i].len))
			return 0;
	t->user_hash = kag__bl_hash_user(t->user.ptr, t->user.len);
	t->hash = kag__bl_hash_parts(t->part);
	return 1;
}

static int cut(size_t len)
{
	return (int)(len > 64 ? 64 : len);
}

void kag__tuple_describe(const kag__tuple *t, char *out, size_t size)
{
	const kag_str *p = t->part;
	size_t n;

	n = (size_t)snprintf(out, size, "%.*s %.*s%s%.*s", cut(p[0].len), p[0].ptr,
			     cut(p[1].len), p[1].ptr, p[2].len ? "/" : "", cut(p[2].len), p[2].ptr);
	if (n >= size)
		return;
	if (p[3].len)
		n += (size_t)snprintf(out + n, size - n, " in %.*s", cut(p[3].len), p[3].ptr);
	else
		n += (size_t)snprintf(out + n, size - n, " cluster-wide");
	if (n >= size)
		return;
	if (p[4].len)
		snprintf(out + n, size - n, " with %.*s", cut(p[4].len), p[4].ptr);
	else
		snprintf(out + n, size - n, " without a userAgent");
}

/* ---- the store ---- */

int kag__bl_store_init(kag__bl_store *st, const kag_baseline *b)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->slots = (size_t)b->max_identities;
	st->nbuckets = 16;
	while (st->nbuckets < 2 * st->slots)
		st->nbuckets *= 2;
	st->ids = kag__calloc(st->slots, sizeof(*st->ids));
	st->buckets = kag__calloc(st->nbuckets, sizeof(*st->buckets));
	if (!st->ids || !st->buckets) {
		kag__bl_store_dispose(st);
		return KAG_ENOMEM;
	}
	for (i = 0; i < st->slots; i++)
		st->ids[i].hnext = i + 1 < st->slots ? (uint32_t)(i + 2) : 0;
	st->free_head = 1;
	return KAG_OK;
}

static void ident_clear(kag__bl_ident *id)
{
	uint32_t i;

	for (i = 0; i < id->n; i++)
		kag__free(id->tuples[i].text);
	kag__free(id->tuples);
	kag__free(id->user);
	id->tuples = NULL;
	id->user = NULL;
	id->n = id->cap = 0;
	id->used = 0;
}

void kag__bl_store_dispose(kag__bl_store *st)
{
	size_t i;

	for (i = 0; st->ids && i < st->slots; i++)
		if (st->ids[i].used)
			ident_clear(&st->ids[i]);
	kag__free(st->ids);
	kag__free(st->buckets);
	memset(st, 0, sizeof(*st));
}

static uint32_t *bucket(const kag__bl_store *st, uint64_t hash)
{
	return &st->buckets[hash & (st->nbuckets - 1)];
}

kag__bl_ident *kag__bl_find(const kag__bl_store *st, const char *user, size_t len,
			    uint64_t hash)
{
	uint32_t i1;

	if (!st->ids)
		return NULL;
	for (i1 = *bucket(st, hash); i1; i1 = st->ids[i1 - 1].hnext) {
		kag__bl_ident *id = &st->ids[i1 - 1];

		if (id->hash == hash && id->user_len == len && memcmp(id->user, user, len) == 0)
			return id;
	}
	return NULL;
}

static uint32_t index1(const kag__bl_store *st, const kag__bl_ident *id)
{
	return (uint32_t)(id - st->ids) + 1;
}

static void order_unlink(kag__bl_store *st, kag__bl_ident *id)
{
	if (id->older)
		st->ids[id->older - 1].newer = id->newer;
	else
		st->oldest = id->newer;
	if (id->newer)
		st->ids[id->newer - 1].older = id->older;
	else
		st->newest = id->older;
	id->older = id->newer = 0;
}

static void order_push(kag__bl_store *st, kag__bl_ident *id)
{
	uint32_t i1 = index1(st, id);

	id->older = st->newest;
	id->newer = 0;
	if (st->newest)
		st->ids[st->newest - 1].newer = i1;
	else
		st->oldest = i1;
	st->newest = i1;
}

kag__bl_ident *kag__bl_add_ident(kag__bl_store *st, const char *user, size_t len)
{
	uint32_t i1 = st->free_head, *b;
	kag__bl_ident *id;
	char *copy;

	if (!i1)
		return NULL;
	copy = kag__strndup(user, len);
	if (!copy)
		return NULL;
	id = &st->ids[i1 - 1];
	st->free_head = id->hnext;
	memset(id, 0, sizeof(*id));
	id->used = 1;
	id->user = copy;
	id->user_len = len;
	id->hash = kag__bl_hash_user(user, len);
	b = bucket(st, id->hash);
	id->hnext = *b;
	*b = i1;
	order_push(st, id);
	st->n_ids++;
	return id;
}

static void remove_ident(kag__bl_store *st, kag__bl_ident *id)
{
	uint32_t i1 = index1(st, id), *link = bucket(st, id->hash);

	while (*link != i1)
		link = &st->ids[*link - 1].hnext;
	*link = id->hnext;
	order_unlink(st, id);
	st->n_tuples -= id->n;
	st->n_ids--;
	ident_clear(id);
	id->hnext = st->free_head;
	st->free_head = i1;
}

static int tuple_is(const kag__bl_tuple *t, const kag_str *parts, uint64_t hash)
{
	const char *p = t->text;
	size_t i;

	if (t->hash != hash)
		return 0;
	for (i = 0; i < KAG__BL_PARTS; i++) {
		if (t->len[i] != parts[i].len || memcmp(p, parts[i].ptr, parts[i].len) != 0)
			return 0;
		p += t->len[i] + 1;
	}
	return 1;
}

static kag__bl_tuple *find_tuple(const kag__bl_ident *id, const kag_str *parts, uint64_t hash)
{
	uint32_t i;

	for (i = 0; i < id->n; i++)
		if (tuple_is(&id->tuples[i], parts, hash))
			return &id->tuples[i];
	return NULL;
}

kag__bl_tuple *kag__bl_add_tuple(kag__bl_store *st, kag__bl_ident *id, const kag_str *parts,
				 int *dup)
{
	uint64_t hash = kag__bl_hash_parts(parts);
	kag__bl_tuple *t;
	size_t i, size = 0;
	char *text, *p;

	*dup = 0;
	if (find_tuple(id, parts, hash)) {
		*dup = 1;
		return NULL;
	}
	if (id->n == id->cap) {
		uint32_t cap = id->cap ? id->cap * 2 : 8;
		kag__bl_tuple *nt = kag__realloc(id->tuples, cap * sizeof(*nt));

		if (!nt)
			return NULL;
		id->tuples = nt;
		id->cap = cap;
	}
	for (i = 0; i < KAG__BL_PARTS; i++)
		size += parts[i].len + 1;
	text = kag__malloc(size);
	if (!text)
		return NULL;
	t = &id->tuples[id->n++];
	memset(t, 0, sizeof(*t));
	t->hash = hash;
	t->text = text;
	for (i = 0, p = text; i < KAG__BL_PARTS; i++) {
		memcpy(p, parts[i].ptr, parts[i].len);
		p[parts[i].len] = '\0';
		p += parts[i].len + 1;
		t->len[i] = (uint16_t)parts[i].len;
	}
	st->n_tuples++;
	return t;
}

static int by_last_seen(const void *a, const void *b)
{
	const kag__bl_ident *x = *(kag__bl_ident *const *)a, *y = *(kag__bl_ident *const *)b;

	if (x->last_us != y->last_us)
		return x->last_us < y->last_us ? -1 : 1;
	return x < y ? -1 : x > y;
}

int kag__bl_order_by_time(kag__bl_store *st)
{
	kag__bl_ident **all;
	size_t i, n = 0;

	if (!st->n_ids)
		return KAG_OK;
	all = kag__malloc(st->n_ids * sizeof(*all));
	if (!all)
		return KAG_ENOMEM;
	for (i = 0; i < st->slots; i++)
		if (st->ids[i].used)
			all[n++] = &st->ids[i];
	qsort(all, n, sizeof(*all), by_last_seen);
	st->newest = st->oldest = 0;
	for (i = 0; i < n; i++)
		order_push(st, all[i]);
	kag__free(all);
	return KAG_OK;
}

/* Drop the tuple of id seen least recently. */
static void evict_tuple(kag_baseline *b, kag__bl_ident *id)
{
	uint32_t i, old = 0;

	for (i = 1; i < id->n; i++)
		if (id->tuples[i].last_us < id->tuples[old].last_us)
			old = i;
	kag__free(id->tuples[old].text);
	id->tuples[old] = id->tuples[--id->n];
	b->st.n_tuples--;
	b->tuple_evictions++;
}

/* ---- lookup and learning ---- */

static int known(const kag_baseline *b, const kag__bl_ident *id)
{
	return id->n >= b->known_tuples ||
	       (id->first_us && (uint64_t)(id->last_us - id->first_us) >= b->known_us);
}

int kag__baseline_lookup(const kag_baseline *b, const kag__tuple *t)
{
	const kag__bl_ident *id = kag__bl_find(&b->st, t->user.ptr, t->user.len, t->user_hash);

	if (!id)
		return KAG__BL_UNKNOWN;
	if (find_tuple(id, t->part, t->hash))
		return KAG__BL_SEEN;
	return known(b, id) ? KAG__BL_NEW : KAG__BL_UNKNOWN;
}

static void stretch(int64_t *first, int64_t *last, int64_t now)
{
	if (!now)
		return;
	if (!*first || now < *first)
		*first = now;
	if (now > *last)
		*last = now;
}

/* An identity for t's user, making room when the table is full. */
static kag__bl_ident *ident_for(kag_baseline *b, const kag__tuple *t)
{
	kag__bl_store *st = &b->st;
	kag__bl_ident *id = kag__bl_find(st, t->user.ptr, t->user.len, t->user_hash);

	if (id) {
		order_unlink(st, id);
		order_push(st, id);
		return id;
	}
	if (st->n_ids >= b->max_identities) {
		remove_ident(st, &st->ids[st->oldest - 1]);
		b->id_evictions++;
	}
	return kag__bl_add_ident(st, t->user.ptr, t->user.len);
}

/* Room for one more tuple of id within the caps. */
static void make_room(kag_baseline *b, kag__bl_ident *id)
{
	kag__bl_store *st = &b->st;

	if (id->n >= b->max_tuples) {
		evict_tuple(b, id);
		return;
	}
	while (st->n_tuples >= b->max_total) {
		kag__bl_ident *old = &st->ids[st->oldest - 1];

		if (old == id) {
			evict_tuple(b, id);
			return;
		}
		remove_ident(st, old);
		b->id_evictions++;
	}
}

int kag__baseline_learn(kag_baseline *b, const kag__tuple *t, int64_t now_us)
{
	kag__bl_ident *id;
	kag__bl_tuple *tup;
	int dup;

	if (!b->st.ids && kag__bl_store_init(&b->st, b) < 0)
		return KAG_ENOMEM;
	id = ident_for(b, t);
	if (!id)
		return KAG_ENOMEM;
	stretch(&id->first_us, &id->last_us, now_us);
	stretch(&b->st.created_us, &b->st.updated_us, now_us);
	tup = find_tuple(id, t->part, t->hash);
	if (!tup) {
		make_room(b, id);
		tup = kag__bl_add_tuple(&b->st, id, t->part, &dup);
		if (!tup)
			return KAG_ENOMEM;
		b->learned++;
	}
	stretch(&tup->first_us, &tup->last_us, now_us);
	return KAG_OK;
}

/* ---- public handle ---- */

int kag_baseline_new(kag_baseline **out)
{
	kag_baseline *b;

	if (!out)
		return KAG_EINVAL;
	*out = b = kag__calloc(1, sizeof(*b));
	if (!b)
		return KAG_ENOMEM;
	b->max_identities = DEFAULT_MAX_IDENTITIES;
	b->max_tuples = DEFAULT_MAX_TUPLES;
	b->max_total = DEFAULT_MAX_TOTAL;
	b->known_tuples = DEFAULT_KNOWN_TUPLES;
	b->known_us = (uint64_t)DEFAULT_KNOWN_SECONDS * 1000000u;
	b->max_bytes = DEFAULT_MAX_BYTES;
	return KAG_OK;
}

void kag_baseline_free(kag_baseline *b)
{
	if (!b)
		return;
	kag__bl_store_dispose(&b->st);
	kag__free(b);
}

int kag_baseline_set_option_u64(kag_baseline *b, int option, uint64_t value)
{
	uint64_t *cap = NULL, max = 0;

	if (!b || value == 0)
		return KAG_EINVAL;
	switch (option) {
	case KAG_BOPT_MAX_IDENTITIES: cap = &b->max_identities; max = 1u << 20; break;
	case KAG_BOPT_MAX_TUPLES: cap = &b->max_tuples; max = 1u << 16; break;
	case KAG_BOPT_MAX_TOTAL: cap = &b->max_total; max = 1u << 24; break;
	case KAG_BOPT_KNOWN_TUPLES:
		b->known_tuples = value;
		return KAG_OK;
	case KAG_BOPT_KNOWN_SECONDS:
		if (value > UINT64_MAX / 1000000u)
			return KAG_EINVAL;
		b->known_us = value * 1000000u;
		return KAG_OK;
	case KAG_BOPT_MAX_BYTES:
		if (value > (1u << 30))
			return KAG_EINVAL;
		b->max_bytes = value;
		return KAG_OK;
	default:
		return KAG_EINVAL;
	}
	if (value > max)
		return KAG_EINVAL;
	if (b->st.n_ids)
		return KAG_ESTATE;
	if ((option == KAG_BOPT_MAX_TUPLES && value > b->max_total) ||
	    (option == KAG_BOPT_MAX_TOTAL && value < b->max_tuples))
		return KAG_EINVAL;
	*cap = value;
	/* the tables are sized by the caps: made again at the next use */
	kag__bl_store_dispose(&b->st);
	return KAG_OK;
}

uint64_t kag_baseline_stat(const kag_baseline *b, int stat)
{
	if (!b)
		return 0;
	switch (stat) {
	case KAG_BSTAT_IDENTITIES: return b->st.n_ids;
	case KAG_BSTAT_TUPLES: return b->st.n_tuples;
	case KAG_BSTAT_LEARNED: return b->learned;
	case KAG_BSTAT_IDENTITY_EVICTIONS: return b->id_evictions;
	case KAG_BSTAT_TUPLE_EVICTIONS: return b->tuple_evictions;
	default: return 0;
	}
}
