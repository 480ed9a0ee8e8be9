/* Helpers shared by the fuzz harnesses: a fixed audit stream to judge, and
 * checks that hold for every input (a violated check aborts, which both
 * libFuzzer and the replay driver report as a failure). */
#ifndef KAG_FUZZ_COMMON_H
#define KAG_FUZZ_COMMON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* Events that reach every built-in detector family and the rule matcher:
 * exec, impersonation, denied and allowed secret reads, RBAC changes, a
 * privileged pod with a body, a CSR, anonymous access, a RequestReceived
 * stage with its later stage, and a record without a time. */
static const char fuzz_stream[] =
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
static void fuzz_check_verdicts(const kag_result *res)
{
	size_t i, j, n = kag_result_count(res);

	for (i = 0; i < n; i++) {
		const kag_verdict *v = kag_result_verdict(res, i);
		const char *json, *ev;
		size_t len, ev_len;
		json_t *root;
		json_error_t err;

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
		root = json_loadb(json, len, 0, &err);
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
			root = json_loadb(ev, ev_len, 0, &err);
			if (!root) {
				fprintf(stderr, "evidence is not JSON (%s): %.*s\n", err.text,
					(int)ev_len, ev);
				abort();
			}
			json_decref(root);
		}
	}
}

/* Parse `data` and judge every event in session s; returns the number of
 * events judged. Verdicts are checked as they come. */
static size_t fuzz_judge(kag_session *s, kag_parser *p, const char *data, size_t len)
{
	kag_event *ev;
	kag_result *res;
	size_t n = 0;
	int pass, rc;

	FUZZ_CHECK(kag_parser_reset(p) == KAG_OK);
	FUZZ_CHECK(kag_parser_feed(p, data, len) == KAG_OK);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			FUZZ_CHECK(kag_parser_finish(p) == KAG_OK);
		while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
			if (rc < 0) {
				FUZZ_CHECK(kag_parser_error_message(p) != NULL);
				continue;
			}
			n++;
			rc = kag_session_evaluate(&res, s, ev);
			FUZZ_CHECK(rc == KAG_OK);
			fuzz_check_verdicts(res);
		}
	}
	FUZZ_CHECK(kag_session_flush(&res, s) == KAG_OK);
	fuzz_check_verdicts(res);
	return n;
}

#endif
