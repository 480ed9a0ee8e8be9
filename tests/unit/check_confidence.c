/* Confidence follows the evidence: one step down per wanted field listed
 * in `missing` that the detector did not count itself, and per decisive
 * or wanted field a provider mapping inferred; low at the least;
 * needs_context always low. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tu_ctx T;

static void teardown(void)
{
	tu_free(&T);
}

/* Events are written with ' for " so they stay readable. */
static void judge(const char *events)
{
	size_t n = strlen(events), i;
	char *json = malloc(n + 1);

	ck_assert_ptr_nonnull(json);
	for (i = 0; i <= n; i++)
		json[i] = events[i] == '\'' ? '"' : events[i];
	tu_free(&T);
	tu_init(&T);
	tu_judge(&T, json, (size_t)-1);
	free(json);
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
}

/* The n-th verdict of detector: its confidence and its missing list. */
static void expect(const char *detector, size_t nth, const char *confidence,
		   const char *missing)
{
	const char *v = tu_find(&T, detector, nth);

	ck_assert_msg(v != NULL, "no verdict %zu of %s", nth, detector);
	ck_assert_msg(strcmp(tu_json_get(v, "confidence"), confidence) == 0,
		      "confidence: got %s, want %s\nin %s", tu_json_get(v, "confidence"),
		      confidence, v);
	ck_assert_msg(strcmp(tu_json_get(v, "missing"), missing) == 0,
		      "missing: got %s, want %s\nin %s", tu_json_get(v, "missing"), missing, v);
}

/* An exec into a pod; interactive_access reports it with high confidence
 * and wants the user, sourceIPs, userAgent and requestURI. */
#define EXEC_HEAD                                                                            \
	"{'verb':'create','stage':'ResponseStarted','responseStatus':{'code':101},"           \
	"'objectRef':{'resource':'pods','subresource':'exec','namespace':'prod','name':'api'}," \
	"'user':{'username':'alice@example.com'},'sourceIPs':['203.0.113.10']"
#define EXEC_UA ",'userAgent':'kubectl/v1.30.0'"
#define EXEC_URI ",'requestURI':'/api/v1/namespaces/prod/pods/api/exec?command=sh'"

START_TEST(none_missing_keeps_high)
{
	judge(EXEC_HEAD EXEC_UA EXEC_URI "}");
	expect("interactive_access", 0, "high", "[]");
}
END_TEST

START_TEST(one_missing_is_one_step)
{
	judge(EXEC_HEAD EXEC_URI "}");
	expect("interactive_access", 0, "medium", "[\"userAgent\"]");
}
END_TEST

START_TEST(two_missing_are_two_steps)
{
	judge(EXEC_HEAD "}");
	expect("interactive_access", 0, "low", "[\"userAgent\",\"requestURI\"]");
}
END_TEST

START_TEST(low_is_the_floor)
{
	judge("{'verb':'create','stage':'ResponseStarted','responseStatus':{'code':101},"
	      "'objectRef':{'resource':'pods','subresource':'exec','namespace':'prod','name':'api'},"
	      "'user':{'username':'alice@example.com'}}");
	expect("interactive_access", 0, "low", "[\"sourceIPs\",\"userAgent\",\"requestURI\"]");
}
END_TEST

/* rbac_probing lowers its own confidence for an absent user: that step
 * is not taken twice when the user is listed in `missing` too. */
START_TEST(detector_step_counted_once)
{
	judge("{'verb':'list','objectRef':{'resource':'secrets','namespace':'prod'},"
	      "'responseStatus':{'code':403},'userAgent':'kubectl/v1.30.0',"
	      "'sourceIPs':['203.0.113.10']}");
	expect("rbac_probing", 0, "medium", "[\"user\"]");
	judge("{'verb':'list','objectRef':{'resource':'secrets','namespace':'prod'},"
	      "'responseStatus':{'code':403},'userAgent':'kubectl/v1.30.0'}");
	expect("rbac_probing", 0, "low", "[\"user\",\"sourceIPs\"]");
}
END_TEST

/* new_user_agent reports medium itself; it wants the sourceIPs. */
#define UA_EV(ua, ips)                                                                       \
	"{'verb':'get','user':{'username':'alice@example.com'},'userAgent':'" ua "'," ips     \
	"'objectRef':{'resource':'pods','namespace':'prod'},'responseStatus':{'code':200}}\n"
#define IPS "'sourceIPs':['203.0.113.10'],"

START_TEST(detector_medium_drops_to_low)
{
	judge(UA_EV("kubectl/v1.30.1", IPS) UA_EV("kubectl/v1.31.0", IPS)
	      UA_EV("python-requests/2.31.0", IPS));
	expect("new_user_agent", 0, "medium", "[]");
	judge(UA_EV("kubectl/v1.30.1", IPS) UA_EV("kubectl/v1.31.0", IPS)
	      UA_EV("python-requests/2.31.0", ""));
	expect("new_user_agent", 0, "low", "[\"sourceIPs\"]");
}
END_TEST

/* A GKE entry: node_proxy decides on objectRef.resource. With a
 * resourceName the resource is observed; without one, GKE's mapping
 * infers it from methodName, one step more. GKE carries no requestURI
 * (wanted): one step in both. */
#define GKE_PROXY(resname)                                                                   \
	"{'protoPayload':{'@type':'type.googleapis.com/google.cloud.audit.AuditLog',"         \
	"'authenticationInfo':{'principalEmail':'mallory@example.com'},"                      \
	"'methodName':'io.k8s.core.v1.nodes.proxy.get'," resname                               \
	"'requestMetadata':{'callerIp':'203.0.113.7','callerSuppliedUserAgent':'curl/8.5.0'}," \
	"'serviceName':'k8s.io','status':{}},'resource':{'type':'k8s_cluster'},"              \
	"'timestamp':'2024-05-01T10:00:00Z',"                                                  \
	"'logName':'projects/p/logs/cloudaudit.googleapis.com%2Factivity'}\n"

START_TEST(inferred_decisive_field_is_one_step)
{
	const char *v;

	judge(GKE_PROXY("'resourceName':'core/v1/nodes/n1/proxy',"));
	expect("node_proxy", 0, "medium", "[\"requestURI\"]");
	v = tu_find(&T, "node_proxy", 0);
	ck_assert(tu_json_array_has(v, "inferred", "responseStatus.code"));
	ck_assert(!tu_json_array_has(v, "inferred", "objectRef.resource"));
	judge(GKE_PROXY(""));
	expect("node_proxy", 0, "low", "[\"requestURI\"]");
	v = tu_find(&T, "node_proxy", 0);
	ck_assert_str_eq(tu_json_get(v, "event.format"), "gke");
	ck_assert(tu_json_array_has(v, "inferred", "objectRef.resource"));
}
END_TEST

/* Inferred fields the detector does not name cost nothing: the GKE stage,
 * level and response code of the observed entry above left it at the
 * one step for requestURI. A needs_context verdict is low whatever is
 * present. */
START_TEST(needs_context_is_low)
{
	const char *v;

	judge("{'verb':'get','stage':'ResponseComplete','responseStatus':{'code':200},"
	      "'objectRef':{'resource':'secrets','namespace':'prod','name':'db'},"
	      "'sourceIPs':['203.0.113.10'],'userAgent':'kubectl/v1.30.0'}");
	v = tu_find(&T, "secrets_access", 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(tu_json_get(v, "assessment"), "needs_context");
	expect("secrets_access", 0, "low", "[\"user\"]");
}
END_TEST

static Suite *confidence_suite(void)
{
	Suite *s = suite_create("confidence");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, none_missing_keeps_high);
	tcase_add_test(tc, one_missing_is_one_step);
	tcase_add_test(tc, two_missing_are_two_steps);
	tcase_add_test(tc, low_is_the_floor);
	tcase_add_test(tc, detector_step_counted_once);
	tcase_add_test(tc, detector_medium_drops_to_low);
	tcase_add_test(tc, inferred_decisive_field_is_one_step);
	tcase_add_test(tc, needs_context_is_low);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(confidence_suite());
}
