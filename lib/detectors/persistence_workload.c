/* persistence_workload: workloads that keep an attacker's code running:
 * CronJobs and DaemonSets created or modified, pods and the workloads that
 * derive them (Deployments, StatefulSets, ReplicaSets, Jobs) created in the
 * system namespaces, by identities outside the baseline. Also the sequence "RBAC
 * object written, then a workload written, by the same identity within
 * sequence_window_us", reported here as one correlated verdict on the
 * workload change. */
#include <stdio.h>
#include <string.h>

#include "burst-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1053.007", "CronJobs"),
	KAG__PRIMARY("T1610", "other workloads"),
	KAG__TECHNIQUE("T1036.005", "system-namespace pods and workloads"),
	KAG__PRIMARY("T1098.006", "RBAC-then-workload sequences"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_OBJ_NAME };

#define WHAT_MAX 112

/* Per identity: the last RBAC change and the workload change after it. */
typedef struct {
	int64_t rbac_us;
	char rbac_what[WHAT_MAX];
	char workload_what[WHAT_MAX];
} seq_state;

enum { P_NONE, P_RBAC, P_CRON_DS, P_POD, P_OTHER_WORKLOAD };

static int kind_of(const kag_event *ev)
{
	static const char *const rbac[] = { "roles", "clusterroles", "rolebindings",
					    "clusterrolebindings", NULL };
	static const char *const others[] = { "deployments", "statefulsets", "replicasets",
					      "jobs", "replicationcontrollers", NULL };

	if (kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) || !kag__verb_is(ev, kag__verbs_change))
		return P_NONE;
	if (kag__eq_any(ev, KAG_FIELD_OBJ_RESOURCE, rbac))
		return P_RBAC;
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "cronjobs") ||
	    kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "daemonsets"))
		return P_CRON_DS;
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "pods"))
		return P_POD;
	return kag__eq_any(ev, KAG_FIELD_OBJ_RESOURCE, others) ? P_OTHER_WORKLOAD : P_NONE;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	int k;

	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	k = kind_of(ev);
	if (k == P_CRON_DS)
		return 1;
	/* the pods a controller derives from a workload are baselined: the
	 * workload created in a system namespace is where it is judged */
	if ((k == P_POD || k == P_OTHER_WORKLOAD) && kag__eq(ev, KAG_FIELD_VERB, "create") &&
	    kag__in_system_namespace(ev, ctx->policy))
		return 1;
	/* otherwise only of interest as a step of the sequence, which needs the
	 * identity and a known outcome: without them, nothing to correlate and
	 * nothing to say */
	return k != P_NONE && kag__usable(ev, KAG_FIELD_USER_USERNAME) &&
	       (ctx->outcome == KAG_OUTCOME_ALLOWED || ctx->outcome == KAG_OUTCOME_IN_PROGRESS);
}

static void describe(const kag_event *ev, char *out, size_t size)
{
	char res[40], ns[64], name[64];

	snprintf(out, size, "%s %s%s%s", kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res)),
		 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
		 ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)) : "",
		 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? "/" : "",
		 kag__usable(ev, KAG_FIELD_OBJ_NAME)
		 ? kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)) : "(new)");
}

static seq_state *state_of(kag__ctx *ctx, const kag_event *ev, int create)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	uint64_t key = kag__hash(u.ptr, u.len, 0x3c6ef372fe94f82bULL);

	if (create)
		return kag__state_get(ctx, key);
	return ctx->state ? kag__lru_find(ctx->state, key) : NULL;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], verb[24], what[WHAT_MAX - 24];
	int k = kind_of(ev), severity = 0, sequence = 0;
	int system_ns = kag__in_system_namespace(ev, ctx->policy);
	int create = kag__eq(ev, KAG_FIELD_VERB, "create");
	seq_state *st;

	if (kag__is_platform(ev, ctx))
		return KAG_OK;
	describe(ev, what, sizeof(what));
	if (k == P_RBAC) {
		/* cluster admins already hold every permission: no escalation */
		if (kag__list_has(ev, KAG_FIELD_USER_GROUPS, "system:masters"))
			return KAG_OK;
		st = state_of(ctx, ev, 1);
		if (st) {
			st->rbac_us = ctx->now_us;
			snprintf(st->rbac_what, sizeof(st->rbac_what), "%s %s",
				 kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)), what);
		}
		return KAG_OK;
	}
	st = state_of(ctx, ev, 0);
	if (st && st->rbac_us) {
		int64_t window = (int64_t)ctx->policy->sequence_window_us;
		int64_t late = (int64_t)ctx->policy->late_us;

		sequence = ctx->now_us <= st->rbac_us + window && ctx->now_us >= st->rbac_us - late;
	}
	if (k == P_CRON_DS)
		severity = system_ns ? KAG_SEVERITY_HIGH
			   : create ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW;
	else if ((k == P_POD || k == P_OTHER_WORKLOAD) && create && system_ns)
		severity = KAG_SEVERITY_HIGH;
	if (sequence && severity < KAG_SEVERITY_HIGH)
		severity = KAG_SEVERITY_HIGH;
	if (!severity)
		return KAG_OK;
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb));
	if (sequence) {
		snprintf(st->workload_what, sizeof(st->workload_what), "%s %s", verb, what);
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
			    "%s changed RBAC (%s) and then workloads (%s) within %llu s: "
			    "escalate-then-deploy sequence", user, st->rbac_what,
			    st->workload_what,
			    (unsigned long long)(ctx->policy->sequence_window_us / 1000000));
		kag__correlate(f, ctx, 2, st->rbac_us < ctx->now_us ? st->rbac_us : ctx->now_us,
			       st->rbac_us < ctx->now_us ? ctx->now_us : st->rbac_us);
		f->n_distinct = 2;
		f->distinct[0] = st->rbac_what;
		f->distinct[1] = st->workload_what;
		kag__finding_attack(f, "T1098.006");
	} else {
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
			    "%s %s by %s%s", verb, what, user,
			    k == P_POD ? ": a pod placed in a system namespace"
			    : k == P_OTHER_WORKLOAD ? ": a workload placed in a system namespace "
			    "(the pods it derives run there)"
			    : kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "cronjobs")
			    ? ": scheduled execution" : ": a pod on every node");
	}
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "cronjobs"))
		kag__finding_attack(f, "T1053.007");
	else
		kag__finding_attack(f, "T1610");
	if (k == P_POD || (k == P_OTHER_WORKLOAD && create && system_ns))
		kag__finding_attack(f, "T1036.005");
	kag__extra_key(f, "persistence");
	kag__buf_puts(f->extra, k == P_POD ? "\"system-namespace-pod\""
			       : k == P_OTHER_WORKLOAD && create && system_ns
			       ? "\"system-namespace-workload\""
			       : kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "cronjobs") ? "\"cronjob\""
			       : kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "daemonsets") ? "\"daemonset\""
			       : "\"workload\"");
	kag__extra_key(f, "sequence");
	kag__buf_puts(f->extra, sequence ? "true" : "false");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = {
	"roles", "clusterroles", "rolebindings", "clusterrolebindings", "cronjobs",
	"daemonsets", "pods", "deployments", "statefulsets", "replicasets", "jobs",
	"replicationcontrollers", NULL
};

const kag__detector_def kag__det_persistence_workload = {
	.id = "persistence_workload",
	.title = "Persistent workloads: CronJobs, DaemonSets, system-namespace pods, "
		 "RBAC-then-workload sequences",
	.about = {
		.finds =
			"CronJobs and DaemonSets created (medium) or updated/patched (low; high "
			"in a system namespace) and pods, deployments, statefulsets, replicasets "
			"and jobs created in a system namespace (high: the pods controllers "
			"derive from them are baselined, so the origin is judged) by "
			"identities outside the baseline; and, reported here, the sequence of an "
			"RBAC object (role, clusterrole, binding) created/updated/patched and "
			"then a workload (pod, deployment, daemonset, statefulset, replicaset, "
			"job, cronjob, replicationcontroller) created/updated/patched by the same "
			"identity within sequence_window_us (default 300 s, event time): one "
			"correlated verdict (high) on the workload change, correlation.distinct "
			"naming both changes; members of system:masters start no sequence",
		.fields = "objectRef.resource/namespace",
		.false_positives =
			"deployment pipelines and helm installs create roles and workloads "
			"together: what an identity's helm client writes in a namespace within "
			"sequence_window_us of writing its release storage there (or a policy "
			"deployer's) is release content, info (evidence.routine helm-release); "
			"the rest stays judged, and a stolen admin credential gains nothing by "
			"it that it could not do anyway, while privileged workloads and "
			"privileged bindings are judged by their own detectors whoever writes "
			"them; platform identities are never reported (controller_baseline "
			"explains them)",
		.peers =
			"Panther CronJob.CreatedOrModified, DaemonSet.Created, "
			"Pod.SystemNamespace; Falco Pod Created in Kube Namespace; Microsoft "
			"Defender new container in the kube-system namespace; GKE Event "
			"Threat Detection workload created in a system namespace; Sigma "
			"CronJob/Job modification, pod in system namespace; Elastic sensitive "
			"RBAC change followed by workload modification",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.state_size = sizeof(seq_state),
	.verbs = kag__verbs_change,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
