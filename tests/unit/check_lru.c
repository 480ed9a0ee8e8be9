/* The bounded LRU table (lib/lru.c) under all correlation state: exact LRU
 * up to 64 entries, set-associative above; sets laid out on cache lines
 * (one line a set when payloads are at most 4 bytes); every key inserted is
 * either still found, with its payload, or was handed to the eviction
 * callback exactly once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "lru-private.h"
#include "testutil.h"

#define MAX_EVICTED 8192

struct evicted {
	uint64_t keys[MAX_EVICTED];
	uint32_t payloads[MAX_EVICTED];
	size_t n;
};

static void on_evict(uint64_t key, void *payload, void *user)
{
	struct evicted *e = user;

	ck_assert_uint_lt(e->n, MAX_EVICTED);
	e->keys[e->n] = key;
	memcpy(&e->payloads[e->n], payload, sizeof(uint32_t));
	e->n++;
}

/* Distinct, well spread keys. */
static uint64_t key_of(uint64_t i)
{
	return kag__hash_end(i * 0x9e3779b97f4a7c15ULL + 1);
}

START_TEST(small_table_is_exact_lru)
{
	struct evicted ev = { .n = 0 };
	kag__lru t;
	uint32_t *p;

	ck_assert_int_eq(kag__lru_init(&t, 3, sizeof(uint32_t), on_evict, &ev), KAG_OK);
	ck_assert_uint_eq(t.nsets, 1);
	ck_assert_uint_eq(t.ways, 3);
	*(uint32_t *)kag__lru_insert(&t, 11) = 1;
	*(uint32_t *)kag__lru_insert(&t, 12) = 2;
	*(uint32_t *)kag__lru_insert(&t, 13) = 3;
	/* 11 is used again: 12 is now the least recently used */
	p = kag__lru_find(&t, 11);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(*p, 1);
	p = kag__lru_insert(&t, 14);
	ck_assert_uint_eq(*p, 0); /* a new entry's payload is zeroed */
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(ev.keys[0], 12);
	ck_assert_uint_eq(ev.payloads[0], 2);
	ck_assert_ptr_null(kag__lru_find(&t, 12));
	ck_assert_ptr_nonnull(kag__lru_find(&t, 13));
	ck_assert_uint_eq(t.count, 3);
	ck_assert_uint_eq(t.evictions, 1);
	kag__lru_remove(&t, 13);
	ck_assert_ptr_null(kag__lru_find(&t, 13));
	ck_assert_uint_eq(t.count, 2);
	kag__lru_dispose(&t);
}
END_TEST

START_TEST(key_zero_is_a_key)
{
	kag__lru t;

	ck_assert_int_eq(kag__lru_init(&t, 4096, sizeof(uint32_t), NULL, NULL), KAG_OK);
	ck_assert_ptr_null(kag__lru_find(&t, 0));
	*(uint32_t *)kag__lru_insert(&t, 0) = 7;
	kag__lru_prefetch(&t, 0);
	ck_assert_uint_eq(*(uint32_t *)kag__lru_find(&t, 0), 7);
	kag__lru_dispose(&t);
	/* a disposed table finds nothing and takes prefetch hints */
	kag__lru_prefetch(&t, 0);
	ck_assert_ptr_null(kag__lru_find(&t, 0));
}
END_TEST

/* Payload sizes and the set layout they get above 64 entries. */
START_TEST(sets_are_whole_cache_lines)
{
	static const struct {
		size_t payload, ways, set_bytes;
	} c[] = {
		{ 0, 4, 64 },   /* keys 32 + stamps 16 + payloads 16 */
		{ 4, 4, 64 },
		{ 8, 8, 192 },  /* keys 64 + stamps 32 + payloads 64 = 160 */
		{ 24, 8, 320 }, /* 64 + 32 + 192 = 288 */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		kag__lru t;

		ck_assert_int_eq(kag__lru_init(&t, 65536, c[i].payload, NULL, NULL), KAG_OK);
		ck_assert_uint_eq(t.ways, c[i].ways);
		ck_assert_uint_eq(t.set_bytes, c[i].set_bytes);
		ck_assert_uint_eq(t.cap, 65536);
		ck_assert_uint_eq((uintptr_t)t.sets % 64, 0);
		kag__lru_dispose(&t);
	}
}
END_TEST

/* Fill a set-associative table past its capacity: every key is either
 * found with its own payload or was evicted once, and the table holds at
 * most its capacity. */
static void fill_and_check(size_t capacity, size_t payload, size_t inserts)
{
	struct evicted *ev = calloc(1, sizeof(*ev));
	unsigned char *seen = calloc(inserts, 1);
	kag__lru t;
	size_t i, j, found = 0;

	ck_assert_ptr_nonnull(ev);
	ck_assert_ptr_nonnull(seen);
	ck_assert_int_eq(kag__lru_init(&t, capacity, payload, on_evict, ev), KAG_OK);
	for (i = 0; i < inserts; i++) {
		uint32_t v = (uint32_t)i + 1;

		TU_REQUIRE(kag__lru_find(&t, key_of(i)) == NULL);
		memcpy(kag__lru_insert(&t, key_of(i)), &v, sizeof(v));
		TU_REQUIRE(t.count <= t.cap);
	}
	ck_assert_uint_eq(t.evictions, ev->n);
	ck_assert_uint_eq(t.count + ev->n, inserts);
	for (j = 0; j < ev->n; j++) {
		/* the payload handed over is the one stored with that key */
		i = ev->payloads[j] - 1;
		ck_assert_uint_lt(i, inserts);
		ck_assert_uint_eq(ev->keys[j], key_of(i));
		ck_assert_uint_eq(seen[i], 0);
		seen[i] = 1;
	}
	for (i = 0; i < inserts; i++) {
		uint32_t *p = kag__lru_find(&t, key_of(i));

		if (seen[i]) {
			ck_assert_ptr_null(p);
		} else {
			ck_assert_ptr_nonnull(p);
			ck_assert_uint_eq(*p, i + 1);
			found++;
		}
	}
	ck_assert_uint_eq(found, t.count);
	kag__lru_dispose(&t);
	free(seen);
	free(ev);
}

START_TEST(large_tables_lose_nothing_silently)
{
	fill_and_check(1024, 4, 1024);  /* 4 ways: some sets overflow before the table is full */
	fill_and_check(1024, 4, 4096);
	fill_and_check(1024, 16, 4096); /* 8 ways */
	fill_and_check(64, 4, 500);     /* exact LRU */
}
END_TEST

/* Within one set, the least recently used entry goes first. */
START_TEST(set_evicts_least_recently_used)
{
	struct evicted ev = { .n = 0 };
	uint64_t same[5];
	kag__lru t;
	size_t n = 0;
	uint64_t i;

	ck_assert_int_eq(kag__lru_init(&t, 1024, sizeof(uint32_t), on_evict, &ev), KAG_OK);
	ck_assert_uint_eq(t.ways, 4);
	/* five keys of one set */
	for (i = 0; n < 5; i++)
		if (kag__lru_set(&t, kag__lru_key(key_of(i))) == kag__lru_set(&t, key_of(0)))
			same[n++] = key_of(i);
	for (i = 0; i < 4; i++)
		kag__lru_insert(&t, same[i]);
	ck_assert_ptr_nonnull(kag__lru_find(&t, same[0]));
	kag__lru_insert(&t, same[4]);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(ev.keys[0], same[1]);
	kag__lru_dispose(&t);
}
END_TEST

START_TEST(init_errors)
{
	kag__lru t;

	ck_assert_int_eq(kag__lru_init(&t, 0, 4, NULL, NULL), KAG_EINVAL);
	ck_assert_ptr_null(t.sets);
	ck_assert_int_eq(kag__lru_init(&t, (size_t)UINT32_MAX, 4, NULL, NULL), KAG_EINVAL);
	kag__alloc_fail_at(1);
	ck_assert_int_eq(kag__lru_init(&t, 4096, 4, NULL, NULL), KAG_ENOMEM);
	kag__alloc_fail_at(0);
	ck_assert_ptr_null(t.sets);
	ck_assert_ptr_null(kag__lru_find(&t, 1));
	kag__lru_dispose(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lru");
	TCase *tc = tcase_create("lru");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, small_table_is_exact_lru);
	tcase_add_test(tc, key_zero_is_a_key);
	tcase_add_test(tc, sets_are_whole_cache_lines);
	tcase_add_test(tc, large_tables_lose_nothing_silently);
	tcase_add_test(tc, set_evicts_least_recently_used);
	tcase_add_test(tc, init_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
