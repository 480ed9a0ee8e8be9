/* JSON pointers (RFC 6901) built while walking a document, for precise
 * error locations in policy and rule files. */
#ifndef KAG_JPTR_PRIVATE_H
#define KAG_JPTR_PRIVATE_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
	char buf[256];
	size_t len;
} kag__jptr;

/* Append "/token" (escaped; control bytes shown as '?'). Returns the previous
 * length for kag__jptr_pop(). A pointer too long to hold is cut. */
size_t kag__jptr_push(kag__jptr *p, const char *tok);
size_t kag__jptr_index(kag__jptr *p, size_t i);
void kag__jptr_pop(kag__jptr *p, size_t old);
/* "an object", "a string", ... for messages. */
const char *kag__json_kind(const json_t *v);

#endif
