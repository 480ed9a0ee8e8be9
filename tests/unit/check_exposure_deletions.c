/* Detector coverage: exposure ranked by what a service exposes
 * (exposed_service), workloads created in system namespaces and
 * kube-proxy's configuration (persistence_workload,
 * control_plane_tampering), deletions that destroy evidence or
 * availability (destructive_delete) and hygiene signals (hygiene). Each
 * case has an event that fires and a near miss that does not; the whole
 * default catalogue judges, info verdicts on (detector_fixture.c). */
#include <stdio.h>
#include <stdlib.h>

#include "detector_fixture.h"

#define DEV "dev@example.com", "'developers','system:authenticated'"
#define CI "system:serviceaccount:ci:deployer", "'system:serviceaccounts','system:serviceaccounts:ci'"
#define KUBECTL "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"
#define HELM "Helm/3.14.2"
#define KCM_UA "kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/4b8e819/system:serviceaccount:kube-system:"
#define PRIVATE "10.20.9.14"
#define CP_IP "10.0.0.10"
#define OK(code) "'responseStatus':{'code':" #code "}"
#define REF(res, ns, name) "'objectRef':{'resource':'" res "','namespace':'" ns "','name':'" name "','apiVersion':'v1'}"
#define REF_CLUSTER(res, name) "'objectRef':{'resource':'" res "','name':'" name "'}"
#define KS_SA(name) "system:serviceaccount:kube-system:" name, \
	"'system:serviceaccounts','system:serviceaccounts:kube-system','system:authenticated'"

/* A service created in namespace ns: its name and the spec's members. */
static void service(int t, const char *ns, const char *name, const char *meta, const char *spec)
{
	char rest[2048];

	snprintf(rest, sizeof(rest),
		 "'objectRef':{'resource':'services','namespace':'%s','apiVersion':'v1'}," OK(201)
		 ",'requestObject':{'kind':'Service','metadata':{'name':'%s'%s},'spec':{%s}}",
		 ns, name, meta, spec);
	cov_event(DEV, PRIVATE, KUBECTL, "create", t, rest);
}

/* ---- exposed_service: ranked by what the service exposes ---- */

START_TEST(admin_ui_behind_load_balancer)
{
	const char *v;

	service(0, "monitoring", "grafana", "",
		"'type':'LoadBalancer','ports':[{'port':80,'targetPort':3000}]");
	cov_judge();
	v = cov_nth("exposed_service", 0);
	cov_is(v, "suspicious", "high", "exposes an admin UI (grafana)");
	cov_has(v, "evidence.exposure.adminUI", "grafana");
	cov_has(v, "evidence.exposure.serviceType", "LoadBalancer");

	/* by its labels: Kubeflow's dashboard, whatever the service is called */
	service(0, "kubeflow", "central", ",'labels':{'app.kubernetes.io/part-of':'kubeflow'}",
		"'type':'LoadBalancer','ports':[{'port':80}]");
	cov_judge();
	cov_is(cov_nth("exposed_service", 0), "suspicious", "high", "admin UI (kubeflow)");

	/* near miss: a plain web load balancer stays low, and "cargo" is no Argo */
	service(0, "shop", "cargo-web", ",'labels':{'app':'cargo-web'}",
		"'type':'LoadBalancer','ports':[{'port':443,'targetPort':8443}]");
	cov_judge();
	v = cov_nth("exposed_service", 0);
	cov_is(v, "suspicious", "low", "type LoadBalancer");
	cov_has(v, "evidence.exposure.adminUI", "null");
}
END_TEST

START_TEST(database_port_on_node_port)
{
	const char *v;

	service(0, "data", "orders", "", "'type':'NodePort','ports':[{'port':5432}]");
	cov_judge();
	v = cov_nth("exposed_service", 0);
	cov_is(v, "suspicious", "high", "exposes a database or cache port (5432)");
	cov_has(v, "evidence.exposure.databasePort", "5432");

	/* near miss: the same port on a ClusterIP service reaches no one outside */
	service(0, "data", "orders", "", "'type':'ClusterIP','ports':[{'port':5432}]");
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "exposed_service"), 0);
}
END_TEST

START_TEST(source_ranges_open_to_the_world)
{
	const char *v;

	service(0, "shop", "web", "",
		"'type':'LoadBalancer','loadBalancerSourceRanges':['0.0.0.0/0'],"
		"'ports':[{'port':443}]");
	cov_judge();
	v = cov_nth("exposed_service", 0);
	cov_is(v, "suspicious", "medium", "loadBalancerSourceRanges open to the world");
	cov_has(v, "evidence.exposure.openToWorld", "true");

	/* near miss: ranges that name one office network */
	service(0, "shop", "web", "",
		"'type':'LoadBalancer','loadBalancerSourceRanges':['198.51.100.0/24'],"
		"'ports':[{'port':443}]");
	cov_judge();
	v = cov_nth("exposed_service", 0);
	cov_is(v, "suspicious", "low", "type LoadBalancer");
	cov_has(v, "evidence.exposure.openToWorld", "false");
}
END_TEST

START_TEST(external_ips_patched_in)
{
	cov_event(DEV, PRIVATE, KUBECTL, "patch", 0,
		  REF("services", "shop", "cache") "," OK(200) ",'requestObject':{'spec':"
		  "{'externalIPs':['203.0.113.10'],'ports':[{'port':6379}]}}");
	cov_judge();
	cov_is(cov_nth("exposed_service", 0), "suspicious", "high",
	       "externalIPs set; exposes a database or cache port (6379)");

	/* near miss: a patch of the ports alone exposes nothing new */
	cov_event(DEV, PRIVATE, KUBECTL, "patch", 0,
		  REF("services", "shop", "cache") "," OK(200) ",'requestObject':{'spec':"
		  "{'ports':[{'port':6379}]}}");
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "exposed_service"), 0);
}
END_TEST

/* ---- persistence_workload: workloads created in system namespaces ---- */

START_TEST(workloads_created_in_kube_system)
{
	static const char *const kinds[] = { "deployments", "statefulsets", "replicasets",
					     "jobs", NULL };
	char rest[512];
	const char *v;
	size_t i;

	for (i = 0; kinds[i]; i++) {
		snprintf(rest, sizeof(rest),
			 "'objectRef':{'resource':'%s','namespace':'kube-system','name':"
			 "'metrics-helper','apiGroup':'apps','apiVersion':'v1'}," OK(201), kinds[i]);
		cov_event(DEV, PRIVATE, KUBECTL, "create", 0, rest);
		cov_judge();
		v = cov_nth("persistence_workload", 0);
		cov_is(v, "suspicious", "high", "a workload placed in a system namespace");
		cov_has(v, "evidence.persistence", "system-namespace-workload");
		ck_assert(tu_json_array_has(v, "attack", "T1036.005"));
		ck_assert(tu_json_array_has(v, "attack", "T1610"));
	}

	/* near miss: the deployment controller's ReplicaSet, derived from a
	 * deployment judged at its creation */
	cov_event(KS_SA("deployment-controller"), CP_IP, KCM_UA "deployment-controller", "create",
		  0, REF("replicasets", "kube-system", "coredns-5d78c9869d") "," OK(201));
	/* near miss: the same deployment in an application namespace */
	cov_event(DEV, PRIVATE, KUBECTL, "create", 1, REF("deployments", "shop", "web") ","
		  OK(201));
	cov_judge();
	ck_assert_uint_eq(tu_count_alerts(&cov_T, "persistence_workload"), 0);
}
END_TEST

START_TEST(helm_release_in_kube_system_stays_release_content)
{
	const char *v;

	cov_event(DEV, PRIVATE, HELM, "create", 0,
		  REF("secrets", "kube-system", "sh.helm.release.v1.metrics-server.v1") ","
		  OK(201));
	cov_event(DEV, PRIVATE, HELM, "create", 2,
		  REF("deployments", "kube-system", "metrics-server") "," OK(201));
	cov_judge();
	v = cov_nth("persistence_workload", 0);
	cov_is(v, "benign", "info", "content of a Helm release");
	cov_has(v, "evidence.routine", "helm-release");
}
END_TEST

/* ---- control_plane_tampering: kube-proxy's configuration ---- */

START_TEST(kube_proxy_config_changed)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "patch", 0,
		  REF("configmaps", "kube-system", "kube-proxy") "," OK(200)
		  ",'requestObject':{'data':{'config.conf':'mode: ipvs'}}");
	cov_judge();
	v = cov_nth("control_plane_tampering", 0);
	cov_is(v, "suspicious", "high", "kube-proxy configuration changed");
	cov_has(v, "evidence.tampering", "kube-proxy");
	ck_assert(tu_json_array_has(v, "attack", "T1557"));

	/* near miss: a configmap of that name in an application namespace */
	cov_event(DEV, PRIVATE, KUBECTL, "patch", 0,
		  REF("configmaps", "shop", "kube-proxy") "," OK(200));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "control_plane_tampering"), 0);
}
END_TEST

/* ---- destructive_delete ---- */

START_TEST(person_deletes_a_secret)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "delete", 0,
		  REF("secrets", "shop", "db-credentials") "," OK(200));
	cov_judge();
	v = cov_nth("destructive_delete", 0);
	cov_is(v, "suspicious", "low", "deleted secrets shop/db-credentials: credentials or "
	       "certificates destroyed");
	cov_has(v, "evidence.deleted", "secret");
	ck_assert(tu_json_array_has(v, "attack", "T1485"));

	/* all of a namespace's secrets: medium */
	cov_event(DEV, PRIVATE, KUBECTL, "deletecollection", 0,
		  "'objectRef':{'resource':'secrets','namespace':'shop','apiVersion':'v1'},"
		  OK(200));
	cov_judge();
	cov_is(cov_nth("destructive_delete", 0), "suspicious", "medium",
	       "deleted all secrets in namespace shop");

	/* near miss: a pipeline's service account pruning what it deployed */
	cov_event(CI, PRIVATE, "argocd-application-controller/v2.10", "delete", 0,
		  REF("secrets", "shop", "db-credentials") "," OK(200));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "destructive_delete"), 0);
}
END_TEST

START_TEST(person_deletes_a_node_agent)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "delete", 0,
		  REF("daemonsets", "kube-system", "falco") "," OK(200));
	cov_judge();
	v = cov_nth("destructive_delete", 0);
	cov_is(v, "suspicious", "medium", "a per-node agent removed from every node");
	ck_assert(tu_json_array_has(v, "attack", "T1489"));

	/* near miss: the garbage collector removing a deleted owner's copies */
	cov_event(KS_SA("generic-garbage-collector"), CP_IP, KCM_UA "generic-garbage-collector",
		  "delete", 0, REF("daemonsets", "kube-system", "falco") "," OK(200));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "destructive_delete"), 0);
}
END_TEST

START_TEST(person_deletes_a_csr)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "delete", 0,
		  REF_CLUSTER("certificatesigningrequests", "csr-admin-7xk2") "," OK(200));
	cov_judge();
	v = cov_nth("destructive_delete", 0);
	cov_is(v, "suspicious", "medium", "the record of a certificate request and its "
	       "approval removed by hand");
	cov_has(v, "evidence.deleted", "csr");
	ck_assert(tu_json_array_has(v, "attack", "T1070"));

	/* near miss: the controller that cleans up old requests */
	cov_event(KS_SA("certificate-controller"), CP_IP, KCM_UA "certificate-controller",
		  "delete", 0, REF_CLUSTER("certificatesigningrequests", "csr-node-1") ","
		  OK(200));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "destructive_delete"), 0);
}
END_TEST

START_TEST(namespace_deleted)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "delete", 0, REF_CLUSTER("namespaces", "airflow") ","
		  OK(200));
	cov_judge();
	v = cov_nth("destructive_delete", 0);
	cov_is(v, "suspicious", "low", "deleted namespaces airflow: a namespace deleted");

	/* near miss: the namespace controller emptying it, then removing it */
	cov_event(KS_SA("namespace-controller"), CP_IP, KCM_UA "namespace-controller",
		  "deletecollection", 0,
		  "'objectRef':{'resource':'secrets','namespace':'airflow'}," OK(200));
	cov_event(KS_SA("namespace-controller"), CP_IP, KCM_UA "namespace-controller",
		  "delete", 1, REF_CLUSTER("namespaces", "airflow") "," OK(200));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "destructive_delete"), 0);
}
END_TEST

START_TEST(helm_uninstall_is_release_content)
{
	const char *v;

	/* helm marks the release uninstalling, then deletes its objects */
	cov_event(DEV, PRIVATE, HELM, "update", 0,
		  REF("secrets", "shop", "sh.helm.release.v1.web.v3") "," OK(200));
	cov_event(DEV, PRIVATE, HELM, "delete", 1, REF("deployments", "shop", "web") ","
		  OK(200));
	cov_judge();
	v = cov_nth("destructive_delete", 0);
	cov_is(v, "benign", "info", "content of a Helm release");
	ck_assert_uint_eq(tu_count_alerts(&cov_T, "destructive_delete"), 0);
}
END_TEST

/* ---- hygiene ---- */

START_TEST(service_account_in_kube_system)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "create", 0,
		  "'objectRef':{'resource':'serviceaccounts','namespace':'kube-system',"
		  "'apiVersion':'v1'}," OK(201) ",'requestObject':{'metadata':{'name':"
		  "'kube-proxy-helper'}}");
	cov_judge();
	v = cov_nth("hygiene", 0);
	cov_is(v, "suspicious", "low", "an account in a system namespace");
	cov_has(v, "evidence.hygiene", "system-namespace-serviceaccount");
	ck_assert(tu_json_array_has(v, "attack", "T1136"));

	/* near miss: an account in an application namespace; one the
	 * platform makes in kube-system */
	cov_event(DEV, PRIVATE, KUBECTL, "create", 0,
		  REF("serviceaccounts", "shop", "web") "," OK(201));
	cov_event(KS_SA("service-account-controller"), CP_IP, KCM_UA "service-account-controller",
		  "create", 0, REF("serviceaccounts", "kube-system", "default") "," OK(201));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "hygiene"), 0);
}
END_TEST

START_TEST(person_runs_a_pod_in_default)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "create", 0,
		  REF("pods", "default", "debug") "," OK(201));
	cov_judge();
	v = cov_nth("hygiene", 0);
	cov_is(v, "suspicious", "info", "by hand in the default namespace");
	cov_has(v, "evidence.hygiene", "default-namespace-pod");
	ck_assert_uint_eq(tu_count_alerts(&cov_T, "hygiene"), 0);

	/* near miss: a service account's pod in default, a person's elsewhere */
	cov_event(CI, PRIVATE, "gitlab-runner/16.9", "create", 0,
		  REF("pods", "default", "runner-abc") "," OK(201));
	cov_event(DEV, PRIVATE, KUBECTL, "create", 0, REF("pods", "shop", "debug") "," OK(201));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "hygiene"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("exposure_deletions");
	TCase *tc = tcase_create("coverage");

	tcase_add_checked_fixture(tc, NULL, cov_teardown);
	tcase_add_test(tc, admin_ui_behind_load_balancer);
	tcase_add_test(tc, database_port_on_node_port);
	tcase_add_test(tc, source_ranges_open_to_the_world);
	tcase_add_test(tc, external_ips_patched_in);
	tcase_add_test(tc, workloads_created_in_kube_system);
	tcase_add_test(tc, helm_release_in_kube_system_stays_release_content);
	tcase_add_test(tc, kube_proxy_config_changed);
	tcase_add_test(tc, person_deletes_a_secret);
	tcase_add_test(tc, person_deletes_a_node_agent);
	tcase_add_test(tc, person_deletes_a_csr);
	tcase_add_test(tc, namespace_deleted);
	tcase_add_test(tc, helm_uninstall_is_release_content);
	tcase_add_test(tc, service_account_in_kube_system);
	tcase_add_test(tc, person_runs_a_pod_in_default);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
