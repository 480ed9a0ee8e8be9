/* Known callers: known components and Helm releases, applied to a
 * detector's verdict. */
#include <stdio.h>
#include <string.h>

#include "detectors/caller-private.h"
#include "detectors/request-private.h"
#include "known-private.h"

/* Detectors whose findings no identity excuses. */
static const char *const always_judged[] = {
	"interactive_access", "impersonation", "privileged_workload", "node_proxy",
	"credential_minting", "anonymous_access", "public_source", NULL,
};

static int judged_alone(const kag__detector_def *d)
{
	size_t i;

	for (i = 0; always_judged[i]; i++)
		if (strcmp(d->id, always_judged[i]) == 0)
			return 1;
	return 0;
}

/* RBAC findings ranked high grant cluster-admin, wildcards or escalation:
 * privileged content stays judged whoever writes it. */
static int privileged_content(const kag_finding *f, const kag__gate_result *g,
			      const kag__detector_def *d)
{
	return g->passed && f->severity >= KAG_SEVERITY_HIGH &&
	       strcmp(d->id, "rbac_escalation") == 0;
}

/* "user verb resource[/sub] [in namespace] [name]" for the reason. */
static void request_words(const kag_event *ev, char *out, size_t size)
{
	char u[96], v[16], r[48], s[32], ns[64], n[64];
	int sub = kag__usable(ev, KAG_FIELD_OBJ_SUBRESOURCE);
	int has_ns = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE);
	int named = kag__usable(ev, KAG_FIELD_OBJ_NAME);

	snprintf(out, size, "%s %s %s%s%s%s%s%s%s",
		 kag__show(ev, KAG_FIELD_USER_USERNAME, u, sizeof(u)),
		 kag__show(ev, KAG_FIELD_VERB, v, sizeof(v)),
		 kag__show(ev, KAG_FIELD_OBJ_RESOURCE, r, sizeof(r)), sub ? "/" : "",
		 sub ? kag__show(ev, KAG_FIELD_OBJ_SUBRESOURCE, s, sizeof(s)) : "",
		 named ? " " : "", named ? kag__show(ev, KAG_FIELD_OBJ_NAME, n, sizeof(n)) : "",
		 has_ns ? " in namespace " : " at the cluster scope",
		 has_ns ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)) : "");
}

/* Keep what the detector said after `lead`, cut to fit. */
static void rewrite_reason(kag_finding *f, const char *lead)
{
	char was[sizeof(f->reason)];

	memcpy(was, f->reported ? f->reason : "", f->reported ? sizeof(was) : 1);
	was[sizeof(was) - 1] = '\0';
	/* cut where it must be: the lead first, the rest after */
	if (snprintf(f->reason, sizeof(f->reason), "%s%s%s", lead,
		     was[0] ? "; on its own: " : "", was) >= (int)sizeof(f->reason))
		f->reason[sizeof(f->reason) - 1] = '\0';
}

static void routine(kag_finding *f, kag__gate_result *g, const char *lead, const char *tag,
		    const char *name)
{
	rewrite_reason(f, lead);
	/* the detector judged what it could; the verdict is the routine one */
	g->passed = 1;
	f->reported = 1;
	f->assessment = KAG_ASSESSMENT_BENIGN;
	f->severity = KAG_SEVERITY_INFO;
	kag__extra_key(f, "routine");
	kag__buf_putc(f->extra, '"');
	kag__buf_puts(f->extra, tag);
	kag__buf_puts(f->extra, name);
	kag__buf_putc(f->extra, '"');
}

static void component(kag_finding *f, kag__gate_result *g, const kag__detector_def *d,
		      const kag_event *ev, const kag__component *c)
{
	char what[224], lead[sizeof(f->reason)];
	size_t n;

	/* a webhook's content (where it calls, what it enforces) is judged
	 * whoever writes it: only the request the record cannot show is
	 * excused */
	if (kag__component_allows(c, ev) && !privileged_content(f, g, d) &&
	    (!g->passed || strcmp(d->id, "control_plane_tampering") != 0)) {
		request_words(ev, what, sizeof(what));
		if (snprintf(lead, sizeof(lead), "%s: inside what %s is known to do (%.160s)",
			     what, c->name, c->about) >= (int)sizeof(lead))
			lead[sizeof(lead) - 1] = '\0';
		routine(f, g, lead, "known-component:", c->name);
		return;
	}
	if (!g->passed || f->assessment == KAG_ASSESSMENT_NEEDS_CONTEXT)
		return;
	n = strlen(f->reason);
	if (n < sizeof(f->reason) - 1)
		snprintf(f->reason + n, sizeof(f->reason) - n, "; outside what %s is known to do",
			 c->name);
	kag__extra_key(f, "component");
	kag__buf_put_json_str(f->extra, c->name, strlen(c->name));
}

static void release(kag_finding *f, kag__gate_result *g, const kag__detector_def *d,
		    const kag_event *ev)
{
	char what[224], lead[sizeof(f->reason)];
	size_t n;

	if (privileged_content(f, g, d))
		return;
	/* a webhook sees or rewrites every object it is sent: a release's
	 * webhooks stay visible, at low */
	if (g->passed && f->assessment != KAG_ASSESSMENT_NEEDS_CONTEXT &&
	    strcmp(d->id, "control_plane_tampering") == 0) {
		if (f->severity > KAG_SEVERITY_LOW)
			f->severity = KAG_SEVERITY_LOW;
		n = strlen(f->reason);
		if (n < sizeof(f->reason) - 1)
			snprintf(f->reason + n, sizeof(f->reason) - n, "; part of a Helm release "
				 "by an identity deploying in this namespace");
		kag__extra_key(f, "release");
		kag__buf_puts(f->extra, "\"helm\"");
		return;
	}
	/* a listing of the namespace's secrets is not release content */
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") && !kag__eq(ev, KAG_FIELD_VERB, "get") &&
	    !kag__verb_is_write(ev))
		return;
	request_words(ev, what, sizeof(what));
	snprintf(lead, sizeof(lead), "%s: content of a Helm release (the identity wrote the "
		 "namespace's release storage with helm)", what);
	routine(f, g, lead, "helm-release", "");
}

void kag__known_settle(kag_finding *f, kag__gate_result *g, const kag__detector_def *d,
		       const kag_event *ev, const kag__ctx *ctx, kag__releases *rel)
{
	const kag__component *c;
	kag__caller who;

	if (g->passed && (!f->reported || f->severity == KAG_SEVERITY_INFO ||
			  f->assessment == KAG_ASSESSMENT_BENIGN))
		return;
	if (judged_alone(d))
		return;
	kag__caller_get(&who, ctx, ev);
	if (kag__caller_suspect(&who))
		return;
	/* a service account whose groups do not name its namespace is not
	 * the API server's token: no component */
	c = who.sa_ns.ptr && !who.groups_ok ? NULL : kag__policy_component(ctx->policy, ev);
	if (c)
		component(f, g, d, ev, c);
	else if (kag__releases_content(rel, ev, ctx->now_us, ctx->policy))
		release(f, g, d, ev);
}
