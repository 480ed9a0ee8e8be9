/* The event record: one slot per field, filled by a front end (the jansson
 * front end, a provider mapping, or the builder) and read by gates and
 * detectors. Nothing here knows which front end filled it. */
#ifndef KAG_EVENT_PRIVATE_H
#define KAG_EVENT_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kag.h"

typedef struct {
	const char *ptr;
	size_t len;
} kag_str;

typedef struct {
	int field;
	kag_str key; /* pair fields only */
	kag_str val;
} kag_item;

typedef struct kag_arena_block kag_arena_block;

/* Number of field ids. Private: the public header answers with
 * kag_field_count(), so the count is not compiled into callers. */
#define KAG__FIELD_COUNT (KAG_FIELD_RESPONSE_OBJECT + 1)

struct kag_event {
	uint8_t state[KAG__FIELD_COUNT];
	kag_str str[KAG__FIELD_COUNT];
	uint32_t first[KAG__FIELD_COUNT]; /* index of the first item of a list */
	uint32_t count[KAG__FIELD_COUNT];
	int64_t code;
	int stage;
	int level;
	int64_t time_us;
	int64_t ts[3];            /* parsed time fields, in order of preference */
	unsigned ts_known;        /* bit i: ts[i] is parsed */
	int time_dirty;           /* a time field changed: time_us is stale */

	kag_item *items;
	size_t n_items, cap_items;

	kag_arena_block *arena;   /* copies made by the builder */
	kag_arena_block *arena_at; /* the block allocations start from */
	void *json_root;          /* json_t kept alive while strings point into it */
	void *body[2];            /* json_t of requestObject, responseObject */
	kag_str body_text[2];     /* their JSON text, parsed into body[] on first
				   * use (kag__event_body) */
	char codebuf[24];         /* decimal response code for path reads */
	unsigned body_lax;        /* bit i: body i may repeat keys (builder) */
	/* kag__usable() answers, cached per field (bit = 1 << field): set
	 * bits of usable_known are answered by usable_bits. Cleared whenever
	 * a field is marked, and when the event is finished or reset. */
	uint64_t usable_known, usable_bits;
	/* bit = 1 << field: the field's items are not one run from
	 * first[field] (the builder may interleave fields). */
	uint64_t scattered;

	/* From here on, what belongs to the handle rather than to the record
	 * it holds (kag__event_swap exchanges the members above only). */
	struct kag__member_error *member_err; /* last error of kag_event_set_record(),
				   * kag_event_set_member() or
				   * kag_event_check_native(); allocated by the
				   * first */
	struct kag_parser *reader; /* reads kag_event_set_record()'s text, and
				   * keeps it while the event points into it;
				   * made by its first call */
	const char *format;       /* static */
	const char *source;       /* borrowed from the parser */
	uint64_t line, offset;
	int borrowed;             /* the parser's own event: kag_event_free()
				   * refuses it (set once, never reset) */
	/* The minute ("YYYY-MM-DDTHH:MM") of the last time field read, and
	 * its seconds since the epoch: kept from record to record, as a
	 * stream's records mostly share it (minute_known: set). */
	char minute_text[16];
	int64_t minute_s;
	int minute_known;
};

/* The per-field bit masks of kag_event hold every field id. */
_Static_assert(KAG__FIELD_COUNT <= 64, "field masks are 64 bits wide");

/* Field kinds. */
enum { KAG__KIND_STRING, KAG__KIND_INT, KAG__KIND_LIST, KAG__KIND_PAIRS,
       KAG__KIND_OBJECT, KAG__KIND_BODY };

int kag__field_kind(int field);
/* Exchange the records held by two events (fields, items, arena, trees);
 * what belongs to each handle stays: its error, reader, format, source,
 * position, and whether a parser owns it (the members from member_err on). */
void kag__event_swap(kag_event *a, kag_event *b);
/* kag_event_set_record(): read json[0, len) with parser p (reset first) as
 * a stream that holds that one native record, and move the event it gives
 * into ev (reset). Returns KAG_OK, or the error, with its message and
 * pointer in kag_parser_error_message() and kag_parser_error_path(). */
int kag__parser_read_record(struct kag_parser *p, const char *json, size_t len,
			    kag_event *ev);
void kag__event_init(kag_event *ev);
void kag__event_reset(kag_event *ev);
void kag__event_dispose(kag_event *ev);

/* The event time (time_us), brought up to date after builder calls. */
int64_t kag__event_time(const kag_event *ev);

/* The object field that owns each sub-field, plus one (0: none). */
extern const unsigned char kag__owner[KAG__FIELD_COUNT];

/* Mark a field (and the object that owns it, if absent) present. */
static inline void kag__mark(kag_event *ev, int field, int state)
{
	int owner = kag__owner[field];

	ev->state[field] = (uint8_t)state;
	if (owner && ev->state[owner - 1] == KAG_STATE_ABSENT)
		ev->state[owner - 1] = (uint8_t)state;
	ev->usable_known = 0;
}

/* Front-end fill helpers: strings are borrowed (the jansson front end keeps
 * them alive via json_root; the fast one points into the parser's record
 * bytes) unless copied with kag__event_copy(). */
static inline void kag__event_set(kag_event *ev, int field, const char *s, size_t len, int state)
{
	ev->str[field].ptr = s;
	ev->str[field].len = len;
	kag__mark(ev, field, state);
}

int kag__event_grow_items(kag_event *ev);
/* Forget body `which` (0: requestObject, 1: responseObject), to set it again. */
void kag__event_drop_body(kag_event *ev, int which);

/* Append an item (a list value, or a pair with key k) to field. */
static inline int kag__event_push(kag_event *ev, int field, const char *k, size_t klen,
				  const char *v, size_t vlen, int state)
{
	kag_item *it;

	if (ev->n_items == ev->cap_items) {
		int rc = kag__event_grow_items(ev);

		if (rc < 0)
			return rc;
	}
	if (ev->count[field] == 0)
		ev->first[field] = (uint32_t)ev->n_items;
	else if (ev->items[ev->n_items - 1].field != field)
		ev->scattered |= (uint64_t)1 << field;
	it = &ev->items[ev->n_items++];
	it->field = field;
	it->key.ptr = k;
	it->key.len = klen;
	it->val.ptr = v;
	it->val.len = vlen;
	ev->count[field]++;
	kag__mark(ev, field, state);
	return KAG_OK;
}
const char *kag__event_copy(kag_event *ev, const char *s, size_t len);
char *kag__event_alloc(kag_event *ev, size_t n);
/* Decode stage/level strings and the event time once the slots are filled. */
void kag__event_finish(kag_event *ev);
/* The json_t of requestObject (which = 0) or responseObject (1), parsed
 * from body_text on first use and cached; NULL when absent (or when the
 * text cannot be parsed: out of memory). */
struct json_t *kag__event_body(const kag_event *ev, int which);
/* A name a detector looks for in a body: a member key, or a step of a JSON
 * Patch path. With `only_true`, an occurrence written as the key of a
 * `false` member ("privileged": false) does not count: only a true value
 * (or any other spelling) can matter. */
typedef struct {
	const char *name;
	int only_true;
} kag__body_needle;
/* 0 when the body is still unparsed text in which no needle (an array
 * ended by a NULL name) occurs, except as keys of false members, and
 * there is no \u escape (which could spell any key): no member a detector
 * looks for can then be in it. 1 otherwise. Lets a detector skip parsing
 * bodies it cannot match. */
int kag__event_body_may_contain(const kag_event *ev, int which, const kag__body_needle *needles);

/* Detector-side helpers. */
static inline int kag__has(const kag_event *ev, int field)
{
	return ev->state[field] != KAG_STATE_ABSENT;
}
int kag__is_placeholder(const char *s, size_t len);

/* Comparisons with string literals, inline so that strlen of a literal
 * folds to a constant on the hot path. */
static inline int kag__str_eq(kag_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.ptr && s.len == n && memcmp(s.ptr, lit, n) == 0;
}

static inline int kag__str_prefix(kag_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.ptr && s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

static inline int kag__eq(const kag_event *ev, int field, const char *lit)
{
	return ev->state[field] != KAG_STATE_ABSENT && kag__str_eq(ev->str[field], lit);
}
/* Present and not a placeholder: worked out once per field and event
 * (kag__usable_slow), then answered from the event's cache. */
int kag__usable_slow(const kag_event *ev, int field);
static inline int kag__usable(const kag_event *ev, int field)
{
	if ((unsigned)field < KAG__FIELD_COUNT && ((ev->usable_known >> field) & 1))
		return (int)((ev->usable_bits >> field) & 1);
	return kag__usable_slow(ev, field);
}
/* Item i of a list or pair field, or NULL: read directly when the field's
 * items are one run (always, but for interleaved builder calls). */
const kag_item *kag__item_slow(const kag_event *ev, int field, size_t i);
static inline const kag_item *kag__item(const kag_event *ev, int field, size_t i)
{
	if (i < ev->count[field] && !((ev->scattered >> field) & 1))
		return &ev->items[ev->first[field] + i];
	return kag__item_slow(ev, field, i);
}
/* The items of a list or pair field as one array of count[field] items,
 * or NULL when they are not one run (or there are none): a loop over them
 * then asks kag__item(). */
static inline const kag_item *kag__item_run(const kag_event *ev, int field)
{
	if (ev->count[field] && !((ev->scattered >> field) & 1))
		return &ev->items[ev->first[field]];
	return NULL;
}
/* Value of annotation `key` (klen bytes), or {NULL,0}; kag__annotation()
 * takes a string literal. */
kag_str kag__annotation_n(const kag_event *ev, const char *key, size_t klen);
static inline kag_str kag__annotation(const kag_event *ev, const char *key)
{
	return kag__annotation_n(ev, key, strlen(key));
}

/* RFC 3339 to microseconds since the epoch; 0 when it does not parse. */
int64_t kag__parse_time(const char *s, size_t len);

#endif
