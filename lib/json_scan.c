/* One checked pass over JSON text, with tokens on request (see
 * json-scan-private.h). */
#include <string.h>

#include "alloc-private.h"
#include "json-check-private.h"
#include "json-scan-private.h"
#include "json-text-private.h"

/* string_end() is called for every string: in the scan's loop, not a call. */
#if defined(__GNUC__)
#define JSCAN_INLINE static inline __attribute__((always_inline))
#else
#define JSCAN_INLINE static inline
#endif

/* Token arrays larger than this are freed by kag__jscan_trim(). */
#define JSCAN_KEEP_TOKENS 65536
/* A key of an object with up to this many keys is compared with the
 * earlier keys that share its bit when it is read; in larger objects a
 * shared bit marks the object for a hash table check when it closes. */
#define JSCAN_PAIRWISE_KEYS 32

/* A key of an open object: its bytes in the text, or, when it has
 * escapes, its decoded bytes at sc->decoded + off. */
typedef struct {
	const char *raw;
	uint32_t off, len;
	unsigned char decoded, bit;
} jkey;

/* A container being read. */
typedef struct {
	int tok;              /* its token, or -1 when it has none */
	int32_t count;        /* members or items so far */
	size_t keybase;       /* its keys start at sc->keys[keybase] */
	uint64_t seen;        /* a bit per key: a repeat may be a duplicate */
	unsigned char obj, maybe_dup;
} jframe;

void kag__jscan_init(kag__jscan *sc)
{
	memset(sc, 0, sizeof(*sc));
}

void kag__jscan_dispose(kag__jscan *sc)
{
	kag__free(sc->tok);
	kag__free(sc->keys);
	kag__free(sc->decoded);
	kag__free(sc->slots);
	memset(sc, 0, sizeof(*sc));
}

void kag__jscan_trim(kag__jscan *sc)
{
	if (sc->cap_tok > JSCAN_KEEP_TOKENS) {
		kag__free(sc->tok);
		sc->tok = NULL;
		sc->cap_tok = 0;
	}
}

/* Double *buf (elements of `size` bytes, *cap of them, 0 at first) to hold
 * at least `need`. */
static int grow(void **buf, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first;
	void *nb;

	while (c < need) {
		if (c > (SIZE_MAX / 2) / size)
			return -1;
		c *= 2;
	}
	nb = kag__realloc(*buf, c * size);
	if (!nb)
		return -1;
	*buf = nb;
	*cap = c;
	return 0;
}

static inline size_t blanks(const unsigned char *s, size_t i, size_t n)
{
	/* the four blanks are at or below 0x20, JSON's other bytes outside
	 * strings above it: most calls end at the first byte */
	if (i < n && s[i] > 0x20)
		return i;
	while (i < n && kag__json_ws[s[i]])
		i++;
	return i;
}

/* The string whose opening quote is at s[i], checked up to its closing
 * quote: returns the index of that quote, or 0 when jansson would refuse
 * the string. *flags gets KAG__JSON_ESCAPED and KAG__JSON_NUL. */
JSCAN_INLINE size_t string_end(const unsigned char *s, size_t i, size_t n, int *flags)
{
	size_t k;

	*flags = 0;
	for (i++;;) {
		unsigned char c;

#ifdef KAG__JSON_SSE2
		{
			uint32_t m = 0;

			/* 32 bytes a step: most strings end within the first */
			while (n - i >= 32 &&
			       !(m = kag__json_special16(s + i) |
				     (uint32_t)kag__json_special16(s + i + 16) << 16))
				i += 32;
			if (!m && n - i >= 16 && !(m = kag__json_special16(s + i)))
				i += 16;
			if (m) {
				i += (size_t)__builtin_ctz(m);
			} else {
				while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' &&
				       s[i] != '\\')
					i++;
			}
		}
#else
		while (n - i >= 8 && !kag__json_special8(s + i))
			i += 8;
		while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
			i++;
#endif
		if (i >= n)
			return 0; /* no closing quote */
		c = s[i];
		if (c == '"')
			return i;
		if (c >= 0x80)
			k = kag__utf8_seq(s + i, n - i);
		else if (c == '\\')
			k = kag__json_escape(s, i, n, flags);
		else
			return 0; /* a control character */
		if (!k)
			return 0;
		i += k;
	}
}

/* Decode the escapes of a checked string s[0, n) into out (n bytes are
 * enough). Returns the decoded length. */
size_t kag__json_unescape(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint32_t u = 0, u2 = 0; /* string_end() vetted the escapes */

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

/* ---- repeated keys ---- */

static inline const char *key_bytes(const kag__jscan *sc, const jkey *k)
{
	return k->decoded ? sc->decoded + k->off : k->raw;
}

static uint32_t key_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* Are two of the keys sc->keys[base, end) equal? A hash table tells, for
 * objects with many keys. 1 also when that cannot be told (out of
 * memory). */
static int has_duplicates(kag__jscan *sc, size_t base, size_t end)
{
	const jkey *k = (const jkey *)sc->keys + base;
	size_t n = end - base, i, cap, mask;

	for (cap = 64; cap < 2 * n; cap *= 2)
		;
	if (cap > sc->cap_slots) {
		uint32_t *s = kag__realloc(sc->slots, cap * sizeof(*s));

		if (!s)
			return 1;
		sc->slots = s;
		sc->cap_slots = cap;
	}
	memset(sc->slots, 0xff, cap * sizeof(*sc->slots));
	mask = cap - 1;
	for (i = 0; i < n; i++) {
		const char *p = key_bytes(sc, &k[i]);
		size_t at = key_hash(p, k[i].len) & mask;

		while (sc->slots[at] != UINT32_MAX) {
			const jkey *o = &k[sc->slots[at]];

			if (o->len == k[i].len && memcmp(key_bytes(sc, o), p, o->len) == 0)
				return 1;
			at = (at + 1) & mask;
		}
		sc->slots[at] = (uint32_t)i;
	}
	return 0;
}

/* Decode key k, which has escapes, after the decoded keys' *used bytes. */
static int decode_key(kag__jscan *sc, jkey *k, size_t *used)
{
	if (*used + k->len > sc->cap_decoded &&
	    grow((void **)&sc->decoded, &sc->cap_decoded, *used + k->len, 1, 1024) < 0)
		return -1;
	k->off = (uint32_t)*used;
	k->len = (uint32_t)kag__json_unescape(k->raw, k->len, sc->decoded + *used);
	k->decoded = 1;
	*used += k->len;
	return 0;
}

/* Note key s[start, end) (between its quotes, `flags` from string_end())
 * as the next of the open objects' keys. NULL when memory ran out. */
static inline jkey *add_key(kag__jscan *sc, size_t *nkeys, const char *s, size_t start,
			    size_t end, int flags, size_t *used)
{
	jkey *k;

	if (*nkeys == sc->cap_keys &&
	    grow(&sc->keys, &sc->cap_keys, *nkeys + 1, sizeof(jkey), 256) < 0)
		return NULL;
	k = (jkey *)sc->keys + (*nkeys)++;
	k->raw = s + start;
	k->len = (uint32_t)(end - start);
	k->decoded = 0;
	if ((flags & KAG__JSON_ESCAPED) && decode_key(sc, k, used) < 0)
		return NULL;
	return k;
}

/* Is key k, just added to object f, one of its earlier keys? Keys get a
 * bit of f->seen each; only a key whose bit is taken is compared, with the
 * earlier keys of its bit, or, past JSCAN_PAIRWISE_KEYS keys, marks f for
 * has_duplicates() when it closes. */
static inline int repeated(const kag__jscan *sc, jframe *f, jkey *k)
{
	const jkey *q = (const jkey *)sc->keys + f->keybase;
	const unsigned char *p = (const unsigned char *)key_bytes(sc, k);
	unsigned bit = k->len ? (k->len * 7u + p[0] + p[k->len - 1] * 3u +
				 p[k->len / 2] * 5u) & 63 : 0;

	k->bit = (unsigned char)bit;
	if (!(f->seen & (1ULL << bit))) {
		f->seen |= 1ULL << bit;
		return 0;
	}
	if ((size_t)(k - q) >= JSCAN_PAIRWISE_KEYS) {
		f->maybe_dup = 1;
		return 0;
	}
	for (; q < k; q++)
		if (q->bit == bit && q->len == k->len &&
		    memcmp(key_bytes(sc, q), p, k->len) == 0)
			return 1;
	return 0;
}

/* Note key s[start, end) of object f (see add_key()) and, with `unique`,
 * check that it is not one of f's earlier keys: NULL when it is, or when
 * memory ran out. */
static inline jkey *take_key(kag__jscan *sc, jframe *f, size_t *nkeys, const char *s,
			     size_t start, size_t end, int flags, size_t *used, int unique)
{
	jkey *k = add_key(sc, nkeys, s, start, end, flags, used);

	return k && unique && repeated(sc, f, k) ? NULL : k;
}

/* ---- the scan ---- */

/* Bytes that end a number or a literal. */
static const unsigned char delimiter[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [','] = 1, [']'] = 1, ['}'] = 1,
};

int kag__jscan_run(kag__jscan *sc, const char *text, size_t n, const kag__jscan_opts *o,
		   size_t *end)
{
	const unsigned char *s = (const unsigned char *)text;
	jframe st[KAG__JSCAN_MAX_DEPTH];
	jframe *f = NULL;     /* the innermost open container */
	size_t i = 0, j, depth = 0, nkeys = 0, decoded = 0;
	size_t max_depth = o->max_depth < KAG__JSCAN_MAX_DEPTH ? o->max_depth
							       : KAG__JSCAN_MAX_DEPTH;
	int tokens = (o->flags & KAG__JSCAN_TOKENS) != 0;
	int unique = (o->flags & KAG__JSCAN_UNIQUE) != 0;
	size_t whole = 0;     /* depth of the container kept as one token, 0 if none */
	int keep_whole = 0;   /* the next value is kept as one token */
	int ntok = 0, flags;
	kag__jtok *t;

	if (n > (size_t)INT32_MAX || max_depth == 0)
		return -1;
value:
	i = blanks(s, i, n);
	if (i >= n)
		return -1;
	t = NULL;
	if (tokens && !whole) {
		if ((size_t)ntok == sc->cap_tok &&
		    grow((void **)&sc->tok, &sc->cap_tok, (size_t)ntok + 1, sizeof(kag__jtok), 1024) < 0)
			return -1;
		t = &sc->tok[ntok++];
	}
	if (f)
		f->count++;
	switch (s[i]) {
	case '{':
	case '[':
		if (depth == max_depth)
			return -1;
		f = &st[depth++];
		f->obj = s[i] == '{';
		f->tok = t ? (int)(t - sc->tok) : -1;
		f->count = 0;
		f->keybase = nkeys;
		f->seen = 0;
		f->maybe_dup = 0;
		if (t) {
			t->type = f->obj ? KAG__JT_OBJECT : KAG__JT_ARRAY;
			t->start = (int32_t)i;
		}
		if (keep_whole && !whole)
			whole = depth;
		keep_whole = 0;
		i = blanks(s, i + 1, n);
		if (i < n && s[i] == (f->obj ? '}' : ']'))
			goto close;
		if (f->obj)
			goto key;
		goto value;
	case '"':
		j = string_end(s, i, n, &flags);
		if (!j || (o->max_string && j - i - 1 > o->max_string))
			return -1;
		if (t) {
			t->type = KAG__JT_STRING;
			t->start = (int32_t)(i + 1);
			t->end = (int32_t)j;
			t->size = flags;
		}
		i = j + 1;
		break;
	default: {
		int is_int;

		for (j = i; j < n && !delimiter[s[j]]; j++)
			;
		if (j == i || kag__json_primitive(text + i, j - i, &is_int) < 0)
			return -1;
		if (t) {
			t->type = KAG__JT_PRIMITIVE;
			t->start = (int32_t)i;
			t->end = (int32_t)j;
			t->size = 0;
		}
		i = j;
		break;
	}
	}
	keep_whole = 0;
	goto after;
key:
	if (i >= n || s[i] != '"')
		return -1;
	j = string_end(s, i, n, &flags);
	if (!j || (flags & KAG__JSON_NUL) || (o->max_string && j - i - 1 > o->max_string))
		return -1; /* jansson: "NUL byte in object key not supported" */
	if (tokens && !whole) {
		if ((size_t)ntok == sc->cap_tok &&
		    grow((void **)&sc->tok, &sc->cap_tok, (size_t)ntok + 1, sizeof(kag__jtok), 1024) < 0)
			return -1;
		t = &sc->tok[ntok++];
		t->type = KAG__JT_STRING;
		t->start = (int32_t)(i + 1);
		t->end = (int32_t)j;
		t->size = flags;
	}
	if (depth == 1 && o->member) {
		jkey *k = NULL;
		int r;

		/* The member function takes the key decoded. A key without
		 * escapes goes to it before the repeated-key check, which
		 * leaves out the keys it answers for. */
		if ((flags & KAG__JSON_ESCAPED) &&
		    !(k = take_key(sc, f, &nkeys, text, i + 1, j, flags, &decoded, unique)))
			return -1;
		r = o->member(o->ctx, k ? key_bytes(sc, k) : text + i + 1, k ? k->len : j - i - 1,
			      ntok);
		if (r < 0)
			return -1;
		keep_whole = r & KAG__JSCAN_WHOLE;
		if (unique && !k && !(r & KAG__JSCAN_OWN_KEY) &&
		    !take_key(sc, f, &nkeys, text, i + 1, j, flags, &decoded, 1))
			return -1;
	} else if (unique && !take_key(sc, f, &nkeys, text, i + 1, j, flags, &decoded, 1)) {
		return -1;
	}
	i = blanks(s, j + 1, n);
	if (i >= n || s[i] != ':')
		return -1;
	i++;
	goto value;
after:
	if (!depth) {
		*end = i;
		if (!(o->flags & KAG__JSCAN_PREFIX)) {
			if (blanks(s, i, n) != n)
				return -1;
			*end = n;
		}
		return tokens ? ntok : 0;
	}
	i = blanks(s, i, n);
	if (i >= n)
		return -1;
	if (s[i] == ',') {
		i = blanks(s, i + 1, n);
		if (f->obj)
			goto key;
		goto value;
	}
	if (s[i] != (f->obj ? '}' : ']'))
		return -1;
close:
	if (f->obj && f->maybe_dup && has_duplicates(sc, f->keybase, nkeys))
		return -1;
	nkeys = f->keybase;
	if (!nkeys)
		decoded = 0;
	if (f->tok >= 0) {
		sc->tok[f->tok].end = (int32_t)(i + 1);
		sc->tok[f->tok].size = whole == depth ? 0 : f->count;
	}
	if (whole == depth)
		whole = 0;
	depth--;
	f = depth ? &st[depth - 1] : NULL;
	i++;
	goto after;
}
