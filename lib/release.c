/* Helm release windows: who is deploying where, from release storage. */
#include <string.h>

#include "detectors/request-private.h"
#include "release-private.h"

static const char storage[] = "sh.helm.release.v1.";

/* helm's own client: "Helm/3.14.2" (helm sets it), compared ignoring
 * case. Only ever a condition next to the identity, never enough alone. */
static int helm_client(const kag_event *ev)
{
	kag_str ua = ev->str[KAG_FIELD_USER_AGENT];
	static const char lit[] = "helm/";
	size_t i;

	if (!kag__usable(ev, KAG_FIELD_USER_AGENT) || ua.len < sizeof(lit) - 1)
		return 0;
	for (i = 0; i < sizeof(lit) - 1; i++)
		if ((ua.ptr[i] | 0x20) != lit[i])
			return 0;
	return 1;
}

static uint64_t window_key(kag_str user, kag_str ns)
{
	uint64_t h = kag__hash_step(0x52e1ea5eULL, user.ptr, user.len);

	return kag__hash_end(kag__hash_step(h, ns.ptr, ns.len));
}

int kag__releases_init(kag__releases *r, const kag__policy *p)
{
	return kag__lru_init(&r->windows, p->principal_capacity, sizeof(int64_t), NULL, NULL);
}

void kag__releases_dispose(kag__releases *r)
{
	kag__lru_dispose(&r->windows);
}

static void open_window(kag__releases *r, uint64_t key, int64_t end)
{
	int64_t *w = kag__lru_find(&r->windows, key);

	if (!w)
		w = kag__lru_insert(&r->windows, key);
	if (*w < end)
		*w = end;
}

void kag__releases_observe(kag__releases *r, const kag_event *ev, int outcome, int64_t now,
			   const kag__policy *p)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	int64_t end = now + (int64_t)p->sequence_window_us;

	if (!kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") &&
	    !kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "configmaps"))
		return;
	if (outcome != KAG_OUTCOME_ALLOWED || !now || !kag__verb_is_write(ev) ||
	    kag__has(ev, KAG_FIELD_IMP_USER) || kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) ||
	    !kag__usable(ev, KAG_FIELD_USER_USERNAME) || !kag__usable(ev, KAG_FIELD_OBJ_NAME) ||
	    !kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ||
	    !kag__str_prefix(ev->str[KAG_FIELD_OBJ_NAME], storage) || !helm_client(ev) ||
	    kag__str_eq(u, "system:anonymous"))
		return;
	open_window(r, window_key(u, ev->str[KAG_FIELD_OBJ_NAMESPACE]), end);
	open_window(r, window_key(u, (kag_str){ "", 0 }), end);
}

int kag__releases_content(kag__releases *r, const kag_event *ev, int64_t now,
			  const kag__policy *p)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	kag_str ns = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? ev->str[KAG_FIELD_OBJ_NAMESPACE]
							      : (kag_str){ "", 0 };
	int64_t *w;

	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME) || kag__has(ev, KAG_FIELD_IMP_USER) ||
	    !helm_client(ev))
		return 0;
	if (kag__strlist_has(&p->deployers, u))
		return 1;
	w = kag__lru_find(&r->windows, window_key(u, ns));
	return w && now && now <= *w;
}
