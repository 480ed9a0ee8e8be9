/* Reading a request: verb classes, a field against a list of values, the
 * namespace it acts in, the identity that made it and where it came
 * from. Part of the detector kit. */
#ifndef KAG_REQUEST_PRIVATE_H
#define KAG_REQUEST_PRIVATE_H

#include "detector-private.h"
#include "finding-private.h"
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
/* The identity the request acted as (the impersonated one when present)
 * is a person's: a user name outside "system:" (service accounts, nodes,
 * anonymous and the control plane's own users all begin with it). */
int kag__is_person(const kag_event *ev);
/* The product token of a userAgent: "kubectl" of "kubectl/v1.30.1
 * (linux/amd64) kubernetes/abc", "kube-controller-manager" of client-go's
 * "kube-controller-manager/v1.29.2 (...)": up to the first '/', ' ' or '('.
 * Versions, platform and commit are left out. */
kag_str kag__ua_product(kag_str ua);
/* Last sourceIPs entry (the one the client cannot forge), or {NULL,0}. */
kag_str kag__last_source_ip(const kag_event *ev);
/* An info verdict that the session will leave out (the caller did not ask
 * for benign and info verdicts) is reported without formatting a reason:
 * returns 1. Returns 0, having done nothing, when it will be seen. */
int kag__info_unseen(kag_finding *f, const kag__ctx *ctx, int assessment);
/* A ReplicaSet, Pod or Job written by the kube-controller-manager
 * controller that derives it from its owner's template (the
 * deployment-controller's ReplicaSets; the replicaset, replication, job,
 * daemon-set and statefulset controllers' Pods; the cronjob-controller's
 * Jobs; or system:kube-controller-manager's own credential), through an
 * in-cluster client from a private address: judged at the origin, not
 * once per copy. */
int kag__derived_copy(const kag_event *ev, const kag__ctx *ctx);
/* severity raised by steps, at most critical. */
int kag__severity_raise(int severity, int steps);

#endif
