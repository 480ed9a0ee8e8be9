/* destructive_delete: deletions by people that destroy evidence or
 * availability: Secrets (credentials, certificates, the record of what
 * they held), Deployments, StatefulSets and DaemonSets (the service, or a
 * per-node agent such as a log shipper or a security sensor), a
 * CertificateSigningRequest (the record of a certificate issued) and a
 * namespace (everything in it). The platform's own deletions (garbage
 * collection, the namespace controller, the CSR cleaner) are never
 * reported, and a Helm uninstall inside its release window is release
 * content (known.c). */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1485", "secrets and namespaces"),
	KAG__PRIMARY("T1489", "deployments, statefulsets and daemonsets"),
	KAG__PRIMARY("T1070", "certificate signing requests"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB,
				KAG_FIELD_OBJ_RESOURCE };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_OBJ_NAME };

/* What each deletion destroys, and its rank: base severity, and the rank
 * in a system namespace or for a whole collection. */
static const struct {
	const char *resource;
	const char *technique;
	const char *kind;           /* evidence.deleted */
	const char *why;            /* the rationale, for the reason */
	int severity, raised;
} targets[] = {
	{ "secrets", "T1485", "secret",
	  "credentials or certificates destroyed: whatever used them stops working, and "
	  "what they held is no longer there to examine", KAG_SEVERITY_LOW, KAG_SEVERITY_MEDIUM },
	{ "deployments", "T1489", "workload",
	  "a workload taken down (its service is unavailable)", KAG_SEVERITY_LOW,
	  KAG_SEVERITY_MEDIUM },
	{ "statefulsets", "T1489", "workload",
	  "a stateful workload taken down (its service is unavailable)", KAG_SEVERITY_LOW,
	  KAG_SEVERITY_MEDIUM },
	{ "daemonsets", "T1489", "node-agent",
	  "a per-node agent removed from every node (networking, log shipping or a "
	  "security sensor stop)", KAG_SEVERITY_LOW, KAG_SEVERITY_MEDIUM },
	{ "certificatesigningrequests", "T1070", "csr",
	  "the record of a certificate request and its approval removed by hand (the "
	  "platform cleans them up on its own)", KAG_SEVERITY_MEDIUM, KAG_SEVERITY_MEDIUM },
	{ "namespaces", "T1485", "namespace",
	  "a namespace deleted: every object in it, and its record, goes with it",
	  KAG_SEVERITY_LOW, KAG_SEVERITY_LOW },
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static int target_of(const kag_event *ev)
{
	size_t i;

	for (i = 0; i < N_TARGETS; i++)
		if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, targets[i].resource))
			return (int)i;
	return -1;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return !kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) && kag__verb_is_delete(ev) &&
	       target_of(ev) >= 0;
}

/* "prod/db-password", "every secret in namespace prod", "airflow" */
static void describe(const kag_event *ev, int all, char *out, size_t size)
{
	char ns[96], name[128], res[48];
	int has_ns = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE);

	kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res));
	if (has_ns)
		kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns));
	if (all)
		snprintf(out, size, "all %s %s%s", res,
			 has_ns ? "in namespace " : "across the cluster", has_ns ? ns : "");
	else
		snprintf(out, size, "%s %s%s%s", res, has_ns ? ns : "", has_ns ? "/" : "",
			 kag__usable(ev, KAG_FIELD_OBJ_NAME)
			 ? kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)) : "(unnamed)");
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], what[288];
	int t = target_of(ev), all = kag__eq(ev, KAG_FIELD_VERB, "deletecollection");
	int raised, severity;

	/* garbage collection, the namespace controller, the CSR cleaner;
	 * workloads' own service accounts are judged by what they do */
	if (t < 0 || kag__is_platform(ev, ctx) || !kag__is_person(ev))
		return KAG_OK;
	raised = all || kag__in_system_namespace(ev, ctx->policy);
	severity = raised ? targets[t].raised : targets[t].severity;
	describe(ev, all, what, sizeof(what));
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s deleted %s: %s%s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), what,
		    targets[t].why,
		    raised && targets[t].raised > targets[t].severity
		    ? (all ? " (a whole collection)" : " (in a system namespace)") : "");
	kag__finding_attack(f, targets[t].technique);
	kag__extra_key(f, "deleted");
	kag__buf_putc(f->extra, '"');
	kag__buf_puts(f->extra, targets[t].kind);
	kag__buf_putc(f->extra, '"');
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = {
	"secrets", "deployments", "statefulsets", "daemonsets", "certificatesigningrequests",
	"namespaces", NULL
};

const kag__detector_def kag__det_destructive_delete = {
	.id = "destructive_delete",
	.title = "Deletions that destroy evidence or availability",
	.about = {
		.finds =
			"secrets, deployments, statefulsets and daemonsets deleted by people "
			"(low; medium in a system namespace or as a whole collection), a "
			"certificatesigningrequest deleted by hand (medium: the record of a "
			"certificate issued) and a namespace deleted (low: everything in it "
			"goes); the reason states what the deletion destroys",
		.fields = "objectRef.resource/namespace/name; a person is a user name outside "
			  "\"system:\" (the impersonated one when present)",
		.never =
			"the platform's own deletions (garbage collection, the namespace "
			"controller's deletions of a namespace's content, the CSR cleaner); "
			"service accounts' deletions (pipelines and operators prune what "
			"they own); denied or failed deletions (rbac_probing sees those); "
			"events (control_plane_tampering)",
		.false_positives =
			"people cleaning up: a namespace or a release torn down by hand, a "
			"secret rotated by deleting it. A Helm uninstall's deletions inside "
			"its release window are release content, info (evidence.routine "
			"helm-release); weigh the rest with the identity and what was "
			"deleted, and add the identities of cleanup jobs run as users to "
			"trusted_users",
		.peers =
			"Sigma Kubernetes secrets or deployments deleted, CSR deleted; Elastic "
			"Kubernetes namespace deleted, secret deleted; Splunk Kubernetes "
			"deletion of critical resources; Falco K8s Deployment, DaemonSet or "
			"Secret Deleted",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_LOW,
	.verbs = kag__verbs_delete,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
