/* Event slots, accessors and the builder. */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "event-private.h"
#include "json-check-private.h"

struct kag_arena_block {
	kag_arena_block *next;
	size_t used, cap;
	char data[];
};

static const struct {
	const char *path;
	int kind;
} fields[KAG__FIELD_COUNT] = {
	[KAG_FIELD_AUDIT_ID] = { "auditID", KAG__KIND_STRING },
	[KAG_FIELD_STAGE] = { "stage", KAG__KIND_STRING },
	[KAG_FIELD_LEVEL] = { "level", KAG__KIND_STRING },
	[KAG_FIELD_VERB] = { "verb", KAG__KIND_STRING },
	[KAG_FIELD_REQUEST_URI] = { "requestURI", KAG__KIND_STRING },
	[KAG_FIELD_USER] = { "user", KAG__KIND_OBJECT },
	[KAG_FIELD_USER_USERNAME] = { "user.username", KAG__KIND_STRING },
	[KAG_FIELD_USER_UID] = { "user.uid", KAG__KIND_STRING },
	[KAG_FIELD_USER_GROUPS] = { "user.groups", KAG__KIND_LIST },
	[KAG_FIELD_USER_EXTRA] = { "user.extra", KAG__KIND_PAIRS },
	[KAG_FIELD_IMP_USER] = { "impersonatedUser", KAG__KIND_OBJECT },
	[KAG_FIELD_IMP_USERNAME] = { "impersonatedUser.username", KAG__KIND_STRING },
	[KAG_FIELD_IMP_UID] = { "impersonatedUser.uid", KAG__KIND_STRING },
	[KAG_FIELD_IMP_GROUPS] = { "impersonatedUser.groups", KAG__KIND_LIST },
	[KAG_FIELD_IMP_EXTRA] = { "impersonatedUser.extra", KAG__KIND_PAIRS },
	[KAG_FIELD_SOURCE_IPS] = { "sourceIPs", KAG__KIND_LIST },
	[KAG_FIELD_USER_AGENT] = { "userAgent", KAG__KIND_STRING },
	[KAG_FIELD_OBJECT_REF] = { "objectRef", KAG__KIND_OBJECT },
	[KAG_FIELD_OBJ_RESOURCE] = { "objectRef.resource", KAG__KIND_STRING },
	[KAG_FIELD_OBJ_SUBRESOURCE] = { "objectRef.subresource", KAG__KIND_STRING },
	[KAG_FIELD_OBJ_NAMESPACE] = { "objectRef.namespace", KAG__KIND_STRING },
	[KAG_FIELD_OBJ_NAME] = { "objectRef.name", KAG__KIND_STRING },
	[KAG_FIELD_OBJ_API_GROUP] = { "objectRef.apiGroup", KAG__KIND_STRING },
	[KAG_FIELD_OBJ_API_VERSION] = { "objectRef.apiVersion", KAG__KIND_STRING },
	[KAG_FIELD_RESPONSE_STATUS] = { "responseStatus", KAG__KIND_OBJECT },
	[KAG_FIELD_RESPONSE_CODE] = { "responseStatus.code", KAG__KIND_INT },
	[KAG_FIELD_RESPONSE_REASON] = { "responseStatus.reason", KAG__KIND_STRING },
	[KAG_FIELD_RESPONSE_MESSAGE] = { "responseStatus.message", KAG__KIND_STRING },
	[KAG_FIELD_RESPONSE_STATUS_TEXT] = { "responseStatus.status", KAG__KIND_STRING },
	[KAG_FIELD_ANNOTATIONS] = { "annotations", KAG__KIND_PAIRS },
	[KAG_FIELD_REQUEST_RECEIVED_TS] = { "requestReceivedTimestamp", KAG__KIND_STRING },
	[KAG_FIELD_STAGE_TS] = { "stageTimestamp", KAG__KIND_STRING },
	[KAG_FIELD_TIMESTAMP] = { "timestamp", KAG__KIND_STRING },
	[KAG_FIELD_REQUEST_OBJECT] = { "requestObject", KAG__KIND_BODY },
	[KAG_FIELD_RESPONSE_OBJECT] = { "responseObject", KAG__KIND_BODY },
};

/* The object that owns a sub-field, plus one (0: none), so that setting
 * user.username also marks user as present. */
#define OWNER(parent) (unsigned char)((parent) + 1)
const unsigned char kag__owner[KAG__FIELD_COUNT] = {
	[KAG_FIELD_USER_USERNAME] = OWNER(KAG_FIELD_USER),
	[KAG_FIELD_USER_UID] = OWNER(KAG_FIELD_USER),
	[KAG_FIELD_USER_GROUPS] = OWNER(KAG_FIELD_USER),
	[KAG_FIELD_USER_EXTRA] = OWNER(KAG_FIELD_USER),
	[KAG_FIELD_IMP_USERNAME] = OWNER(KAG_FIELD_IMP_USER),
	[KAG_FIELD_IMP_UID] = OWNER(KAG_FIELD_IMP_USER),
	[KAG_FIELD_IMP_GROUPS] = OWNER(KAG_FIELD_IMP_USER),
	[KAG_FIELD_IMP_EXTRA] = OWNER(KAG_FIELD_IMP_USER),
	[KAG_FIELD_OBJ_RESOURCE] = OWNER(KAG_FIELD_OBJECT_REF),
	[KAG_FIELD_OBJ_SUBRESOURCE] = OWNER(KAG_FIELD_OBJECT_REF),
	[KAG_FIELD_OBJ_NAMESPACE] = OWNER(KAG_FIELD_OBJECT_REF),
	[KAG_FIELD_OBJ_NAME] = OWNER(KAG_FIELD_OBJECT_REF),
	[KAG_FIELD_OBJ_API_GROUP] = OWNER(KAG_FIELD_OBJECT_REF),
	[KAG_FIELD_OBJ_API_VERSION] = OWNER(KAG_FIELD_OBJECT_REF),
	[KAG_FIELD_RESPONSE_CODE] = OWNER(KAG_FIELD_RESPONSE_STATUS),
	[KAG_FIELD_RESPONSE_REASON] = OWNER(KAG_FIELD_RESPONSE_STATUS),
	[KAG_FIELD_RESPONSE_MESSAGE] = OWNER(KAG_FIELD_RESPONSE_STATUS),
	[KAG_FIELD_RESPONSE_STATUS_TEXT] = OWNER(KAG_FIELD_RESPONSE_STATUS),
};

int kag__field_kind(int field)
{
	if (field < 0 || field >= KAG__FIELD_COUNT)
		return -1;
	return fields[field].kind;
}

size_t kag_field_count(void)
{
	return KAG__FIELD_COUNT;
}

const char *kag_field_name(int field)
{
	if (field < 0 || field >= KAG__FIELD_COUNT)
		return NULL;
	return fields[field].path;
}

int kag_field_from_path(int *field_out, const char *path, size_t len)
{
	int i;

	if (!field_out || (!path && len))
		return KAG_EINVAL;
	for (i = 0; i < KAG__FIELD_COUNT; i++) {
		if (strlen(fields[i].path) == len && memcmp(fields[i].path, path, len) == 0) {
			*field_out = i;
			return KAG_OK;
		}
	}
	return KAG_ENOTFOUND;
}

void kag__event_init(kag_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->format = "native";
}

/* kag__event_reset() clears the per-field arrays as one stretch from the
 * start of the event. */
_Static_assert(offsetof(kag_event, state) == 0 &&
		       offsetof(kag_event, str) < offsetof(kag_event, count) &&
		       offsetof(kag_event, first) < offsetof(kag_event, count),
	       "the per-field arrays open the event, counts last");

void kag__event_reset(kag_event *ev)
{
	kag_arena_block *b;

	/* An absent field reads as the empty string, never as the last
	 * record's text: that text may live in a tree freed since. The
	 * states, strings, first items and counts are cleared in one stretch
	 * (first[] needs no clearing, but one stretch is quicker than three). */
	memset(ev, 0, offsetof(kag_event, count) + sizeof(ev->count));
	ev->code = 0;
	ev->stage = KAG_STAGE_UNKNOWN;
	ev->level = KAG_LEVEL_UNKNOWN;
	ev->time_us = 0;
	ev->ts_known = 0;
	ev->time_dirty = 0;
	ev->usable_known = ev->usable_bits = 0;
	ev->scattered = 0;
	ev->n_items = 0;
	for (b = ev->arena; b; b = b->next)
		b->used = 0;
	ev->arena_at = ev->arena;
	if (ev->json_root)
		json_decref(ev->json_root);
	ev->json_root = NULL;
	/* Bodies always hold their own reference. */
	if (ev->body[0])
		json_decref(ev->body[0]);
	if (ev->body[1])
		json_decref(ev->body[1]);
	ev->body[0] = ev->body[1] = NULL;
	ev->body_text[0].ptr = ev->body_text[1].ptr = NULL;
	ev->body_lax = 0;
	/* Body text is serialised lazily into the arena, which was just
	 * emptied: forget it so the next event's body is read afresh. */
	ev->str[KAG_FIELD_REQUEST_OBJECT].ptr = NULL;
	ev->str[KAG_FIELD_RESPONSE_OBJECT].ptr = NULL;
	ev->line = ev->offset = 0;
}

void kag__event_swap(kag_event *a, kag_event *b)
{
	/* the record: the members before member_err (event-private.h) */
	size_t n = offsetof(kag_event, member_err);
	kag_event t;

	memcpy(&t, a, n);
	memcpy(a, b, n);
	memcpy(b, &t, n);
}

void kag__event_dispose(kag_event *ev)
{
	kag_arena_block *b, *next;

	kag__event_reset(ev);
	kag__free(ev->member_err);
	ev->member_err = NULL;
	kag_parser_free(ev->reader);
	ev->reader = NULL;
	for (b = ev->arena; b; b = next) {
		next = b->next;
		kag__free(b);
	}
	ev->arena = ev->arena_at = NULL;
	kag__free(ev->items);
	ev->items = NULL;
	ev->cap_items = 0;
}

char *kag__event_alloc(kag_event *ev, size_t n)
{
	kag_arena_block *b, *last = NULL;
	char *out;

	/* blocks before arena_at are taken as full: no walk from the start */
	for (b = ev->arena_at ? ev->arena_at : ev->arena; b; last = b, b = b->next) {
		if (b->cap - b->used >= n)
			break;
	}
	if (!b) {
		size_t cap = n > 4096 ? n : 4096;

		b = kag__malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = NULL;
		b->used = 0;
		b->cap = cap;
		if (last)
			last->next = b;
		else
			ev->arena = b;
	}
	ev->arena_at = b;
	out = b->data + b->used;
	b->used += n;
	return out;
}

const char *kag__event_copy(kag_event *ev, const char *s, size_t len)
{
	char *out = kag__event_alloc(ev, len + 1);

	if (!out)
		return NULL;
	if (len)
		memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

/* Room for one more item. */
int kag__event_grow_items(kag_event *ev)
{
	size_t cap = ev->cap_items ? ev->cap_items * 2 : 32;
	kag_item *ni;

	if (cap > UINT32_MAX)
		return KAG_ELIMIT;
	ni = kag__realloc(ev->items, cap * sizeof(*ni));
	if (!ni)
		return KAG_ENOMEM;
	ev->items = ni;
	ev->cap_items = cap;
	return KAG_OK;
}

const kag_item *kag__item_slow(const kag_event *ev, int field, size_t i)
{
	size_t j, seen = 0;

	if (i >= ev->count[field])
		return NULL;
	if (!(ev->scattered & ((uint64_t)1 << field)))
		return &ev->items[ev->first[field] + i];
	for (j = ev->first[field]; j < ev->n_items; j++) {
		if (ev->items[j].field != field)
			continue;
		if (seen++ == i)
			return &ev->items[j];
	}
	return NULL;
}

static int decode_stage(kag_str s)
{
	if (kag__str_eq(s, "ResponseComplete"))
		return KAG_STAGE_RESPONSE_COMPLETE;
	if (kag__str_eq(s, "ResponseStarted"))
		return KAG_STAGE_RESPONSE_STARTED;
	if (kag__str_eq(s, "RequestReceived"))
		return KAG_STAGE_REQUEST_RECEIVED;
	if (kag__str_eq(s, "Panic"))
		return KAG_STAGE_PANIC;
	return KAG_STAGE_UNKNOWN;
}

static int decode_level(kag_str s)
{
	if (kag__str_eq(s, "Metadata"))
		return KAG_LEVEL_METADATA;
	if (kag__str_eq(s, "Request"))
		return KAG_LEVEL_REQUEST;
	if (kag__str_eq(s, "RequestResponse"))
		return KAG_LEVEL_REQUEST_RESPONSE;
	return KAG_LEVEL_UNKNOWN;
}

/* The time fields, in order of preference. */
static const int time_fields[] = { KAG_FIELD_STAGE_TS, KAG_FIELD_REQUEST_RECEIVED_TS,
				   KAG_FIELD_TIMESTAMP };

static int64_t parse_time_memo(kag_event *ev, const char *s, size_t len);

/* The first time field present that parses; each is parsed once. */
static void decode_time(kag_event *ev)
{
	size_t i;

	ev->time_us = 0;
	for (i = 0; i < sizeof(time_fields) / sizeof(time_fields[0]); i++) {
		int f = time_fields[i];

		if (!kag__has(ev, f))
			continue;
		if (!(ev->ts_known & (1u << i))) {
			ev->ts[i] = parse_time_memo(ev, ev->str[f].ptr, ev->str[f].len);
			ev->ts_known |= 1u << i;
		}
		if (ev->ts[i]) {
			ev->time_us = ev->ts[i];
			return;
		}
	}
}

void kag__event_finish(kag_event *ev)
{
	ev->stage = kag__has(ev, KAG_FIELD_STAGE) ? decode_stage(ev->str[KAG_FIELD_STAGE])
						   : KAG_STAGE_UNKNOWN;
	ev->level = kag__has(ev, KAG_FIELD_LEVEL) ? decode_level(ev->str[KAG_FIELD_LEVEL])
						   : KAG_LEVEL_UNKNOWN;
	ev->ts_known = 0;
	ev->time_dirty = 0;
	ev->usable_known = 0;
	decode_time(ev);
}

int64_t kag__event_time(const kag_event *ev)
{
	if (ev->time_dirty) {
		kag_event *mev = (kag_event *)ev;

		decode_time(mev);
		mev->time_dirty = 0;
	}
	return ev->time_us;
}

struct json_t *kag__event_body(const kag_event *ev, int which)
{
	const kag_str *t = &ev->body_text[which];

	if (!ev->body[which] && t->ptr) {
		/* The front end or the builder checked the text. */
		json_t *v = json_loadb(t->ptr, t->len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
				       ((ev->body_lax >> which) & 1 ? 0 : JSON_REJECT_DUPLICATES),
				       NULL);

		if (v) {
			kag_event *mev = (kag_event *)ev;

			mev->body[which] = v;
			mev->body_text[which].ptr = NULL;
		}
	}
	return ev->body[which];
}

void kag__event_drop_body(kag_event *ev, int which)
{
	if (ev->body[which])
		json_decref(ev->body[which]);
	ev->body[which] = NULL;
	ev->body_text[which].ptr = NULL;
	ev->body_text[which].len = 0;
	ev->body_lax &= ~(1u << which);
	/* its text, serialised lazily */
	ev->str[which ? KAG_FIELD_RESPONSE_OBJECT : KAG_FIELD_REQUEST_OBJECT].ptr = NULL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Does the occurrence of a k-byte name at p stand for a `"name": false`
 * member? Its quotes must be right around it, and the opening one must
 * not be escaped (\" is inside a string: not a key, so not skipped). */
static int false_member(const char *s, const char *p, size_t k, const char *end)
{
	const char *q = p + k;

	if (p == s || p[-1] != '"' || (p - 1 > s && p[-2] == '\\'))
		return 0;
	if (q >= end || *q != '"')
		return 0;
	for (q++; q < end && is_blank(*q); q++)
		;
	if (q >= end || *q != ':')
		return 0;
	for (q++; q < end && is_blank(*q); q++)
		;
	return (size_t)(end - q) >= 5 && memcmp(q, "false", 5) == 0;
}

/* How common a byte is in the JSON of Kubernetes objects, roughly: 0 for
 * upper case letters, digits and the rarest lower case ones, 2 for quotes,
 * blanks and the commonest letters, 1 for the rest. */
static int commonness(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == 'j' || c == 'q' ||
	    c == 'x' || c == 'z' || c == 'v' || c == 'w' || c == 'y' || c == 'k' || c == 'b')
		return 0;
	if (c == '"' || c == ' ' || c == ':' || c == ',' || c == 'e' || c == 'a' || c == 't' ||
	    c == 'o' || c == 'n' || c == 's' || c == 'i' || c == 'r')
		return 2;
	return 1;
}

/* Some occurrence of needle in the span (with only_true, one that is not
 * a false member). */
static int span_has(const char *s, size_t n, const char *needle, int only_true)
{
	size_t k = strlen(needle), j = 0, i;
	const char *p, *end = s + n;

	if (!k || n < k)
		return 0;
	/* candidates are found by the needle's least common byte, the first
	 * of them: fewer stops than at its first byte */
	for (i = 1; i < k && commonness((unsigned char)needle[j]); i++)
		if (commonness((unsigned char)needle[i]) < commonness((unsigned char)needle[j]))
			j = i;
	/* p runs over the candidate starts, s to end - k */
	for (p = s; p <= end - k; p++) {
		p = memchr(p + j, needle[j], (size_t)(end - k - p) + 1);
		if (!p)
			return 0;
		p -= j;
		/* the last byte first: most candidates differ there already */
		if (p[k - 1] == needle[k - 1] && memcmp(p, needle, k) == 0 &&
		    (!only_true || !false_member(s, p, k, end)))
			return 1;
	}
	return 0;
}

int kag__event_body_may_contain(const kag_event *ev, int which, const kag__body_needle *needles)
{
	const kag_str *t = &ev->body_text[which];
	size_t i;

	if (!t->ptr)
		return 1; /* parsed already (or absent): nothing to save */
	/* a \u escape can spell any key: only a real parse can tell */
	if (span_has(t->ptr, t->len, "\\u", 0))
		return 1;
	for (i = 0; needles[i].name; i++) {
		if (span_has(t->ptr, t->len, needles[i].name, needles[i].only_true))
			return 1;
	}
	return 0;
}

/* ---- comparisons ---- */

/* kag__is_placeholder() past its fast exit: blanks trimmed, the words
 * compared ignoring case. */
static int placeholder_words(const char *s, size_t len)
{
	static const char *const ph[] = { "-", "<none>", "unknown", "<unknown>", "null", "n/a" };
	static const unsigned char ph_len[] = { 1, 6, 7, 9, 4, 3 };
	size_t i, j;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return 1;
	for (i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		if (ph_len[i] != len)
			continue;
		for (j = 0; j < len; j++) {
			char c = s[j];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != ph[i][j])
				break;
		}
		if (j == len)
			return 1;
	}
	return 0;
}

/* Inline where the event's fields are judged: most values leave at the
 * first byte. */
static inline int placeholder(const char *s, size_t len)
{
	/* Fast exit: every placeholder is short, and starts (after blanks)
	 * with one of these bytes. */
	if (len > 0 && s[0] != ' ' && s[0] != '\t') {
		char c = s[0];

		if (c != '-' && c != '<' && c != 'u' && c != 'U' && c != 'n' && c != 'N')
			return 0;
		if (len > 9 && s[len - 1] != ' ' && s[len - 1] != '\t')
			return 0;
	}
	return placeholder_words(s, len);
}

int kag__is_placeholder(const char *s, size_t len)
{
	return placeholder(s, len);
}

static int usable(const kag_event *ev, int field)
{
	int kind = kag__field_kind(field);

	if (kind < 0 || !kag__has(ev, field))
		return 0;
	if (kind == KAG__KIND_STRING)
		return !placeholder(ev->str[field].ptr, ev->str[field].len);
	if (kind == KAG__KIND_LIST) {
		size_t i;

		for (i = 0; i < ev->count[field]; i++) {
			const kag_item *it = kag__item(ev, field, i);

			if (it && !placeholder(it->val.ptr, it->val.len))
				return 1;
		}
		return 0;
	}
	return 1;
}

/* The gate and several detectors ask about the same fields of one event:
 * each answer is worked out once (the cache lives in the event, which one
 * thread at a time uses). */
int kag__usable_slow(const kag_event *ev, int field)
{
	uint64_t bit;
	kag_event *mev;
	int ok;

	if (field < 0 || field >= KAG__FIELD_COUNT)
		return 0;
	bit = (uint64_t)1 << field;
	ok = usable(ev, field); /* not cached yet: kag__usable() read the cache */
	mev = (kag_event *)ev;
	mev->usable_known |= bit;
	if (ok)
		mev->usable_bits |= bit;
	else
		mev->usable_bits &= ~bit;
	return ok;
}

kag_str kag__annotation_n(const kag_event *ev, const char *key, size_t klen)
{
	kag_str none = { NULL, 0 };
	size_t i, n = ev->count[KAG_FIELD_ANNOTATIONS];

	if (!n)
		return none;
	for (i = 0; i < n; i++) {
		const kag_item *it = kag__item(ev, KAG_FIELD_ANNOTATIONS, i);

		if (it && it->key.ptr && it->key.len == klen && memcmp(it->key.ptr, key, klen) == 0)
			return it->val;
	}
	return none;
}

/* ---- time ---- */

/* Two decimal digits, or -1. */
static inline int two_digits(const char *s)
{
	unsigned hi = (unsigned)((unsigned char)s[0] - '0'), lo = (unsigned)((unsigned char)s[1] - '0');

	return hi < 10 && lo < 10 ? (int)(hi * 10 + lo) : -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The minute of a time, "YYYY-MM-DDTHH:MM" (its first 16 bytes), in
 * seconds since the epoch; -1 when they are not one (a minute is a
 * multiple of 60: -1 is never one). */
static int64_t time_minute(const char *s)
{
	int y, y2, mo, d, h, mi;

	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':')
		return -1;
	y = two_digits(s);
	y2 = two_digits(s + 2);
	mo = two_digits(s + 5);
	d = two_digits(s + 8);
	h = two_digits(s + 11);
	mi = two_digits(s + 14);
	if ((y | y2 | mo | d | h | mi) < 0)
		return -1;
	y = y * 100 + y2;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
		return -1;
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* The rest of a time of at least 20 bytes, ":SS[.fraction](Z|+hh:mm|-hh:mm)"
 * from s[16], in microseconds since the epoch given its minute; 0 when it
 * does not parse. */
static int64_t time_rest(const char *s, size_t len, int64_t minute)
{
	int sec, frac = 0, off = 0;
	size_t i = 19;

	if (s[16] != ':')
		return 0;
	sec = two_digits(s + 17);
	if (sec < 0 || sec > 60)
		return 0;
	if (s[i] == '.') {
		/* microseconds: the first six digits, padded; more are read
		 * and dropped */
		static const int scale[] = { 1000000, 100000, 10000, 1000, 100, 10, 1 };
		const unsigned char *f = (const unsigned char *)s + i + 1;
		size_t left = len - i - 1, k = 0;

		if (left >= 6) {
			/* most often all six are there: no loop */
			unsigned a = f[0] - '0', b = f[1] - '0', c = f[2] - '0', e = f[3] - '0',
				 g = f[4] - '0', j = f[5] - '0';

			if (a < 10 && b < 10 && c < 10 && e < 10 && g < 10 && j < 10) {
				frac = (int)((((a * 10 + b) * 10 + c) * 10 + e) * 100 + g * 10 + j);
				k = 6;
			}
		}
		for (; k < 6 && k < left && f[k] >= '0' && f[k] <= '9'; k++)
			frac = frac * 10 + (f[k] - '0');
		frac *= scale[k];
		while (k < left && f[k] >= '0' && f[k] <= '9')
			k++;
		i += 1 + k;
	}
	if (i >= len)
		return 0;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if ((s[i] == '+' || s[i] == '-') && i + 6 <= len && s[i + 3] == ':') {
		int oh = two_digits(s + i + 1), om = two_digits(s + i + 4);

		if ((oh | om) < 0)
			return 0;
		off = (oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return 0;
	}
	if (i != len)
		return 0;
	return (minute + sec - off) * 1000000 + frac;
}

int64_t kag__parse_time(const char *s, size_t len)
{
	int64_t minute;

	if (len < 20 || (minute = time_minute(s)) == -1)
		return 0;
	return time_rest(s, len, minute);
}

/* kag__parse_time() through the event's memo of the last minute it read:
 * the times of a stream's records mostly share their minute. */
static int64_t parse_time_memo(kag_event *ev, const char *s, size_t len)
{
	int64_t minute;

	if (len < 20)
		return 0;
	if (ev->minute_known && memcmp(s, ev->minute_text, sizeof(ev->minute_text)) == 0) {
		minute = ev->minute_s;
	} else {
		minute = time_minute(s);
		if (minute == -1)
			return 0;
		memcpy(ev->minute_text, s, sizeof(ev->minute_text));
		ev->minute_s = minute;
		ev->minute_known = 1;
	}
	return time_rest(s, len, minute);
}

/* ---- public accessors ---- */

int kag_event_field_state(const kag_event *ev, int field)
{
	if (!ev || field < 0 || field >= KAG__FIELD_COUNT)
		return KAG_STATE_ABSENT;
	return ev->state[field];
}

int kag_event_get_string(const char **out, size_t *len_out, const kag_event *ev, int field)
{
	int kind = kag__field_kind(field);

	if (!out || !ev || (kind != KAG__KIND_STRING && kind != KAG__KIND_BODY))
		return KAG_EINVAL;
	if (!kag__has(ev, field))
		return KAG_ENOTFOUND;
	if (kind == KAG__KIND_BODY && !ev->str[field].ptr) {
		/* Serialise a parsed body on first read; cached in the arena. */
		kag_event *mev = (kag_event *)ev;
		json_t *body = kag__event_body(ev, field == KAG_FIELD_REQUEST_OBJECT ? 0 : 1);
		size_t n;
		char *copy;

		if (!body)
			return ev->body_text[field == KAG_FIELD_REQUEST_OBJECT ? 0 : 1].ptr
			       ? KAG_ENOMEM : KAG_ENOTFOUND;
		n = json_dumpb(body, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
		copy = kag__event_alloc(mev, n + 1);
		if (!copy)
			return KAG_ENOMEM;
		json_dumpb(body, copy, n, JSON_COMPACT | JSON_ENCODE_ANY);
		copy[n] = '\0';
		mev->str[field].ptr = copy;
		mev->str[field].len = n;
	}
	*out = ev->str[field].ptr;
	if (len_out)
		*len_out = ev->str[field].len;
	return KAG_OK;
}

int kag_event_get_int(int64_t *out, const kag_event *ev, int field)
{
	if (!out || !ev || kag__field_kind(field) != KAG__KIND_INT)
		return KAG_EINVAL;
	if (!kag__has(ev, field))
		return KAG_ENOTFOUND;
	*out = ev->code;
	return KAG_OK;
}

size_t kag_event_item_count(const kag_event *ev, int field)
{
	int kind = kag__field_kind(field);

	if (!ev || (kind != KAG__KIND_LIST && kind != KAG__KIND_PAIRS))
		return 0;
	return ev->count[field];
}

int kag_event_get_item(const char **out, size_t *len_out, const kag_event *ev, int field, size_t i)
{
	const kag_item *it;

	if (!out || !ev || kag__field_kind(field) != KAG__KIND_LIST)
		return KAG_EINVAL;
	it = kag__item(ev, field, i);
	if (!it)
		return KAG_ENOTFOUND;
	*out = it->val.ptr;
	if (len_out)
		*len_out = it->val.len;
	return KAG_OK;
}

int kag_event_get_pair(const char **key_out, size_t *key_len_out, const char **value_out,
		       size_t *value_len_out, const kag_event *ev, int field, size_t i)
{
	const kag_item *it;

	if (!key_out || !value_out || !ev || kag__field_kind(field) != KAG__KIND_PAIRS)
		return KAG_EINVAL;
	it = kag__item(ev, field, i);
	if (!it)
		return KAG_ENOTFOUND;
	*key_out = it->key.ptr;
	*value_out = it->val.ptr;
	if (key_len_out)
		*key_len_out = it->key.len;
	if (value_len_out)
		*value_len_out = it->val.len;
	return KAG_OK;
}

int kag_event_get_path(const char **out, size_t *len_out, const kag_event *ev,
		       const char *path, size_t len)
{
	static const char ann[] = "annotations.";
	int field, rc, kind;

	if (!out || !ev || (!path && len))
		return KAG_EINVAL;
	if (len > sizeof(ann) - 1 && memcmp(path, ann, sizeof(ann) - 1) == 0) {
		size_t i, klen = len - (sizeof(ann) - 1);
		const char *key = path + sizeof(ann) - 1;

		for (i = 0; i < ev->count[KAG_FIELD_ANNOTATIONS]; i++) {
			const kag_item *it = kag__item(ev, KAG_FIELD_ANNOTATIONS, i);

			if (it->key.len == klen && memcmp(it->key.ptr, key, klen) == 0) {
				*out = it->val.ptr;
				if (len_out)
					*len_out = it->val.len;
				return KAG_OK;
			}
		}
		return KAG_ENOTFOUND;
	}
	rc = kag_field_from_path(&field, path, len);
	if (rc < 0)
		return rc;
	kind = kag__field_kind(field);
	if (kind == KAG__KIND_STRING || kind == KAG__KIND_BODY)
		return kag_event_get_string(out, len_out, ev, field);
	if (!kag__has(ev, field))
		return KAG_ENOTFOUND;
	if (kind == KAG__KIND_INT) {
		kag_event *mev = (kag_event *)ev;
		int n = snprintf(mev->codebuf, sizeof(mev->codebuf), "%lld", (long long)ev->code);

		*out = mev->codebuf;
		if (len_out)
			*len_out = (size_t)n;
		return KAG_OK;
	}
	if (kind == KAG__KIND_LIST)
		return kag_event_get_item(out, len_out, ev, field, 0);
	return KAG_ENOTFOUND;
}

int kag_event_stage(const kag_event *ev)
{
	return ev ? ev->stage : KAG_STAGE_UNKNOWN;
}

int kag_event_level(const kag_event *ev)
{
	return ev ? ev->level : KAG_LEVEL_UNKNOWN;
}

int64_t kag_event_time_us(const kag_event *ev)
{
	return ev ? kag__event_time(ev) : 0;
}

const char *kag_event_format(const kag_event *ev)
{
	return ev && ev->format ? ev->format : "";
}

uint64_t kag_event_line(const kag_event *ev)
{
	return ev ? ev->line : 0;
}

uint64_t kag_event_offset(const kag_event *ev)
{
	return ev ? ev->offset : 0;
}

/* ---- builder ---- */

int kag_event_new(kag_event **out)
{
	kag_event *ev;

	if (!out)
		return KAG_EINVAL;
	*out = NULL;
	ev = kag__malloc(sizeof(*ev));
	if (!ev)
		return KAG_ENOMEM;
	kag__event_init(ev);
	ev->format = "builder";
	*out = ev;
	return KAG_OK;
}

int kag_event_free(kag_event *ev)
{
	if (!ev)
		return KAG_OK;
	/* A parser's event lives inside the parser: freeing it here would
	 * free memory the parser still owns. */
	if (ev->borrowed)
		return KAG_EINVAL;
	kag__event_dispose(ev);
	kag__free(ev);
	return KAG_OK;
}

int kag_event_clear(kag_event *ev)
{
	if (!ev)
		return KAG_EINVAL;
	kag__event_reset(ev);
	return KAG_OK;
}

static int valid_state(int state)
{
	return state == KAG_STATE_OBSERVED || state == KAG_STATE_INFERRED;
}

/* A body given as text: checked now, parsed when a detector asks for it
 * (kag__event_body), as for bodies read by the fast front end. Text the
 * quick check declines is parsed now, by jansson, which has the last
 * word. */
static int set_body(kag_event *ev, int field, const char *text, size_t len)
{
	int slot = field == KAG_FIELD_REQUEST_OBJECT ? 0 : 1;
	json_t *body = NULL;
	int checked = kag__json_check(text, len) == 0;
	if (!checked) {
		body = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!body)
			return KAG_EPARSE; /* the event is left as it was */
	}
	if (ev->body[slot])
		json_decref(ev->body[slot]);
	ev->body[slot] = body;
	ev->body_text[slot].ptr = checked ? text : NULL;
	ev->body_text[slot].len = checked ? len : 0;
	/* as jansson reads it here: a repeated key is not an error */
	ev->body_lax |= 1u << slot;
	return KAG_OK;
}

int kag_event_set_string(kag_event *ev, int field, const char *value, size_t len, int state)
{
	int kind = kag__field_kind(field), rc;
	const char *copy;
	size_t i;

	if (!ev || (!value && len) || !valid_state(state) ||
	    (kind != KAG__KIND_STRING && kind != KAG__KIND_BODY))
		return KAG_EINVAL;
	copy = kag__event_copy(ev, value ? value : "", len);
	if (!copy)
		return KAG_ENOMEM;
	if (kind == KAG__KIND_BODY) {
		rc = set_body(ev, field, copy, len);
		if (rc < 0)
			return rc;
	}
	kag__event_set(ev, field, copy, len, state);
	/* the values derived from this field, and only those */
	switch (field) {
	case KAG_FIELD_STAGE:
		ev->stage = decode_stage(ev->str[field]);
		break;
	case KAG_FIELD_LEVEL:
		ev->level = decode_level(ev->str[field]);
		break;
	case KAG_FIELD_STAGE_TS:
	case KAG_FIELD_REQUEST_RECEIVED_TS:
	case KAG_FIELD_TIMESTAMP:
		/* parsed again when the event time is read */
		for (i = 0; i < sizeof(time_fields) / sizeof(time_fields[0]); i++) {
			if (field == time_fields[i])
				ev->ts_known &= ~(1u << i);
		}
		ev->time_dirty = 1;
		break;
	default:
		break;
	}
	return KAG_OK;
}

int kag_event_set_int(kag_event *ev, int field, int64_t value, int state)
{
	if (!ev || kag__field_kind(field) != KAG__KIND_INT || !valid_state(state))
		return KAG_EINVAL;
	ev->code = value;
	kag__mark(ev, field, state);
	return KAG_OK;
}

int kag_event_add_item(kag_event *ev, int field, const char *value, size_t len, int state)
{
	const char *copy;

	if (!ev || (!value && len) || !valid_state(state) ||
	    kag__field_kind(field) != KAG__KIND_LIST)
		return KAG_EINVAL;
	copy = kag__event_copy(ev, value ? value : "", len);
	if (!copy)
		return KAG_ENOMEM;
	return kag__event_push(ev, field, NULL, 0, copy, len, state);
}

int kag_event_add_pair(kag_event *ev, int field, const char *key, size_t key_len,
		       const char *value, size_t value_len, int state)
{
	const char *k, *v;

	if (!ev || (!key && key_len) || (!value && value_len) || !valid_state(state) ||
	    kag__field_kind(field) != KAG__KIND_PAIRS)
		return KAG_EINVAL;
	k = kag__event_copy(ev, key ? key : "", key_len);
	v = k ? kag__event_copy(ev, value ? value : "", value_len) : NULL;
	if (!v)
		return KAG_ENOMEM;
	return kag__event_push(ev, field, k, key_len, v, value_len, state);
}

int kag_event_set_present(kag_event *ev, int field, int state)
{
	int kind = kag__field_kind(field);

	if (!ev || !valid_state(state) ||
	    (kind != KAG__KIND_OBJECT && kind != KAG__KIND_LIST && kind != KAG__KIND_PAIRS))
		return KAG_EINVAL;
	kag__mark(ev, field, state);
	return KAG_OK;
}
