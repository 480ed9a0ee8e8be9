/* secrets_access: allowed reads of Secrets by identities outside the
 * baseline; cluster-wide and kube-system listings rank higher; a burst of
 * distinct secrets read by one identity is one correlated verdict. */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"

static const char *const attack[] = { "T1552.007", NULL };
static const int required[] = { KAG_FIELD_USER_USERNAME };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_USER_AGENT };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* Denied reads are rbac_probing's; failed ones read nothing. */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") &&
	       !kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) &&
	       (kag__eq(ev, KAG_FIELD_VERB, "get") || kag__eq(ev, KAG_FIELD_VERB, "list") ||
		kag__eq(ev, KAG_FIELD_VERB, "watch"));
}

#define BURST_MAX 32
#define SECRET_NAME_MAX 64

/* Per identity: the distinct secrets it read by name within the window. */
typedef struct {
	int64_t first_us, last_us;
	uint64_t count;
	int reported;
	size_t n_seen;
	uint64_t seen[BURST_MAX];
	char names[KAG__MAX_DISTINCT][SECRET_NAME_MAX];
} burst_state;

/* Count a read of a named secret; when it brings the identity to
 * secret_burst_threshold distinct secrets within the window, report one
 * correlated verdict (once per window) and return 1. */
static int burst(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	char target[SECRET_NAME_MAX], user[128];
	uint64_t key, th;
	burst_state *st;
	size_t i;

	if (!ctx->state || !kag__eq(ev, KAG_FIELD_VERB, "get") ||
	    !kag__usable(ev, KAG_FIELD_OBJ_NAME))
		return 0;
	key = kag__hash(u.ptr, u.len, 0x9b05688c2b3e6c1fULL);
	st = kag__lru_find(ctx->state, key);
	if (!st)
		st = kag__lru_insert(ctx->state, key);
	if (st->count == 0 ||
	    ctx->now_us > st->first_us + (int64_t)ctx->policy->secret_burst_window_us) {
		memset(st, 0, sizeof(*st));
		st->first_us = st->last_us = ctx->now_us;
	}
	if (ctx->now_us < st->first_us - (int64_t)ctx->policy->late_us)
		return 0;
	if (ctx->now_us < st->first_us)
		st->first_us = ctx->now_us;
	if (ctx->now_us > st->last_us)
		st->last_us = ctx->now_us;
	st->count++;
	snprintf(target, sizeof(target), "%.*s/%.*s",
		 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE)
		 ? (int)(ev->str[KAG_FIELD_OBJ_NAMESPACE].len > 30 ? 30
			 : ev->str[KAG_FIELD_OBJ_NAMESPACE].len) : 1,
		 kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ? ev->str[KAG_FIELD_OBJ_NAMESPACE].ptr : "*",
		 (int)(ev->str[KAG_FIELD_OBJ_NAME].len > 32 ? 32 : ev->str[KAG_FIELD_OBJ_NAME].len),
		 ev->str[KAG_FIELD_OBJ_NAME].ptr);
	key = kag__hash(target, strlen(target), 0);
	for (i = 0; i < st->n_seen; i++)
		if (st->seen[i] == key)
			break;
	if (i == st->n_seen && st->n_seen < BURST_MAX) {
		if (st->n_seen < KAG__MAX_DISTINCT)
			snprintf(st->names[st->n_seen], SECRET_NAME_MAX, "%s", target);
		st->seen[st->n_seen++] = key;
	}
	th = ctx->policy->secret_burst_threshold < BURST_MAX ? ctx->policy->secret_burst_threshold
							     : BURST_MAX;
	if (st->reported || st->n_seen < th)
		return 0;
	st->reported = 1;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_HIGH, KAG_CONFIDENCE_HIGH,
		    "%s read %zu distinct secrets in %llu requests within %llu s: secret burst",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), st->n_seen,
		    (unsigned long long)st->count,
		    (unsigned long long)(ctx->policy->secret_burst_window_us / 1000000));
	f->corr_count = st->count;
	f->corr_first_us = st->first_us;
	f->corr_last_us = st->last_us;
	f->n_distinct = st->n_seen < KAG__MAX_DISTINCT ? st->n_seen : KAG__MAX_DISTINCT;
	for (i = 0; i < f->n_distinct; i++)
		f->distinct[i] = st->names[i];
	kag__finding_attack(f, "T1552.007");
	if (ctx->time_inferred)
		kag__finding_weaker(f, KAG_FIELD_STAGE_TS);
	return 1;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], actor[128], ns[96], name[128], verb[16];
	int impersonated = kag__has(ev, KAG_FIELD_IMP_USER);
	int bulk = !kag__eq(ev, KAG_FIELD_VERB, "get");
	int cluster_wide = !kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE);
	int kube_system = kag__eq(ev, KAG_FIELD_OBJ_NAMESPACE, "kube-system");
	int severity;

	/* Platform identities reading secrets are controller_baseline's. */
	if (ctx->identity != KAG__ID_NONE && !impersonated)
		return KAG_OK;
	if (burst(f, ev, ctx))
		return KAG_OK;
	if (bulk && (cluster_wide || kube_system))
		severity = KAG_SEVERITY_HIGH;
	else if (kube_system)
		severity = KAG_SEVERITY_HIGH;
	else
		severity = KAG_SEVERITY_MEDIUM;
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	if (impersonated)
		kag__show(ev, KAG_FIELD_IMP_USERNAME, actor, sizeof(actor));
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s%s%s%s: %s secrets%s%s %s%s%s (outcome %s)",
		    user, impersonated ? " (as " : "", impersonated ? actor : "",
		    impersonated ? ")" : "",
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__usable(ev, KAG_FIELD_OBJ_NAME) ? "/" : "",
		    kag__usable(ev, KAG_FIELD_OBJ_NAME) ? kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)) : "",
		    cluster_wide ? "in all namespaces" : "in namespace",
		    cluster_wide ? "" : " ",
		    cluster_wide ? "" : kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)),
		    kag_outcome_name(ctx->outcome));
	kag__finding_attack(f, "T1552.007");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_verbs[] = { "get", "list", "watch", NULL };
static const char *const route_resources[] = { "secrets", NULL };

const kag__detector_def kag__det_secrets_access = {
	.id = "secrets_access",
	.title = "Secrets read by an identity outside the platform baseline",
	.doc =
		"finds: allowed get/list/watch of secrets by identities that are not\n"
		"  control-plane, node, kube-system service-account or provider components\n"
		"  (impersonated requests are never baseline); list/watch across all\n"
		"  namespaces or in kube-system, and any kube-system read, rank high; one\n"
		"  identity reading secret_burst_threshold distinct secrets by name within\n"
		"  secret_burst_window_us (default 5 in 600 s, event time) is one correlated\n"
		"  verdict (high) with count, first/last time and the secrets' names\n"
		"decisive fields: user.username, verb, objectRef.resource, outcome\n"
		"level: Metadata\n"
		"ATT&CK: T1552.007\n"
		"false positives: operators and CI identities that manage secrets by\n"
		"  design; add them to the baseline policy. Denied reads are rbac_probing's\n"
		"peer rules: Falco 'K8s Secret Get/List', Panther Secrets.DumpAllNamespaces /\n"
		"  BulkSecretAccess, Elastic secret access rules, Sigma secrets enumeration",
	.attack = attack,
	.required = required,
	.n_required = sizeof(required) / sizeof(required[0]),
	.wanted = wanted,
	.n_wanted = sizeof(wanted) / sizeof(wanted[0]),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.state_size = sizeof(burst_state),
	.verbs = route_verbs,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
