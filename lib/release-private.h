/* Helm release windows. helm writes its release storage (a Secret, or a
 * ConfigMap, named sh.helm.release.v1.<release>.v<N>) before it applies a
 * release's objects and again when it is done: an identity that writes it
 * in a namespace is deploying there, and what the same identity's helm
 * client writes in that namespace (and at the cluster scope) within
 * sequence_window_us is the release's content. Identities in the policy's
 * `deployers` list need no storage write first. */
#ifndef KAG_RELEASE_PRIVATE_H
#define KAG_RELEASE_PRIVATE_H

#include "event-private.h"
#include "lru-private.h"
#include "policy-private.h"

typedef struct {
	kag__lru windows;   /* hash(user, namespace or "") -> int64_t end, µs */
} kag__releases;

int kag__releases_init(kag__releases *r, const kag__policy *p);
void kag__releases_dispose(kag__releases *r);
/* Open or extend the writer's window when ev is an allowed write of release
 * storage by a helm client. */
void kag__releases_observe(kag__releases *r, const kag_event *ev, int outcome, int64_t now,
			   const kag__policy *p);
/* ev is written by a helm client of an identity deploying in the object's
 * namespace (or at the cluster scope): inside its window, or a listed
 * deployer. The caller checks the client's address. */
int kag__releases_content(kag__releases *r, const kag_event *ev, int64_t now,
			  const kag__policy *p);

#endif
