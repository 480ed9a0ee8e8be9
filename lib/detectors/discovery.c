/* discovery: an identity mapping what it may do and what exists:
 * self-subject access and rules reviews (`kubectl auth can-i`), and broad
 * listing, many distinct (resource, namespace) lists by one identity within
 * discovery_window_us, reported once per window as a correlated verdict. */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"

static const char *const attack[] = { "T1613", "T1069.003", NULL };
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT };

#define TARGET_MAX 32
#define TARGET_NAME 64

typedef struct {
	int64_t first_us, last_us;
	uint64_t count;
	int reported;
	size_t n_targets;
	uint64_t targets[TARGET_MAX];
	char names[KAG__MAX_DISTINCT][TARGET_NAME];
} list_state;

static int is_review(const kag_event *ev)
{
	return kag__eq(ev, KAG_FIELD_VERB, "create") &&
	       (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "selfsubjectaccessreviews") ||
		kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "selfsubjectrulesreviews"));
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	if (is_review(ev))
		return 1;
	/* listing bursts are kept per identity: an anonymous or unknown
	 * identity, or an unknown outcome, gives nothing to count */
	return kag__eq(ev, KAG_FIELD_VERB, "list") && !kag__is_platform(ev, ctx) &&
	       kag__usable(ev, KAG_FIELD_USER_USERNAME) &&
	       (ctx->outcome == KAG_OUTCOME_ALLOWED || ctx->outcome == KAG_OUTCOME_IN_PROGRESS);
}

/* The identity the request acted as: the impersonated one when present. */
static int workload_identity(const kag_event *ev)
{
	int f = kag__usable(ev, KAG_FIELD_IMP_USERNAME) ? KAG_FIELD_IMP_USERNAME
							 : KAG_FIELD_USER_USERNAME;

	return kag__str_prefix(ev->str[f], "system:serviceaccount:") ||
	       kag__str_prefix(ev->str[f], "system:node:");
}

static int judge_review(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128];
	int rules = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "selfsubjectrulesreviews");
	int machine = workload_identity(ev);
	int severity;

	/* controllers and the platform check their own permissions */
	if (kag__is_platform(ev, ctx) && ctx->identity != KAG__ID_NODE)
		return KAG_OK;
	if (machine)
		severity = KAG_SEVERITY_MEDIUM;
	else if (rules)
		severity = KAG_SEVERITY_LOW;
	else
		return KAG_OK; /* a person asking "can I": routine */
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s %s its own permissions (%s)%s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    rules ? "enumerated" : "checked",
		    rules ? "selfsubjectrulesreviews: kubectl auth can-i --list"
			  : "selfsubjectaccessreviews: kubectl auth can-i",
		    machine ? ": a workload or node credential exploring what it can reach" : "");
	kag__finding_attack(f, "T1069.003");
	kag__finding_attack(f, "T1613");
	kag__extra_key(f, "discovery");
	kag__buf_puts(f->extra, rules ? "\"rules-review\"" : "\"access-review\"");
	return KAG_OK;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	kag_str u, r, ns;
	char target[TARGET_NAME], user[128];
	uint64_t key, th;
	list_state *st;
	size_t i;

	if (is_review(ev))
		return judge_review(f, ev, ctx);
	if (!ctx->state)
		return KAG_OK;
	u = ev->str[KAG_FIELD_USER_USERNAME];
	key = kag__hash(u.ptr, u.len, 0xbb67ae8584caa73bULL);
	st = kag__lru_find(ctx->state, key);
	if (!st)
		st = kag__lru_insert(ctx->state, key);
	if (st->count == 0 || ctx->now_us > st->first_us + (int64_t)ctx->policy->discovery_window_us) {
		memset(st, 0, sizeof(*st));
		st->first_us = st->last_us = ctx->now_us;
	}
	if (ctx->now_us < st->first_us - (int64_t)ctx->policy->late_us)
		return KAG_OK; /* too late for this window */
	if (ctx->now_us < st->first_us)
		st->first_us = ctx->now_us;
	if (ctx->now_us > st->last_us)
		st->last_us = ctx->now_us;
	st->count++;
	r = kag__usable(ev, KAG_FIELD_OBJ_RESOURCE) ? ev->str[KAG_FIELD_OBJ_RESOURCE]
						    : (kag_str){ "?", 1 };
	ns = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? ev->str[KAG_FIELD_OBJ_NAMESPACE]
						      : (kag_str){ "*", 1 };
	snprintf(target, sizeof(target), "%.*s@%.*s", (int)(r.len > 40 ? 40 : r.len), r.ptr,
		 (int)(ns.len > 22 ? 22 : ns.len), ns.ptr);
	key = kag__hash(target, strlen(target), 0);
	for (i = 0; i < st->n_targets; i++)
		if (st->targets[i] == key)
			break;
	if (i == st->n_targets && st->n_targets < TARGET_MAX) {
		if (st->n_targets < KAG__MAX_DISTINCT)
			snprintf(st->names[st->n_targets], TARGET_NAME, "%s", target);
		st->targets[st->n_targets++] = key;
	}
	th = ctx->policy->discovery_threshold < TARGET_MAX ? ctx->policy->discovery_threshold
							   : TARGET_MAX;
	if (st->reported || st->n_targets < th)
		return KAG_OK;
	st->reported = 1;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS,
		    workload_identity(ev) ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW,
		    KAG_CONFIDENCE_HIGH,
		    "%s listed %zu distinct resource/namespace targets in %llu requests within "
		    "%llu s: broad discovery",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), st->n_targets,
		    (unsigned long long)st->count,
		    (unsigned long long)(ctx->policy->discovery_window_us / 1000000));
	f->corr_count = st->count;
	f->corr_first_us = st->first_us;
	f->corr_last_us = st->last_us;
	f->n_distinct = st->n_targets < KAG__MAX_DISTINCT ? st->n_targets : KAG__MAX_DISTINCT;
	for (i = 0; i < f->n_distinct; i++)
		f->distinct[i] = st->names[i];
	kag__finding_attack(f, "T1613");
	if (ctx->time_inferred)
		kag__finding_weaker(f, KAG_FIELD_STAGE_TS);
	kag__extra_key(f, "discovery");
	kag__buf_puts(f->extra, "\"broad-listing\"");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_verbs[] = { "create", "list", NULL };

const kag__detector_def kag__det_discovery = {
	.id = "discovery",
	.title = "Discovery: permission enumeration and broad listing by one identity",
	.doc =
		"finds: selfsubjectrulesreviews created (kubectl auth can-i --list: low; medium\n"
		"  for service accounts and nodes, also when impersonated) and\n"
		"  selfsubjectaccessreviews created by service accounts or nodes (medium);\n"
		"  and one identity listing at least discovery_threshold distinct\n"
		"  (resource, namespace) targets (a cluster-wide list counts as namespace *)\n"
		"  within discovery_window_us (default 5 in 600 s, event time): one\n"
		"  correlated verdict per window (low; medium for service accounts and\n"
		"  nodes) with count, first/last time and the targets\n"
		"decisive fields: user.username, verb, objectRef.resource/namespace, outcome\n"
		"level: Metadata\n"
		"ATT&CK: T1613, T1069.003\n"
		"false positives: dashboards, kubectl get all -A, backup and inventory tools;\n"
		"  platform identities are never counted; add such tools to trusted_users\n"
		"peer rules: Sigma RBAC permission enumeration; Elastic self-subject review,\n"
		"  multi-resource discovery; GuardDuty AnomalousBehavior.PermissionChecked",
	.attack = attack,
	.required = required,
	.n_required = sizeof(required) / sizeof(required[0]),
	.wanted = wanted,
	.n_wanted = sizeof(wanted) / sizeof(wanted[0]),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_LOW,
	.state_size = sizeof(list_state),
	.verbs = route_verbs,
	.applies = applies,
	.judge = judge,
};
