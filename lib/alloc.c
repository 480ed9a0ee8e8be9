/* Allocation wrappers with failure injection for tests. */
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"

/* Failure injection is only compiled into test builds; a library built for
 * use keeps no global state. */
#ifdef KAG_ALLOC_TESTING
static unsigned long fail_at;
static unsigned long count;

void kag__alloc_fail_at(unsigned long n)
{
	fail_at = n;
	count = 0;
}

unsigned long kag__alloc_count(void)
{
	return count;
}

static int should_fail(void)
{
	count++;
	return fail_at != 0 && count == fail_at;
}
#else
void kag__alloc_fail_at(unsigned long n)
{
	(void)n;
}

unsigned long kag__alloc_count(void)
{
	return 0;
}

#define should_fail() 0
#endif

void *kag__malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *kag__calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

void *kag__realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

void kag__free(void *ptr)
{
	free(ptr);
}

char *kag__strndup(const char *s, size_t len)
{
	char *out = kag__malloc(len + 1);

	if (!out)
		return NULL;
	if (len)
		memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

char *kag__strdup(const char *s)
{
	return kag__strndup(s, strlen(s));
}
