/* Fixed-capacity hash table with least-recently-used eviction, keyed by a
 * 64-bit hash of the key string. Memory is allocated once, at init.
 *
 * Up to 64 entries it is one exact LRU list. Larger tables are
 * set-associative, as a CPU cache is: a key can live only in the entries
 * (ways) of its set, and an insert into a full set evicts the least
 * recently used entry of that set. A lookup then reads one set instead of
 * chasing list links across the whole table, which is what the per-event
 * cost of a large de-duplication table was made of. Sets start on a cache
 * line; with payloads of at most 4 bytes a set is 4 ways in one 64-byte
 * line, otherwise 8 ways in a few adjacent lines. */
#ifndef KAG_LRU_PRIVATE_H
#define KAG_LRU_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*kag__lru_evict_fn)(uint64_t key, void *payload, void *user);

typedef struct {
	size_t cap;             /* entries: nsets * ways */
	size_t payload_size;    /* 4 if at most 4, else rounded up to 8 bytes */
	size_t nsets, ways, set_bytes;
	unsigned char *sets;    /* nsets sets: keys, use stamps, payloads */
	unsigned char *mem;     /* the allocation sets starts in, on a cache line */
	uint32_t clock;         /* use stamp of the latest find or insert */
	size_t count;
	uint64_t evictions;
	kag__lru_evict_fn on_evict;
	void *user;
} kag__lru;

uint64_t kag__hash(const char *s, size_t len, uint64_t seed);
/* A hash of several strings: h = kag__hash_step(h, s, len) for each (the
 * length is part of each step), then kag__hash_end(h). */
uint64_t kag__hash_step(uint64_t h, const char *s, size_t len);
uint64_t kag__hash_end(uint64_t h);
int kag__lru_init(kag__lru *t, size_t capacity, size_t payload_size,
		  kag__lru_evict_fn on_evict, void *user);
void kag__lru_dispose(kag__lru *t);
/* 0 marks an empty entry: no key may be 0. */
static inline uint64_t kag__lru_key(uint64_t key)
{
	return key ? key : 0x9e3779b97f4a7c15ULL;
}

/* The set a key (as kag__lru_key gives it) lives in. */
static inline unsigned char *kag__lru_set(const kag__lru *t, uint64_t key)
{
	/* the high bits: the low ones also pick buckets of other tables */
	return t->sets + (size_t)(((key >> 32) * (uint64_t)t->nsets) >> 32) * t->set_bytes;
}

/* Start loading the set of key into the cache, for a find or an insert
 * that follows shortly (a hint: it does nothing where the compiler has no
 * prefetch). */
static inline void kag__lru_prefetch(const kag__lru *t, uint64_t key)
{
#if defined(__GNUC__) || defined(__clang__)
	if (t->sets)
		__builtin_prefetch(kag__lru_set(t, kag__lru_key(key)), 1);
#else
	(void)t;
	(void)key;
#endif
}

/* The payload for key (marked most recently used), or NULL. */
void *kag__lru_find(kag__lru *t, uint64_t key);
/* Insert key (must not be present) with a zeroed payload, evicting the
 * least recently used entry when full. Never fails once initialised. */
void *kag__lru_insert(kag__lru *t, uint64_t key);
/* Remove key if present. */
void kag__lru_remove(kag__lru *t, uint64_t key);
/* Visit every entry (for flushing); the callback must not modify t. */
void kag__lru_foreach(kag__lru *t, void (*fn)(uint64_t key, void *payload, void *user), void *user);

#endif
