/* Reading a request: the helpers the detectors share. */
#include "request-private.h"

const char *const kag__verbs_read[] = { "get", "list", "watch", NULL };
const char *const kag__verbs_change[] = { "create", "update", "patch", NULL };
const char *const kag__verbs_delete[] = { "delete", "deletecollection", NULL };
const char *const kag__verbs_write[] = { "create", "update", "patch", "delete",
					 "deletecollection", NULL };

int kag__eq_any(const kag_event *ev, int field, const char *const *values)
{
	size_t i;

	if (!kag__has(ev, field))
		return 0;
	for (i = 0; values[i]; i++)
		if (kag__str_eq(ev->str[field], values[i]))
			return 1;
	return 0;
}

int kag__is_pod_session(const kag_event *ev)
{
	static const char *const sessions[] = { "exec", "attach", "portforward", NULL };

	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods") &&
	       kag__eq_any(ev, KAG_FIELD_OBJ_SUBRESOURCE, sessions);
}

int kag__in_system_namespace(const kag_event *ev, const kag__policy *p)
{
	return kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) &&
	       kag__strlist_has(&p->system_namespaces, ev->str[KAG_FIELD_OBJ_NAMESPACE]);
}

int kag__is_platform(const kag_event *ev, const kag__ctx *ctx)
{
	return ctx->identity != KAG__ID_NONE && !kag__has(ev, KAG_FIELD_IMP_USER);
}

kag_str kag__last_source_ip(const kag_event *ev)
{
	kag_str none = { NULL, 0 };
	const kag_item *it;

	if (ev->count[KAG_FIELD_SOURCE_IPS] == 0)
		return none;
	it = kag__item(ev, KAG_FIELD_SOURCE_IPS, ev->count[KAG_FIELD_SOURCE_IPS] - 1);
	return it ? it->val : none;
}

int kag__client_is_tool(const kag_event *ev)
{
	static const char *const tools[] = {
		"kubectl", "curl/", "wget/", "python-requests/", "python-urllib", "python-httpx/",
		"aiohttp/", "httpie/", "postmanruntime/", "mozilla/", "k9s", "powershell", NULL,
	};
	kag_str ua;
	size_t i, j, n;

	if (!kag__usable(ev, KAG_FIELD_USER_AGENT))
		return 0;
	ua = ev->str[KAG_FIELD_USER_AGENT];
	for (i = 0; tools[i]; i++) {
		n = strlen(tools[i]);
		if (ua.len < n)
			continue;
		for (j = 0; j < n; j++)
			if ((ua.ptr[j] | 0x20) != tools[i][j] && ua.ptr[j] != tools[i][j])
				break;
		if (j == n)
			return 1;
	}
	return 0;
}
