/* Record ids: a verdict's stable id, the same on every host and in every
 * run for the same finding, so that a consumer de-duplicates replays (a
 * Kafka partition read again after a rebalance, a webhook batch the
 * apiserver sent twice).
 *
 * The id is 128 bits written as 32 lowercase hex digits. Two independent
 * 64-bit lanes read the same bytes one at a time with fixed-width integer
 * arithmetic only, so byte order, word size and compiler do not change the
 * value. Each input is framed by its length, so ("ab","c") and ("a","bc")
 * differ. It is not a cryptographic hash: it names records, it does not
 * authenticate them. */
#include <string.h>

#include "lru-private.h"        /* kag__hash_end: the 64-bit finaliser */
#include "record-id-private.h"

#define LANE_A_INIT 0xcbf29ce484222325ULL  /* 64-bit FNV offset basis */
#define LANE_A_MUL 0x100000001b3ULL        /* 64-bit FNV prime */
#define LANE_B_INIT 0x6a09e667f3bcc909ULL  /* first SHA-512 initial word */
#define LANE_B_MUL 0x9e3779b97f4a7c15ULL   /* 2^64 / golden ratio, odd */

static void feed_byte(kag__record_id *id, unsigned char c)
{
	id->a = (id->a ^ c) * LANE_A_MUL;
	id->b = ((id->b << 7 | id->b >> 57) ^ c) * LANE_B_MUL;
}

static void feed_u64(kag__record_id *id, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		feed_byte(id, (unsigned char)(v >> (8 * i)));
}

void kag__record_id_init(kag__record_id *id, const char *domain)
{
	id->a = LANE_A_INIT;
	id->b = LANE_B_INIT;
	kag__record_id_str(id, domain, strlen(domain));
}

void kag__record_id_str(kag__record_id *id, const char *s, size_t len)
{
	size_t i;

	feed_u64(id, (uint64_t)len);
	for (i = 0; i < len; i++)
		feed_byte(id, (unsigned char)s[i]);
}

void kag__record_id_u64(kag__record_id *id, uint64_t v)
{
	feed_u64(id, v);
}

void kag__record_id_hex(const kag__record_id *id, char out[KAG__RECORD_ID_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	/* each lane's end folds in the other, so neither half stands alone */
	uint64_t w[2] = { kag__hash_end(id->a ^ (id->b >> 1)),
			  kag__hash_end(id->b + id->a * LANE_B_MUL) };
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 16; j++)
			out[i * 16 + j] = digits[(w[i] >> (60 - 4 * j)) & 0xf];
	out[KAG__RECORD_ID_LEN] = '\0';
}
