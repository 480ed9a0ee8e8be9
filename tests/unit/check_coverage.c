/* Coverage advice (coverage.c, coverage_policy.c): exact counts per
 * detector, reason and resource; a request held at RequestReceived counted
 * only when no later stage judged it; the bounded resource table and its
 * overflow; the audit policy snippet, which never raises Secrets or
 * ConfigMaps above Metadata and names no resource a log made up. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* Append one event line to t: printf-style, ' for ". */
static void line(tu_text *t, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int i, n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(buf) - 1);
	for (i = 0; i < n; i++)
		if (buf[i] == '\'')
			buf[i] = '"';
	buf[n++] = '\n';
	tu_put(t, buf, (size_t)n);
}

#define DEV "'user':{'username':'dev@example.com','groups':['system:authenticated']}," \
	    "'sourceIPs':['10.0.0.3'],'userAgent':'kubectl/v1.29.2'"
#define TIME "'stageTimestamp':'2024-05-01T10:00:%02d.000000Z'"

/* A write by dev at Metadata level. */
static void dev_write(tu_text *t, int sec, const char *verb, const char *group,
		      const char *resource, const char *name)
{
	line(t, "{'auditID':'w%d','stage':'ResponseComplete','level':'Metadata','verb':'%s'," DEV
		",'objectRef':{'apiGroup':'%s','resource':'%s','namespace':'shop','name':'%s'},"
		"'responseStatus':{'code':201}," TIME "}",
	     sec, verb, group, resource, name, sec);
}

/* The fixed stream of the count and snippet tests. */
static void fixed_stream(tu_text *t)
{
	int i;

	/* a platform controller's pods in an application namespace: no lead,
	 * counted without a verdict */
	for (i = 0; i < 3; i++)
		line(t, "{'auditID':'c%d','stage':'ResponseComplete','level':'Metadata',"
			"'verb':'create','user':{'username':'system:serviceaccount:kube-system:"
			"deployment-controller'},'sourceIPs':['10.0.0.2'],"
			"'userAgent':'kube-controller-manager/v1.29.2',"
			"'objectRef':{'resource':'pods','namespace':'shop','name':'web-%d'},"
			"'responseStatus':{'code':201}," TIME "}", i, i, i);
	/* a person's writes: leads, with needs_context verdicts */
	dev_write(t, 10, "create", "", "pods", "debug-1");
	dev_write(t, 11, "create", "", "pods", "debug-2");
	dev_write(t, 12, "create", "apps", "deployments", "web");
	dev_write(t, 13, "create", "", "services", "web");
	dev_write(t, 14, "create", "certificates.k8s.io", "certificatesigningrequests", "dev");
	/* a binding patched at Request level without its roleRef: the
	 * response would name the role */
	line(t, "{'auditID':'b1','stage':'ResponseComplete','level':'Request','verb':'patch'," DEV
		",'objectRef':{'apiGroup':'rbac.authorization.k8s.io','resource':'rolebindings',"
		"'namespace':'shop','name':'web'},'requestObject':{'metadata':{'labels':"
		"{'a':'b'}}},'responseStatus':{'code':200}," TIME "}", 15);
	/* a secret read seen only at RequestReceived, one seen at both
	 * stages, and one without a user */
	line(t, "{'auditID':'r1','stage':'RequestReceived','level':'Metadata','verb':'get'," DEV
		",'objectRef':{'resource':'secrets','namespace':'shop','name':'db'}," TIME "}", 16);
	line(t, "{'auditID':'r2','stage':'RequestReceived','level':'Metadata','verb':'get'," DEV
		",'objectRef':{'resource':'secrets','namespace':'shop','name':'api'}," TIME "}", 17);
	line(t, "{'auditID':'r2','stage':'ResponseComplete','level':'Metadata','verb':'get'," DEV
		",'objectRef':{'resource':'secrets','namespace':'shop','name':'api'},"
		"'responseStatus':{'code':200}," TIME "}", 17);
	line(t, "{'auditID':'r3','stage':'ResponseComplete','level':'Metadata','verb':'get',"
		"'sourceIPs':['10.0.0.3'],'objectRef':{'resource':'secrets','namespace':'shop',"
		"'name':'tls'},'responseStatus':{'code':200}," TIME "}", 18);
}

static void judge_fixed(tu_ctx *c)
{
	tu_text t = { 0 };

	tu_init(c);
	fixed_stream(&t);
	tu_judge(c, t.s, t.len);
	free(t.s);
}

/* Detector `id`'s KAG_DSTAT_* counter. */
static uint64_t dstat(const tu_ctx *c, const char *id, int stat)
{
	size_t i;

	for (i = 0; i < kag_registry_count(c->reg); i++)
		if (strcmp(kag_registry_detector_id(c->reg, i), id) == 0)
			return kag_session_detector_stat(c->sess, i, stat);
	ck_abort_msg("no detector %s", id);
	return 0;
}

/* Detector `id`'s object in the coverage JSON (a new reference), or NULL. */
static json_t *detector_json(tu_ctx *c, const char *id)
{
	json_error_t err;
	size_t len, i;
	const char *text = kag_session_coverage_json(c->sess, &len);
	json_t *root, *d, *found = NULL;

	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	root = json_loadb(text, len, 0, &err);
	ck_assert_msg(root != NULL, "coverage JSON: %s", err.text);
	json_array_foreach(json_object_get(root, "detectors"), i, d)
		if (strcmp(json_string_value(json_object_get(d, "detector")), id) == 0)
			found = json_incref(d);
	json_decref(root);
	return found;
}

static json_int_t member(json_t *o, const char *key)
{
	ck_assert_msg(json_is_integer(json_object_get(o, key)), "%s", key);
	return json_integer_value(json_object_get(o, key));
}

/* Resource row i of a detector object: "group/resource[/sub]" level count. */
static void expect_row(json_t *d, size_t i, const char *name, const char *level,
		       json_int_t unjudged, json_int_t weakened)
{
	json_t *r = json_array_get(json_object_get(d, "resources"), i);
	char got[256];
	const char *sub;

	ck_assert_ptr_nonnull(r);
	sub = json_string_value(json_object_get(r, "subresource"));
	snprintf(got, sizeof(got), "%s/%s%s%s", json_string_value(json_object_get(r, "group")),
		 json_string_value(json_object_get(r, "resource")), sub ? "/" : "",
		 sub ? sub : "");
	ck_assert_str_eq(got, name);
	if (level)
		ck_assert_str_eq(json_string_value(json_object_get(r, "level")), level);
	else
		ck_assert(json_is_null(json_object_get(r, "level")));
	ck_assert_int_eq(member(r, "unjudged"), unjudged);
	ck_assert_int_eq(member(r, "weakened"), weakened);
}

START_TEST(exact_counts)
{
	tu_ctx c;
	json_t *d;

	judge_fixed(&c);
	/* pods: three silent (no lead), two leads with verdicts; the
	 * deployment a lead too */
	ck_assert_uint_eq(dstat(&c, "privileged_workload", KAG_DSTAT_UNJUDGED), 6);
	ck_assert_uint_eq(dstat(&c, "privileged_workload", KAG_DSTAT_UNJUDGED_VERDICTS), 3);
	ck_assert_uint_eq(dstat(&c, "privileged_workload", KAG_DSTAT_LEVEL_UNJUDGED), 3);
	ck_assert_uint_eq(dstat(&c, "privileged_workload", KAG_DSTAT_REASON_LEVEL), 6);
	ck_assert_uint_eq(dstat(&c, "privileged_workload", KAG_DSTAT_REASON_FIELD), 0);
	d = detector_json(&c, "privileged_workload");
	ck_assert_int_eq(member(d, "silent"), 3);
	ck_assert_uint_eq(json_array_size(json_object_get(d, "resources")), 2);
	expect_row(d, 0, "/pods", "Request", 5, 0);
	expect_row(d, 1, "apps/deployments", "Request", 1, 0);
	ck_assert_int_eq(member(json_object_get(d, "other"), "unjudged"), 0);
	json_decref(d);
	/* secrets: r1 only at RequestReceived (counted at flush), r2 judged at
	 * its later stage (not counted), r3 without a user */
	ck_assert_uint_eq(dstat(&c, "secrets_access", KAG_DSTAT_UNJUDGED), 2);
	ck_assert_uint_eq(dstat(&c, "secrets_access", KAG_DSTAT_REASON_STAGE), 1);
	ck_assert_uint_eq(dstat(&c, "secrets_access", KAG_DSTAT_REASON_FIELD), 1);
	ck_assert_uint_eq(dstat(&c, "secrets_access", KAG_DSTAT_REASON_OUTCOME), 0);
	d = detector_json(&c, "secrets_access");
	ck_assert_int_eq(member(json_object_get(d, "fields"), "user.username"), 1);
	expect_row(d, 0, "/secrets", NULL, 2, 0);
	json_decref(d);
	/* the binding: the detector's own needs_context, the response needed */
	ck_assert_uint_eq(dstat(&c, "rbac_escalation", KAG_DSTAT_UNJUDGED), 1);
	ck_assert_uint_eq(dstat(&c, "rbac_escalation", KAG_DSTAT_REASON_LEVEL), 1);
	d = detector_json(&c, "rbac_escalation");
	expect_row(d, 0, "rbac.authorization.k8s.io/rolebindings", "RequestResponse", 1, 0);
	json_decref(d);
	/* the CSR: judged, with less confidence */
	ck_assert_uint_eq(dstat(&c, "credential_minting", KAG_DSTAT_UNJUDGED), 0);
	ck_assert_uint_eq(dstat(&c, "credential_minting", KAG_DSTAT_WEAKENED), 1);
	d = detector_json(&c, "credential_minting");
	expect_row(d, 0, "certificates.k8s.io/certificatesigningrequests", "Request", 0, 1);
	json_decref(d);
	ck_assert_uint_eq(dstat(&c, "exposed_service", KAG_DSTAT_REASON_LEVEL), 1);
	/* detectors that judged everything are not listed */
	ck_assert_ptr_null(detector_json(&c, "impersonation"));
	tu_free(&c);
}
END_TEST

static const char k_fixed_policy[] =
	"# Audit policy rules that would let kag's detectors judge the events\n"
	"# they could not. The first rule that matches a request sets its level:\n"
	"# put these before the rules that log these resources at a lower level.\n"
	"apiVersion: audit.k8s.io/v1\n"
	"kind: Policy\n"
	"rules:\n"
	"  # Secret, ConfigMap and TokenReview bodies carry the secrets they hold:\n"
	"  # Metadata is the right level for them, and kag judges their use at it.\n"
	"  - level: Metadata\n"
	"    resources:\n"
	"      - group: \"\"\n"
	"        resources: [\"secrets\", \"configmaps\"]\n"
	"      - group: \"authentication.k8s.io\"\n"
	"        resources: [\"tokenreviews\"]\n"
	"  # for privileged_workload (6 events), credential_minting (1 event), "
	"exposed_service (1 event)\n"
	"  - level: Request\n"
	"    resources:\n"
	"      - group: \"\"\n"
	"        resources: [\"pods\", \"services\"]\n"
	"      - group: \"apps\"\n"
	"        resources: [\"deployments\"]\n"
	"      - group: \"certificates.k8s.io\"\n"
	"        resources: [\"certificatesigningrequests\"]\n"
	"  # for rbac_escalation (1 event)\n"
	"  - level: RequestResponse\n"
	"    verbs: [\"create\", \"update\", \"patch\"]\n"
	"    resources:\n"
	"      - group: \"rbac.authorization.k8s.io\"\n"
	"        resources: [\"rolebindings\"]\n"
	"# 1 time a detector lacked the outcome of a request logged at\n"
	"# stage RequestReceived only: keep ResponseComplete out of omitStages.\n";

START_TEST(policy_text)
{
	tu_ctx c;
	size_t len;
	const char *text;
	json_t *root;

	judge_fixed(&c);
	text = kag_session_coverage_policy(c.sess, &len);
	ck_assert_str_eq(text, k_fixed_policy);
	ck_assert_uint_eq(len, sizeof(k_fixed_policy) - 1);
	/* the JSON carries the same text */
	root = json_loads(kag_session_coverage_json(c.sess, NULL), 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(root, "policy")), k_fixed_policy);
	json_decref(root);
	tu_free(&c);
}
END_TEST

START_TEST(nothing_to_advise)
{
	tu_ctx c;
	json_t *root;
	size_t len = 99;

	tu_init(&c);
	ck_assert_str_eq(kag_session_coverage_policy(c.sess, &len), "");
	ck_assert_uint_eq(len, 0);
	root = json_loads(kag_session_coverage_json(c.sess, NULL), 0, NULL);
	ck_assert_int_eq(member(root, "unjudged"), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(root, "detectors")), 0);
	ck_assert(json_is_null(json_object_get(root, "policy")));
	json_decref(root);
	ck_assert_ptr_null(kag_session_coverage_json(NULL, NULL));
	ck_assert_ptr_null(kag_session_coverage_policy(NULL, NULL));
	tu_free(&c);
}
END_TEST

/* A caller detector that needs request bodies, on every event. */
static tu_ctx *body_reader(tu_ctx *c)
{
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(r, "body_reader", "reads bodies", NULL, 0,
						   KAG_LEVEL_REQUEST, tu_any_event, NULL),
			 KAG_OK);
	tu_init_registry(c, r);
	return c;
}

/* A create by dev at Metadata of resource `res` in group `group`. */
static void create_line(tu_text *t, int n, const char *group, const char *res)
{
	line(t, "{'auditID':'x%d','stage':'ResponseComplete','level':'Metadata','verb':'create',"
		DEV ",'objectRef':{'apiGroup':'%s','resource':'%s','namespace':'shop',"
		"'name':'n%d'},'responseStatus':{'code':201}," TIME "}",
	     n, group, res, n, n % 60);
}

START_TEST(bounded_table)
{
	tu_ctx c;
	tu_text t = { 0 };
	json_t *d;
	char res[32];
	int i;

	body_reader(&c);
	/* 20 resources, the first twice: 16 rows, 4 events in other */
	for (i = 0; i < 20; i++) {
		snprintf(res, sizeof(res), "widgets%02d", i);
		create_line(&t, i, "example.com", res);
	}
	create_line(&t, 20, "example.com", "widgets00");
	tu_judge(&c, t.s, t.len);
	free(t.s);
	ck_assert_uint_eq(dstat(&c, "body_reader", KAG_DSTAT_UNJUDGED), 21);
	ck_assert_uint_eq(dstat(&c, "body_reader", KAG_DSTAT_UNJUDGED_VERDICTS), 21);
	d = detector_json(&c, "body_reader");
	ck_assert_uint_eq(json_array_size(json_object_get(d, "resources")), 16);
	expect_row(d, 0, "example.com/widgets00", "Request", 2, 0);
	expect_row(d, 1, "example.com/widgets01", "Request", 1, 0);
	expect_row(d, 15, "example.com/widgets15", "Request", 1, 0);
	ck_assert_int_eq(member(json_object_get(d, "other"), "unjudged"), 4);
	json_decref(d);
	tu_free(&c);
}
END_TEST

START_TEST(secrets_stay_metadata)
{
	static const char want_tail[] =
		"  # for body_reader (2 events)\n"
		"  - level: Request\n"
		"    resources:\n"
		"      - group: \"\"\n"
		"        resources: [\"serviceaccounts/token\"]\n"
		"      - group: \"example.com\"\n"
		"        resources: [\"widgets\"]\n";
	tu_ctx c;
	tu_text t = { 0 };
	const char *text;

	body_reader(&c);
	create_line(&t, 1, "", "secrets");
	create_line(&t, 2, "", "configmaps");
	create_line(&t, 3, "authentication.k8s.io", "tokenreviews");
	/* a made-up name that would break out of the YAML string */
	create_line(&t, 4, "", "x\\\"]\\n  - level: None\\n#");
	create_line(&t, 5, "Example.COM", "widgets");
	create_line(&t, 6, "example.com", "widgets");
	line(&t, "{'auditID':'tok','stage':'ResponseComplete','level':'Metadata','verb':'create',"
		DEV ",'objectRef':{'resource':'serviceaccounts','subresource':'token',"
		"'namespace':'shop','name':'app'},'responseStatus':{'code':201}," TIME "}", 7);
	tu_judge(&c, t.s, t.len);
	free(t.s);
	ck_assert_uint_eq(dstat(&c, "body_reader", KAG_DSTAT_UNJUDGED), 7);
	text = kag_session_coverage_policy(c.sess, NULL);
	ck_assert_ptr_nonnull(strstr(text, "resources: [\"secrets\", \"configmaps\"]"));
	/* only the Metadata rule names them, and nothing else the log made up */
	ck_assert_uint_gt(strlen(text), sizeof(want_tail));
	ck_assert_str_eq(text + strlen(text) - (sizeof(want_tail) - 1), want_tail);
	ck_assert_ptr_null(strstr(text, "level: None"));
	ck_assert_ptr_null(strstr(text, "Example"));
	tu_free(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("coverage");
	TCase *tc = tcase_create("coverage");

	tcase_add_test(tc, exact_counts);
	tcase_add_test(tc, policy_text);
	tcase_add_test(tc, nothing_to_advise);
	tcase_add_test(tc, bounded_table);
	tcase_add_test(tc, secrets_stay_metadata);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
