/* Front ends: map a parsed JSON record of one input shape onto event slots. */
#ifndef KAG_FORMAT_PRIVATE_H
#define KAG_FORMAT_PRIVATE_H

#include <jansson.h>

#include "event-private.h"

/* Why a record was rejected: code, message and JSON pointer of the field. */
typedef struct {
	int code;
	char message[256];
	char path[128];
} kag_fmt_error;

int kag__fmt_fail(kag_fmt_error *err, int code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/* Name of a JSON value's type, for messages. */
const char *kag__json_type_name(const json_t *v);

/* Fill `ev` from a native audit.k8s.io Event object (v1 or v1beta1).
 * `prefix` is the JSON pointer of the object within its record ("" or
 * "/items/3"). Returns KAG_OK, KAG_ESCHEMA (err filled) or KAG_ENOMEM. */
int kag__native_fill(kag_event *ev, json_t *obj, const char *prefix, kag_fmt_error *err);

/* Result of recognising a top-level record. */
enum {
	KAG__SHAPE_EVENT,     /* one event object: fill with kag__native_fill */
	KAG__SHAPE_LIST,      /* EventList or array: items to fill one by one */
	KAG__SHAPE_SKIP       /* a record that is not an audit event (counted) */
};

/* Recognise the record's shape. For a list, *items_out is the array. */
int kag__shape_detect(json_t *root, json_t **items_out, const char **format_out,
		      kag_fmt_error *err);

#endif
