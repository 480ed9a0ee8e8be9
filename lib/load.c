/* The checks and error reports the policy and rules loaders share. */
#include <stdarg.h>
#include <stdio.h>

#include "load-private.h"

int kag__load_open(json_t **root_out, kag_registry *r, const char *json, size_t len,
		   unsigned max_bytes, const char *name, const char *loaded)
{
	json_error_t jerr;

	*root_out = NULL;
	if (!r || (!json && len))
		return KAG_EINVAL;
	r->err_path[0] = r->err_message[0] = '\0';
	if (r->sealed) {
		kag__registry_error(r, "", "the registry is sealed; load %s before "
				    "kag_registry_seal()", loaded);
		return KAG_ESTATE;
	}
	if (len > max_bytes) {
		kag__registry_error(r, "", "%s is larger than %u bytes", name, max_bytes);
		return KAG_ELIMIT;
	}
	*root_out = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root_out) {
		kag__registry_error(r, "", "line %d, column %d: %s", jerr.line, jerr.column,
				    jerr.text);
		return KAG_EPARSE;
	}
	return KAG_OK;
}

int kag__load_fail(kag_registry *r, const kag__jptr *path, int code, const char *fmt, ...)
{
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	kag__registry_error(r, path->buf, "%s", reason);
	return code;
}
