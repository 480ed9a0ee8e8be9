/* anonymous_access: requests by system:anonymous or the
 * system:unauthenticated group that the API server allowed. Health and
 * version endpoints and the OIDC issuer discovery endpoints (policy
 * health_paths, their sub-paths and query strings) are what anonymous
 * clients are meant to reach and are left out;
 * anonymous writes rank highest. */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1078.001", NULL),
	KAG__TECHNIQUE("T1610", "anonymous pod writes"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT,
			      KAG_FIELD_REQUEST_URI };

static int is_anonymous(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_USER_USERNAME, "system:anonymous") ||
	       kag__list_has(ev, KAG_FIELD_USER_GROUPS, "system:unauthenticated");
}

/* The request path (query string dropped) is a health endpoint or below
 * one: /healthz, /livez/ping, /readyz?verbose, /version/. */
static int is_health(const kag_event *ev, const kag__policy *p)
{
	kag_str u = ev->str[KAG_FIELD_REQUEST_URI];
	const char *q;
	size_t n, i;

	if (!kag__usable(ev, KAG_FIELD_REQUEST_URI))
		return 0;
	q = memchr(u.ptr, '?', u.len);
	n = q ? (size_t)(q - u.ptr) : u.len;
	for (i = 0; i < p->health_paths.n; i++) {
		const char *h = p->health_paths.items[i];
		size_t hn = strlen(h);

		if (n >= hn && memcmp(u.ptr, h, hn) == 0 && (n == hn || u.ptr[hn] == '/'))
			return 1;
	}
	return 0;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* a denied anonymous request is rbac_probing's, never access */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return is_anonymous(ev) && !is_health(ev, ctx->policy);
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[64], verb[24], target[160], ip[64];
	kag_str last = kag__last_source_ip(ev);
	int write = kag__verb_is_write(ev);
	int resource = kag__usable(ev, KAG_FIELD_OBJ_RESOURCE);
	int severity;

	if (write)
		severity = KAG_SEVERITY_CRITICAL;
	else if (resource)
		severity = KAG_SEVERITY_HIGH;
	else
		severity = KAG_SEVERITY_MEDIUM; /* discovery or other non-resource paths */
	if (resource) {
		char r[48], ns[64];

		kag__show(ev, KAG_FIELD_OBJ_RESOURCE, r, sizeof(r));
		if (kag__usable(ev, KAG_FIELD_OBJ_SUBRESOURCE)) {
			char sub[32];

			kag__show(ev, KAG_FIELD_OBJ_SUBRESOURCE, sub, sizeof(sub));
			snprintf(target, sizeof(target), "%s/%s in %s", r, sub,
				 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
				 ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns))
				 : "cluster scope");
		} else {
			snprintf(target, sizeof(target), "%s in %s", r,
				 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
				 ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns))
				 : "cluster scope");
		}
	} else {
		kag__show(ev, KAG_FIELD_REQUEST_URI, target, sizeof(target));
	}
	snprintf(ip, sizeof(ip), "%.*s", last.ptr ? (int)(last.len > 60 ? 60 : last.len) : 1,
		 last.ptr ? last.ptr : "?");
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "unauthenticated request (%s) allowed: %s %s from %s (outcome %s)%s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)), target, ip,
		    kag_outcome_name(ctx->outcome),
		    write ? ": an anonymous write" : "");
	kag__finding_attack(f, "T1078.001");
	if (write && kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods"))
		kag__finding_attack(f, "T1610");
	if (!kag__usable(ev, KAG_FIELD_VERB))
		kag__finding_weaker(f, KAG_FIELD_VERB);
	kag__extra_key(f, "anonymousWrite");
	kag__buf_puts(f->extra, write ? "true" : "false");
	return KAG_OK;
}

const kag__detector_def kag__det_anonymous_access = {
	.id = "anonymous_access",
	.title = "Unauthenticated (anonymous) request allowed",
	.about = {
		.finds =
			"requests by system:anonymous or a member of system:unauthenticated that "
			"were allowed or are streaming; writes are critical, resource reads high, "
			"other paths (discovery, openapi) medium; the health endpoints of policy "
			"health_paths (/healthz, /livez, /readyz, /version, and the "
			"service-account issuer's discovery document "
			"/.well-known/openid-configuration and keys /openid/v1/jwks, public by "
			"design), their sub-paths and query strings are left out, from any "
			"source address",
		.fields =
			"user.groups (system:unauthenticated); requestURI for the health "
			"endpoints",
		.false_positives =
			"clusters that bind public-info or discovery roles to anonymous by "
			"design; denied anonymous requests belong to rbac_probing",
		.peers =
			"Falco Anonymous Request Allowed; Panther AnonymousAPIAccess / "
			"API.AnonymousAccess; Elastic anonymous request and anonymous pod write "
			"rules; GuardDuty SuccessfulAnonymousAccess",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.applies = applies,
	.judge = judge,
};
