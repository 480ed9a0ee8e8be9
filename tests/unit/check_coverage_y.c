/* Detector coverage: single denied writes and every other denial made
 * visible (rbac_probing), permission checks by people (discovery),
 * exposure ranked by what a service exposes (exposed_service), deletions
 * that destroy evidence or availability (destructive_delete) and hygiene
 * signals (hygiene). Each case has an event that fires and a near miss
 * that does not; the whole default catalogue judges, info verdicts on. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tu_ctx T;
static int T_live;
static tu_text S;

static void teardown(void)
{
	if (T_live)
		tu_free(&T);
	T_live = 0;
	free(S.s);
	memset(&S, 0, sizeof(S));
}

/* One audit event at second t of a minute: who (username, then the
 * groups as a JSON list body or ""), from where, with which client, and
 * the rest of the record. ' stands for " to keep the events readable. */
static void event(const char *user, const char *groups, const char *ip, const char *ua,
		  const char *verb, int t, const char *rest)
{
	static unsigned serial;
	char line[8192];
	int n;
	size_t k;

	n = snprintf(line, sizeof(line),
		     "{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'RequestResponse',"
		     "'auditID':'cov-%u','stage':'ResponseComplete','verb':'%s',"
		     "'user':{'username':'%s','groups':[%s]},'sourceIPs':['%s'],"
		     "'userAgent':'%s','stageTimestamp':'2024-05-02T10:%02d:%02d.000000Z',%s}\n",
		     ++serial, verb, user, groups, ip, ua, t / 60 % 60, t % 60, rest);
	ck_assert(n > 0 && (size_t)n < sizeof(line));
	for (k = 0; k < (size_t)n; k++)
		if (line[k] == '\'')
			line[k] = '"';
	tu_put(&S, line, (size_t)n);
}

static void judge(void)
{
	kag_registry *reg;

	if (T_live)
		tu_free(&T);
	/* each request's own verdict, repeats not folded */
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(reg, KAG_ROPT_REPEAT_WINDOW, 0), KAG_OK);
	tu_init_registry(&T, reg);
	T_live = 1;
	tu_judge(&T, S.s ? S.s : "", S.len);
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
	S.len = 0;
}

/* The n-th verdict of detector id, which must exist. */
static const char *nth(const char *id, size_t n)
{
	const char *v = tu_find(&T, id, n);

	ck_assert_msg(v != NULL, "no verdict %zu of %s in:\n%s", n, id, T.out ? T.out : "");
	return v;
}

static void has(const char *v, const char *path, const char *want)
{
	const char *got = tu_json_get(v, path);

	ck_assert_msg(got && strcmp(got, want) == 0, "%s is %s, want %s in\n%s", path,
		      got ? got : "(absent)", want, v);
}

/* assessment, severity and a fragment of the reason */
static void is(const char *v, const char *assessment, const char *severity, const char *why)
{
	const char *r;

	has(v, "assessment", assessment);
	has(v, "severity", severity);
	r = tu_json_get(v, "reason"); /* a static buffer: read last */
	ck_assert_msg(r && strstr(r, why), "reason lacks '%s' in\n%s", why, v);
}

/* No verdict of detector id ranks above info. */
static void quiet(const char *id)
{
	const char *v;
	size_t i;

	for (i = 0; (v = tu_find(&T, id, i)) != NULL; i++)
		ck_assert_msg(strcmp(tu_json_get(v, "severity"), "info") == 0,
			      "%s ranks above info:\n%s", id, v);
}

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

	event(ANON, PUBLIC, "python-requests/2.31", "create", 0, FORBID("pods", "default"));
	judge();
	v = nth("rbac_probing", 0);
	is(v, "suspicious", "low", "an unauthenticated caller from a public address");
	has(v, "outcome", "denied");
	has(v, "evidence.denied_by", "authorization");
	ck_assert(tu_json_array_has(v, "attack", "T1610"));

	/* near miss: the same from a private address is one info denial */
	event(ANON, PRIVATE, "python-requests/2.31", "create", 0, FORBID("pods", "default"));
	judge();
	v = nth("rbac_probing", 0);
	is(v, "suspicious", "info", "a single denial");
	has(v, "outcome", "denied");
}
END_TEST

START_TEST(denied_kube_system_workload_create)
{
	const char *v;

	event(DEV, PRIVATE, KUBECTL, "create", 0, FORBID("deployments", "kube-system"));
	judge();
	v = nth("rbac_probing", 0);
	is(v, "suspicious", "low", "a workload create in a system namespace");

	/* near miss: a denied deployment in an application namespace */
	event(DEV, PRIVATE, KUBECTL, "create", 0, FORBID("deployments", "shop"));
	judge();
	is(nth("rbac_probing", 0), "suspicious", "info", "a single denial");
}
END_TEST

START_TEST(single_denials_are_visible)
{
	const char *v;

	/* a 401: a token the API server refused */
	event("", "", PUBLIC, "curl/8.5.0", "get", 0,
	      "'requestURI':'/api/v1/namespaces','responseStatus':{'code':401}");
	event(DEV, PRIVATE, KUBECTL, "get", 1, FORBID("configmaps", "shop"));
	judge();
	ck_assert_uint_eq(tu_count(&T, "rbac_probing"), 2);
	v = nth("rbac_probing", 0);
	is(v, "suspicious", "info", "response 401");
	has(v, "outcome", "denied");
	v = nth("rbac_probing", 1);
	is(v, "suspicious", "info", "denied get on configmaps");
	has(v, "outcome", "denied");
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
		event(ANON, PUBLIC, "Go-http-client/1.1", "list", k, rest);
	}
	judge();
	is(nth("rbac_probing", 4), "suspicious", "high", "permission probing");
	has(nth("rbac_probing", 4), "correlation.count", "5");

	/* near miss: five denials of a person stay single ones */
	for (k = 0; k < 5; k++) {
		snprintf(rest, sizeof(rest),
			 "'objectRef':{'resource':'%s','apiVersion':'v1'},'responseStatus':"
			 "{'code':403},'annotations':{'authorization.k8s.io/decision':'forbid'}",
			 res[k]);
		event(DEV, PRIVATE, KUBECTL, "list", k, rest);
	}
	judge();
	ck_assert_uint_eq(tu_count(&T, "rbac_probing"), 5);
	quiet("rbac_probing");
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

	event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("kube-system", "get", "secrets", ""));
	judge();
	v = nth("discovery", 0);
	is(v, "suspicious", "medium", "asked get secrets in kube-system");
	ck_assert(tu_json_array_has(v, "attack", "T1069.003"));
	has(v, "evidence.discovery", "access-review");

	event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("kube-system", "create", "pods", "exec"));
	judge();
	is(nth("discovery", 0), "suspicious", "medium", "asked create pods/exec in kube-system");

	event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("shop", "get", "secrets", ""));
	judge();
	is(nth("discovery", 0), "suspicious", "low", "a sensitive permission");

	/* near miss: "can I list pods in shop" is recorded, not raised */
	event(DEV, PRIVATE, KUBECTL, "create", 0, SSAR("shop", "list", "pods", ""));
	judge();
	is(nth("discovery", 0), "suspicious", "info", "asked list pods in shop");
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
	event(DEV, PRIVATE, KUBECTL, "create", 0,
	      "'objectRef':{'resource':'selfsubjectrulesreviews','apiGroup':"
	      "'authorization.k8s.io'},'responseStatus':{'code':201},'requestObject':{"
	      "'kind':'SelfSubjectRulesReview','spec':{'namespace':'kube-system'}}");
	judge();
	is(nth("discovery", 0), "suspicious", "medium", "every permission in kube-system");

	/* rakkess: one question per resource */
	for (k = 0; k < 5; k++) {
		snprintf(rest, sizeof(rest),
			 "'objectRef':{'resource':'selfsubjectaccessreviews','apiGroup':"
			 "'authorization.k8s.io'},'responseStatus':{'code':201},'requestObject':"
			 "{'spec':{'resourceAttributes':{'namespace':'shop','verb':'list',"
			 "'resource':'%s'}}}", res[k]);
		event(DEV, PRIVATE, "rakkess/v0.5.0", "create", k, rest);
	}
	judge();
	v = nth("discovery", 4);
	is(v, "suspicious", "medium", "5 distinct permission questions");
	has(v, "correlation.count", "5");
	has(v, "evidence.discovery", "access-review-burst");

	/* near miss: the same question five times is one question */
	for (k = 0; k < 5; k++)
		event(DEV, PRIVATE, KUBECTL, "create", k, SSAR("shop", "list", "pods", ""));
	judge();
	ck_assert_uint_eq(tu_count(&T, "discovery"), 5);
	quiet("discovery");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("coverage_y");
	TCase *tc = tcase_create("coverage");

	tcase_add_checked_fixture(tc, NULL, teardown);
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
