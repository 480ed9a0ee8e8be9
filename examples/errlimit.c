/*
 * Error records, rate-limited (see errlimit.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kag.h>

#include "errlimit.h"

void errlimit_init(struct errlimit *l, uint64_t per_kind)
{
	memset(l, 0, sizeof(*l));
	l->per_kind = per_kind;
}

int errlimit_parse(struct errlimit *l, const char *arg)
{
	char *end;
	unsigned long long n;

	if (*arg < '0' || *arg > '9')
		return -1;
	n = strtoull(arg, &end, 10);
	if (*end)
		return -1;
	l->per_kind = n;
	return 0;
}

/* The kind of a record: its message and path with every run of digits
 * written as '#'. */
static void make_key(char *key, size_t size, const char *message, const char *path)
{
	size_t n = 0;
	const char *s;
	int part;

	for (part = 0; part < 2; part++) {
		for (s = part ? path : message; s && *s && n + 1 < size; s++) {
			if (*s >= '0' && *s <= '9') {
				if (n == 0 || key[n - 1] != '#')
					key[n++] = '#';
			} else {
				key[n++] = *s;
			}
		}
		if (!part && n + 1 < size)
			key[n++] = '\n';
	}
	key[n] = '\0';
}

static struct errlimit_kind *find(struct errlimit *l, int code, const char *key)
{
	unsigned i;

	for (i = 0; i < l->n && i < ERRLIMIT_KINDS; i++)
		if (l->kinds[i].code == code && strcmp(l->kinds[i].key, key) == 0)
			return &l->kinds[i];
	if (l->n < ERRLIMIT_KINDS) {
		struct errlimit_kind *k = &l->kinds[l->n++];

		k->code = code;
		snprintf(k->key, sizeof(k->key), "%s", key);
		return k;
	}
	/* every further kind is counted as one, of no one code */
	if (l->n == ERRLIMIT_KINDS)
		l->n++;
	l->kinds[ERRLIMIT_KINDS].code = 0;
	return &l->kinds[ERRLIMIT_KINDS];
}

enum errlimit_verdict errlimit_admit(struct errlimit *l, int code, const char *message,
				     const char *path, struct errlimit_kind **kind_out)
{
	struct errlimit_kind *k;
	char key[200];

	if (l->per_kind == 0)
		return ERRLIMIT_WRITE;
	make_key(key, sizeof(key), message, path);
	k = find(l, code, key);
	*kind_out = k;
	if (k->seen++ == 0)
		snprintf(k->message, sizeof(k->message), "%s",
			 k == &l->kinds[ERRLIMIT_KINDS] ? "faults of further kinds" : message);
	if (k->seen <= l->per_kind)
		return ERRLIMIT_WRITE;
	k->suppressed++;
	if (k->next_report == 0)
		k->next_report = 100;
	if (k->suppressed == k->next_report) {
		k->next_report *= 10;
		k->reported = k->suppressed;
		return ERRLIMIT_SUMMARY;
	}
	return ERRLIMIT_SUPPRESS;
}

struct errlimit_kind *errlimit_pending(struct errlimit *l, unsigned *i)
{
	while (*i < l->n) {
		struct errlimit_kind *k = &l->kinds[(*i)++];

		if (k->suppressed > k->reported) {
			k->reported = k->suppressed;
			return k;
		}
	}
	return NULL;
}

/* A record being written into a caller's buffer. */
struct out {
	char *buf;
	size_t size, len;
	int full;           /* something did not fit */
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (o->full)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= o->size - o->len)
		o->full = 1;
	else
		o->len += (size_t)w;
}

static void put_json_string(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

int errlimit_summary_json(char *buf, size_t size, const struct errlimit_kind *k)
{
	struct out o = { buf, size, 0, size == 0 };

	put(&o, "{\"error_summary\":{\"code\":");
	if (k->code)
		put_json_string(&o, kag_error_name(k->code));
	else
		put(&o, "null");
	put(&o, ",\"message\":");
	put_json_string(&o, k->message);
	put(&o, ",\"records\":%llu,\"suppressed\":%llu}}\n", (unsigned long long)k->seen,
	    (unsigned long long)k->suppressed);
	return o.full ? -1 : (int)o.len;
}
