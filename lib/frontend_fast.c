/* The fast front end (see frontend-private.h).
 *
 * One pass of the JSON scanner (json_scan.c) checks every byte of the
 * record with the rules of kag's jansson front end (jansson 2.x,
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL) and cuts it into tokens, noting
 * where the Event's members are. requestObject and responseObject are
 * checked all the same but stay one token each, their text kept until a
 * detector asks for it (kag__event_body), so that no token is made for
 * what is inside a body. Whatever the scan cannot vouch for is declined,
 * never guessed: jansson then reads the record and gives the reference
 * event or error.
 *
 * The slots are then filled from the tokens in the order and with the type
 * rules of kag__native_fill(), and a type that rule rejects declines the
 * record so that jansson reports it. Strings without escapes point into the
 * record; escaped ones are decoded into the event's arena. */
#include <string.h>

#include "frontend-private.h"
#include "json-check-private.h"
#include "native-private.h"

typedef struct {
	const char *js;
	const kag__jtok *tok;
	int ntok;
	kag_event *ev;
	int top[KAG__K_NATIVE_COUNT_]; /* value token of each Event member, or -1 */
	uint64_t named;       /* a bit per top-level member seen (KAG__K_*) */
	int items, wrapper;   /* the record has items, a provider's member */
} walker;

void kag__fast_init(kag__fast *f)
{
	kag__jscan_init(&f->scan);
}

void kag__fast_dispose(kag__fast *f)
{
	kag__jscan_dispose(&f->scan);
}

_Static_assert(KAG__K_COUNT_ <= 64, "a bit per top-level member");

/* A member of the top-level object, its value token to come at `tok`:
 * note where the Event's members are; keep a body as one token. The
 * lookup tells the members it knows apart, so a repeat of one (which
 * jansson refuses) is found here and fails the scan; the scan's own
 * repeated-key check is left the other keys. */
static int top_member(void *ctx, const char *k, size_t n, int tok)
{
	walker *w = ctx;
	int id = kag__top_member(k, n);

	if (id < 0)
		return 0;
	if (w->named & (UINT64_C(1) << id))
		return -1;
	w->named |= UINT64_C(1) << id;
	if (id < KAG__K_NATIVE_COUNT_) {
		w->top[id] = tok;
		return kag__member_sets[KAG__SET_TOP].m[id].kind == KAG__NM_BODY
			       ? KAG__JSCAN_OWN_KEY | KAG__JSCAN_WHOLE
			       : KAG__JSCAN_OWN_KEY;
	}
	switch (kag__member_sets[KAG__SET_TOP].m[id].kind) {
	case KAG__NM_ITEMS: w->items = 1; break;
	case KAG__NM_WRAPPER: w->wrapper = 1; break;
	default: break;
	}
	return KAG__JSCAN_OWN_KEY;
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
	return w->tok[i].type == KAG__JT_PRIMITIVE && w->js[w->tok[i].start] == 'n';
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
	*len = kag__json_unescape(s, n, d);
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
	if (n > sizeof(tmp) || (n = kag__json_unescape(s, n, tmp)) >= size)
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

	if (w->tok[i].type != KAG__JT_STRING || str_value(w, i, &s, &n) < 0)
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

		if (w->tok[i].type != KAG__JT_STRING || str_value(w, i, &s, &n) < 0 ||
		    kag__event_push(w->ev, field, k, klen, s, n, KAG_STATE_OBSERVED) < 0)
			return -1;
	}
	return 0;
}

static int take_list(walker *w, int i, int field)
{
	if (w->tok[i].type != KAG__JT_ARRAY)
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

	if (w->tok[obj].type != KAG__JT_OBJECT)
		return -1;
	w->ev->state[field] = KAG_STATE_OBSERVED;
	for (m = 0, i = obj + 1; m < w->tok[obj].size; m++, i = skip(w, i + 1)) {
		const char *k, *s;
		size_t klen, n;
		int v = i + 1;

		if (str_value(w, i, &k, &klen) < 0)
			return -1;
		if (w->tok[v].type == KAG__JT_STRING) {
			if (str_value(w, v, &s, &n) < 0 ||
			    kag__event_push(w->ev, field, k, klen, s, n, KAG_STATE_OBSERVED) < 0)
				return -1;
		} else if (w->tok[v].type != KAG__JT_ARRAY || push_strings(w, v, field, k, klen) < 0) {
			return -1;
		}
	}
	return 0;
}

/* responseStatus.code: json_is_integer, a number with neither fraction
 * nor exponent. */
static int take_int(walker *w, int i, int field)
{
	const kag__jtok *t = &w->tok[i];
	const char *s = w->js + t->start;
	size_t n = (size_t)(t->end - t->start), k = s[0] == '-';
	uint64_t v = 0;
	int is_int;

	if (t->type != KAG__JT_PRIMITIVE || kag__json_primitive(s, n, &is_int) < 0 || !is_int)
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

	if (w->tok[obj].type != KAG__JT_OBJECT)
		return -1;
	w->ev->state[field] = KAG_STATE_OBSERVED;
	for (m = 0, i = obj + 1; m < w->tok[obj].size; m++, i = skip(w, i + 1)) {
		const char *k, *s;
		size_t klen, n;

		if (w->tok[i + 1].type != KAG__JT_STRING || str_value(w, i, &k, &klen) < 0 ||
		    str_value(w, i + 1, &s, &n) < 0 ||
		    kag__event_push(w->ev, field, k, klen, s, n, KAG_STATE_OBSERVED) < 0)
			return -1;
	}
	return 0;
}

/* A body stays text (its quotes included when it is a string). */
static void take_body(walker *w, int i, int field, int slot)
{
	const kag__jtok *t = &w->tok[i];

	if (t->type == KAG__JT_STRING) {
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
#define JT_TAKE_TYPED(w, i, field, set) ((w)->tok[i].type == KAG__JT_STRING ? 0 : -1)
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
		if (w->tok[obj].type != KAG__JT_OBJECT) \
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
		return !w->wrapper && verb >= 0 && w->tok[verb].type == KAG__JT_STRING;
	default:
		return 0;
	}
}

int kag__fast_fill(kag__fast *f, kag_event *ev, const char *rec, size_t len, int forced,
		   const kag__fast_limits *lim, size_t *used)
{
	kag__jscan_opts o;
	walker w;
	size_t end;
	int k, rc = KAG__FAST_DECLINED;

	if (forced != KAG_FORMAT_AUTO && forced != KAG_FORMAT_NATIVE &&
	    forced != KAG_FORMAT_EKS && forced != KAG_FORMAT_OPENSHIFT)
		return KAG__FAST_DECLINED;
	/* an array is a list, for jansson */
	if (len < 2 || len > (size_t)INT32_MAX / 2 || rec[0] != '{')
		return KAG__FAST_DECLINED;
	memset(&w, 0, sizeof(w));
	w.js = rec;
	w.ev = ev;
	for (k = 0; k < KAG__K_NATIVE_COUNT_; k++)
		w.top[k] = -1;
	memset(&o, 0, sizeof(o));
	o.flags = KAG__JSCAN_TOKENS | KAG__JSCAN_UNIQUE | (lim ? KAG__JSCAN_PREFIX : 0);
	o.max_depth = KAG__FAST_MAX_DEPTH;
	if (lim) {
		if (lim->max_depth < o.max_depth)
			o.max_depth = (size_t)lim->max_depth;
		o.max_string = lim->max_string;
	}
	o.member = top_member;
	o.ctx = &w;
	w.ntok = kag__jscan_run(&f->scan, rec, len, &o, &end);
	if (w.ntok <= 0) {
		/* the framer may cut a record from the line that it can read */
		rc = lim ? KAG__FAST_UNFRAMED : KAG__FAST_DECLINED;
		goto out;
	}
	w.tok = f->scan.tok;
	/* the framer lets a record be one byte longer; no matter */
	if (lim && end > lim->max_record)
		goto out;
	if (!native_shape(&w, forced) || fill(&w) < 0)
		goto out;
	if (used)
		*used = end;
	rc = KAG_OK;
out:
	kag__jscan_trim(&f->scan);
	return rc;
}
