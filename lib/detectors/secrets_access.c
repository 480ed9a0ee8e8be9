/* secrets_access: allowed reads of Secrets by identities outside the
 * baseline; cluster-wide and kube-system listings rank higher, and so do a
 * service account reading outside its namespace and a credential used by
 * hand; an operator's own-namespace reads, its cluster-wide informer and
 * Helm's release storage are routine (info); a burst of distinct secrets
 * read by one identity is one correlated verdict. */
#include <stdio.h>
#include <string.h>

#include "burst-private.h"
#include "caller-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "redact-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1552.007", NULL),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* Denied reads are rbac_probing's; failed ones read nothing. */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") &&
	       !kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) && kag__verb_is(ev, kag__verbs_read);
}

/* "namespace/name" for display: the namespace cut to 20 bytes, a name too
 * long for the rest kept by its beginning and its end, where chart-style
 * names differ ("kube-prometheus-s...alertmanager-generated"). */
static void short_target(char *out, size_t size, kag_str ns, kag_str name)
{
	int n = snprintf(out, size, "%.*s/", (int)(ns.len > 20 ? 20 : ns.len), ns.ptr);
	size_t room = size - (size_t)n - 1, head, tail;

	if (name.len <= room) {
		snprintf(out + n, size - (size_t)n, "%.*s", (int)name.len, name.ptr);
		return;
	}
	head = (room - 3) / 2;
	tail = room - 3 - head;
	snprintf(out + n, size - (size_t)n, "%.*s...%.*s", (int)head, name.ptr, (int)tail,
		 name.ptr + name.len - tail);
}

/* Count a read of a named secret; when it brings the identity to
 * secret_burst_threshold distinct secrets within the window, report one
 * correlated verdict (once per window) and return 1. Secrets are told
 * apart by their whole namespace and name: chart-style names share long
 * beginnings. */
static int burst(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	kag_str ns = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? ev->str[KAG_FIELD_OBJ_NAMESPACE]
							      : (kag_str){ "*", 1 };
	kag_str name = ev->str[KAG_FIELD_OBJ_NAME];
	char target[KAG__BURST_NAME], user[128];
	kag__burst *b;

	if (!ctx->state || !kag__eq(ev, KAG_FIELD_VERB, "get") ||
	    !kag__usable(ev, KAG_FIELD_OBJ_NAME))
		return 0;
	b = kag__state_get(ctx, kag__hash(u.ptr, u.len, 0x9b05688c2b3e6c1fULL));
	if (!kag__burst_count(b, ctx, ctx->policy->secret_burst_window_us, KAG__LATE_FROM_FIRST))
		return 0;
	short_target(target, sizeof(target), ns, name);
	kag__burst_target_key(b, kag__burst_key(ns, name), target);
	if (!kag__burst_due(b, ctx->policy->secret_burst_threshold))
		return 0;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_HIGH, KAG_CONFIDENCE_HIGH,
		    "%s read %zu distinct secrets in %llu requests within %llu s: secret burst",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), b->n_targets,
		    (unsigned long long)b->w.count,
		    (unsigned long long)(ctx->policy->secret_burst_window_us / 1000000));
	kag__correlate_burst(f, ctx, b);
	kag__finding_attack(f, "T1552.007");
	return 1;
}

/* The labelSelector of the request URI has the term owner=helm. */
static int helm_selector(const kag_event *ev)
{
	kag_str uri = ev->str[KAG_FIELD_REQUEST_URI];
	const char *q, *end;
	char sel[256];
	size_t n, i;

	if (!kag__usable(ev, KAG_FIELD_REQUEST_URI))
		return 0;
	q = memchr(uri.ptr, '?', uri.len);
	end = uri.ptr + uri.len;
	while (q && q < end) {
		const char *p = q + 1, *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		q = amp;
		if ((size_t)(stop - p) < 14 || memcmp(p, "labelSelector=", 14) != 0 ||
		    (size_t)(stop - p) - 14 >= sizeof(sel))
			continue;
		n = kag__url_decode(sel, p + 14, (size_t)(stop - p) - 14);
		for (i = 0; i + 10 <= n; i++)
			if (memcmp(sel + i, "owner=helm", 10) == 0 && (i == 0 || sel[i - 1] == ',') &&
			    (i + 10 == n || sel[i + 10] == ','))
				return 1;
	}
	return 0;
}

/* Helm keeps each release in a secret named sh.helm.release.v1.<release>.v<N>
 * labelled owner=helm, and reads it on every helm command. Routine for an
 * authenticated identity whose client names no hand-driven tool (helm's
 * own userAgent does not) and whose address is not public: those are the
 * identities that deploy. `kubectl get secret sh.helm.release...`, which
 * yields every value the chart was given, stays a finding. */
static int helm_storage(const kag_event *ev, const kag__caller *c)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];

	if (c->tool || c->source == KAG__SOURCE_PUBLIC || kag__str_eq(u, "system:anonymous"))
		return 0;
	if (kag__eq(ev, KAG_FIELD_VERB, "get"))
		return kag__usable(ev, KAG_FIELD_OBJ_NAME) &&
		       kag__str_prefix(ev->str[KAG_FIELD_OBJ_NAME], "sh.helm.release.v1.");
	return kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) && helm_selector(ev);
}

/* Routine reads, reported info: an operator's reads in its own namespace,
 * Helm's release storage (benign), and an operator's informer caching
 * every namespace's secrets (suspicious, info: a wide grant, visible to
 * callers that ask for info verdicts). */
enum { R_NONE, R_OWN_NAMESPACE, R_HELM, R_INFORMER };

static int routine(const kag_event *ev, const kag__caller *c, int bulk, int cluster_wide)
{
	if (kag__caller_is_operator(c)) {
		if (kag__caller_own_namespace(c, ev))
			return R_OWN_NAMESPACE;
		if (bulk && cluster_wide)
			return R_INFORMER;
	}
	return helm_storage(ev, c) ? R_HELM : R_NONE;
}

static int report_routine(kag_finding *f, const kag_event *ev, kag__ctx *ctx, int r)
{
	static const char *const why[] = {
		"",
		"an operator's routine read in its own namespace (service account, in-cluster "
		"client, private address)",
		"Helm release storage (sh.helm.release.v1.*, owner=helm), routine for the "
		"identities that deploy",
		"a service account's informer caching every namespace's secrets (in-cluster "
		"client, private address): routine for operators at start-up, a wide grant "
		"worth reviewing",
	};
	int assessment = r == R_INFORMER ? KAG_ASSESSMENT_SUSPICIOUS : KAG_ASSESSMENT_BENIGN;
	char user[128], verb[16], where[128];

	if (kag__info_unseen(f, ctx, assessment))
		return KAG_OK;
	if (kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE))
		snprintf(where, sizeof(where), "in namespace %s",
			 kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, user, sizeof(user)));
	else
		snprintf(where, sizeof(where), "in all namespaces");
	kag__report(f, assessment, KAG_SEVERITY_INFO, KAG_CONFIDENCE_HIGH, "%s: %s secrets %s: %s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)), where, why[r]);
	kag__finding_attack(f, "T1552.007");
	kag__extra_key(f, "routine");
	kag__buf_puts(f->extra, r == R_OWN_NAMESPACE ? "\"own-namespace\""
			       : r == R_HELM ? "\"helm-release-storage\"" : "\"informer\"");
	return KAG_OK;
}

/* What raises a read above the rank of its kind, for the reason: a service
 * account reading another namespace's secrets; a service-account or
 * platform credential used through a tool or from a public address
 * (stolen token use). Returns the steps raised. */
static int leads(const kag_event *ev, const kag__ctx *ctx, const kag__caller *c,
		 int cluster_wide, char *out, size_t size)
{
	char misfit[128];
	int steps = 0;
	size_t n = 0;

	out[0] = '\0';
	if (c->sa_ns.ptr && !cluster_wide && !kag__caller_own_namespace(c, ev)) {
		n += (size_t)snprintf(out, size, "; a service account of namespace %.*s reading "
				      "outside it",
				      (int)(c->sa_ns.len > 63 ? 63 : c->sa_ns.len), c->sa_ns.ptr);
		steps++;
	}
	/* a person's kubectl is routine; a workload's or component's is not */
	if ((c->sa_ns.ptr || kag__is_platform(ev, ctx)) && kag__caller_suspect(c) && n < size) {
		kag__caller_misfit(c, ev, misfit, sizeof(misfit));
		snprintf(out + n, size - n, "; %s used %s: stolen token use?",
			 c->sa_ns.ptr ? "a service account token" : "a platform credential", misfit);
		steps++;
	}
	return steps;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], actor[128], ns[96], name[128], verb[16], lead[256];
	int impersonated = kag__has(ev, KAG_FIELD_IMP_USER);
	int bulk = !kag__eq(ev, KAG_FIELD_VERB, "get");
	int cluster_wide = !kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE);
	int kube_system = kag__eq(ev, KAG_FIELD_OBJ_NAMESPACE, "kube-system");
	int severity, r;
	kag__caller c;

	kag__caller_get(&c, ctx, ev);
	/* Platform identities reading secrets are controller_baseline's,
	 * unless their credential is being used by hand. */
	if (kag__is_platform(ev, ctx) && !kag__caller_suspect(&c))
		return KAG_OK;
	r = routine(ev, &c, bulk, cluster_wide);
	if (r != R_NONE)
		return report_routine(f, ev, ctx, r);
	if (burst(f, ev, ctx))
		return KAG_OK;
	if (kube_system || (bulk && cluster_wide))
		severity = KAG_SEVERITY_HIGH;
	else
		severity = KAG_SEVERITY_MEDIUM;
	severity = kag__severity_raise(severity, leads(ev, ctx, &c, cluster_wide, lead, sizeof(lead)));
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	if (impersonated)
		kag__show(ev, KAG_FIELD_IMP_USERNAME, actor, sizeof(actor));
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s%s%s%s: %s secrets%s%s %s%s%s (outcome %s)%s",
		    user, impersonated ? " (as " : "", impersonated ? actor : "",
		    impersonated ? ")" : "",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__usable(ev, KAG_FIELD_OBJ_NAME) ? "/" : "",
		    kag__usable(ev, KAG_FIELD_OBJ_NAME) ? kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)) : "",
		    cluster_wide ? "in all namespaces" : "in namespace",
		    cluster_wide ? "" : " ",
		    cluster_wide ? "" : kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)),
		    kag_outcome_name(ctx->outcome), lead);
	kag__finding_attack(f, "T1552.007");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = { "secrets", NULL };

const kag__detector_def kag__det_secrets_access = {
	.id = "secrets_access",
	.title = "Secrets read by an identity outside the platform baseline",
	.about = {
		.finds =
			"allowed get/list/watch of secrets by identities that are not "
			"control-plane, node, kube-system service-account or provider components "
			"(impersonated requests are never baseline); list/watch across all "
			"namespaces or in kube-system, and any kube-system read, rank high, "
			"other reads medium; a service account reading outside its own "
			"namespace, and any credential (a platform one too) used with kubectl, "
			"curl or a generic HTTP library or from a public address, rank one step "
			"higher each and say so (stolen token use); one identity reading "
			"secret_burst_threshold distinct secrets by name within "
			"secret_burst_window_us (default 5 in 600 s, event time; secrets told "
			"apart by their whole namespace and name) is one correlated verdict "
			"(high) with count, first/last time and the secrets' names",
		.fields = "verb and objectRef.resource select the request; the caller is read "
			  "from user.username and groups, userAgent and the last sourceIPs entry",
		.severity =
			"info, not counted toward bursts, for routine reads (evidence.routine): "
			"a service account reading its own namespace's secrets through an "
			"in-cluster client (a userAgent naming no tool) from a private or "
			"trusted address, with groups naming its namespace (benign, "
			"\"own-namespace\"); Helm release storage, get of "
			"sh.helm.release.v1.* or a namespaced list/watch whose labelSelector has "
			"owner=helm, by an authenticated identity whose client names no tool "
			"and whose address is not public (benign, \"helm-release-storage\": "
			"helm reads it on every command, and only the identities that deploy "
			"run helm against the cluster); a service account listing or watching "
			"secrets in all namespaces through an in-cluster client from a private "
			"address (suspicious, \"informer\": an operator's informer at every "
			"start, kept visible to callers that ask for info verdicts)",
		.false_positives =
			"operators that read other namespaces' secrets by design (cert-manager, "
			"argo-cd) rank high: add them to the baseline policy. Limits: the "
			"userAgent is the client's word, so the routine ranks hold for a token "
			"stolen from an operator's pod and used with a client-go userAgent from "
			"inside the cluster, reading what the operator may read in its own "
			"namespace; reading the Helm release secrets yields every value a chart "
			"was given, and helm's own userAgent makes it routine; the burst "
			"ignores routine reads. Denied reads are rbac_probing's",
		.peers =
			"Falco 'K8s Secret Get/List', Panther Secrets.DumpAllNamespaces / "
			"BulkSecretAccess, Elastic secret access rules, Sigma secrets enumeration",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.state_size = sizeof(kag__burst),
	.verbs = kag__verbs_read,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
