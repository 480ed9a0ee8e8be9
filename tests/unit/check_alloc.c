/* Allocation failures: every allocation of each scenario is failed in turn
 * (kag__alloc_fail_at(n), n = 1, 2, ... until the scenario no longer
 * reaches the n-th allocation). Each run must end in KAG_OK or KAG_ENOMEM,
 * free every block it allocated, and, when it succeeds, produce exactly
 * what a run without failures produces. jansson allocates with plain
 * malloc, outside the hook, so its allocations are never failed here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "testutil.h"

/* What a scenario produced, compared with a run without failures. */
typedef struct {
	char text[16384];
	size_t len;
} out_t;

static void out_printf(out_t *o, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void out_printf(out_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->text + o->len, sizeof(o->text) - o->len, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_lt(o->len + (size_t)n, sizeof(o->text));
	o->len += (size_t)n;
}

/* Where got and want part, short enough for a Check message. */
static const char *first_difference(const out_t *got, const out_t *want)
{
	static char msg[700];
	size_t i = 0, from;

	while (i < got->len && i < want->len && got->text[i] == want->text[i])
		i++;
	from = i > 120 ? i - 120 : 0;
	snprintf(msg, sizeof(msg), "at byte %zu:\n got: ...%.240s\nwant: ...%.240s", i,
		 got->text + (from < got->len ? from : got->len), want->text + from);
	return msg;
}

static int same(const out_t *got, const out_t *want)
{
	return got->len == want->len && memcmp(got->text, want->text, want->len) == 0;
}

/* A scenario starts failing allocations (kag__alloc_fail_at(fail_at)) where
 * its window begins, stores kag__alloc_count() in *used where it ends, then
 * frees everything and returns its result code. */
typedef int (*scenario_fn)(unsigned long fail_at, unsigned long *used, out_t *out);

static void walk(const char *name, scenario_fn fn)
{
	static out_t want, got;
	unsigned long n, used = 0, failures = 0;
	long live = kag__alloc_live();
	int rc;

	memset(&want, 0, sizeof(want));
	rc = fn(0, &used, &want);
	ck_assert_msg(rc == KAG_OK, "%s: %s without failures", name, kag_error_name(rc));
	ck_assert_int_eq(kag__alloc_live(), live);
	ck_assert_msg(used > 0, "%s: no allocation in the window", name);
	for (n = 1; n < 100000; n++) {
		memset(&got, 0, sizeof(got));
		used = 0;
		rc = fn(n, &used, &got);
		kag__alloc_fail_at(0);
		ck_assert_msg(kag__alloc_live() == live, "%s: failing allocation %lu leaked %ld block(s)",
			      name, n, kag__alloc_live() - live);
		if (used < n) {
			/* the n-th allocation was never reached: a clean run */
			ck_assert_msg(rc == KAG_OK, "%s: %s with no failure", name, kag_error_name(rc));
			ck_assert_msg(same(&got, &want), "%s: output differs %s", name,
				      first_difference(&got, &want));
			break;
		}
		ck_assert_msg(rc == KAG_OK || rc == KAG_ENOMEM, "%s: failing allocation %lu gave %s",
			      name, n, kag_error_name(rc));
		if (rc == KAG_ENOMEM) {
			failures++;
		} else {
			/* a failure the library got round must not lose anything */
			ck_assert_msg(same(&got, &want), "%s: allocation %lu failed silently; output differs %s",
				      name, n, first_difference(&got, &want));
		}
	}
	ck_assert_uint_lt(n, 100000);
	/* the walk failed allocations, and they were reported */
	ck_assert_msg(failures > 0, "%s: no run reported KAG_ENOMEM", name);
}

#define RETURN_IF(rc) do { if ((rc) < 0) goto done; } while (0)

/* ---- registry, seal, sessions ---- */

static int detector_cb(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	(void)ev;
	(void)outcome;
	(void)user_data;
	return kag_finding_report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_LOW, KAG_CONFIDENCE_HIGH,
				  "caller detector");
}

static int scenario_registry(unsigned long fail_at, unsigned long *used, out_t *out)
{
	static const int decisive[] = { KAG_FIELD_VERB, KAG_FIELD_USER_USERNAME };
	kag_registry *r = NULL;
	kag_session *s1 = NULL, *s2 = NULL;
	size_t i;
	int rc;

	kag__alloc_fail_at(fail_at);
	rc = kag_registry_new(&r);
	RETURN_IF(rc);
	rc = kag_registry_add_detector(r, "caller_one", "first caller detector", decisive, 2,
				       KAG_LEVEL_METADATA, detector_cb, NULL);
	RETURN_IF(rc);
	rc = kag_registry_add_detector(r, "caller_two", NULL, NULL, 0, KAG_LEVEL_UNKNOWN,
				       detector_cb, NULL);
	RETURN_IF(rc);
	rc = kag_registry_disable(r, "secrets_access");
	RETURN_IF(rc);
	rc = kag_registry_set_option_u64(r, KAG_ROPT_DEDUP_CAPACITY, 1000);
	RETURN_IF(rc);
	rc = kag_registry_seal(r);
	RETURN_IF(rc);
	rc = kag_session_new(&s1, r);
	RETURN_IF(rc);
	rc = kag_session_new(&s2, r);
	RETURN_IF(rc);
	for (i = 0; i < kag_registry_count(r); i++)
		out_printf(out, "%s %d\n", kag_registry_detector_id(r, i),
			   kag_registry_detector_enabled(r, i));
done:
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_session_free(s1);
	kag_registry_free(r);
	kag_session_free(s2);
	return rc;
}

START_TEST(registry_and_sessions)
{
	walk("registry", scenario_registry);
}
END_TEST

/* ---- parser: feeding and pulling ---- */

static const char stream[] =
	"{\"verb\":\"get\",\"auditID\":\"p1\",\"user\":{\"username\":\"alice\",\"groups\":"
	"[\"g1\",\"g2\",\"g3\",\"g4\",\"g5\",\"g6\",\"g7\",\"g8\",\"g9\",\"g10\",\"g11\",\"g12\","
	"\"g13\",\"g14\",\"g15\",\"g16\",\"g17\",\"g18\",\"g19\",\"g20\",\"g21\",\"g22\",\"g23\","
	"\"g24\",\"g25\",\"g26\",\"g27\",\"g28\",\"g29\",\"g30\",\"g31\",\"g32\",\"g33\",\"g34\"],"
	"\"extra\":{\"k\":[\"v1\",\"v2\"]}},\"annotations\":{\"a\":\"b\"}}\n"
	"not json\n"
	"{\n  \"verb\": \"list\",\n  \"requestObject\": {\"kind\": \"Pod\"}\n}\n"
	"{\"kind\":\"EventList\",\"items\":[{\"verb\":\"create\",\"sourceIPs\":[\"10.0.0.1\"]},"
	"{\"verb\":5},{\"verb\":\"delete\",\"annotations\":{\"x\":\"y\"}}]}\n"
	"[{\"verb\":\"patch\"},{\"verb\":\"update\"}]\n"
	"{\"verb\":\"watch\",\"user\":{\"username\":\"trunc\n"
	"{\"verb\":\"last\"}";

static int drain(kag_parser *p, out_t *out)
{
	const kag_event *ev;
	int rc;

	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		const char *s;
		size_t len;

		if (rc == KAG_ENOMEM)
			return rc;
		if (rc < 0) {
			out_printf(out, "%s line %llu %s\n", kag_error_name(rc),
				   (unsigned long long)kag_parser_error_line(p), kag_parser_error_path(p));
			continue;
		}
		if (kag_event_get_string(&s, &len, ev, KAG_FIELD_VERB) < 0)
			s = "?", len = 1;
		out_printf(out, "%s %.*s line %llu groups %zu", kag_event_format(ev), (int)len, s,
			   (unsigned long long)kag_event_line(ev),
			   kag_event_item_count(ev, KAG_FIELD_USER_GROUPS));
		rc = kag_event_get_string(&s, &len, ev, KAG_FIELD_REQUEST_OBJECT);
		if (rc == KAG_ENOMEM)
			return rc;
		if (rc == KAG_OK)
			out_printf(out, " body %.*s", (int)len, s);
		out_printf(out, "\n");
	}
	return KAG_OK;
}

static int run_parser(unsigned long fail_at, unsigned long *used, out_t *out, size_t chunk)
{
	kag_parser *p = NULL;
	size_t off;
	int rc;

	kag__alloc_fail_at(fail_at);
	rc = kag_parser_new(&p);
	RETURN_IF(rc);
	rc = kag_parser_set_source(p, "stream.jsonl");
	RETURN_IF(rc);
	rc = kag_parser_set_option_u64(p, KAG_OPT_MAX_ITEMS, 10);
	RETURN_IF(rc);
	for (off = 0; off < sizeof(stream) - 1; off += chunk) {
		size_t n = sizeof(stream) - 1 - off < chunk ? sizeof(stream) - 1 - off : chunk;

		rc = kag_parser_feed(p, stream + off, n);
		RETURN_IF(rc);
		rc = drain(p, out);
		RETURN_IF(rc);
	}
	rc = kag_parser_finish(p);
	RETURN_IF(rc);
	rc = drain(p, out);
	RETURN_IF(rc);
	out_printf(out, "records %llu events %llu errors %llu\n",
		   (unsigned long long)kag_parser_stat(p, KAG_PSTAT_RECORDS),
		   (unsigned long long)kag_parser_stat(p, KAG_PSTAT_EVENTS),
		   (unsigned long long)kag_parser_stat(p, KAG_PSTAT_ERRORS));
	/* a reset keeps the parser usable */
	rc = kag_parser_reset(p);
	RETURN_IF(rc);
	rc = kag_parser_feed(p, stream, 40);
done:
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_parser_free(p);
	return rc;
}

static int scenario_parser_whole(unsigned long fail_at, unsigned long *used, out_t *out)
{
	return run_parser(fail_at, used, out, sizeof(stream));
}

static int scenario_parser_chunks(unsigned long fail_at, unsigned long *used, out_t *out)
{
	return run_parser(fail_at, used, out, 7);
}

START_TEST(parser_whole)
{
	walk("parser (one feed)", scenario_parser_whole);
}
END_TEST

START_TEST(parser_chunks)
{
	walk("parser (7-byte feeds)", scenario_parser_chunks);
}
END_TEST

/* A feed that failed for memory can be repeated. */
START_TEST(feed_retry_after_enomem)
{
	static const char rec[] = "{\"verb\":\"get\"}\n";
	kag_parser *p;
	const kag_event *ev;
	long live = kag__alloc_live();

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	kag__alloc_fail_at(1);
	ck_assert_int_eq(kag_parser_feed(p, rec, sizeof(rec) - 1), KAG_ENOMEM);
	kag__alloc_fail_at(0);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	ck_assert_int_eq(kag_parser_feed(p, rec, sizeof(rec) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_uint_eq(kag_event_offset(ev), 0);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_BYTES), sizeof(rec) - 1);
	kag_parser_free(p);
	ck_assert_int_eq(kag__alloc_live(), live);
}
END_TEST

/* ---- session evaluation ---- */

static kag_event *new_event(const char *verb, const char *user, const char *resource,
			    const char *sub, const char *ns, int64_t code, const char *stage,
			    const char *audit_id, const char *ts)
{
	kag_event *ev;

#define SETS(f, v) \
	if (v) \
		ck_assert_int_eq(kag_event_set_string(ev, f, v, strlen(v), KAG_STATE_OBSERVED), KAG_OK)
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	SETS(KAG_FIELD_VERB, verb);
	SETS(KAG_FIELD_USER_USERNAME, user);
	SETS(KAG_FIELD_OBJ_RESOURCE, resource);
	SETS(KAG_FIELD_OBJ_SUBRESOURCE, sub);
	SETS(KAG_FIELD_OBJ_NAMESPACE, ns);
	SETS(KAG_FIELD_STAGE, stage);
	SETS(KAG_FIELD_AUDIT_ID, audit_id);
	SETS(KAG_FIELD_STAGE_TS, ts);
#undef SETS
	if (code)
		ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, code, KAG_STATE_OBSERVED),
				 KAG_OK);
	ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, "203.0.113.10", 12,
					    KAG_STATE_OBSERVED), KAG_OK);
	return ev;
}

static int collect(const kag_result *res, out_t *out)
{
	size_t i;

	for (i = 0; i < kag_result_count(res); i++) {
		size_t len;
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		out_printf(out, "%.*s\n", (int)len, json);
	}
	return KAG_OK;
}

static int scenario_evaluate(unsigned long fail_at, unsigned long *used, out_t *out)
{
	kag_registry *r;
	kag_session *s;
	kag_event *evs[8];
	const kag_result *res;
	size_t i, n = 0;
	int rc = KAG_OK;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_DEDUP_CAPACITY, 64), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_PRINCIPAL_CAPACITY, 16), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_PENDING_CAPACITY, 4), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_PROBE_THRESHOLD, 2), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	evs[n++] = new_event("create", "alice@example.com", "pods", "exec", "prod", 101,
			     "ResponseStarted", "e1", "2024-05-01T10:00:00Z");
	evs[n++] = new_event("list", "mallory@example.com", "secrets", NULL, "kube-system", 403,
			     "ResponseComplete", "e2", "2024-05-01T10:00:01Z");
	evs[n++] = new_event("get", "mallory@example.com", "secrets", NULL, "prod", 403,
			     "ResponseComplete", "e3", "2024-05-01T10:00:02Z");
	evs[n++] = new_event("get", "bob@example.com", "secrets", NULL, "prod", 0,
			     "RequestReceived", "e4", "2024-05-01T10:00:03Z");
	evs[n++] = new_event("get", "bob@example.com", "secrets", NULL, "prod", 200,
			     "ResponseComplete", "e4", "2024-05-01T10:00:03Z");
	evs[n++] = new_event("update", "system:kube-controller-manager", "leases", NULL,
			     "kube-system", 200, "ResponseComplete", "e5", "2024-05-01T10:00:04Z");
	evs[n++] = new_event("create", "carol@example.com", "pods", "attach", "prod", 0,
			     "RequestReceived", "e6", "2024-05-01T10:00:05Z");

	kag__alloc_fail_at(fail_at);
	for (i = 0; i < n; i++) {
		rc = kag_session_evaluate(&res, s, evs[i]);
		RETURN_IF(rc);
		out_printf(out, "-- %zu\n", i);
		collect(res, out);
	}
	rc = kag_session_flush(&res, s);
	RETURN_IF(rc);
	out_printf(out, "-- flush\n");
	collect(res, out);
done:
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_session_free(s);
	kag_registry_free(r);
	for (i = 0; i < n; i++)
		kag_event_free(evs[i]);
	return rc;
}

START_TEST(session_evaluation)
{
	walk("evaluate", scenario_evaluate);
}
END_TEST

/* kag_event_set_record() on a reused event: records, then one at fault. */
static int scenario_set_record(unsigned long fail_at, unsigned long *used, out_t *out)
{
	static const char *const recs[] = {
		"{\"auditID\":\"r1\",\"verb\":\"create\",\"user\":{\"username\":\"alice\","
		"\"groups\":[\"a\",\"b\"],\"extra\":{\"s\":[\"x\"]}},\"annotations\":{\"k\":\"v\"},"
		"\"requestObject\":{\"kind\":\"Pod\",\"spec\":{\"c\":[1,2]}}}",
		"{\"verb\":\"get\",\"objectRef\":{\"resource\":\"secrets\"},\"sourceIPs\":[\"10.0.0.1\"]}",
		"{\"verb\":\"get\",\"sourceIPs\":[\"10.0.0.1\",7]}",
	};
	const char *s;
	kag_event *ev;
	size_t i, n;
	int rc = KAG_OK;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	kag__alloc_fail_at(fail_at);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		rc = kag_event_set_record(ev, recs[i], strlen(recs[i]));
		if (rc == KAG_ENOMEM)
			goto done;
		out_printf(out, "%s %s %s\n", kag_error_name(rc), kag_event_error_path(ev),
			   kag_event_error_message(ev));
		if (kag_event_get_string(&s, &n, ev, KAG_FIELD_VERB) == KAG_OK)
			out_printf(out, "verb %.*s, %zu groups, %zu addresses\n", (int)n, s,
				   kag_event_item_count(ev, KAG_FIELD_USER_GROUPS),
				   kag_event_item_count(ev, KAG_FIELD_SOURCE_IPS));
	}
	rc = KAG_OK;
done:
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_event_free(ev);
	return rc;
}

START_TEST(set_record)
{
	walk("set_record", scenario_set_record);
}
END_TEST

/* Parsing and judging together, as kag-triage does. */
/* A session and a parser over the sealed registry r judge `in` to the end
 * (flush included), collecting verdicts (and event formats if asked) into
 * out; both are freed before returning. */
static int judge_stream(kag_registry *r, const char *in, size_t len, int show_format,
			out_t *out)
{
	kag_session *s = NULL;
	kag_parser *p = NULL;
	const kag_event *ev;
	const kag_result *res;
	int rc;

	rc = kag_session_new(&s, r);
	RETURN_IF(rc);
	rc = kag_parser_new(&p);
	RETURN_IF(rc);
	rc = kag_parser_feed(p, in, len);
	RETURN_IF(rc);
	rc = kag_parser_finish(p);
	RETURN_IF(rc);
	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		RETURN_IF(rc);
		if (show_format)
			out_printf(out, "%s\n", kag_event_format(ev));
		rc = kag_session_evaluate(&res, s, ev);
		RETURN_IF(rc);
		collect(res, out);
	}
	rc = kag_session_flush(&res, s);
	RETURN_IF(rc);
	collect(res, out);
done:
	kag_parser_free(p);
	kag_session_free(s);
	return rc;
}

static int scenario_pipeline(unsigned long fail_at, unsigned long *used, out_t *out)
{
	static const char in[] =
		"{\"kind\":\"EventList\",\"items\":[{\"verb\":\"create\",\"auditID\":\"x1\","
		"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"prod\","
		"\"name\":\"api-7f9\"},\"user\":{\"username\":\"alice@example.com\"},"
		"\"sourceIPs\":[\"203.0.113.10\"],\"responseStatus\":{\"code\":101},"
		"\"stage\":\"ResponseStarted\"},{\"verb\":\"get\",\"auditID\":\"x2\","
		"\"user\":{\"username\":\"bob@example.com\"},\"impersonatedUser\":{\"username\":"
		"\"system:admin\"},\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\"},"
		"\"responseStatus\":{\"code\":200},\"stage\":\"ResponseComplete\"}]}\n";
	kag_registry *r = NULL;
	int rc;

	kag__alloc_fail_at(fail_at);
	rc = kag_registry_new(&r);
	RETURN_IF(rc);
	rc = kag_registry_set_option_u64(r, KAG_ROPT_DEDUP_CAPACITY, 64);
	RETURN_IF(rc);
	rc = kag_registry_seal(r);
	RETURN_IF(rc);
	rc = judge_stream(r, in, sizeof(in) - 1, 0, out);
done:
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_registry_free(r);
	return rc;
}

START_TEST(pipeline)
{
	walk("pipeline", scenario_pipeline);
}
END_TEST

/* ---- provider front ends, policy and rules ---- */

/* GKE, EKS (CloudWatch message, base64 of gzip), AKS and ViaQ records. */
static int scenario_formats(unsigned long fail_at, unsigned long *used, out_t *out)
{
	static const char in[] =
		"{\"protoPayload\": {\"@type\": \"type.googleapis.com/google.cloud.audit.AuditLog\", \"met"
		"hodName\": \"io.k8s.core.v1.secrets.get\", \"resourceName\": \"core/v1/namespaces/default"
		"/secrets/s\", \"authenticationInfo\": {\"principalEmail\": \"a@b.c\"}, \"requestMetadata"
		"\": {\"callerIp\": \"1.2.3.4\", \"callerSuppliedUserAgent\": \"kubectl\"}, \"status\": {"
		"\"code\": 7}}, \"resource\": {\"type\": \"k8s_cluster\"}, \"timestamp\": \"2024-05-01T10:"
		"00:00Z\", \"logName\": \"projects/p/logs/cloudaudit.googleapis.com%2Fdata_access\"}\n{\"m"
		"essage\": \"{\\\"kind\\\":\\\"Event\\\",\\\"apiVersion\\\":\\\"audit.k8s.io/v1\\\",\\\"le"
		"vel\\\":\\\"Metadata\\\",\\\"auditID\\\":\\\"x1\\\",\\\"stage\\\":\\\"ResponseComplete\\"
		"\",\\\"stageTimestamp\\\":\\\"2024-05-01T10:00:00Z\\\",\\\"verb\\\":\\\"get\\\",\\\"user"
		"\\\":{\\\"username\\\":\\\"u\\\",\\\"groups\\\":[\\\"g\\\"]},\\\"objectRef\\\":{\\\"resou"
		"rce\\\":\\\"secrets\\\",\\\"namespace\\\":\\\"kube-system\\\",\\\"name\\\":\\\"n\\\"},\\"
		"\"responseStatus\\\":{\\\"code\\\":200},\\\"sourceIPs\\\":[\\\"203.0.113.1\\\"]}\", \"tim"
		"estamp\": 1714557600000}\nH4sIAKUxCWsC/0WRy2rDMBBFfyVoHduS00LJLjQhZBEosemicSiKPTWqHzIayW0"
		"w+ffq4bbghTz3zNyr0UQ6QOQ15LcByHpBtpt8837cZdlmvyPLBWllvVfSDE5L+Bcm0GBSJmVrUIOaiUwr4J1DGnOF"
		"iA8CQY2gIm4qoSM2Y7sReo0WO09EVA73ihY2g+ad82D2f07k9KkgjeirgqwL4rsLsiyInf8KCoXsveBN4uYJYyGTk"
		"XmkhRFarx5B84prHjodeth64TuQ1rkGXzgBDrJHeJbd0IKGfzn/Tei5lKYPEX2MKMsZXVP3vXnW3vjqiRpCUGPXYA"
		"tTOPW8C0bGi7VbK9rC2Z4Lcrnbmrx+QqlP8BG6FKA0qgxdCKUCjb7XjcKBz4pfOt7sg3R/qhfsftxUNV8s01wbDKN"
		"LWTkmpdQRwebwMsdJ6SqmMWOrmLlg5H65/wAc2azSKQIAAA==\n{\"category\": \"kube-audit\", \"prope"
		"rties\": {\"log\": \"{\\\"kind\\\":\\\"Event\\\",\\\"apiVersion\\\":\\\"audit.k8s.io/v1\\"
		"\",\\\"level\\\":\\\"Metadata\\\",\\\"auditID\\\":\\\"x1\\\",\\\"stage\\\":\\\"ResponseCo"
		"mplete\\\",\\\"stageTimestamp\\\":\\\"2024-05-01T10:00:00Z\\\",\\\"verb\\\":\\\"get\\\","
		"\\\"user\\\":{\\\"username\\\":\\\"u\\\",\\\"groups\\\":[\\\"g\\\"]},\\\"objectRef\\\":{"
		"\\\"resource\\\":\\\"secrets\\\",\\\"namespace\\\":\\\"kube-system\\\",\\\"name\\\":\\\"n"
		"\\\"},\\\"responseStatus\\\":{\\\"code\\\":200},\\\"sourceIPs\\\":[\\\"203.0.113.1\\\"]}"
		"\", \"stream\": \"stdout\", \"pod\": \"kube-apiserver-1\"}}\n{\"kind\": \"Event\", \"apiV"
		"ersion\": \"audit.k8s.io/v1\", \"level\": \"Metadata\", \"auditID\": \"x1\", \"stage\": "
		"\"ResponseComplete\", \"stageTimestamp\": \"2024-05-01T10:00:00Z\", \"verb\": \"get\", \""
		"user\": {\"username\": \"u\", \"groups\": [\"g\"]}, \"objectRef\": {\"resource\": \"secre"
		"ts\", \"namespace\": \"kube-system\", \"name\": \"n\"}, \"responseStatus\": {\"code\": 20"
		"0}, \"sourceIPs\": [\"203.0.113.1\"], \"log_type\": \"audit\", \"k8s_audit_level\": \"Met"
		"adata\", \"openshift\": {\"cluster_id\": \"c\"}}\n";

	kag_registry *r = NULL;
	int rc;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_DEDUP_CAPACITY, 64), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	kag__alloc_fail_at(fail_at);
	rc = judge_stream(r, in, sizeof(in) - 1, 1, out);
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_registry_free(r);
	return rc;
}

START_TEST(provider_formats)
{
	walk("formats", scenario_formats);
}
END_TEST

/* Rules and a policy loaded, sealed, and judging an event the rule and
 * the policy's lists decide. A failed load leaves the registry as it was. */
static int scenario_policy_rules(unsigned long fail_at, unsigned long *used, out_t *out)
{
	static const char rules[] =
		"{\"version\":1,\"rules\":[{\"id\":\"ns_deleted\",\"title\":\"namespace deleted\","
		"\"description\":\"d\",\"assessment\":\"suspicious\",\"severity\":\"high\","
		"\"attack\":[\"T1485\"],\"decisive\":[\"verb\",\"objectRef.name\"],"
		"\"match\":{\"all\":[{\"field\":\"verb\",\"in\":[\"delete\",\"deletecollection\"]},"
		"{\"field\":\"objectRef.resource\",\"equals\":\"namespaces\"},"
		"{\"not\":{\"field\":\"userAgent\",\"glob\":\"kube-*\"}},{\"identity\":\"none\"}]}}]}";
	static const char policy[] =
		"{\"version\":1,\"thresholds\":{\"probe\":3},\"capacities\":{\"dedup\":64},"
		"\"add_trusted_users\":[\"ci-bot\",\"deployer\"],\"trusted_networks\":[\"203.0.113.0/24\"],"
		"\"add_sensitive_resources\":[\"configmaps\"],\"detectors\":{\"disable\":[\"discovery\"]}}";
	static const char in[] =
		"{\"auditID\":\"d1\",\"stage\":\"ResponseComplete\",\"verb\":\"delete\","
		"\"user\":{\"username\":\"alice\"},\"objectRef\":{\"resource\":\"namespaces\","
		"\"name\":\"prod\"},\"responseStatus\":{\"code\":200}}\n";
	kag_registry *r = NULL;
	size_t i;
	int rc;

	kag__alloc_fail_at(fail_at);
	rc = kag_registry_new(&r);
	RETURN_IF(rc);
	rc = kag_registry_load_rules(r, rules, sizeof(rules) - 1);
	RETURN_IF(rc);
	rc = kag_registry_load_policy(r, policy, sizeof(policy) - 1);
	RETURN_IF(rc);
	rc = kag_registry_seal(r);
	RETURN_IF(rc);
	for (i = 0; i < kag_registry_count(r); i++)
		out_printf(out, "%s %d\n", kag_registry_detector_id(r, i),
			   kag_registry_detector_enabled(r, i));
	rc = judge_stream(r, in, sizeof(in) - 1, 0, out);
done:
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_registry_free(r);
	return rc;
}

START_TEST(policy_and_rules)
{
	walk("policy and rules", scenario_policy_rules);
}
END_TEST

/* ---- builder and gate ---- */

static int scenario_builder(unsigned long fail_at, unsigned long *used, out_t *out)
{
	kag_event *ev = NULL;
	kag_gate *g = NULL;
	kag_registry *r;
	const char *s;
	char big[5000];
	size_t len;
	int rc, i;

	memset(big, 'u', sizeof(big));
	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	kag__alloc_fail_at(fail_at);
	rc = kag_event_new(&ev);
	RETURN_IF(rc);
	rc = kag_event_set_string(ev, KAG_FIELD_VERB, "get", 3, KAG_STATE_OBSERVED);
	RETURN_IF(rc);
	rc = kag_event_set_string(ev, KAG_FIELD_USER_AGENT, big, sizeof(big), KAG_STATE_OBSERVED);
	RETURN_IF(rc);
	rc = kag_event_set_string(ev, KAG_FIELD_STAGE, "ResponseComplete", 16, KAG_STATE_INFERRED);
	RETURN_IF(rc);
	rc = kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 200, KAG_STATE_OBSERVED);
	RETURN_IF(rc);
	for (i = 0; i < 40; i++) {
		char group[16];

		snprintf(group, sizeof(group), "group-%d", i);
		rc = kag_event_add_item(ev, KAG_FIELD_USER_GROUPS, group, strlen(group),
					KAG_STATE_OBSERVED);
		RETURN_IF(rc);
	}
	rc = kag_event_add_pair(ev, KAG_FIELD_ANNOTATIONS, "authorization.k8s.io/decision", 29,
				"allow", 5, KAG_STATE_OBSERVED);
	RETURN_IF(rc);
	rc = kag_event_set_string(ev, KAG_FIELD_REQUEST_OBJECT, "{\"kind\":\"Secret\"}", 17,
				  KAG_STATE_OBSERVED);
	RETURN_IF(rc);
	rc = kag_event_get_string(&s, &len, ev, KAG_FIELD_REQUEST_OBJECT);
	RETURN_IF(rc);
	out_printf(out, "body %.*s groups %zu\n", (int)len, s,
		   kag_event_item_count(ev, KAG_FIELD_USER_GROUPS));
	rc = kag_gate_evaluate(&g, r, "secrets_access", ev);
	RETURN_IF(rc);
	out_printf(out, "gate %d %s\n", kag_gate_passed(g), kag_gate_reason(g));
	rc = kag_event_clear(ev);
	RETURN_IF(rc);
	rc = kag_event_set_string(ev, KAG_FIELD_VERB, "list", 4, KAG_STATE_OBSERVED);
	RETURN_IF(rc);
	rc = kag_event_get_path(&s, &len, ev, "verb", 4);
	RETURN_IF(rc);
	out_printf(out, "verb %.*s\n", (int)len, s);
done:
	*used = kag__alloc_count();
	kag__alloc_fail_at(0);
	kag_gate_free(g);
	kag_event_free(ev);
	kag_registry_free(r);
	return rc;
}

START_TEST(builder_and_gate)
{
	walk("builder", scenario_builder);
}
END_TEST

/* The hook itself: counting restarts at each call, 0 disables. */
START_TEST(hook_counts)
{
	kag_event *ev;
	long live = kag__alloc_live();

	kag__alloc_fail_at(0);
	ck_assert_uint_eq(kag__alloc_count(), 0);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_uint_eq(kag__alloc_count(), 1);
	ck_assert_int_eq(kag__alloc_live(), live + 1);
	kag_event_free(ev);
	ck_assert_int_eq(kag__alloc_live(), live);
	kag__alloc_fail_at(1);
	ev = (kag_event *)1;
	ck_assert_int_eq(kag_event_new(&ev), KAG_ENOMEM);
	ck_assert_ptr_null(ev);
	ck_assert_uint_eq(kag__alloc_count(), 1);
	/* only the first allocation after the call fails */
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	kag_event_free(ev);
	kag__alloc_fail_at(0);
	ck_assert_int_eq(kag__alloc_live(), live);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("enomem");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, hook_counts);
	tcase_add_test(tc, registry_and_sessions);
	tcase_add_test(tc, parser_whole);
	tcase_add_test(tc, parser_chunks);
	tcase_add_test(tc, feed_retry_after_enomem);
	tcase_add_test(tc, session_evaluation);
	tcase_add_test(tc, pipeline);
	tcase_add_test(tc, builder_and_gate);
	tcase_add_test(tc, provider_formats);
	tcase_add_test(tc, policy_and_rules);
	tcase_add_test(tc, set_record);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
