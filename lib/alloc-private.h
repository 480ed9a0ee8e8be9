/* Internal allocation: every allocation in libkag goes through these, so the
 * tests can fail the Nth allocation and check that each path copes. */
#ifndef KAG_ALLOC_PRIVATE_H
#define KAG_ALLOC_PRIVATE_H

#include <stddef.h>

void *kag__malloc(size_t size);
void *kag__calloc(size_t n, size_t size);
void *kag__realloc(void *ptr, size_t size);
void kag__free(void *ptr);
char *kag__strndup(const char *s, size_t len);
char *kag__strdup(const char *s);

/* Test hook: when > 0, the allocation with this 1-based ordinal (counted
 * from the call) fails. 0 disables. Not exported. */
void kag__alloc_fail_at(unsigned long n);
unsigned long kag__alloc_count(void);
/* Test hooks: blocks allocated and not yet freed, and the largest single
 * request since the last kag__alloc_fail_at(). 0 outside test builds. */
long kag__alloc_live(void);
size_t kag__alloc_largest(void);

#endif
