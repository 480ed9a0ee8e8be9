/* The five detectors of the first review: golden events and each
 * detector's behaviour (severities, evidence, baseline identities). */
#include <stdlib.h>
#include <string.h>

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

static void teardown(void)
{
	tu_free(&T);
}

static const char *const five[] = { "controller_baseline", "interactive_access",
				     "impersonation", "rbac_probing", "secrets_access", NULL };

/* A registry running only the five detectors of the first review, so that
 * behaviour tests count their verdicts alone. */
static kag_registry *five_only(void)
{
	kag_registry *reg;
	size_t i, j, n = 0;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	for (i = 0; i < kag_registry_count(reg); i++) {
		const char *id = kag_registry_detector_id(reg, i);

		for (j = 0; five[j] && strcmp(five[j], id) != 0; j++)
			;
		if (five[j])
			n++;
		else
			ck_assert_int_eq(kag_registry_disable(reg, id), KAG_OK);
	}
	ck_assert_uint_eq(n, 5);
	return reg;
}

static void judge_with(const char *event, int whole_catalogue)
{
	char *json = dq(event);

	tu_free(&T);
	if (whole_catalogue)
		tu_init(&T);
	else
		tu_init_registry(&T, five_only());
	tu_judge(&T, json, (size_t)-1);
	free(json);
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
	ck_assert_uint_eq(T.n_events, 1);
}

/* Golden events: judged in a fresh session by the whole default catalogue
 * (benign verdicts on). */
static void judge_golden(const char *event)
{
	judge_with(event, 1);
}

/* Behaviour: judged in a fresh session by the five alone. */
static void judge(const char *event)
{
	judge_with(event, 0);
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

static void expect_lacks(const char *line, const char *path, const char *value)
{
	ck_assert_msg(line != NULL, "no verdict");
	ck_assert_msg(!tu_json_array_has(line, path, value), "%s has %s\nin %s", path, value, line);
}

/* The one verdict of detector `id`, asserting there is exactly one. */
static const char *only(const char *id)
{
	ck_assert_msg(tu_count(&T, id) == 1, "%zu %s verdicts, want 1:\n%s", tu_count(&T, id), id,
		      T.out ? T.out : "");
	return tu_find(&T, id, 0);
}

/* ---- golden events from the review that started kag ---- */

START_TEST(golden_controller_lease)
{
	const char *v;

	judge_golden("{'verb':'update','user':{'username':'system:kube-controller-manager'},"
	      "'userAgent':'kube-controller-manager/v1.30.0','objectRef':{'resource':'leases',"
	      "'namespace':'kube-system'},'responseStatus':{'code':200},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("controller_baseline");
	expect(v, "assessment", "benign");
	expect(v, "outcome", "allowed");
	expect(v, "severity", "info");
	expect(v, "evidence.identityClass", "control-plane component");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "control-plane component"));
	expect(v, "attack", "[]");
}
END_TEST

START_TEST(golden_exec)
{
	const char *v;

	judge_golden("{'verb':'create','objectRef':{'resource':'pods','subresource':'exec',"
	      "'namespace':'prod','name':'api-7f9'},'user':{'username':'alice@example.com'},"
	      "'sourceIPs':['203.0.113.10'],'responseStatus':{'code':101},'stage':'ResponseStarted'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("interactive_access");
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "in_progress");
	expect(v, "severity", "high");
	expect(v, "evidence.objectRef.subresource", "exec");
	expect(v, "evidence.objectRef.name", "api-7f9");
	expect(v, "evidence.user.username", "alice@example.com");
	expect(v, "evidence.sourceIPs", "[\"203.0.113.10\"]");
	expect(v, "evidence.responseStatus", "{\"code\":101}");
	expect(v, "evidence.userAgent", "null");
	expect_has(v, "missing", "userAgent");
	expect_lacks(v, "missing", "sourceIPs");
	expect_has(v, "attack", "T1609");
	expect(v, "event.stage", "ResponseStarted");
}
END_TEST

START_TEST(golden_impersonated_secret_read)
{
	const char *v;

	judge_golden("{'verb':'get','user':{'username':'bob@example.com'},'impersonatedUser':"
	      "{'username':'system:serviceaccount:prod:deploy-bot'},'objectRef':{'resource':'secrets',"
	      "'namespace':'prod'},'responseStatus':{'code':200}}");
	ck_assert_uint_eq(T.n_verdicts, 2);
	v = only("impersonation");
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "allowed");
	expect(v, "severity", "medium");
	expect(v, "evidence.user.username", "bob@example.com");
	expect(v, "evidence.impersonatedUser.username", "system:serviceaccount:prod:deploy-bot");
	expect_has(v, "attack", "T1134");
	v = only("secrets_access");
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "allowed");
	expect(v, "severity", "medium");
	expect(v, "evidence.impersonatedUser.username", "system:serviceaccount:prod:deploy-bot");
	expect_has(v, "attack", "T1552.007");
	ck_assert_uint_eq(tu_count(&T, "controller_baseline"), 0);
}
END_TEST

START_TEST(golden_denied_anonymous_list)
{
	const char *v;

	judge_golden("{'verb':'list','objectRef':{'resource':'secrets','namespace':'prod'},"
	      "'responseStatus':{'code':403},'userAgent':'kubectl/v1.30.0'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("rbac_probing");
	expect(v, "outcome", "denied");
	expect(v, "assessment", "suspicious");
	expect(v, "severity", "low");
	expect_has(v, "missing", "user");
	/* medium for the user, which the detector counts itself; low for
	 * the sourceIPs */
	expect(v, "confidence", "low");
	ck_assert_uint_eq(tu_count(&T, "secrets_access"), 0);
}
END_TEST

/* ---- interactive_access ---- */

#define EXEC_EV(verb, sub, code, stage, extra)                                             \
	"{'verb':'" verb "','objectRef':{'resource':'pods','subresource':'" sub "',"          \
	"'namespace':'prod','name':'web-1'},'user':{'username':'carol'},"                     \
	"'sourceIPs':['198.51.100.7'],'userAgent':'kubectl/v1.30.0',"                        \
	"'responseStatus':{'code':" code "},'stage':'" stage "'" extra "}"

START_TEST(exec_websocket_get_and_spdy_create)
{
	const char *v;

	judge(EXEC_EV("get", "exec", "101", "ResponseStarted", ""));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("interactive_access");
	expect(v, "severity", "high");
	expect(v, "outcome", "in_progress");
	expect(v, "evidence.verb", "get");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "exec into pod prod/web-1"));

	judge(EXEC_EV("create", "exec", "101", "ResponseComplete", ""));
	v = only("interactive_access");
	expect(v, "outcome", "allowed");
	expect(v, "severity", "high");

	/* other verbs on pods/exec are not interactive access */
	judge(EXEC_EV("list", "exec", "200", "ResponseComplete", ""));
	ck_assert_uint_eq(tu_count(&T, "interactive_access"), 0);
}
END_TEST

START_TEST(attach_portforward_ephemeral)
{
	const char *v;

	judge(EXEC_EV("create", "attach", "101", "ResponseStarted", ""));
	v = only("interactive_access");
	expect(v, "severity", "high");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "attach to pod"));
	expect(v, "evidence.objectRef.subresource", "attach");

	judge(EXEC_EV("create", "portforward", "101", "ResponseStarted", ""));
	v = only("interactive_access");
	expect(v, "severity", "medium");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "port-forward"));

	judge(EXEC_EV("get", "portforward", "101", "ResponseStarted", ""));
	v = only("interactive_access");
	expect(v, "severity", "medium");

	judge(EXEC_EV("patch", "ephemeralcontainers", "200", "ResponseComplete", ""));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("interactive_access");
	expect(v, "severity", "high");
	expect(v, "outcome", "allowed");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "ephemeral container"));

	judge(EXEC_EV("update", "ephemeralcontainers", "200", "ResponseComplete", ""));
	only("interactive_access");

	/* reading the ephemeral containers is not adding one */
	judge(EXEC_EV("get", "ephemeralcontainers", "200", "ResponseComplete", ""));
	ck_assert_uint_eq(tu_count(&T, "interactive_access"), 0);
}
END_TEST

START_TEST(exec_command_token_read)
{
	const char *v;

	judge(EXEC_EV("create", "exec", "101", "ResponseStarted",
		      ",'requestURI':'/api/v1/namespaces/prod/pods/web-1/exec?command=sh&command=-c"
		      "&command=cat+%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken"
		      "&container=web&stdin=true&stdout=true&tty=true'"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("interactive_access");
	expect(v, "severity", "critical");
	expect(v, "evidence.command",
	       "[\"sh\",\"-c\",\"cat /var/run/secrets/kubernetes.io/serviceaccount/token\"]");
	expect(v, "evidence.commandFindings", "[\"shell\",\"service-account-token\"]");
	expect(v, "attack", "[\"T1609\",\"T1552.007\"]");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "service-account token"));
	/* the raw requestURI is kept as recorded */
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "evidence.requestURI"),
				     "command=cat+%2Fvar%2Frun%2Fsecrets"));
}
END_TEST

START_TEST(exec_command_metadata_and_copy)
{
	const char *v;

	judge(EXEC_EV("get", "exec", "101", "ResponseStarted",
		      ",'requestURI':'/api/v1/namespaces/prod/pods/web-1/exec?command=curl&command=-s"
		      "&command=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2Fiam%2F&stdout=true'"));
	v = only("interactive_access");
	expect(v, "severity", "critical");
	expect(v, "evidence.command",
	       "[\"curl\",\"-s\",\"http://169.254.169.254/latest/meta-data/iam/\"]");
	expect(v, "evidence.commandFindings", "[\"cloud-metadata\",\"download-tool\"]");
	expect(v, "attack", "[\"T1609\",\"T1552.005\"]");

	/* kubectl cp runs tar: noted, but not critical */
	judge(EXEC_EV("create", "exec", "101", "ResponseStarted",
		      ",'requestURI':'/api/v1/namespaces/prod/pods/web-1/exec?command=tar&command=cf"
		      "&command=-&command=%2Ftmp%2Fdump&container=web&stdout=true'"));
	v = only("interactive_access");
	expect(v, "severity", "high");
	expect(v, "evidence.command", "[\"tar\",\"cf\",\"-\",\"/tmp/dump\"]");
	expect(v, "evidence.commandFindings", "[\"file-copy\"]");
	expect(v, "attack", "[\"T1609\"]");

	/* a harmless command is decoded with no findings */
	judge(EXEC_EV("create", "exec", "101", "ResponseStarted",
		      ",'requestURI':'/api/v1/namespaces/prod/pods/web-1/exec?command=date&stdout=true'"));
	v = only("interactive_access");
	expect(v, "severity", "high");
	expect(v, "evidence.command", "[\"date\"]");
	ck_assert_ptr_null(tu_json_get(v, "evidence.commandFindings"));

	/* no command= parameter: no command member */
	judge(EXEC_EV("create", "attach", "101", "ResponseStarted",
		      ",'requestURI':'/api/v1/namespaces/prod/pods/web-1/attach?stdin=true'"));
	v = only("interactive_access");
	ck_assert_ptr_null(tu_json_get(v, "evidence.command"));
}
END_TEST

START_TEST(denied_exec_is_probing_only)
{
	const char *v;

	judge(EXEC_EV("create", "exec", "403", "ResponseComplete",
		      ",'requestURI':'/api/v1/namespaces/prod/pods/web-1/exec?command=sh'"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("rbac_probing");
	expect(v, "outcome", "denied");
	expect(v, "severity", "low");
	expect(v, "attack", "[\"T1613\"]");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "pods/exec"));

	/* a forbid decision with no code is a denial too */
	judge("{'verb':'create','objectRef':{'resource':'pods','subresource':'attach',"
	      "'namespace':'prod','name':'web-1'},'user':{'username':'carol'},"
	      "'stage':'ResponseComplete','annotations':{'authorization.k8s.io/decision':'forbid'}}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("rbac_probing");
	expect(v, "outcome", "denied");
}
END_TEST

START_TEST(exec_needs_outcome)
{
	const char *v;

	/* no code, no decision, no stage: the outcome decides nothing */
	judge("{'verb':'create','objectRef':{'resource':'pods','subresource':'exec',"
	      "'namespace':'prod','name':'web-1'},'user':{'username':'carol'}}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("interactive_access");
	expect(v, "assessment", "needs_context");
	expect(v, "outcome", "unknown");
	expect(v, "severity", "medium");
	expect(v, "confidence", "low");

	/* a failed exec (500) is still reported, at low severity */
	judge(EXEC_EV("create", "exec", "500", "ResponseComplete", ""));
	v = only("interactive_access");
	expect(v, "outcome", "error");
	expect(v, "severity", "low");
}
END_TEST

/* ---- impersonation ---- */

#define IMP_EV(target, groups, code)                                                     \
	"{'verb':'get','user':{'username':'dave'},'impersonatedUser':{'username':'" target "'," \
	"'groups':" groups "},'objectRef':{'resource':'configmaps','namespace':'prod'},"       \
	"'sourceIPs':['10.0.0.5'],'userAgent':'kubectl','responseStatus':{'code':" code "},"   \
	"'stage':'ResponseComplete'}"

START_TEST(impersonation_severities)
{
	const char *v;

	judge(IMP_EV("eve", "['system:masters','system:authenticated']", "200"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("impersonation");
	expect(v, "severity", "critical");
	expect(v, "outcome", "allowed");
	expect(v, "evidence.impersonatedUser.groups", "[\"system:masters\",\"system:authenticated\"]");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "system:masters"));

	judge(IMP_EV("system:serviceaccount:kube-system:deployment-controller",
		     "['system:serviceaccounts']", "200"));
	v = only("impersonation");
	expect(v, "severity", "high");

	judge(IMP_EV("eve", "['system:authenticated']", "200"));
	v = only("impersonation");
	expect(v, "severity", "medium");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "ordinary"));

	judge(IMP_EV("system:admin", "[]", "200"));
	v = only("impersonation");
	expect(v, "severity", "critical");

	/* denied: one step lower */
	judge(IMP_EV("eve", "['system:masters']", "403"));
	v = only("impersonation");
	expect(v, "severity", "high");
	expect(v, "outcome", "denied");
	judge(IMP_EV("system:serviceaccount:kube-system:deployment-controller", "[]", "403"));
	v = only("impersonation");
	expect(v, "severity", "medium");
	judge(IMP_EV("eve", "[]", "401"));
	v = only("impersonation");
	expect(v, "severity", "low");
	/* a denied configmaps get is not a sensitive target: an info probing verdict */
	ck_assert_uint_eq(T.n_verdicts, 2);
	expect(tu_find(&T, "rbac_probing", 0), "severity", "info");
}
END_TEST

START_TEST(impersonation_by_platform_identity_is_not_baseline)
{
	const char *v;

	judge("{'verb':'get','user':{'username':'system:kube-controller-manager'},"
	      "'impersonatedUser':{'username':'eve'},'objectRef':{'resource':'configmaps',"
	      "'namespace':'kube-system'},'responseStatus':{'code':200},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("impersonation");
	expect(v, "evidence.user.username", "system:kube-controller-manager");
	expect(v, "evidence.impersonatedUser.username", "eve");
	ck_assert_uint_eq(tu_count(&T, "controller_baseline"), 0);
}
END_TEST

/* ---- secrets_access ---- */

#define SECRET_EV(user, groups, verb, ns, ua, code)                                        \
	"{'verb':'" verb "','user':{'username':'" user "','groups':" groups "},"              \
	"'objectRef':{'resource':'secrets'" ns "},'sourceIPs':['10.0.0.9'],"                   \
	"'userAgent':'" ua "','responseStatus':{'code':" code "},'stage':'ResponseComplete'}"

START_TEST(secrets_severities)
{
	const char *v;

	judge(SECRET_EV("mallory", "['system:authenticated']", "list", "", "kubectl", "200"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("secrets_access");
	expect(v, "severity", "high");
	expect(v, "outcome", "allowed");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "in all namespaces"));

	judge(SECRET_EV("mallory", "['system:authenticated']", "watch", "", "kubectl", "200"));
	v = only("secrets_access");
	expect(v, "severity", "high");

	judge(SECRET_EV("mallory", "['system:authenticated']", "list", ",'namespace':'kube-system'",
			"kubectl", "200"));
	v = only("secrets_access");
	expect(v, "severity", "high");

	judge(SECRET_EV("mallory", "['system:authenticated']", "get",
			",'namespace':'kube-system','name':'bootstrap-token-x'", "kubectl", "200"));
	v = only("secrets_access");
	expect(v, "severity", "high");

	judge(SECRET_EV("mallory", "['system:authenticated']", "get",
			",'namespace':'prod','name':'db-password'", "kubectl", "200"));
	v = only("secrets_access");
	expect(v, "severity", "medium");
	expect(v, "evidence.objectRef.name", "db-password");

	judge(SECRET_EV("mallory", "['system:authenticated']", "list", ",'namespace':'prod'",
			"kubectl", "200"));
	v = only("secrets_access");
	expect(v, "severity", "medium");

	/* writes, denials and failures are not reads */
	judge(SECRET_EV("mallory", "['system:authenticated']", "create", ",'namespace':'prod'",
			"kubectl", "201"));
	ck_assert_uint_eq(T.n_verdicts, 0);
	judge(SECRET_EV("mallory", "['system:authenticated']", "get", ",'namespace':'prod'",
			"kubectl", "404"));
	ck_assert_uint_eq(T.n_verdicts, 0);
	judge(SECRET_EV("mallory", "['system:authenticated']", "get", ",'namespace':'prod'",
			"kubectl", "403"));
	ck_assert_uint_eq(tu_count(&T, "secrets_access"), 0);
	ck_assert_uint_eq(tu_count(&T, "rbac_probing"), 1);
}
END_TEST

/* ---- controller_baseline ---- */

START_TEST(baseline_kube_system_sa_reads_own_secrets)
{
	const char *v;

	judge(SECRET_EV("system:serviceaccount:kube-system:generic-garbage-collector",
			"['system:serviceaccounts','system:serviceaccounts:kube-system',"
			"'system:authenticated']",
			"list", ",'namespace':'kube-system'", "kube-controller-manager/v1.30.0", "200"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("controller_baseline");
	expect(v, "assessment", "benign");
	expect(v, "severity", "info");
	expect(v, "evidence.identityClass", "kube-system service account");
	ck_assert_uint_eq(tu_count(&T, "secrets_access"), 0);

	/* groups that contradict the name: not the baseline */
	judge(SECRET_EV("system:serviceaccount:kube-system:generic-garbage-collector",
			"['system:authenticated']", "list", ",'namespace':'kube-system'",
			"kube-controller-manager/v1.30.0", "200"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("secrets_access");
	expect(v, "severity", "high");
}
END_TEST

START_TEST(baseline_nodes)
{
	const char *v;

	judge(SECRET_EV("system:node:worker-1", "['system:nodes','system:authenticated']", "get",
			",'namespace':'prod','name':'app-tls'", "kubelet/v1.30.0", "200"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("controller_baseline");
	expect(v, "evidence.identityClass", "node");
	expect(v, "evidence.user.groups", "[\"system:nodes\",\"system:authenticated\"]");

	/* a node username whose groups lack system:nodes */
	judge(SECRET_EV("system:node:worker-1", "['system:authenticated']", "get",
			",'namespace':'prod','name':'app-tls'", "kubelet/v1.30.0", "200"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("secrets_access");
	expect(v, "severity", "medium");
	ck_assert_uint_eq(tu_count(&T, "controller_baseline"), 0);
}
END_TEST

START_TEST(baseline_never_on_user_agent)
{
	const char *v;

	judge(SECRET_EV("alice@example.com", "['system:authenticated']", "list",
			",'namespace':'kube-system'", "kube-controller-manager/v1.30.0", "200"));
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("secrets_access");
	expect(v, "severity", "high");
	ck_assert_uint_eq(tu_count(&T, "controller_baseline"), 0);

	judge("{'verb':'update','user':{'username':'alice@example.com'},"
	      "'userAgent':'kube-controller-manager/v1.30.0','objectRef':{'resource':'leases',"
	      "'namespace':'kube-system'},'responseStatus':{'code':200},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(T.n_verdicts, 0);
}
END_TEST

START_TEST(baseline_never_for_exec_attach_or_denied)
{
	const char *v;

	judge("{'verb':'create','objectRef':{'resource':'pods','subresource':'exec',"
	      "'namespace':'kube-system','name':'coredns-1'},'user':{'username':"
	      "'system:kube-controller-manager'},'responseStatus':{'code':101},"
	      "'stage':'ResponseStarted'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	only("interactive_access");

	judge("{'verb':'create','objectRef':{'resource':'pods','subresource':'attach',"
	      "'namespace':'kube-system','name':'coredns-1'},'user':{'username':"
	      "'system:node:worker-1','groups':['system:nodes']},'responseStatus':{'code':101},"
	      "'stage':'ResponseStarted'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	only("interactive_access");

	judge("{'verb':'patch','objectRef':{'resource':'pods','subresource':'ephemeralcontainers',"
	      "'namespace':'kube-system','name':'coredns-1'},'user':{'username':"
	      "'system:kube-scheduler'},'responseStatus':{'code':200},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	only("interactive_access");

	judge("{'verb':'update','user':{'username':'system:kube-controller-manager'},"
	      "'objectRef':{'resource':'leases','namespace':'kube-system'},"
	      "'responseStatus':{'code':403},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(tu_count(&T, "controller_baseline"), 0);
	judge("{'verb':'update','user':{'username':'system:kube-controller-manager'},"
	      "'objectRef':{'resource':'leases','namespace':'kube-system'},"
	      "'responseStatus':{'code':409},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(T.n_verdicts, 0);

	/* RequestReceived: the outcome is unknown, so only needs_context */
	judge("{'verb':'update','user':{'username':'system:kube-controller-manager'},"
	      "'objectRef':{'resource':'leases','namespace':'kube-system'},"
	      "'stage':'RequestReceived','auditID':'a-1'}");
	ck_assert_uint_eq(T.n_verdicts, 1);
	v = only("controller_baseline");
	expect(v, "assessment", "needs_context");
	expect(v, "outcome", "unknown");
}
END_TEST

START_TEST(baseline_identity_classes)
{
	const char *v;

	judge("{'verb':'get','user':{'username':'eks:certificate-controller'},"
	      "'objectRef':{'resource':'configmaps','namespace':'kube-system'},"
	      "'responseStatus':{'code':200},'stage':'ResponseComplete'}");
	v = only("controller_baseline");
	expect(v, "evidence.identityClass", "cloud-provider component");

	judge("{'verb':'get','user':{'username':'system:serviceaccount:openshift-monitoring:"
	      "prometheus-k8s'},'requestURI':'/metrics','responseStatus':{'code':200},"
	      "'stage':'ResponseComplete'}");
	v = only("controller_baseline");
	expect(v, "evidence.identityClass", "platform operator service account");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "/metrics"));

	/* a name that only looks like a component */
	judge("{'verb':'get','user':{'username':'system:kube-controller-manager-evil'},"
	      "'objectRef':{'resource':'configmaps','namespace':'kube-system'},"
	      "'responseStatus':{'code':200},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(T.n_verdicts, 0);
	judge("{'verb':'get','user':{'username':'system:node:'},"
	      "'objectRef':{'resource':'configmaps','namespace':'kube-system'},"
	      "'responseStatus':{'code':200},'stage':'ResponseComplete'}");
	ck_assert_uint_eq(T.n_verdicts, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("detectors");
	TCase *golden = tcase_create("golden");
	TCase *tc = tcase_create("behaviour");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(golden, NULL, teardown);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(golden, golden_controller_lease);
	tcase_add_test(golden, golden_exec);
	tcase_add_test(golden, golden_impersonated_secret_read);
	tcase_add_test(golden, golden_denied_anonymous_list);
	tcase_add_test(tc, exec_websocket_get_and_spdy_create);
	tcase_add_test(tc, attach_portforward_ephemeral);
	tcase_add_test(tc, exec_command_token_read);
	tcase_add_test(tc, exec_command_metadata_and_copy);
	tcase_add_test(tc, denied_exec_is_probing_only);
	tcase_add_test(tc, exec_needs_outcome);
	tcase_add_test(tc, impersonation_severities);
	tcase_add_test(tc, impersonation_by_platform_identity_is_not_baseline);
	tcase_add_test(tc, secrets_severities);
	tcase_add_test(tc, baseline_kube_system_sa_reads_own_secrets);
	tcase_add_test(tc, baseline_nodes);
	tcase_add_test(tc, baseline_never_on_user_agent);
	tcase_add_test(tc, baseline_never_for_exec_attach_or_denied);
	tcase_add_test(tc, baseline_identity_classes);
	suite_add_tcase(s, golden);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
