/* node_proxy: the kubelet API reached through the API server
 * (nodes/<name>/proxy/<path>). Command execution paths rank highest;
 * monitoring reads (metrics, stats, healthz) by platform identities are the
 * platform watching itself. */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "redact-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1609", "command paths"),
	KAG__PRIMARY("T1611", "command paths"),
	KAG__PRIMARY("T1613", "other kubelet paths"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_OBJ_RESOURCE };
static const int wanted[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_REQUEST_URI,
			      KAG_FIELD_SOURCE_IPS };

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0; /* a denied attempt is rbac_probing's */
	return kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "nodes") &&
	       kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "proxy");
}

/* The kubelet path after ".../proxy", query and fragment dropped (""
 * when absent). */
static kag_str kubelet_path(const kag_event *ev)
{
	kag_str u = ev->str[KAG_FIELD_REQUEST_URI], none = { "", 0 };
	const char *p;
	size_t n, i;

	if (!kag__usable(ev, KAG_FIELD_REQUEST_URI))
		return none;
	n = kag__uri_path_len(u.ptr, u.len);
	for (i = 0; i + 6 <= n; i++) {
		if (memcmp(u.ptr + i, "/proxy", 6) == 0 && (i + 6 == n || u.ptr[i + 6] == '/')) {
			p = u.ptr + i + 6;
			return (kag_str){ p, n - i - 6 };
		}
	}
	return none;
}

static int path_is(kag_str p, const char *const *prefixes)
{
	size_t i;

	for (i = 0; prefixes[i]; i++) {
		size_t n = strlen(prefixes[i]);

		if (p.len >= n && memcmp(p.ptr, prefixes[i], n) == 0 &&
		    (p.len == n || p.ptr[n] == '/' || p.ptr[n] == '?'))
			return 1;
	}
	return 0;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	static const char *const exec_paths[] = { "/run", "/exec", "/attach", "/portForward",
						  "/cri", NULL };
	static const char *const monitor_paths[] = { "/metrics", "/stats", "/healthz", "/spec",
						     NULL };
	kag_str path = kubelet_path(ev);
	char user[128], node[128], verb[24];
	int executes = path_is(path, exec_paths);
	int monitoring = !executes && path_is(path, monitor_paths);
	int platform = kag__is_platform(ev, ctx);
	int severity;

	if (platform && !executes)
		return KAG_OK;
	if (executes)
		severity = KAG_SEVERITY_HIGH;
	else if (monitoring)
		severity = KAG_SEVERITY_LOW;
	else
		severity = KAG_SEVERITY_MEDIUM;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s %s the kubelet API of node %s through the API server: path %.*s%s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__show(ev, KAG_FIELD_OBJ_NAME, node, sizeof(node)),
		    path.len ? (int)(path.len > 120 ? 120 : path.len) : 1, path.len ? path.ptr : "/",
		    executes ? " (runs commands in containers, bypassing pods/exec RBAC and "
			       "audit)" : "");
	if (executes) {
		kag__finding_attack(f, "T1609");
		kag__finding_attack(f, "T1611");
	} else {
		kag__finding_attack(f, "T1613");
	}
	if (!kag__usable(ev, KAG_FIELD_REQUEST_URI))
		kag__finding_weaker(f, KAG_FIELD_REQUEST_URI);
	kag__extra_key(f, "kubeletPath");
	if (path.len)
		kag__buf_put_json_str(f->extra, path.ptr, path.len);
	else
		kag__buf_puts(f->extra, kag__usable(ev, KAG_FIELD_REQUEST_URI) ? "\"/\"" : "null");
	return KAG_OK;
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = { "nodes", NULL };

const kag__detector_def kag__det_node_proxy = {
	.id = "node_proxy",
	.title = "Kubelet API reached through the API server (nodes/proxy)",
	.about = {
		.finds =
			"allowed requests to nodes/<name>/proxy/<path>; /run, /exec, /attach, "
			"/portForward and /cri run commands in containers without pods/exec RBAC "
			"or its audit trail (high, also for platform identities); /metrics, "
			"/stats, /healthz and /spec are monitoring (low; never for platform "
			"identities); other kubelet paths (/pods, /configz, /logs, "
			"/containerLogs, /debug) medium",
		.fields =
			"nodes/proxy only (objectRef.subresource); requestURI for the kubelet "
			"path",
		.false_positives =
			"monitoring stacks outside kube-system scraping metrics through the API "
			"server (low); add their identity to trusted_users",
		.peers =
			"Elastic API Server Proxying Request to Kubelet; Panther "
			"Role.NodeProxyPermissions grants (rbac_escalation); Stratus nodes-proxy",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
