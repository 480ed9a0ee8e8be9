/* Fixed-capacity hash table with least-recently-used eviction, keyed by a
 * 64-bit hash of the key string. Memory is allocated once, at init. */
#ifndef KAG_LRU_PRIVATE_H
#define KAG_LRU_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

typedef void (*kag__lru_evict_fn)(uint64_t key, void *payload, void *user);

typedef struct {
	size_t cap, payload_size, stride, nbuckets, count;
	unsigned char *slots;   /* cap slots of header + payload */
	uint32_t *buckets;      /* head slot index + 1, 0 = empty */
	uint32_t mru, lru;      /* slot index + 1 */
	uint32_t free_head;     /* slot index + 1 */
	uint64_t evictions;
	kag__lru_evict_fn on_evict;
	void *user;
} kag__lru;

uint64_t kag__hash(const char *s, size_t len, uint64_t seed);
int kag__lru_init(kag__lru *t, size_t capacity, size_t payload_size,
		  kag__lru_evict_fn on_evict, void *user);
void kag__lru_dispose(kag__lru *t);
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
