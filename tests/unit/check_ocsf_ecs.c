/* A verdict in the OCSF and ECS record schemas (render.c) and the cluster
 * every record carries (cluster.c, a policy's "cluster"): the exact values
 * each schema maps for known verdicts (an exec, a denied probing burst, a
 * repeat window's aggregate, an event with fields missing, a GKE entry
 * with inferred fields), the cluster from a policy and from the setters,
 * the policy's errors by JSON pointer, and that no body or credential
 * reaches any schema. tests/schemas/validate.py checks the same records
 * against the JSON Schemas. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MAX_VERDICTS 64

/* Every verdict of a stream, in each schema. */
typedef struct {
	size_t n;
	char *kag[MAX_VERDICTS], *ocsf[MAX_VERDICTS], *ecs[MAX_VERDICTS];
	char id[MAX_VERDICTS][33];
	char detector[MAX_VERDICTS][64];
} rendered;

static rendered R;

static void rendered_free(void)
{
	size_t i;

	for (i = 0; i < R.n; i++) {
		free(R.kag[i]);
		free(R.ocsf[i]);
		free(R.ecs[i]);
	}
	memset(&R, 0, sizeof(R));
}

static char *copy(const char *s, size_t len)
{
	char *c = malloc(len + 1);

	ck_assert_ptr_nonnull(c);
	memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

/* Render v in every schema; a second call gives the same text, and kag's
 * schema is kag_verdict_json()'s text itself. */
static void keep(const kag_verdict *v)
{
	const char *text, *again, *json;
	size_t len, len2, json_len;
	int schema;

	ck_assert_uint_lt(R.n, MAX_VERDICTS);
	json = kag_verdict_json(v, &json_len);
	ck_assert_int_eq(kag_verdict_render(&text, &len, v, KAG_SCHEMA_KAG), KAG_OK);
	ck_assert_ptr_eq(text, json);
	ck_assert_uint_eq(len, json_len);
	R.kag[R.n] = copy(text, len);
	for (schema = KAG_SCHEMA_OCSF; schema <= KAG_SCHEMA_ECS; schema++) {
		ck_assert_int_eq(kag_verdict_render(&text, &len, v, schema), KAG_OK);
		ck_assert_uint_eq(strlen(text), len);
		ck_assert_int_eq(kag_verdict_render(&again, &len2, v, schema), KAG_OK);
		ck_assert_ptr_eq(again, text);
		ck_assert_uint_eq(len2, len);
		if (schema == KAG_SCHEMA_OCSF)
			R.ocsf[R.n] = copy(text, len);
		else
			R.ecs[R.n] = copy(text, len);
	}
	snprintf(R.id[R.n], sizeof(R.id[0]), "%s", kag_verdict_id(v));
	snprintf(R.detector[R.n], sizeof(R.detector[0]), "%s", kag_verdict_detector(v));
	R.n++;
}

static void keep_all(const kag_result *res)
{
	size_t i;

	for (i = 0; i < kag_result_count(res); i++)
		keep(kag_result_verdict(res, i));
}

/* Judge text (' stands for ") on a fresh session of reg, every verdict
 * rendered while it is valid. */
static void judge(kag_registry *reg, const char *text, int include_bodies)
{
	size_t i, n = strlen(text);
	char *buf = malloc(n + 1);
	kag_parser *p;
	kag_session *s;
	const kag_event *ev;
	const kag_result *res;
	int rc;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i <= n; i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	rendered_free();
	if (!kag_registry_is_sealed(reg))
		ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s, reg), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(s, KAG_SOPT_EMIT_BENIGN, 1), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(s, KAG_SOPT_INCLUDE_BODIES,
						    (uint64_t)include_bodies), KAG_OK);
	ck_assert_int_eq(kag_parser_set_source(p, "stream.jsonl"), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, buf, n), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		ck_assert_int_eq(rc, KAG_OK);
		ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
		keep_all(res);
	}
	ck_assert_int_eq(kag_session_flush(&res, s), KAG_OK);
	keep_all(res);
	kag_session_free(s);
	kag_parser_free(p);
	free(buf);
}

static kag_registry *new_registry(void)
{
	kag_registry *reg;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	return reg;
}

/* The index of the n-th verdict of detector, which must exist. */
static size_t nth(const char *detector, size_t n)
{
	size_t i;

	for (i = 0; i < R.n; i++)
		if (strcmp(R.detector[i], detector) == 0 && n-- == 0)
			return i;
	ck_abort_msg("no verdict %s", detector);
	return 0;
}

/* The member at path ("evidences.0.api.operation") of a record: a string
 * as it is, anything else as compact JSON, NULL when absent; kept until
 * the next call. */
static const char *get(const char *rec, const char *path)
{
	return tu_json_get(rec, path);
}

static void has(const char *rec, const char *path, const char *want_in)
{
	char want[8192];
	const char *got;

	ck_assert_ptr_nonnull(want_in);
	snprintf(want, sizeof(want), "%s", want_in);
	got = get(rec, path);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: got %s, want %s in %.400s", path,
		      got ? got : "(absent)", want, rec);
}

static void absent(const char *rec, const char *path)
{
	const char *got = get(rec, path);

	ck_assert_msg(got == NULL, "%s: got %s, want nothing in %.400s", path, got, rec);
}

#define EXEC(aid, t)                                                                        \
	"{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'Metadata','auditID':'" aid "'," \
	"'stage':'ResponseStarted','requestURI':'/api/v1/namespaces/prod/pods/api-7f9/exec?"  \
	"command=sh&command=-c&command=curl+-H+Authorization:+Bearer+KAGSECRET-exec-7f3a"      \
	"&stdin=true&tty=true','verb':'create','user':{'username':'alice@example.com',"        \
	"'uid':'u-17','groups':['developers','system:authenticated']},"                         \
	"'sourceIPs':['203.0.113.10','10.0.0.8'],"                                             \
	"'userAgent':'kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819',"                      \
	"'objectRef':{'resource':'pods','subresource':'exec','namespace':'prod',"              \
	"'name':'api-7f9','apiVersion':'v1'},'responseStatus':{'code':101},"                   \
	"'requestReceivedTimestamp':'2024-05-01T10:00:" t ".000000Z',"                         \
	"'stageTimestamp':'2024-05-01T10:00:" t ".250000Z'}\n"

/* ---- an exec: every part of the mapping with its exact value ---- */

START_TEST(exec_in_every_schema)
{
	kag_registry *reg = new_registry();
	const char *o, *e, *k;
	size_t i;

	judge(reg, EXEC("a-1", "05"), 0);
	i = nth("interactive_access", 0);
	k = R.kag[i];
	o = R.ocsf[i];
	e = R.ecs[i];
	/* kag's own: the schema after the id, no cluster */
	ck_assert_msg(strncmp(k + 39, "\",\"schema\":\"kag/1\",\"detector\":", 30) == 0, "%s", k);
	absent(k, "cluster");

	/* OCSF 1.3.0 Detection Finding */
	has(o, "class_uid", "2004");
	has(o, "class_name", "Detection Finding");
	has(o, "category_uid", "2");
	has(o, "activity_id", "1");
	has(o, "type_uid", "200401");
	has(o, "type_name", "Detection Finding: Create");
	has(o, "time", "1714557605250");
	has(o, "severity_id", "4");
	has(o, "severity", "High");
	has(o, "confidence_id", "3");
	has(o, "confidence", "High");
	has(o, "metadata.version", "1.3.0");
	has(o, "metadata.product.name", "kag");
	has(o, "metadata.product.version", KAG_VERSION);
	has(o, "metadata.uid", R.id[i]);
	has(o, "metadata.original_time", "2024-05-01T10:00:05.250000Z");
	absent(o, "metadata.labels");
	has(o, "finding_info.uid", R.id[i]);
	has(o, "finding_info.analytic.uid", "interactive_access");
	has(o, "finding_info.analytic.type_id", "1");
	has(o, "finding_info.analytic.type", "Rule");
	has(o, "finding_info.desc", get(k, "reason"));
	has(o, "message", get(k, "reason"));
	has(o, "finding_info.attacks",
	    "[{\"technique\":{\"uid\":\"T1609\",\"name\":\"Container Administration Command\"},"
	    "\"tactic\":{\"uid\":\"TA0002\",\"name\":\"Execution\"},\"version\":\"14\"}]");
	has(o, "resources.0.type", "pods/exec");
	has(o, "resources.0.name", "api-7f9");
	has(o, "resources.0.namespace", "prod");
	has(o, "resources.0.uid", "prod/api-7f9");
	has(o, "evidences.0.actor.user.name", "alice@example.com");
	has(o, "evidences.0.actor.user.uid", "u-17");
	has(o, "evidences.0.actor.user.groups",
	    "[{\"name\":\"developers\"},{\"name\":\"system:authenticated\"}]");
	has(o, "evidences.0.actor.app_name", "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819");
	has(o, "evidences.0.api.operation", "create");
	has(o, "evidences.0.api.service.name", "kube-apiserver");
	has(o, "evidences.0.api.version", "v1");
	has(o, "evidences.0.api.request.uid", "a-1");
	has(o, "evidences.0.api.response.code", "101");
	has(o, "evidences.0.src_endpoint.ip", "203.0.113.10");
	has(o, "evidences.0.src_endpoint.intermediate_ips", "[\"10.0.0.8\"]");
	has(o, "evidences.0.url.path", "/api/v1/namespaces/prod/pods/api-7f9/exec");
	absent(o, "evidences.0.user");
	has(o, "unmapped.kag.assessment", "suspicious");
	has(o, "unmapped.kag.outcome", "in_progress");
	has(o, "unmapped.kag.severity", "high");
	has(o, "unmapped.kag.event.source", "stream.jsonl:1");
	has(o, "unmapped.kag.event.stage", "ResponseStarted");
	has(o, "unmapped.kag.event.level", "Metadata");
	absent(e, "kag.event.stage");
	absent(o, "count");

	/* ECS 8.11 */
	has(e, "@timestamp", "2024-05-01T10:00:05.250000Z");
	has(e, "ecs.version", "8.11.0");
	has(e, "message", get(k, "reason"));
	has(e, "event.id", R.id[i]);
	has(e, "event.kind", "alert");
	has(e, "event.category", "[\"api\"]");
	has(e, "event.type", "[\"creation\",\"allowed\"]");
	has(e, "event.action", "create");
	has(e, "event.outcome", "success");
	has(e, "event.severity", "4");
	has(e, "rule.id", "interactive_access");
	has(e, "rule.name", "interactive_access");
	has(e, "rule.ruleset", "kag");
	has(e, "threat.framework", "MITRE ATT&CK");
	has(e, "threat.technique.id", "[\"T1609\"]");
	has(e, "threat.technique.name", "[\"Container Administration Command\"]");
	has(e, "threat.tactic.id", "[\"TA0002\"]");
	has(e, "user.name", "alice@example.com");
	has(e, "user.id", "u-17");
	has(e, "source.ip", "203.0.113.10");
	has(e, "user_agent.original", "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819");
	has(e, "http.response.status_code", "101");
	has(e, "orchestrator.type", "kubernetes");
	has(e, "orchestrator.namespace", "prod");
	has(e, "orchestrator.resource.type", "pods");
	has(e, "orchestrator.resource.name", "api-7f9");
	absent(e, "orchestrator.cluster");
	absent(e, "labels");
	has(e, "kubernetes.audit.auditID", "a-1");
	has(e, "kubernetes.audit.stage", "ResponseStarted");
	has(e, "kubernetes.audit.level", "Metadata");
	has(e, "kubernetes.audit.verb", "create");
	has(e, "kubernetes.audit.user.username", "alice@example.com");
	has(e, "kubernetes.audit.user.groups", "[\"developers\",\"system:authenticated\"]");
	has(e, "kubernetes.audit.sourceIPs", "[\"203.0.113.10\",\"10.0.0.8\"]");
	has(e, "kubernetes.audit.objectRef.subresource", "exec");
	has(e, "kubernetes.audit.responseStatus.code", "101");
	has(e, "kag.assessment", "suspicious");
	has(e, "kag.confidence", "high");
	has(e, "kag.missing", "[]");
	/* the command's credential is masked in every schema */
	for (i = 0; i < R.n; i++) {
		ck_assert_ptr_null(strstr(R.kag[i], "KAGSECRET"));
		ck_assert_ptr_null(strstr(R.ocsf[i], "KAGSECRET"));
		ck_assert_ptr_null(strstr(R.ecs[i], "KAGSECRET"));
	}
	has(e, "kubernetes.audit.requestURI", get(k, "evidence.requestURI"));
	has(o, "evidences.0.url.url_string", get(k, "evidence.requestURI"));
	rendered_free();
	kag_registry_free(reg);
}
END_TEST

/* ---- a denied probing burst: a correlation ---- */

#define DENIED(aid, res, t)                                                                 \
	"{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'Metadata','auditID':'" aid "'," \
	"'stage':'ResponseComplete','verb':'list','user':{'username':'mallory@example.com',"   \
	"'groups':['system:authenticated']},'sourceIPs':['198.51.100.7'],"                      \
	"'userAgent':'kubectl/v1.29.2','objectRef':{'resource':'" res "',"                      \
	"'namespace':'default','apiVersion':'v1'},'responseStatus':{'code':403,"              \
	"'reason':'Forbidden'},'annotations':{'authorization.k8s.io/decision':'forbid'},"     \
	"'stageTimestamp':'2024-05-01T11:00:" t ".000000Z'}\n"

START_TEST(probing_burst_correlation)
{
	static const char burst[] =
		DENIED("d-0", "secrets", "00") DENIED("d-1", "pods", "03") DENIED("d-2", "configmaps", "06")
		DENIED("d-3", "secrets", "09") DENIED("d-4", "services", "12") DENIED("d-5", "pods", "15")
		DENIED("d-6", "secrets", "18") DENIED("d-7", "roles", "21") DENIED("d-8", "secrets", "24")
		DENIED("d-9", "endpoints", "27");
	kag_registry *reg = new_registry();
	const char *o = NULL, *e = NULL, *k = NULL;
	size_t i;

	judge(reg, burst, 0);
	for (i = 0; i < R.n; i++) {
		if (strcmp(R.detector[i], "rbac_probing") == 0 && get(R.kag[i], "correlation")) {
			k = R.kag[i];
			o = R.ocsf[i];
			e = R.ecs[i];
			break;
		}
	}
	ck_assert_msg(k != NULL, "no correlated rbac_probing verdict among %zu", R.n);
	has(k, "correlation.count", "10");
	has(o, "count", "10");
	has(o, "start_time", "1714561200000");
	has(o, "end_time", "1714561227000");
	has(o, "finding_info.first_seen_time", "1714561200000");
	has(o, "finding_info.last_seen_time", "1714561227000");
	has(o, "unmapped.kag.correlation.count", "10");
	has(o, "unmapped.kag.outcome", "denied");
	has(o, "unmapped.kag.evidence.denied_by", "authorization");
	has(o, "evidences.0.api.response.code", "403");
	has(o, "evidences.0.api.response.error", "Forbidden");
	has(e, "event.outcome", "failure");
	has(e, "event.type", "[\"access\",\"denied\"]");
	has(e, "event.start", "2024-05-01T11:00:00.000000Z");
	has(e, "event.end", "2024-05-01T11:00:27.000000Z");
	has(e, "error.code", "Forbidden");
	has(e, "kag.correlation.count", "10");
	has(e, "kag.evidence.denied_by", "authorization");
	has(e, "http.response.status_code", "403");
	rendered_free();
	kag_registry_free(reg);
}
END_TEST

/* ---- a repeat window's aggregate ---- */

START_TEST(repeat_aggregate)
{
	kag_registry *reg = new_registry();
	size_t first, agg;

	judge(reg, EXEC("r-1", "01") EXEC("r-2", "11") EXEC("r-3", "21"), 0);
	first = nth("interactive_access", 0);
	agg = nth("interactive_access", 1);
	has(R.kag[agg], "repeats.count", "2");
	ck_assert_str_ne(R.id[first], R.id[agg]);
	has(R.ocsf[agg], "finding_info.uid", R.id[agg]);
	has(R.ocsf[agg], "count", "2");
	has(R.ocsf[agg], "start_time", "1714557611250");
	has(R.ocsf[agg], "end_time", "1714557621250");
	has(R.ocsf[agg], "unmapped.kag.repeats.count", "2");
	absent(R.ocsf[first], "count");
	has(R.ecs[agg], "event.id", R.id[agg]);
	has(R.ecs[agg], "kag.repeats.count", "2");
	has(R.ecs[agg], "event.start", "2024-05-01T10:00:11.250000Z");
	has(R.ecs[agg], "event.end", "2024-05-01T10:00:21.250000Z");
	rendered_free();
	kag_registry_free(reg);
}
END_TEST

/* ---- fields missing: nothing invented, the names listed ---- */

START_TEST(missing_fields)
{
	kag_registry *reg = new_registry();
	const char *o, *e;
	size_t i;

	/* the sample's exec: no auditID, time, userAgent, requestURI or level */
	judge(reg, "{'verb':'create','objectRef':{'resource':'pods','subresource':'exec',"
		   "'namespace':'prod','name':'api-7f9'},'user':{'username':'alice@example.com'},"
		   "'sourceIPs':['not-an-address'],'responseStatus':{'code':101},"
		   "'stage':'ResponseStarted'}\n", 0);
	i = nth("interactive_access", 0);
	o = R.ocsf[i];
	e = R.ecs[i];
	has(o, "time", "0");
	has(o, "confidence_id", "1");
	has(o, "unmapped.kag.missing", "[\"userAgent\",\"requestURI\"]");
	absent(o, "metadata.original_time");
	absent(o, "evidences.0.api.request");
	absent(o, "evidences.0.actor.app_name");
	absent(o, "evidences.0.url");
	/* a source that is no address is not an endpoint */
	absent(o, "evidences.0.src_endpoint");
	has(e, "@timestamp", "1970-01-01T00:00:00.000000Z");
	has(e, "kag.missing", "[\"userAgent\",\"requestURI\"]");
	has(e, "kag.confidence", "low");
	absent(e, "source");
	absent(e, "user_agent");
	absent(e, "kubernetes.audit.auditID");
	has(e, "kubernetes.audit.sourceIPs", "[\"not-an-address\"]");
	rendered_free();
	kag_registry_free(reg);
}
END_TEST

/* ---- a GKE entry: the fields the provider mapping inferred ---- */

START_TEST(gke_inferred)
{
	kag_registry *reg = new_registry();
	size_t len;
	char *data = tu_read_data_file("khi-gke/gke_k8s_audit_logentries.jsonl", &len);
	char *line = strchr(data, '\n');
	const char *o, *e;

	*++line = '\0';  /* the first entry only */
	judge(reg, data, 0);
	free(data);
	ck_assert_uint_ge(R.n, 1);
	o = R.ocsf[0];
	e = R.ecs[0];
	has(R.kag[0], "event.format", "gke");
	has(o, "unmapped.kag.inferred",
	    "[\"stage\",\"level\",\"responseStatus.code\",\"stageTimestamp\"]");
	has(o, "unmapped.kag.event.format", "gke");
	has(o, "time", "1704070800000");
	has(o, "evidences.0.api.request.uid", "85371f7c-2383-4041-96e8-dad63d2d1990");
	has(o, "evidences.0.api.response.code", "200");
	has(e, "kag.inferred", "[\"stage\",\"level\",\"responseStatus.code\",\"stageTimestamp\"]");
	has(e, "kubernetes.audit.stage", "ResponseComplete");
	has(e, "event.kind", "event");
	has(e, "event.severity", "1");
	rendered_free();
	kag_registry_free(reg);
}
END_TEST

/* ---- the cluster: from a policy, from the setters ---- */

static void expect_cluster(const char *k, const char *o, const char *e)
{
	/* kag's record: after "schema", labels in the order they were set */
	ck_assert_msg(strstr(k, "\"schema\":\"kag/1\",\"cluster\":{\"name\":\"prod-eu-1\","
			     "\"labels\":{\"env\":\"prod\",\"app.kubernetes.io/part-of\":"
			     "\"payments\"}},\"detector\":") != NULL, "%s", k);
	has(o, "metadata.labels",
	    "[\"cluster:prod-eu-1\",\"env:prod\",\"app.kubernetes.io/part-of:payments\"]");
	has(o, "unmapped.kag.cluster.name", "prod-eu-1");
	has(o, "unmapped.kag.cluster.labels.env", "prod");
	has(e, "orchestrator.cluster.name", "prod-eu-1");
	has(e, "labels", "{\"env\":\"prod\",\"app_kubernetes_io/part-of\":\"payments\"}");
}

START_TEST(cluster_from_policy)
{
	static const char policy[] =
		"{\"cluster\": {\"name\": \"prod-eu-1\", \"labels\": {\"env\": \"prod\", "
		"\"app.kubernetes.io/part-of\": \"payments\"}}}";
	kag_registry *reg = new_registry();
	size_t i;

	ck_assert_int_eq(kag_registry_load_policy(reg, policy, strlen(policy)), KAG_OK);
	judge(reg, EXEC("c-1", "05"), 0);
	ck_assert_uint_ge(R.n, 1);
	for (i = 0; i < R.n; i++)
		expect_cluster(R.kag[i], R.ocsf[i], R.ecs[i]);
	rendered_free();
	kag_registry_free(reg);
}
END_TEST

START_TEST(cluster_from_setters)
{
	kag_registry *reg = new_registry();
	char name[300];
	size_t i;

	/* labels need a name first */
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "env", "prod"), KAG_EINVAL);
	ck_assert_str_eq(kag_registry_error_message(reg), "set the cluster's name before its labels");
	ck_assert_int_eq(kag_registry_set_cluster(reg, "staging"), KAG_OK);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "env", "staging"), KAG_OK);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "app.kubernetes.io/part-of", "payments"),
			 KAG_OK);
	/* a new name keeps the labels; a label set again takes its new value */
	ck_assert_int_eq(kag_registry_set_cluster(reg, "prod-eu-1"), KAG_OK);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "env", "prod"), KAG_OK);
	/* refused: empty, too long, control characters, NULL */
	ck_assert_int_eq(kag_registry_set_cluster(reg, ""), KAG_EINVAL);
	memset(name, 'a', 254);
	name[254] = '\0';
	ck_assert_int_eq(kag_registry_set_cluster(reg, name), KAG_EINVAL);
	ck_assert_str_eq(kag_registry_error_message(reg), "the cluster name is longer than 253 bytes");
	name[253] = '\0';
	ck_assert_int_eq(kag_registry_set_cluster(reg, "prod\neu"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "", "x"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "k", "a\tb"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, NULL, "x"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "k", NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_cluster(NULL, "x"), KAG_EINVAL);
	judge(reg, EXEC("s-1", "05"), 0);
	for (i = 0; i < R.n; i++)
		expect_cluster(R.kag[i], R.ocsf[i], R.ecs[i]);
	/* sealed */
	ck_assert_int_eq(kag_registry_set_cluster(reg, "other"), KAG_ESTATE);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "a", "b"), KAG_ESTATE);
	rendered_free();
	kag_registry_free(reg);

	/* 64 labels, not 65; a name of 253 bytes; NULL removes the cluster */
	reg = new_registry();
	ck_assert_int_eq(kag_registry_set_cluster(reg, name), KAG_OK);
	for (i = 0; i < 64; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%zu", i);
		ck_assert_int_eq(kag_registry_add_cluster_label(reg, key, "v"), KAG_OK);
	}
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "k0", "again"), KAG_OK);
	ck_assert_int_eq(kag_registry_add_cluster_label(reg, "k64", "v"), KAG_ELIMIT);
	ck_assert_int_eq(kag_registry_set_cluster(reg, NULL), KAG_OK);
	judge(reg, EXEC("s-2", "05"), 0);
	absent(R.kag[0], "cluster");
	absent(R.ocsf[0], "metadata.labels");
	absent(R.ocsf[0], "unmapped.kag.cluster");
	absent(R.ecs[0], "orchestrator.cluster");
	rendered_free();
	kag_registry_free(reg);
}
END_TEST

/* A policy the registry refuses, at path, with code; the registry keeps
 * no cluster (all or nothing). */
static void refused(const char *policy, int code, const char *path)
{
	kag_registry *reg = new_registry();

	ck_assert_int_eq(kag_registry_load_policy(reg, policy, strlen(policy)), code);
	ck_assert_str_eq(kag_registry_error_path(reg), path);
	judge(reg, EXEC("p-1", "05"), 0);
	absent(R.kag[0], "cluster");
	rendered_free();
	kag_registry_free(reg);
}

START_TEST(cluster_policy_errors)
{
	tu_text many = { 0 };
	size_t i;

	refused("{\"cluster\": \"prod\"}", KAG_ESCHEMA, "/cluster");
	refused("{\"cluster\": {\"labels\": {}}}", KAG_ESCHEMA, "/cluster");
	refused("{\"cluster\": {\"name\": \"\"}}", KAG_ESCHEMA, "/cluster/name");
	{
		kag_registry *reg = new_registry();
		static const char doc[] = "{\"cluster\": {\"name\": \"a\", \"labels\": {\"k\": \"a\\tb\"}}}";

		ck_assert_int_eq(kag_registry_load_policy(reg, doc, strlen(doc)), KAG_ESCHEMA);
		ck_assert_str_eq(kag_registry_error_message(reg),
				 "/cluster/labels/k: a cluster label value has a control character");
		kag_registry_free(reg);
	}
	refused("{\"cluster\": {\"name\": 7}}", KAG_ESCHEMA, "/cluster/name");
	refused("{\"cluster\": {\"name\": \"a\\u0001b\"}}", KAG_ESCHEMA, "/cluster/name");
	refused("{\"cluster\": {\"name\": \"a\", \"zone\": \"x\"}}", KAG_ESCHEMA, "/cluster/zone");
	refused("{\"cluster\": {\"name\": \"a\", \"labels\": []}}", KAG_ESCHEMA, "/cluster/labels");
	refused("{\"cluster\": {\"name\": \"a\", \"labels\": {\"env\": 1}}}", KAG_ESCHEMA,
		"/cluster/labels/env");
	refused("{\"cluster\": {\"name\": \"a\", \"labels\": {\"a/b\": null}}}", KAG_ESCHEMA,
		"/cluster/labels/a~1b");
	refused("{\"cluster\": {\"name\": \"a\", \"labels\": {\"\": \"x\"}}}", KAG_ESCHEMA,
		"/cluster/labels/");
	/* a good cluster in a document with another error: nothing is kept */
	refused("{\"cluster\": {\"name\": \"a\"}, \"thresholds\": {\"probe\": 0}}", KAG_ESCHEMA,
		"/thresholds/probe");
	tu_put(&many, "{\"cluster\": {\"name\": \"a\", \"labels\": {",
	       strlen("{\"cluster\": {\"name\": \"a\", \"labels\": {"));
	for (i = 0; i < 65; i++) {
		char item[32];
		int n = snprintf(item, sizeof(item), "%s\"k%zu\": \"v\"", i ? ", " : "", i);

		tu_put(&many, item, (size_t)n);
	}
	tu_put(&many, "}}}", 3);
	refused(many.s, KAG_ELIMIT, "/cluster/labels");
	free(many.s);
}
END_TEST

/* ---- the API's edges ---- */

START_TEST(render_arguments)
{
	kag_registry *reg = new_registry();
	kag_parser *p;
	kag_session *s;
	const kag_event *ev;
	const kag_result *res;
	const kag_verdict *v;
	const char *text = "x";
	size_t len = 9;
	char rec[] = "{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\",\"subresource\":"
		     "\"exec\",\"namespace\":\"prod\",\"name\":\"x\"},\"user\":{\"username\":\"a\"},"
		     "\"responseStatus\":{\"code\":101},\"stage\":\"ResponseStarted\"}\n";

	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s, reg), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, rec, strlen(rec)), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
	ck_assert_uint_ge(kag_result_count(res), 1);
	v = kag_result_verdict(res, 0);
	ck_assert_int_eq(kag_verdict_render(&text, &len, v, 3), KAG_EINVAL);
	ck_assert_ptr_null(text);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(kag_verdict_render(&text, NULL, v, -1), KAG_EINVAL);
	ck_assert_int_eq(kag_verdict_render(&text, &len, NULL, KAG_SCHEMA_OCSF), KAG_EINVAL);
	ck_assert_int_eq(kag_verdict_render(NULL, &len, v, KAG_SCHEMA_OCSF), KAG_EINVAL);
	ck_assert_int_eq(kag_verdict_render(&text, NULL, v, KAG_SCHEMA_ECS), KAG_OK);
	ck_assert_ptr_nonnull(strstr(text, "\"ecs\":{\"version\":\"8.11.0\"}"));
	kag_session_free(s);
	kag_parser_free(p);
	kag_registry_free(reg);
}
END_TEST

/* ---- no body and no credential in any schema ---- */

START_TEST(no_bodies_or_secrets)
{
	static const char stream[] =
		/* a Secret created with its data in the request and response bodies */
		"{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'RequestResponse',"
		"'auditID':'s-1','stage':'ResponseComplete','requestURI':"
		"'/api/v1/namespaces/kube-system/secrets?token=KAGSECRET-uri-7f3a','verb':'create',"
		"'user':{'username':'mallory@example.com','groups':['system:authenticated']},"
		"'sourceIPs':['198.51.100.7'],'userAgent':'curl/8.0',"
		"'objectRef':{'resource':'secrets','namespace':'kube-system','name':'backdoor',"
		"'apiVersion':'v1'},'responseStatus':{'code':201},"
		"'requestObject':{'kind':'Secret','apiVersion':'v1','metadata':{'name':'backdoor'},"
		"'data':{'token':'S0FHU0VDUkVULWRhdGEtN2YzYQ=='},"
		"'stringData':{'password':'KAGSECRET-stringdata-7f3a'}},"
		"'responseObject':{'kind':'Secret','apiVersion':'v1','metadata':{'name':'backdoor'},"
		"'data':{'token':'S0FHU0VDUkVULWRhdGEtN2YzYQ=='}},"
		"'stageTimestamp':'2024-05-01T12:00:00.000000Z'}\n"
		EXEC("s-2", "09");
	kag_registry *reg = new_registry();
	size_t i;
	int bodies;

	for (bodies = 0; bodies <= 1; bodies++) {
		judge(reg, stream, bodies);
		ck_assert_uint_ge(R.n, 2);
		for (i = 0; i < R.n; i++) {
			const char *texts[3] = { R.kag[i], R.ocsf[i], R.ecs[i] };
			size_t t;

			for (t = 0; t < 3; t++) {
				ck_assert_msg(strstr(texts[t], "KAGSECRET") == NULL, "%s", texts[t]);
				ck_assert_msg(strstr(texts[t], "S0FHU0VDUkVU") == NULL, "%s", texts[t]);
			}
			/* kag's record has the (redacted) bodies when asked; the
			 * other schemas never */
			ck_assert_ptr_null(strstr(R.ocsf[i], "requestObject"));
			ck_assert_ptr_null(strstr(R.ocsf[i], "responseObject"));
			ck_assert_ptr_null(strstr(R.ecs[i], "requestObject"));
			ck_assert_ptr_null(strstr(R.ecs[i], "responseObject"));
			ck_assert_ptr_null(strstr(R.ecs[i], "<redacted>\"}}"));
		}
		if (bodies)
			ck_assert_ptr_nonnull(strstr(R.kag[nth("public_source", 0)], "requestObject"));
		/* a sub-technique: its parent is the technique, each id once */
		i = nth("public_source", 0);
		has(R.kag[i], "attack", "[\"T1078\",\"T1552.007\"]");
		has(R.ocsf[i], "finding_info.attacks.1.technique.uid", "T1552");
		has(R.ocsf[i], "finding_info.attacks.1.technique.name", "Unsecured Credentials");
		has(R.ocsf[i], "finding_info.attacks.1.sub_technique.uid", "T1552.007");
		has(R.ocsf[i], "finding_info.attacks.1.sub_technique.name", "Container API");
		has(R.ocsf[i], "finding_info.attacks.1.tactic.uid", "TA0006");
		has(R.ecs[i], "threat.technique.id", "[\"T1078\",\"T1552\"]");
		has(R.ecs[i], "threat.technique.subtechnique.id", "[\"T1552.007\"]");
		has(R.ecs[i], "threat.technique.subtechnique.name", "[\"Container API\"]");
		has(R.ecs[i], "threat.tactic.name", "[\"Initial Access\",\"Credential Access\"]");
		rendered_free();
	}
	kag_registry_free(reg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ocsf_ecs");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, exec_in_every_schema);
	tcase_add_test(tc, probing_burst_correlation);
	tcase_add_test(tc, repeat_aggregate);
	tcase_add_test(tc, missing_fields);
	tcase_add_test(tc, gke_inferred);
	tcase_add_test(tc, render_arguments);
	tcase_add_test(tc, no_bodies_or_secrets);
	suite_add_tcase(s, tc);
	tc = tcase_create("cluster");
	tcase_add_test(tc, cluster_from_policy);
	tcase_add_test(tc, cluster_from_setters);
	tcase_add_test(tc, cluster_policy_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
