/* Reading a request: verb classes, a field against a list of values, the
 * namespace it acts in, the identity that made it and where it came
 * from. Part of the detector kit. */
#ifndef KAG_REQUEST_PRIVATE_H
#define KAG_REQUEST_PRIVATE_H

#include "detector-private.h"
#include "identity-private.h"

/* Verb classes, NULL-terminated (also a definition's index verbs). */
extern const char *const kag__verbs_read[];    /* get, list, watch */
extern const char *const kag__verbs_change[];  /* create, update, patch */
extern const char *const kag__verbs_delete[];  /* delete, deletecollection */
extern const char *const kag__verbs_write[];   /* the change and delete verbs */

/* The field is present and equals one of values (NULL-terminated). */
int kag__eq_any(const kag_event *ev, int field, const char *const *values);

static inline int kag__verb_is(const kag_event *ev, const char *const *verbs)
{
	return kag__eq_any(ev, KAG_FIELD_VERB, verbs);
}

static inline int kag__verb_is_write(const kag_event *ev)
{
	return kag__eq_any(ev, KAG_FIELD_VERB, kag__verbs_write);
}

static inline int kag__verb_is_delete(const kag_event *ev)
{
	return kag__eq_any(ev, KAG_FIELD_VERB, kag__verbs_delete);
}

/* pods/exec, pods/attach or pods/portforward: a session into a container. */
int kag__is_pod_session(const kag_event *ev);
/* objectRef.namespace is one of the policy's system namespaces. */
int kag__in_system_namespace(const kag_event *ev, const kag__policy *p);
/* The identity is a platform one and the request is not impersonated. */
int kag__is_platform(const kag_event *ev, const kag__ctx *ctx);
/* Last sourceIPs entry (the one the client cannot forge), or {NULL,0}. */
kag_str kag__last_source_ip(const kag_event *ev);
/* The userAgent names a command-line tool or a scripting library (kubectl,
 * curl, wget, Python's and other languages' HTTP libraries, a browser):
 * a person's client, not a component's. The client sets it, so it can
 * only ever take trust away, never give it. */
int kag__client_is_tool(const kag_event *ev);

#endif
