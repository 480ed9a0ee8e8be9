/* Allocation wrappers with failure injection for tests. */
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"

/* Failure injection is only compiled into test builds; a library built for
 * use keeps no global state. */
#ifdef KAG_ALLOC_TESTING
/* Per thread, so that tests running threads over the test build neither
 * race on the counters nor fail each other's allocations. */
static _Thread_local unsigned long fail_at;
static _Thread_local unsigned long count;
static _Thread_local long live;
static _Thread_local size_t largest;

void kag__alloc_fail_at(unsigned long n)
{
	fail_at = n;
	count = 0;
	largest = 0;
}

unsigned long kag__alloc_count(void)
{
	return count;
}

long kag__alloc_live(void)
{
	return live;
}

size_t kag__alloc_largest(void)
{
	return largest;
}

static int should_fail_size(size_t size)
{
	count++;
	if (fail_at != 0 && count == fail_at)
		return 1;
	if (size > largest)
		largest = size;
	return 0;
}

#define should_fail(size) should_fail_size(size)
#define track(p, was_new) ((p) && (was_new) ? (void)live++ : (void)0)
#define untrack(p) ((p) ? (void)live-- : (void)0)
#else
void kag__alloc_fail_at(unsigned long n)
{
	(void)n;
}

unsigned long kag__alloc_count(void)
{
	return 0;
}

long kag__alloc_live(void)
{
	return 0;
}

size_t kag__alloc_largest(void)
{
	return 0;
}

#define should_fail(size) 0
#define track(p, was_new) ((void)0)
#define untrack(p) ((void)0)
#endif

void *kag__malloc(size_t size)
{
	void *p;

	if (should_fail(size))
		return NULL;
	p = malloc(size ? size : 1);
	track(p, 1);
	return p;
}

void *kag__calloc(size_t n, size_t size)
{
	void *p;

	if (should_fail(n * size))
		return NULL;
	p = calloc(n ? n : 1, size ? size : 1);
	track(p, 1);
	return p;
}

void *kag__realloc(void *ptr, size_t size)
{
	void *p;

	if (should_fail(size))
		return NULL;
	p = realloc(ptr, size ? size : 1);
	track(p, !ptr);
	return p;
}

void kag__free(void *ptr)
{
	untrack(ptr);
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
