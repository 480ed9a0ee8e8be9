/* OpenShift: audit events re-emitted by OpenShift Logging.
 *
 * ViaQ: the native fields at the top level plus collector fields
 * (@timestamp, timestamp, hostname, log_type, log_source, openshift.*);
 * `level` is overwritten with the log level ("default") and the audit level
 * moves to k8s_audit_level / openshift_audit_level. Records of log_type
 * other than audit, and node auditd / OVN audit records, are skipped.
 *
 * OTLP: resourceLogs[].scopeLogs[].logRecords[], each record's
 * body.stringValue holding one native event as a JSON string. Records of a
 * resource whose log type is not audit are skipped.
 *
 * The oauth-server's login events are native events; they are recognised
 * by their authentication.openshift.io/decision annotation (see
 * kag__fill_native_as) and judged on it (see kag__outcome). */
#include <stdio.h>
#include <string.h>

#include "format-private.h"

static int is(json_t *v, const char *lit)
{
	return json_is_string(v) && strcmp(json_string_value(v), lit) == 0;
}

int kag__viaq_fill(kag_event *ev, json_t *o, const char *path, kag_fmt_error *err)
{
	json_t *type = json_object_get(o, "log_type"), *src = json_object_get(o, "log_source");
	json_t *lvl;
	int rc;

	if (json_is_string(type) && !is(type, "audit"))
		return KAG__SKIPPED;
	if (is(src, "auditd") || is(src, "ovn"))
		return KAG__SKIPPED;
	if ((rc = kag__native_fill(ev, o, path, err)) < 0)
		return rc;
	ev->format = "viaq";
	lvl = json_object_get(o, "k8s_audit_level");
	if (!json_is_string(lvl))
		lvl = json_object_get(o, "openshift_audit_level");
	if (json_is_string(lvl))
		kag__event_set(ev, KAG_FIELD_LEVEL, json_string_value(lvl), json_string_length(lvl),
			       KAG_STATE_OBSERVED);
	else if (kag__eq(ev, KAG_FIELD_LEVEL, "default"))
		ev->state[KAG_FIELD_LEVEL] = KAG_STATE_ABSENT;
	/* ViaQ's timestamp is the collector's, not the audit v1beta1 field. */
	ev->state[KAG_FIELD_TIMESTAMP] = KAG_STATE_ABSENT;
	kag__event_finish(ev);
	return KAG_OK;
}

/* 0 when the OTLP resource says its logs are not audit logs. */
static int audit_resource(json_t *rl)
{
	json_t *attrs = json_object_get(json_object_get(rl, "resource"), "attributes"), *a;
	size_t i;

	json_array_foreach(attrs, i, a) {
		json_t *key = json_object_get(a, "key");

		if (is(key, "log_type") || is(key, "openshift.log.type")) {
			json_t *val = json_object_get(json_object_get(a, "value"), "stringValue");

			if (json_is_string(val) && !is(val, "audit"))
				return 0;
		}
	}
	return 1;
}

int kag__otlp_list(json_t *root, const kag__read_ctx *c, kag__list *list, kag_fmt_error *err)
{
	json_t *rls = json_object_get(root, "resourceLogs"), *rl, *sls, *sl, *lrs, *lr;
	json_t *items = NULL, *paths = NULL;
	size_t i, j, k;

	if (!json_is_array(rls))
		return kag__fmt_fail(err, KAG_ESCHEMA, "/resourceLogs",
				     "expected array, got %s",
				     kag__json_type_name(rls));
	items = json_array();
	paths = json_array();
	if (!items || !paths)
		goto oom;
	json_array_foreach(rls, i, rl) {
		int audit = audit_resource(rl);

		sls = json_object_get(rl, "scopeLogs");
		json_array_foreach(sls, j, sl) {
			lrs = json_object_get(sl, "logRecords");
			json_array_foreach(lrs, k, lr) {
				char p[128];

				if (json_array_size(items) >= c->lim->max_items) {
					json_decref(items);
					json_decref(paths);
					return kag__fmt_fail(err, KAG_ELIMIT, "",
							     "more than %llu log records in one record",
							     (unsigned long long)c->lim->max_items);
				}
				snprintf(p, sizeof(p), "/resourceLogs/%zu/scopeLogs/%zu/logRecords/%zu",
					 i, j, k);
				/* null marks a record of a non-audit resource */
				if (json_array_append_new(items, audit ? json_incref(lr) : json_null()) < 0 ||
				    json_array_append_new(paths, json_string(p)) < 0)
					goto oom;
			}
		}
	}
	list->items = items;
	list->paths = paths;
	list->kind = KAG__ITEM_OTLP;
	list->format = "otlp";
	return KAG__SHAPE_LIST;
oom:
	json_decref(items);
	json_decref(paths);
	return kag__fmt_fail(err, KAG_ENOMEM, "", "out of memory");
}

int kag__otlp_fill(kag_event *ev, json_t *rec, const kag__read_ctx *c, const char *path,
		   kag_fmt_error *err)
{
	json_t *body, *sv, *doc;
	char sub[200];
	int rc;

	if (json_is_null(rec))
		return KAG__SKIPPED;
	body = json_object_get(rec, "body");
	sv = json_object_get(body, "stringValue");
	snprintf(sub, sizeof(sub), "%s/body/stringValue", path);
	if (!json_is_string(sv))
		return kag__fmt_fail(err, KAG_ESCHEMA, sub,
				     "expected the audit event as a JSON string, got %s",
				     sv ? kag__json_type_name(sv) : "nothing");
	if ((rc = kag__nested_replace(&doc, body, "stringValue", c->lim, sub, err)) < 0)
		return rc;
	if ((rc = kag__native_fill(ev, doc, sub, err)) < 0)
		return rc;
	ev->format = "otlp";
	return KAG_OK;
}

/* kag__node_prefix() states: where the bytes read so far stand. */
enum { NP_START, NP_TOKEN, NP_BLANKS };

static int node_token_byte(unsigned char c)
{
	return c > ' ' && c != '{' && c != '"' && c < 0x7f;
}

int kag__node_prefix(const char *s, size_t n, int *state, size_t *brace)
{
	size_t i = 0;

	if (*state != NP_BLANKS) {
		while (i < n && node_token_byte((unsigned char)s[i]))
			i++;
		if (i > 0)
			*state = NP_TOKEN;
		if (i == n)
			return KAG__PREFIX_MORE;
		if (*state == NP_START || (s[i] != ' ' && s[i] != '\t'))
			return KAG__PREFIX_NO;
		*state = NP_BLANKS;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n)
		return KAG__PREFIX_MORE;
	if (s[i] != '{')
		return KAG__PREFIX_NO;
	*brace = i;
	return KAG__PREFIX_YES;
}
