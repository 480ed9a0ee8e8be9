/* Known components and Helm release windows: the policy's "components"
 * (errors at their JSON pointer), a default component's routine request
 * (info, evidence.routine), the same identity outside its rules, with
 * kubectl from a public address, the defaults turned off, a user entry,
 * and Helm's release content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define CM "system:serviceaccount:cert-manager:cert-manager"
#define CMW "system:serviceaccount:cert-manager:cert-manager-webhook"
#define CM_UA "cert-manager-certificates-issuing/v1.14.4 (linux/amd64) cert-manager/f6a7f8d"
#define KUBECTL "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"
#define ADMIN "kubernetes-admin"

static tu_ctx T;
static char text[1 << 14];
static size_t len;

/* One event: ns:name of the account (or a username), client, address,
 * verb, the objectRef's JSON and more members; ' stands for ". */
static void ev(const char *user, const char *ua, const char *ip, const char *verb,
	       const char *ref, const char *more)
{
	static unsigned serial;
	char groups[200] = "";
	size_t i, start = len;
	unsigned id = ++serial;

	if (strncmp(user, "system:serviceaccount:", 22) == 0) {
		/* the namespace follows the second colon (found, not counted
		 * off: gcc -O3 would warn of an offset past shorter names) */
		const char *ns = strchr(strchr(user, ':') + 1, ':') + 1;

		snprintf(groups, sizeof(groups), ",'groups':['system:serviceaccounts:%.*s',"
			 "'system:authenticated']", (int)(strchr(ns, ':') - ns), ns);
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"{'kind':'Event','level':'%s','auditID':'c-%u','stage':"
				"'ResponseComplete','verb':'%s','user':{'username':'%s'%s},"
				"'userAgent':'%s','sourceIPs':['%s'],'objectRef':%s,"
				"'responseStatus':{'code':200},'stageTimestamp':"
				"'2024-03-14T09:00:%02u.000000Z'%s}\n",
				more ? "Request" : "Metadata", id, verb, user, groups, ua, ip,
				ref, id % 60, more ? more : "");
	for (i = start; i < len; i++)
		if (text[i] == '\'')
			text[i] = '"';
}

static void judge(const char *policy)
{
	kag_registry *reg;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(reg, KAG_ROPT_REPEAT_WINDOW, 0), KAG_OK);
	if (policy)
		ck_assert_msg(kag_registry_load_policy(reg, policy, strlen(policy)) == KAG_OK, "%s",
			      kag_registry_error_message(reg));
	tu_init_registry(&T, reg);
	tu_judge(&T, text, len);
	len = 0;
}

static const char *one(const char *id)
{
	ck_assert_msg(tu_count(&T, id) == 1, "%zu %s verdicts:\n%s", tu_count(&T, id), id,
		      T.out ? T.out : "");
	return tu_find(&T, id, 0);
}

static void is(const char *line, const char *path, const char *want)
{
	const char *got = tu_json_get(line, path);

	ck_assert_msg(got && strcmp(got, want) == 0, "%s: got %s, want %s\nin %s", path,
		      got ? got : "(absent)", want, line);
}

#define SECRET(ns) "{'resource':'secrets','namespace':'" ns "','name':'tls','apiVersion':'v1'}"

START_TEST(default_routine)
{
	/* cert-manager writes certificates' secrets in every namespace */
	ev(CM, CM_UA, "10.244.1.23", "get", SECRET("shop"), NULL);
	judge(NULL);
	is(one("secrets_access"), "assessment", "benign");
	is(one("secrets_access"), "severity", "info");
	is(one("secrets_access"), "evidence.routine", "known-component:cert-manager");
	ck_assert_ptr_nonnull(strstr(tu_json_get(one("secrets_access"), "reason"),
				     "inside what cert-manager is known to do"));
	tu_free(&T);
}
END_TEST

START_TEST(outside_rules)
{
	/* the webhook keeps its own namespace's certificate only */
	ev(CMW, "webhook/v1.14.4 (linux/amd64) cert-manager/f6a7f8d", "10.244.3.40", "get",
	   SECRET("shop"), NULL);
	judge(NULL);
	is(one("secrets_access"), "assessment", "suspicious");
	is(one("secrets_access"), "evidence.component", "cert-manager-webhook");
	ck_assert_ptr_nonnull(strstr(tu_json_get(one("secrets_access"), "reason"),
				     "outside what cert-manager-webhook is known to do"));
	tu_free(&T);
}
END_TEST

START_TEST(by_hand_raised)
{
	/* the component's token with kubectl from a public address */
	ev(CM, KUBECTL, "198.51.100.7", "get", SECRET("shop"), NULL);
	judge(NULL);
	is(one("secrets_access"), "assessment", "suspicious");
	is(one("secrets_access"), "severity", "critical");
	ck_assert_ptr_null(tu_json_get(one("secrets_access"), "evidence.routine"));
	tu_free(&T);
}
END_TEST

START_TEST(defaults_off_and_own_entry)
{
	ev(CM, CM_UA, "10.244.1.23", "get", SECRET("shop"), NULL);
	judge("{\"default_components\": false}");
	is(one("secrets_access"), "assessment", "suspicious");
	tu_free(&T);

	ev("system:serviceaccount:backup:snapshotter", "snap/1.0", "10.244.1.9", "get",
	   SECRET("shop"), NULL);
	judge("{\"default_components\": false, \"components\": [{\"name\": \"snapshotter\", "
	      "\"about\": \"backs up secrets\", \"match\": {\"service_accounts\": "
	      "[\"backup:snap*\"]}, \"rules\": [{\"verbs\": [\"get\"], \"apiGroups\": [\"\"], "
	      "\"resources\": [\"secrets\"], \"namespaces\": [\"shop\"]}]}]}");
	is(one("secrets_access"), "evidence.routine", "known-component:snapshotter");
	tu_free(&T);
}
END_TEST

static void bad(const char *policy, const char *path, const char *message)
{
	kag_registry *reg;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_lt(kag_registry_load_policy(reg, policy, strlen(policy)), 0);
	ck_assert_str_eq(kag_registry_error_path(reg), path);
	ck_assert_msg(strstr(kag_registry_error_message(reg), message), "%s",
		      kag_registry_error_message(reg));
	kag_registry_free(reg);
}

#define ENTRY(match, rules) \
	"{\"components\": [{\"name\": \"x\", \"about\": \"y\", \"match\": " match \
	", \"rules\": " rules "}]}"
#define RULE "[{\"verbs\": [\"get\"], \"apiGroups\": [\"\"], \"resources\": [\"pods\"], " \
	     "\"namespaces\": \"own\"}]"

START_TEST(load_errors)
{
	bad(ENTRY("{}", RULE), "/components/0/match", "names no identity");
	bad(ENTRY("{\"service_accounts\": [\"nocolon\"]}", RULE),
	    "/components/0/match/service_accounts/0", "expected \"namespace:name\"");
	bad(ENTRY("{\"users\": [\"u\"], \"userAgent\": \"helm\"}", RULE),
	    "/components/0/match/userAgent", "unknown key");
	bad(ENTRY("{\"users\": [\"u\"]}", "[{\"verbs\": [\"grab\"], \"apiGroups\": [\"\"], "
		  "\"resources\": [\"pods\"], \"namespaces\": \"all\"}]"),
	    "/components/0/rules/0/verbs/0", "unknown verb");
	bad(ENTRY("{\"users\": [\"u\"]}", "[{\"verbs\": [\"get\"], \"apiGroups\": [\"\"], "
		  "\"resources\": [\"pods\"], \"namespaces\": \"some\"}]"),
	    "/components/0/rules/0/namespaces", "expected \"own\", \"all\"");
	bad(ENTRY("{\"users\": [\"u\"]}", "[]"), "/components/0/rules", "non-empty array");
	bad("{\"components\": [{\"name\": \"x\"}]}", "/components/0", "a component needs");
	bad("{\"default_components\": 0}", "/default_components", "expected true or false");
}
END_TEST

START_TEST(shipped_document_loads)
{
	/* lib/components.json through the loader: the same checks as a
	 * user's entries */
	kag_registry *reg;
	size_t n;
	char *doc = tu_read_file(KAG_TEST_DATA "/../../lib/components.json", &n);

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_msg(kag_registry_load_policy(reg, doc, n) == KAG_OK, "%s",
		      kag_registry_error_message(reg));
	kag_registry_free(reg);
	free(doc);
}
END_TEST

#define CRON "{'resource':'cronjobs','namespace':'shop','apiGroup':'batch','apiVersion':'v1'}"
#define STORE(v) "{'resource':'secrets','namespace':'shop','name':'sh.helm.release.v1.shop." v \
		 "','apiVersion':'v1'}"

START_TEST(helm_release)
{
	/* helm writes release storage, then the chart's CronJob: content */
	ev(ADMIN, "Helm/3.14.2", "10.20.4.17", "create", STORE("v2"), NULL);
	ev(ADMIN, "Helm/3.14.2", "10.20.4.17", "create", CRON, NULL);
	judge(NULL);
	is(one("persistence_workload"), "evidence.routine", "helm-release");
	tu_free(&T);

	/* no release storage written: judged as ever */
	ev(ADMIN, "Helm/3.14.2", "10.20.4.17", "create", CRON, NULL);
	judge(NULL);
	is(one("persistence_workload"), "severity", "medium");
	tu_free(&T);

	/* storage written, then kubectl: not helm's content */
	ev(ADMIN, "Helm/3.14.2", "10.20.4.17", "create", STORE("v2"), NULL);
	ev(ADMIN, KUBECTL, "10.20.4.17", "create", CRON, NULL);
	judge(NULL);
	is(one("persistence_workload"), "severity", "medium");
	tu_free(&T);

	/* from a public address: never */
	ev(ADMIN, "Helm/3.14.2", "198.51.100.7", "create", STORE("v2"), NULL);
	ev(ADMIN, "Helm/3.14.2", "198.51.100.7", "create", CRON, NULL);
	judge(NULL);
	is(one("persistence_workload"), "severity", "medium");
	tu_free(&T);

	/* a listed deployer needs no storage write */
	ev(ADMIN, "Helm/3.14.2", "10.20.4.17", "create", CRON, NULL);
	judge("{\"deployers\": [\"kubernetes-admin\"]}");
	is(one("persistence_workload"), "evidence.routine", "helm-release");
	tu_free(&T);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("components");
	TCase *tc = tcase_create("components");

	tcase_add_test(tc, default_routine);
	tcase_add_test(tc, outside_rules);
	tcase_add_test(tc, by_hand_raised);
	tcase_add_test(tc, defaults_off_and_own_entry);
	tcase_add_test(tc, load_errors);
	tcase_add_test(tc, shipped_document_loads);
	tcase_add_test(tc, helm_release);
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
