/* rbac_probing: denied requests. One denial against a sensitive resource,
 * an anonymous pod create from a public address or a workload create in a
 * system namespace is a low denied attempt; a burst of denials by one
 * principal (username plus the last source IP) within a window is one
 * probing verdict with counts and the distinct resources tried (anonymous
 * principals burst at half the threshold). Every other denial is info, so
 * that no denied request goes unrecorded. Windows run on event time.
 * Denials that are not an identity trying what it may not do (admission
 * refusals, the Node authorizer's, a platform identity's at start-up) are
 * info and not counted. */
#include <stdio.h>
#include <string.h>

#include "burst-private.h"
#include "address-private.h"
#include "caller-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "gate-private.h"
#include "redact-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1613", NULL),
	KAG__TECHNIQUE("T1069.003", "bursts"),
	KAG__TECHNIQUE("T1552.007", "denied secret reads"),
	KAG__TECHNIQUE("T1610", "denied workload creates"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_VERB };
static const int wanted[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_SOURCE_IPS,
			      KAG_FIELD_USER_AGENT };

#define NAME_MAX_ 48

/* How long after its first denial a platform identity's denials are taken
 * for start-up: informers listing before a restarted API server's
 * authorization cache is warm. */
#define STARTUP_US (300LL * 1000000)

/* Per principal: its window of denials and the resources they were for,
 * and when the session saw its first denial (0: none yet). */
typedef struct {
	kag__window w;
	int64_t first_denial_us;
	size_t n_distinct;
	char distinct[KAG__MAX_DISTINCT][NAME_MAX_];
} probe_state;

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	(void)ev;
	return ctx->outcome == KAG_OUTCOME_DENIED;
}

/* "resource[/subresource]", or the request path for non-resource URLs. */
static void target_name(const kag_event *ev, char *out, size_t size)
{
	if (kag__usable(ev, KAG_FIELD_OBJ_RESOURCE)) {
		kag_str r = ev->str[KAG_FIELD_OBJ_RESOURCE];

		if (kag__usable(ev, KAG_FIELD_OBJ_SUBRESOURCE)) {
			kag_str s = ev->str[KAG_FIELD_OBJ_SUBRESOURCE];

			snprintf(out, size, "%.*s/%.*s", (int)r.len, r.ptr, (int)s.len, s.ptr);
		} else {
			snprintf(out, size, "%.*s", (int)r.len, r.ptr);
		}
	} else if (kag__usable(ev, KAG_FIELD_REQUEST_URI)) {
		kag_str u = ev->str[KAG_FIELD_REQUEST_URI];

		snprintf(out, size, "%.*s", (int)kag__uri_path_len(u.ptr, u.len), u.ptr);
	} else {
		snprintf(out, size, "?");
	}
	/* keep it printable */
	for (; *out; out++)
		if ((unsigned char)*out < 0x20 || *out == 0x7f)
			*out = '?';
}

static int is_sensitive(const kag__policy *p, const char *target)
{
	kag_str t = { target, strlen(target) };

	return kag__strlist_has(&p->sensitive_resources, t);
}

/* No identity the cluster knows: system:anonymous, the
 * system:unauthenticated group, or a credential refused outright (401).
 * Such a caller has no routine reason to be denied, so its denials burst
 * at half the policy's probe_threshold. */
static int unauthenticated(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_USER_USERNAME, "system:anonymous") ||
	       kag__list_has(ev, KAG_FIELD_USER_GROUPS, "system:unauthenticated") ||
	       (kag__has(ev, KAG_FIELD_RESPONSE_CODE) && ev->code == 401);
}

static uint64_t burst_threshold(const kag_event *ev, const kag__policy *p)
{
	return unauthenticated(ev) ? (p->probe_threshold + 1) / 2 : p->probe_threshold;
}

/* The workloads whose create runs code: pods and their controllers. */
static const char *const workloads[] = { "pods", "deployments", "statefulsets",
					 "daemonsets", "replicasets", "jobs", "cronjobs",
					 "replicationcontrollers", NULL };

/* A single denied write that matters without a burst: why, or NULL. */
static const char *denied_write(const kag_event *ev, const kag__ctx *ctx)
{
	if (!kag__eq(ev, KAG_FIELD_VERB, "create") || kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) ||
	    !kag__eq_any(ev, KAG_FIELD_OBJ_RESOURCE, workloads))
		return NULL;
	if (unauthenticated(ev) && kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods") &&
	    kag__source_kind(ev, ctx->policy) == KAG__SOURCE_PUBLIC)
		return "an unauthenticated caller from a public address trying to run a pod";
	if (kag__in_system_namespace(ev, ctx->policy) && !kag__is_platform(ev, ctx))
		return "a workload create in a system namespace by an identity outside the "
		       "platform";
	return NULL;
}

/* The state of a principal: username plus last source IP. */
static probe_state *principal_state(kag__ctx *ctx, const kag_event *ev)
{
	kag_str user = kag__usable(ev, KAG_FIELD_USER_USERNAME) ? ev->str[KAG_FIELD_USER_USERNAME]
								: (kag_str){ "", 0 };
	kag_str ip = kag__last_source_ip(ev);

	return kag__state_get(ctx, kag__hash(user.ptr, user.len, 0x9e3779b97f4a7c15ULL) ^
				   kag__hash(ip.ptr ? ip.ptr : "", ip.len, 0x2545f4914f6cdd1dULL));
}

/* A kubelet asking for an object of a pod not bound to it: the Node
 * authorizer's "no relationship found between node ... and this object". */
static int node_authorizer(const kag_event *ev, const kag__ctx *ctx)
{
	static const char why[] = "no relationship found between node";
	kag_str r = kag__annotation(ev, "authorization.k8s.io/reason");
	kag_str m = ev->str[KAG_FIELD_RESPONSE_MESSAGE];
	size_t i;

	if (ctx->identity != KAG__ID_NODE || kag__has(ev, KAG_FIELD_IMP_USER))
		return 0;
	for (i = 0; r.ptr && i + sizeof(why) - 1 <= r.len; i++)
		if (memcmp(r.ptr + i, why, sizeof(why) - 1) == 0)
			return 1;
	if (!kag__usable(ev, KAG_FIELD_RESPONSE_MESSAGE))
		return 0;
	for (i = 0; i + sizeof(why) - 1 <= m.len; i++)
		if (memcmp(m.ptr + i, why, sizeof(why) - 1) == 0)
			return 1;
	return 0;
}

/* Denials that are not probing: reported info and not counted. */
enum { Q_NONE, Q_ADMISSION, Q_NODE_AUTHORIZER, Q_STARTUP };

static int quiet(const kag_event *ev, kag__ctx *ctx, probe_state *st)
{
	kag__caller c;

	if (kag__denied_by(ev) == KAG__DENIED_ADMISSION)
		return Q_ADMISSION;
	if (!kag__is_platform(ev, ctx))
		return Q_NONE;
	kag__caller_get(&c, ctx, ev);
	if (!kag__caller_fits(&c))
		return Q_NONE;
	if (node_authorizer(ev, ctx))
		return Q_NODE_AUTHORIZER;
	if (!st)
		return Q_NONE;
	if (!st->first_denial_us)
		st->first_denial_us = ctx->now_us ? ctx->now_us : 1;
	return ctx->now_us - st->first_denial_us <= STARTUP_US ? Q_STARTUP : Q_NONE;
}

static int report_quiet(kag_finding *f, const kag_event *ev, kag__ctx *ctx, int q,
			const char *target, const char *user)
{
	char verb[32];
	int platform = kag__is_platform(ev, ctx);
	int severity = KAG_SEVERITY_INFO;

	/* someone outside the platform refused by admission on a sensitive
	 * resource: a denied attempt all the same */
	if (q == Q_ADMISSION && !platform && is_sensitive(ctx->policy, target))
		severity = KAG_SEVERITY_LOW;
	if (severity == KAG_SEVERITY_INFO &&
	    kag__info_unseen(f, ctx, platform ? KAG_ASSESSMENT_BENIGN : KAG_ASSESSMENT_SUSPICIOUS))
		return KAG_OK;
	kag__report(f, platform ? KAG_ASSESSMENT_BENIGN : KAG_ASSESSMENT_SUSPICIOUS, severity,
		    KAG_CONFIDENCE_HIGH, "denied %s on %s by %s (response %lld): %s",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)), target, user,
		    kag__has(ev, KAG_FIELD_RESPONSE_CODE) ? (long long)ev->code : 0LL,
		    q == Q_ADMISSION
		    ? "refused by admission after authorization allowed it, not permission probing"
		    : q == Q_NODE_AUTHORIZER
		    ? "the Node authorizer found no pod on this node using the object (a kubelet "
		      "ahead of its pod's binding), not permission probing"
		    : "a platform identity denied within its first minutes (informers starting "
		      "before the authorization cache is warm), not permission probing");
	if (severity > KAG_SEVERITY_INFO)
		kag__finding_attack(f, strcmp(target, "secrets") == 0 ? "T1552.007" : "T1613");
	return KAG_OK;
}

/* Any other single denial: info, so that a denied request is never
 * invisible (kag-triage --all prints it). */
static int report_single(kag_finding *f, const kag_event *ev, kag__ctx *ctx,
			 const char *target, const char *user, const char *ip)
{
	int a = kag__is_platform(ev, ctx) ? KAG_ASSESSMENT_BENIGN : KAG_ASSESSMENT_SUSPICIOUS;
	char verb[32];

	if (kag__info_unseen(f, ctx, a))
		return KAG_OK;
	kag__report(f, a, KAG_SEVERITY_INFO, KAG_CONFIDENCE_HIGH,
		    "denied %s on %s by %s from %s (response %lld): a single denial of a "
		    "resource not counted as sensitive, below the burst threshold",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)), target, user, ip,
		    kag__has(ev, KAG_FIELD_RESPONSE_CODE) ? (long long)ev->code : 0LL);
	return KAG_OK;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char target[NAME_MAX_], user[128], ip[64], verb[32];
	probe_state *st = principal_state(ctx, ev);
	kag_str last_ip = kag__last_source_ip(ev);
	const char *why;
	size_t i;
	int rc, q;

	target_name(ev, target, sizeof(target));
	snprintf(ip, sizeof(ip), "%.*s", last_ip.ptr ? (int)last_ip.len : 1,
		 last_ip.ptr ? last_ip.ptr : "?");
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb));
	q = quiet(ev, ctx, st);
	if (q != Q_NONE)
		return report_quiet(f, ev, ctx, q, target, user);

	/* the lateness allowance is measured from the newest denial seen */
	rc = st ? kag__window_count(&st->w, ctx, ctx->policy->probe_window_us,
				    KAG__LATE_FROM_NEWEST) : KAG__WINDOW_LATE;
	if (rc != KAG__WINDOW_LATE) {
		if (rc == KAG__WINDOW_OPENED)
			st->n_distinct = 0;
		for (i = 0; i < st->n_distinct; i++)
			if (strcmp(st->distinct[i], target) == 0)
				break;
		if (i == st->n_distinct && st->n_distinct < KAG__MAX_DISTINCT)
			snprintf(st->distinct[st->n_distinct++], NAME_MAX_, "%s", target);
		if (st->w.reported)
			return KAG_OK; /* the burst verdict already covers this window */
		if (kag__window_due(&st->w, st->w.count, burst_threshold(ev, ctx->policy))) {
			kag__report(f, KAG_ASSESSMENT_SUSPICIOUS,
				    st->n_distinct >= 3 ? KAG_SEVERITY_HIGH : KAG_SEVERITY_MEDIUM,
				    KAG_CONFIDENCE_HIGH,
				    "%llu denied requests by %s from %s within %llu s across %zu "
				    "distinct resources: permission probing",
				    (unsigned long long)st->w.count, user, ip,
				    (unsigned long long)(ctx->policy->probe_window_us / 1000000),
				    st->n_distinct);
			kag__correlate(f, ctx, st->w.count, st->w.first_us, st->w.last_us);
			f->n_distinct = st->n_distinct;
			for (i = 0; i < st->n_distinct; i++)
				f->distinct[i] = st->distinct[i];
			kag__finding_attack(f, "T1613");
			kag__finding_attack(f, "T1069.003");
			if (!kag__usable(ev, KAG_FIELD_USER_USERNAME))
				kag__finding_weaker(f, KAG_FIELD_USER_USERNAME);
			return KAG_OK;
		}
	}
	why = denied_write(ev, ctx);
	if (!why && !is_sensitive(ctx->policy, target))
		return report_single(f, ev, ctx, target, user, ip);
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_LOW, KAG_CONFIDENCE_HIGH,
		    "denied %s on %s by %s from %s (response %lld): a denied attempt, not access%s%s",
		    verb, target, user, ip,
		    kag__has(ev, KAG_FIELD_RESPONSE_CODE) ? (long long)ev->code : 0LL,
		    why ? ": " : "", why ? why : "");
	kag__finding_attack(f, why ? "T1610" : strcmp(target, "secrets") == 0 ? "T1552.007"
									: "T1613");
	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME))
		kag__finding_weaker(f, KAG_FIELD_USER_USERNAME);
	return KAG_OK;
}

const kag__detector_def kag__det_rbac_probing = {
	.id = "rbac_probing",
	.title = "Denied requests: single denied attempts and per-principal probing bursts",
	.about = {
		.finds =
			"requests denied with 401/403 or an authorization forbid decision; a "
			"single denial against a sensitive resource (secrets, exec/attach, "
			"serviceaccounts/token, RBAC objects, nodes/proxy, CSRs, webhooks), a "
			"denied pod create by an unauthenticated caller (system:anonymous, "
			"system:unauthenticated or a 401) from a public address, or a denied "
			"pod or workload create in a system namespace by an identity outside "
			"the platform, is a low denied attempt; a burst of denials by one "
			"principal (username plus last source IP) within the window (default "
			"10 in 1800 s; for unauthenticated callers half probe_threshold, "
			"default 5) is one probing verdict with correlation count, first/last "
			"time and distinct resources; every other single denial is an info "
			"verdict with outcome denied (kag-triage --all prints it)",
		.fields = "the outcome is responseStatus.code or authorization.k8s.io/decision; "
			  "who refused it (evidence.denied_by) is read from the decision and "
			  "responseStatus.message",
		.severity =
			"info, never counted toward a burst: denials by admission (a 403 or 422 "
			"whose message names an admission webhook, PodSecurity or a "
			"ValidatingAdmissionPolicy, or a 403 with a message after the "
			"authorizers allowed it; low when someone outside the platform is "
			"refused on a sensitive resource); and, for platform identities "
			"(control plane, nodes, kube-system service accounts, providers) "
			"through an in-cluster client from a private address, Node-authorizer "
			"denials of kubelets ('no relationship found between node') and "
			"denials within 300 s of the first denial the session saw of that "
			"principal (informers starting before a restarted API server's "
			"authorization cache is warm)",
		.false_positives =
			"misconfigured controllers retrying a forbidden call (look at the "
			"identity); a denial is never reported as access. Limits: a platform "
			"credential used with a client-go userAgent from inside the cluster "
			"probes unseen for its first 300 s, and a stolen kubelet credential "
			"asking for other nodes' secrets through the kubelet's userAgent from "
			"the node's address looks like a kubelet ahead of its pod; used with "
			"kubectl, curl, without a userAgent or from a public address, both "
			"count as probing. A 403 with an allow decision but no message counts "
			"as an authorization denial",
		.peers =
			"Panther Multiple403 / Multiple403.PublicIP / Secret.AccessDenied, "
			"Elastic enumeration and forbidden-request rules, Sigma unauthorized "
			"access; single denied anonymous pod creates and denied kube-system "
			"workload creates as GuardDuty, Defender for Containers and GKE Event "
			"Threat Detection report them",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_LOW,
	.state_size = sizeof(probe_state),
	.applies = applies,
	.judge = judge,
};
