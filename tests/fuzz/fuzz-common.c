/* Helpers shared by the fuzz harnesses. */
#include "fuzz-common.h"

/* Events that reach every built-in detector family and the rule matcher:
 * exec, impersonation, denied and allowed secret reads, RBAC changes, a
 * privileged pod with a body, a CSR, anonymous access, a RequestReceived
 * stage with its later stage, and a record without a time. */
const char fuzz_stream[] =
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"a1\","
	"\"stage\":\"ResponseStarted\",\"stageTimestamp\":\"2024-05-01T10:00:00.000000Z\",\"verb\":\"create\","
	"\"requestURI\":\"/api/v1/namespaces/prod/pods/api/exec?command=sh&command=-c&command=curl%20169.254.169.254\","
	"\"user\":{\"username\":\"alice@example.com\",\"groups\":[\"dev\",\"system:authenticated\"],"
	"\"extra\":{\"scopes\":[\"a\"]}},\"sourceIPs\":[\"203.0.113.10\"],\"userAgent\":\"kubectl/v1.30.0\","
	"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"prod\",\"name\":\"api\"},"
	"\"responseStatus\":{\"code\":101},\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"}}\n"
	"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"a2\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:01Z\",\"verb\":\"get\",\"user\":{\"username\":\"bob@example.com\"},"
	"\"impersonatedUser\":{\"username\":\"system:admin\",\"groups\":[\"system:masters\"]},"
	"\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"kube-system\",\"name\":\"s1\"},"
	"\"responseStatus\":{\"code\":200},\"sourceIPs\":[\"10.0.0.1\",\"198.51.100.7\"]}\n"
	"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"a3\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:02Z\",\"verb\":\"list\",\"user\":{\"username\":\"mallory\"},"
	"\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\"},\"responseStatus\":{\"code\":403,"
	"\"reason\":\"Forbidden\"},\"annotations\":{\"authorization.k8s.io/decision\":\"forbid\"}}\n"
	"{\"kind\":\"Event\",\"level\":\"RequestResponse\",\"auditID\":\"a4\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:03Z\",\"verb\":\"create\",\"user\":{\"username\":\"mallory\"},"
	"\"objectRef\":{\"resource\":\"clusterrolebindings\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"x\"},"
	"\"responseStatus\":{\"code\":201},\"requestObject\":{\"kind\":\"ClusterRoleBinding\","
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"},"
	"\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"default\",\"namespace\":\"default\"}]}}\n"
	"{\"kind\":\"Event\",\"level\":\"Request\",\"auditID\":\"a5\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:04Z\",\"verb\":\"create\",\"user\":{\"username\":\"mallory\"},"
	"\"objectRef\":{\"resource\":\"pods\",\"namespace\":\"kube-system\",\"name\":\"p\"},"
	"\"responseStatus\":{\"code\":201},\"requestObject\":{\"kind\":\"Pod\",\"spec\":{\"hostPID\":true,"
	"\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":true,"
	"\"capabilities\":{\"add\":[\"SYS_ADMIN\"]}}}],\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/\"}}]}}}\n"
	"{\"kind\":\"Event\",\"level\":\"Request\",\"auditID\":\"a6\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:05Z\",\"verb\":\"create\",\"user\":{\"username\":\"mallory\"},"
	"\"objectRef\":{\"resource\":\"certificatesigningrequests\",\"name\":\"csr1\"},\"responseStatus\":{\"code\":201},"
	"\"requestObject\":{\"spec\":{\"signerName\":\"kubernetes.io/kube-apiserver-client\",\"usages\":[\"client auth\"]}}}\n"
	"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"a7\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:06Z\",\"verb\":\"update\",\"user\":{\"username\":\"mallory\"},"
	"\"objectRef\":{\"resource\":\"certificatesigningrequests\",\"subresource\":\"approval\",\"name\":\"csr1\"},"
	"\"responseStatus\":{\"code\":200}}\n"
	"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"a8\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:07Z\",\"verb\":\"get\",\"requestURI\":\"/api/v1/namespaces\","
	"\"user\":{\"username\":\"system:anonymous\",\"groups\":[\"system:unauthenticated\"]},"
	"\"objectRef\":{\"resource\":\"namespaces\"},\"responseStatus\":{\"code\":200},\"sourceIPs\":[\"8.8.8.8\"]}\n"
	"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"a9\",\"stage\":\"RequestReceived\","
	"\"stageTimestamp\":\"2024-05-01T10:00:08Z\",\"verb\":\"create\",\"user\":{\"username\":\"eve\"},"
	"\"objectRef\":{\"resource\":\"serviceaccounts\",\"subresource\":\"token\",\"namespace\":\"kube-system\",\"name\":\"x\"}}\n"
	"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"a9\",\"stage\":\"ResponseComplete\","
	"\"stageTimestamp\":\"2024-05-01T10:00:09Z\",\"verb\":\"create\",\"user\":{\"username\":\"eve\"},"
	"\"objectRef\":{\"resource\":\"serviceaccounts\",\"subresource\":\"token\",\"namespace\":\"kube-system\",\"name\":\"x\"},"
	"\"responseStatus\":{\"code\":201}}\n"
	"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"a10\",\"stage\":\"RequestReceived\","
	"\"verb\":\"delete\",\"user\":{\"username\":\"eve\"},\"objectRef\":{\"resource\":\"namespaces\",\"name\":\"prod\"}}\n"
	"{\"verb\":\"update\",\"user\":{\"username\":\"system:kube-controller-manager\"},"
	"\"userAgent\":\"kube-controller-manager/v1.30.0\",\"objectRef\":{\"resource\":\"leases\","
	"\"namespace\":\"kube-system\"},\"responseStatus\":{\"code\":200},\"stage\":\"ResponseComplete\"}\n";

/* Every verdict must serialise to one valid JSON object; its accessors must
 * answer without crashing. */
void fuzz_check_verdicts(const kag_result *res)
{
	size_t i, j, n = kag_result_count(res);

	for (i = 0; i < n; i++) {
		const kag_verdict *v = kag_result_verdict(res, i);
		const char *json, *ev;
		size_t len, ev_len;
		json_t *root;
		json_error_t err;
		int schema;

		FUZZ_CHECK(v != NULL);
		FUZZ_CHECK(kag_verdict_detector(v) != NULL);
		FUZZ_CHECK(kag_verdict_reason(v) != NULL);
		FUZZ_CHECK(kag_verdict_source(v) != NULL);
		(void)kag_verdict_audit_id(v);
		FUZZ_CHECK(kag_verdict_assessment(v) >= KAG_ASSESSMENT_BENIGN &&
			   kag_verdict_assessment(v) <= KAG_ASSESSMENT_NEEDS_CONTEXT);
		for (j = 0; j < kag_verdict_attack_count(v); j++)
			FUZZ_CHECK(kag_verdict_attack(v, j) != NULL);
		for (j = 0; j < kag_verdict_missing_count(v); j++)
			FUZZ_CHECK(kag_verdict_missing(v, j) != NULL);
		for (j = 0; j < kag_verdict_inferred_count(v); j++)
			FUZZ_CHECK(kag_verdict_inferred(v, j) != NULL);
		(void)kag_verdict_correlation_count(v);
		json = kag_verdict_json(v, &len);
		FUZZ_CHECK(json != NULL);
		FUZZ_CHECK(strlen(json) == len);
		root = json_loadb(json, len, JSON_ALLOW_NUL, &err);
		if (!root) {
			fprintf(stderr, "verdict is not JSON (%s): %s\n", err.text, json);
			abort();
		}
		FUZZ_CHECK(json_is_object(root));
		FUZZ_CHECK(json_is_string(json_object_get(root, "detector")));
		FUZZ_CHECK(json_is_string(json_object_get(root, "assessment")));
		FUZZ_CHECK(json_is_object(json_object_get(root, "evidence")));
		json_decref(root);
		ev = kag_verdict_evidence_json(v, &ev_len);
		if (ev) {
			root = json_loadb(ev, ev_len, JSON_ALLOW_NUL, &err);
			if (!root) {
				fprintf(stderr, "evidence is not JSON (%s): %.*s\n", err.text,
					(int)ev_len, ev);
				abort();
			}
			json_decref(root);
		}
		/* the OCSF and ECS renderings are JSON objects too */
		for (schema = KAG_SCHEMA_OCSF; schema <= KAG_SCHEMA_ECS; schema++) {
			FUZZ_CHECK(kag_verdict_render(&json, &len, v, schema) == KAG_OK);
			FUZZ_CHECK(strlen(json) == len);
			root = json_loadb(json, len, JSON_ALLOW_NUL, &err);
			if (!root) {
				fprintf(stderr, "rendering %d is not JSON (%s): %s\n", schema, err.text,
					json);
				abort();
			}
			FUZZ_CHECK(json_is_object(root));
			json_decref(root);
		}
	}
}

static void digest_result(uint64_t *h, const kag_result *res)
{
	size_t i, j, len;

	fuzz_check_verdicts(res);
	for (i = 0; i < kag_result_count(res); i++) {
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		for (j = 0; j < len; j++)
			*h = (*h ^ (unsigned char)json[j]) * 0x100000001b3ULL;
		*h = (*h ^ '\n') * 0x100000001b3ULL;
	}
}

/* FNV-1a over every verdict line of the fixed stream. */
uint64_t fuzz_judge_stream(kag_registry *reg)
{
	kag_session *s;
	kag_parser *p;
	const kag_event *ev;
	const kag_result *res;
	uint64_t h = 0xcbf29ce484222325ULL;
	int rc;

	FUZZ_CHECK(kag_session_new(&s, reg) == KAG_OK);
	FUZZ_CHECK(kag_parser_new(&p) == KAG_OK);
	FUZZ_CHECK(kag_parser_feed(p, fuzz_stream, sizeof(fuzz_stream) - 1) == KAG_OK);
	FUZZ_CHECK(kag_parser_finish(p) == KAG_OK);
	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		FUZZ_CHECK(rc == KAG_OK);
		FUZZ_CHECK(kag_session_evaluate(&res, s, ev) == KAG_OK);
		digest_result(&h, res);
	}
	FUZZ_CHECK(kag_session_flush(&res, s) == KAG_OK);
	digest_result(&h, res);
	kag_parser_free(p);
	kag_session_free(s);
	return h;
}

void fuzz_small_tables(kag_registry *reg)
{
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_DEDUP_CAPACITY, 64) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_PRINCIPAL_CAPACITY, 64) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_PENDING_CAPACITY, 64) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_NEW_TERMS_CAPACITY, 64) == KAG_OK);
}

kag_registry *fuzz_shared_registry(void)
{
	static kag_registry *reg;

	if (reg)
		return reg;
	FUZZ_CHECK(kag_registry_new(&reg) == KAG_OK);
	fuzz_small_tables(reg);
	FUZZ_CHECK(kag_registry_seal(reg) == KAG_OK);
	return reg;
}

uint64_t fuzz_default_digest(void)
{
	static uint64_t h;
	kag_registry *reg;

	if (h)
		return h;
	FUZZ_CHECK(kag_registry_new(&reg) == KAG_OK);
	fuzz_small_tables(reg);
	FUZZ_CHECK(kag_registry_seal(reg) == KAG_OK);
	h = fuzz_judge_stream(reg);
	kag_registry_free(reg);
	return h;
}

