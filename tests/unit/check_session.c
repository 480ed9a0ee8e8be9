/* Sessions: stage de-duplication, pending RequestReceived requests,
 * capacities, probing windows, options, caller detectors and redaction. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static kag_registry *R;
static kag_session *S;
static kag_parser *P;
static int next_id;

static const char *const five[] = { "controller_baseline", "interactive_access",
				     "impersonation", "rbac_probing", "secrets_access", NULL };

/* Sessions are exercised through the five detectors of the first review;
 * the rest of the catalogue is disabled so the counts stay about them. */
static void setup(void)
{
	size_t i, j;

	ck_assert_int_eq(kag_registry_new(&R), KAG_OK);
	for (i = 0; i < kag_registry_count(R); i++) {
		const char *id = kag_registry_detector_id(R, i);

		for (j = 0; five[j] && strcmp(five[j], id) != 0; j++)
			;
		if (!five[j])
			ck_assert_int_eq(kag_registry_disable(R, id), KAG_OK);
	}
	/* repeats are returned as they come, except in the repeat tests */
	ck_assert_int_eq(kag_registry_set_option_u64(R, KAG_ROPT_REPEAT_WINDOW, 0), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&P), KAG_OK);
	S = NULL;
	next_id = 0;
}

static void teardown(void)
{
	kag_session_free(S);
	kag_registry_free(R);
	kag_parser_free(P);
	S = NULL;
	R = NULL;
	P = NULL;
}

static void ropt(int option, uint64_t value)
{
	ck_assert_int_eq(kag_registry_set_option_u64(R, option, value), KAG_OK);
}

/* Seal R and open the session. */
static void start(void)
{
	ck_assert_int_eq(kag_registry_seal(R), KAG_OK);
	ck_assert_int_eq(kag_session_new(&S, R), KAG_OK);
}

static uint64_t sstat(int which)
{
	return kag_session_stat(S, which);
}

/* Event time: 2024-05-01T10:00:00Z plus `sec` seconds, as kag prints it. */
static const char *ts(int sec)
{
	static char bufs[8][40];
	static int k;
	char *b = bufs[k++ % 8];

	ck_assert_int_ge(sec, 0);
	ck_assert_int_lt(sec, 36000);
	snprintf(b, 40, "2024-05-01T%02d:%02d:%02d.000000Z", 10 + sec / 3600, sec / 60 % 60,
		 sec % 60);
	return b;
}

/* Parse one event (printf format, ' for ") and evaluate it. */
static const kag_result *eval(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

static const kag_result *eval(const char *fmt, ...)
{
	char buf[4096];
	const kag_event *ev;
	const kag_result *res;
	va_list ap;
	size_t i, n;
	int rc;

	va_start(ap, fmt);
	n = (size_t)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ck_assert_uint_lt(n, sizeof(buf));
	for (i = 0; i < n; i++)
		if (buf[i] == '\'')
			buf[i] = '"';
	ck_assert_int_eq(kag_parser_reset(P), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(P, buf, n), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(P), KAG_OK);
	rc = kag_parser_next(&ev, P);
	ck_assert_msg(rc == KAG_OK, "%s: %s\n%s", kag_error_name(rc), kag_parser_error_message(P), buf);
	ck_assert_int_eq(kag_session_evaluate(&res, S, ev), KAG_OK);
	return res;
}

static const kag_result *flush(void)
{
	const kag_result *res;

	ck_assert_int_eq(kag_session_flush(&res, S), KAG_OK);
	return res;
}

static size_t rcount(const kag_result *res, const char *id)
{
	size_t i, n = 0;

	for (i = 0; i < kag_result_count(res); i++)
		if (!id || strcmp(kag_verdict_detector(kag_result_verdict(res, i)), id) == 0)
			n++;
	return n;
}

/* JSON of the first verdict of `id` in res (copied), or NULL. */
static const char *rjson(const kag_result *res, const char *id)
{
	static char buf[16384];
	size_t i, len;

	for (i = 0; i < kag_result_count(res); i++) {
		const kag_verdict *v = kag_result_verdict(res, i);

		if (strcmp(kag_verdict_detector(v), id) == 0) {
			const char *j = kag_verdict_json(v, &len);

			ck_assert_uint_lt(len, sizeof(buf));
			memcpy(buf, j, len);
			buf[len] = '\0';
			return buf;
		}
	}
	return NULL;
}

static void expect(const char *line, const char *path, const char *want)
{
	const char *got;

	ck_assert_msg(line != NULL, "no verdict to read %s from", path);
	got = tu_json_get(line, path);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: got %s, want %s\nin %s", path,
		      got ? got : "(absent)", want, line);
}

/* ---- stage de-duplication and pending requests ---- */

#define WATCH_SECRETS                                                                      \
	"{'auditID':'w-1','verb':'watch','user':{'username':'mallory'},"                      \
	"'objectRef':{'resource':'secrets','namespace':'prod'},'sourceIPs':['10.0.0.9'],"     \
	"'userAgent':'kubectl','stage':'%s'%s,'stageTimestamp':'%s'}"

START_TEST(three_stages_one_finding)
{
	const kag_result *res;
	const char *v;

	start();
	res = eval(WATCH_SECRETS, "RequestReceived", "", ts(0));
	ck_assert_uint_eq(kag_result_count(res), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEFERRED), 1);
	res = eval(WATCH_SECRETS, "ResponseStarted", ",'responseStatus':{'code':200}", ts(1));
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "secrets_access");
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "in_progress");
	expect(v, "event.stage", "ResponseStarted");
	res = eval(WATCH_SECRETS, "ResponseComplete", ",'responseStatus':{'code':200}", ts(300));
	ck_assert_uint_eq(kag_result_count(res), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 1);
	ck_assert_uint_eq(kag_result_count(flush()), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_EVENTS), 3);
	ck_assert_uint_eq(sstat(KAG_SSTAT_VERDICTS), 1);

	/* RequestReceived then ResponseComplete: judged once, at the end */
	res = eval("{'auditID':'g-1','verb':'get','user':{'username':'mallory'},"
		   "'objectRef':{'resource':'secrets','namespace':'prod'},"
		   "'stage':'RequestReceived','stageTimestamp':'%s'}", ts(400));
	ck_assert_uint_eq(kag_result_count(res), 0);
	res = eval("{'auditID':'g-1','verb':'get','user':{'username':'mallory'},"
		   "'objectRef':{'resource':'secrets','namespace':'prod'},'responseStatus':"
		   "{'code':200},'stage':'ResponseComplete','stageTimestamp':'%s'}", ts(401));
	ck_assert_uint_eq(kag_result_count(res), 1);
	expect(rjson(res, "secrets_access"), "outcome", "allowed");
	ck_assert_uint_eq(kag_result_count(flush()), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_VERDICTS), 2);
}
END_TEST

#define EXEC_STAGE                                                                         \
	"{'auditID':'%s','verb':'create','user':{'username':'carol'},'objectRef':"            \
	"{'resource':'pods','subresource':'exec','namespace':'prod','name':'web-1'},"          \
	"'stage':'%s'%s,'stageTimestamp':'%s'}"

START_TEST(exec_judged_at_response_started)
{
	const kag_result *res;
	const char *v;

	start();
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "x-1", "RequestReceived", "", ts(0))), 0);
	res = eval(EXEC_STAGE, "x-1", "ResponseStarted", ",'responseStatus':{'code':101}", ts(0));
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "interactive_access");
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "in_progress");
	expect(v, "event.auditID", "x-1");
	ck_assert_str_eq(kag_verdict_audit_id(kag_result_verdict(res, 0)), "x-1");
	res = eval(EXEC_STAGE, "x-1", "ResponseComplete", ",'responseStatus':{'code':101}", ts(95));
	ck_assert_uint_eq(kag_result_count(res), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 1);
	/* a repeated RequestReceived of a judged request is a duplicate too */
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "x-1", "RequestReceived", "", ts(96))), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 2);
	ck_assert_uint_eq(kag_result_count(flush()), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_VERDICTS), 1);
}
END_TEST

START_TEST(request_received_only_released_by_flush)
{
	const kag_result *res;
	const char *v;

	start();
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "r-1", "RequestReceived", "", ts(0))), 0);
	res = flush();
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "interactive_access");
	expect(v, "assessment", "needs_context");
	expect(v, "outcome", "unknown");
	expect(v, "event.stage", "RequestReceived");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "RequestReceived"));
	ck_assert_uint_eq(kag_result_count(flush()), 0);
	/* the later stage after a flush is a duplicate, not a second finding */
	res = eval(EXEC_STAGE, "r-1", "ResponseStarted", ",'responseStatus':{'code':101}", ts(1));
	ck_assert_uint_eq(kag_result_count(res), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 1);
}
END_TEST

START_TEST(request_received_only_released_by_expiry)
{
	const kag_result *res;

	start();
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "r-1", "RequestReceived", "", ts(100))), 0);
	/* 60 s later (twice the 30 s allowance) it still waits */
	res = eval(EXEC_STAGE, "r-2", "ResponseStarted", ",'responseStatus':{'code':101}", ts(160));
	ck_assert_uint_eq(kag_result_count(res), 1);
	expect(rjson(res, "interactive_access"), "event.auditID", "r-2");
	/* more than 60 s later it is released with the newer event's verdicts */
	res = eval(EXEC_STAGE, "r-3", "ResponseStarted", ",'responseStatus':{'code':101}", ts(161));
	ck_assert_uint_eq(kag_result_count(res), 2);
	ck_assert_str_eq(kag_verdict_audit_id(kag_result_verdict(res, 0)), "r-1");
	ck_assert_int_eq(kag_verdict_assessment(kag_result_verdict(res, 0)),
			 KAG_ASSESSMENT_NEEDS_CONTEXT);
	ck_assert_str_eq(kag_verdict_audit_id(kag_result_verdict(res, 1)), "r-3");
	ck_assert_int_eq(kag_verdict_assessment(kag_result_verdict(res, 1)), KAG_ASSESSMENT_SUSPICIOUS);
	ck_assert_uint_eq(kag_result_count(flush()), 0);
	/* its later stage, too late, is a duplicate */
	res = eval(EXEC_STAGE, "r-1", "ResponseComplete", ",'responseStatus':{'code':101}", ts(162));
	ck_assert_uint_eq(kag_result_count(res), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 1);
}
END_TEST

START_TEST(expiry_follows_late_allowance)
{
	const kag_result *res;

	ropt(KAG_ROPT_LATE_ALLOWANCE, 5);
	start();
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "r-1", "RequestReceived", "", ts(100))), 0);
	res = eval(EXEC_STAGE, "r-2", "ResponseStarted", ",'responseStatus':{'code':101}", ts(110));
	ck_assert_uint_eq(kag_result_count(res), 1);
	res = eval(EXEC_STAGE, "r-3", "ResponseStarted", ",'responseStatus':{'code':101}", ts(111));
	ck_assert_uint_eq(kag_result_count(res), 2);
	ck_assert_str_eq(kag_verdict_audit_id(kag_result_verdict(res, 0)), "r-1");
}
END_TEST

#define GET_SECRET                                                                         \
	"{'auditID':'%s','verb':'get','user':{'username':'mallory'},'objectRef':"             \
	"{'resource':'secrets','namespace':'prod','name':'db'},'responseStatus':{'code':200},"  \
	"'stage':'ResponseComplete','stageTimestamp':'%s'}"

START_TEST(dedup_capacity_eviction)
{
	ropt(KAG_ROPT_DEDUP_CAPACITY, 2);
	start();
	ck_assert_uint_eq(rcount(eval(GET_SECRET, "a", ts(0)), "secrets_access"), 1);
	ck_assert_uint_eq(rcount(eval(GET_SECRET, "b", ts(1)), "secrets_access"), 1);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEDUP_EVICTIONS), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEDUP_ENTRIES), 2);
	ck_assert_uint_eq(rcount(eval(GET_SECRET, "c", ts(2)), "secrets_access"), 1);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEDUP_EVICTIONS), 1);
	/* the table's gauges: full, at its capacity */
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEDUP_ENTRIES), 2);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEDUP_CAPACITY), 2);
	/* "a" was forgotten: its repeat is judged again */
	ck_assert_uint_eq(rcount(eval(GET_SECRET, "a", ts(3)), "secrets_access"), 1);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEDUP_EVICTIONS), 2);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 0);
	/* "c" is still remembered */
	ck_assert_uint_eq(kag_result_count(eval(GET_SECRET, "c", ts(4))), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 1);
}
END_TEST

START_TEST(dedup_eviction_releases_pending)
{
	const kag_result *res;

	ropt(KAG_ROPT_DEDUP_CAPACITY, 1);
	start();
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "p-1", "RequestReceived", "", ts(0))), 0);
	res = eval(GET_SECRET, "s-1", ts(1));
	ck_assert_uint_eq(kag_result_count(res), 2);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DEDUP_EVICTIONS), 1);
	expect(rjson(res, "interactive_access"), "assessment", "needs_context");
	expect(rjson(res, "interactive_access"), "event.auditID", "p-1");
	expect(rjson(res, "secrets_access"), "assessment", "suspicious");
	ck_assert_uint_eq(kag_result_count(flush()), 0);
}
END_TEST

START_TEST(pending_capacity_releases_oldest)
{
	const kag_result *res;

	ropt(KAG_ROPT_PENDING_CAPACITY, 1);
	start();
	ck_assert_uint_eq(sstat(KAG_SSTAT_PENDING_CAPACITY), 1);
	ck_assert_uint_eq(sstat(KAG_SSTAT_PENDING_ENTRIES), 0);
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "p-1", "RequestReceived", "", ts(0))), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_PENDING_ENTRIES), 1);
	res = eval(EXEC_STAGE, "p-2", "RequestReceived", "", ts(1));
	ck_assert_uint_eq(kag_result_count(res), 1);
	ck_assert_str_eq(kag_verdict_audit_id(kag_result_verdict(res, 0)), "p-1");
	/* p-1 gave up waiting: its later stage is a duplicate; p-2 is judged */
	ck_assert_uint_eq(kag_result_count(eval(EXEC_STAGE, "p-1", "ResponseStarted",
						",'responseStatus':{'code':101}", ts(2))), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_DUPLICATES), 1);
	res = eval(EXEC_STAGE, "p-2", "ResponseStarted", ",'responseStatus':{'code':101}", ts(2));
	ck_assert_uint_eq(kag_result_count(res), 1);
	expect(rjson(res, "interactive_access"), "assessment", "suspicious");
}
END_TEST

/* ---- rbac_probing windows ---- */

/* A denial by user from ip (the last of sourceIPs) on resource at time.
 * Only alerts are returned: a single denial of a resource not counted as
 * sensitive is an info verdict, left out here. */
static const kag_result *deny(const char *user, const char *ips, const char *resource, int sec)
{
	ck_assert_int_eq(kag_session_set_option_u64(S, KAG_SOPT_EMIT_BENIGN, 0), KAG_OK);
	return eval("{'auditID':'d-%d','verb':'list','user':{'username':'%s'},"
		    "'sourceIPs':[%s],'objectRef':{'resource':'%s','namespace':'prod'},"
		    "'responseStatus':{'code':403},'stage':'ResponseComplete',"
		    "'stageTimestamp':'%s'}",
		    next_id++, user, ips, resource, ts(sec));
}

START_TEST(probing_burst)
{
	const kag_result *res;
	const char *v;
	char want[64];

	ropt(KAG_ROPT_PROBE_THRESHOLD, 3);
	ropt(KAG_ROPT_PROBE_WINDOW, 60);
	start();
	/* configmaps, pods and nodes are not sensitive: no single verdicts */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "configmaps", 0)), 0);
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 10)), 0);
	res = deny("eve", "'10.1.1.1'", "nodes", 20);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "rbac_probing");
	expect(v, "assessment", "suspicious");
	expect(v, "outcome", "denied");
	expect(v, "severity", "high");
	expect(v, "correlation.count", "3");
	expect(v, "correlation.first", ts(0));
	expect(v, "correlation.last", ts(20));
	expect(v, "correlation.distinct", "[\"configmaps\",\"pods\",\"nodes\"]");
	expect(v, "attack", "[\"T1613\",\"T1069.003\"]");
	ck_assert_uint_eq(kag_verdict_correlation_count(kag_result_verdict(res, 0)), 3);
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "eve from 10.1.1.1"));

	/* further denials in the window add nothing, even a sensitive one */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "configmaps", 30)), 0);
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "secrets", 60)), 0);

	/* just past the window (0 + 60 s): a new window */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 61)), 0);
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 62)), 0);
	res = deny("eve", "'10.1.1.1'", "pods", 63);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "rbac_probing");
	expect(v, "correlation.count", "3");
	expect(v, "correlation.first", ts(61));
	expect(v, "correlation.last", ts(63));
	expect(v, "correlation.distinct", "[\"pods\"]");
	expect(v, "severity", "medium");
	snprintf(want, sizeof(want), "3 denied requests by eve");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), want));
}
END_TEST

START_TEST(probing_single_denials)
{
	const kag_result *res;
	const char *v;

	ropt(KAG_ROPT_PROBE_THRESHOLD, 3);
	start();
	/* a sensitive denial below the threshold: one low denied attempt */
	res = deny("eve", "'10.1.1.1'", "secrets", 0);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "rbac_probing");
	expect(v, "severity", "low");
	expect(v, "attack", "[\"T1552.007\"]");
	ck_assert_ptr_null(tu_json_get(v, "correlation"));
	res = deny("eve", "'10.1.1.1'", "clusterroles", 1);
	expect(rjson(res, "rbac_probing"), "attack", "[\"T1613\"]");
	/* the third is the burst, not another single */
	res = deny("eve", "'10.1.1.1'", "secrets", 2);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "rbac_probing");
	expect(v, "correlation.count", "3");
	expect(v, "correlation.distinct", "[\"secrets\",\"clusterroles\"]");
}
END_TEST

START_TEST(probing_late_events)
{
	const kag_result *res;
	const char *v;

	ropt(KAG_ROPT_PROBE_THRESHOLD, 4);
	ropt(KAG_ROPT_PROBE_WINDOW, 60);
	start();
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 100)), 0);
	/* 25 s older than the window start: within the 30 s allowance, counted */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "nodes", 75)), 0);
	/* far older: not counted */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "configmaps", 40)), 0);
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 110)), 0);
	res = deny("eve", "'10.1.1.1'", "pods", 120);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "rbac_probing");
	expect(v, "correlation.count", "4");
	expect(v, "correlation.first", ts(75));
	expect(v, "correlation.last", ts(120));
	expect(v, "correlation.distinct", "[\"pods\",\"nodes\"]");
}
END_TEST

/* Lateness is measured against the newest denial seen, so accepting one
 * late event does not stretch the allowance for the next. */
START_TEST(probing_late_allowance_does_not_chain)
{
	const kag_result *res;
	const char *v;

	ropt(KAG_ROPT_PROBE_THRESHOLD, 3);
	ropt(KAG_ROPT_PROBE_WINDOW, 60);
	start();
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 100)), 0);
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 71)), 0);
	/* 31 s older than the newest (100): too late, though within 30 s of 71 */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.1.1.1'", "pods", 69)), 0);
	res = deny("eve", "'10.1.1.1'", "pods", 101);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "rbac_probing");
	expect(v, "correlation.count", "3");
	expect(v, "correlation.first", ts(71));
	expect(v, "correlation.last", ts(101));
}
END_TEST

START_TEST(probing_principals)
{
	const kag_result *res;
	const char *v;

	ropt(KAG_ROPT_PROBE_THRESHOLD, 3);
	start();
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.0.0.1'", "pods", 0)), 0);
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.0.0.1'", "pods", 1)), 0);
	/* same user, another address: another principal */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.0.0.2'", "pods", 2)), 0);
	/* another user, same address: another principal */
	ck_assert_uint_eq(kag_result_count(deny("frank", "'10.0.0.1'", "pods", 3)), 0);
	/* keyed on the LAST sourceIP: the proxy chain ends at 10.0.0.1 */
	res = deny("eve", "'203.0.113.9','10.0.0.1'", "pods", 4);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "rbac_probing");
	expect(v, "correlation.count", "3");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "eve from 10.0.0.1"));
	/* the first address of a chain is not the key */
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.0.0.2','203.0.113.9'", "pods", 5)), 0);
	ck_assert_uint_eq(kag_result_count(deny("eve", "'10.0.0.2'", "pods", 6)), 0);
	res = deny("eve", "'10.0.0.2'", "pods", 7);
	ck_assert_uint_eq(rcount(res, "rbac_probing"), 1);
	ck_assert_uint_eq(sstat(KAG_SSTAT_PRINCIPAL_EVICTIONS), 0);
}
END_TEST

START_TEST(probing_principal_eviction)
{
	ropt(KAG_ROPT_PROBE_THRESHOLD, 2);
	ropt(KAG_ROPT_PRINCIPAL_CAPACITY, 2);
	start();
	ck_assert_uint_eq(kag_result_count(deny("u1", "'10.0.0.1'", "pods", 0)), 0);
	ck_assert_uint_eq(kag_result_count(deny("u2", "'10.0.0.1'", "pods", 1)), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_PRINCIPAL_EVICTIONS), 0);
	ck_assert_uint_eq(kag_result_count(deny("u3", "'10.0.0.1'", "pods", 2)), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_PRINCIPAL_EVICTIONS), 1);
	/* the probing table full (no other detector holds these principals:
	 * entries are summed over detectors, capacities too) */
	ck_assert_uint_eq(sstat(KAG_SSTAT_PRINCIPAL_ENTRIES), 2);
	ck_assert_uint_ge(sstat(KAG_SSTAT_PRINCIPAL_CAPACITY), 2);
	/* u1 was forgotten: its second denial starts over */
	ck_assert_uint_eq(kag_result_count(deny("u1", "'10.0.0.1'", "pods", 3)), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_PRINCIPAL_EVICTIONS), 2);
	ck_assert_uint_eq(rcount(deny("u1", "'10.0.0.1'", "pods", 4), "rbac_probing"), 1);
	/* u3 is still tracked */
	ck_assert_uint_eq(rcount(deny("u3", "'10.0.0.1'", "pods", 5), "rbac_probing"), 1);
	ck_assert_uint_eq(sstat(KAG_SSTAT_PRINCIPAL_EVICTIONS), 2);
}
END_TEST

/* ---- options ---- */

#define LEASE                                                                              \
	"{'auditID':'%s','verb':'update','user':{'username':'system:kube-scheduler'},"        \
	"'objectRef':{'resource':'leases','namespace':'kube-system'},"                        \
	"'responseStatus':{'code':200},'stage':'ResponseComplete','stageTimestamp':'%s'}"

/* The same lease with no response status: its outcome is unknown. */
#define LEASE_NO_STATUS                                                                    \
	"{'auditID':'%s','verb':'update','user':{'username':'system:kube-scheduler'},"        \
	"'objectRef':{'resource':'leases','namespace':'kube-system'},"                        \
	"'stage':'ResponseComplete','stageTimestamp':'%s'}"

START_TEST(emit_benign_off)
{
	const kag_result *res;

	start();
	ck_assert_int_eq(kag_session_set_option_u64(S, KAG_SOPT_EMIT_BENIGN, 2), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_option_u64(S, 99, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_option_u64(NULL, KAG_SOPT_EMIT_BENIGN, 0), KAG_EINVAL);
	res = eval(LEASE, "l-1", ts(0));
	ck_assert_uint_eq(rcount(res, "controller_baseline"), 1);
	ck_assert_int_eq(kag_verdict_assessment(kag_result_verdict(res, 0)), KAG_ASSESSMENT_BENIGN);
	res = eval(LEASE_NO_STATUS, "l-1b", ts(0));
	ck_assert_uint_eq(rcount(res, "controller_baseline"), 1);
	ck_assert_int_eq(kag_verdict_assessment(kag_result_verdict(res, 0)),
			 KAG_ASSESSMENT_NEEDS_CONTEXT);
	ck_assert_int_eq(kag_verdict_severity(kag_result_verdict(res, 0)), KAG_SEVERITY_INFO);
	ck_assert_uint_eq(sstat(KAG_SSTAT_SUPPRESSED), 0);
	ck_assert_int_eq(kag_session_set_option_u64(S, KAG_SOPT_EMIT_BENIGN, 0), KAG_OK);
	res = eval(LEASE, "l-2", ts(1));
	ck_assert_uint_eq(kag_result_count(res), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_SUPPRESSED), 1);
	/* an info-severity needs_context verdict is left out too */
	res = eval(LEASE_NO_STATUS, "l-2b", ts(1));
	ck_assert_uint_eq(kag_result_count(res), 0);
	ck_assert_uint_eq(sstat(KAG_SSTAT_SUPPRESSED), 2);
	/* suspicious verdicts still come out */
	res = eval(GET_SECRET, "s-1", ts(2));
	ck_assert_uint_eq(rcount(res, "secrets_access"), 1);
	ck_assert_uint_eq(sstat(KAG_SSTAT_SUPPRESSED), 2);
	ck_assert_uint_eq(sstat(KAG_SSTAT_VERDICTS), 3);
	ck_assert_uint_eq(sstat(KAG_SSTAT_EVENTS), 5);
	ck_assert_uint_eq(sstat(999), 0);
}
END_TEST

/* ---- caller detectors ---- */

typedef struct {
	int calls;
	int last_outcome;
	int report;
	int fail;
} probe_data;

static int custom_cb(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	probe_data *d = user_data;
	const char *ua;
	size_t len;

	d->calls++;
	d->last_outcome = outcome;
	if (d->fail)
		return d->fail;
	if (!d->report)
		return KAG_OK;
	if (kag_event_get_string(&ua, &len, ev, KAG_FIELD_USER_AGENT) == KAG_OK && len >= 4 &&
	    memcmp(ua, "curl", 4) == 0) {
		ck_assert_int_eq(kag_finding_add_attack(f, "T1204"), KAG_OK);
		return kag_finding_report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_HIGH,
					  KAG_CONFIDENCE_MEDIUM, "curl talked to the API server");
	}
	return kag_finding_report(f, KAG_ASSESSMENT_BENIGN, KAG_SEVERITY_INFO,
				  KAG_CONFIDENCE_HIGH, "not curl");
}

#define CM_GET                                                                             \
	"{'auditID':'%s','verb':'get','user':{'username':'gina'},'objectRef':"                \
	"{'resource':'configmaps','namespace':'prod'},'responseStatus':{'code':200},"          \
	"'stage':'ResponseComplete'%s}"

START_TEST(caller_detector)
{
	static const int decisive[] = { KAG_FIELD_USER_AGENT };
	probe_data d = { 0, -1, 1, 0 };
	const kag_result *res;
	const char *v;

	ck_assert_int_eq(kag_registry_add_detector(R, "curl_client", "curl clients", decisive, 1,
						   KAG_LEVEL_METADATA, custom_cb, &d), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(R, "curl_client", "again", decisive, 1,
						   KAG_LEVEL_METADATA, custom_cb, &d), KAG_EINVAL);
	start();
	ck_assert_int_eq(kag_registry_add_detector(R, "late", "late", NULL, 0, KAG_LEVEL_METADATA,
						   custom_cb, &d), KAG_ESTATE);

	res = eval(CM_GET, "c-1", ",'userAgent':'curl/8.5.0'");
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.last_outcome, KAG_OUTCOME_ALLOWED);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "curl_client");
	expect(v, "assessment", "suspicious");
	expect(v, "severity", "high");
	expect(v, "confidence", "medium");
	expect(v, "attack", "[\"T1204\"]");
	expect(v, "reason", "curl talked to the API server");
	expect(v, "evidence.userAgent", "curl/8.5.0");

	res = eval(CM_GET, "c-2", ",'userAgent':'kubectl/v1.30.0'");
	expect(rjson(res, "curl_client"), "assessment", "benign");

	/* the decisive field is absent: needs_context whatever was reported */
	res = eval(CM_GET, "c-3", "");
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "curl_client");
	expect(v, "assessment", "needs_context");
	expect(v, "severity", "low");
	expect(v, "confidence", "low");
	expect(v, "attack", "[]");
	expect(v, "missing", "[\"userAgent\"]");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "userAgent"));
	/* a placeholder counts as absent */
	res = eval(CM_GET, "c-4", ",'userAgent':'-'");
	expect(rjson(res, "curl_client"), "assessment", "needs_context");

	/* not reporting: no verdict */
	d.report = 0;
	res = eval(CM_GET, "c-5", ",'userAgent':'curl/8.5.0'");
	ck_assert_uint_eq(kag_result_count(res), 0);

	/* a callback that fails aborts the evaluation */
	d.fail = 7;
	ck_assert_int_eq(kag_parser_reset(P), KAG_OK);
	{
		const char *ev_json = "{\"auditID\":\"c-6\",\"verb\":\"get\",\"userAgent\":\"curl\","
				      "\"responseStatus\":{\"code\":403}}";
		const kag_event *ev;

		ck_assert_int_eq(kag_parser_feed(P, ev_json, strlen(ev_json)), KAG_OK);
		ck_assert_int_eq(kag_parser_finish(P), KAG_OK);
		ck_assert_int_eq(kag_parser_next(&ev, P), KAG_OK);
		ck_assert_int_eq(kag_session_evaluate(&res, S, ev), KAG_EUSER);
		ck_assert_int_eq(d.last_outcome, KAG_OUTCOME_DENIED);
	}
	d.fail = -1;
	ck_assert_int_eq(kag_session_evaluate(&res, S, NULL), KAG_EINVAL);
	ck_assert_int_eq(d.calls, 6);
	/* the session goes on after an aborted call */
	d.fail = 0;
	d.report = 1;
	res = eval(CM_GET, "c-7", ",'userAgent':'curl/8.5.0'");
	expect(rjson(res, "curl_client"), "assessment", "suspicious");
}
END_TEST

START_TEST(caller_detector_disabled_builtins)
{
	probe_data d = { 0, -1, 1, 0 };

	ck_assert_int_eq(kag_registry_add_detector(R, "curl_client", NULL, NULL, 0,
						   KAG_LEVEL_METADATA, custom_cb, &d), KAG_OK);
	ck_assert_int_eq(kag_registry_disable(R, "controller_baseline"), KAG_OK);
	ck_assert_int_eq(kag_registry_disable(R, "no_such"), KAG_ENOTFOUND);
	start();
	ck_assert_int_eq(kag_registry_disable(R, "curl_client"), KAG_ESTATE);
	/* baseline disabled: the lease update yields only the caller's verdict */
	ck_assert_uint_eq(kag_result_count(eval(LEASE, "l-1", ts(0))), 1);
	ck_assert_int_eq(d.calls, 1);
}
END_TEST

/* ---- redaction ---- */

static void judge_all(const kag_result *res, char *out, size_t size)
{
	size_t i, n = 0, len;

	out[0] = '\0';
	for (i = 0; i < kag_result_count(res); i++) {
		const char *j = kag_verdict_json(kag_result_verdict(res, i), &len);

		ck_assert_uint_lt(n + len + 2, size);
		memcpy(out + n, j, len);
		n += len;
		out[n++] = '\n';
		out[n] = '\0';
	}
}

#define SECRET_RR                                                                          \
	"{'auditID':'%s','level':'RequestResponse','verb':'get','user':{'username':'mallory'}," \
	"'objectRef':{'resource':'secrets','namespace':'prod','name':'db'},"                   \
	"'responseStatus':{'code':200},'stage':'ResponseComplete',"                           \
	"'responseObject':{'kind':'Secret','apiVersion':'v1','metadata':{'name':'db',"         \
	"'annotations':{'kubectl.kubernetes.io/last-applied-configuration':"                  \
	"'{\\'data\\':{\\'password\\':\\'TEAST-LAC-VALUE\\'}}'}},"                              \
	"'data':{'password':'U0VDUkVULURBVEE='},'stringData':{'user':'SECRET-STRINGDATA'},"     \
	"'type':'Opaque'}}"

START_TEST(redaction_default_no_bodies)
{
	char out[32768];
	const kag_result *res;

	start();
	res = eval(SECRET_RR, "b-1");
	ck_assert_uint_eq(rcount(res, "secrets_access"), 1);
	judge_all(res, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "responseObject"));
	ck_assert_ptr_null(strstr(out, "requestObject"));
	ck_assert_ptr_null(strstr(out, "U0VDUkVULURBVEE="));
	ck_assert_ptr_null(strstr(out, "SECRET-STRINGDATA"));
	ck_assert_ptr_null(strstr(out, "LAC-VALUE"));
}
END_TEST

START_TEST(redaction_bodies_opt_in)
{
	char out[32768];
	const kag_result *res;
	const char *v;

	start();
	ck_assert_int_eq(kag_session_set_option_u64(S, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
	res = eval(SECRET_RR, "b-1");
	judge_all(res, out, sizeof(out));
	v = rjson(res, "secrets_access");
	expect(v, "evidence.responseObject.kind", "Secret");
	expect(v, "evidence.responseObject.metadata.name", "db");
	expect(v, "evidence.responseObject.type", "Opaque");
	expect(v, "evidence.responseObject.data", "{\"password\":\"<redacted>\"}");
	expect(v, "evidence.responseObject.stringData", "{\"user\":\"<redacted>\"}");
	expect(v, "evidence.responseObject.metadata.annotations",
	       "{\"kubectl.kubernetes.io/last-applied-configuration\":\"<redacted>\"}");
	ck_assert_ptr_null(strstr(out, "U0VDUkVULURBVEE="));
	ck_assert_ptr_null(strstr(out, "SECRET-STRINGDATA"));
	ck_assert_ptr_null(strstr(out, "LAC-VALUE"));
}
END_TEST

/* A SecretList's items carry no kind; a patch body carries no kind either:
 * the objectRef says they are secrets. */
START_TEST(redaction_secret_list_and_patch)
{
	static const int none[1] = { 0 };
	probe_data d = { 0, -1, 1, 0 };
	char out[32768];
	const kag_result *res;
	const char *v;

	ck_assert_int_eq(kag_registry_add_detector(R, "any", NULL, none, 0, KAG_LEVEL_METADATA,
						   custom_cb, &d), KAG_OK);
	start();
	ck_assert_int_eq(kag_session_set_option_u64(S, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
	res = eval("{'auditID':'l-1','level':'RequestResponse','verb':'list','user':"
		   "{'username':'mallory'},'objectRef':{'resource':'secrets','namespace':'prod'},"
		   "'responseStatus':{'code':200},'stage':'ResponseComplete','responseObject':"
		   "{'kind':'SecretList','apiVersion':'v1','metadata':{'resourceVersion':'9'},"
		   "'items':[{'metadata':{'name':'a'},'data':{'k':'TEAST-ITEM-ONE'},'type':'Opaque'},"
		   "{'metadata':{'name':'b'},'stringData':{'k':'TEAST-ITEM-TWO'}}]}}");
	judge_all(res, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "TEAST-ITEM-ONE"));
	ck_assert_ptr_null(strstr(out, "TEAST-ITEM-TWO"));
	v = rjson(res, "secrets_access");
	expect(v, "evidence.responseObject.kind", "SecretList");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "evidence.responseObject.items"),
				     "{\"k\":\"<redacted>\"}"));

	res = eval("{'auditID':'p-1','level':'Request','verb':'patch','user':"
		   "{'username':'mallory'},'objectRef':{'resource':'secrets','namespace':'prod',"
		   "'name':'db'},'responseStatus':{'code':200},'stage':'ResponseComplete',"
		   "'requestObject':{'data':{'password':'TEAST-PATCH-VALUE'}}}");
	judge_all(res, out, sizeof(out));
	ck_assert_uint_eq(rcount(res, "any"), 1);
	ck_assert_ptr_null(strstr(out, "TEAST-PATCH-VALUE"));
	expect(rjson(res, "any"), "evidence.requestObject.data", "{\"password\":\"<redacted>\"}");

	/* a JSON patch on a secret: every value replaced, the paths kept */
	res = eval("{'auditID':'p-2','level':'Request','verb':'patch','user':"
		   "{'username':'mallory'},'objectRef':{'resource':'secrets','namespace':'prod',"
		   "'name':'db'},'responseStatus':{'code':200},'stage':'ResponseComplete',"
		   "'requestObject':[{'op':'replace','path':'/data/password',"
		   "'value':'TEAST-JSONPATCH'},{'op':'remove','path':'/data/old'}]}");
	judge_all(res, out, sizeof(out));
	ck_assert_ptr_null(strstr(out, "TEAST-JSONPATCH"));
	expect(rjson(res, "any"), "evidence.requestObject",
	       "[{\"op\":\"replace\",\"path\":\"/data/password\",\"value\":\"<redacted>\"},"
	       "{\"op\":\"remove\",\"path\":\"/data/old\"}]");

	/* other resources keep their data */
	res = eval("{'auditID':'c-1','level':'Request','verb':'create','user':"
		   "{'username':'mallory'},'objectRef':{'resource':'configmaps','namespace':'prod'},"
		   "'responseStatus':{'code':201},'stage':'ResponseComplete',"
		   "'requestObject':{'kind':'ConfigMap','data':{'color':'blue'}}}");
	expect(rjson(res, "any"), "evidence.requestObject.data", "{\"color\":\"blue\"}");
}
END_TEST

START_TEST(redaction_request_uri_and_annotations)
{
	char out[32768];
	const kag_result *res;
	const char *v;

	start();
	res = eval("{'auditID':'u-1','verb':'get','user':{'username':'dave'},'impersonatedUser':"
		   "{'username':'eve'},'requestURI':'/apis/metrics?token=TEAST-TOKEN&watch=1',"
		   "'responseStatus':{'code':200},'stage':'ResponseComplete','annotations':"
		   "{'kubectl.kubernetes.io/last-applied-configuration':'TEAST-LAC',"
		   "'authorization.k8s.io/decision':'allow'}}");
	judge_all(res, out, sizeof(out));
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = rjson(res, "impersonation");
	expect(v, "evidence.requestURI", "/apis/metrics?token=<redacted>&watch=1");
	expect(v, "evidence.annotations", "{\"authorization.k8s.io/decision\":\"allow\"}");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "/apis/metrics"));
	ck_assert_ptr_null(strstr(out, "TEAST-TOKEN"));
	ck_assert_ptr_null(strstr(out, "TEAST-LAC"));
	ck_assert_ptr_null(strstr(out, "last-applied-configuration"));

	/* the baseline reason names the path, never the query */
	res = eval("{'auditID':'u-2','verb':'get','user':{'username':'system:kube-scheduler'},"
		   "'requestURI':'/healthz?access_token=TEAST-TOKEN2','responseStatus':{'code':200},"
		   "'stage':'ResponseComplete'}");
	judge_all(res, out, sizeof(out));
	v = rjson(res, "controller_baseline");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "/healthz"));
	expect(v, "evidence.requestURI", "/healthz?access_token=<redacted>");
	ck_assert_ptr_null(strstr(out, "TEAST-TOKEN2"));
}
END_TEST

START_TEST(session_api)
{
	kag_session *s2;
	kag_registry *r2;
	const kag_result *res;

	ck_assert_int_eq(kag_session_new(&s2, R), KAG_ESTATE);
	ck_assert_ptr_null(s2);
	ck_assert_int_eq(kag_session_new(&s2, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_session_new(NULL, R), KAG_EINVAL);
	start();
	ck_assert_int_eq(kag_session_flush(NULL, S), KAG_EINVAL);
	ck_assert_int_eq(kag_session_flush(&res, NULL), KAG_EINVAL);
	ck_assert_uint_eq(kag_session_stat(NULL, KAG_SSTAT_EVENTS), 0);
	ck_assert_uint_eq(kag_result_count(NULL), 0);
	ck_assert_ptr_null(kag_result_verdict(flush(), 0));
	ck_assert_int_eq(kag_registry_set_option_u64(R, KAG_ROPT_PROBE_THRESHOLD, 5), KAG_ESTATE);
	/* the session keeps the registry alive */
	ck_assert_int_eq(kag_registry_new(&r2), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r2), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s2, r2), KAG_OK);
	kag_registry_free(r2);
	kag_session_free(s2);
	kag_session_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("session");
	TCase *dedup = tcase_create("dedup");
	TCase *probe = tcase_create("probing");
	TCase *opts = tcase_create("options");
	TCase *redact = tcase_create("redaction");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(dedup, setup, teardown);
	tcase_add_checked_fixture(probe, setup, teardown);
	tcase_add_checked_fixture(opts, setup, teardown);
	tcase_add_checked_fixture(redact, setup, teardown);
	tcase_add_test(dedup, three_stages_one_finding);
	tcase_add_test(dedup, exec_judged_at_response_started);
	tcase_add_test(dedup, request_received_only_released_by_flush);
	tcase_add_test(dedup, request_received_only_released_by_expiry);
	tcase_add_test(dedup, expiry_follows_late_allowance);
	tcase_add_test(dedup, dedup_capacity_eviction);
	tcase_add_test(dedup, dedup_eviction_releases_pending);
	tcase_add_test(dedup, pending_capacity_releases_oldest);
	tcase_add_test(probe, probing_burst);
	tcase_add_test(probe, probing_single_denials);
	tcase_add_test(probe, probing_late_events);
	tcase_add_test(probe, probing_late_allowance_does_not_chain);
	tcase_add_test(probe, probing_principals);
	tcase_add_test(probe, probing_principal_eviction);
	tcase_add_test(opts, emit_benign_off);
	tcase_add_test(opts, caller_detector);
	tcase_add_test(opts, caller_detector_disabled_builtins);
	tcase_add_test(opts, session_api);
	tcase_add_test(redact, redaction_default_no_bodies);
	tcase_add_test(redact, redaction_bodies_opt_in);
	tcase_add_test(redact, redaction_secret_list_and_patch);
	tcase_add_test(redact, redaction_request_uri_and_annotations);
	suite_add_tcase(s, dedup);
	suite_add_tcase(s, probe);
	suite_add_tcase(s, opts);
	suite_add_tcase(s, redact);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
