/* The fast front end (see frontend-private.h).
 *
 * jsmn cuts the record into tokens (strings, primitives, objects, arrays
 * with their extents). jsmn is lenient, so its tokens are only a guide: a
 * walk over the record checks every byte against the JSON grammar with the
 * rules of kag's jansson front end (jansson 2.x, JSON_REJECT_DUPLICATES |
 * JSON_ALLOW_NUL): strict UTF-8, no control characters in strings, valid
 * escapes, no lone surrogates, no NUL in object keys, no duplicate keys,
 * integers within int64 and reals within double. Whatever it cannot vouch
 * for is declined, never guessed: jansson then reads the record and gives
 * the reference event or error.
 *
 * The walk notes where the top-level members are; the slots are then
 * filled in the order and with the type rules of kag__native_fill(), and a
 * type that rule rejects declines the record so that jansson reports it.
 * Strings without escapes point into the record; escaped ones are decoded
 * into the event's arena. requestObject and responseObject stay text until
 * a detector asks for them (kag__event_body). */
#include <string.h>

#include "alloc-private.h"
#include "frontend-private.h"
#include "json-check-private.h"
#include "json-text-private.h"
#include "native-private.h"

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

/* Token arrays larger than this are freed after their record. */
#define FAST_KEEP_TOKENS 65536
/* Objects with more keys are checked for duplicates with a hash table. */
#define FAST_PAIRWISE_KEYS 16

typedef struct {
	const char *p;        /* the key, decoded when it has escapes */
	size_t len;
} fast_key;

typedef struct {
	const char *js;
	size_t len, pos;      /* record (or line) and cursor */
	const kag__fast_limits *lim; /* the framer's limits, reading a line */
	jsmntok_t *tok;       /* a checked string's size: its check_string flags */
	int ntok, next;       /* tokens and the next one to consume */
	kag__fast *f;
	kag_event *ev;
	size_t nkeys;         /* keys of the open objects in f->keys */
	int top[KAG__K_NATIVE_COUNT_]; /* value token of each Event member, or -1 */
	int items, wrapper;   /* the record has items, a provider's member */
} walker;

void kag__fast_init(kag__fast *f)
{
	memset(f, 0, sizeof(*f));
}

void kag__fast_dispose(kag__fast *f)
{
	kag__free(f->tok);
	kag__free(f->keys);
	kag__free(f->slots);
	memset(f, 0, sizeof(*f));
}

/* ---- lexical checks, with jansson's rules (json-check-private.h) ---- */

static inline void skip_ws(walker *w)
{
	while (w->pos < w->len && kag__json_ws[(unsigned char)w->js[w->pos]])
		w->pos++;
}

/* Skip blanks, then consume `c`. */
static inline int expect(walker *w, char c)
{
	if (w->pos < w->len && w->js[w->pos] == c) {
		w->pos++;
		return 0;
	}
	skip_ws(w);
	if (w->pos >= w->len || w->js[w->pos] != c)
		return -1;
	w->pos++;
	return 0;
}




/* Check the contents of a JSON string, s[0, n) between its quotes; the
 * bytes s[0, avail) may be read (avail > n). Returns -1 when jansson would
 * reject it, else KAG__JSON_ESCAPED when it has escapes and KAG__JSON_NUL when one of
 * them is \u0000. */
static int check_string(const char *str, size_t n, size_t avail)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;
	int flags = 0;

	while (i < n) {
		unsigned char c;

#ifdef KAG__JSON_SSE2
		if (avail - i >= 16) {
			/* skip to the next byte that needs a look, 16 at a time */
			unsigned m = kag__json_special16(s + i);
			size_t left = n - i;

			if (left < 16)
				m &= (1u << left) - 1; /* bytes past the string */
			if (!m) {
				i += left < 16 ? left : 16;
				continue;
			}
			i += (size_t)__builtin_ctz(m);
		}
#else
		(void)avail;
		while (i + 8 <= n && !kag__json_special8(s + i))
			i += 8;
		if (i >= n)
			break;
#endif
		c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
		} else if (c >= 0x80) {
			k = kag__utf8_seq(s + i, n - i);
			if (!k)
				return -1;
			i += k;
		} else if (c == '\\') {
			k = kag__json_escape(s, i, n, &flags);
			if (!k)
				return -1;
			i += k;
		} else {
			return -1; /* a control character or an unescaped quote */
		}
	}
	return flags;
}

/* Decode the escapes of a checked string s[0, n) into out (n bytes are
 * enough). Returns the decoded length. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint32_t u = 0, u2 = 0; /* check_string() vetted the escapes */

		if (s[i] != '\\') {
			/* copy the run up to the next escape at once */
			const char *e = memchr(s + i, '\\', n - i);
			size_t run = e ? (size_t)(e - (s + i)) : n - i;

			memcpy(out + o, s + i, run);
			o += run;
			i += run;
			continue;
		}
		switch (s[i + 1]) {
		case 'b': out[o++] = '\b'; i += 2; continue;
		case 'f': out[o++] = '\f'; i += 2; continue;
		case 'n': out[o++] = '\n'; i += 2; continue;
		case 'r': out[o++] = '\r'; i += 2; continue;
		case 't': out[o++] = '\t'; i += 2; continue;
		case 'u': break;
		default: out[o++] = s[i + 1]; i += 2; continue;
		}
		kag__json_hex4(s + i + 2, &u);
		i += 6;
		if (u >= 0xD800 && u <= 0xDBFF) {
			kag__json_hex4(s + i + 2, &u2);
			i += 6;
			u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
		}
		if (u < 0x80) {
			out[o++] = (char)u;
		} else if (u < 0x800) {
			out[o++] = (char)(0xC0 | (u >> 6));
			out[o++] = (char)(0x80 | (u & 0x3F));
		} else if (u < 0x10000) {
			out[o++] = (char)(0xE0 | (u >> 12));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (u & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | (u >> 18));
			out[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (u & 0x3F));
		}
	}
	return o;
}


/* ---- the walk: grammar, duplicate keys, where the members are ---- */

static uint32_t key_hash(const fast_key *k)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < k->len; i++)
		h = (h ^ (unsigned char)k->p[i]) * 16777619u;
	return h;
}

/* Are two keys of the object whose keys start at f->keys[base] equal?
 * 1 also when that cannot be told (out of memory). */
static int has_duplicates(walker *w, size_t base)
{
	const fast_key *k;
	size_t n = w->nkeys - base, i, j, cap, mask;

	if (n < 2)
		return 0;
	k = (const fast_key *)w->f->keys + base;
	if (n <= FAST_PAIRWISE_KEYS) {
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (k[i].len == k[j].len && memcmp(k[i].p, k[j].p, k[i].len) == 0)
					return 1;
		return 0;
	}
	for (cap = 64; cap < 2 * n; cap *= 2)
		;
	if (cap > w->f->cap_slots) {
		uint32_t *s = kag__realloc(w->f->slots, cap * sizeof(*s));

		if (!s)
			return 1;
		w->f->slots = s;
		w->f->cap_slots = cap;
	}
	memset(w->f->slots, 0xff, cap * sizeof(*w->f->slots));
	mask = cap - 1;
	for (i = 0; i < n; i++) {
		size_t at = key_hash(&k[i]) & mask;

		while (w->f->slots[at] != UINT32_MAX) {
			const fast_key *o = &k[w->f->slots[at]];

			if (o->len == k[i].len && memcmp(o->p, k[i].p, k[i].len) == 0)
				return 1;
			at = (at + 1) & mask;
		}
		w->f->slots[at] = (uint32_t)i;
	}
	return 0;
}

/* Check the string token t, which must start at the cursor, and move past
 * it. Returns -1, or the flags of check_string(). */
static inline int string_at(walker *w, jsmntok_t *t)
{
	const char *s = w->js + t->start;
	size_t n = (size_t)(t->end - t->start);
	int flags;

	/* jsmn's strings start after their opening quote */
	if ((size_t)t->start != w->pos + 1 || (w->lim && n > w->lim->max_string))
		return -1;
#ifdef KAG__JSON_SSE2
	if (n < 16 && w->len - (size_t)t->start >= 16 &&
	    !(kag__json_special16((const unsigned char *)s) & ((1u << n) - 1))) {
		w->pos = (size_t)t->end + 1; /* short and plain: most strings */
		t->size = 0;
		return 0;
	}
#endif
	flags = check_string(s, n, w->len - (size_t)t->start);
	if (flags >= 0) {
		w->pos = (size_t)t->end + 1;
		t->size = flags;
	}
	return flags;
}

/* Check the key token t (at the cursor), note it for the duplicate check
 * and return its decoded form in *key. */
static inline int take_key(walker *w, jsmntok_t *t, fast_key *key)
{
	int flags = string_at(w, t);

	if (flags < 0 || (flags & KAG__JSON_NUL))
		return -1; /* jansson: "NUL byte in object key not supported" */
	key->p = w->js + t->start;
	key->len = (size_t)(t->end - t->start);
	if (flags & KAG__JSON_ESCAPED) {
		char *d = kag__event_alloc(w->ev, key->len);

		if (!d)
			return -1;
		key->len = unescape(key->p, key->len, d);
		key->p = d;
	}
	if (w->nkeys == w->f->cap_keys) {
		size_t cap = w->f->cap_keys ? w->f->cap_keys * 2 : 256;
		fast_key *nk = kag__realloc(w->f->keys, cap * sizeof(*nk));

		if (!nk)
			return -1;
		w->f->keys = nk;
		w->f->cap_keys = cap;
	}
	((fast_key *)w->f->keys)[w->nkeys++] = *key;
	return 0;
}

/* Note where a top-level member is: its value is the next token. */
static inline void top_member(walker *w, const char *k, size_t n)
{
	int id = kag__top_member(k, n);

	if (id < 0)
		return;
	if (id < KAG__K_NATIVE_COUNT_) {
		w->top[id] = w->next;
		return;
	}
	switch (kag__member_sets[KAG__SET_TOP].m[id].kind) {
	case KAG__NM_ITEMS: w->items = 1; break;
	case KAG__NM_WRAPPER: w->wrapper = 1; break;
	default: break;
	}
}

static int walk_other(walker *w, const jsmntok_t *t, int depth);

/* Check the value that starts at the cursor (after blanks); `depth` is the
 * nesting of the container holding it. */
static inline int walk_value(walker *w, int depth)
{
	jsmntok_t *t;

	skip_ws(w);
	if (w->next >= w->ntok)
		return -1;
	t = &w->tok[w->next];
	if (t->type == JSMN_STRING) {
		if (string_at(w, t) < 0)
			return -1;
		w->next++;
		return 0;
	}
	return walk_other(w, t, depth);
}

static int walk_object(walker *w, const jsmntok_t *t, int depth)
{
	size_t base = w->nkeys;
	uint64_t seen = 0; /* a bit per key hash: a repeat may be a duplicate */
	int i, maybe_dup = 0;

	w->pos++;
	w->next++;
	for (i = 0; i < t->size; i++) {
		jsmntok_t *k;
		fast_key key;
		uint64_t bit;

		if (i > 0 && expect(w, ',') < 0)
			return -1;
		skip_ws(w);
		if (w->next >= w->ntok)
			return -1;
		k = &w->tok[w->next];
		if (k->type != JSMN_STRING || take_key(w, k, &key) < 0)
			return -1;
		bit = 1ULL << ((key.len * 7 + (key.len ? (unsigned char)key.p[0] +
				(unsigned char)key.p[key.len - 1] * 3u : 0)) & 63);
		maybe_dup |= (seen & bit) != 0;
		seen |= bit;
		w->next++;
		if (expect(w, ':') < 0)
			return -1;
		if (depth == 1)
			top_member(w, key.p, key.len);
		if (walk_value(w, depth) < 0)
			return -1;
	}
	if (expect(w, '}') < 0 || (size_t)t->end != w->pos ||
	    (maybe_dup && has_duplicates(w, base)))
		return -1;
	w->nkeys = base;
	return 0;
}

static int walk_array(walker *w, const jsmntok_t *t, int depth)
{
	int i;

	w->pos++;
	w->next++;
	for (i = 0; i < t->size; i++) {
		if ((i > 0 && expect(w, ',') < 0) || walk_value(w, depth) < 0)
			return -1;
	}
	if (expect(w, ']') < 0 || (size_t)t->end != w->pos)
		return -1;
	return 0;
}

/* A value other than a string at token t. */
static int walk_other(walker *w, const jsmntok_t *t, int depth)
{
	int is_int;

	if ((size_t)t->start != w->pos)
		return -1;
	switch (t->type) {
	case JSMN_PRIMITIVE:
		if (kag__json_primitive(w->js + t->start, (size_t)(t->end - t->start), &is_int) < 0)
			return -1;
		w->pos = (size_t)t->end;
		w->next++;
		return 0;
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		depth++;
		if (depth > KAG__FAST_MAX_DEPTH || (w->lim && (uint64_t)depth > w->lim->max_depth))
			return -1;
		return t->type == JSMN_OBJECT ? walk_object(w, t, depth) : walk_array(w, t, depth);
	default:
		return -1;
	}
}

/* ---- filling the slots, as kag__native_fill() does ---- */

/* The token after the value of token i and everything inside it. */
static int skip(const walker *w, int i)
{
	int end = w->tok[i].end;

	for (i++; i < w->ntok && w->tok[i].start < end; i++)
		;
	return i;
}

static int is_null(const walker *w, int i)
{
	return w->tok[i].type == JSMN_PRIMITIVE && w->js[w->tok[i].start] == 'n';
}

/* Absent or null: the member counts as absent. */
static int absent(const walker *w, int i)
{
	return i < 0 || is_null(w, i);
}

/* The value of string token i: borrowed from the record, or decoded into
 * the event's arena (NUL-terminated) when it has escapes. */
static int str_value(walker *w, int i, const char **out, size_t *len)
{
	const char *s = w->js + w->tok[i].start;
	size_t n = (size_t)(w->tok[i].end - w->tok[i].start);
	char *d;

	if (!(w->tok[i].size & KAG__JSON_ESCAPED)) {
		*out = s;
		*len = n;
		return 0;
	}
	d = kag__event_alloc(w->ev, n + 1);
	if (!d)
		return -1;
	*len = unescape(s, n, d);
	d[*len] = '\0';
	*out = d;
	return 0;
}

/* Key token i decoded into buf[size] (for comparisons with member names);
 * 0 when it is longer than any member name. */
static size_t key_name(const walker *w, int i, char *buf, size_t size)
{
	const char *s = w->js + w->tok[i].start;
	size_t n = (size_t)(w->tok[i].end - w->tok[i].start);
	char tmp[6 * 32]; /* an escape is at most 6 bytes per decoded byte */

	if (!memchr(s, '\\', n)) {
		if (n >= size)
			return 0;
		memcpy(buf, s, n);
		return n;
	}
	if (n > sizeof(tmp) || (n = unescape(s, n, tmp)) >= size)
		return 0;
	memcpy(buf, tmp, n);
	return n;
}

/* Find the members of set `set` (KAG__SET_*) of the object at token obj:
 * at[k] is the value token of member k, or -1. Inlined with a constant set,
 * so that the lookup is the set's own switch. */
KAG__NM_INLINE void members(const walker *w, int obj, int set, int *at, int n)
{
	int m, i = obj + 1, k;

	for (k = 0; k < n; k++)
		at[k] = -1;
	for (m = 0; m < w->tok[obj].size; m++) {
		const char *key = w->js + w->tok[i].start;
		size_t len = (size_t)(w->tok[i].end - w->tok[i].start);
		char buf[32];

		if (w->tok[i].size & KAG__JSON_ESCAPED) {
			len = key_name(w, i, buf, sizeof(buf));
			key = buf;
		}
		k = kag__member_find(set, key, len);
		if (k >= 0)
			at[k] = i + 1;
		i = skip(w, i + 1);
	}
}

static int take_string(walker *w, int i, int field)
{
	const char *s;
	size_t n;

	if (w->tok[i].type != JSMN_STRING || str_value(w, i, &s, &n) < 0)
		return -1;
	kag__event_set(w->ev, field, s, n, KAG_STATE_OBSERVED);
	return 0;
}

/* An array of strings, pushed as items of `field` with key k[0, klen). */
static int push_strings(walker *w, int arr, int field, const char *k, size_t klen)
{
	int j;

	for (j = 0; j < w->tok[arr].size; j++) {
		int i = arr + 1 + j; /* strings are one token each */
		const char *s;
		size_t n;

		if (w->tok[i].type != JSMN_STRING || str_value(w, i, &s, &n) < 0 ||
		    kag__event_push(w->ev, field, k, klen, s, n, KAG_STATE_OBSERVED) < 0)
			return -1;
	}
	return 0;
}

static int take_list(walker *w, int i, int field)
{
	if (w->tok[i].type != JSMN_ARRAY)
		return -1;
	if (w->tok[i].size == 0) {
		w->ev->state[field] = KAG_STATE_OBSERVED;
		return 0;
	}
	return push_strings(w, i, field, NULL, 0);
}

/* user.extra: string to list of strings (or a single string). */
static int take_multimap(walker *w, int obj, int field)
{
	int m, i;

	if (w->tok[obj].type != JSMN_OBJECT)
		return -1;
	w->ev->state[field] = KAG_STATE_OBSERVED;
	for (m = 0, i = obj + 1; m < w->tok[obj].size; m++, i = skip(w, i + 1)) {
		const char *k, *s;
		size_t klen, n;
		int v = i + 1;

		if (str_value(w, i, &k, &klen) < 0)
			return -1;
		if (w->tok[v].type == JSMN_STRING) {
			if (str_value(w, v, &s, &n) < 0 ||
			    kag__event_push(w->ev, field, k, klen, s, n, KAG_STATE_OBSERVED) < 0)
				return -1;
		} else if (w->tok[v].type != JSMN_ARRAY || push_strings(w, v, field, k, klen) < 0) {
			return -1;
		}
	}
	return 0;
}

/* responseStatus.code: json_is_integer, a number with neither fraction
 * nor exponent. */
static int take_int(walker *w, int i, int field)
{
	const jsmntok_t *t = &w->tok[i];
	const char *s = w->js + t->start;
	size_t n = (size_t)(t->end - t->start), k = s[0] == '-';
	uint64_t v = 0;
	int is_int;

	if (t->type != JSMN_PRIMITIVE || kag__json_primitive(s, n, &is_int) < 0 || !is_int)
		return -1;
	for (; k < n; k++)
		v = v * 10 + (uint64_t)(s[k] - '0');
	w->ev->code = s[0] == '-' ? (int64_t)(0 - v) : (int64_t)v;
	w->ev->state[field] = KAG_STATE_OBSERVED;
	return 0;
}

/* annotations: string to string. */
static int take_map(walker *w, int obj, int field)
{
	int m, i;

	if (w->tok[obj].type != JSMN_OBJECT)
		return -1;
	w->ev->state[field] = KAG_STATE_OBSERVED;
	for (m = 0, i = obj + 1; m < w->tok[obj].size; m++, i = skip(w, i + 1)) {
		const char *k, *s;
		size_t klen, n;

		if (w->tok[i + 1].type != JSMN_STRING || str_value(w, i, &k, &klen) < 0 ||
		    str_value(w, i + 1, &s, &n) < 0 ||
		    kag__event_push(w->ev, field, k, klen, s, n, KAG_STATE_OBSERVED) < 0)
			return -1;
	}
	return 0;
}

/* A body stays text (its quotes included when it is a string). */
static void take_body(walker *w, int i, int field, int slot)
{
	const jsmntok_t *t = &w->tok[i];

	if (t->type == JSMN_STRING) {
		w->ev->body_text[slot].ptr = w->js + t->start - 1;
		w->ev->body_text[slot].len = (size_t)(t->end - t->start) + 2;
	} else {
		w->ev->body_text[slot].ptr = w->js + t->start;
		w->ev->body_text[slot].len = (size_t)(t->end - t->start);
	}
	w->ev->state[field] = KAG_STATE_OBSERVED;
}

/* ---- the member table as code ----
 *
 * Each member of the native lists (native-private.h) is taken as its kind
 * says, with the kind, the field and, for an object, its own members known
 * when compiled: the lists expand to straight-line code, so that no member
 * goes through a switch on its kind at run time. A null member is absent.
 * Kinds that only tell other record shapes apart take nothing here. */
#define JT_TAKE_TYPED(w, i, field, set) ((w)->tok[i].type == JSMN_STRING ? 0 : -1)
#define JT_TAKE_STRING(w, i, field, set) take_string(w, i, field)
#define JT_TAKE_INT(w, i, field, set) take_int(w, i, field)
#define JT_TAKE_LIST(w, i, field, set) take_list(w, i, field)
#define JT_TAKE_MULTIMAP(w, i, field, set) take_multimap(w, i, field)
#define JT_TAKE_MAP(w, i, field, set) take_map(w, i, field)
#define JT_TAKE_OBJECT(w, i, field, set) take_object_##set(w, i, field)
#define JT_TAKE_BODY(w, i, field, set) \
	(take_body(w, i, field, (field) == KAG_FIELD_REQUEST_OBJECT ? 0 : 1), 0)

/* A member of an object whose field is `base`, its value token in at[]. */
#define JT_MEMBER_(base, id, name, kind, field, set) \
	if (!absent(w, at[id]) && JT_TAKE_##kind(w, at[id], (base) + (field), set) < 0) \
		return -1;

/* user, impersonatedUser, objectRef, responseStatus: their members, in the
 * order of their list. */
#define JT_OBJECT_FN_(set, list, count) \
	static int take_object_##set(walker *w, int obj, int field) \
	{ \
		int at[count]; \
 \
		if (w->tok[obj].type != JSMN_OBJECT) \
			return -1; \
		w->ev->state[field] = KAG_STATE_OBSERVED; \
		members(w, obj, KAG__SET_##set, at, count); \
		list(JT_MEMBER_, field) \
		return 0; \
	}
JT_OBJECT_FN_(USER, KAG__NATIVE_USER, KAG__U_COUNT_)
JT_OBJECT_FN_(OBJECT_REF, KAG__NATIVE_OBJECT_REF, KAG__O_COUNT_)
JT_OBJECT_FN_(STATUS, KAG__NATIVE_STATUS, KAG__S_COUNT_)

/* A top-level member of the Event, its value token in w->top[]. The
 * members past the Event's own (KAG__K_NATIVE_COUNT_: items, provider
 * wrappers, other shapes) are not the Event's and are not looked at. */
#define JT_TOP_TAKE_(id, kind, field, set) \
	if (!absent(w, w->top[id]) && JT_TAKE_##kind(w, w->top[id], field, set) < 0) \
		return -1;
#define JT_TOP_TYPED(id, field, set) JT_TOP_TAKE_(id, TYPED, field, set)
#define JT_TOP_STRING(id, field, set) JT_TOP_TAKE_(id, STRING, field, set)
#define JT_TOP_INT(id, field, set) JT_TOP_TAKE_(id, INT, field, set)
#define JT_TOP_LIST(id, field, set) JT_TOP_TAKE_(id, LIST, field, set)
#define JT_TOP_MULTIMAP(id, field, set) JT_TOP_TAKE_(id, MULTIMAP, field, set)
#define JT_TOP_MAP(id, field, set) JT_TOP_TAKE_(id, MAP, field, set)
#define JT_TOP_OBJECT(id, field, set) JT_TOP_TAKE_(id, OBJECT, field, set)
#define JT_TOP_BODY(id, field, set) JT_TOP_TAKE_(id, BODY, field, set)
#define JT_TOP_ITEMS(id, field, set)
#define JT_TOP_WRAPPER(id, field, set)
#define JT_TOP_SHAPE(id, field, set)
#define JT_TOP_(a, id, name, kind, field, set) JT_TOP_##kind(id, field, set)

static int fill(walker *w)
{
	kag_event *ev = w->ev;

	KAG__NATIVE_TOP(JT_TOP_, 0)
	/* not an audit event: jansson reports it */
	if (!kag__native_identified(ev))
		return -1;
	kag__event_finish(ev);
	ev->format = kag__annotation(ev, "authentication.openshift.io/decision").ptr
		     ? "openshift-oauth" : "native";
	return 0;
}

/* Would format recognition (kag__shape_detect, kag__record_fill) read this
 * record as one native event? Only a plain top-level object qualifies:
 * anything that might be a list or a provider record is declined. */
static int native_shape(const walker *w, int forced)
{
	int verb = w->top[KAG__K_VERB];

	if (w->items)
		return 0;
	switch (forced) {
	case KAG_FORMAT_NATIVE:
		return 1;
	case KAG_FORMAT_AUTO:
	case KAG_FORMAT_EKS:
	case KAG_FORMAT_OPENSHIFT:
		return !w->wrapper && verb >= 0 && w->tok[verb].type == JSMN_STRING;
	default:
		return 0;
	}
}

/* Tokenize rec into f->tok, growing it as needed. Returns the number of
 * tokens or -1. */
static int tokenize(kag__fast *f, const char *rec, size_t len)
{
	jsmn_parser jp;
	int rc;

	jsmn_init(&jp);
	for (;;) {
		if (f->cap_tok) {
			rc = jsmn_parse(&jp, rec, len, f->tok, (unsigned int)f->cap_tok);
			if (rc != JSMN_ERROR_NOMEM)
				return rc < 0 ? -1 : (int)jp.toknext;
		}
		{
			/* jsmn goes on where it stopped once given more tokens */
			size_t cap = f->cap_tok ? f->cap_tok * 2 : 1024;
			void *t;

			if (cap > (size_t)INT32_MAX / sizeof(jsmntok_t))
				return -1;
			t = kag__realloc(f->tok, cap * sizeof(jsmntok_t));
			if (!t)
				return -1;
			f->tok = t;
			f->cap_tok = cap;
		}
	}
}

/* Keep the token array between records unless one made it huge. */
static void release_tokens(kag__fast *f)
{
	if (f->cap_tok > FAST_KEEP_TOKENS) {
		kag__free(f->tok);
		f->tok = NULL;
		f->cap_tok = 0;
	}
}

static void walker_start(walker *w, kag__fast *f, kag_event *ev, const char *js, size_t len,
			 const kag__fast_limits *lim, int ntok)
{
	int k;

	memset(w, 0, sizeof(*w));
	w->js = js;
	w->len = len;
	w->lim = lim;
	w->tok = f->tok;
	w->ntok = ntok;
	w->f = f;
	w->ev = ev;
	for (k = 0; k < KAG__K_NATIVE_COUNT_; k++)
		w->top[k] = -1;
}

int kag__fast_fill(kag__fast *f, kag_event *ev, const char *rec, size_t len, int forced,
		   const kag__fast_limits *lim, size_t *used)
{
	walker w;
	int ntok, rc = KAG__FAST_DECLINED;

	if (forced != KAG_FORMAT_AUTO && forced != KAG_FORMAT_NATIVE &&
	    forced != KAG_FORMAT_EKS && forced != KAG_FORMAT_OPENSHIFT)
		return KAG__FAST_DECLINED;
	/* jsmn counts in int; an array is a list, for jansson */
	if (len < 2 || len > (size_t)INT32_MAX / 2 || rec[0] != '{')
		return KAG__FAST_DECLINED;
	ntok = tokenize(f, rec, len);
	if (ntok <= 0) {
		rc = lim ? KAG__FAST_UNFRAMED : KAG__FAST_DECLINED;
		goto out;
	}
	walker_start(&w, f, ev, rec, len, lim, ntok);
	if (w.tok[0].type != JSMN_OBJECT || walk_value(&w, 0) < 0)
		goto out;
	if (lim) {
		/* the framer lets a record be one byte longer; no matter */
		if (w.pos > lim->max_record)
			goto out;
	} else {
		skip_ws(&w);
		if (w.next != ntok || w.pos != len)
			goto out;
	}
	if (!native_shape(&w, forced) || fill(&w) < 0)
		goto out;
	if (used)
		*used = w.pos;
	rc = KAG_OK;
out:
	release_tokens(f);
	return rc;
}
