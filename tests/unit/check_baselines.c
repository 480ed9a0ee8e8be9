/* Structural baselines and admission denials: an operator's routine reads,
 * its informers, Helm's release storage, webhook certificate rotation by
 * the owner, controllers' copies of templates, start-up, Node-authorizer
 * and admission denials; and the same requests by a credential used by
 * hand, which rank higher. Judged by the whole default catalogue, benign
 * and info verdicts on. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tu_ctx T;
static int T_live;
static char stream[1 << 16];
static size_t stream_len;

static void teardown(void)
{
	if (T_live)
		tu_free(&T);
	T_live = 0;
}

/* ' for " keeps the events readable */
static void add(const char *fmt, ...)
{
	va_list ap;
	size_t i, start = stream_len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(stream + stream_len, sizeof(stream) - stream_len, fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(stream) - stream_len - 1);
	stream_len += (size_t)n;
	for (i = start; i < stream_len; i++)
		if (stream[i] == '\'')
			stream[i] = '"';
	stream[stream_len++] = '\n';
	stream[stream_len] = '\0';
}

/* One request: the identity, its client and address, and the rest of the
 * event (objectRef, responseStatus, ...) at second t. */
static void req(const char *user, const char *ua, const char *ip, const char *verb, int t,
		const char *rest)
{
	static unsigned serial;
	char groups[256] = "";

	if (strncmp(user, "system:serviceaccount:", 22) == 0) {
		/* the namespace follows the second colon (found, not counted
		 * off: gcc -O3 would warn of an offset past shorter names) */
		const char *ns = strchr(strchr(user, ':') + 1, ':') + 1, *colon = strchr(ns, ':');

		snprintf(groups, sizeof(groups),
			 ",'groups':['system:serviceaccounts','system:serviceaccounts:%.*s',"
			 "'system:authenticated']", (int)(colon - ns), ns);
	} else if (strncmp(user, "system:node:", 12) == 0) {
		snprintf(groups, sizeof(groups), ",'groups':['system:nodes','system:authenticated']");
	}
	add("{'kind':'Event','apiVersion':'audit.k8s.io/v1',%s"
	    "'auditID':'a-%u','stage':'ResponseComplete','verb':'%s',"
	    "'user':{'username':'%s'%s}%s%s%s,'sourceIPs':['%s'],"
	    "'stageTimestamp':'2024-03-14T09:%02d:%02d.000000Z',%s}",
	    strstr(rest, "'level'") ? "" : "'level':'Metadata',", ++serial, verb, user, groups, ua ? ",'userAgent':'" : "", ua ? ua : "", ua ? "'" : "",
	    ip, t / 60, t % 60, rest);
}

static void judge(void)
{
	kag_registry *reg;

	teardown();
	/* each request's own verdict: repeats are not counted here
	 * (check_repeat.c tests that) */
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(reg, KAG_ROPT_REPEAT_WINDOW, 0), KAG_OK);
	tu_init_registry(&T, reg);
	T_live = 1;
	tu_judge(&T, stream, stream_len);
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
	stream_len = 0;
	stream[0] = '\0';
}

static void expect(const char *line, const char *path, const char *want)
{
	const char *got;

	ck_assert_msg(line != NULL, "no verdict to read %s from:\n%s", path, T.out ? T.out : "");
	got = tu_json_get(line, path);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: got %s, want %s\nin %s", path,
		      got ? got : "(absent)", want, line);
}

static void expect_reason(const char *line, const char *fragment)
{
	const char *r = tu_json_get(line, "reason");

	ck_assert_msg(r && strstr(r, fragment), "reason lacks '%s'\nin %s", fragment, line);
}

/* The one verdict of detector id. */
static const char *only(const char *id)
{
	ck_assert_msg(tu_count(&T, id) == 1, "%zu %s verdicts, want 1:\n%s", tu_count(&T, id), id,
		      T.out ? T.out : "");
	return tu_find(&T, id, 0);
}

static void verdict(const char *line, const char *assessment, const char *severity)
{
	expect(line, "assessment", assessment);
	expect(line, "severity", severity);
}

/* The one verdict of detector id is an info one with that assessment,
 * reason fragment and evidence.routine. */
static void expect_routine(const char *id, const char *assessment, const char *reason,
			   const char *routine)
{
	const char *v = only(id);

	verdict(v, assessment, "info");
	expect_reason(v, reason);
	expect(v, "evidence.routine", routine);
}

#define OPERATOR "system:serviceaccount:reports:report-operator"
#define OP_UA "report-operator/v1.2.0 (linux/amd64) kubernetes/$Format"
#define KUBECTL "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"
#define OK200 "'responseStatus':{'code':200}"
#define SECRET(ns, name) \
	"'objectRef':{'resource':'secrets','namespace':'" ns "','name':'" name "','apiVersion':'v1'}"

/* ---- secrets_access ---- */

START_TEST(operator_reads_own_secrets)
{
	const char *v;

	req(OPERATOR, OP_UA, "10.244.1.44", "get", 0, SECRET("reports", "report-secret") "," OK200);
	judge();
	expect_routine("secrets_access", "benign", "an operator's routine read in its own namespace",
		       "own-namespace");

	/* the same token with kubectl from a public address: high, and why */
	req(OPERATOR, KUBECTL, "198.51.100.7", "get", 0, SECRET("reports", "report-secret") "," OK200);
	judge();
	v = only("secrets_access");
	verdict(v, "suspicious", "high");
	expect_reason(v, "a service account token used with kubectl, from public address "
			 "198.51.100.7: stolen token use?");

	/* curl from inside the cluster: one step above the medium of today */
	req(OPERATOR, "curl/8.5.0", "10.244.1.44", "get", 0, SECRET("reports", "report-secret") ","
	    OK200);
	judge();
	verdict(only("secrets_access"), "suspicious", "high");

	/* another namespace's secret, in-cluster client: high, and why */
	req(OPERATOR, OP_UA, "10.244.1.44", "get", 0, SECRET("shop", "db-credentials") "," OK200);
	judge();
	v = only("secrets_access");
	verdict(v, "suspicious", "high");
	expect_reason(v, "a service account of namespace reports reading outside it");

	/* both: two steps */
	req(OPERATOR, KUBECTL, "198.51.100.7", "get", 0, SECRET("shop", "db-credentials") ","
	    OK200);
	judge();
	verdict(only("secrets_access"), "suspicious", "critical");

	/* groups that do not name the account's namespace: no routine */
	add("{'verb':'get','user':{'username':'" OPERATOR "','groups':['system:authenticated']},"
	    "'userAgent':'" OP_UA "','sourceIPs':['10.244.1.44'],'stage':'ResponseComplete',"
	    SECRET("reports", "report-secret") "," OK200 "}");
	judge();
	verdict(only("secrets_access"), "suspicious", "medium");

	/* a person's kubectl is routine: medium, as ever */
	req("alice@example.com", KUBECTL, "10.20.4.33", "get", 0, SECRET("shop", "db") "," OK200);
	judge();
	v = only("secrets_access");
	verdict(v, "suspicious", "medium");
	ck_assert_ptr_null(strstr(tu_json_get(v, "reason"), "stolen"));
}
END_TEST

START_TEST(operator_informer_secrets)
{
	const char *v;

	req("system:serviceaccount:monitoring:kube-state-metrics",
	    "kube-state-metrics/v2.10.1 (linux/amd64) kubernetes/$Format", "10.244.1.31", "list", 0,
	    "'objectRef':{'resource':'secrets','apiVersion':'v1'},'requestURI':'/api/v1/secrets?"
	    "limit=500&resourceVersion=0'," OK200);
	judge();
	expect_routine("secrets_access", "suspicious", "a service account's informer caching every namespace's secrets",
		       "informer");

	/* the same list with curl: above today's high */
	req("system:serviceaccount:monitoring:kube-state-metrics", "curl/8.5.0", "10.244.1.31",
	    "list", 0, "'objectRef':{'resource':'secrets','apiVersion':'v1'}," OK200);
	judge();
	v = only("secrets_access");
	verdict(v, "suspicious", "critical");
	expect_reason(v, "used with curl");

	/* no userAgent, unknown address: neither routine nor raised */
	add("{'verb':'list','user':{'username':'system:serviceaccount:monitoring:ksm'},"
	    "'stage':'ResponseComplete','objectRef':{'resource':'secrets'}," OK200 "}");
	judge();
	verdict(only("secrets_access"), "suspicious", "high");
}
END_TEST

START_TEST(helm_release_storage)
{
	req("kubernetes-admin", "helm/v3.14.2", "192.168.10.5", "list", 0,
	    "'objectRef':{'resource':'secrets','namespace':'monitoring','apiVersion':'v1'},"
	    "'requestURI':'/api/v1/namespaces/monitoring/secrets?labelSelector=name%3Dkps%2C"
	    "owner%3Dhelm&limit=500'," OK200);
	judge();
	expect_routine("secrets_access", "benign", "Helm release storage",
		       "helm-release-storage");

	req("kubernetes-admin", "helm/v3.14.2", "192.168.10.5", "get", 0,
	    SECRET("monitoring", "sh.helm.release.v1.kps.v3") "," OK200);
	judge();
	verdict(only("secrets_access"), "benign", "info");

	/* kubectl reading a release secret (every value the chart got) */
	req("kubernetes-admin", KUBECTL, "192.168.10.5", "get", 0,
	    SECRET("monitoring", "sh.helm.release.v1.kps.v3") "," OK200);
	judge();
	verdict(only("secrets_access"), "suspicious", "medium");

	/* from a public address, or a selector that only mentions helm */
	req("kubernetes-admin", "helm/v3.14.2", "203.0.113.9", "get", 0,
	    SECRET("monitoring", "sh.helm.release.v1.kps.v3") "," OK200);
	judge();
	verdict(only("secrets_access"), "suspicious", "medium");
	req("kubernetes-admin", "helm/v3.14.2", "192.168.10.5", "list", 0,
	    "'objectRef':{'resource':'secrets','namespace':'monitoring'},'requestURI':"
	    "'/api/v1/namespaces/monitoring/secrets?labelSelector=owner%3Dhelmet'," OK200);
	judge();
	verdict(only("secrets_access"), "suspicious", "medium");
}
END_TEST

/* Six distinct chart-style secrets whose names share their first 40
 * characters, read by a person: one burst. */
START_TEST(burst_of_long_names)
{
	static const char *const tails[] = { "alertmanager", "prometheus", "grafana-admin",
					     "operator-tls", "web-config", "tls-assets-0" };
	char rest[512];
	const char *v;
	int i;

	for (i = 0; i < 6; i++) {
		snprintf(rest, sizeof(rest),
			 SECRET("monitoring-with-a-long-namespace-name-of-chart",
				"kube-prometheus-stack-release-2024-03-14-%s") "," OK200, tails[i]);
		req("mallory@example.com", KUBECTL, "10.20.4.40", "get", i * 10, rest);
	}
	judge();
	ck_assert_uint_eq(tu_count(&T, "secrets_access"), 6);
	v = tu_find(&T, "secrets_access", 4);
	verdict(v, "suspicious", "high");
	expect_reason(v, "read 5 distinct secrets in 5 requests");
	expect(v, "correlation.count", "5");
	/* a short form for display, where the names differ */
	ck_assert(tu_json_array_has(v, "correlation.distinct",
				    "monitoring-with-a-lo/kube-prometheus-sta...4-03-14-alertmanager"));
	ck_assert(tu_json_array_has(v, "correlation.distinct",
				    "monitoring-with-a-lo/kube-prometheus-sta...-03-14-grafana-admin"));
}
END_TEST

/* ---- control_plane_tampering ---- */

#define GK "system:serviceaccount:gatekeeper-system:gatekeeper-admin"
#define GK_UA "manager/v0.0.0 (linux/amd64) kubernetes/$Format"
#define HOOK(res, name) \
	"'objectRef':{'resource':'" res "','name':'" name "','apiGroup':" \
	"'admissionregistration.k8s.io','apiVersion':'v1'}"
#define FULL_HOOK(cc) \
	"'level':'Request','requestObject':{'kind':'MutatingWebhookConfiguration'," \
	"'metadata':{'name':'gatekeeper-mutating-webhook-configuration'},'webhooks':[{" \
	"'name':'mutation.gatekeeper.sh','clientConfig':" cc ",'sideEffects':'None'," \
	"'admissionReviewVersions':['v1']}]}"

#define OWN_SERVICE "{'service':{'name':'gatekeeper-webhook-service','namespace':" \
	"'gatekeeper-system'},'caBundle':'LS0t'}"

/* An update of gatekeeper's mutating webhook configuration (res "m") or
 * validating one ("v") whose webhook's clientConfig is cc (a
 * FULL_HOOK() argument); the one control_plane_tampering verdict. */
static const char *hook_update(const char *user, const char *ua, const char *ip, char res,
			       const char *cc)
{
	char rest[1024];

	snprintf(rest, sizeof(rest), "%s," OK200 ",%s",
		 res == 'm' ? HOOK("mutatingwebhookconfigurations",
				   "gatekeeper-mutating-webhook-configuration")
			    : HOOK("validatingwebhookconfigurations",
				   "gatekeeper-validating-webhook-configuration"),
		 cc);
	req(user, ua, ip, "update", 0, rest);
	judge();
	return only("control_plane_tampering");
}

START_TEST(webhook_rotation_by_owner)
{
	const char *v;

	hook_update(GK, GK_UA, "10.244.1.52", 'm', FULL_HOOK(OWN_SERVICE));
	expect_routine("control_plane_tampering", "benign",
		       "certificate rotation by the component that owns it", "owner-rotation");

	/* the same update by a person, or with the owner's token and
	 * kubectl: high, as ever */
	verdict(hook_update("dev@example.com", KUBECTL, "10.20.9.14", 'm', FULL_HOOK(OWN_SERVICE)),
		"suspicious", "high");
	verdict(hook_update(GK, KUBECTL, "10.244.1.52", 'm', FULL_HOOK(OWN_SERVICE)), "suspicious",
		"high");

	/* pointed at a service elsewhere, or at a URL: not rotation */
	v = hook_update(GK, GK_UA, "10.244.1.52", 'v',
			FULL_HOOK("{'service':{'name':'x','namespace':'evil'}}"));
	verdict(v, "suspicious", "medium");
	expect_reason(v, "it calls a service in namespace evil");
	v = hook_update(GK, GK_UA, "10.244.1.52", 'v',
			FULL_HOOK("{'url':'https://hooks.example.net/admit'}"));
	verdict(v, "suspicious", "high");
	expect_reason(v, "it calls URL https://hooks.example.net/admit");

	/* created by the owner: stays */
	req(GK, GK_UA, "10.244.1.52", "create", 0,
	    HOOK("mutatingwebhookconfigurations", "gatekeeper-mutating-webhook-configuration") ","
	    "'responseStatus':{'code':201}," FULL_HOOK("{'service':{'name':'s','namespace':"
						     "'gatekeeper-system'}}"));
	judge();
	verdict(only("control_plane_tampering"), "suspicious", "high");
}
END_TEST

#define CAI "system:serviceaccount:cert-manager:cert-manager-cainjector"
#define CAI_UA "cainjector/v1.14.4 (linux/amd64) kubernetes/$Format"

START_TEST(webhook_ca_bundle_patch)
{
	const char *v;

	/* cainjector filling another component's webhook: caBundle alone */
	req(CAI, CAI_UA, "10.244.2.41", "patch", 0,
	    HOOK("validatingwebhookconfigurations", "shop-validator") "," OK200 ",'level':'Request',"
	    "'requestObject':[{'op':'replace','path':'/webhooks/0/clientConfig/caBundle',"
	    "'value':'LS0t'},{'op':'add','path':'/webhooks/12/clientConfig/caBundle','value':'x'}]");
	judge();
	v = only("control_plane_tampering");
	verdict(v, "benign", "info");
	expect_reason(v, "a patch of caBundle only");
	/* an apply patch of names and caBundle */
	req(CAI, CAI_UA, "10.244.2.41", "patch", 0,
	    HOOK("validatingwebhookconfigurations", "shop-validator") "," OK200 ",'level':'Request',"
	    "'requestObject':{'apiVersion':'admissionregistration.k8s.io/v1','kind':"
	    "'ValidatingWebhookConfiguration','metadata':{'name':'shop-validator'},'webhooks':"
	    "[{'name':'v.shop.io','clientConfig':{'caBundle':'LS0t'}}]}");
	judge();
	verdict(only("control_plane_tampering"), "benign", "info");

	/* a patch that also turns enforcement off: not rotation */
	req(CAI, CAI_UA, "10.244.2.41", "patch", 0,
	    HOOK("validatingwebhookconfigurations", "shop-validator") "," OK200 ",'level':'Request',"
	    "'requestObject':[{'op':'replace','path':'/webhooks/0/clientConfig/caBundle',"
	    "'value':'LS0t'},{'op':'replace','path':'/webhooks/0/failurePolicy','value':'Ignore'}]");
	judge();
	verdict(only("control_plane_tampering"), "suspicious", "medium");

	/* no body logged: the name decides (cert-manager-webhook for cert-manager) */
	req(CAI, CAI_UA, "10.244.2.41", "update", 0,
	    HOOK("mutatingwebhookconfigurations", "cert-manager-webhook") "," OK200);
	judge();
	expect_reason(only("control_plane_tampering"), "named after the account; no body logged");
	req(CAI, CAI_UA, "10.244.2.41", "update", 0,
	    HOOK("mutatingwebhookconfigurations", "cert-managerial") "," OK200);
	judge();
	verdict(only("control_plane_tampering"), "suspicious", "high");
}
END_TEST

/* ---- controllers' copies of templates ---- */

#define RSC "system:serviceaccount:kube-system:replicaset-controller"
#define KCM_UA "kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/4b8e819/" \
	"system:serviceaccount:kube-system:replicaset-controller"
#define POD_IN(ns) "'objectRef':{'resource':'pods','namespace':'" ns "','apiVersion':'v1'}"

START_TEST(derived_copies)
{
	/* at Metadata level: judged at the owner, no needs_context */
	req(RSC, KCM_UA, "192.168.10.10", "create", 0, POD_IN("shop") ",'responseStatus':"
	    "{'code':201}");
	judge();
	ck_assert_uint_eq(tu_count(&T, "privileged_workload"), 0);
	/* with a body, privileged: the same */
	req(RSC, KCM_UA, "192.168.10.10", "create", 0, POD_IN("shop") ",'responseStatus':"
	    "{'code':201},'level':'Request','requestObject':{'kind':'Pod','spec':{'containers':"
	    "[{'name':'c','image':'i','securityContext':{'privileged':true}}]}}");
	judge();
	ck_assert_uint_eq(tu_count(&T, "privileged_workload"), 0);

	/* the controller's token with kubectl: judged */
	req(RSC, KUBECTL, "192.168.10.10", "create", 0, POD_IN("shop") ",'responseStatus':"
	    "{'code':201}");
	judge();
	verdict(only("privileged_workload"), "needs_context", "low");
	/* a privileged pod by another kube-system account (not the copy of its
	 * own template): judged */
	req("system:serviceaccount:kube-system:deployment-controller", KCM_UA, "192.168.10.10",
	    "create", 0, POD_IN("shop") ",'responseStatus':{'code':201},'level':'Request',"
	    "'requestObject':{'kind':'Pod','spec':{'containers':[{'name':'c','image':'i',"
	    "'securityContext':{'privileged':true}}]}}");
	judge();
	verdict(only("privileged_workload"), "suspicious", "medium");
}
END_TEST

/* ---- denials ---- */

#define SCHED "system:kube-scheduler"
#define SCHED_UA "kube-scheduler/v1.29.2 (linux/amd64) kubernetes/4b8e819/scheduler"
#define FORBID(res) \
	"'objectRef':{'resource':'" res "','apiVersion':'v1'},'responseStatus':{'code':403," \
	"'message':'" res " is forbidden: User \\'system:kube-scheduler\\' cannot list " \
	"resource'},'annotations':{'authorization.k8s.io/decision':'forbid'}"

START_TEST(startup_denials)
{
	static const char *const res[] = { "pods", "nodes", "services", "namespaces",
					   "persistentvolumes", "csinodes" };
	char rest[512];
	size_t i;
	int k;

	for (k = 0; k < 12; k++) {
		snprintf(rest, sizeof(rest), FORBID("%s"), res[k % 6], res[k % 6]);
		req(SCHED, SCHED_UA, "192.168.10.10", "list", k, rest);
	}
	judge();
	ck_assert_uint_eq(tu_count(&T, "rbac_probing"), 12);
	for (i = 0; i < 12; i++) {
		const char *v = tu_find(&T, "rbac_probing", i);

		verdict(v, "benign", "info");
		expect_reason(v, "a platform identity denied within its first minutes");
		expect(v, "evidence.denied_by", "authorization");
	}

	/* ten more, six minutes after the first: probing again */
	req(SCHED, SCHED_UA, "192.168.10.10", "list", 0, "'objectRef':{'resource':'pods'},"
	    "'responseStatus':{'code':403},'annotations':{'authorization.k8s.io/decision':"
	    "'forbid'}");
	for (k = 0; k < 10; k++) {
		snprintf(rest, sizeof(rest), FORBID("%s"), res[k % 6], res[k % 6]);
		req(SCHED, SCHED_UA, "192.168.10.10", "list", 360 + k, rest);
	}
	judge();
	/* the nine before the burst are single info denials */
	ck_assert_uint_eq(tu_count(&T, "rbac_probing"), 11);
	ck_assert_uint_eq(tu_count_alerts(&T, "rbac_probing"), 1);
	expect_reason(tu_find_alert(&T, "rbac_probing", 0), "permission probing");

	/* the scheduler's credential with curl: probing from the start */
	for (k = 0; k < 10; k++) {
		snprintf(rest, sizeof(rest), FORBID("%s"), res[k % 6], res[k % 6]);
		req(SCHED, "curl/8.5.0", "192.168.10.10", "list", k, rest);
	}
	judge();
	ck_assert_uint_eq(tu_count_alerts(&T, "rbac_probing"), 1);
	verdict(tu_find_alert(&T, "rbac_probing", 0), "suspicious", "high");
}
END_TEST

#define NODE_DENIED(ua, ip)                                                                   \
	req("system:node:worker-2", ua, ip, "get", 0,                                          \
	    SECRET("shop", "db") ",'responseStatus':{'code':403,'message':'secrets \\'db\\' is " \
	    "forbidden: User \\'system:node:worker-2\\' cannot get resource'},'annotations':{"   \
	    "'authorization.k8s.io/decision':'forbid','authorization.k8s.io/reason':'no "       \
	    "relationship found between node \\'worker-2\\' and this object'}")

START_TEST(node_authorizer_denials)
{
	const char *v;

	NODE_DENIED("kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819", "192.168.10.12");
	judge();
	v = only("rbac_probing");
	verdict(v, "benign", "info");
	expect_reason(v, "the Node authorizer found no pod on this node");

	/* a kubelet credential used with kubectl from a public address */
	NODE_DENIED(KUBECTL, "198.51.100.7");
	judge();
	v = only("rbac_probing");
	verdict(v, "suspicious", "low");
	expect_reason(v, "a denied attempt, not access");
}
END_TEST

/* A request by a person with kubectl, judged. */
static void dev(const char *verb, const char *rest)
{
	req("dev@example.com", KUBECTL, "10.20.9.14", verb, 0, rest);
	judge();
}

#define RS_DENIED(message, decision)                                                         \
	req(RSC, KCM_UA, "192.168.10.10", "create", 0,                                         \
	    POD_IN("shop") ",'responseStatus':{'code':403,'message':'" message "'},"           \
	    "'annotations':{'authorization.k8s.io/decision':'" decision "'}")

START_TEST(admission_denials)
{
	const char *v;
	size_t i;
	int k;

	for (k = 0; k < 16; k++)
		RS_DENIED("pods \\'legacy-\\' is forbidden: violates PodSecurity \\'restricted:latest\\'"
			  ": allowPrivilegeEscalation != false", "allow");
	judge();
	ck_assert_uint_eq(tu_count(&T, "rbac_probing"), 16);
	for (i = 0; i < 16; i++) {
		v = tu_find(&T, "rbac_probing", i);
		verdict(v, "benign", "info");
		expect(v, "outcome", "denied");
		expect(v, "evidence.denied_by", "admission");
		expect_reason(v, "refused by admission after authorization allowed it, not "
				 "permission probing");
	}

	/* a webhook's refusal, no decision annotation: the message says it */
	dev("create",
	    SECRET("shop", "x") ",'responseStatus':{'code':403,'message':'admission webhook "
	    "\\'validation.gatekeeper.sh\\' denied the request: no'}");
	v = only("rbac_probing");
	verdict(v, "suspicious", "low");
	expect(v, "evidence.denied_by", "admission");
	expect_reason(v, "refused by admission");

	/* a ValidatingAdmissionPolicy's 422 is a denial; an invalid object an error */
	dev("create",
	    POD_IN("shop") ",'responseStatus':{'code':422,'message':'pods \\'p\\' is forbidden: "
	    "ValidatingAdmissionPolicy \\'no-root\\' with binding \\'b\\' denied request'},"
	    "'annotations':{'authorization.k8s.io/decision':'allow'}");
	v = only("rbac_probing");
	expect(v, "outcome", "denied");
	expect(v, "evidence.denied_by", "admission");
	dev("create",
	    POD_IN("shop") ",'responseStatus':{'code':422,'message':'Pod \\'p\\' is invalid: "
	    "spec.containers: Required value'},'annotations':{'authorization.k8s.io/decision':"
	    "'allow'}");
	ck_assert_uint_eq(tu_count(&T, "rbac_probing"), 0);

	/* an object named to look like PodSecurity's refusal, on an authorizer's
	 * 403 without the decision: authorization */
	dev("get",
	    SECRET("shop", "x violates PodSecurity") ",'responseStatus':{'code':403,'message':"
	    "'secrets \\'x violates PodSecurity\\' is forbidden: User \\'dev@example.com\\' "
	    "cannot get resource'}");
	v = only("rbac_probing");
	verdict(v, "suspicious", "low");
	expect(v, "evidence.denied_by", "authorization");
	/* an allow decision without a message: authorization, counted */
	dev("get",
	    SECRET("shop", "x") ",'responseStatus':{'code':403},'annotations':{"
	    "'authorization.k8s.io/decision':'allow'}");
	expect(only("rbac_probing"), "evidence.denied_by", "authorization");
}
END_TEST

/* ---- discovery ---- */

START_TEST(informer_start_is_not_discovery)
{
	static const char *const res[] = { "pods", "services", "configmaps", "deployments",
					   "ingresses", "namespaces", "secrets", "roles" };
	char rest[256];
	int k;

	for (k = 0; k < 8; k++) {
		snprintf(rest, sizeof(rest), "'objectRef':{'resource':'%s'}," OK200, res[k]);
		req("system:serviceaccount:argocd:argocd-application-controller",
		    "argocd-application-controller/v2.10.4 (linux/amd64) kubernetes/$Format",
		    "10.244.2.33", "list", k, rest);
	}
	judge();
	ck_assert_uint_eq(tu_count(&T, "discovery"), 0);

	for (k = 0; k < 8; k++) {
		snprintf(rest, sizeof(rest), "'objectRef':{'resource':'%s'}," OK200, res[k]);
		req("system:serviceaccount:argocd:argocd-application-controller", KUBECTL,
		    "10.244.2.33", "list", k, rest);
	}
	judge();
	verdict(only("discovery"), "suspicious", "medium");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("baselines");
	TCase *tc = tcase_create("structural");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, operator_reads_own_secrets);
	tcase_add_test(tc, operator_informer_secrets);
	tcase_add_test(tc, helm_release_storage);
	tcase_add_test(tc, burst_of_long_names);
	tcase_add_test(tc, webhook_rotation_by_owner);
	tcase_add_test(tc, webhook_ca_bundle_patch);
	tcase_add_test(tc, derived_copies);
	tcase_add_test(tc, startup_denials);
	tcase_add_test(tc, node_authorizer_denials);
	tcase_add_test(tc, admission_denials);
	tcase_add_test(tc, informer_start_is_not_discovery);
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
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
