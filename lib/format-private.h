/* Front ends: map a parsed JSON record of one input shape onto event slots. */
#ifndef KAG_FORMAT_PRIVATE_H
#define KAG_FORMAT_PRIVATE_H

#include <jansson.h>

#include "event-private.h"
#include "native-private.h"

/* Marks a function called only on an error path: kept out of the hot code,
 * so that the paths taken for every record stay small. */
#if defined(__GNUC__)
#define KAG__COLD __attribute__((cold, noinline))
#else
#define KAG__COLD
#endif

/* Marks a function kept out of its callers, so that a dispatcher calling
 * several of them stays small (its frame is paid on every call). */
#if defined(__GNUC__)
#define KAG__NOINLINE __attribute__((noinline))
#else
#define KAG__NOINLINE
#endif

/* Marks a small function of a per-record loop that must be inlined. */
#if defined(__GNUC__)
#define KAG__INLINE inline __attribute__((always_inline))
#else
#define KAG__INLINE inline
#endif

/* Why a record was rejected: code, message and JSON pointer of the field. */
typedef struct {
	int code;
	char message[256];
	char path[128];
} kag_fmt_error;

int kag__fmt_fail(kag_fmt_error *err, int code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5), cold))
#endif
	;


/* Name of a JSON value's type, for messages. */
const char *kag__json_type_name(const json_t *v);

/* The members of a record object that format recognition and the native
 * front end read (KAG__K_*, native-private.h), found in one pass over its
 * keys (NULL when absent). */
typedef struct {
	const json_t *obj;   /* the object scanned */
	json_t *v[KAG__K_COUNT_];
} kag__keys;

/* Find the members of object `obj` (borrowed references). */
void kag__keys_scan(kag__keys *k, json_t *obj);

/* Fill `ev` from a native audit.k8s.io Event object (v1 or v1beta1).
 * `prefix` is the JSON pointer of the object within its record ("" or
 * "/items/3"). Returns KAG_OK, KAG_ESCHEMA (err filled) or KAG_ENOMEM. */
int kag__native_fill(kag_event *ev, json_t *obj, const char *prefix, kag_fmt_error *err);
/* Same for an object whose members were found already; with `format`
 * (not NULL), event.format is set as kag__fill_native_as does. */
int kag__native_fill_keys(kag_event *ev, const kag__keys *k, const char *format,
			  const char *prefix, kag_fmt_error *err);
/* Take top-level member `id` (KAG__K_*, an Event member other than a body)
 * of a native event from its value v, with the rules of kag__native_fill;
 * strings are copied into the event's arena, v need not outlive it. Returns
 * KAG_OK (the event's derived values not yet decoded), KAG_ESCHEMA (err
 * filled) or KAG_ENOMEM. */
int kag__native_member_fill(kag_event *ev, int id, json_t *v, kag_fmt_error *err);

/* Result of recognising a top-level record. */
enum {
	KAG__SHAPE_EVENT,     /* one record: fill with kag__record_fill */
	KAG__SHAPE_LIST,      /* a list: items to fill one by one */
	KAG__SHAPE_SKIP       /* a record that is not an audit event (counted) */
};

/* ---- input shapes (format_dispatch.c and the provider front ends) ---- */

/* The parser's limits. Documents decoded from a string inside a record
 * (AKS properties.log, a CloudWatch message, an OTLP body, a gzip payload)
 * obey them too: size (max_record), nesting (max_depth, counted from the
 * embedded document's root) and string length (max_string); together, the
 * documents embedded in one record hold at most max_values values
 * (*embedded_values counts them, reset for each record). */
typedef struct {
	uint64_t max_record, max_depth, max_string, max_items, max_values;
	uint64_t *embedded_values;
} kag__limits;

/* How to read a record. */
typedef struct {
	int forced;               /* KAG_FORMAT_* */
	const kag__limits *lim;
	const char *list_format;  /* event.format of native list items, or NULL */
	kag__keys *keys;          /* scratch for the members of a top-level record
				   * object, kept from kag__shape_detect for
				   * kag__record_fill; or NULL */
} kag__read_ctx;

/* Returned by the fill functions for a record recognised as not an audit
 * event (another service, category or log stream): counted as skipped. */
#define KAG__SKIPPED 1

/* What the items of a list are. */
enum {
	KAG__ITEM_ANY,       /* recognise each item (JSON arrays) */
	KAG__ITEM_NATIVE,    /* native events (EventList items) */
	KAG__ITEM_CW,        /* CloudWatch log events {message, ...} */
	KAG__ITEM_AKS,       /* AKS diagnostic records */
	KAG__ITEM_AKS_ROW,   /* Log Analytics rows */
	KAG__ITEM_OTLP,      /* OTLP logRecords (null: a non-audit resource's) */
	KAG__ITEM_SKIP       /* records of a non-audit log stream */
};

/* The items of a list record, handed out one by one. */
typedef struct {
	json_t *items;       /* own reference */
	json_t *paths;       /* own reference or NULL: JSON pointer of each item */
	char base[64];       /* JSON pointer of `items` when paths is NULL */
	int kind;            /* KAG__ITEM_* */
	const char *format;  /* event.format of native items */
} kag__list;

void kag__list_set(kag__list *l, json_t *items, const char *base, int kind, const char *format);
void kag__list_dispose(kag__list *l);
void kag__list_item_path(const kag__list *l, size_t i, char *buf, size_t n);

/* Recognise a top-level record: KAG__SHAPE_EVENT, KAG__SHAPE_LIST (*list
 * filled), KAG__SHAPE_SKIP, or a negative code (err filled). */
int kag__shape_detect(json_t *root, const kag__read_ctx *c, kag__list *list, kag_fmt_error *err);

/* Fill `ev` (freshly reset) from one record: a top-level record
 * (KAG__ITEM_ANY) or a list item of the given kind. Sets ev->format.
 * Returns KAG_OK, KAG__SKIPPED, or a negative code (err filled). Decoded
 * embedded documents are stored back into `obj`, which must outlive the
 * event. */
int kag__record_fill(kag_event *ev, json_t *obj, int kind, const kag__read_ctx *c,
		     const char *path, kag_fmt_error *err);

/* kag__native_fill, then event.format = format ("openshift-oauth" for a
 * native oauth-server login event). */
int kag__fill_native_as(kag_event *ev, json_t *obj, const char *format, const char *path,
			kag_fmt_error *err);

/* Decode the JSON document in s[0, len) under the limits. KAG_OK (*out a
 * new reference), KAG_ETRUNCATED (the text ends inside the value),
 * KAG_ELIMIT or KAG_EPARSE. */
int kag__nested_json(json_t **out, const char *s, size_t len, const kag__limits *lim,
		     const char *path, kag_fmt_error *err);
/* Same for the string holder[key], which is replaced by the document. */
int kag__nested_replace(json_t **out, json_t *holder, const char *key, const kag__limits *lim,
			const char *path, kag_fmt_error *err);

/* Records the parser's jansson front end parsed straight from its buffer,
 * without the framer's pass (for tests). */
uint64_t kag__parser_records_at_once(const struct kag_parser *p);

int kag__gke_fill(kag_event *ev, json_t *entry, const char *path, kag_fmt_error *err);
int kag__cw_fill(kag_event *ev, json_t *obj, const kag__read_ctx *c, const char *path,
		 kag_fmt_error *err);
int kag__cw_payload_list(json_t *payload, const char *base, kag__list *list, kag_fmt_error *err);
int kag__cw_awslogs_list(json_t *root, const kag__read_ctx *c, kag__list *list,
			 kag_fmt_error *err);
/* Base64 of gzip data (a CloudWatch Logs subscription payload) to JSON. */
int kag__b64gzip_json(json_t **out, const char *s, size_t len, const kag__limits *lim,
		      const char *path, kag_fmt_error *err);
int kag__aks_fill(kag_event *ev, json_t *rec, const kag__read_ctx *c, const char *path,
		  kag_fmt_error *err);
int kag__aks_row_fill(kag_event *ev, json_t *row, const kag__read_ctx *c, const char *path,
		      kag_fmt_error *err);
int kag__aks_tables_list(json_t *root, const kag__read_ctx *c, kag__list *list,
			 kag_fmt_error *err);
int kag__viaq_fill(kag_event *ev, json_t *o, const char *path, kag_fmt_error *err);
int kag__otlp_list(json_t *root, const kag__read_ctx *c, kag__list *list, kag_fmt_error *err);
int kag__otlp_fill(kag_event *ev, json_t *rec, const kag__read_ctx *c, const char *path,
		   kag_fmt_error *err);

/* Text lines: a line between records that does not start with '{' or '['
 * may still be one of the providers' line forms. The parser's text-line
 * handling and the splitter (split.c) both ask these, so that they agree on
 * where records start. */

/* EKS: is a text line that starts with s[0, n) a CloudWatch Logs
 * subscription payload as delivered (base64 of gzip, "H4sI..."), a record
 * of its own in the formats that read EKS (KAG_FORMAT_AUTO and _EKS)?
 * 1: yes; 0: no; -1: fewer than 4 bytes, all matching, so it cannot tell
 * yet (a whole line that short is not one). */
int kag__eks_encoded_line(int format, const char *s, size_t n);

/* OpenShift: the node-name prefix `oc adm node-logs` puts before each
 * record ("node-1 {...}"): one token of printable bytes other than space,
 * '{' and '"', then blanks, then the record's '{'. Reads the text line's
 * bytes s[0, n) from *state on (0 at the line's first byte; the bytes may
 * come in several calls). KAG__PREFIX_YES: a prefix, the record starts at
 * s[*brace]; KAG__PREFIX_NO: the line has none; KAG__PREFIX_MORE: all n
 * bytes read, not known yet (at the line's end: none). */
enum { KAG__PREFIX_NO = 0, KAG__PREFIX_YES = 1, KAG__PREFIX_MORE = -1 };
int kag__node_prefix(const char *s, size_t n, int *state, size_t *brace);

#endif
