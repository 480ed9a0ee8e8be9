/* Stable record ids (record_id.c): 32 hex digits from a portable 128-bit
 * hash of the parts that make a record what it is. */
#ifndef KAG_RECORD_ID_PRIVATE_H
#define KAG_RECORD_ID_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#define KAG__RECORD_ID_LEN 32

typedef struct {
	uint64_t a, b;
} kag__record_id;

/* Start an id; domain names the kind of record and its version
 * ("kag-verdict/1"), so that records of different kinds never share ids. */
void kag__record_id_init(kag__record_id *id, const char *domain);
/* Add a string (its length is added first) or a number. */
void kag__record_id_str(kag__record_id *id, const char *s, size_t len);
void kag__record_id_u64(kag__record_id *id, uint64_t v);
/* The id as 32 lowercase hex digits and a NUL. */
void kag__record_id_hex(const kag__record_id *id, char out[KAG__RECORD_ID_LEN + 1]);

#endif
