/* Redaction: the request URI's query (allowed parameters only), the
 * credential masker over exec commands, and opted-in bodies at any depth.
 * Outputs are asserted byte for byte, and the secret bytes must occur
 * nowhere in the verdicts. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "buf-private.h"
#include "redact-private.h"
#include "testutil.h"

/* ---- judging events through a session ---- */

static tu_ctx T;
static int T_open;

static void close_ctx(void)
{
	if (T_open)
		tu_free(&T);
	T_open = 0;
}

/* A fresh session (bodies opted in or not, parser depth limit if set)
 * judges one event; ' stands for " in it. */
static void judge(int bodies, uint64_t max_depth, const char *event)
{
	kag_registry *reg;
	size_t i, n = strlen(event);
	char *buf = malloc(n + 1);

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i <= n; i++)
		buf[i] = event[i] == '\'' ? '"' : event[i];
	close_ctx();
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(reg, "any", NULL, NULL, 0, KAG_LEVEL_METADATA,
						   tu_any_event, NULL), KAG_OK);
	tu_init_registry(&T, reg);
	T_open = 1;
	if (bodies)
		ck_assert_int_eq(kag_session_set_option_u64(T.sess, KAG_SOPT_INCLUDE_BODIES, 1),
				 KAG_OK);
	if (max_depth)
		ck_assert_int_eq(kag_parser_set_option_u64(T.parser, KAG_OPT_MAX_DEPTH, max_depth),
				 KAG_OK);
	tu_judge(&T, buf, n);
	free(buf);
	ck_assert_msg(T.n_errors == 0, "%s", T.n_errors ? T.errors[0] : "");
	ck_assert_ptr_nonnull(tu_find(&T, "any", 0));
}

static void teardown(void)
{
	close_ctx();
}

/* None of the verdicts holds the bytes of `secret`. */
static void absent(const char *secret)
{
	ck_assert_msg(strstr(T.out, secret) == NULL, "\"%s\" leaked:\n%s", secret, T.out);
}

/* Every verdict holds the JSON text `want`. */
static void present(const char *want)
{
	size_t i;

	for (i = 0; i < T.n_verdicts; i++)
		ck_assert_msg(strstr(T.lines[i], want) != NULL, "no %s in\n%s", want, T.lines[i]);
}

static void expect(const char *line, const char *path, const char *want)
{
	const char *got = tu_json_get(line, path);

	ck_assert_msg(got != NULL, "%s absent from %s", path, line);
	ck_assert_msg(strcmp(got, want) == 0, "%s: got %s, want %s", path, got, want);
}

/* ---- the request URI ---- */

#define GET_EV(uri)                                                                        \
	"{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'Metadata',"                \
	"'auditID':'u-1','stage':'ResponseComplete','verb':'get','requestURI':'" uri "',"     \
	"'user':{'username':'alice'},'objectRef':{'resource':'pods','namespace':'prod'},"   \
	"'responseStatus':{'code':200}}"

/* The rendered requestURI of the event with `uri` is exactly `want`, and
 * the secret bytes are nowhere. */
static void uri_case(const char *uri, const char *want, const char *secret)
{
	char ev[4096], member[4096];

	ck_assert(snprintf(ev, sizeof(ev), GET_EV("%s"), uri) < (int)sizeof(ev));
	judge(0, 0, ev);
	ck_assert(snprintf(member, sizeof(member), "\"requestURI\":\"%s\"", want) <
		  (int)sizeof(member));
	present(member);
	if (secret)
		absent(secret);
}

START_TEST(uri_secret_forms)
{
	static const struct {
		const char *uri, *want;
	} c[] = {
		{ "/api/v1/pods?Token=V4LUE", "/api/v1/pods?Token=<redacted>" },
		{ "/api/v1/pods?TOKEN=V4LUE", "/api/v1/pods?TOKEN=<redacted>" },
		{ "/api/v1/pods?api_key=V4LUE", "/api/v1/pods?api_key=<redacted>" },
		{ "/api/v1/pods?apikey=V4LUE", "/api/v1/pods?apikey=<redacted>" },
		{ "/api/v1/pods?%74oken=V4LUE", "/api/v1/pods?%74oken=<redacted>" },
		{ "/api/v1/pods?refresh_token=V4LUE", "/api/v1/pods?refresh_token=<redacted>" },
		{ "/api/v1/pods?code=V4LUE", "/api/v1/pods?code=<redacted>" },
		{ "/api/v1/pods?auth=V4LUE", "/api/v1/pods?auth=<redacted>" },
		{ "/api/v1/pods?bearer=V4LUE", "/api/v1/pods?bearer=<redacted>" },
		{ "/api/v1/pods?access-token=V4LUE", "/api/v1/pods?access-token=<redacted>" },
		{ "/api/v1/pods?x-amz-security-token=V4LUE",
		  "/api/v1/pods?x-amz-security-token=<redacted>" },
		{ "/api/v1/pods?X-Amz-Signature=V4LUE&X-Amz-Credential=V4LUE",
		  "/api/v1/pods?X-Amz-Signature=<redacted>&X-Amz-Credential=<redacted>" },
		{ "/api/v1/pods?sig=V4LUE", "/api/v1/pods?sig=<redacted>" },
		{ "/api/v1/pods?watch=true;token=V4LUE", "/api/v1/pods?watch=true;token=<redacted>" },
		{ "/api/v1/pods?+token=V4LUE", "/api/v1/pods?+token=<redacted>" },
		{ "/api/v1/pods?authorization=Bearer%20V4LUE",
		  "/api/v1/pods?authorization=<redacted>" },
		{ "/api/v1/pods?authorization=Bearer+eyJhbGciOiJIUzI1NiJ9.V4LUE.c2ln",
		  "/api/v1/pods?authorization=<redacted>" },
		/* a name without a value may itself be the credential */
		{ "/api/v1/pods?V4LUE", "/api/v1/pods?<redacted>" },
		{ "/api/v1/pods?limit=5&V4LUE&watch", "/api/v1/pods?limit=5&<redacted>&watch" },
		/* opaque tokens and proxied paths are not kept */
		{ "/api/v1/pods?limit=500&continue=V4LUE", "/api/v1/pods?limit=500&continue=<redacted>" },
		{ "/api/v1/namespaces/prod/services/web/proxy?path=%2FV4LUE",
		  "/api/v1/namespaces/prod/services/web/proxy?path=<redacted>" },
		/* an empty value is still not shown as it is */
		{ "/api/v1/pods?token=&watch=1", "/api/v1/pods?token=<redacted>&watch=1" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		uri_case(c[i].uri, c[i].want, strstr(c[i].uri, "V4LUE") ? "V4LUE" : NULL);
}
END_TEST

START_TEST(uri_allowed_kept)
{
	static const char *const kept[] = {
		"/api/v1/pods?watch=true",
		"/api/v1/namespaces/prod/configmaps?labelSelector=owner%3Dhelm",
		"/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=500&resourceVersion=0"
		"&resourceVersionMatch=NotOlderThan&timeoutSeconds=300&allowWatchBookmarks=true",
		"/api/v1/namespaces/prod/pods/web-1/exec?command=ls&container=web&stdin=true"
		"&stdout=true&stderr=true&tty=true",
		"/api/v1/namespaces/prod/pods/web-1/log?container=web&follow=true&tailLines=10"
		"&sinceSeconds=60&timestamps=true&limitBytes=100&previous=false",
		"/api/v1/namespaces/prod/pods/web-1?gracePeriodSeconds=0&propagationPolicy=Background"
		"&dryRun=All",
		"/apis/apps/v1/namespaces/prod/deployments/web?fieldManager=kubectl-client-side-apply"
		"&fieldValidation=Strict&force=true",
		"/readyz?verbose&exclude=etcd",
		/* names ignore case and percent-encoding */
		"/api/v1/pods?WATCH=1&%6cimit=5",
		"/api/v1/pods?",
		"/api/v1/pods",
	};
	size_t i;

	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		uri_case(kept[i], kept[i], NULL);
}
END_TEST

/* nodes/proxy and pods/proxy carry the proxied service's parameters: the
 * path is kept, the values are not, kubelet exec commands are masked. */
START_TEST(uri_node_proxy)
{
	uri_case("/api/v1/nodes/n1/proxy/run/prod/web-1/app?cmd=cat+%2Fsecret%2FV4LUE",
		 "/api/v1/nodes/n1/proxy/run/prod/web-1/app?cmd=<redacted>", "V4LUE");
	uri_case("/api/v1/nodes/n1/proxy/exec/prod/web-1/app?command=sh&command=-c"
		 "&command=curl+-u+admin%3AV4LUE+http%3A%2F%2Fx&output=1&input=1",
		 "/api/v1/nodes/n1/proxy/exec/prod/web-1/app?command=sh&command=-c"
		 "&command=curl+-u+admin%3A<redacted>+http%3A%2F%2Fx&output=<redacted>"
		 "&input=<redacted>",
		 "V4LUE");
}
END_TEST

/* A fragment ('#' and what follows) is replaced whole, after the query or
 * the path; a '#' with nothing after it stays. */
START_TEST(uri_fragment)
{
	uri_case("/api/v1/pods?limit=5#access_token=V4LUE", "/api/v1/pods?limit=5#<redacted>",
		 "V4LUE");
	uri_case("/api/v1/pods?watch=true#V4LUE", "/api/v1/pods?watch=true#<redacted>", "V4LUE");
	uri_case("/api/v1/pods?V4LUE#x", "/api/v1/pods?<redacted>#<redacted>", "V4LUE");
	uri_case("/api/v1/pods#access_token=V4LUE", "/api/v1/pods#<redacted>", "V4LUE");
	uri_case("/api/v1/pods#?watch=V4LUE", "/api/v1/pods#<redacted>", "V4LUE");
	uri_case("/api/v1/pods?limit=5#", "/api/v1/pods?limit=5#", NULL);
	uri_case("/api/v1/pods#", "/api/v1/pods#", NULL);
}
END_TEST

/* ---- exec commands ---- */

#define EXEC_EV(query)                                                                     \
	"{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'Metadata',"                \
	"'auditID':'x-1','stage':'ResponseStarted','verb':'create',"                         \
	"'requestURI':'/api/v1/namespaces/prod/pods/web-1/exec?" query "',"                  \
	"'user':{'username':'carol'},'sourceIPs':['198.51.100.7'],"                         \
	"'userAgent':'kubectl/v1.30.0','objectRef':{'resource':'pods','subresource':'exec',"  \
	"'namespace':'prod','name':'web-1'},'responseStatus':{'code':101}}"

#define JWT_HEAD "eyJhbGciOiJIUzI1NiJ9"
#define JWT JWT_HEAD ".eyJzdWIiOiJib2IifQ.U0lHTkFUVVJF"

static const char *exec_verdict(void)
{
	const char *v = tu_find(&T, "interactive_access", 0);

	ck_assert_msg(v != NULL, "no interactive_access verdict:\n%s", T.out);
	return v;
}

START_TEST(exec_bearer_jwt)
{
	const char *v;

	judge(0, 0, EXEC_EV("command=curl&command=-H&command=Authorization%3A+Bearer+" JWT
			    "&command=https%3A%2F%2Fapi&container=web&stdout=true"));
	v = exec_verdict();
	expect(v, "evidence.command",
	       "[\"curl\",\"-H\",\"Authorization: Bearer <redacted>\",\"https://api\"]");
	expect(v, "evidence.commandFindings", "[\"download-tool\",\"credential\"]");
	present("\"requestURI\":\"/api/v1/namespaces/prod/pods/web-1/exec?command=curl"
		"&command=-H&command=Authorization%3A+Bearer+<redacted>"
		"&command=https%3A%2F%2Fapi&container=web&stdout=true\"");
	absent("eyJzdWIiOiJib2IifQ");
	absent("U0lHTkFUVVJF");

	/* the header split over arguments, as a shell would pass it */
	judge(0, 0, EXEC_EV("command=curl&command=-H&command=Authorization%3A&command=Bearer"
			    "&command=V4LUE&command=http%3A%2F%2Fapi"));
	expect(exec_verdict(), "evidence.command",
	       "[\"curl\",\"-H\",\"Authorization:\",\"Bearer\",\"<redacted>\",\"http://api\"]");
	absent("V4LUE");
}
END_TEST

START_TEST(exec_url_token)
{
	const char *v;

	judge(0, 0, EXEC_EV("command=sh&command=-c&command=curl+-s+%22https%3A%2F%2Fapi.example.com"
			    "%2Fv1%3Fwatch%3Dtrue%26token%3DV4LUE%26limit%3D5%22"));
	v = exec_verdict();
	expect(v, "evidence.command",
	       "[\"sh\",\"-c\",\"curl -s \\\"https://api.example.com/v1?watch=true"
	       "&token=<redacted>&limit=5\\\"\"]");
	expect(v, "evidence.commandFindings", "[\"shell\",\"download-tool\",\"credential\"]");
	absent("V4LUE");

	/* user info in a URL */
	judge(0, 0, EXEC_EV("command=git&command=clone"
			    "&command=https%3A%2F%2Fbob%3AV4LUE%40git.example.com%2Fo%2Fr"));
	expect(exec_verdict(), "evidence.command",
	       "[\"git\",\"clone\",\"https://bob:<redacted>@git.example.com/o/r\"]");
	absent("V4LUE");

	/* a fragment after the arguments is not one */
	judge(0, 0, EXEC_EV("container=web&command=ls#V4LUE"));
	expect(exec_verdict(), "evidence.command", "[\"ls\"]");
	absent("V4LUE");
}
END_TEST

START_TEST(exec_secret_keys)
{
	const char *v;

	judge(0, 0, EXEC_EV("command=env&command=DB_PASSWORD%3DV4LUE&command=MODE%3Dprod"
			    "&command=app"));
	v = exec_verdict();
	expect(v, "evidence.command",
	       "[\"env\",\"DB_PASSWORD=<redacted>\",\"MODE=prod\",\"app\"]");
	expect(v, "evidence.commandFindings", "[\"credential\"]");
	absent("V4LUE");

	judge(0, 0, EXEC_EV("command=mysql&command=--password&command=V4LUE&command=-h"
			    "&command=db&command=--user%3Droot"));
	expect(exec_verdict(), "evidence.command",
	       "[\"mysql\",\"--password\",\"<redacted>\",\"-h\",\"db\",\"--user=root\"]");
	absent("V4LUE");

	judge(0, 0, EXEC_EV("command=kubectl&command=--token%3DV4LUE&command=get&command=pods"));
	expect(exec_verdict(), "evidence.command",
	       "[\"kubectl\",\"--token=<redacted>\",\"get\",\"pods\"]");
	absent("V4LUE");

	judge(0, 0, EXEC_EV("command=curl&command=-u&command=admin%3AV4LUE&command=http%3A%2F%2Fx"));
	expect(exec_verdict(), "evidence.command",
	       "[\"curl\",\"-u\",\"admin:<redacted>\",\"http://x\"]");
	absent("V4LUE");
}
END_TEST

START_TEST(exec_cloud_key)
{
	const char *v;

	judge(0, 0, EXEC_EV("command=aws&command=configure&command=set&command=aws_access_key_id"
			    "&command=AKIAIOSFODNN7EXAMPLE"));
	v = exec_verdict();
	expect(v, "evidence.command",
	       "[\"aws\",\"configure\",\"set\",\"aws_access_key_id\",\"<redacted>\"]");
	expect(v, "evidence.commandFindings", "[\"credential\"]");
	absent("IOSFODNN7EXAMPLE");
}
END_TEST

START_TEST(exec_pem)
{
	const char *v;

	judge(0, 0, EXEC_EV("command=sh&command=-c&command=echo+%27-----BEGIN+RSA+PRIVATE+KEY-----"
			    "%0AMIIEV4LUEpAIBAAKCAQEA%0Axyz%2Bw%3D%3D%0A-----END+RSA+PRIVATE+KEY-----%27"
			    "+%3E+%2Ftmp%2Fk"));
	v = exec_verdict();
	expect(v, "evidence.command",
	       "[\"sh\",\"-c\",\"echo '-----BEGIN RSA PRIVATE KEY-----\\n<redacted>\\n"
	       "-----END RSA PRIVATE KEY-----' > /tmp/k\"]");
	expect(v, "evidence.commandFindings", "[\"shell\",\"credential\"]");
	absent("V4LUE");
	absent("xyz");
}
END_TEST

/* The findings come from the command as it was: masking a credential
 * hides neither the metadata address nor the token read. */
START_TEST(exec_findings_unmasked)
{
	const char *v;

	judge(0, 0, EXEC_EV("command=sh&command=-c&command=curl+-H+%22Authorization%3A+Bearer+" JWT
			    "%22+http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F"));
	v = exec_verdict();
	expect(v, "severity", "critical");
	expect(v, "evidence.command",
	       "[\"sh\",\"-c\",\"curl -H \\\"Authorization: Bearer <redacted>\\\" "
	       "http://169.254.169.254/latest/meta-data/\"]");
	expect(v, "evidence.commandFindings",
	       "[\"shell\",\"cloud-metadata\",\"download-tool\",\"credential\"]");
	absent("U0lHTkFUVVJF");

	/* nothing to mask: no "credential" */
	judge(0, 0, EXEC_EV("command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io"
			    "%2Fserviceaccount%2Ftoken"));
	v = exec_verdict();
	expect(v, "evidence.command",
	       "[\"cat\",\"/var/run/secrets/kubernetes.io/serviceaccount/token\"]");
	expect(v, "evidence.commandFindings", "[\"service-account-token\"]");
}
END_TEST

START_TEST(exec_detector_doc)
{
	kag_registry *reg;
	size_t i;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	for (i = 0; i < kag_registry_count(reg); i++)
		if (strcmp(kag_registry_detector_id(reg, i), "interactive_access") == 0)
			break;
	ck_assert_uint_lt(i, kag_registry_count(reg));
	ck_assert_ptr_nonnull(strstr(kag_registry_detector_doc(reg, i), "credentials in it masked"));
	kag_registry_free(reg);
}
END_TEST

/* ---- the masker on its own ---- */

static void mask_case(const char *in, const char *want, int want_flags)
{
	kag_buf b;
	int flags;

	kag__buf_init(&b);
	flags = kag__mask_credentials(&b, in, strlen(in), NULL);
	ck_assert_int_eq(b.oom, 0);
	ck_assert_msg(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0,
		      "masking \"%s\"\n got \"%.*s\"\nwant \"%s\"", in, (int)b.len,
		      b.data ? b.data : "", want);
	ck_assert_msg(flags == want_flags, "masking \"%s\": flags %d, want %d", in, flags,
		      want_flags);
	kag__buf_dispose(&b);
}

START_TEST(masker_forms)
{
	static const struct {
		const char *in, *want;
		int flags;
	} c[] = {
		/* kept as they are */
		{ "", "", 0 },
		{ "ls -la /tmp", "ls -la /tmp", 0 },
		{ "tar cf - /tmp/dump", "tar cf - /tmp/dump", 0 },
		{ "sort -u names.txt", "sort -u names.txt", 0 },
		{ "Basic setup done", "Basic setup done", 0 },
		{ "echo $AWS_SECRET_ACCESS_KEY", "echo $AWS_SECRET_ACCESS_KEY", 0 },
		{ "--token-file=/var/run/secrets/token", "--token-file=/var/run/secrets/token", 0 },
		{ "curl http://169.254.169.254/latest/meta-data/iam/",
		  "curl http://169.254.169.254/latest/meta-data/iam/", 0 },
		{ "kubectl get pods -l app=web --watch=true",
		  "kubectl get pods -l app=web --watch=true", 0 },
		{ "https://api/x?watch=true&limit=5", "https://api/x?watch=true&limit=5", 0 },
		/* Authorization headers and bare Bearer/Basic values */
		{ "curl -H 'Authorization: Bearer " JWT "' https://api",
		  "curl -H 'Authorization: Bearer <redacted>' https://api", KAG__CRED_AUTH },
		{ "curl -H 'authorization:token ghp_x' x", "curl -H 'authorization:token <redacted>' x",
		  KAG__CRED_AUTH },
		{ "curl -H 'Proxy-Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l' x",
		  "curl -H 'Proxy-Authorization: Basic <redacted>' x", KAG__CRED_AUTH },
		{ "Authorization: s3cr3t-raw", "Authorization: <redacted>", KAG__CRED_KEY_VALUE },
		{ "Bearer abc.def", "Bearer <redacted>", KAG__CRED_AUTH },
		{ "echo Basic YWxhZGRpbjpvcGVuc2VzYW1l", "echo Basic <redacted>", KAG__CRED_AUTH },
		/* user:password */
		{ "curl -u admin:hunter2 https://x", "curl -u admin:<redacted> https://x",
		  KAG__CRED_AUTH },
		{ "curl --user admin:hunter2 x", "curl --user admin:<redacted> x", KAG__CRED_AUTH },
		{ "curl -uadmin:hunter2 x", "curl -uadmin:<redacted> x", KAG__CRED_AUTH },
		{ "git clone https://bob:hunter2@github.com/o/r",
		  "git clone https://bob:<redacted>@github.com/o/r", KAG__CRED_AUTH },
		{ "postgres://app:hunter2@db:5432/app", "postgres://app:<redacted>@db:5432/app",
		  KAG__CRED_AUTH },
		{ "redis-cli -u redis://:hunter2@cache:6379", "redis-cli -u redis://:<redacted>@cache:6379",
		  KAG__CRED_AUTH },
		{ "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r",
		  "https://<redacted>@github.com/o/r", KAG__CRED_AUTH },
		/* JSON Web Tokens */
		{ "echo " JWT, "echo <redacted>", KAG__CRED_JWT },
		{ "x=" JWT ";y", "x=<redacted>;y", KAG__CRED_JWT },
		/* keys naming a secret */
		{ "env PASSWORD=hunter2 app", "env PASSWORD=<redacted> app", KAG__CRED_KEY_VALUE },
		{ "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
		  "export AWS_SECRET_ACCESS_KEY=<redacted>", KAG__CRED_KEY_VALUE },
		{ "PGPASSWORD=x psql", "PGPASSWORD=<redacted> psql", KAG__CRED_KEY_VALUE },
		{ "kubectl --token=abc123 get pods", "kubectl --token=<redacted> get pods",
		  KAG__CRED_KEY_VALUE },
		{ "mysql --password hunter2 -h db", "mysql --password <redacted> -h db",
		  KAG__CRED_KEY_VALUE },
		{ "app --client-secret \"two words\" --x", "app --client-secret \"<redacted>\" --x",
		  KAG__CRED_KEY_VALUE },
		{ "{\"password\":\"hunter2\",\"user\":\"bob\"}",
		  "{\"password\":\"<redacted>\",\"user\":\"bob\"}", KAG__CRED_KEY_VALUE },
		{ "{\\\"api_key\\\":\\\"k1\\\"}", "{\\\"api_key\\\":\\\"<redacted>\\\"}",
		  KAG__CRED_KEY_VALUE },
		{ "X-Api-Key: abc", "X-Api-Key: <redacted>", KAG__CRED_KEY_VALUE },
		{ "password: hunter2\nuser: bob", "password: <redacted>\nuser: bob",
		  KAG__CRED_KEY_VALUE },
		{ "auth:\n  user: bob", "auth:\n  user: bob", 0 },
		{ "password = hunter2", "password = <redacted>", KAG__CRED_KEY_VALUE },
		{ "Cookie: session=abc123; theme=dark", "Cookie: <redacted>; theme=dark",
		  KAG__CRED_KEY_VALUE },
		{ "a=1&sig=abc&b=2", "a=1&sig=<redacted>&b=2", KAG__CRED_KEY_VALUE },
		{ "openssl enc -pass pass:s3cret", "openssl enc -pass <redacted>",
		  KAG__CRED_KEY_VALUE },
		/* URL query values not allowed */
		{ "curl https://api.example.com/v1?watch=true&token=abc&limit=5",
		  "curl https://api.example.com/v1?watch=true&token=<redacted>&limit=5",
		  KAG__CRED_QUERY },
		{ "wget 'http://x/y?code=abc;state=def#frag'",
		  "wget 'http://x/y?code=<redacted>;state=<redacted>#frag'", KAG__CRED_QUERY },
		{ "/api/v1/pods?opaque", "/api/v1/pods?<redacted>", KAG__CRED_QUERY },
		{ "http://x/exec?command=ls", "http://x/exec?command=<redacted>", KAG__CRED_QUERY },
		/* cloud and service keys */
		{ "aws_access_key_id AKIAIOSFODNN7EXAMPLE", "aws_access_key_id <redacted>",
		  KAG__CRED_CLOUD_KEY },
		{ "id=ASIAIOSFODNN7EXAMPLE.", "id=<redacted>.", KAG__CRED_CLOUD_KEY },
		{ "k AIzaSyA-1234567890abcdefghijklmnopqrstu x", "k <redacted> x", KAG__CRED_CLOUD_KEY },
		{ "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "gh <redacted>", KAG__CRED_CLOUD_KEY },
		{ "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "<redacted>",
		  KAG__CRED_CLOUD_KEY },
		{ "slack xoxb-123456789012-abcdefABCDEF end", "slack <redacted> end",
		  KAG__CRED_CLOUD_KEY },
		{ "AKIA short", "AKIA short", 0 },
		/* PEM private keys: the body */
		{ "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIB\nAAKCAQEA\n-----END RSA PRIVATE KEY-----",
		  "-----BEGIN RSA PRIVATE KEY-----\n<redacted>\n-----END RSA PRIVATE KEY-----",
		  KAG__CRED_PEM },
		{ "k='-----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1r-----END OPENSSH PRIVATE KEY-----'",
		  "k='-----BEGIN OPENSSH PRIVATE KEY-----<redacted>-----END OPENSSH PRIVATE KEY-----'",
		  KAG__CRED_PEM },
		{ "-----BEGIN PRIVATE KEY-----\nMIIEvQ never closed", "-----BEGIN PRIVATE KEY-----\n"
		  "<redacted>", KAG__CRED_PEM },
		{ "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
		  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		mask_case(c[i].in, c[i].want, c[i].flags);
}
END_TEST

/* Arguments are masked one by one, with what one announces carried to
 * the next. */
START_TEST(masker_across_arguments)
{
	static const struct {
		const char *in[6], *want[6];
	} c[] = {
		{ { "curl", "-H", "Authorization:", "Bearer", "tok123", NULL },
		  { "curl", "-H", "Authorization:", "Bearer", "<redacted>", NULL } },
		{ { "app", "--password", "", "hunter2", "next", NULL },
		  { "app", "--password", "", "<redacted>", "next", NULL } },
		{ { "printf", "-----BEGIN PRIVATE KEY-----", "MIIEvQIBADANBg", "AAAA",
		    "-----END PRIVATE KEY-----", NULL },
		  { "printf", "-----BEGIN PRIVATE KEY-----", "<redacted>", "<redacted>",
		    "-----END PRIVATE KEY-----", NULL } },
		{ { "curl", "-u", "bob:hunter2", "-u", "alice", NULL },
		  { "curl", "-u", "bob:<redacted>", "-u", "alice", NULL } },
	};
	size_t i, j;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		kag__mask_state st;
		kag_buf b;

		kag__mask_init(&st);
		kag__buf_init(&b);
		for (j = 0; c[i].in[j]; j++) {
			b.len = 0;
			kag__mask_credentials(&b, c[i].in[j], strlen(c[i].in[j]), &st);
			ck_assert_msg(b.len == strlen(c[i].want[j]) &&
				      memcmp(b.data, c[i].want[j], b.len) == 0,
				      "case %zu argument %zu: got \"%.*s\" want \"%s\"", i, j,
				      (int)b.len, b.data, c[i].want[j]);
		}
		kag__buf_dispose(&b);
	}
}
END_TEST

START_TEST(key_rule)
{
	static const char *const secret[] = {
		"token", "TOKEN", "access_token", "id_token", "refresh-token", "password", "passwd",
		"DB_PWD", "client_secret", "api_key", "apikey", "Api-Key", "x-api-key", "access_key",
		"AWS_SECRET_ACCESS_KEY", "private_key", "privateKey", "credentials", "auth",
		"basic-auth", "Authorization", "session", "session_id", "sig", "signature",
		"X-Amz-Security-Token", "client-key-data", "passphrase", "Cookie", "jwt", NULL
	};
	static const char *const not_secret[] = {
		"name", "user", "username", "author", "tokenFile", "token-file", "secretName",
		"secretKeyRef", "passwordSecretRef", "tokenPath", "expirationSeconds",
		"automountServiceAccountTokenSeconds", "sessionAffinity", "authType", "key",
		"design", "signal", "value", "", NULL
	};
	size_t i;

	for (i = 0; secret[i]; i++)
		ck_assert_msg(kag__key_is_secret(secret[i], strlen(secret[i])), "%s", secret[i]);
	for (i = 0; not_secret[i]; i++)
		ck_assert_msg(!kag__key_is_secret(not_secret[i], strlen(not_secret[i])), "%s",
			      not_secret[i]);
	/* query parameters: by name, decoded, ignoring case */
	ck_assert(kag__query_param_allowed("labelSelector", 13));
	ck_assert(kag__query_param_allowed("LABELSELECTOR", 13));
	ck_assert(kag__query_param_allowed("%77atch", 7));
	ck_assert(kag__query_param_allowed("command", 7));
	ck_assert(!kag__query_param_allowed("continue", 8));
	ck_assert(!kag__query_param_allowed("path", 4));
	ck_assert(!kag__query_param_allowed("watch ", 6));
	ck_assert(!kag__query_param_allowed("+watch", 6));
	ck_assert(!kag__query_param_allowed("", 0));
}
END_TEST

/* Pieces random texts are made of: the starts of every rule, cut short
 * too, with separators between. */
static const char *const pieces[] = {
	" ", "\n", "'", "\"", "\\", "=", ":", "&", ";", "?", "/", "@", "-", "--", "-u", "eyJ",
	JWT_HEAD, ".", "AKIA", "IOSFODNN7EXAMPLE", "AIza", "ghp_", "github_pat_", "xoxb-",
	"abcdefghij0123456789", "Bearer", "Basic", "YWxhZGRpbjpvcGVuc2VzYW1l", "password",
	"token", "Authorization", "://", "https://", "-----BEGIN ", "RSA PRIVATE KEY", "-----",
	"-----END", "watch", "<redacted>", "%", "+", "\xC3\xA9", "\xFF"
};

static uint32_t rng_state;

static int holds_mask(const kag_buf *b)
{
	const size_t k = sizeof(KAG__REDACTED) - 1;
	size_t i;

	for (i = 0; i + k <= b->len; i++)
		if (memcmp(b->data + i, KAG__REDACTED, k) == 0)
			return 1;
	return 0;
}

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Random texts in buffers of their exact size (an overrun is seen by the
 * sanitizers): a text with nothing masked comes out unchanged, a masked
 * one holds the mask. */
START_TEST(masker_random)
{
	size_t round;

	rng_state = 20240501;
	for (round = 0; round < 20000; round++) {
		char tmp[512], *in;
		size_t n = 0, k = rng() % 24, i;
		kag_buf b;
		int flags;

		for (i = 0; i < k; i++) {
			const char *p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t m = strlen(p);

			if (rng() % 4 == 0)
				m = rng() % (m + 1); /* cut short */
			memcpy(tmp + n, p, m);
			n += m;
		}
		in = malloc(n ? n : 1);
		TU_REQUIRE(in != NULL);
		memcpy(in, tmp, n);
		kag__buf_init(&b);
		flags = kag__mask_credentials(&b, in, n, NULL);
		TU_REQUIRE_INT_EQ(b.oom, 0);
		if (!flags)
			TU_REQUIRE_MSG(b.len == n && (n == 0 || memcmp(b.data, in, n) == 0),
				       "changed with nothing masked: %.*s", (int)n, tmp);
		else
			TU_REQUIRE(holds_mask(&b));
		/* the URI writer over the same bytes */
		b.len = 0;
		kag__put_redacted_uri(&b, in, n);
		TU_REQUIRE_INT_EQ(b.oom, 0);
		kag__buf_dispose(&b);
		free(in);
	}
}
END_TEST

/* Texts that would make a backtracking matcher slow: each megabyte is
 * masked in one pass (a quadratic pass would not end before the suite's
 * timeout). */
START_TEST(masker_linear)
{
	static const char *const units[] = {
		"a=", "a:", "=", ":", "-----BEGIN ", "-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA",
		"://", "http://a@", "?", "\"", "password=\"", "password:", "Bearer ", "-u ", "AKIA",
		"ghp_", "xoxb-", "AIza", "eyJ", "eyJaaaaaaaaa.", "eyJaaaaaaaaa.bbbb", "\\\"",
		"https://x/?", "a&", "a", "-", " ", "Authorization: ", "Basic ", "--token ",
	};
	const size_t size = 1 << 20;
	char *text = malloc(size);
	size_t u;

	ck_assert_ptr_nonnull(text);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t k = strlen(units[u]), i;
		kag_buf b;

		for (i = 0; i < size; i++)
			text[i] = units[u][i % k];
		kag__buf_init(&b);
		kag__mask_credentials(&b, text, size, NULL);
		ck_assert_int_eq(b.oom, 0);
		b.len = 0;
		kag__put_redacted_uri(&b, text, size);
		kag__buf_dispose(&b);
	}
	free(text);
}
END_TEST

/* ---- opted-in bodies ---- */

#define BODY_EV(resource, body)                                                            \
	"{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'RequestResponse',"        \
	"'auditID':'b-1','stage':'ResponseComplete','verb':'create',"                        \
	"'requestURI':'/api/v1/namespaces/prod/" resource "',"                              \
	"'user':{'username':'mallory'},'objectRef':{'resource':'" resource "',"             \
	"'namespace':'prod','name':'x'},'responseStatus':{'code':201},"                      \
	"'requestObject':" body "}"

/* A Secret and a token 100 objects deep: no depth stops the redaction. */
START_TEST(body_depth_100)
{
	const int depth = 100;
	static const char inner[] =
		"{'kind':'Secret','data':{'k':'REFUQVZBTFVF'},'stringData':{'s':'STRINGVALUE'},"
		"'token':'TOKENVALUE','note':'plain'}";
	size_t cap = 4096 + (size_t)depth * 16, n = 0;
	char *ev = malloc(cap);
	const char *v;
	json_t *j, *o;
	json_error_t err;
	int i;

	ck_assert_ptr_nonnull(ev);
	n += (size_t)snprintf(ev + n, cap - n, "%s", "{'kind':'Event','apiVersion':"
			      "'audit.k8s.io/v1','level':'Request','auditID':'d-1',"
			      "'stage':'ResponseComplete','verb':'create',"
			      "'user':{'username':'mallory'},'objectRef':{'resource':'configmaps',"
			      "'namespace':'prod','name':'x'},'responseStatus':{'code':201},"
			      "'requestObject':");
	for (i = 0; i < depth; i++)
		n += (size_t)snprintf(ev + n, cap - n, "{'a':");
	n += (size_t)snprintf(ev + n, cap - n, "%s", inner);
	for (i = 0; i < depth; i++)
		ev[n++] = '}';
	n += (size_t)snprintf(ev + n, cap - n, "}");
	judge(1, 300, ev);
	free(ev);
	absent("REFUQVZBTFVF");
	absent("STRINGVALUE");
	absent("TOKENVALUE");
	v = tu_find(&T, "any", 0);
	j = json_loads(v, 0, &err);
	ck_assert_msg(j != NULL, "%s", err.text);
	o = json_object_get(json_object_get(j, "evidence"), "requestObject");
	for (i = 0; i < depth; i++)
		o = json_object_get(o, "a");
	ck_assert_ptr_nonnull(o);
	{
		char *dump = json_dumps(o, JSON_COMPACT);

		ck_assert_str_eq(dump, "{\"kind\":\"Secret\",\"data\":{\"k\":\"<redacted>\"},"
				 "\"stringData\":{\"s\":\"<redacted>\"},\"token\":\"<redacted>\","
				 "\"note\":\"plain\"}");
		free(dump);
	}
	json_decref(j);
}
END_TEST

START_TEST(body_pod_env_args)
{
	const char *v;

	judge(1, 0, BODY_EV("pods",
		"{'kind':'Pod','apiVersion':'v1','metadata':{'name':'p'},'spec':{'containers':"
		"[{'name':'app','image':'nginx',"
		"'command':['sh','-c','curl -H \\'Authorization: Bearer " JWT "\\' http://api'],"
		"'args':['--token=ARGV4LUE','--port=8080'],"
		"'env':[{'name':'token','value':'ENVV4LUE'},"
		"{'name':'CONFIG','value':'" JWT_HEAD ".eyJzdWIiOiJjYXJvbCJ9.RU5WU0lH'},"
		"{'name':'MODE','value':'production'},"
		"{'name':'DB_PASSWORD','valueFrom':{'secretKeyRef':{'name':'db','key':'password'}}}],"
		"'livenessProbe':{'httpGet':{'path':'/healthz','port':8080,'httpHeaders':"
		"[{'name':'Authorization','value':'HDRV4LUE'}]}}}],"
		"'automountServiceAccountToken':false}}"));
	v = tu_find(&T, "any", 0);
	expect(v, "evidence.requestObject.spec.containers",
	       "[{\"name\":\"app\",\"image\":\"nginx\","
	       "\"command\":[\"sh\",\"-c\",\"curl -H \\\"Authorization: Bearer <redacted>\\\" "
	       "http://api\"],"
	       "\"args\":[\"--token=<redacted>\",\"--port=8080\"],"
	       "\"env\":[{\"name\":\"token\",\"value\":\"<redacted>\"},"
	       "{\"name\":\"CONFIG\",\"value\":\"<redacted>\"},"
	       "{\"name\":\"MODE\",\"value\":\"production\"},"
	       "{\"name\":\"DB_PASSWORD\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"db\","
	       "\"key\":\"password\"}}}],"
	       "\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080,"
	       "\"httpHeaders\":[{\"name\":\"Authorization\",\"value\":\"<redacted>\"}]}}}]");
	expect(v, "evidence.requestObject.spec.automountServiceAccountToken", "false");
	absent("V4LUE");
	absent("eyJzdWIiOiJib2IifQ");
	absent("eyJzdWIiOiJjYXJvbCJ9");
}
END_TEST

START_TEST(body_configmap)
{
	const char *v;

	judge(1, 0, BODY_EV("configmaps",
		"{'kind':'ConfigMap','apiVersion':'v1','metadata':{'name':'cfg'},'data':"
		"{'app.properties':'user=bob\\npassword=CMV4LUE\\nport=80','color':'blue'},"
		"'binaryData':{'blob':'QkxPQlY0TFVF'}}"));
	v = tu_find(&T, "any", 0);
	expect(v, "evidence.requestObject.data",
	       "{\"app.properties\":\"user=bob\\npassword=<redacted>\\nport=80\",\"color\":\"blue\"}");
	expect(v, "evidence.requestObject.binaryData", "{\"blob\":\"<redacted>\"}");
	absent("V4LUE");
	absent("QkxPQlY0TFVF");

	/* a JSON patch: the value by the member its path names */
	judge(1, 0, BODY_EV("configmaps",
		"[{'op':'add','path':'/data/password','value':'PATCHV4LUE'},"
		"{'op':'add','path':'/binaryData/b','value':'QkxPQg=='},"
		"{'op':'replace','path':'/data/color','value':'red'}]"));
	expect(tu_find(&T, "any", 0), "evidence.requestObject",
	       "[{\"op\":\"add\",\"path\":\"/data/password\",\"value\":\"<redacted>\"},"
	       "{\"op\":\"add\",\"path\":\"/binaryData/b\",\"value\":\"<redacted>\"},"
	       "{\"op\":\"replace\",\"path\":\"/data/color\",\"value\":\"red\"}]");
	absent("V4LUE");
}
END_TEST

/* Written directly: far deeper than any parser lets through, every kind
 * of value, and an allocation failure (the body is then not shown). */
/* Under a key naming a secret, an object's "value" is the secret; the
 * strings of an array are masked as one text (a flag, then its value; a
 * key block across strings). */
START_TEST(body_secret_holder_and_args)
{
	judge(1, 0, BODY_EV("widgets",
		"{'kind':'Widget','spec':{'apiKey':{'value':'KEYV4LUE','valueFrom':null},"
		"'credentials':[{'name':'x','value':'CREDV4LUE'}],'config':{'value':'plain'},"
		"'args':['--password','ARGV4LUE','--port','8080'],"
		"'key':['-----BEGIN PRIVATE KEY-----','PEMV4LUE','-----END PRIVATE KEY-----',"
		"'after']}}"));
	expect(tu_find(&T, "any", 0), "evidence.requestObject.spec",
	       "{\"apiKey\":{\"value\":\"<redacted>\",\"valueFrom\":null},"
	       "\"credentials\":[{\"name\":\"x\",\"value\":\"<redacted>\"}],"
	       "\"config\":{\"value\":\"plain\"},"
	       "\"args\":[\"--password\",\"<redacted>\",\"--port\",\"8080\"],"
	       "\"key\":[\"-----BEGIN PRIVATE KEY-----\",\"<redacted>\","
	       "\"-----END PRIVATE KEY-----\",\"after\"]}");
	absent("V4LUE");
}
END_TEST

START_TEST(body_writer_direct)
{
	const int depth = 5000;
	json_t *root, *o;
	kag_buf b;
	int i;

	root = o = json_object();
	for (i = 0; i < depth; i++) {
		json_t *next = json_object();

		json_object_set_new(o, i % 2 ? "a" : "b", json_array());
		json_array_append_new(json_object_get(o, i % 2 ? "a" : "b"), next);
		o = next;
	}
	json_object_set_new(o, "password", json_integer(1234));
	json_object_set_new(o, "tokens", json_pack("[s,i,b,n,{s:s}]", "t1", 7, 1, "k", "v"));
	json_object_set_new(o, "ratio", json_real(0.5));
	json_object_set_new(o, "ok", json_true());
	kag__buf_init(&b);
	kag__put_redacted_body(&b, root, 0);
	ck_assert_int_eq(b.oom, 0);
	ck_assert_uint_gt(b.len, 40);
	{
		static const char want[] = "{\"password\":\"<redacted>\",\"tokens\":[\"<redacted>\","
					   "\"<redacted>\",true,null,{\"k\":\"v\"}],\"ratio\":0.5,"
					   "\"ok\":true}";
		const char *inner = b.data + b.len - (sizeof(want) - 1) - 2 * (size_t)depth;

		ck_assert_msg(memcmp(inner, want, sizeof(want) - 1) == 0, "%.*s",
			      (int)(sizeof(want) - 1), inner);
	}

	/* the writer's first allocation fails: null, and the output is whole */
	b.len = 0;
	kag__buf_put(&b, "x:", 2);
	ck_assert_int_eq(kag__buf_reserve(&b, 1 << 20), KAG_OK);
	kag__alloc_fail_at(1);
	kag__put_redacted_body(&b, root, 0);
	kag__alloc_fail_at(0);
	ck_assert_int_eq(b.oom, 0);
	ck_assert_uint_eq(b.len, 6);
	ck_assert(memcmp(b.data, "x:null", 6) == 0);
	kag__buf_dispose(&b);
	json_decref(root);
}
END_TEST

/* Secrets keep the rules they had: data of a Secret by kind, and of any
 * body on the secrets resource. */
START_TEST(body_secrets_resource)
{
	judge(1, 0, BODY_EV("secrets",
		"{'metadata':{'name':'db'},'data':{'password':'U0VDUkVU'},'type':'Opaque'}"));
	expect(tu_find(&T, "any", 0), "evidence.requestObject",
	       "{\"metadata\":{\"name\":\"db\"},\"data\":{\"password\":\"<redacted>\"},"
	       "\"type\":\"Opaque\"}");
	absent("U0VDUkVU");
}
END_TEST

static Suite *redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("uri");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, uri_secret_forms);
	tcase_add_test(tc, uri_allowed_kept);
	tcase_add_test(tc, uri_node_proxy);
	tcase_add_test(tc, uri_fragment);
	suite_add_tcase(s, tc);
	tc = tcase_create("exec");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, exec_bearer_jwt);
	tcase_add_test(tc, exec_url_token);
	tcase_add_test(tc, exec_secret_keys);
	tcase_add_test(tc, exec_cloud_key);
	tcase_add_test(tc, exec_pem);
	tcase_add_test(tc, exec_findings_unmasked);
	tcase_add_test(tc, exec_detector_doc);
	suite_add_tcase(s, tc);
	tc = tcase_create("masker");
	tcase_add_test(tc, masker_forms);
	tcase_add_test(tc, masker_across_arguments);
	tcase_add_test(tc, key_rule);
	tcase_add_test(tc, masker_random);
	tcase_add_test(tc, masker_linear);
	suite_add_tcase(s, tc);
	tc = tcase_create("body");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, body_depth_100);
	tcase_add_test(tc, body_pod_env_args);
	tcase_add_test(tc, body_configmap);
	tcase_add_test(tc, body_secret_holder_and_args);
	tcase_add_test(tc, body_writer_direct);
	tcase_add_test(tc, body_secrets_resource);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(redact_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
