/* Identity classes: who is part of the platform and may be reconciling its
 * own objects (policy: control-plane users, provider and operator
 * prefixes, trusted users). */
#ifndef KAG_IDENTITY_PRIVATE_H
#define KAG_IDENTITY_PRIVATE_H

#include <string.h>

#include "event-private.h"
#include "policy-private.h"

enum {
	KAG__ID_NONE = 0,
	KAG__ID_CONTROL_PLANE,
	KAG__ID_NODE,
	KAG__ID_KUBE_SYSTEM_SA,
	KAG__ID_PROVIDER,
	KAG__ID_PLATFORM_OPERATOR
};
int kag__identity_class(const kag__policy *p, const kag_event *ev, int username_field,
			int groups_field);
const char *kag__identity_class_name(int id_class);

/* An item of a list field (groups, most often) equals value. */
int kag__list_has_n(const kag_event *ev, int field, const char *value, size_t len);
/* The same for a string literal. */
static inline int kag__list_has(const kag_event *ev, int field, const char *value)
{
	return kag__list_has_n(ev, field, value, strlen(value));
}

#endif
