/* Unaligned loads of 4 and 8 bytes as one native-order word, for hashing
 * and comparing short strings without a byte loop or a call. */
#ifndef KAG_WORD_PRIVATE_H
#define KAG_WORD_PRIVATE_H

#include <stdint.h>
#include <string.h>

static inline uint64_t kag__load64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint32_t kag__load32(const char *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

#endif
