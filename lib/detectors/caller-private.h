/* The caller of a request as far as the record shows it: the service
 * account it authenticated as, the client it used and the address it came
 * from. Structural baselines ask whether these fit an operator doing its
 * job: a service account acting through an in-cluster client from a
 * private address. The userAgent, which the client sets, is read only to
 * raise suspicion (a hand-driven tool or a generic HTTP library), never
 * to trust. Part of the detector kit. */
#ifndef KAG_CALLER_PRIVATE_H
#define KAG_CALLER_PRIVATE_H

#include "address-private.h"
#include "detector-private.h"

typedef struct {
	/* "system:serviceaccount:<ns>:<name>", not impersonated; ptr NULL
	 * for any other identity */
	kag_str sa_ns, sa_name;
	int groups_ok;       /* the groups, when listed, name the account's namespace */
	const char *tool;    /* the tool the userAgent names ("kubectl", "curl", ...), or NULL */
	int no_agent;        /* no userAgent, or an empty one */
	int source;          /* KAG__SOURCE_* of the last sourceIPs entry */
} kag__caller;

void kag__caller_read(kag__caller *c, const kag_event *ev, const kag__policy *p);
/* The same for a detector: read once per event when the context holds a
 * memo (the session gives each event one), then copied. The memo is read
 * by parts, as detectors ask for them: the service account (sa_ns,
 * sa_name, groups_ok), the client (tool, no_agent) and the source. */
enum {
	KAG__CALLER_ACCOUNT = 1,
	KAG__CALLER_AGENT = 2,
	KAG__CALLER_SOURCE = 4,
	KAG__CALLER_ALL = 7
};
struct kag__caller_memo {
	unsigned read; /* KAG__CALLER_* parts of c read; 0 at first */
	kag__caller c;
};
void kag__caller_get(kag__caller *c, const kag__ctx *ctx, const kag_event *ev);
/* One part of it, from the same memo: c.source (KAG__SOURCE_*), the
 * address parsed once for the event's detectors; c.tool. */
int kag__caller_source(const kag__ctx *ctx, const kag_event *ev);
const char *kag__caller_tool(const kag__ctx *ctx, const kag_event *ev);
/* An in-cluster client (a userAgent naming no tool) from a private or
 * trusted address. */
int kag__caller_fits(const kag__caller *c);
/* Evidence of a credential used by hand: a tool or a public address. */
int kag__caller_suspect(const kag__caller *c);
/* A service account whose groups agree, acting through a fitting client:
 * the shape of an operator doing its job. */
static inline int kag__caller_is_operator(const kag__caller *c)
{
	return c->sa_ns.ptr && c->groups_ok && kag__caller_fits(c);
}
/* objectRef.namespace is the service account's own namespace. */
int kag__caller_own_namespace(const kag__caller *c, const kag_event *ev);
/* What does not fit, for a reason: "with kubectl", "from public address
 * 198.51.100.7", "without a userAgent", "from an unknown address", joined
 * by ", "; empty when it fits. */
void kag__caller_misfit(const kag__caller *c, const kag_event *ev, char *out, size_t size);

#endif
