/* Identity classes: who is part of the platform and may be reconciling its
 * own objects. Matched on the authenticated username and, where the record
 * carries them, the groups; never on userAgent, which the client sets. */
#include <string.h>

#include "identity-private.h"

int kag__list_has_n(const kag_event *ev, int field, const char *value, size_t len)
{
	const kag_item *run = kag__item_run(ev, field);
	size_t i, n = ev->count[field];

	for (i = 0; i < n; i++) {
		const kag_item *it = run ? &run[i] : kag__item(ev, field, i);

		if (it && it->val.len == len && it->val.ptr && memcmp(it->val.ptr, value, len) == 0)
			return 1;
	}
	return 0;
}

/* The groups confirm the class when present; an identity whose groups
 * contradict its name is not trusted. */
static int groups_allow(const kag_event *ev, int groups_field, const char *group)
{
	if (!kag__has(ev, groups_field) || ev->count[groups_field] == 0)
		return 1;
	return kag__list_has(ev, groups_field, group);
}

int kag__identity_class(const kag__policy *p, const kag_event *ev, int username_field,
			int groups_field)
{
	kag_str u;

	if (!kag__usable(ev, username_field))
		return KAG__ID_NONE;
	u = ev->str[username_field];
	if (kag__strlist_has(&p->control_plane_users, u) || kag__strlist_has(&p->trusted_users, u))
		return KAG__ID_CONTROL_PLANE;
	if (kag__str_prefix(u, "system:node:") && u.len > 12)
		return groups_allow(ev, groups_field, "system:nodes") ? KAG__ID_NODE : KAG__ID_NONE;
	if (kag__str_prefix(u, "system:serviceaccount:kube-system:") && u.len > 34)
		return groups_allow(ev, groups_field, "system:serviceaccounts:kube-system")
		       ? KAG__ID_KUBE_SYSTEM_SA : KAG__ID_NONE;
	if (kag__strlist_prefix(&p->operator_prefixes, u))
		return KAG__ID_PLATFORM_OPERATOR;
	if (kag__strlist_prefix(&p->provider_prefixes, u))
		return KAG__ID_PROVIDER;
	return KAG__ID_NONE;
}

const char *kag__identity_class_name(int id_class)
{
	switch (id_class) {
	case KAG__ID_CONTROL_PLANE: return "control-plane component";
	case KAG__ID_NODE: return "node";
	case KAG__ID_KUBE_SYSTEM_SA: return "kube-system service account";
	case KAG__ID_PROVIDER: return "cloud-provider component";
	case KAG__ID_PLATFORM_OPERATOR: return "platform operator service account";
	default: return "none";
	}
}
