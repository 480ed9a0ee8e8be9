/* Input shapes: native, EventList and arrays, GKE LogEntry, EKS CloudWatch
 * records and subscription payloads, AKS diagnostic records and Log
 * Analytics rows, OpenShift ViaQ / OTLP / oauth-server events. Each shape
 * is checked on the normalised fields of specific corpus records (verb,
 * user, outcome, objectRef, sourceIPs, inferred states, format), and every
 * record of every copied corpus file is accounted for as an event, an
 * expected error or a skip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "event-private.h"
#include "testutil.h"

/* ---- a snapshot of every record of a stream ---- */

typedef struct {
	int rc;                              /* KAG_OK or the error code */
	char msg[400];                       /* error message */
	char path[160];                      /* error JSON pointer */
	uint64_t line;
	char format[32];
	char str[KAG__FIELD_COUNT][200];     /* strings; first item of lists */
	int state[KAG__FIELD_COUNT];
	size_t count[KAG__FIELD_COUNT];      /* items of list and pair fields */
	int64_t code;
	int stage, level, outcome;
	char decision[32];                   /* authorization.k8s.io/decision */
	char extra[400];                     /* user.extra as "k=v;k=v" */
} rec;

typedef struct {
	rec *r;
	size_t n;
	uint64_t records, events, errors, skipped;
} run;

static void snap(rec *x, const kag_event *ev)
{
	int f;

	snprintf(x->format, sizeof(x->format), "%s", kag_event_format(ev));
	for (f = 0; f < (int)kag_field_count(); f++) {
		const char *s;
		size_t len;

		x->state[f] = kag_event_field_state(ev, f);
		x->count[f] = kag_event_item_count(ev, f);
		if (kag_event_get_string(&s, &len, ev, f) == KAG_OK ||
		    kag_event_get_item(&s, &len, ev, f, 0) == KAG_OK)
			snprintf(x->str[f], sizeof(x->str[f]), "%.*s", (int)len, s);
	}
	if (kag_event_get_int(&x->code, ev, KAG_FIELD_RESPONSE_CODE) != KAG_OK)
		x->code = -1;
	x->stage = kag_event_stage(ev);
	x->level = kag_event_level(ev);
	x->line = kag_event_line(ev);
	{
		const char *s;
		size_t len, i;
		kag_gate *g;

		if (kag_event_get_path(&s, &len, ev, "annotations.authorization.k8s.io/decision",
				       strlen("annotations.authorization.k8s.io/decision")) == KAG_OK)
			snprintf(x->decision, sizeof(x->decision), "%.*s", (int)len, s);
		for (i = 0; i < kag_event_item_count(ev, KAG_FIELD_USER_EXTRA); i++) {
			const char *k, *v;
			size_t kl, vl, used = strlen(x->extra);

			ck_assert_int_eq(kag_event_get_pair(&k, &kl, &v, &vl, ev, KAG_FIELD_USER_EXTRA, i),
					 KAG_OK);
			snprintf(x->extra + used, sizeof(x->extra) - used, "%s%.*s=%.*s",
				 used ? ";" : "", (int)kl, k, (int)vl, v);
		}
		/* the outcome as the gates see it */
		ck_assert_int_eq(kag_gate_evaluate(&g, NULL, NULL, ev), KAG_OK);
		x->outcome = kag_gate_outcome(g);
		kag_gate_free(g);
	}
}

static void drain(run *r, kag_parser *p)
{
	const kag_event *ev;
	int rc;

	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		rec *x;

		r->r = realloc(r->r, (r->n + 1) * sizeof(*r->r));
		ck_assert_ptr_nonnull(r->r);
		x = &r->r[r->n++];
		memset(x, 0, sizeof(*x));
		x->rc = rc;
		if (rc < 0) {
			ck_assert_msg(rc != KAG_ENOMEM && rc != KAG_EINVAL, "parser failed: %d", rc);
			snprintf(x->msg, sizeof(x->msg), "%s", kag_parser_error_message(p));
			snprintf(x->path, sizeof(x->path), "%s", kag_parser_error_path(p));
			x->line = kag_parser_error_line(p);
			continue;
		}
		snap(x, ev);
	}
}

/* Read `data` with input format `format`; opts: pairs of KAG_OPT_* and
 * value, ended by 0. */
static void run_data(run *r, const char *data, size_t len, int format, const uint64_t *opts)
{
	kag_parser *p;

	memset(r, 0, sizeof(*r));
	if (len == (size_t)-1)
		len = strlen(data);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, (uint64_t)format), KAG_OK);
	for (; opts && opts[0]; opts += 2)
		ck_assert_int_eq(kag_parser_set_option_u64(p, (int)opts[0], opts[1]), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, data, len), KAG_OK);
	drain(r, p);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	drain(r, p);
	r->records = kag_parser_stat(p, KAG_PSTAT_RECORDS);
	r->events = kag_parser_stat(p, KAG_PSTAT_EVENTS);
	r->errors = kag_parser_stat(p, KAG_PSTAT_ERRORS);
	r->skipped = kag_parser_stat(p, KAG_PSTAT_SKIPPED);
	/* every record is an event, an error or a skip */
	ck_assert_uint_eq(r->records, r->events + r->errors + r->skipped);
	ck_assert_uint_eq(r->n, r->events + r->errors);
	kag_parser_free(p);
}

static void run_file(run *r, const char *rel, int format)
{
	char path[1024];
	size_t len;
	char *data;

	snprintf(path, sizeof(path), "%s/%s", KAG_TEST_DATA, rel);
	data = tu_read_file(path, &len);
	run_data(r, data, len, format, NULL);
	free(data);
}

static void run_free(run *r)
{
	free(r->r);
	memset(r, 0, sizeof(*r));
}

/* The i-th record (event or error) of the run. */
static const rec *at(const run *r, size_t i)
{
	ck_assert_msg(i < r->n, "record %zu of %zu", i, r->n);
	return &r->r[i];
}

/* The event whose source line is `line` (files of one record per line). */
static const rec *on_line(const run *r, uint64_t line)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->r[i].rc == KAG_OK && r->r[i].line == line)
			return &r->r[i];
	ck_abort_msg("no event on line %llu", (unsigned long long)line);
	return NULL;
}

#define S(x, f) ((x)->str[KAG_FIELD_##f])
#define ST(x, f) ((x)->state[KAG_FIELD_##f])

static void expect_error(const rec *x, int code, const char *needle)
{
	ck_assert_msg(x->rc == code, "expected %s, got %s (%s)", kag_error_name(code),
		      kag_error_name(x->rc), x->msg);
	ck_assert_msg(strstr(x->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", x->msg,
		      needle);
}

/* ---- helpers for encoded payloads ---- */

static char *gzip_b64(const char *text, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	z_stream zs;
	unsigned char *gz;
	char *out;
	size_t cap = compressBound((uLong)len) + 64, n, i, o = 0;

	gz = malloc(cap);
	ck_assert_ptr_nonnull(gz);
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)text;
	zs.avail_in = (uInt)len;
	zs.next_out = gz;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = cap - zs.avail_out;
	deflateEnd(&zs);
	out = malloc(n / 3 * 4 + 8);
	ck_assert_ptr_nonnull(out);
	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)gz[i] << 16 | (i + 1 < n ? (uint32_t)gz[i + 1] << 8 : 0) |
			     (i + 2 < n ? gz[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	free(gz);
	return out;
}

/* One small native event, as JSON text. */
#define EV(id, verb, user, code) \
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\"," \
	"\"auditID\":\"" id "\",\"stage\":\"ResponseComplete\"," \
	"\"requestURI\":\"/api/v1/namespaces/prod/secrets/db\",\"verb\":\"" verb "\"," \
	"\"user\":{\"username\":\"" user "\",\"groups\":[\"system:authenticated\"]," \
	"\"extra\":{\"arn\":[\"arn:aws:sts::111122223333:assumed-role/Dev/alice\"]," \
	"\"accessKeyId\":[\"ASIAEXAMPLE\"],\"sessionName\":[\"alice\"]}}," \
	"\"sourceIPs\":[\"203.0.113.7\"],\"userAgent\":\"kubectl/v1.30.0\"," \
	"\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\",\"name\":\"db\"," \
	"\"apiVersion\":\"v1\"},\"responseStatus\":{\"metadata\":{},\"code\":" #code "}," \
	"\"requestReceivedTimestamp\":\"2024-05-01T10:00:00.000000Z\"," \
	"\"stageTimestamp\":\"2024-05-01T10:00:00.100000Z\"}"

/* The same event as the content of a JSON string. */
static char *json_quote(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 3), *o = out;

	ck_assert_ptr_nonnull(out);
	*o++ = '"';
	for (; *s; s++) {
		if (*s == '\n') {
			*o++ = '\\';
			*o++ = 'n';
			continue;
		}
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/* ---- GKE ---- */

START_TEST(gke_khi_entries)
{
	run r;
	const rec *x;

	run_file(&r, "khi-gke/gke_k8s_audit_logentries.jsonl", KAG_FORMAT_AUTO);
	ck_assert_uint_eq(r.events, 3);
	ck_assert_uint_eq(r.errors + r.skipped, 0);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "gke");
	ck_assert_str_eq(S(x, VERB), "create");
	ck_assert_int_eq(ST(x, VERB), KAG_STATE_OBSERVED);
	ck_assert_str_eq(S(x, USER_USERNAME), "system:serviceaccount:kube-system:replicaset-controller");
	ck_assert_str_eq(S(x, AUDIT_ID), "85371f7c-2383-4041-96e8-dad63d2d1990");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "pods");
	ck_assert_str_eq(S(x, OBJ_NAMESPACE), "1-2-deployment-update");
	ck_assert_str_eq(S(x, OBJ_NAME), "nginx-deployment-surge-8655b4b8c5-xf5f4");
	ck_assert_int_eq(ST(x, OBJ_SUBRESOURCE), KAG_STATE_ABSENT);
	/* "core" is the empty group */
	ck_assert_int_eq(ST(x, OBJ_API_GROUP), KAG_STATE_OBSERVED);
	ck_assert_str_eq(S(x, OBJ_API_GROUP), "");
	ck_assert_str_eq(S(x, OBJ_API_VERSION), "v1");
	ck_assert_uint_eq(x->count[KAG_FIELD_SOURCE_IPS], 1);
	ck_assert_str_eq(S(x, SOURCE_IPS), "172.16.0.3");
	ck_assert_ptr_nonnull(strstr(S(x, USER_AGENT), "kube-controller-manager/v1.28.14"));
	/* status.code 0: HTTP 200, inferred; allowed */
	ck_assert_int_eq(x->code, 200);
	ck_assert_int_eq(ST(x, RESPONSE_CODE), KAG_STATE_INFERRED);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ALLOWED);
	/* not carried by GKE: inferred or absent, never observed */
	ck_assert_int_eq(ST(x, STAGE), KAG_STATE_INFERRED);
	ck_assert_int_eq(x->stage, KAG_STAGE_RESPONSE_COMPLETE);
	ck_assert_int_eq(ST(x, LEVEL), KAG_STATE_INFERRED);
	ck_assert_int_eq(x->level, KAG_LEVEL_REQUEST_RESPONSE);
	ck_assert_int_eq(ST(x, STAGE_TS), KAG_STATE_INFERRED);
	ck_assert_int_eq(ST(x, REQUEST_URI), KAG_STATE_ABSENT);
	ck_assert_int_eq(ST(x, IMP_USER), KAG_STATE_ABSENT);
	ck_assert_int_eq(ST(x, USER_GROUPS), KAG_STATE_ABSENT);
	ck_assert_int_eq(ST(x, REQUEST_OBJECT), KAG_STATE_OBSERVED);
	ck_assert_int_eq(ST(x, RESPONSE_OBJECT), KAG_STATE_OBSERVED);
	/* labels are the audit annotations */
	ck_assert_uint_eq(x->count[KAG_FIELD_ANNOTATIONS], 5);
	ck_assert_str_eq(x->decision, "allow");
	/* the subresource sits between resource and verb in methodName, and
	 * after the name in resourceName */
	x = at(&r, 1);
	ck_assert_str_eq(S(x, VERB), "patch");
	ck_assert_str_eq(S(x, OBJ_SUBRESOURCE), "status");
	ck_assert_str_eq(S(x, OBJ_NAME), "nginx-deployment-surge-8655b4b8c5-xf5f4");
	ck_assert_str_eq(S(x, AUDIT_ID), "c7842d26-11fe-446a-b985-b2b67ddbab09");
	run_free(&r);
}
END_TEST

START_TEST(gke_other_services_skipped)
{
	run r;

	run_file(&r, "khi-gke/gke_container_api_logentries_non_k8s.jsonl", KAG_FORMAT_AUTO);
	ck_assert_uint_eq(r.records, 9);
	ck_assert_uint_eq(r.skipped, 9);
	ck_assert_uint_eq(r.events + r.errors, 0);
	/* forced GKE: the same */
	run_free(&r);
	run_file(&r, "khi-gke/gke_container_api_logentries_non_k8s.jsonl", KAG_FORMAT_GKE);
	ck_assert_uint_eq(r.skipped, 9);
	run_free(&r);
}
END_TEST

START_TEST(gke_denials_are_denied)
{
	run r;
	const rec *x;

	run_file(&r, "panther-analysis/gke_cloudaudit_logentries.jsonl", KAG_FORMAT_AUTO);
	ck_assert_uint_eq(r.events, 51);
	ck_assert_uint_eq(r.errors + r.skipped, 0);
	/* authorizationInfo granted:false, no status code */
	x = on_line(&r, 18);
	ck_assert_str_eq(S(x, VERB), "create");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "services");
	ck_assert_str_eq(S(x, USER_USERNAME), "some.user@company.com");
	ck_assert_int_eq(x->code, 403);
	ck_assert_int_eq(ST(x, RESPONSE_CODE), KAG_STATE_INFERRED);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	/* status.code 7 PERMISSION_DENIED */
	x = on_line(&r, 30);
	ck_assert_str_eq(S(x, VERB), "list");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "pods");
	ck_assert_str_eq(S(x, OBJ_NAMESPACE), "default");
	ck_assert_int_eq(ST(x, OBJ_NAME), KAG_STATE_ABSENT);
	ck_assert_str_eq(S(x, USER_USERNAME), "user@example.com");
	ck_assert_str_eq(S(x, SOURCE_IPS), "1.2.3.4"); /* callerIP spelling */
	ck_assert_int_eq(x->code, 403);
	ck_assert_str_eq(S(x, RESPONSE_MESSAGE), "Forbidden");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	/* both */
	x = on_line(&r, 42);
	ck_assert_str_eq(S(x, VERB), "get");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "secrets");
	ck_assert_str_eq(S(x, OBJ_NAME), "tls-cert");
	ck_assert_str_eq(S(x, OBJ_NAMESPACE), "production");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	/* status.code 10 ABORTED: a conflict, an error */
	x = on_line(&r, 13);
	ck_assert_int_eq(x->code, 409);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ERROR);
	/* exec, no status: outcome unknown, never made up */
	x = on_line(&r, 1);
	ck_assert_str_eq(S(x, VERB), "create");
	ck_assert_str_eq(S(x, OBJ_SUBRESOURCE), "exec");
	ck_assert_str_eq(S(x, OBJ_NAME), "one-off-valerii-tovstyk-1646666967280");
	ck_assert_int_eq(ST(x, RESPONSE_CODE), KAG_STATE_ABSENT);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_UNKNOWN);
	ck_assert_str_eq(S(x, SOURCE_IPS), "88.88.88.88");
	/* no resourceName: the object from methodName, inferred */
	x = on_line(&r, 21);
	ck_assert_str_eq(S(x, VERB), "list");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "componentstatuses");
	ck_assert_int_eq(ST(x, OBJ_RESOURCE), KAG_STATE_INFERRED);
	ck_assert_int_eq(ST(x, USER_USERNAME), KAG_STATE_ABSENT);
	/* cluster-scoped RBAC object: group from resourceName */
	x = on_line(&r, 23);
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "clusterrolebindings");
	ck_assert_str_eq(S(x, OBJ_API_GROUP), "rbac.authorization.k8s.io");
	ck_assert_str_eq(S(x, OBJ_NAME), "admin-binding");
	ck_assert_int_eq(ST(x, OBJ_NAMESPACE), KAG_STATE_ABSENT);
	/* non-resource "io.k8s.readyz": no verb segment, no object */
	x = on_line(&r, 49);
	ck_assert_int_eq(ST(x, VERB), KAG_STATE_ABSENT);
	ck_assert_int_eq(ST(x, OBJECT_REF), KAG_STATE_ABSENT);
	ck_assert_str_eq(S(x, USER_USERNAME), "system:anonymous");
	ck_assert_int_eq(x->code, 200);
	run_free(&r);
}
END_TEST

START_TEST(gke_verdict_lists_inferred)
{
	tu_ctx t;
	const char *v;

	tu_init(&t);
	tu_judge_file(&t, "panther-analysis/gke_cloudaudit_logentries.jsonl");
	ck_assert_uint_eq(t.n_errors, 0);
	v = tu_find_alert(&t, "rbac_probing", 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(tu_json_get(v, "outcome"), "denied");
	ck_assert_str_eq(tu_json_get(v, "event.format"), "gke");
	ck_assert_str_eq(tu_json_get(v, "evidence.responseStatus.code"), "403");
	ck_assert_str_eq(tu_json_get(v, "evidence.objectRef.resource"), "secrets");
	ck_assert(tu_json_array_has(v, "inferred", "responseStatus.code"));
	ck_assert(tu_json_array_has(v, "inferred", "stage"));
	ck_assert(tu_json_array_has(v, "inferred", "level"));
	ck_assert(!tu_json_array_has(v, "inferred", "verb"));
	tu_free(&t);
}
END_TEST

START_TEST(gke_namespace_and_subresource_paths)
{
	static const char in[] =
		"{\"insertId\":\"a\",\"protoPayload\":{\"serviceName\":\"k8s.io\","
		"\"methodName\":\"io.k8s.core.v1.namespaces.finalize.update\","
		"\"resourceName\":\"core/v1/namespaces/team-a/finalize\","
		"\"authenticationInfo\":{\"principalEmail\":\"ops@example.com\"},"
		"\"status\":{\"code\":16}}}\n"
		"{\"insertId\":\"b\",\"protoPayload\":{\"serviceName\":\"k8s.io\","
		"\"methodName\":\"io.k8s.core.v1.pods.list\",\"resourceName\":\"core/v1/namespaces/team-a/pods\","
		"\"status\":{\"code\":5}}}\n"
		"{\"insertId\":\"c\",\"operation\":{\"id\":\"op-1\"},\"protoPayload\":{\"serviceName\":\"k8s.io\","
		"\"methodName\":\"io.k8s.core.v1.pods.exec.get\","
		"\"resourceName\":\"core/v1/namespaces/prod/pods/api-1/exec\",\"status\":{\"code\":0}}}\n"
		"{\"operation\":{\"id\":\"op-2\"},\"protoPayload\":{\"serviceName\":\"k8s.io\","
		"\"methodName\":\"io.k8s.core.v1.pods.get\",\"status\":{\"code\":\"7\"}}}\n"
		"{\"protoPayload\":{\"serviceName\":\"compute.googleapis.com\",\"methodName\":\"v1.compute.instances.insert\"}}\n";
	run r;
	const rec *x;

	run_data(&r, in, (size_t)-1, KAG_FORMAT_AUTO, NULL);
	ck_assert_uint_eq(r.events, 3);
	ck_assert_uint_eq(r.errors, 1);
	ck_assert_uint_eq(r.skipped, 1);
	x = at(&r, 0);
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "namespaces");
	ck_assert_str_eq(S(x, OBJ_NAME), "team-a");
	ck_assert_str_eq(S(x, OBJ_SUBRESOURCE), "finalize");
	ck_assert_int_eq(x->code, 401);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	x = at(&r, 1);
	ck_assert_str_eq(S(x, OBJ_NAMESPACE), "team-a");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "pods");
	ck_assert_int_eq(x->code, 404);
	ck_assert_int_eq(x->level, KAG_LEVEL_METADATA);
	x = at(&r, 2);
	/* exec over WebSocket: verb get */
	ck_assert_str_eq(S(x, VERB), "get");
	ck_assert_str_eq(S(x, OBJ_SUBRESOURCE), "exec");
	ck_assert_str_eq(S(x, AUDIT_ID), "c"); /* insertId wins over operation.id */
	expect_error(at(&r, 3), KAG_ESCHEMA, "expected integer");
	ck_assert_str_eq(at(&r, 3)->path, "/protoPayload/status/code");
	run_free(&r);
}
END_TEST

/* ---- AKS ---- */

START_TEST(aks_panther_records)
{
	run r;
	const rec *x;
	size_t i;

	run_file(&r, "panther-analysis/aks_diagnostic_records.jsonl", KAG_FORMAT_AUTO);
	ck_assert_uint_eq(r.events, 34);
	ck_assert_uint_eq(r.errors + r.skipped, 0);
	for (i = 0; i < r.n; i++)
		ck_assert_str_eq(at(&r, i)->format, "aks");
	x = on_line(&r, 2);
	ck_assert_str_eq(S(x, VERB), "get");
	ck_assert_str_eq(S(x, USER_USERNAME), "system:anonymous");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "pods");
	ck_assert_str_eq(S(x, OBJ_NAME), "test-pod");
	ck_assert_str_eq(S(x, SOURCE_IPS), "10.0.0.1");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ALLOWED);
	/* the embedded event is native: nothing inferred */
	ck_assert_int_eq(ST(x, STAGE), KAG_STATE_OBSERVED);
	ck_assert_int_eq(ST(x, RESPONSE_CODE), KAG_STATE_OBSERVED);
	/* kubectl exec over WebSocket: verb get, 101 at ResponseStarted */
	x = on_line(&r, 8);
	ck_assert_str_eq(S(x, VERB), "get");
	ck_assert_str_eq(S(x, OBJ_SUBRESOURCE), "exec");
	ck_assert_str_eq(S(x, USER_USERNAME), "masterclient");
	ck_assert_uint_eq(x->count[KAG_FIELD_SOURCE_IPS], 2);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_IN_PROGRESS);
	x = on_line(&r, 12);
	ck_assert_int_eq(x->code, 403);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	x = on_line(&r, 24);
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "secrets");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	run_free(&r);
}
END_TEST

START_TEST(aks_sumologic_categories)
{
	run r;
	const rec *x;

	run_file(&r, "sumologic-docs/aks_diagnostic_records_audit.jsonl", KAG_FORMAT_AKS);
	ck_assert_uint_eq(r.events, 2);
	ck_assert_uint_eq(r.errors + r.skipped, 0);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "aks");
	ck_assert_str_eq(S(x, USER_USERNAME), "aksService");
	ck_assert_str_eq(S(x, VERB), "update");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "leases");
	ck_assert_str_eq(S(x, AUDIT_ID), "10e60f03-0635-429b-b324-315166f249cc");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ALLOWED);
	run_free(&r);
	/* kube-apiserver, scheduler, controller-manager, autoscaler: klog
	 * text, not audit events */
	run_file(&r, "sumologic-docs/aks_diagnostic_records_non_audit.jsonl", KAG_FORMAT_AUTO);
	ck_assert_uint_eq(r.records, 4);
	ck_assert_uint_eq(r.skipped, 4);
	run_free(&r);
}
END_TEST

START_TEST(aks_event_hub_batch_and_truncation)
{
	char *q = json_quote(EV("aks-1", "get", "alice@example.com", 200) "\n");
	char *cut = json_quote("{\"kind\":\"Event\",\"auditID\":\"aks-2\",\"verb\":\"list\",\"user\":{\"usern");
	char *in = malloc(strlen(q) * 2 + strlen(cut) + 2048);
	run r;

	ck_assert_ptr_nonnull(in);
	sprintf(in,
		"{\"records\":["
		"{\"category\":\"kube-audit\",\"properties\":{\"log\":%s,\"stream\":\"stdout\"}},"
		"{\"category\":\"kube-scheduler\",\"properties\":{\"log\":\"I0624 scheduler text\"}},"
		"{\"category\":\"kube-audit-admin\",\"properties\":{\"log\":%s}},"
		"{\"category\":\"kube-audit\",\"properties\":{\"log\":" EV("aks-3", "delete", "bob@example.com", 200) "}},"
		"{\"category\":\"kube-audit\",\"properties\":{\"log\":\"{\\\"verb\\\":\\\"get\\\"} trailing\"}}"
		"]}\n"
		"{\"category\":\"kube-audit\",\"properties\":{\"log\":%s}}\n",
		q, cut, q);
	run_data(&r, in, (size_t)-1, KAG_FORMAT_AUTO, NULL);
	ck_assert_uint_eq(r.records, 6);
	ck_assert_uint_eq(r.events, 3);
	ck_assert_uint_eq(r.skipped, 1);
	ck_assert_uint_eq(r.errors, 2);
	ck_assert_str_eq(S(at(&r, 0), AUDIT_ID), "aks-1");
	ck_assert_str_eq(at(&r, 0)->format, "aks");
	ck_assert_str_eq(S(at(&r, 0), SOURCE_IPS), "203.0.113.7");
	/* cut at 16 KiB: a truncation error, and reading goes on */
	expect_error(at(&r, 1), KAG_ETRUNCATED, "AKS cuts records at 16 KiB");
	ck_assert_str_eq(at(&r, 1)->path, "/records/2/properties/log");
	/* properties.log already an object */
	ck_assert_str_eq(S(at(&r, 2), VERB), "delete");
	ck_assert_str_eq(at(&r, 2)->path, "");
	expect_error(at(&r, 3), KAG_EPARSE, "invalid embedded JSON");
	ck_assert_str_eq(S(at(&r, 4), AUDIT_ID), "aks-1");
	ck_assert_uint_eq(at(&r, 4)->line, 2);
	run_free(&r);
	free(q);
	free(cut);
	free(in);
}
END_TEST

START_TEST(aks_log_analytics_rows)
{
	static const char in[] =
		"{\"TimeGenerated\":\"2024-05-01T10:00:01Z\",\"Type\":\"AKSAudit\",\"Level\":\"RequestResponse\","
		"\"AuditId\":\"row-1\",\"Stage\":\"ResponseComplete\",\"RequestUri\":\"/api/v1/namespaces/prod/pods\","
		"\"Verb\":\"create\",\"User\":\"{\\\"username\\\":\\\"carol@example.com\\\",\\\"groups\\\":[\\\"g1\\\"]}\","
		"\"SourceIps\":[\"198.51.100.4\"],\"UserAgent\":\"kubectl/v1.29.1\","
		"\"ObjectRef\":{\"resource\":\"pods\",\"namespace\":\"prod\",\"name\":\"web\"},"
		"\"ResponseStatus\":\"{\\\"code\\\":201}\",\"RequestObject\":\"skipped-too-big-size-object\","
		"\"ResponseObject\":\"skipped-too-big-size-object\",\"RequestReceivedTime\":\"2024-05-01T10:00:00.5Z\","
		"\"StageReceivedTime\":\"2024-05-01T10:00:00.9Z\",\"Annotations\":{\"authorization.k8s.io/decision\":\"allow\"},"
		"\"PodName\":\"kube-apiserver-abc\"}\n"
		"{\"Type\":\"AKSControlPlane\",\"Category\":\"kube-scheduler\",\"Message\":\"I0501 text\"}\n"
		"{\"Category\":\"kube-audit\",\"log_s\":" "\"{\\\"verb\\\":\\\"list\\\",\\\"auditID\\\":\\\"diag-1\\\","
		"\\\"user\\\":{\\\"username\\\":\\\"dave\\\"},\\\"responseStatus\\\":{\\\"code\\\":403}}\"}\n"
		"{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[{\"name\":\"AuditId\",\"type\":\"string\"},"
		"{\"name\":\"Verb\",\"type\":\"string\"},{\"name\":\"User\",\"type\":\"dynamic\"},"
		"{\"name\":\"ResponseStatus\",\"type\":\"dynamic\"}],"
		"\"rows\":[[\"t-1\",\"get\",\"{\\\"username\\\":\\\"erin\\\"}\",\"{\\\"code\\\":200}\"],"
		"[\"t-2\",\"watch\",\"{\\\"username\\\":\\\"frank\\\"}\",\"{\\\"code\\\":401}\"]]}]}\n";
	run r;
	const rec *x;

	run_data(&r, in, (size_t)-1, KAG_FORMAT_AKS, NULL);
	ck_assert_uint_eq(r.events, 4);
	ck_assert_uint_eq(r.skipped, 1);
	ck_assert_uint_eq(r.errors, 0);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "aks-table");
	ck_assert_str_eq(S(x, AUDIT_ID), "row-1");
	ck_assert_str_eq(S(x, VERB), "create");
	ck_assert_str_eq(S(x, USER_USERNAME), "carol@example.com");
	ck_assert_str_eq(S(x, SOURCE_IPS), "198.51.100.4");
	ck_assert_str_eq(S(x, OBJ_NAME), "web");
	ck_assert_int_eq(x->code, 201);
	ck_assert_int_eq(x->level, KAG_LEVEL_REQUEST_RESPONSE);
	ck_assert_str_eq(x->decision, "allow");
	/* bodies too large for the table are absent, not the sentinel */
	ck_assert_int_eq(ST(x, REQUEST_OBJECT), KAG_STATE_ABSENT);
	ck_assert_int_eq(ST(x, RESPONSE_OBJECT), KAG_STATE_ABSENT);
	x = at(&r, 1);
	ck_assert_str_eq(x->format, "aks-table");
	ck_assert_str_eq(S(x, AUDIT_ID), "diag-1");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	ck_assert_str_eq(S(at(&r, 2), USER_USERNAME), "erin");
	ck_assert_str_eq(S(at(&r, 3), VERB), "watch");
	ck_assert_int_eq(at(&r, 3)->outcome, KAG_OUTCOME_DENIED);
	run_free(&r);
}
END_TEST

/* ---- EKS ---- */

START_TEST(eks_sumologic_forwarded)
{
	run r;
	const rec *x;

	run_file(&r, "sumologic-docs/eks_cloudwatch_forwarded_audit.json", KAG_FORMAT_EKS);
	ck_assert_uint_eq(r.events, 1);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "eks-cloudwatch");
	ck_assert_str_eq(S(x, VERB), "get");
	ck_assert_str_eq(S(x, USER_USERNAME), "system:apiserver");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "secrets");
	ck_assert_str_eq(S(x, OBJ_NAMESPACE), "kube-system");
	ck_assert_str_eq(S(x, OBJ_NAME), "kube-proxy-token-w7wkr");
	ck_assert_str_eq(S(x, SOURCE_IPS), "127.0.0.1");
	/* the v1beta1 timestamp is the event's own */
	ck_assert_str_eq(S(x, TIMESTAMP), "2019-06-26T07:05:51Z");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ALLOWED);
	run_free(&r);
}
END_TEST

START_TEST(eks_cloudwatch_shapes)
{
	char *q = json_quote(EV("eks-1", "get", "arn:aws:iam::111122223333:role/Dev", 200));
	char *q2 = json_quote(EV("eks-2", "list", "kubernetes-admin", 403));
	char *in = malloc(strlen(q) * 4 + 4096);
	run r;
	const rec *x;

	ck_assert_ptr_nonnull(in);
	sprintf(in,
		/* aws logs get-log-events / filter-log-events */
		"{\"events\":[{\"logStreamName\":\"kube-apiserver-audit-0a1b\",\"timestamp\":1714557600000,"
		"\"message\":%s,\"ingestionTime\":1714557601000,\"eventId\":\"1\"},"
		"{\"logStreamName\":\"authenticator-0a1b\",\"message\":\"time=... msg=access granted\"},"
		"{\"logStreamName\":\"kube-apiserver-audit-0a1b\",\"message\":"
		"\"{\\\"kind\\\":\\\"Event\\\",\\\"auditID\\\":\\\"cut-1\\\",\\\"verb\\\":\\\"get\\\",\\\"requestObject\\\":{\\\"a\\\":\\\"bbbb[Truncated...]\"}],"
		"\"searchedLogStreams\":[]}\n"
		/* a subscription payload, decoded */
		"{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"111122223333\",\"logGroup\":\"/aws/eks/c1/cluster\","
		"\"logStream\":\"kube-apiserver-audit-0a1b\",\"subscriptionFilters\":[\"f\"],"
		"\"logEvents\":[{\"id\":\"1\",\"timestamp\":1714557600000,\"message\":%s}]}\n"
		"{\"messageType\":\"CONTROL_MESSAGE\",\"owner\":\"CloudWatchLogs\",\"logEvents\":[{\"id\":\"\",\"message\":\"CWL CONTROL MESSAGE\"}]}\n"
		"{\"messageType\":\"DATA_MESSAGE\",\"logStream\":\"kube-scheduler-0a1b\",\"logEvents\":[{\"id\":\"1\",\"message\":\"I0501 text\"},{\"id\":\"2\",\"message\":\"I0501 more\"}]}\n"
		/* Logs Insights row */
		"{\"@timestamp\":\"2024-05-01 10:00:00.100\",\"@logStream\":\"kube-apiserver-audit-0a1b\",\"@message\":%s}\n",
		q, q, q2);
	run_data(&r, in, (size_t)-1, KAG_FORMAT_AUTO, NULL);
	ck_assert_uint_eq(r.events, 3);
	ck_assert_uint_eq(r.errors, 1);
	ck_assert_uint_eq(r.skipped, 4); /* authenticator line, control message, 2 scheduler lines */
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "eks-cloudwatch");
	ck_assert_str_eq(S(x, USER_USERNAME), "arn:aws:iam::111122223333:role/Dev");
	/* EKS user.extra kept */
	ck_assert_str_eq(x->extra, "arn=arn:aws:sts::111122223333:assumed-role/Dev/alice;"
				   "accessKeyId=ASIAEXAMPLE;sessionName=alice");
	ck_assert_str_eq(S(x, SOURCE_IPS), "203.0.113.7");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ALLOWED);
	expect_error(at(&r, 1), KAG_ETRUNCATED, "[Truncated...]");
	/* error messages quote no input, not even the cut event's auditID */
	ck_assert_ptr_null(strstr(at(&r, 1)->msg, "cut-1"));
	ck_assert_str_eq(at(&r, 1)->path, "/events/2/message");
	ck_assert_str_eq(S(at(&r, 2), AUDIT_ID), "eks-1");
	ck_assert_str_eq(at(&r, 2)->format, "eks-cloudwatch");
	x = at(&r, 3);
	ck_assert_str_eq(S(x, AUDIT_ID), "eks-2");
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_DENIED);
	run_free(&r);
	free(q);
	free(q2);
	free(in);
}
END_TEST

START_TEST(eks_subscription_gzip)
{
	char *q = json_quote(EV("gz-1", "create", "eks:node-manager", 201));
	char *payload = malloc(2 * strlen(q) + 512), *b64, *in;
	run r;

	ck_assert_ptr_nonnull(payload);
	sprintf(payload,
		"{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"/aws/eks/c1/cluster\","
		"\"logStream\":\"kube-apiserver-audit-9f\",\"logEvents\":[{\"id\":\"1\",\"message\":%s},"
		"{\"id\":\"2\",\"message\":%s}]}", q, q);
	b64 = gzip_b64(payload, strlen(payload));
	in = malloc(2 * strlen(b64) + 256);
	ck_assert_ptr_nonnull(in);
	/* as handed to a Lambda subscriber, then as a bare line (CRLF) */
	sprintf(in, "{\"awslogs\":{\"data\":\"%s\"}}\n%s\r\nH4sIthis-is-not-base64!\n", b64, b64);
	run_data(&r, in, (size_t)-1, KAG_FORMAT_EKS, NULL);
	ck_assert_uint_eq(r.events, 4);
	ck_assert_uint_eq(r.errors, 1);
	ck_assert_str_eq(S(at(&r, 0), AUDIT_ID), "gz-1");
	ck_assert_str_eq(at(&r, 0)->format, "eks-cloudwatch");
	ck_assert_str_eq(S(at(&r, 0), USER_USERNAME), "eks:node-manager");
	ck_assert_uint_eq(at(&r, 2)->line, 2);
	ck_assert_str_eq(S(at(&r, 3), VERB), "create");
	expect_error(at(&r, 4), KAG_EPARSE, "expected base64 of gzip data");
	ck_assert_uint_eq(at(&r, 4)->line, 3);
	run_free(&r);
	free(q);
	free(payload);
	free(b64);
	free(in);
}
END_TEST

START_TEST(nested_documents_obey_limits)
{
	/* Decompressed payloads and embedded strings escape the framer: the
	 * same limits apply to them. */
	char *big = malloc(70000), *b64, *in;
	uint64_t opts[] = { KAG_OPT_MAX_RECORD_BYTES, 32768, KAG_OPT_MAX_STRING_BYTES, 1000,
			    KAG_OPT_MAX_DEPTH, 12, 0 };
	char deep[256];
	run r;
	size_t i;

	ck_assert_ptr_nonnull(big);
	/* a payload that inflates past the record limit */
	strcpy(big, "{\"logEvents\":[");
	for (i = strlen(big); i < 60000; i++)
		big[i] = ' ';
	strcpy(big + i, "]}");
	b64 = gzip_b64(big, strlen(big));
	in = malloc(strlen(b64) * 3 + 4096);
	ck_assert_ptr_nonnull(in);
	strcpy(in, b64);
	strcat(in, "\n");
	free(b64);
	/* a payload with a string longer than the string limit */
	strcpy(big, "{\"logEvents\":[{\"message\":\"");
	for (i = strlen(big); i < 3000; i++)
		big[i] = 'x';
	strcpy(big + i, "\"}]}");
	b64 = gzip_b64(big, strlen(big));
	strcat(in, b64);
	strcat(in, "\n");
	free(b64);
	/* an OTLP body nested deeper than the depth limit (the record itself
	 * is 8 deep) */
	strcpy(deep, "{\\\"verb\\\":");
	for (i = 0; i < 12; i++)
		strcat(deep, "[");
	for (i = 0; i < 12; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	sprintf(in + strlen(in),
		"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"%s\"}}]}]}]}\n",
		deep);
	run_data(&r, in, (size_t)-1, KAG_FORMAT_AUTO, opts);
	ck_assert_uint_eq(r.errors, 3);
	ck_assert_uint_eq(r.events, 0);
	expect_error(at(&r, 0), KAG_ELIMIT, "decompressed payload larger than 32768 bytes");
	expect_error(at(&r, 1), KAG_ELIMIT, "longer than 1000 bytes");
	expect_error(at(&r, 2), KAG_ELIMIT, "embedded document: nesting deeper than 12 levels");
	ck_assert_str_eq(at(&r, 2)->path, "/resourceLogs/0/scopeLogs/0/logRecords/0/body/stringValue");
	run_free(&r);
	free(big);
	free(in);
}
END_TEST

/* ---- OpenShift ---- */

START_TEST(openshift_viaq)
{
	static const char extra[] =
		"{\"log_type\":\"audit\",\"log_source\":\"kubeAPI\",\"hostname\":\"m0\",\"level\":\"default\","
		"\"auditID\":\"v-1\",\"verb\":\"get\",\"user\":{\"username\":\"u\"},\"stage\":\"ResponseComplete\","
		"\"responseStatus\":{\"code\":200}}\n"
		"{\"log_type\":\"audit\",\"log_source\":\"auditd\",\"hostname\":\"m0\",\"level\":\"default\","
		"\"message\":\"type=SYSCALL msg=audit(1.2:3)\"}\n"
		"{\"log_type\":\"application\",\"level\":\"info\",\"message\":\"hello\"}\n";
	run r;
	const rec *x;

	run_file(&r, "openshift-cluster-logging-operator/viaq_audit_kubernetes.json", KAG_FORMAT_OPENSHIFT);
	ck_assert_uint_eq(r.events, 1);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "viaq");
	/* the real level, not the overwritten "default" */
	ck_assert_str_eq(S(x, LEVEL), "Metadata");
	ck_assert_int_eq(x->level, KAG_LEVEL_METADATA);
	ck_assert_int_eq(ST(x, LEVEL), KAG_STATE_OBSERVED);
	ck_assert_str_eq(S(x, VERB), "watch");
	ck_assert_str_eq(S(x, USER_USERNAME), "system:apiserver");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "flowschemas");
	ck_assert_str_eq(S(x, OBJ_API_GROUP), "flowcontrol.apiserver.k8s.io");
	ck_assert_str_eq(S(x, SOURCE_IPS), "::1");
	/* ViaQ's own timestamp is not the audit event's */
	ck_assert_int_eq(ST(x, TIMESTAMP), KAG_STATE_ABSENT);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ALLOWED);
	run_free(&r);
	run_file(&r, "openshift-cluster-logging-operator/viaq_audit_openshift.json", KAG_FORMAT_AUTO);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "viaq");
	ck_assert_str_eq(S(x, LEVEL), "Metadata");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "oauthaccesstokens");
	run_free(&r);
	run_data(&r, extra, (size_t)-1, KAG_FORMAT_AUTO, NULL);
	ck_assert_uint_eq(r.events, 1);
	ck_assert_uint_eq(r.skipped, 2);
	/* no audit level carried: absent, not "default" */
	ck_assert_int_eq(ST(at(&r, 0), LEVEL), KAG_STATE_ABSENT);
	run_free(&r);
}
END_TEST

START_TEST(openshift_otlp)
{
	static const char mixed[] =
		"{\"resourceLogs\":["
		"{\"resource\":{\"attributes\":[{\"key\":\"log_type\",\"value\":{\"stringValue\":\"application\"}}]},"
		"\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"hello\"}}]}]},"
		"{\"resource\":{\"attributes\":[{\"key\":\"log_type\",\"value\":{\"stringValue\":\"audit\"}}]},"
		"\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"{\\\"verb\\\":\\\"get\\\",\\\"user\\\":{\\\"username\\\":\\\"x\\\"\"}},"
		"{\"body\":{\"kvlistValue\":{}}},"
		"{\"body\":{\"stringValue\":\"{\\\"verb\\\":\\\"list\\\",\\\"auditID\\\":\\\"o-1\\\"}\"}}]}]}]}\n";
	run r;
	const rec *x;

	run_file(&r, "openshift-cluster-logging-operator/otlp_audit_kube.json", KAG_FORMAT_AUTO);
	ck_assert_uint_eq(r.events, 3);
	ck_assert_uint_eq(r.errors + r.skipped, 0);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "otlp");
	ck_assert_str_eq(S(x, AUDIT_ID), "90aab58a-d0c7-4c4c-9cba-b28799b9cd7d");
	ck_assert_str_eq(S(x, VERB), "watch");
	ck_assert_str_eq(S(x, USER_USERNAME), "system:multus:ip-10-0-74-191.ec2.internal");
	ck_assert_str_eq(S(x, OBJ_RESOURCE), "network-attachment-definitions");
	ck_assert_str_eq(S(x, SOURCE_IPS), "10.0.33.68");
	ck_assert_int_eq(x->stage, KAG_STAGE_RESPONSE_STARTED);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_IN_PROGRESS);
	/* JSON-escaped & in the embedded requestURI is decoded */
	ck_assert_ptr_nonnull(strstr(S(x, REQUEST_URI), "allowWatchBookmarks=true&resourceVersion"));
	run_free(&r);
	run_file(&r, "openshift-cluster-logging-operator/otlp_audit_openshift.json", KAG_FORMAT_OPENSHIFT);
	ck_assert_uint_eq(r.events, 3);
	ck_assert_str_eq(at(&r, 0)->format, "otlp");
	run_free(&r);
	run_data(&r, mixed, (size_t)-1, KAG_FORMAT_AUTO, NULL);
	ck_assert_uint_eq(r.records, 4);
	ck_assert_uint_eq(r.skipped, 1);
	ck_assert_uint_eq(r.errors, 2);
	ck_assert_uint_eq(r.events, 1);
	expect_error(at(&r, 0), KAG_ETRUNCATED, "ends before its JSON value closes");
	ck_assert_str_eq(at(&r, 0)->path, "/resourceLogs/1/scopeLogs/0/logRecords/0/body/stringValue");
	expect_error(at(&r, 1), KAG_ESCHEMA, "expected the audit event as a JSON string");
	ck_assert_str_eq(S(at(&r, 2), AUDIT_ID), "o-1");
	run_free(&r);
}
END_TEST

START_TEST(openshift_oauth_login)
{
	static const char in[] =
		"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"o1\",\"stage\":\"ResponseComplete\","
		"\"requestURI\":\"/login\",\"verb\":\"post\",\"user\":{\"username\":\"system:anonymous\"},"
		"\"responseStatus\":{\"code\":302},\"annotations\":{\"authentication.openshift.io/decision\":\"deny\","
		"\"authentication.openshift.io/username\":\"eve\",\"authorization.k8s.io/decision\":\"allow\"}}\n"
		"{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"o2\",\"stage\":\"ResponseComplete\","
		"\"requestURI\":\"/login\",\"verb\":\"post\",\"user\":{\"username\":\"system:anonymous\"},"
		"\"responseStatus\":{\"code\":302},\"annotations\":{\"authentication.openshift.io/decision\":\"allow\","
		"\"authentication.openshift.io/username\":\"eve\"}}\n";
	run r;
	const rec *x;

	run_file(&r, "openshift-docs/oauth-server-audit.jsonl", KAG_FORMAT_AUTO);
	ck_assert_uint_eq(r.events, 1);
	x = at(&r, 0);
	ck_assert_str_eq(x->format, "openshift-oauth");
	ck_assert_str_eq(S(x, REQUEST_URI), "/login");
	ck_assert_str_eq(S(x, USER_USERNAME), "system:anonymous");
	/* decision "error", answered with a 302 redirect */
	ck_assert_int_eq(x->code, 302);
	ck_assert_int_eq(x->outcome, KAG_OUTCOME_ERROR);
	run_free(&r);
	run_data(&r, in, (size_t)-1, KAG_FORMAT_OPENSHIFT, NULL);
	ck_assert_uint_eq(r.events, 2);
	ck_assert_str_eq(at(&r, 0)->format, "openshift-oauth");
	ck_assert_int_eq(at(&r, 0)->outcome, KAG_OUTCOME_DENIED);
	ck_assert_int_eq(at(&r, 1)->outcome, KAG_OUTCOME_ALLOWED);
	run_free(&r);
	/* an oauth-apiserver event is plain native */
	run_file(&r, "openshift-cluster-logging-operator/raw_audit_oauth-apiserver.json", KAG_FORMAT_AUTO);
	ck_assert_str_eq(at(&r, 0)->format, "native");
	ck_assert_int_eq(at(&r, 0)->outcome, KAG_OUTCOME_DENIED);
	run_free(&r);
}
END_TEST

/* ---- native containers and forcing a format ---- */

START_TEST(lists_name_their_shape)
{
	static const char in[] =
		"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{},\"items\":["
		EV("l-1", "get", "a", 200) "]}\n"
		"[" EV("l-2", "get", "b", 200) ","
		"{\"insertId\":\"l-3\",\"protoPayload\":{\"serviceName\":\"k8s.io\",\"methodName\":\"io.k8s.core.v1.pods.get\"}},"
		"{\"category\":\"kube-audit\",\"properties\":{\"log\":" EV("l-4", "get", "d", 200) "}}]\n";
	run r;

	run_data(&r, in, (size_t)-1, KAG_FORMAT_AUTO, NULL);
	ck_assert_uint_eq(r.events, 4);
	ck_assert_str_eq(at(&r, 0)->format, "eventlist");
	ck_assert_str_eq(at(&r, 1)->format, "array");
	ck_assert_str_eq(at(&r, 2)->format, "gke");
	ck_assert_str_eq(at(&r, 3)->format, "aks");
	ck_assert_str_eq(S(at(&r, 3), AUDIT_ID), "l-4");
	run_free(&r);
}
END_TEST

START_TEST(forced_formats)
{
	static const char native[] = EV("f-1", "get", "a", 200) "\n";
	static const char gke[] =
		"{\"insertId\":\"g\",\"protoPayload\":{\"serviceName\":\"k8s.io\",\"methodName\":\"io.k8s.core.v1.pods.get\"}}\n";
	static const char list[] = "{\"kind\":\"EventList\",\"items\":[" EV("f-2", "get", "a", 200) "]}\n";
	kag_parser *p;
	run r;

	run_data(&r, native, (size_t)-1, KAG_FORMAT_GKE, NULL);
	expect_error(at(&r, 0), KAG_ESCHEMA, "a native audit event, but the input format is gke");
	run_free(&r);
	run_data(&r, gke, (size_t)-1, KAG_FORMAT_AKS, NULL);
	expect_error(at(&r, 0), KAG_ESCHEMA, "a GKE LogEntry, but the input format is aks");
	run_free(&r);
	/* forced native reads no wrapper */
	run_data(&r, gke, (size_t)-1, KAG_FORMAT_NATIVE, NULL);
	expect_error(at(&r, 0), KAG_ESCHEMA, "not an audit event");
	run_free(&r);
	run_data(&r, native, (size_t)-1, KAG_FORMAT_EVENTLIST, NULL);
	expect_error(at(&r, 0), KAG_ESCHEMA, "expected an EventList");
	run_free(&r);
	run_data(&r, list, (size_t)-1, KAG_FORMAT_EVENTLIST, NULL);
	ck_assert_uint_eq(r.events, 1);
	ck_assert_str_eq(at(&r, 0)->format, "eventlist");
	run_free(&r);
	run_data(&r, native, (size_t)-1, KAG_FORMAT_EKS, NULL);
	ck_assert_str_eq(at(&r, 0)->format, "native");
	run_free(&r);
	run_data(&r, native, (size_t)-1, KAG_FORMAT_OPENSHIFT, NULL);
	ck_assert_uint_eq(r.events, 1);
	run_free(&r);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, KAG_FORMAT_AUTO), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, KAG_FORMAT_OPENSHIFT), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, 7), KAG_EINVAL);
	/* a reset keeps the option */
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, gke, strlen(gke)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	{
		const kag_event *ev;

		ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ESCHEMA);
	}
	kag_parser_free(p);
}
END_TEST

/* ---- every record of every copied corpus file ---- */

START_TEST(corpus_accounted_for)
{
	static const struct {
		const char *file;
		uint64_t events, errors, skipped;
		const char *format; /* of every event */
	} files[] = {
		{ "khi-gke/gke_k8s_audit_logentries.jsonl", 3, 0, 0, "gke" },
		{ "khi-gke/gke_container_api_logentries_non_k8s.jsonl", 0, 0, 9, NULL },
		{ "khi-gke/oss_native_event.json", 1, 0, 0, "native" },
		{ "panther-analysis/gke_cloudaudit_logentries.jsonl", 51, 0, 0, "gke" },
		{ "panther-analysis/aks_diagnostic_records.jsonl", 34, 0, 0, "aks" },
		{ "sumologic-docs/aks_diagnostic_records_audit.jsonl", 2, 0, 0, "aks" },
		{ "sumologic-docs/aks_diagnostic_records_non_audit.jsonl", 0, 0, 4, NULL },
		{ "sumologic-docs/eks_cloudwatch_forwarded_audit.json", 1, 0, 0, "eks-cloudwatch" },
		{ "openshift-cluster-logging-operator/audit.log", 5, 0, 0, "native" },
		{ "openshift-cluster-logging-operator/otlp_audit_kube.json", 3, 0, 0, "otlp" },
		{ "openshift-cluster-logging-operator/otlp_audit_openshift.json", 3, 0, 0, "otlp" },
		{ "openshift-cluster-logging-operator/raw_audit_kubernetes.json", 1, 0, 0, "native" },
		{ "openshift-cluster-logging-operator/raw_audit_oauth-apiserver.json", 1, 0, 0, "native" },
		{ "openshift-cluster-logging-operator/raw_audit_openshift.json", 1, 0, 0, "native" },
		{ "openshift-cluster-logging-operator/viaq_audit_kubernetes.json", 1, 0, 0, "viaq" },
		{ "openshift-cluster-logging-operator/viaq_audit_openshift.json", 1, 0, 0, "viaq" },
		{ "kube-audit-log-tool-openshift/single-event.json", 1, 0, 0, "native" },
		/* malformed on purpose: {"kind": 0} */
		{ "falco-k8s-audit/fal_01_003.json", 0, 1, 0, NULL },
	};
	size_t i, j;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		run r;

		run_file(&r, files[i].file, KAG_FORMAT_AUTO);
		ck_assert_msg(r.events == files[i].events && r.errors == files[i].errors &&
			      r.skipped == files[i].skipped,
			      "%s: %llu events, %llu errors, %llu skipped", files[i].file,
			      (unsigned long long)r.events, (unsigned long long)r.errors,
			      (unsigned long long)r.skipped);
		for (j = 0; j < r.n; j++)
			if (r.r[j].rc == KAG_OK)
				ck_assert_msg(strcmp(r.r[j].format, files[i].format) == 0,
					      "%s: format %s", files[i].file, r.r[j].format);
		if (files[i].errors) {
			expect_error(at(&r, 0), KAG_ESCHEMA, "expected string, got integer");
			ck_assert_str_eq(at(&r, 0)->path, "/kind");
		}
		run_free(&r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("formats");
	TCase *gke = tcase_create("gke"), *aks = tcase_create("aks"), *eks = tcase_create("eks");
	TCase *os = tcase_create("openshift"), *gen = tcase_create("general");
	SRunner *sr;
	int failed;

	tcase_add_test(gke, gke_khi_entries);
	tcase_add_test(gke, gke_other_services_skipped);
	tcase_add_test(gke, gke_denials_are_denied);
	tcase_add_test(gke, gke_verdict_lists_inferred);
	tcase_add_test(gke, gke_namespace_and_subresource_paths);
	tcase_add_test(aks, aks_panther_records);
	tcase_add_test(aks, aks_sumologic_categories);
	tcase_add_test(aks, aks_event_hub_batch_and_truncation);
	tcase_add_test(aks, aks_log_analytics_rows);
	tcase_add_test(eks, eks_sumologic_forwarded);
	tcase_add_test(eks, eks_cloudwatch_shapes);
	tcase_add_test(eks, eks_subscription_gzip);
	tcase_add_test(eks, nested_documents_obey_limits);
	tcase_add_test(os, openshift_viaq);
	tcase_add_test(os, openshift_otlp);
	tcase_add_test(os, openshift_oauth_login);
	tcase_add_test(gen, lists_name_their_shape);
	tcase_add_test(gen, forced_formats);
	tcase_add_test(gen, corpus_accounted_for);
	suite_add_tcase(s, gke);
	suite_add_tcase(s, aks);
	suite_add_tcase(s, eks);
	suite_add_tcase(s, os);
	suite_add_tcase(s, gen);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
