/* Policy files and setters: loading, exact error paths, all-or-nothing
 * loads, and policies that change verdicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "detector-private.h"
#include "testutil.h"

static kag_registry *new_reg(void)
{
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	return r;
}

static int load(kag_registry *r, const char *json)
{
	return kag_registry_load_policy(r, json, strlen(json));
}

static int has(const kag__strlist *l, const char *s)
{
	kag_str v = { s, strlen(s) };

	return kag__strlist_has(l, v);
}

/* The load fails with `code` at JSON pointer `path`, and the message starts
 * with the path. */
static void expect_error(const char *json, int code, const char *path)
{
	kag_registry *r = new_reg();
	int rc = load(r, json);

	ck_assert_msg(rc == code, "%s: got %s (%s), want %s", json, kag_error_name(rc),
		      kag_registry_error_message(r), kag_error_name(code));
	ck_assert_str_eq(kag_registry_error_path(r), path);
	if (*path) {
		ck_assert_msg(strncmp(kag_registry_error_message(r), path, strlen(path)) == 0 &&
			      strncmp(kag_registry_error_message(r) + strlen(path), ": ", 2) == 0,
			      "message '%s' does not start with '%s: '",
			      kag_registry_error_message(r), path);
	}
	ck_assert_uint_gt(strlen(kag_registry_error_message(r)), strlen(path) + 2);
	kag_registry_free(r);
}

/* ---- loading ---- */

START_TEST(defaults_without_file)
{
	kag_registry *r = new_reg();

	ck_assert_uint_eq(r->policy.probe_threshold, 10);
	ck_assert_uint_eq(r->policy.probe_window_us, 1800ULL * 1000000);
	ck_assert_uint_eq(r->policy.trusted_users.n, 0);
	ck_assert(has(&r->policy.system_namespaces, "kube-system"));
	ck_assert_str_eq(kag_registry_error_message(r), "");
	ck_assert_str_eq(kag_registry_error_path(r), "");
	kag_registry_free(r);
}
END_TEST

START_TEST(numbers_and_lists)
{
	kag_registry *r = new_reg();
	const char *json =
		"{\"version\":1,\"description\":\"test\","
		" \"thresholds\":{\"probe\":3,\"secret_burst\":7,\"discovery\":9},"
		" \"windows\":{\"probe\":60,\"late_allowance\":5,\"secret_burst\":120,"
		"  \"sequence\":90,\"discovery\":30},"
		" \"capacities\":{\"dedup\":100,\"principals\":200,\"pending\":300,\"new_terms\":400},"
		" \"system_namespaces\":[\"kube-system\",\"platform\",\"platform\"],"
		" \"add_trusted_users\":[\"ci-bot\"],"
		" \"trusted_users\":[\"deployer\"],"
		" \"add_dangerous_capabilities\":[\"SYS_RESOURCE\"],"
		" \"trusted_networks\":[\"203.0.113.0/24\",\"2001:db8::/32\"],"
		" \"health_paths\":[]}";

	ck_assert_int_eq(load(r, json), KAG_OK);
	ck_assert_str_eq(kag_registry_error_message(r), "");
	ck_assert_uint_eq(r->policy.probe_threshold, 3);
	ck_assert_uint_eq(r->policy.secret_burst_threshold, 7);
	ck_assert_uint_eq(r->policy.discovery_threshold, 9);
	ck_assert_uint_eq(r->policy.probe_window_us, 60ULL * 1000000);
	ck_assert_uint_eq(r->policy.late_us, 5ULL * 1000000);
	ck_assert_uint_eq(r->policy.secret_burst_window_us, 120ULL * 1000000);
	ck_assert_uint_eq(r->policy.sequence_window_us, 90ULL * 1000000);
	ck_assert_uint_eq(r->policy.discovery_window_us, 30ULL * 1000000);
	ck_assert_uint_eq(r->policy.dedup_capacity, 100);
	ck_assert_uint_eq(r->policy.principal_capacity, 200);
	ck_assert_uint_eq(r->policy.pending_capacity, 300);
	ck_assert_uint_eq(r->policy.new_terms_capacity, 400);
	/* a replacement list, duplicates kept once */
	ck_assert_uint_eq(r->policy.system_namespaces.n, 2);
	ck_assert(has(&r->policy.system_namespaces, "platform"));
	ck_assert(!has(&r->policy.system_namespaces, "kube-public"));
	/* add_ extends the replacement wherever it appears in the document */
	ck_assert_uint_eq(r->policy.trusted_users.n, 2);
	ck_assert(has(&r->policy.trusted_users, "deployer"));
	ck_assert(has(&r->policy.trusted_users, "ci-bot"));
	/* add_ on its own extends the built-in list */
	ck_assert(has(&r->policy.dangerous_capabilities, "SYS_RESOURCE"));
	ck_assert(has(&r->policy.dangerous_capabilities, "SYS_ADMIN"));
	ck_assert_uint_eq(r->policy.trusted_networks.n, 2);
	ck_assert_uint_eq(r->policy.health_paths.n, 0);
	/* untouched lists keep their defaults */
	ck_assert(has(&r->policy.sensitive_resources, "secrets"));
	/* a second load starts from the first */
	ck_assert_int_eq(load(r, "{\"add_trusted_users\":[\"third\"]}"), KAG_OK);
	ck_assert_uint_eq(r->policy.trusted_users.n, 3);
	ck_assert_uint_eq(r->policy.probe_threshold, 3);
	kag_registry_free(r);
}
END_TEST

START_TEST(empty_object_changes_nothing)
{
	kag_registry *r = new_reg();

	ck_assert_int_eq(load(r, " {} "), KAG_OK);
	ck_assert_uint_eq(r->policy.probe_threshold, 10);
	ck_assert_int_eq(kag_registry_load_policy(r, NULL, 0), KAG_EPARSE);
	ck_assert_int_eq(kag_registry_load_policy(NULL, "{}", 2), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_load_policy(r, NULL, 3), KAG_EINVAL);
	kag_registry_free(r);
}
END_TEST

START_TEST(example_file_loads)
{
	char path[1024];
	size_t len;
	char *data;
	kag_registry *r = new_reg();

	snprintf(path, sizeof(path), "%s/../../examples/policy.json", KAG_TEST_DATA);
	data = tu_read_file(path, &len);
	ck_assert_msg(kag_registry_load_policy(r, data, len) == KAG_OK, "%s",
		      kag_registry_error_message(r));
	ck_assert(has(&r->policy.system_namespaces, "cert-manager"));
	ck_assert(has(&r->policy.system_namespaces, "kube-system"));
	free(data);
	kag_registry_free(r);
}
END_TEST

/* ---- errors: codes and exact JSON pointers ---- */

START_TEST(syntax_errors)
{
	kag_registry *r = new_reg();

	ck_assert_int_eq(load(r, "{\"thresholds\": {"), KAG_EPARSE);
	ck_assert_str_eq(kag_registry_error_path(r), "");
	ck_assert_msg(strncmp(kag_registry_error_message(r), "line 1, column ", 15) == 0, "%s",
		      kag_registry_error_message(r));
	/* a duplicate key would silently override: rejected */
	ck_assert_int_eq(load(r, "{\"thresholds\":{\"probe\":3},\"thresholds\":{}}"), KAG_EPARSE);
	ck_assert_ptr_nonnull(strstr(kag_registry_error_message(r), "duplicate"));
	kag_registry_free(r);
}
END_TEST

START_TEST(schema_errors)
{
	expect_error("[]", KAG_ESCHEMA, "");
	expect_error("{\"version\":2}", KAG_ESCHEMA, "/version");
	expect_error("{\"trusted_user\":[\"x\"]}", KAG_ESCHEMA, "/trusted_user");
	expect_error("{\"add_trusted_user\":[\"x\"]}", KAG_ESCHEMA, "/add_trusted_user");
	expect_error("{\"a/b~c\":1}", KAG_ESCHEMA, "/a~1b~0c");
	expect_error("{\"thresholds\":[]}", KAG_ESCHEMA, "/thresholds");
	expect_error("{\"thresholds\":{\"prob\":3}}", KAG_ESCHEMA, "/thresholds/prob");
	expect_error("{\"thresholds\":{\"probe\":0}}", KAG_ESCHEMA, "/thresholds/probe");
	expect_error("{\"thresholds\":{\"probe\":-4}}", KAG_ESCHEMA, "/thresholds/probe");
	expect_error("{\"thresholds\":{\"probe\":2.5}}", KAG_ESCHEMA, "/thresholds/probe");
	expect_error("{\"thresholds\":{\"probe\":\"10\"}}", KAG_ESCHEMA, "/thresholds/probe");
	expect_error("{\"windows\":{\"probe\":2592001}}", KAG_ESCHEMA, "/windows/probe");
	expect_error("{\"windows\":{\"threshold\":1}}", KAG_ESCHEMA, "/windows/threshold");
	expect_error("{\"capacities\":{\"dedup\":16777217}}", KAG_ESCHEMA, "/capacities/dedup");
	expect_error("{\"trusted_users\":\"alice\"}", KAG_ESCHEMA, "/trusted_users");
	expect_error("{\"trusted_users\":[\"a\",3]}", KAG_ESCHEMA, "/trusted_users/1");
	expect_error("{\"add_trusted_users\":[\"a\",\"\"]}", KAG_ESCHEMA, "/add_trusted_users/1");
	expect_error("{\"trusted_users\":[\"a\\u0001b\"]}", KAG_ESCHEMA, "/trusted_users/0");
	expect_error("{\"sensitive_host_paths\":[\"/etc\",\"var/run\"]}", KAG_ESCHEMA,
		     "/sensitive_host_paths/1");
	expect_error("{\"health_paths\":[\"healthz\"]}", KAG_ESCHEMA, "/health_paths/0");
	expect_error("{\"dangerous_capabilities\":[\"CAP SYS_ADMIN\"]}", KAG_ESCHEMA,
		     "/dangerous_capabilities/0");
	expect_error("{\"trusted_networks\":[\"10.0.0.0\"]}", KAG_ESCHEMA, "/trusted_networks/0");
	expect_error("{\"trusted_networks\":[\"10.0.0.256/8\"]}", KAG_ESCHEMA,
		     "/trusted_networks/0");
	expect_error("{\"trusted_networks\":[\"10.0.0.0/33\"]}", KAG_ESCHEMA,
		     "/trusted_networks/0");
	expect_error("{\"trusted_networks\":[\"10.0.0/8\"]}", KAG_ESCHEMA, "/trusted_networks/0");
	expect_error("{\"trusted_networks\":[\"2001:db8::/129\"]}", KAG_ESCHEMA,
		     "/trusted_networks/0");
	expect_error("{\"detectors\":[]}", KAG_ESCHEMA, "/detectors");
	expect_error("{\"detectors\":{\"enabled\":[]}}", KAG_ESCHEMA, "/detectors/enabled");
	expect_error("{\"detectors\":{\"disable\":[\"rbac_probing\",7]}}", KAG_ESCHEMA,
		     "/detectors/disable/1");
	expect_error("{\"detectors\":{\"disable\":[\"rbac_probing\"],"
		     "\"enable\":[\"secrets_access\",\"rbac_probing\"]}}", KAG_ESCHEMA,
		     "/detectors/enable/1");
	expect_error("{\"description\":5}", KAG_ESCHEMA, "/description");
}
END_TEST

START_TEST(unknown_detector)
{
	kag_registry *r = new_reg();

	expect_error("{\"detectors\":{\"disable\":[\"rbac_probin\"]}}", KAG_ENOTFOUND,
		     "/detectors/disable/0");
	ck_assert_int_eq(load(r, "{\"detectors\":{\"enable\":[\"secrets_access\",\"nope\"]}}"),
			 KAG_ENOTFOUND);
	ck_assert_str_eq(kag_registry_error_message(r),
			 "/detectors/enable/1: unknown detector \"nope\"");
	kag_registry_free(r);
}
END_TEST

START_TEST(exact_messages)
{
	kag_registry *r = new_reg();

	ck_assert_int_eq(load(r, "{\"thresholds\":{\"probe\":\"10\"}}"), KAG_ESCHEMA);
	ck_assert_str_eq(kag_registry_error_message(r),
			 "/thresholds/probe: expected an integer from 1 to 1000000, got a string");
	ck_assert_int_eq(load(r, "{\"windows\":{\"probe\":0}}"), KAG_ESCHEMA);
	ck_assert_str_eq(kag_registry_error_message(r),
			 "/windows/probe: expected a whole number of seconds from 1 to 2592000, "
			 "got a value out of range");
	ck_assert_int_eq(load(r, "{\"sensitive_host_paths\":[\"etc\"]}"), KAG_ESCHEMA);
	ck_assert_str_eq(kag_registry_error_message(r), "/sensitive_host_paths/0: must be an "
			 "absolute path starting with '/'");
	/* success clears the detail */
	ck_assert_int_eq(load(r, "{}"), KAG_OK);
	ck_assert_str_eq(kag_registry_error_message(r), "");
	kag_registry_free(r);
}
END_TEST

START_TEST(failed_load_changes_nothing)
{
	kag_registry *r = new_reg();
	size_t idx;

	ck_assert_int_eq(load(r, "{\"thresholds\":{\"probe\":3},"
			      "\"system_namespaces\":[\"only\"],"
			      "\"add_trusted_users\":[\"x\"],"
			      "\"detectors\":{\"disable\":[\"rbac_probing\"]},"
			      "\"windows\":{\"probe\":\"soon\"}}"), KAG_ESCHEMA);
	ck_assert_str_eq(kag_registry_error_path(r), "/windows/probe");
	ck_assert_uint_eq(r->policy.probe_threshold, 10);
	ck_assert(has(&r->policy.system_namespaces, "kube-system"));
	ck_assert_uint_eq(r->policy.trusted_users.n, 0);
	ck_assert_int_eq(kag_registry_find(&idx, r, "rbac_probing"), KAG_OK);
	ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 1);
	/* the same for an error found in the add_ pass */
	ck_assert_int_eq(load(r, "{\"trusted_users\":[\"a\"],\"add_trusted_users\":[\"\"]}"),
			 KAG_ESCHEMA);
	ck_assert_str_eq(kag_registry_error_path(r), "/add_trusted_users/0");
	ck_assert_uint_eq(r->policy.trusted_users.n, 0);
	kag_registry_free(r);
}
END_TEST

START_TEST(sealed_registry)
{
	kag_registry *r = new_reg();

	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(load(r, "{}"), KAG_ESTATE);
	ck_assert_ptr_nonnull(strstr(kag_registry_error_message(r), "sealed"));
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_USERS, "x"), KAG_ESTATE);
	ck_assert_int_eq(kag_registry_policy_clear(r, KAG_LIST_TRUSTED_USERS), KAG_ESTATE);
	kag_registry_free(r);
}
END_TEST

/* Every allocation of a load can fail; the registry is then unchanged. */
START_TEST(allocation_failures)
{
	const char *json = "{\"thresholds\":{\"probe\":3},\"system_namespaces\":[\"a\",\"b\"],"
			   "\"add_system_namespaces\":[\"c\"],\"add_trusted_users\":[\"x\",\"y\"],"
			   "\"detectors\":{\"disable\":[\"rbac_probing\"]}}";
	unsigned long n;
	int rc = KAG_ENOMEM;

	for (n = 1; n < 200 && rc == KAG_ENOMEM; n++) {
		kag_registry *r = new_reg();
		size_t idx;

		kag__alloc_fail_at(n);
		rc = load(r, json);
		kag__alloc_fail_at(0);
		ck_assert_int_eq(kag_registry_find(&idx, r, "rbac_probing"), KAG_OK);
		if (rc == KAG_ENOMEM) {
			ck_assert_uint_eq(r->policy.probe_threshold, 10);
			ck_assert(has(&r->policy.system_namespaces, "kube-system"));
			ck_assert_uint_eq(r->policy.trusted_users.n, 0);
			ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 1);
		} else {
			ck_assert_int_eq(rc, KAG_OK);
			ck_assert_uint_eq(r->policy.system_namespaces.n, 3);
			ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 0);
		}
		kag_registry_free(r);
	}
	ck_assert_int_eq(rc, KAG_OK);
	ck_assert_uint_gt(n, 3); /* some allocations were failed on the way */
}
END_TEST

/* ---- setters ---- */

START_TEST(setters)
{
	kag_registry *r = new_reg();
	size_t n_caps = r->policy.dangerous_capabilities.n;

	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_USERS, "ci-bot"), KAG_OK);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_USERS, "ci-bot"), KAG_OK);
	ck_assert_uint_eq(r->policy.trusted_users.n, 1);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_DANGEROUS_CAPABILITIES, "SYS_NICE"),
			 KAG_OK);
	ck_assert_uint_eq(r->policy.dangerous_capabilities.n, n_caps + 1);
	ck_assert(has(&r->policy.dangerous_capabilities, "ALL"));
	ck_assert_int_eq(kag_registry_policy_clear(r, KAG_LIST_SYSTEM_NAMESPACES), KAG_OK);
	ck_assert_uint_eq(r->policy.system_namespaces.n, 0);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_SYSTEM_NAMESPACES, "ops"), KAG_OK);
	ck_assert_uint_eq(r->policy.system_namespaces.n, 1);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_NETWORKS, "198.51.100.0/24"),
			 KAG_OK);

	ck_assert_int_eq(kag_registry_policy_add(r, 0, "x"), KAG_EINVAL);
	ck_assert_str_eq(kag_registry_error_message(r), "unknown policy list id 0");
	ck_assert_int_eq(kag_registry_policy_add(r, 99, "x"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_policy_clear(r, 99), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_USERS, ""), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_USERS, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_HEALTH_PATHS, "healthz"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_NETWORKS, "example.com"),
			 KAG_EINVAL);
	ck_assert_ptr_nonnull(strstr(kag_registry_error_message(r), "CIDR"));
	ck_assert_int_eq(kag_registry_policy_add(NULL, KAG_LIST_TRUSTED_USERS, "x"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_policy_clear(NULL, KAG_LIST_TRUSTED_USERS), KAG_EINVAL);
	ck_assert_str_eq(kag_registry_error_message(NULL), "");
	kag_registry_free(r);
}
END_TEST

START_TEST(options_beyond_the_first_six)
{
	kag_registry *r = new_reg();

	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_SEQUENCE_WINDOW, 60), KAG_OK);
	ck_assert_uint_eq(r->policy.sequence_window_us, 60ULL * 1000000);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_SECRET_BURST_THRESHOLD, 8),
			 KAG_OK);
	ck_assert_uint_eq(r->policy.secret_burst_threshold, 8);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_NEW_TERMS_CAPACITY, 16), KAG_OK);
	ck_assert_uint_eq(r->policy.new_terms_capacity, 16);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_DISCOVERY_WINDOW, 2592001),
			 KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_DISCOVERY_THRESHOLD, 0),
			 KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(r, 99, 1), KAG_EINVAL);
	kag_registry_free(r);
}
END_TEST

/* ---- policies change verdicts ---- */

#define DENIED_SECRET(id, sec) \
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\"," \
	"\"auditID\":\"" id "\",\"stage\":\"ResponseComplete\",\"verb\":\"get\"," \
	"\"requestURI\":\"/api/v1/namespaces/prod/secrets/s\"," \
	"\"user\":{\"username\":\"mallory\",\"groups\":[\"system:authenticated\"]}," \
	"\"sourceIPs\":[\"198.51.100.7\"],\"userAgent\":\"curl/8.0\"," \
	"\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\",\"name\":\"s\"," \
	"\"apiVersion\":\"v1\"},\"responseStatus\":{\"code\":403}," \
	"\"requestReceivedTimestamp\":\"2024-05-01T10:00:" sec ".000000Z\"," \
	"\"stageTimestamp\":\"2024-05-01T10:00:" sec ".001000Z\"}\n"

static const char denials[] =
	DENIED_SECRET("d1", "01") DENIED_SECRET("d2", "02") DENIED_SECRET("d3", "03");

static int probing_bursts(const tu_ctx *t)
{
	size_t i;
	int n = 0;

	for (i = 0; i < tu_count(t, "rbac_probing"); i++)
		if (tu_json_get(tu_find(t, "rbac_probing", i), "correlation.count"))
			n++;
	return n;
}

START_TEST(probe_threshold_changes_verdicts)
{
	tu_ctx t;
	kag_registry *r;
	const char *burst = NULL;
	size_t i;

	/* defaults: three denials are one single denied attempt and, when the
	 * session is flushed, the aggregate of its two repeats */
	tu_init(&t);
	tu_judge(&t, denials, (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "rbac_probing"), 2);
	ck_assert_int_eq(probing_bursts(&t), 0);
	ck_assert_str_eq(tu_json_get(tu_find(&t, "rbac_probing", 1), "repeats.count"), "2");
	ck_assert_str_eq(tu_json_get(tu_find(&t, "rbac_probing", 1), "event.auditID"), "d3");
	tu_free(&t);

	/* a policy threshold of 3 makes the third a probing burst */
	r = new_reg();
	ck_assert_int_eq(load(r, "{\"thresholds\":{\"probe\":3},\"windows\":{\"probe\":60}}"),
			 KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, denials, (size_t)-1);
	ck_assert_int_eq(probing_bursts(&t), 1);
	for (i = 0; i < tu_count(&t, "rbac_probing"); i++)
		if (tu_json_get(tu_find(&t, "rbac_probing", i), "correlation.count"))
			burst = tu_find(&t, "rbac_probing", i);
	ck_assert_ptr_nonnull(burst);
	ck_assert_str_eq(tu_json_get(burst, "correlation.count"), "3");
	ck_assert_str_eq(tu_json_get(burst, "assessment"), "suspicious");
	ck_assert_str_eq(tu_json_get(burst, "event.auditID"), "d3");
	tu_free(&t);

	/* the same threshold through the setter */
	r = new_reg();
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_PROBE_THRESHOLD, 2), KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, denials, (size_t)-1);
	ck_assert_int_eq(probing_bursts(&t), 1);
	tu_free(&t);
}
END_TEST

static const char deployer_event[] =
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
	"\"auditID\":\"b1\",\"stage\":\"ResponseComplete\",\"verb\":\"patch\","
	"\"requestURI\":\"/apis/apps/v1/namespaces/prod/deployments/web\","
	"\"user\":{\"username\":\"ci-deployer\",\"groups\":[\"system:authenticated\"]},"
	"\"sourceIPs\":[\"10.0.0.5\"],\"userAgent\":\"helm/3.14\","
	"\"objectRef\":{\"resource\":\"deployments\",\"namespace\":\"prod\",\"name\":\"web\","
	"\"apiGroup\":\"apps\",\"apiVersion\":\"v1\"},\"responseStatus\":{\"code\":200},"
	"\"requestReceivedTimestamp\":\"2024-05-01T10:00:00.000000Z\","
	"\"stageTimestamp\":\"2024-05-01T10:00:00.010000Z\"}\n";

START_TEST(trusted_users_make_a_baseline)
{
	tu_ctx t;
	kag_registry *r;
	const char *v;

	tu_init(&t);
	tu_judge(&t, deployer_event, (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "controller_baseline"), 0);
	tu_free(&t);

	r = new_reg();
	ck_assert_int_eq(load(r, "{\"trusted_users\":[\"ci-deployer\"]}"), KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, deployer_event, (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "controller_baseline"), 1);
	v = tu_find(&t, "controller_baseline", 0);
	ck_assert_str_eq(tu_json_get(v, "assessment"), "benign");
	ck_assert_str_eq(tu_json_get(v, "evidence.user.username"), "ci-deployer");
	tu_free(&t);

	/* the setter does the same */
	r = new_reg();
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_USERS, "ci-deployer"),
			 KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, deployer_event, (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "controller_baseline"), 1);
	tu_free(&t);
}
END_TEST

static const char exec_event[] =
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
	"\"auditID\":\"e1\",\"stage\":\"ResponseStarted\",\"verb\":\"create\","
	"\"requestURI\":\"/api/v1/namespaces/prod/pods/api-1/exec?command=sh&stdin=true\","
	"\"user\":{\"username\":\"alice@example.com\",\"groups\":[\"dev\"]},"
	"\"sourceIPs\":[\"203.0.113.10\"],\"userAgent\":\"kubectl/v1.29.0\","
	"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"prod\","
	"\"name\":\"api-1\",\"apiVersion\":\"v1\"},\"responseStatus\":{\"code\":101},"
	"\"requestReceivedTimestamp\":\"2024-05-01T10:00:00.000000Z\","
	"\"stageTimestamp\":\"2024-05-01T10:00:00.010000Z\"}\n";

START_TEST(enable_and_disable_by_policy)
{
	tu_ctx t;
	kag_registry *r;
	size_t idx;

	tu_init(&t);
	tu_judge(&t, exec_event, (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "interactive_access"), 1);
	tu_free(&t);

	r = new_reg();
	ck_assert_int_eq(load(r, "{\"detectors\":{\"disable\":[\"interactive_access\"]}}"),
			 KAG_OK);
	ck_assert_int_eq(kag_registry_find(&idx, r, "interactive_access"), KAG_OK);
	ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 0);
	tu_init_registry(&t, r);
	tu_judge(&t, exec_event, (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "interactive_access"), 0);
	tu_free(&t);

	/* a detector disabled through the API comes back with "enable" */
	r = new_reg();
	ck_assert_int_eq(kag_registry_disable(r, "interactive_access"), KAG_OK);
	ck_assert_int_eq(load(r, "{\"detectors\":{\"enable\":[\"interactive_access\"],"
			      "\"disable\":[]}}"), KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, exec_event, (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "interactive_access"), 1);
	tu_free(&t);
}
END_TEST

/* A sealed registry's lists answer through their length and first-byte
 * masks: the answers must be those of a plain scan, for every query. */
START_TEST(indexed_lists_answer_as_scans)
{
	static const char *const items[] = {
		"system:kube-scheduler", "A", "\001b", "eks:",
		"0123456789012345678901234567890123456789012345678901234567890123456789",
	};
	static const char *const queries[] = {
		"", "A", "a", "\001", "\001b", "\001bc", "Ab", "system:kube-scheduler",
		"system:kube-schedulerX", "system:kube-schedule", "eks:", "eks:node", "ek",
		"0123456789012345678901234567890123456789012345678901234567890123456789",
		"0123456789012345678901234567890123456789012345678901234567890123456788",
		"01234567890123456789012345678901234567890123456789012345678901234567890",
	};
	kag__strlist plain = { (const char **)items, sizeof(items) / sizeof(items[0]), NULL, 0, 0, 0,
			       NULL };
	kag__strlist with_empty, masks_only;
	const char *more[sizeof(items) / sizeof(items[0]) + 1];
	kag__policy p;
	size_t i, q;

	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		more[i] = items[i];
	more[i] = "";
	with_empty = plain;
	with_empty.items = more;
	with_empty.n = i + 1;
	memset(&p, 0, sizeof(p));
	p.control_plane_users = plain;
	p.provider_prefixes = plain;
	p.trusted_users = with_empty;
	p.operator_prefixes = with_empty;
	kag__policy_index(&p);
	ck_assert_int_eq(p.control_plane_users.indexed, 1);
	ck_assert_ptr_nonnull(p.control_plane_users.len_of);
	ck_assert_uint_eq(p.control_plane_users.len_of[0], strlen(items[0]));
	/* indexed, but without the length table (its allocation failed) */
	masks_only = p.control_plane_users;
	masks_only.len_of = NULL;
	for (q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		kag_str v = { queries[q], strlen(queries[q]) };

		ck_assert_msg(kag__strlist_has(&p.control_plane_users, v) ==
			      kag__strlist_has(&plain, v), "has \"%s\"", queries[q]);
		ck_assert_msg(kag__strlist_has(&masks_only, v) == kag__strlist_has(&plain, v),
			      "has, masks only \"%s\"", queries[q]);
		ck_assert_msg(kag__strlist_prefix(&masks_only, v) == kag__strlist_prefix(&plain, v),
			      "prefix, masks only \"%s\"", queries[q]);
		ck_assert_msg(kag__strlist_prefix(&p.provider_prefixes, v) ==
			      kag__strlist_prefix(&plain, v), "prefix \"%s\"", queries[q]);
		ck_assert_msg(kag__strlist_has(&p.trusted_users, v) ==
			      kag__strlist_has(&with_empty, v), "has+empty \"%s\"", queries[q]);
		/* the empty item is a prefix of everything */
		ck_assert(kag__strlist_prefix(&p.operator_prefixes, v));
	}
	/* and the answers themselves */
	ck_assert(has(&p.control_plane_users, "A"));
	ck_assert(!has(&p.control_plane_users, "a"));
	ck_assert(has(&p.control_plane_users, "\001b"));
	ck_assert(!has(&p.control_plane_users, ""));
	ck_assert(has(&p.trusted_users, ""));
	ck_assert(has(&p.control_plane_users, queries[13]));
	ck_assert(!has(&p.control_plane_users, queries[14]));
	ck_assert(!has(&p.control_plane_users, queries[15]));
	/* values are counted strings: a NUL byte is a byte like any other */
	{
		kag_str a_nul = { "A\0", 2 }, eks_nul = { "eks:\0x", 6 }, ek_nul = { "ek\0:", 4 };

		ck_assert(!kag__strlist_has(&p.control_plane_users, a_nul));
		ck_assert(!kag__strlist_has(&plain, a_nul));
		ck_assert(kag__strlist_prefix(&p.provider_prefixes, eks_nul));
		ck_assert(kag__strlist_prefix(&plain, eks_nul));
		ck_assert(!kag__strlist_prefix(&p.provider_prefixes, ek_nul));
		ck_assert(!kag__strlist_prefix(&plain, ek_nul));
	}
	kag__policy_dispose(&p);
	ck_assert_ptr_null(p.control_plane_users.len_of);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *load_tc = tcase_create("load");
	TCase *err = tcase_create("errors");
	TCase *set = tcase_create("setters");
	TCase *verdicts = tcase_create("verdicts");
	SRunner *sr;
	int failed;

	tcase_add_test(load_tc, defaults_without_file);
	tcase_add_test(load_tc, numbers_and_lists);
	tcase_add_test(load_tc, empty_object_changes_nothing);
	tcase_add_test(load_tc, example_file_loads);
	tcase_add_test(err, syntax_errors);
	tcase_add_test(err, schema_errors);
	tcase_add_test(err, unknown_detector);
	tcase_add_test(err, exact_messages);
	tcase_add_test(err, failed_load_changes_nothing);
	tcase_add_test(err, sealed_registry);
	tcase_add_test(err, allocation_failures);
	tcase_add_test(set, setters);
	tcase_add_test(set, options_beyond_the_first_six);
	tcase_add_test(set, indexed_lists_answer_as_scans);
	tcase_add_test(verdicts, probe_threshold_changes_verdicts);
	tcase_add_test(verdicts, trusted_users_make_a_baseline);
	tcase_add_test(verdicts, enable_and_disable_by_policy);
	suite_add_tcase(s, load_tc);
	suite_add_tcase(s, err);
	suite_add_tcase(s, set);
	suite_add_tcase(s, verdicts);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
