/* Bounded LRU table used by all correlation state. */
#include <string.h>

#include "alloc-private.h"
#include "kag.h"
#include "lru-private.h"

typedef struct {
	uint64_t key;
	uint32_t hnext;  /* next slot in bucket chain, +1 */
	uint32_t prev;   /* towards MRU, +1 */
	uint32_t next;   /* towards LRU, +1 (also the free list link) */
	uint32_t used;
} slot_hdr;

#define HDR(t, i) ((slot_hdr *)((t)->slots + (size_t)(i) * (t)->stride))
#define PAYLOAD(t, i) ((void *)((t)->slots + (size_t)(i) * (t)->stride + sizeof(slot_hdr)))

#define ROTL(x, r) (((x) << (r)) | ((x) >> (64 - (r))))

static inline uint64_t load64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	/* 64x64 -> 128 multiply folded to 64 bits where the compiler has it */
#if defined(__SIZEOF_INT128__)
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t h = a * b;

	return h ^ (h >> 29) ^ (b * 0x9e3779b97f4a7c15ULL);
#endif
}

/* Eight bytes at a time; the same bytes and seed give the same value on
 * every run, so tests can rely on it (the byte order of the host matters,
 * which is fine for in-memory tables). */
uint64_t kag__hash(const char *s, size_t len, uint64_t seed)
{
	const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
	uint64_t h = seed ^ k0 ^ ((uint64_t)len * k1);

	/* the previous state is carried past each product, so that no
	 * input word can cancel what came before it */
	while (len >= 16) {
		h = mix(load64(s) ^ k1 ^ h, load64(s + 8) ^ k0) ^ ROTL(h, 29);
		s += 16;
		len -= 16;
	}
	if (len >= 8) {
		h = mix(load64(s) ^ k1 ^ h, k0) ^ ROTL(h, 29);
		s += 8;
		len -= 8;
	}
	if (len) {
		uint64_t w = 0;

		memcpy(&w, s, len);
		h = mix(w ^ k1 ^ h, k0 ^ len) ^ ROTL(h, 29);
	}
	/* finalise so that the low bits used for buckets are well mixed */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

int kag__lru_init(kag__lru *t, size_t capacity, size_t payload_size,
		  kag__lru_evict_fn on_evict, void *user)
{
	size_t i, nb = 1;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > UINT32_MAX / 2)
		return KAG_EINVAL;
	while (nb < capacity * 2)
		nb <<= 1;
	t->cap = capacity;
	t->payload_size = payload_size;
	t->stride = (sizeof(slot_hdr) + payload_size + 7) & ~(size_t)7;
	t->nbuckets = nb;
	t->slots = kag__calloc(capacity, t->stride);
	t->buckets = kag__calloc(nb, sizeof(uint32_t));
	if (!t->slots || !t->buckets) {
		kag__lru_dispose(t);
		return KAG_ENOMEM;
	}
	for (i = 0; i < capacity; i++)
		HDR(t, i)->next = i + 1 < capacity ? (uint32_t)(i + 2) : 0;
	t->free_head = 1;
	t->on_evict = on_evict;
	t->user = user;
	return KAG_OK;
}

void kag__lru_dispose(kag__lru *t)
{
	kag__free(t->slots);
	kag__free(t->buckets);
	t->slots = NULL;
	t->buckets = NULL;
	t->cap = t->count = 0;
}

static void unlink_lru(kag__lru *t, uint32_t i1)
{
	slot_hdr *h = HDR(t, i1 - 1);

	if (h->prev)
		HDR(t, h->prev - 1)->next = h->next;
	else
		t->mru = h->next;
	if (h->next)
		HDR(t, h->next - 1)->prev = h->prev;
	else
		t->lru = h->prev;
	h->prev = h->next = 0;
}

static void push_mru(kag__lru *t, uint32_t i1)
{
	slot_hdr *h = HDR(t, i1 - 1);

	h->prev = 0;
	h->next = t->mru;
	if (t->mru)
		HDR(t, t->mru - 1)->prev = i1;
	t->mru = i1;
	if (!t->lru)
		t->lru = i1;
}

void *kag__lru_find(kag__lru *t, uint64_t key)
{
	uint32_t i1;

	if (!t->slots)
		return NULL;
	for (i1 = t->buckets[key & (t->nbuckets - 1)]; i1; i1 = HDR(t, i1 - 1)->hnext) {
		if (HDR(t, i1 - 1)->key == key) {
			if (t->mru != i1) {
				unlink_lru(t, i1);
				push_mru(t, i1);
			}
			return PAYLOAD(t, i1 - 1);
		}
	}
	return NULL;
}

static void unlink_bucket(kag__lru *t, uint32_t i1)
{
	slot_hdr *h = HDR(t, i1 - 1);
	uint32_t *link = &t->buckets[h->key & (t->nbuckets - 1)];

	while (*link && *link != i1)
		link = &HDR(t, *link - 1)->hnext;
	if (*link)
		*link = h->hnext;
	h->hnext = 0;
}

static void release(kag__lru *t, uint32_t i1)
{
	slot_hdr *h = HDR(t, i1 - 1);

	unlink_bucket(t, i1);
	unlink_lru(t, i1);
	h->used = 0;
	h->next = t->free_head;
	t->free_head = i1;
	t->count--;
}

void *kag__lru_insert(kag__lru *t, uint64_t key)
{
	uint32_t i1, *bucket;
	slot_hdr *h;

	if (!t->free_head) {
		uint32_t victim = t->lru;

		if (t->on_evict)
			t->on_evict(HDR(t, victim - 1)->key, PAYLOAD(t, victim - 1), t->user);
		release(t, victim);
		t->evictions++;
	}
	i1 = t->free_head;
	h = HDR(t, i1 - 1);
	t->free_head = h->next;
	memset(h, 0, t->stride);
	h->key = key;
	h->used = 1;
	bucket = &t->buckets[key & (t->nbuckets - 1)];
	h->hnext = *bucket;
	*bucket = i1;
	push_mru(t, i1);
	t->count++;
	return PAYLOAD(t, i1 - 1);
}

void kag__lru_remove(kag__lru *t, uint64_t key)
{
	uint32_t i1;

	if (!t->slots)
		return;
	for (i1 = t->buckets[key & (t->nbuckets - 1)]; i1; i1 = HDR(t, i1 - 1)->hnext) {
		if (HDR(t, i1 - 1)->key == key) {
			release(t, i1);
			return;
		}
	}
}

void kag__lru_foreach(kag__lru *t, void (*fn)(uint64_t key, void *payload, void *user), void *user)
{
	uint32_t i1;

	for (i1 = t->lru; i1; i1 = HDR(t, i1 - 1)->prev)
		fn(HDR(t, i1 - 1)->key, PAYLOAD(t, i1 - 1), user);
}
