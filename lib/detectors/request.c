/* Reading a request: the helpers the detectors share. */
#include <string.h>

#include "caller-private.h"
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

int kag__is_person(const kag_event *ev)
{
	int f = kag__usable(ev, KAG_FIELD_IMP_USERNAME) ? KAG_FIELD_IMP_USERNAME
						       : KAG_FIELD_USER_USERNAME;

	return kag__usable(ev, f) && !kag__str_prefix(ev->str[f], "system:");
}

kag_str kag__ua_product(kag_str ua)
{
	size_t n = 0;

	while (n < ua.len && ua.ptr[n] != '/' && ua.ptr[n] != ' ' && ua.ptr[n] != '(')
		n++;
	return (kag_str){ ua.ptr, n };
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

int kag__info_unseen(kag_finding *f, const kag__ctx *ctx, int assessment)
{
	if (ctx->emit_benign)
		return 0;
	f->reported = 1;
	f->assessment = assessment;
	f->severity = KAG_SEVERITY_INFO;
	f->reason[0] = '\0';
	return 1;
}

int kag__severity_raise(int severity, int steps)
{
	severity += steps;
	return severity > KAG_SEVERITY_CRITICAL ? KAG_SEVERITY_CRITICAL : severity;
}

/* The controllers that make copies of a template, and what they make. */
static const struct {
	const char *controller, *resource;
} copiers[] = {
	{ "deployment-controller", "replicasets" },
	{ "replicaset-controller", "pods" },
	{ "replication-controller", "pods" },
	{ "job-controller", "pods" },
	{ "daemon-set-controller", "pods" },
	{ "statefulset-controller", "pods" },
	{ "cronjob-controller", "jobs" },
};

int kag__derived_copy(const kag_event *ev, const kag__ctx *ctx)
{
	static const char ks[] = "system:serviceaccount:kube-system:";
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	kag__caller c;
	size_t i;

	if (!kag__is_platform(ev, ctx) || kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) ||
	    !kag__verb_is(ev, kag__verbs_change))
		return 0;
	if (ctx->identity == KAG__ID_KUBE_SYSTEM_SA) {
		for (i = 0; i < sizeof(copiers) / sizeof(copiers[0]); i++)
			if (u.len == sizeof(ks) - 1 + strlen(copiers[i].controller) &&
			    memcmp(u.ptr + sizeof(ks) - 1, copiers[i].controller,
				   u.len - (sizeof(ks) - 1)) == 0 &&
			    kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, copiers[i].resource))
				break;
		if (i == sizeof(copiers) / sizeof(copiers[0]))
			return 0;
	} else if (!kag__str_eq(u, "system:kube-controller-manager") ||
		   !(kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "replicasets") ||
		     kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods") ||
		     kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "jobs"))) {
		return 0;
	}
	/* the controller's own client, from inside the cluster */
	kag__caller_get(&c, ctx, ev);
	return kag__caller_fits(&c);
}
