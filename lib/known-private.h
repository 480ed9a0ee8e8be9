/* Known callers: what a known component (component.c) or a Helm release
 * (release.c) makes of a built-in detector's verdict, after the detector
 * judged the request on its own (so that its correlation state still
 * counts the request). */
#ifndef KAG_KNOWN_PRIVATE_H
#define KAG_KNOWN_PRIVATE_H

#include "detector-private.h"
#include "finding-private.h"
#include "gate-private.h"
#include "release-private.h"

/* f and g are the detector's finding and gate result on ev (f reported,
 * or g not passed). A suspicious or needs_context verdict on a request
 * inside its known component's rules, or in a Helm release of a deploying
 * identity, becomes a benign info verdict (evidence.routine
 * "known-component:<name>" or "helm-release"); a webhook configuration in
 * a release ranks low at most; a finding on a known component's request
 * outside its rules says so. Never for a request whose client is a tool
 * or whose address is public, nor for the detectors whose findings no
 * identity excuses (exec/attach, impersonation, privileged workloads,
 * node proxy, token minting, anonymous access, public sources), nor for
 * RBAC findings ranked high (privileged bindings, wildcard roles). */
void kag__known_settle(kag_finding *f, kag__gate_result *g, const kag__detector_def *d,
		       const kag_event *ev, const kag__ctx *ctx, kag__releases *rel);

#endif
