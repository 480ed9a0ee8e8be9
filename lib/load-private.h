/* What the two JSON documents a registry loads (policy_load.c and
 * rules_load.c) have in common: the checks before a document is read, and
 * rejecting it at the JSON pointer being read. */
#ifndef KAG_LOAD_PRIVATE_H
#define KAG_LOAD_PRIVATE_H

#include <jansson.h>
#include <stddef.h>

#include "detector-private.h"
#include "jptr-private.h"

/* Clear the registry's error detail, then check and parse a document of at
 * most `max_bytes`: *root_out is the parsed document (the caller's), or the
 * error is kept on the registry and returned. `name` says what the document
 * is ("the policy"), `loaded` what must be loaded before the registry is
 * sealed ("the policy", "rules"). */
int kag__load_open(json_t **root_out, kag_registry *r, const char *json, size_t len,
		   unsigned max_bytes, const char *name, const char *loaded);

/* Keep "`path`: reason" as the registry's error detail; returns `code`. */
int kag__load_fail(kag_registry *r, const kag__jptr *path, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

#endif
