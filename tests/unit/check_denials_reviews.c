/* Detector coverage: single denied writes and every other denial made
 * visible (rbac_probing), permission checks by people (discovery). Each
 * case has an event that fires and a near miss that does not; the whole
 * default catalogue judges, info verdicts on (detector_fixture.c). */
#include <stdio.h>
#include <stdlib.h>

#include "detector_fixture.h"

#define ANON "system:anonymous", "'system:unauthenticated'"
#define DEV "dev@example.com", "'developers','system:authenticated'"
#define KUBECTL "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"
#define PUBLIC "203.0.113.50"
#define PRIVATE "10.20.9.14"
#define FORBID(res, ns)                                                                    \
	"'objectRef':{'resource':'" res "','namespace':'" ns "','apiVersion':'v1'},"       \
	"'responseStatus':{'code':403},'annotations':{'authorization.k8s.io/decision':"    \
	"'forbid'}"

/* ---- rbac_probing: single denied writes, every denial visible ---- */

START_TEST(denied_anonymous_pod_create)
{
	const char *v;

	cov_event(ANON, PUBLIC, "python-requests/2.31", "create", 0, FORBID("pods", "default"));
	cov_judge();
	v = cov_nth("rbac_probing", 0);
	cov_is(v, "suspicious", "low", "an unauthenticated caller from a public address");
	cov_has(v, "outcome", "denied");
	cov_has(v, "evidence.denied_by", "authorization");
	ck_assert(tu_json_array_has(v, "attack", "T1610"));

	/* near miss: the same from a private address is one info denial */
	cov_event(ANON, PRIVATE, "python-requests/2.31", "create", 0, FORBID("pods", "default"));
	cov_judge();
	v = cov_nth("rbac_probing", 0);
	cov_is(v, "suspicious", "info", "a single denial");
	cov_has(v, "outcome", "denied");
}
END_TEST

START_TEST(denied_kube_system_workload_create)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "create", 0, FORBID("deployments", "kube-system"));
	cov_judge();
	v = cov_nth("rbac_probing", 0);
	cov_is(v, "suspicious", "low", "a workload create in a system namespace");

	/* near miss: a denied deployment in an application namespace */
	cov_event(DEV, PRIVATE, KUBECTL, "create", 0, FORBID("deployments", "shop"));
	cov_judge();
	cov_is(cov_nth("rbac_probing", 0), "suspicious", "info", "a single denial");
}
END_TEST

START_TEST(single_denials_are_visible)
{
	const char *v;

	/* a 401: a token the API server refused */
	cov_event("", "", PUBLIC, "curl/8.5.0", "get", 0,
	      "'requestURI':'/api/v1/namespaces','responseStatus':{'code':401}");
	cov_event(DEV, PRIVATE, KUBECTL, "get", 1, FORBID("configmaps", "shop"));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "rbac_probing"), 2);
	v = cov_nth("rbac_probing", 0);
	cov_is(v, "suspicious", "info", "response 401");
	cov_has(v, "outcome", "denied");
	v = cov_nth("rbac_probing", 1);
	cov_is(v, "suspicious", "info", "denied get on configmaps");
	cov_has(v, "outcome", "denied");
}
END_TEST

START_TEST(anonymous_denials_burst_at_five)
{
	static const char *const res[] = { "configmaps", "services", "namespaces", "pods",
					   "endpoints" };
	char rest[512];
	int k;

	for (k = 0; k < 5; k++) {
		snprintf(rest, sizeof(rest),
			 "'objectRef':{'resource':'%s','apiVersion':'v1'},'responseStatus':"
			 "{'code':403},'annotations':{'authorization.k8s.io/decision':'forbid'}",
			 res[k]);
		cov_event(ANON, PUBLIC, "Go-http-client/1.1", "list", k, rest);
	}
	cov_judge();
	cov_is(cov_nth("rbac_probing", 4), "suspicious", "high", "permission probing");
	cov_has(cov_nth("rbac_probing", 4), "correlation.count", "5");

	/* near miss: five denials of a person stay single ones */
	for (k = 0; k < 5; k++) {
		snprintf(rest, sizeof(rest),
			 "'objectRef':{'resource':'%s','apiVersion':'v1'},'responseStatus':"
			 "{'code':403},'annotations':{'authorization.k8s.io/decision':'forbid'}",
			 res[k]);
		cov_event(DEV, PRIVATE, KUBECTL, "list", k, rest);
	}
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "rbac_probing"), 5);
	cov_quiet("rbac_probing");
}
END_TEST

/* ---- discovery: permission checks by people ---- */

#define SSAR(ns, verb, res, sub)                                                           \
	"'objectRef':{'resource':'selfsubjectaccessreviews','apiGroup':"                   \
	"'authorization.k8s.io','apiVersion':'v1'},'responseStatus':{'code':201},"         \
	"'requestObject':{'kind':'SelfSubjectAccessReview','apiVersion':"                  \
	"'authorization.k8s.io/v1','spec':{'resourceAttributes':{'namespace':'" ns "',"     \
	"'verb':'" verb "','resource':'" res "','subresource':'" sub "'}}}"

START_TEST(person_asks_for_secrets_in_kube_system)
{
	const char *v;

	cov_event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("kube-system", "get", "secrets", ""));
	cov_judge();
	v = cov_nth("discovery", 0);
	cov_is(v, "suspicious", "medium", "asked get secrets in kube-system");
	ck_assert(tu_json_array_has(v, "attack", "T1069.003"));
	cov_has(v, "evidence.discovery", "access-review");

	cov_event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("kube-system", "create", "pods", "exec"));
	cov_judge();
	cov_is(cov_nth("discovery", 0), "suspicious", "medium", "asked create pods/exec in kube-system");

	cov_event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("shop", "get", "secrets", ""));
	cov_judge();
	cov_is(cov_nth("discovery", 0), "suspicious", "low", "a sensitive permission");

	/* near miss: "can I list pods in shop" is recorded, not raised */
	cov_event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("shop", "list", "pods", ""));
	cov_judge();
	cov_is(cov_nth("discovery", 0), "suspicious", "info", "asked list pods in shop");
}
END_TEST

START_TEST(person_enumerates_permissions)
{
	static const char *const res[] = { "pods", "services", "configmaps", "deployments",
					   "ingresses" };
	char rest[1024];
	const char *v;
	int k;

	/* kubectl auth can-i --list -n kube-system */
	cov_event(DEV, PRIVATE, KUBECTL, "create", 0,
	      "'objectRef':{'resource':'selfsubjectrulesreviews','apiGroup':"
	      "'authorization.k8s.io'},'responseStatus':{'code':201},'requestObject':{"
	      "'kind':'SelfSubjectRulesReview','spec':{'namespace':'kube-system'}}");
	cov_judge();
	cov_is(cov_nth("discovery", 0), "suspicious", "medium", "every permission in kube-system");

	/* rakkess: one question per resource */
	for (k = 0; k < 5; k++) {
		snprintf(rest, sizeof(rest),
			 "'objectRef':{'resource':'selfsubjectaccessreviews','apiGroup':"
			 "'authorization.k8s.io'},'responseStatus':{'code':201},'requestObject':"
			 "{'spec':{'resourceAttributes':{'namespace':'shop','verb':'list',"
			 "'resource':'%s'}}}", res[k]);
		cov_event(DEV, PRIVATE, "rakkess/v0.5.0", "create", k, rest);
	}
	cov_judge();
	v = cov_nth("discovery", 4);
	cov_is(v, "suspicious", "medium", "5 distinct permission questions");
	cov_has(v, "correlation.count", "5");
	cov_has(v, "evidence.discovery", "access-review-burst");

	/* near miss: the same question five times is one question */
	for (k = 0; k < 5; k++)
		cov_event(DEV, PRIVATE, KUBECTL, "create", k, SSAR("shop", "list", "pods", ""));
	cov_judge();
	ck_assert_uint_eq(tu_count(&cov_T, "discovery"), 5);
	cov_quiet("discovery");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("denials_reviews");
	TCase *tc = tcase_create("coverage");

	tcase_add_checked_fixture(tc, NULL, cov_teardown);
	tcase_add_test(tc, denied_anonymous_pod_create);
	tcase_add_test(tc, denied_kube_system_workload_create);
	tcase_add_test(tc, single_denials_are_visible);
	tcase_add_test(tc, anonymous_denials_burst_at_five);
	tcase_add_test(tc, person_asks_for_secrets_in_kube_system);
	tcase_add_test(tc, person_enumerates_permissions);
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
