/* The members of a native audit.k8s.io Event (v1 and v1beta1) that kag
 * reads: one table, used by both front ends (frontend_jansson.c,
 * frontend_fast.c) and by kag_event_set_member(). For each member it says
 * which field it fills and how its value is taken; the lists below are in
 * the order the members are taken, which is also the order in which their
 * errors are found.
 *
 * Each list is written once, as an X-macro: X(a, ID, "name", KIND, field,
 * SET). The member ids, the table (native_members.c) and the lookups below
 * are all made from it, so a member added here is found, filled and
 * reported by every reader at once. */
#ifndef KAG_NATIVE_PRIVATE_H
#define KAG_NATIVE_PRIVATE_H

#include <stdint.h>
#include <string.h>

#include "event-private.h"

/* How a member's value is taken (null always counts as absent). */
enum {
	KAG__NM_TYPED,    /* kind, apiVersion: a string when present, not kept */
	KAG__NM_STRING,   /* a string field */
	KAG__NM_INT,      /* an integer field (responseStatus.code) */
	KAG__NM_LIST,     /* an array of strings; an empty one is present */
	KAG__NM_MULTIMAP, /* user.extra: an object of arrays of strings (or of
			   * single strings), kept as pairs */
	KAG__NM_MAP,      /* annotations: an object of strings, kept as pairs */
	KAG__NM_OBJECT,   /* an object whose own members are read (its set) */
	KAG__NM_BODY,     /* requestObject, responseObject: any JSON value */
	/* Not members of an Event: they make a record a list or a provider's
	 * record, for format recognition. */
	KAG__NM_ITEMS,    /* items: a list of events */
	KAG__NM_WRAPPER,  /* a provider record's member that a record with a
			   * string verb may still carry (the fast front end
			   * leaves such records to format recognition) */
	KAG__NM_SHAPE     /* any other member format recognition looks at */
};

/* Top-level members. field: KAG_FIELD_*, or -1. */
#define KAG__NATIVE_TOP(X, a) \
	X(a, KAG__K_KIND, "kind", TYPED, -1, NONE) \
	X(a, KAG__K_API_VERSION, "apiVersion", TYPED, -1, NONE) \
	X(a, KAG__K_AUDIT_ID, "auditID", STRING, KAG_FIELD_AUDIT_ID, NONE) \
	X(a, KAG__K_STAGE, "stage", STRING, KAG_FIELD_STAGE, NONE) \
	X(a, KAG__K_LEVEL, "level", STRING, KAG_FIELD_LEVEL, NONE) \
	X(a, KAG__K_VERB, "verb", STRING, KAG_FIELD_VERB, NONE) \
	X(a, KAG__K_REQUEST_URI, "requestURI", STRING, KAG_FIELD_REQUEST_URI, NONE) \
	X(a, KAG__K_USER_AGENT, "userAgent", STRING, KAG_FIELD_USER_AGENT, NONE) \
	X(a, KAG__K_REQUEST_RECEIVED_TS, "requestReceivedTimestamp", STRING, \
	  KAG_FIELD_REQUEST_RECEIVED_TS, NONE) \
	X(a, KAG__K_STAGE_TS, "stageTimestamp", STRING, KAG_FIELD_STAGE_TS, NONE) \
	X(a, KAG__K_TIMESTAMP, "timestamp", STRING, KAG_FIELD_TIMESTAMP, NONE) \
	X(a, KAG__K_USER, "user", OBJECT, KAG_FIELD_USER, USER) \
	X(a, KAG__K_IMP_USER, "impersonatedUser", OBJECT, KAG_FIELD_IMP_USER, USER) \
	X(a, KAG__K_SOURCE_IPS, "sourceIPs", LIST, KAG_FIELD_SOURCE_IPS, NONE) \
	X(a, KAG__K_OBJECT_REF, "objectRef", OBJECT, KAG_FIELD_OBJECT_REF, OBJECT_REF) \
	X(a, KAG__K_RESPONSE_STATUS, "responseStatus", OBJECT, KAG_FIELD_RESPONSE_STATUS, \
	  STATUS) \
	X(a, KAG__K_ANNOTATIONS, "annotations", MAP, KAG_FIELD_ANNOTATIONS, NONE) \
	X(a, KAG__K_REQUEST_OBJECT, "requestObject", BODY, KAG_FIELD_REQUEST_OBJECT, NONE) \
	X(a, KAG__K_RESPONSE_OBJECT, "responseObject", BODY, KAG_FIELD_RESPONSE_OBJECT, NONE) \
	X(a, KAG__K_ITEMS, "items", ITEMS, -1, NONE) \
	X(a, KAG__K_AUDIT_ID_ROW, "AuditId", WRAPPER, -1, NONE) \
	X(a, KAG__K_K8S_AUDIT_LEVEL, "k8s_audit_level", WRAPPER, -1, NONE) \
	X(a, KAG__K_OPENSHIFT_AUDIT_LEVEL, "openshift_audit_level", WRAPPER, -1, NONE) \
	X(a, KAG__K_LOG_TYPE, "log_type", WRAPPER, -1, NONE) \
	X(a, KAG__K_TYPE, "Type", WRAPPER, -1, NONE) \
	X(a, KAG__K_PROTO_PAYLOAD, "protoPayload", WRAPPER, -1, NONE) \
	X(a, KAG__K_CATEGORY, "category", WRAPPER, -1, NONE) \
	X(a, KAG__K_CATEGORY_ROW, "Category", WRAPPER, -1, NONE) \
	X(a, KAG__K_PROPERTIES, "properties", SHAPE, -1, NONE) \
	X(a, KAG__K_LOG_S, "log_s", WRAPPER, -1, NONE) \
	X(a, KAG__K_MESSAGE, "message", SHAPE, -1, NONE) \
	X(a, KAG__K_AT_MESSAGE, "@message", SHAPE, -1, NONE) \
	X(a, KAG__K_RECORDS, "records", SHAPE, -1, NONE) \
	X(a, KAG__K_TABLES, "tables", SHAPE, -1, NONE) \
	X(a, KAG__K_LOG_EVENTS, "logEvents", SHAPE, -1, NONE) \
	X(a, KAG__K_AWSLOGS, "awslogs", SHAPE, -1, NONE) \
	X(a, KAG__K_EVENTS, "events", SHAPE, -1, NONE) \
	X(a, KAG__K_RESOURCE_LOGS, "resourceLogs", SHAPE, -1, NONE)

/* Members of user and impersonatedUser. field: offset from the object's
 * field (KAG_FIELD_USER or KAG_FIELD_IMP_USER: the same order follows
 * both). */
#define KAG__NATIVE_USER(X, a) \
	X(a, KAG__U_USERNAME, "username", STRING, 1, NONE) \
	X(a, KAG__U_UID, "uid", STRING, 2, NONE) \
	X(a, KAG__U_GROUPS, "groups", LIST, 3, NONE) \
	X(a, KAG__U_EXTRA, "extra", MULTIMAP, 4, NONE)

/* Members of objectRef (field: offset from KAG_FIELD_OBJECT_REF). */
#define KAG__NATIVE_OBJECT_REF(X, a) \
	X(a, KAG__O_RESOURCE, "resource", STRING, 1, NONE) \
	X(a, KAG__O_SUBRESOURCE, "subresource", STRING, 2, NONE) \
	X(a, KAG__O_NAMESPACE, "namespace", STRING, 3, NONE) \
	X(a, KAG__O_NAME, "name", STRING, 4, NONE) \
	X(a, KAG__O_API_GROUP, "apiGroup", STRING, 5, NONE) \
	X(a, KAG__O_API_VERSION, "apiVersion", STRING, 6, NONE)

/* Members of responseStatus (field: offset from KAG_FIELD_RESPONSE_STATUS). */
#define KAG__NATIVE_STATUS(X, a) \
	X(a, KAG__S_CODE, "code", INT, 1, NONE) \
	X(a, KAG__S_REASON, "reason", STRING, 2, NONE) \
	X(a, KAG__S_MESSAGE, "message", STRING, 3, NONE) \
	X(a, KAG__S_STATUS, "status", STRING, 4, NONE)

#define KAG__NM_ENUM_(a, id, name, kind, field, set) id,
enum { KAG__NATIVE_TOP(KAG__NM_ENUM_, 0) KAG__K_COUNT_ };
enum { KAG__NATIVE_USER(KAG__NM_ENUM_, 0) KAG__U_COUNT_ };
enum { KAG__NATIVE_OBJECT_REF(KAG__NM_ENUM_, 0) KAG__O_COUNT_ };
enum { KAG__NATIVE_STATUS(KAG__NM_ENUM_, 0) KAG__S_COUNT_ };

/* The Event's own top-level members are KAG__K_KIND .. KAG__K_RESPONSE_OBJECT;
 * the members after them only tell other record shapes apart. */
#define KAG__K_NATIVE_COUNT_ KAG__K_ITEMS

/* The member lists. */
enum { KAG__SET_NONE, KAG__SET_TOP, KAG__SET_USER, KAG__SET_OBJECT_REF, KAG__SET_STATUS,
       KAG__SET_COUNT_ };

typedef struct {
	const char *name;
	unsigned char len;
	unsigned char kind;   /* KAG__NM_* */
	signed char field;    /* KAG_FIELD_*; in an object, an offset from its field */
	unsigned char set;    /* KAG__NM_OBJECT: the KAG__SET_* of its members */
} kag__member;

typedef struct {
	const kag__member *m; /* in the order they are taken */
	unsigned count;
} kag__member_set;

extern const kag__member_set kag__member_sets[KAG__SET_COUNT_];

/* The longest member name. */
#define KAG__MEMBER_MAX_LEN 24

/* ---- finding a member by name ----
 *
 * A switch on the length, each case comparing the names of that length
 * only: the comparisons of the other names fold away, and each memcmp is of
 * a literal of known length, which the compiler turns into a few integer
 * compares. k[0, n) is the key; the result its id in the list, or -1. */
#define KAG__NM_TRY_(n, id, name, kind, field, set) \
	if (sizeof(name) - 1 == (n) && memcmp(k, name, sizeof(name) - 1) == 0) \
		return id;
#define KAG__NM_CASE_(list, n) case n: list(KAG__NM_TRY_, n) break;
#define KAG__NM_LOOKUP_(list) \
	switch (n) { \
	KAG__NM_CASE_(list, 1) KAG__NM_CASE_(list, 2) KAG__NM_CASE_(list, 3) \
	KAG__NM_CASE_(list, 4) KAG__NM_CASE_(list, 5) KAG__NM_CASE_(list, 6) \
	KAG__NM_CASE_(list, 7) KAG__NM_CASE_(list, 8) KAG__NM_CASE_(list, 9) \
	KAG__NM_CASE_(list, 10) KAG__NM_CASE_(list, 11) KAG__NM_CASE_(list, 12) \
	KAG__NM_CASE_(list, 13) KAG__NM_CASE_(list, 14) KAG__NM_CASE_(list, 15) \
	KAG__NM_CASE_(list, 16) KAG__NM_CASE_(list, 17) KAG__NM_CASE_(list, 18) \
	KAG__NM_CASE_(list, 19) KAG__NM_CASE_(list, 20) KAG__NM_CASE_(list, 21) \
	KAG__NM_CASE_(list, 22) KAG__NM_CASE_(list, 23) KAG__NM_CASE_(list, 24) \
	default: break; \
	} \
	return -1;

#if defined(__GNUC__)
#define KAG__NM_INLINE static inline __attribute__((always_inline))
#else
#define KAG__NM_INLINE static inline
#endif

KAG__NM_INLINE int kag__top_member(const char *k, size_t n)
{
	KAG__NM_LOOKUP_(KAG__NATIVE_TOP)
}

/* A member of the object whose members are `set` (KAG__SET_*). */
KAG__NM_INLINE int kag__member_find(int set, const char *k, size_t n)
{
	switch (set) {
	case KAG__SET_TOP: { KAG__NM_LOOKUP_(KAG__NATIVE_TOP) }
	case KAG__SET_USER: { KAG__NM_LOOKUP_(KAG__NATIVE_USER) }
	case KAG__SET_OBJECT_REF: { KAG__NM_LOOKUP_(KAG__NATIVE_OBJECT_REF) }
	case KAG__SET_STATUS: { KAG__NM_LOOKUP_(KAG__NATIVE_STATUS) }
	default: return -1;
	}
}

/* The field of member m of an object whose field is `base` (-1 at the top
 * level). */
static inline int kag__member_field(const kag__member *m, int base)
{
	return base < 0 ? m->field : base + m->field;
}

/* Does the event name one of verb, auditID, stage, requestURI, objectRef
 * and user? A record that names none is not an audit event. */
int kag__native_identified(const kag_event *ev);

/* The message for a record that is not an audit event. */
extern const char kag__not_an_event[];

#endif
