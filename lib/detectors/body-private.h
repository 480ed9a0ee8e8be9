/* Request bodies: a typed walk that treats a full object, a merge patch
 * and every JSON Patch operation alike, without allocating, and the
 * helpers around it. Part of the detector kit. */
#ifndef KAG_BODY_PRIVATE_H
#define KAG_BODY_PRIVATE_H

#include <string.h>

#include "event-private.h"

struct json_t;

/* child() maps a member name (or, for arrays, any element, key NULL or an
 * index segment) of a node of `type` to the child's type (0: not of
 * interest); visit() sees every node of interest; reset() runs before
 * each JSON Patch operation. */
typedef struct {
	int (*child)(int type, const char *key, size_t len);
	void (*visit)(void *ud, int type, struct json_t *v);
	void (*reset)(void *ud);
} kag__body_schema;

/* In a child() function of parameters (type, key, len): the member is
 * named by the string literal. */
#define KAG__KEY(lit) (key && len == sizeof(lit) - 1 && memcmp(key, lit, len) == 0)

void kag__body_walk(const kag__body_schema *s, int type, struct json_t *v, void *ud);
/* A JSON Patch array: add/replace/copy-free operations walked from their
 * path; remove operations are reported to visit() with a NULL value. */
void kag__body_walk_patch(const kag__body_schema *s, int root, struct json_t *ops, void *ud);
/* Walk the request body: a JSON Patch array or an object (full object,
 * merge or strategic merge patch). Returns 0 when there is no body. */
int kag__body_walk_request(const kag__body_schema *s, int root, const kag_event *ev, void *ud);
/* Member `key` of an object as a string, or {NULL,0}. */
kag_str kag__json_str(struct json_t *obj, const char *key);
/* Report that the request body needed to judge is absent. */
void kag__report_needs_body(kag_finding *f, const kag_event *ev, int severity, const char *what);

#endif
