/* Bounded LRU table used by all correlation state. */
#include <string.h>

#include "alloc-private.h"
#include "kag.h"
#include "lru-private.h"
#include "word-private.h"

#define ROTL(x, r) (((x) << (r)) | ((x) >> (64 - (r))))

/* The last 1 to 7 bytes as one word, without a byte loop or a call: two
 * overlapping 4-byte loads, or the first, middle and last byte (the length
 * is mixed in separately, so overlaps cannot collide across lengths). */
static inline uint64_t load_tail(const char *p, size_t len)
{
	if (len >= 4)
		return (uint64_t)kag__load32(p) | (uint64_t)kag__load32(p + len - 4) << 32;
	return (uint64_t)(unsigned char)p[0] << 16 | (uint64_t)(unsigned char)p[len >> 1] << 8 |
	       (unsigned char)p[len - 1];
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

/* Sixteen bytes at a time. The same bytes and seed give the same value in
 * every run on one host (the value depends on the host's byte order, which
 * is fine for tables that live in memory). */
#define HK0 0xa0761d6478bd642fULL
#define HK1 0xe7037ed1a0b428dbULL

uint64_t kag__hash_step(uint64_t h, const char *s, size_t len)
{
	h ^= HK0 ^ ((uint64_t)len * HK1);
	/* the previous state is carried past each product, so that no
	 * input word can cancel what came before it */
	while (len >= 16) {
		h = mix(kag__load64(s) ^ HK1 ^ h, kag__load64(s + 8) ^ HK0) ^ ROTL(h, 29);
		s += 16;
		len -= 16;
	}
	if (len >= 8) {
		h = mix(kag__load64(s) ^ HK1 ^ h, HK0) ^ ROTL(h, 29);
		s += 8;
		len -= 8;
	}
	if (len)
		h = mix(load_tail(s, len) ^ HK1 ^ h, HK0 ^ len) ^ ROTL(h, 29);
	return h;
}

uint64_t kag__hash_end(uint64_t h)
{
	/* so that the low bits used for buckets are well mixed */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t kag__hash(const char *s, size_t len, uint64_t seed)
{
	return kag__hash_end(kag__hash_step(seed, s, len));
}

/* A set: `ways` keys (0: empty), then their use stamps, then the payloads. */
#define SET(t, i) ((t)->sets + (size_t)(i) * (t)->set_bytes)
#define KEYS(set) ((uint64_t *)(set))
#define STAMPS(t, set) ((uint32_t *)((set) + (t)->ways * 8))
#define PAYLOAD(t, set, w) \
	((void *)((set) + (t)->ways * 8 + (((t)->ways * 4 + 7) & ~(size_t)7) + \
		  (size_t)(w) * (t)->payload_size))

#define SMALL_TABLE 64  /* up to this many entries: one set, exact LRU */
#define WAYS 8
#define LINE 64

int kag__lru_init(kag__lru *t, size_t capacity, size_t payload_size,
		  kag__lru_evict_fn on_evict, void *user)
{
	/* Payloads of up to 4 bytes take 4, others a multiple of 8. */
	int small = payload_size <= 4;
	size_t bytes;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > UINT32_MAX / 2)
		return KAG_EINVAL;
	if (capacity <= SMALL_TABLE) {
		t->nsets = 1;
		t->ways = capacity;
	} else {
		/* With small payloads, 4 ways of key, stamp and payload make
		 * one cache line: a lookup or an insert reads that line only. */
		t->ways = small ? 4 : WAYS;
		t->nsets = capacity / t->ways;
	}
	t->cap = t->nsets * t->ways;
	t->payload_size = small ? 4 : (payload_size + 7) & ~(size_t)7;
	t->set_bytes = t->ways * 8 + ((t->ways * 4 + 7) & ~(size_t)7) +
		       t->ways * t->payload_size;
	if (t->nsets > 1)
		t->set_bytes = (t->set_bytes + LINE - 1) & ~(size_t)(LINE - 1);
	if (t->nsets > (SIZE_MAX - LINE) / t->set_bytes)
		return KAG_ENOMEM;
	/* Sets start on a cache line, so that none straddles one more line
	 * than its size needs. */
	bytes = t->nsets * t->set_bytes + LINE - 1;
	t->mem = kag__calloc(1, bytes);
	if (!t->mem)
		return KAG_ENOMEM;
	t->sets = t->mem + (LINE - (uintptr_t)t->mem % LINE) % LINE;
	t->on_evict = on_evict;
	t->user = user;
	return KAG_OK;
}

void kag__lru_dispose(kag__lru *t)
{
	kag__free(t->mem);
	t->mem = t->sets = NULL;
	t->cap = t->count = 0;
}

void *kag__lru_find(kag__lru *t, uint64_t key)
{
	unsigned char *set;
	uint64_t *keys;
	size_t w;

	if (!t->sets)
		return NULL;
	key = kag__lru_key(key);
	set = kag__lru_set(t, key);
	keys = KEYS(set);
	for (w = 0; w < t->ways; w++) {
		if (keys[w] == key) {
			STAMPS(t, set)[w] = ++t->clock;
			return PAYLOAD(t, set, w);
		}
	}
	return NULL;
}

void *kag__lru_insert(kag__lru *t, uint64_t key)
{
	unsigned char *set;
	uint64_t *keys;
	uint32_t *stamps, oldest = 0;
	size_t w, victim = 0;
	void *payload;

	key = kag__lru_key(key);
	set = kag__lru_set(t, key);
	keys = KEYS(set);
	stamps = STAMPS(t, set);
	for (w = 0; w < t->ways; w++) {
		uint32_t age;

		if (!keys[w]) {
			victim = w;
			break;
		}
		/* ages in unsigned arithmetic survive the clock wrapping */
		age = t->clock - stamps[w];
		if (w == 0 || age > oldest) {
			oldest = age;
			victim = w;
		}
	}
	payload = PAYLOAD(t, set, victim);
	if (w == t->ways) {
		if (t->on_evict)
			t->on_evict(keys[victim], payload, t->user);
		t->evictions++;
		t->count--;
	}
	memset(payload, 0, t->payload_size);
	keys[victim] = key;
	stamps[victim] = ++t->clock;
	t->count++;
	return payload;
}

void kag__lru_remove(kag__lru *t, uint64_t key)
{
	unsigned char *set;
	uint64_t *keys;
	size_t w;

	if (!t->sets)
		return;
	key = kag__lru_key(key);
	set = kag__lru_set(t, key);
	keys = KEYS(set);
	for (w = 0; w < t->ways; w++) {
		if (keys[w] == key) {
			keys[w] = 0;
			t->count--;
			return;
		}
	}
}

void kag__lru_foreach(kag__lru *t, void (*fn)(uint64_t key, void *payload, void *user), void *user)
{
	size_t i, w;

	for (i = 0; i < t->nsets && t->sets; i++) {
		unsigned char *set = SET(t, i);

		for (w = 0; w < t->ways; w++)
			if (KEYS(set)[w])
				fn(KEYS(set)[w], PAYLOAD(t, set, w), user);
	}
}
