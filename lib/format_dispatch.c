/* Recognising input shapes: which front end reads a record, which records
 * are lists of records (EventList, JSON arrays, provider batches), and the
 * decoding of JSON documents carried inside strings, under the same limits
 * the framer applies to the outer record. */
#include <stdio.h>
#include <string.h>

#include "budget-private.h"
#include "format-private.h"

void kag__list_dispose(kag__list *l)
{
	if (l->items)
		json_decref(l->items);
	if (l->paths)
		json_decref(l->paths);
	memset(l, 0, sizeof(*l));
}

void kag__list_set(kag__list *l, json_t *items, const char *base, int kind, const char *format)
{
	l->items = json_incref(items);
	l->paths = NULL;
	snprintf(l->base, sizeof(l->base), "%s", base);
	l->kind = kind;
	l->format = format;
}

void kag__list_item_path(const kag__list *l, size_t i, char *buf, size_t n)
{
	json_t *p = l->paths ? json_array_get(l->paths, i) : NULL;

	if (json_is_string(p))
		snprintf(buf, n, "%s", json_string_value(p));
	else
		snprintf(buf, n, "%s/%zu", l->base, i);
}

int kag__nested_json(json_t **out, const char *s, size_t len, const kag__limits *lim,
		     const char *path, kag_fmt_error *err)
{
	kag__budget b;
	kag__budget_scan scan;
	json_error_t jerr;
	const char *what;
	json_t *doc;
	char m[96];
	int rc;

	*out = NULL;
	if (len > lim->max_record)
		return kag__fmt_fail(err, KAG_ELIMIT, path,
				     "embedded document larger than %llu bytes",
				     (unsigned long long)lim->max_record);
	/* The record's budgets, applied to the embedded text (depth counted
	 * from the embedded document's root; values shared by the documents
	 * embedded in one record). */
	b.max_depth = lim->max_depth;
	b.max_string = lim->max_string;
	b.max_values = lim->max_values - (lim->embedded_values ? *lim->embedded_values : 0);
	if (kag__budget_check(s, len, &b, 1, &scan) != KAG__BUDGET_OK) {
		if (scan.hit == KAG__BUDGET_VALUES) {
			b.max_values = lim->max_values;
			snprintf(m, sizeof(m), "more than %llu JSON values in the documents "
				 "embedded in one record (value budget)",
				 (unsigned long long)lim->max_values);
		} else {
			kag__budget_message(m, sizeof(m), &b, scan.hit);
		}
		return kag__fmt_fail(err, KAG_ELIMIT, path, "embedded document: %s", m);
	}
	if (lim->embedded_values)
		*lim->embedded_values += scan.values;
	if (!scan.closed && (scan.in_string || scan.depth > 0))
		return kag__fmt_fail(err, KAG_ETRUNCATED, path,
				     "the embedded event ends before its JSON value closes "
				     "(truncated record)");
	doc = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!doc) {
		rc = kag__json_fault(&jerr, s, len, &what);
		if (rc == KAG_ENOMEM)
			return kag__fmt_fail(err, rc, path,
					     "out of memory reading the embedded document");
		return kag__fmt_fail(err, rc, path, "invalid embedded JSON at byte %d: %s",
				     jerr.position, what);
	}
	*out = doc;
	return KAG_OK;
}

int kag__nested_replace(json_t **out, json_t *holder, const char *key, const kag__limits *lim,
			const char *path, kag_fmt_error *err)
{
	json_t *s = json_object_get(holder, key), *doc;
	int rc;

	rc = kag__nested_json(&doc, json_string_value(s), json_string_length(s), lim, path, err);
	if (rc < 0)
		return rc;
	if (json_object_set_new(holder, key, doc) < 0)
		return kag__fmt_fail(err, KAG_ENOMEM, path, "out of memory");
	*out = doc;
	return KAG_OK;
}

static int json_str_is(json_t *v, const char *lit)
{
	return json_is_string(v) && strcmp(json_string_value(v), lit) == 0;
}

/* ---- single records ---- */

enum { CLS_NATIVE, CLS_GKE, CLS_AKS, CLS_AKS_ROW, CLS_VIAQ, CLS_CW };

static int classify(const kag__keys *k)
{
	json_t *const *v = k->v, *type;

	/* Fast path for the common case: a native event, possibly wrapped by
	 * ViaQ, which keeps the native fields at the top level. */
	if (json_is_string(v[KAG__K_VERB]) && v[KAG__K_AUDIT_ID]) {
		if (v[KAG__K_K8S_AUDIT_LEVEL] || v[KAG__K_OPENSHIFT_AUDIT_LEVEL] || v[KAG__K_LOG_TYPE])
			return CLS_VIAQ;
		if (!v[KAG__K_AUDIT_ID_ROW])
			return CLS_NATIVE;
	}
	type = v[KAG__K_TYPE];
	if (json_is_object(v[KAG__K_PROTO_PAYLOAD]))
		return CLS_GKE;
	if (json_is_string(v[KAG__K_CATEGORY]) && v[KAG__K_PROPERTIES])
		return CLS_AKS;
	if (v[KAG__K_AUDIT_ID_ROW] || v[KAG__K_LOG_S] || json_is_string(v[KAG__K_CATEGORY_ROW]) ||
	    (json_is_string(type) && strncmp(json_string_value(type), "AKS", 3) == 0))
		return CLS_AKS_ROW;
	if (v[KAG__K_K8S_AUDIT_LEVEL] || v[KAG__K_OPENSHIFT_AUDIT_LEVEL] || v[KAG__K_LOG_TYPE])
		return CLS_VIAQ;
	if ((v[KAG__K_MESSAGE] || v[KAG__K_AT_MESSAGE]) && !v[KAG__K_VERB] && !v[KAG__K_AUDIT_ID])
		return CLS_CW;
	return CLS_NATIVE;
}

static const char *const cls_name[] = {
	[CLS_NATIVE] = "native audit event", [CLS_GKE] = "GKE LogEntry",
	[CLS_AKS] = "AKS diagnostic record", [CLS_AKS_ROW] = "Log Analytics row",
	[CLS_VIAQ] = "OpenShift Logging (ViaQ) record", [CLS_CW] = "CloudWatch log event",
};

static const char *forced_name(int forced)
{
	switch (forced) {
	case KAG_FORMAT_NATIVE: return "native";
	case KAG_FORMAT_EVENTLIST: return "eventlist";
	case KAG_FORMAT_GKE: return "gke";
	case KAG_FORMAT_EKS: return "eks";
	case KAG_FORMAT_AKS: return "aks";
	case KAG_FORMAT_OPENSHIFT: return "openshift";
	default: return "auto";
	}
}

static int allowed(int forced, int cls)
{
	switch (forced) {
	case KAG_FORMAT_AUTO: return 1;
	case KAG_FORMAT_GKE: return cls == CLS_GKE;
	case KAG_FORMAT_EKS: return cls == CLS_CW || cls == CLS_NATIVE;
	case KAG_FORMAT_AKS: return cls == CLS_AKS || cls == CLS_AKS_ROW;
	case KAG_FORMAT_OPENSHIFT: return cls == CLS_VIAQ || cls == CLS_NATIVE;
	default: return cls == CLS_NATIVE;
	}
}

int kag__record_fill(kag_event *ev, json_t *obj, int kind, const kag__read_ctx *c,
		     const char *path, kag_fmt_error *err)
{
	const char *native_format = c->list_format ? c->list_format : "native";
	const kag__keys *k;
	kag__keys scanned;
	int cls;

	switch (kind) {
	case KAG__ITEM_SKIP: return KAG__SKIPPED;
	case KAG__ITEM_NATIVE: return kag__fill_native_as(ev, obj, native_format, path, err);
	case KAG__ITEM_CW: return kag__cw_fill(ev, obj, c, path, err);
	case KAG__ITEM_AKS: return kag__aks_fill(ev, obj, c, path, err);
	case KAG__ITEM_AKS_ROW: return kag__aks_row_fill(ev, obj, c, path, err);
	case KAG__ITEM_OTLP: return kag__otlp_fill(ev, obj, c, path, err);
	default: break;
	}
	if (!json_is_object(obj))
		return kag__fill_native_as(ev, obj, native_format, path, err);
	/* the members of a top-level record were found by kag__shape_detect */
	if (c->keys && c->keys->obj == obj) {
		k = c->keys;
	} else {
		kag__keys_scan(&scanned, obj);
		k = &scanned;
	}
	if (c->forced == KAG_FORMAT_NATIVE || c->forced == KAG_FORMAT_EVENTLIST)
		return kag__native_fill_keys(ev, k, native_format, path, err);
	cls = classify(k);
	if (!allowed(c->forced, cls))
		return kag__fmt_fail(err, KAG_ESCHEMA, path,
				     "a %s, but the input format is %s", cls_name[cls],
				     forced_name(c->forced));
	switch (cls) {
	case CLS_GKE: return kag__gke_fill(ev, obj, path, err);
	case CLS_AKS: return kag__aks_fill(ev, obj, c, path, err);
	case CLS_AKS_ROW: return kag__aks_row_fill(ev, obj, c, path, err);
	case CLS_VIAQ: return kag__viaq_fill(ev, obj, path, err);
	case CLS_CW: return kag__cw_fill(ev, obj, c, path, err);
	default: return kag__native_fill_keys(ev, k, native_format, path, err);
	}
}

/* ---- lists ---- */

int kag__shape_detect(json_t *root, const kag__read_ctx *c, kag__list *list, kag_fmt_error *err)
{
	int f = c->forced, native_only = f == KAG_FORMAT_NATIVE || f == KAG_FORMAT_EVENTLIST;
	json_t *items, *v, *verb;
	json_t *const *m;
	kag__keys scanned, *k = c->keys ? c->keys : &scanned;

	memset(list, 0, sizeof(*list));
	if (json_is_array(root)) {
		kag__list_set(list, root, "", native_only ? KAG__ITEM_NATIVE : KAG__ITEM_ANY, "array");
		return KAG__SHAPE_LIST;
	}
	if (!json_is_object(root))
		return kag__fmt_fail(err, KAG_ESCHEMA, "", "expected an audit event object, got %s",
				     kag__json_type_name(root));
	kag__keys_scan(k, root);
	m = k->v;
	verb = m[KAG__K_VERB];
	items = m[KAG__K_ITEMS];
	if (items && f != KAG_FORMAT_GKE && f != KAG_FORMAT_AKS &&
	    (json_str_is(m[KAG__K_KIND], "EventList") || !verb)) {
		if (!json_is_array(items))
			return kag__fmt_fail(err, KAG_ESCHEMA, "/items",
					     "expected array, got %s",
					     kag__json_type_name(items));
		kag__list_set(list, items, "/items", KAG__ITEM_NATIVE, "eventlist");
		return KAG__SHAPE_LIST;
	}
	if (f == KAG_FORMAT_EVENTLIST)
		return kag__fmt_fail(err, KAG_ESCHEMA, "",
				     "expected an EventList or a JSON array of events "
				     "(the input format is eventlist)");
	if (native_only || verb)
		return KAG__SHAPE_EVENT;
	if (f == KAG_FORMAT_AUTO || f == KAG_FORMAT_AKS) {
		if ((v = m[KAG__K_RECORDS])) {
			if (!json_is_array(v))
				return kag__fmt_fail(err, KAG_ESCHEMA, "/records",
						     "expected array, got %s",
						     kag__json_type_name(v));
			kag__list_set(list, v, "/records", KAG__ITEM_AKS, "aks");
			return KAG__SHAPE_LIST;
		}
		if (json_is_array(m[KAG__K_TABLES]))
			return kag__aks_tables_list(root, c, list, err);
	}
	if (f == KAG_FORMAT_AUTO || f == KAG_FORMAT_EKS) {
		if (m[KAG__K_LOG_EVENTS])
			return kag__cw_payload_list(root, "", list, err);
		if (json_is_object(m[KAG__K_AWSLOGS]))
			return kag__cw_awslogs_list(root, c, list, err);
		if ((v = m[KAG__K_EVENTS]) && !m[KAG__K_AUDIT_ID]) {
			if (!json_is_array(v))
				return kag__fmt_fail(err, KAG_ESCHEMA, "/events",
						     "expected array, got %s",
						     kag__json_type_name(v));
			kag__list_set(list, v, "/events", KAG__ITEM_CW, "eks-cloudwatch");
			return KAG__SHAPE_LIST;
		}
	}
	if ((f == KAG_FORMAT_AUTO || f == KAG_FORMAT_OPENSHIFT) &&
	    m[KAG__K_RESOURCE_LOGS])
		return kag__otlp_list(root, c, list, err);
	return KAG__SHAPE_EVENT;
}
