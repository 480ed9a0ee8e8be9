/* JSON pointers for error locations. */
#include <stdio.h>

#include "jptr-private.h"

size_t kag__jptr_push(kag__jptr *p, const char *tok)
{
	size_t old = p->len;

	if (p->len + 1 < sizeof(p->buf))
		p->buf[p->len++] = '/';
	for (; *tok && p->len + 2 < sizeof(p->buf); tok++) {
		unsigned char c = (unsigned char)*tok;

		if (c == '~' || c == '/') {
			p->buf[p->len++] = '~';
			p->buf[p->len++] = c == '~' ? '0' : '1';
		} else {
			p->buf[p->len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
	}
	p->buf[p->len] = '\0';
	return old;
}

size_t kag__jptr_index(kag__jptr *p, size_t i)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", i);
	return kag__jptr_push(p, num);
}

void kag__jptr_pop(kag__jptr *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

const char *kag__json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}
