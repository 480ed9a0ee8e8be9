/* The table of native Event members (see native-private.h). */
#include "native-private.h"

#define KAG__NM_ENTRY_(a, id, name, kind, field, set) \
	[id] = { name, sizeof(name) - 1, KAG__NM_##kind, field, KAG__SET_##set },

static const kag__member top[] = { KAG__NATIVE_TOP(KAG__NM_ENTRY_, 0) };
static const kag__member user[] = { KAG__NATIVE_USER(KAG__NM_ENTRY_, 0) };
static const kag__member object_ref[] = { KAG__NATIVE_OBJECT_REF(KAG__NM_ENTRY_, 0) };
static const kag__member status[] = { KAG__NATIVE_STATUS(KAG__NM_ENTRY_, 0) };

const kag__member_set kag__member_sets[KAG__SET_COUNT_] = {
	[KAG__SET_NONE] = { NULL, 0 },
	[KAG__SET_TOP] = { top, KAG__K_COUNT_ },
	[KAG__SET_USER] = { user, KAG__U_COUNT_ },
	[KAG__SET_OBJECT_REF] = { object_ref, KAG__O_COUNT_ },
	[KAG__SET_STATUS] = { status, KAG__S_COUNT_ },
};

/* Every name is found by the lookups' switch, whose cases stop at
 * KAG__MEMBER_MAX_LEN. */
#define KAG__NM_TOO_LONG_(a, id, name, kind, field, set) + (sizeof(name) - 1 > (a))
_Static_assert(0 KAG__NATIVE_TOP(KAG__NM_TOO_LONG_, KAG__MEMBER_MAX_LEN) == 0,
	       "a top-level member name is longer than KAG__MEMBER_MAX_LEN");
_Static_assert(0 KAG__NATIVE_USER(KAG__NM_TOO_LONG_, KAG__MEMBER_MAX_LEN) +
	       0 KAG__NATIVE_OBJECT_REF(KAG__NM_TOO_LONG_, KAG__MEMBER_MAX_LEN) +
	       0 KAG__NATIVE_STATUS(KAG__NM_TOO_LONG_, KAG__MEMBER_MAX_LEN) == 0,
	       "a member name is longer than KAG__MEMBER_MAX_LEN");

const char kag__not_an_event[] =
	"not an audit event: none of verb, auditID, stage, requestURI, objectRef, user is "
	"present";

int kag__native_identified(const kag_event *ev)
{
	return kag__has(ev, KAG_FIELD_VERB) || kag__has(ev, KAG_FIELD_AUDIT_ID) ||
	       kag__has(ev, KAG_FIELD_STAGE) || kag__has(ev, KAG_FIELD_REQUEST_URI) ||
	       kag__has(ev, KAG_FIELD_OBJECT_REF) || kag__has(ev, KAG_FIELD_USER);
}
