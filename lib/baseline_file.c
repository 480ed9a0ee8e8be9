/* The baseline file, "kag-baseline/1" (README: "The baseline file"):
 * written in a canonical order, so that the same content always gives the
 * same bytes, and read as untrusted input. A load checks the budgets of
 * the text before jansson reads it, reads the document into a store of
 * its own, and replaces the baseline's content only when every value
 * passed: a bad file changes nothing. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "baseline-private.h"
#include "budget-private.h"
#include "buf-private.h"
#include "jptr-private.h"

#define FORMAT "kag-baseline/1"
/* root, identities, an identity, its tuples, a tuple */
#define MAX_DEPTH 5
/* a username or tuple part as written: \uXXXX escapes take six bytes */
#define MAX_STRING 2048

/* ---- saving ---- */

static size_t text_len(const kag__bl_tuple *t)
{
	size_t i, n = 0;

	for (i = 0; i < KAG__BL_PARTS; i++)
		n += t->len[i] + 1u;
	return n;
}

/* Parts in order: the NUL after each part sorts before any byte, so the
 * joined texts compare as their parts do one by one. */
static int by_parts(const void *a, const void *b)
{
	const kag__bl_tuple *x = *(const kag__bl_tuple *const *)a;
	const kag__bl_tuple *y = *(const kag__bl_tuple *const *)b;
	size_t nx = text_len(x), ny = text_len(y);
	int c = memcmp(x->text, y->text, nx < ny ? nx : ny);

	return c ? c : (nx > ny) - (nx < ny);
}

static int by_user(const void *a, const void *b)
{
	const kag__bl_ident *x = *(kag__bl_ident *const *)a, *y = *(kag__bl_ident *const *)b;
	size_t n = x->user_len < y->user_len ? x->user_len : y->user_len;
	int c = memcmp(x->user, y->user, n);

	return c ? c : (x->user_len > y->user_len) - (x->user_len < y->user_len);
}

static void put_time(kag_buf *o, int64_t us)
{
	if (us)
		kag__buf_put_time_us(o, us);
	else
		KAG__BUF_LIT(o, "null");
}

/* The identity's line; `order` has room for its tuples (sorted there, so
 * that saving changes nothing a reader may be using). */
static void put_ident(kag_buf *o, const kag__bl_ident *id, const kag__bl_tuple **order)
{
	uint32_t i;
	size_t k;

	for (i = 0; i < id->n; i++)
		order[i] = &id->tuples[i];
	qsort(order, id->n, sizeof(*order), by_parts);
	KAG__BUF_LIT(o, "{\"user\":");
	kag__buf_put_json_str(o, id->user, id->user_len);
	KAG__BUF_LIT(o, ",\"first\":");
	put_time(o, id->first_us);
	KAG__BUF_LIT(o, ",\"last\":");
	put_time(o, id->last_us);
	KAG__BUF_LIT(o, ",\"tuples\":[");
	for (i = 0; i < id->n; i++) {
		const kag__bl_tuple *t = order[i];
		const char *p = t->text;

		kag__buf_puts(o, i ? ",\n  [" : "\n  [");
		for (k = 0; k < KAG__BL_PARTS; k++) {
			kag__buf_put_json_str(o, p, t->len[k]);
			kag__buf_putc(o, ',');
			p += t->len[k] + 1;
		}
		put_time(o, t->first_us);
		kag__buf_putc(o, ',');
		put_time(o, t->last_us);
		kag__buf_putc(o, ']');
	}
	KAG__BUF_LIT(o, "]}");
}

int kag_baseline_save(const kag_baseline *b, char **out, size_t *len_out)
{
	const kag__bl_store *st;
	kag__bl_ident **all = NULL;
	const kag__bl_tuple **order = NULL;
	kag_buf o;
	size_t i, n = 0;

	if (!b || !out)
		return KAG_EINVAL;
	*out = NULL;
	st = &b->st;
	if (st->n_ids) {
		all = kag__malloc(st->n_ids * sizeof(*all));
		order = kag__malloc((size_t)b->max_tuples * sizeof(*order));
		if (!all || !order) {
			kag__free(all);
			kag__free(order);
			return KAG_ENOMEM;
		}
		for (i = 0; i < st->slots; i++)
			if (st->ids[i].used)
				all[n++] = &st->ids[i];
		qsort(all, n, sizeof(*all), by_user);
	}
	kag__buf_init(&o);
	KAG__BUF_LIT(&o, "{\"format\":\"" FORMAT "\",\"created\":");
	put_time(&o, st->created_us);
	KAG__BUF_LIT(&o, ",\"updated\":");
	put_time(&o, st->updated_us);
	KAG__BUF_LIT(&o, ",\n \"caps\":{\"identities\":");
	kag__buf_put_u64(&o, b->max_identities);
	KAG__BUF_LIT(&o, ",\"tuples_per_identity\":");
	kag__buf_put_u64(&o, b->max_tuples);
	KAG__BUF_LIT(&o, ",\"tuples\":");
	kag__buf_put_u64(&o, b->max_total);
	KAG__BUF_LIT(&o, "},\n \"identities\":[");
	for (i = 0; i < n; i++) {
		kag__buf_puts(&o, i ? ",\n " : "\n ");
		put_ident(&o, all[i], order);
	}
	KAG__BUF_LIT(&o, "]}\n");
	kag__free(all);
	kag__free(order);
	if (kag__buf_terminate(&o) < 0 || o.oom) {
		kag__buf_dispose(&o);
		return KAG_ENOMEM;
	}
	*out = o.data;
	if (len_out)
		*len_out = o.len;
	return KAG_OK;
}

void kag_baseline_free_text(char *text)
{
	kag__free(text);
}

/* ---- loading ---- */

typedef struct {
	kag_baseline *b;
	kag__bl_store st;
	kag__jptr path;
	size_t total;
} loader;

static int fail(kag_baseline *b, const char *path, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

static int fail(kag_baseline *b, const char *path, int code, const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(b->err_path, sizeof(b->err_path), "%s", path);
	if (path[0])
		snprintf(b->err_message, sizeof(b->err_message), "%s: %s", path, reason);
	else
		snprintf(b->err_message, sizeof(b->err_message), "%s", reason);
	return code;
}

/* An object with only the keys listed (NULL-terminated). */
static int keys_known(loader *l, const json_t *obj, const char *const *keys)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; keys[i]; i++)
			if (strcmp(keys[i], key) == 0)
				break;
		if (!keys[i]) {
			size_t old = kag__jptr_push(&l->path, key);
			int rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "unknown key");

			kag__jptr_pop(&l->path, old);
			return rc;
		}
	}
	return KAG_OK;
}

/* Member `key` of obj (NULL-able when optional), of JSON type `type`. */
static int member(loader *l, const json_t *obj, const char *key, json_type type,
		  const char *want, int optional, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t old = kag__jptr_push(&l->path, key);
	int rc = KAG_OK;

	*out = v;
	if (!v && !optional)
		rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "missing; expected %s", want);
	else if (v && json_typeof(v) != type)
		rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "expected %s, got %s", want,
			  kag__json_kind(v));
	kag__jptr_pop(&l->path, old);
	return rc;
}

/* A time: an RFC 3339 string, or null (unknown: 0). */
static int time_value(loader *l, const json_t *v, int64_t *out)
{
	*out = 0;
	if (json_is_null(v))
		return KAG_OK;
	if (json_is_string(v)) {
		/* 0 and earlier times are no event time kag writes */
		*out = kag__parse_time(json_string_value(v), json_string_length(v));
		if (*out > 0)
			return KAG_OK;
		*out = 0;
	}
	return fail(l->b, l->path.buf, KAG_ESCHEMA,
		    "expected an RFC 3339 time string or null, got %s",
		    json_is_string(v) ? "another string" : kag__json_kind(v));
}

static int time_member(loader *l, const json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	size_t old = kag__jptr_push(&l->path, key);
	int rc = v ? time_value(l, v, out)
		   : fail(l->b, l->path.buf, KAG_ESCHEMA, "missing; expected a time or null");

	kag__jptr_pop(&l->path, old);
	return rc;
}

/* first is not after last (both known). */
static int times_ordered(loader *l, int64_t first, int64_t last)
{
	if (first && last && first > last)
		return fail(l->b, l->path.buf, KAG_ESCHEMA, "first seen after last seen");
	return KAG_OK;
}

static int read_caps(loader *l, const json_t *caps)
{
	static const char *const keys[] = { "identities", "tuples_per_identity", "tuples", NULL };
	size_t i;
	int rc = keys_known(l, caps, keys);

	for (i = 0; rc == KAG_OK && keys[i]; i++) {
		json_t *v;

		rc = member(l, caps, keys[i], JSON_INTEGER, "an integer from 1", 0, &v);
		if (rc == KAG_OK && json_integer_value(v) < 1) {
			size_t old = kag__jptr_push(&l->path, keys[i]);

			rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "expected an integer from 1");
			kag__jptr_pop(&l->path, old);
		}
	}
	return rc;
}

/* A tuple: [verb, resource, subresource, namespace, client, first, last]. */
static int read_tuple(loader *l, kag__bl_ident *id, const json_t *arr)
{
	kag_str parts[KAG__BL_PARTS];
	kag__bl_tuple *t;
	int64_t first, last;
	size_t i, old;
	int dup, rc;

	if (!json_is_array(arr) || json_array_size(arr) != KAG__BL_PARTS + 2)
		return fail(l->b, l->path.buf, KAG_ESCHEMA,
			    "expected an array of 5 strings and 2 times, got %s",
			    json_is_array(arr) ? "an array of another length" : kag__json_kind(arr));
	for (i = 0; i < KAG__BL_PARTS; i++) {
		const json_t *v = json_array_get(arr, i);

		old = kag__jptr_index(&l->path, i);
		if (!json_is_string(v)) {
			rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "expected a string, got %s",
				  kag__json_kind(v));
		} else if (json_string_length(v) > KAG__BL_MAX_PART) {
			rc = fail(l->b, l->path.buf, KAG_ELIMIT, "longer than %d bytes",
				  KAG__BL_MAX_PART);
		} else if (i == 0 && json_string_length(v) == 0) {
			rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "a verb cannot be empty");
		} else {
			parts[i] = (kag_str){ json_string_value(v), json_string_length(v) };
			rc = KAG_OK;
		}
		kag__jptr_pop(&l->path, old);
		if (rc < 0)
			return rc;
	}
	old = kag__jptr_index(&l->path, KAG__BL_PARTS);
	rc = time_value(l, json_array_get(arr, KAG__BL_PARTS), &first);
	kag__jptr_pop(&l->path, old);
	old = kag__jptr_index(&l->path, KAG__BL_PARTS + 1);
	if (rc == KAG_OK)
		rc = time_value(l, json_array_get(arr, KAG__BL_PARTS + 1), &last);
	kag__jptr_pop(&l->path, old);
	if (rc == KAG_OK)
		rc = times_ordered(l, first, last);
	if (rc < 0)
		return rc;
	if (++l->total > l->b->max_total)
		return fail(l->b, l->path.buf, KAG_ELIMIT,
			    "more tuples in all than the cap of %llu",
			    (unsigned long long)l->b->max_total);
	t = kag__bl_add_tuple(&l->st, id, parts, &dup);
	if (dup)
		return fail(l->b, l->path.buf, KAG_ESCHEMA, "duplicate tuple");
	if (!t)
		return fail(l->b, l->path.buf, KAG_ENOMEM, "out of memory");
	t->first_us = first;
	t->last_us = last;
	return KAG_OK;
}

static int read_ident(loader *l, const json_t *obj)
{
	static const char *const keys[] = { "user", "first", "last", "tuples", NULL };
	json_t *user, *tuples;
	kag__bl_ident *id;
	int64_t first, last;
	size_t i, old, len;
	int rc;

	if (!json_is_object(obj))
		return fail(l->b, l->path.buf, KAG_ESCHEMA, "expected an object, got %s",
			    kag__json_kind(obj));
	if ((rc = keys_known(l, obj, keys)) < 0 ||
	    (rc = member(l, obj, "user", JSON_STRING, "a string", 0, &user)) < 0 ||
	    (rc = member(l, obj, "tuples", JSON_ARRAY, "an array", 0, &tuples)) < 0 ||
	    (rc = time_member(l, obj, "first", &first)) < 0 ||
	    (rc = time_member(l, obj, "last", &last)) < 0 ||
	    (rc = times_ordered(l, first, last)) < 0)
		return rc;
	len = json_string_length(user);
	old = kag__jptr_push(&l->path, "user");
	if (len == 0)
		rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "empty");
	else if (len > KAG__BL_MAX_USER)
		rc = fail(l->b, l->path.buf, KAG_ELIMIT, "longer than %d bytes", KAG__BL_MAX_USER);
	else if (kag__bl_find(&l->st, json_string_value(user), len,
			      kag__bl_hash_user(json_string_value(user), len)))
		rc = fail(l->b, l->path.buf, KAG_ESCHEMA, "duplicate identity");
	kag__jptr_pop(&l->path, old);
	if (rc < 0)
		return rc;
	old = kag__jptr_push(&l->path, "tuples");
	if (json_array_size(tuples) > l->b->max_tuples) {
		rc = fail(l->b, l->path.buf, KAG_ELIMIT, "%zu tuples, more than the cap of %llu",
			  json_array_size(tuples), (unsigned long long)l->b->max_tuples);
		kag__jptr_pop(&l->path, old);
		return rc;
	}
	kag__jptr_pop(&l->path, old);
	id = kag__bl_add_ident(&l->st, json_string_value(user), len);
	if (!id)
		return fail(l->b, l->path.buf, KAG_ENOMEM, "out of memory");
	id->first_us = first;
	id->last_us = last;
	old = kag__jptr_push(&l->path, "tuples");
	for (i = 0; i < json_array_size(tuples) && rc == KAG_OK; i++) {
		size_t at = kag__jptr_index(&l->path, i);

		rc = read_tuple(l, id, json_array_get(tuples, i));
		kag__jptr_pop(&l->path, at);
	}
	kag__jptr_pop(&l->path, old);
	return rc;
}

static int read_document(loader *l, const json_t *root)
{
	static const char *const keys[] = { "format", "created", "updated", "caps",
					    "identities", NULL };
	json_t *format, *caps, *ids;
	size_t i, old;
	int rc;

	if (!json_is_object(root))
		return fail(l->b, "", KAG_ESCHEMA, "expected an object, got %s",
			    kag__json_kind(root));
	if ((rc = member(l, root, "format", JSON_STRING, "the string \"" FORMAT "\"", 0,
			 &format)) < 0)
		return rc;
	if (strcmp(json_string_value(format), FORMAT) != 0 ||
	    json_string_length(format) != sizeof(FORMAT) - 1)
		return fail(l->b, "/format", KAG_ESCHEMA,
			    "unknown format version; this library reads \"" FORMAT "\"");
	if ((rc = keys_known(l, root, keys)) < 0 ||
	    (rc = time_member(l, root, "created", &l->st.created_us)) < 0 ||
	    (rc = time_member(l, root, "updated", &l->st.updated_us)) < 0 ||
	    (rc = times_ordered(l, l->st.created_us, l->st.updated_us)) < 0 ||
	    (rc = member(l, root, "caps", JSON_OBJECT, "an object", 1, &caps)) < 0 ||
	    (rc = member(l, root, "identities", JSON_ARRAY, "an array", 0, &ids)) < 0)
		return rc;
	if (caps) {
		old = kag__jptr_push(&l->path, "caps");
		rc = read_caps(l, caps);
		kag__jptr_pop(&l->path, old);
		if (rc < 0)
			return rc;
	}
	if (json_array_size(ids) > l->b->max_identities)
		return fail(l->b, "/identities", KAG_ELIMIT,
			    "%zu identities, more than the cap of %llu", json_array_size(ids),
			    (unsigned long long)l->b->max_identities);
	old = kag__jptr_push(&l->path, "identities");
	for (i = 0; i < json_array_size(ids) && rc == KAG_OK; i++) {
		size_t at = kag__jptr_index(&l->path, i);

		rc = read_ident(l, json_array_get(ids, i));
		kag__jptr_pop(&l->path, at);
	}
	kag__jptr_pop(&l->path, old);
	return rc;
}

/* The budgets of the text before jansson reads it: its time and memory
 * stay within what the caps allow, whatever the bytes are. */
static int check_budget(kag_baseline *b, const char *data, size_t len)
{
	kag__budget budget;
	kag__budget_scan scan;
	char why[128];
	int hit;

	budget.max_depth = MAX_DEPTH;
	budget.max_string = MAX_STRING;
	/* a header, each identity's object and each tuple's array, with room */
	budget.max_values = 64 + b->max_identities * 12 + b->max_total * 10;
	hit = kag__budget_check(data, len, &budget, 0, &scan);
	if (hit == KAG__BUDGET_OK)
		return KAG_OK;
	kag__budget_message(why, sizeof(why), &budget, hit);
	return fail(b, "", KAG_ELIMIT, "byte %zu: %s", scan.at, why);
}

int kag_baseline_load(kag_baseline *b, const char *data, size_t len)
{
	json_error_t jerr;
	json_t *root;
	loader l;
	int rc;

	if (!b || (!data && len))
		return KAG_EINVAL;
	b->err_path[0] = b->err_message[0] = '\0';
	if (!data)
		data = "";
	if (len > b->max_bytes)
		return fail(b, "", KAG_ELIMIT, "the file is larger than %llu bytes",
			    (unsigned long long)b->max_bytes);
	if ((rc = check_budget(b, data, len)) < 0)
		return rc;
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		const char *what;

		rc = kag__json_fault(&jerr, data, len, &what);
		return fail(b, "", rc, "line %d, column %d: %s", jerr.line, jerr.column, what);
	}
	memset(&l, 0, sizeof(l));
	l.b = b;
	rc = kag__bl_store_init(&l.st, b);
	if (rc < 0) {
		json_decref(root);
		return fail(b, "", rc, "out of memory");
	}
	rc = read_document(&l, root);
	json_decref(root);
	if (rc == KAG_OK && kag__bl_order_by_time(&l.st) < 0)
		rc = fail(b, "", KAG_ENOMEM, "out of memory");
	if (rc < 0) {
		kag__bl_store_dispose(&l.st);
		return rc;
	}
	kag__bl_store_dispose(&b->st);
	b->st = l.st;
	b->err_path[0] = b->err_message[0] = '\0';
	return KAG_OK;
}

const char *kag_baseline_error_message(const kag_baseline *b)
{
	return b ? b->err_message : "";
}

const char *kag_baseline_error_path(const kag_baseline *b)
{
	return b ? b->err_path : "";
}
