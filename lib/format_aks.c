/* AKS: Azure Monitor resource logs of the managed API server.
 *
 * Diagnostic records {"category", "properties": {"log": ...}} (alone or in
 * an Event Hub {"records": [...]} batch): categories kube-audit and
 * kube-audit-admin carry the native event in properties.log, as a JSON
 * string (with a trailing newline) or an object; other categories (klog
 * text of kube-apiserver, scheduler, ...) are skipped. AKS cuts records at
 * 16 KiB: an embedded event that ends early is a KAG_ETRUNCATED error.
 *
 * Log Analytics rows: the resource-specific AKSAudit / AKSAuditAdmin
 * tables (one column per native field, dynamic columns as objects or JSON
 * strings, bodies replaced by "skipped-too-big-size-object" when large:
 * treated as absent), legacy AzureDiagnostics rows (the event in log_s),
 * and the query API's {"tables": [{"columns", "rows"}]} answer. */
#include <stdio.h>
#include <string.h>

#include "format-private.h"

/* Key under which a row keeps the native-shaped object built from it, so
 * the event's borrowed strings live as long as the record. */
#define KEEP_KEY "\001kag:native"

static int audit_category(const char *c)
{
	return strcmp(c, "kube-audit") == 0 || strcmp(c, "kube-audit-admin") == 0;
}

int kag__aks_fill(kag_event *ev, json_t *rec, const kag__read_ctx *c, const char *path,
		  kag_fmt_error *err)
{
	json_t *cat, *props, *log, *doc;
	char sub[200];
	int rc;

	if (!json_is_object(rec))
		return kag__fmt_fail(err, KAG_ESCHEMA, path,
				     "expected an AKS diagnostic record object, got %s",
				     kag__json_type_name(rec));
	cat = json_object_get(rec, "category");
	if (!json_is_string(cat)) {
		snprintf(sub, sizeof(sub), "%s/category", path);
		return kag__fmt_fail(err, KAG_ESCHEMA, sub, "expected string, got %s",
				     cat ? kag__json_type_name(cat) : "nothing");
	}
	if (!audit_category(json_string_value(cat)))
		return KAG__SKIPPED;
	props = json_object_get(rec, "properties");
	if (!json_is_object(props)) {
		snprintf(sub, sizeof(sub), "%s/properties", path);
		return kag__fmt_fail(err, KAG_ESCHEMA, sub, "expected object, got %s",
				     props ? kag__json_type_name(props) : "nothing");
	}
	snprintf(sub, sizeof(sub), "%s/properties/log", path);
	log = json_object_get(props, "log");
	if (json_is_string(log)) {
		if ((rc = kag__nested_replace(&doc, props, "log", c->lim, sub, err)) < 0) {
			if (rc == KAG_ETRUNCATED)
				snprintf(err->message + strlen(err->message),
					 sizeof(err->message) - strlen(err->message),
					 "; AKS cuts records at 16 KiB");
			return rc;
		}
		log = doc;
	} else if (!json_is_object(log)) {
		return kag__fmt_fail(err, KAG_ESCHEMA, sub,
				     "expected the audit event as a string or object, got %s",
				     log ? kag__json_type_name(log) : "nothing");
	}
	if ((rc = kag__native_fill(ev, log, sub, err)) < 0)
		return rc;
	ev->format = "aks";
	return KAG_OK;
}

static const struct {
	const char *column, *field;
	int dynamic;
} columns[] = {
	{ "Level", "level", 0 },
	{ "AuditId", "auditID", 0 },
	{ "Stage", "stage", 0 },
	{ "RequestUri", "requestURI", 0 },
	{ "Verb", "verb", 0 },
	{ "User", "user", 1 },
	{ "ImpersonatedUser", "impersonatedUser", 1 },
	{ "SourceIps", "sourceIPs", 1 },
	{ "UserAgent", "userAgent", 0 },
	{ "ObjectRef", "objectRef", 1 },
	{ "ResponseStatus", "responseStatus", 1 },
	{ "RequestObject", "requestObject", 1 },
	{ "ResponseObject", "responseObject", 1 },
	{ "RequestReceivedTime", "requestReceivedTimestamp", 0 },
	{ "StageReceivedTime", "stageTimestamp", 0 },
	{ "Annotations", "annotations", 1 },
};

int kag__aks_row_fill(kag_event *ev, json_t *row, const kag__read_ctx *c, const char *path,
		      kag_fmt_error *err)
{
	json_t *type, *cat, *log, *native, *v, *doc;
	char sub[200];
	size_t i;
	int rc;

	if (!json_is_object(row))
		return kag__fmt_fail(err, KAG_ESCHEMA, path,
				     "expected a Log Analytics row object, got %s",
				     kag__json_type_name(row));
	type = json_object_get(row, "Type");
	cat = json_object_get(row, "Category");
	if (json_is_string(type) && strcmp(json_string_value(type), "AKSAudit") != 0 &&
	    strcmp(json_string_value(type), "AKSAuditAdmin") != 0 &&
	    strcmp(json_string_value(type), "AzureDiagnostics") != 0)
		return KAG__SKIPPED;
	if (json_is_string(cat) && !audit_category(json_string_value(cat)))
		return KAG__SKIPPED;
	log = json_object_get(row, "log_s");
	if (log) {
		/* AzureDiagnostics: the whole event as a string. */
		snprintf(sub, sizeof(sub), "%s/log_s", path);
		if (!json_is_string(log))
			return kag__fmt_fail(err, KAG_ESCHEMA, sub, "expected string, got %s",
					     kag__json_type_name(log));
		if ((rc = kag__nested_replace(&doc, row, "log_s", c->lim, sub, err)) < 0)
			return rc;
		if ((rc = kag__native_fill(ev, doc, sub, err)) < 0)
			return rc;
		ev->format = "aks-table";
		return KAG_OK;
	}
	native = json_object();
	if (!native || json_object_set_new(row, KEEP_KEY, native) < 0)
		return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		v = json_object_get(row, columns[i].column);
		if (!v || json_is_null(v))
			continue;
		if (columns[i].dynamic && json_is_string(v)) {
			const char *s = json_string_value(v);
			size_t n = json_string_length(v);

			/* A body too large for the table, or an empty dynamic
			 * value: absent. */
			if (n == 0 || strcmp(s, "skipped-too-big-size-object") == 0)
				continue;
			if (s[0] == '{' || s[0] == '[') {
				snprintf(sub, sizeof(sub), "%s/%s", path, columns[i].column);
				if ((rc = kag__nested_json(&doc, s, n, c->lim, sub, err)) < 0)
					return rc;
				if (json_object_set_new(native, columns[i].field, doc) < 0)
					return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
				continue;
			}
		}
		if (json_object_set(native, columns[i].field, v) < 0)
			return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
	}
	if ((rc = kag__native_fill(ev, native, path, err)) < 0)
		return rc;
	ev->format = "aks-table";
	return KAG_OK;
}

int kag__aks_tables_list(json_t *root, const kag__read_ctx *c, kag__list *list,
			 kag_fmt_error *err)
{
	json_t *tables = json_object_get(root, "tables"), *t, *cols, *rows, *r, *col, *cell;
	json_t *items = json_array(), *paths = json_array();
	size_t ti, ri, ci;

	if (!items || !paths)
		goto oom;
	json_array_foreach(tables, ti, t) {
		cols = json_object_get(t, "columns");
		rows = json_object_get(t, "rows");
		if (!json_is_array(cols) || !json_is_array(rows)) {
			char p[64];

			json_decref(items);
			json_decref(paths);
			snprintf(p, sizeof(p), "/tables/%zu", ti);
			return kag__fmt_fail(err, KAG_ESCHEMA, p,
					     "expected \"columns\" and \"rows\" arrays");
		}
		json_array_foreach(rows, ri, r) {
			json_t *obj = json_object();
			char p[64];

			if (json_array_size(items) >= c->lim->max_items) {
				json_decref(obj);
				json_decref(items);
				json_decref(paths);
				return kag__fmt_fail(err, KAG_ELIMIT, "",
						     "more than %llu rows in one record",
						     (unsigned long long)c->lim->max_items);
			}
			snprintf(p, sizeof(p), "/tables/%zu/rows/%zu", ti, ri);
			if (!obj || json_array_append_new(items, obj) < 0 ||
			    json_array_append_new(paths, json_string(p)) < 0)
				goto oom;
			if (!json_is_array(r))
				continue; /* an empty object: rejected when read */
			json_array_foreach(cols, ci, col) {
				json_t *name = json_object_get(col, "name");

				cell = json_array_get(r, ci);
				if (json_is_string(name) && cell &&
				    json_object_set(obj, json_string_value(name), cell) < 0)
					goto oom;
			}
		}
	}
	list->items = items;
	list->paths = paths;
	list->kind = KAG__ITEM_AKS_ROW;
	list->format = "aks-table";
	return KAG__SHAPE_LIST;
oom:
	json_decref(items);
	json_decref(paths);
	return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
}
