/* Handle lifecycles: free(NULL), freeing in every order, sealing, NULL
 * arguments, unknown options, and how long borrowed things stay valid.
 * Run under the address sanitizer, a use after free here is a failure. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static const char exec_json[] =
	"{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\","
	"\"namespace\":\"prod\",\"name\":\"api-7f9\"},\"user\":{\"username\":\"alice@example.com\"},"
	"\"sourceIPs\":[\"203.0.113.10\"],\"responseStatus\":{\"code\":101},\"stage\":\"ResponseStarted\"}\n";

static kag_registry *sealed_registry(void)
{
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	return r;
}

static kag_parser *parser_of(const char *json)
{
	kag_parser *p;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, json, strlen(json)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	return p;
}

/* Evaluate the exec event and check the interactive_access verdict. */
static const kag_verdict *judge_exec(kag_session *s, const kag_event *ev)
{
	const kag_result *res;
	size_t i;

	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
	for (i = 0; i < kag_result_count(res); i++) {
		const kag_verdict *v = kag_result_verdict(res, i);

		if (strcmp(kag_verdict_detector(v), "interactive_access") == 0)
			return v;
	}
	ck_abort_msg("no interactive_access verdict");
	return NULL;
}

static void check_exec_verdict(const kag_verdict *v)
{
	size_t len;
	const char *json = kag_verdict_json(v, &len);

	ck_assert_str_eq(kag_verdict_detector(v), "interactive_access");
	ck_assert_int_eq(kag_verdict_assessment(v), KAG_ASSESSMENT_SUSPICIOUS);
	ck_assert_int_eq(kag_verdict_outcome(v), KAG_OUTCOME_IN_PROGRESS);
	ck_assert_uint_eq(strlen(json), len);
	ck_assert_str_eq(tu_json_get(json, "evidence.user.username"), "alice@example.com");
	ck_assert_ptr_nonnull(kag_verdict_reason(v));
	ck_assert_ptr_nonnull(kag_verdict_evidence_json(v, &len));
}

START_TEST(free_null)
{
	ck_assert_int_eq(kag_event_free(NULL), KAG_OK);
	kag_parser_free(NULL);
	kag_registry_free(NULL);
	kag_session_free(NULL);
	kag_gate_free(NULL);
}
END_TEST

/* A parser's event is borrowed: freeing it is refused with KAG_EINVAL and
 * changes nothing, so the event stays readable and the parser goes on (a
 * double free or a use after free here fails under the address sanitizer).
 * The cast is the caller's mistake this guards against. */
START_TEST(free_borrowed_event_refused)
{
	static const char in[] =
		"{\"verb\":\"get\",\"user\":{\"username\":\"first\"},\"requestObject\":{\"a\":1}}\n"
		"{\"verb\":\"list\",\"user\":{\"username\":\"second\"}}\n";
	kag_parser *p = parser_of(in);
	const kag_event *ev;
	kag_event *built;
	const char *user;
	size_t len;

	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_free((kag_event *)ev), KAG_EINVAL);
	ck_assert_int_eq(kag_event_free((kag_event *)ev), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_string(&user, &len, ev, KAG_FIELD_USER_USERNAME), KAG_OK);
	ck_assert(len == 5 && memcmp(user, "first", 5) == 0);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_REQUEST_OBJECT), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&user, &len, ev, KAG_FIELD_USER_USERNAME), KAG_OK);
	ck_assert(len == 6 && memcmp(user, "second", 6) == 0);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 2);
	/* after a reset the event is still the parser's */
	ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, in, sizeof(in) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_free((kag_event *)ev), KAG_EINVAL);
	kag_parser_free(p);
	/* an event of the caller's own is freed */
	ck_assert_int_eq(kag_event_new(&built), KAG_OK);
	ck_assert_int_eq(kag_event_free(built), KAG_OK);
}
END_TEST

START_TEST(registry_freed_before_sessions)
{
	kag_registry *r = sealed_registry();
	kag_session *s1, *s2;
	kag_parser *p = parser_of(exec_json);
	const kag_event *ev;
	const kag_result *res;

	ck_assert_int_eq(kag_session_new(&s1, r), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s2, r), KAG_OK);
	kag_registry_free(r);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	/* detector ids are borrowed from the registry the sessions keep */
	check_exec_verdict(judge_exec(s1, ev));
	kag_session_free(s1);
	check_exec_verdict(judge_exec(s2, ev));
	ck_assert_int_eq(kag_session_flush(&res, s2), KAG_OK);
	kag_session_free(s2);
	kag_parser_free(p);
}
END_TEST

START_TEST(registry_freed_after_sessions)
{
	kag_registry *r = sealed_registry();
	kag_session *s;
	kag_parser *p = parser_of(exec_json);
	const kag_event *ev;

	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	check_exec_verdict(judge_exec(s, ev));
	kag_session_free(s);
	/* the registry is still the caller's */
	ck_assert_uint_ge(kag_registry_count(r), 5);
	ck_assert_str_eq(kag_registry_detector_id(r, 0), "controller_baseline");
	kag_registry_free(r);
	kag_parser_free(p);
}
END_TEST

START_TEST(verdicts_outlive_parser_and_event)
{
	kag_registry *r = sealed_registry();
	kag_session *s;
	kag_parser *p = parser_of(exec_json);
	const kag_event *ev;
	kag_event *built;
	const kag_verdict *v;

	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	kag_registry_free(r);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	v = judge_exec(s, ev);
	/* verdicts belong to the session: the parser and its event may go */
	kag_parser_free(p);
	check_exec_verdict(v);

	ck_assert_int_eq(kag_event_new(&built), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(built, KAG_FIELD_VERB, "create", 6, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(built, KAG_FIELD_OBJ_RESOURCE, "pods", 4, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(built, KAG_FIELD_OBJ_SUBRESOURCE, "exec", 4, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(built, KAG_FIELD_USER_USERNAME, "alice@example.com", 17,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_int(built, KAG_FIELD_RESPONSE_CODE, 101, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(built, KAG_FIELD_STAGE, "ResponseStarted", 15,
					      KAG_STATE_OBSERVED), KAG_OK);
	v = judge_exec(s, built);
	kag_event_free(built);
	check_exec_verdict(v);
	ck_assert_str_eq(kag_verdict_source(v), "");
	kag_session_free(s);
}
END_TEST

START_TEST(session_freed_before_parser)
{
	kag_registry *r = sealed_registry();
	kag_session *s;
	kag_parser *p = parser_of(exec_json);
	const kag_event *ev;
	const char *verb;
	size_t len;

	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	check_exec_verdict(judge_exec(s, ev));
	kag_session_free(s);
	kag_registry_free(r);
	/* the event is the parser's and still readable */
	ck_assert_int_eq(kag_event_get_string(&verb, &len, ev, KAG_FIELD_VERB), KAG_OK);
	ck_assert_uint_eq(len, 6);
	ck_assert(memcmp(verb, "create", 6) == 0);
	kag_parser_free(p);
}
END_TEST

START_TEST(gate_outlives_registry)
{
	kag_registry *r;
	kag_parser *p = parser_of("{\"verb\":\"get\",\"objectRef\":{\"resource\":\"secrets\","
				  "\"namespace\":\"prod\"},\"stage\":\"ResponseComplete\","
				  "\"responseStatus\":{\"code\":200}}\n");
	const kag_event *ev;
	kag_gate *g, *g2;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g, r, "secrets_access", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g2, NULL, NULL, ev), KAG_OK);
	kag_registry_free(r);
	kag_parser_free(p);
	/* the gate owns what it reports */
	ck_assert_int_eq(kag_gate_passed(g), 0);
	ck_assert_uint_eq(kag_gate_missing_count(g), 1);
	ck_assert_int_eq(kag_gate_missing_field(g, 0), KAG_FIELD_USER_USERNAME);
	ck_assert_ptr_nonnull(strstr(kag_gate_reason(g), "user.username"));
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_ALLOWED);
	ck_assert_int_eq(kag_gate_passed(g2), 1);
	ck_assert_str_eq(kag_gate_reason(g2), "");
	kag_gate_free(g);
	kag_gate_free(g2);
}
END_TEST

START_TEST(seal_rules)
{
	kag_registry *r;
	kag_session *s = (kag_session *)1;
	size_t idx;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_is_sealed(r), 0);
	/* sessions need a sealed registry */
	ck_assert_int_eq(kag_session_new(&s, r), KAG_ESTATE);
	ck_assert_ptr_null(s);
	/* configuring before the seal is fine */
	ck_assert_int_eq(kag_registry_disable(r, "secrets_access"), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_PROBE_THRESHOLD, 3), KAG_OK);
	ck_assert_int_eq(kag_registry_find(&idx, r, "secrets_access"), KAG_OK);
	ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 0);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(kag_registry_is_sealed(r), 1);
	/* and refused after it, leaving the registry as it was */
	ck_assert_int_eq(kag_registry_enable(r, "secrets_access"), KAG_ESTATE);
	ck_assert_int_eq(kag_registry_disable(r, "interactive_access"), KAG_ESTATE);
	ck_assert_int_eq(kag_registry_enable(r, "no_such_detector"), KAG_ESTATE);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_PROBE_THRESHOLD, 5), KAG_ESTATE);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_DEDUP_CAPACITY, 16), KAG_ESTATE);
	ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 0);
	ck_assert_int_eq(kag_registry_find(&idx, r, "interactive_access"), KAG_OK);
	ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 1);
	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	kag_session_free(s);
	kag_registry_free(r);
}
END_TEST

static int noop_cb(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	(void)f;
	(void)ev;
	(void)outcome;
	(void)user_data;
	return 0;
}

START_TEST(add_detector_after_seal)
{
	kag_registry *r;
	static const int decisive[] = { KAG_FIELD_VERB };
	size_t n;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	n = kag_registry_count(r);
	ck_assert_int_eq(kag_registry_add_detector(r, "mine", "Mine", decisive, 1, KAG_LEVEL_METADATA,
						   noop_cb, NULL), KAG_OK);
	ck_assert_uint_eq(kag_registry_count(r), n + 1);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(r, "mine2", "Mine", decisive, 1, KAG_LEVEL_METADATA,
						   noop_cb, NULL), KAG_ESTATE);
	ck_assert_uint_eq(kag_registry_count(r), n + 1);
	kag_registry_free(r);
}
END_TEST

START_TEST(bad_detector_definitions)
{
	kag_registry *r;
	static const int decisive[] = { KAG_FIELD_VERB };
	const int bad_field[] = { (int)kag_field_count() };
	size_t idx;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(r, "mine", NULL, NULL, 0, KAG_LEVEL_UNKNOWN,
						   noop_cb, NULL), KAG_OK);
	/* duplicate ids, built-in or not */
	ck_assert_int_eq(kag_registry_add_detector(r, "mine", NULL, NULL, 0, 0, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, "interactive_access", NULL, NULL, 0, 0, noop_cb, NULL),
			 KAG_EINVAL);
	/* bad ids, fields, levels, callbacks */
	ck_assert_int_eq(kag_registry_add_detector(r, "", NULL, NULL, 0, 0, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, "has space", NULL, NULL, 0, 0, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, "x", NULL, bad_field, 1, 0, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, "x", NULL, NULL, 1, 0, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, "x", NULL, decisive, 1, 4, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, "x", NULL, decisive, 1, -1, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, "x", NULL, decisive, 1, 0, NULL, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(r, NULL, NULL, decisive, 1, 0, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_add_detector(NULL, "x", NULL, decisive, 1, 0, noop_cb, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_find(&idx, r, "x"), KAG_ENOTFOUND);
	kag_registry_free(r);
}
END_TEST

START_TEST(null_arguments)
{
	kag_registry *r = sealed_registry();
	kag_session *s, *s2;
	kag_parser *p = parser_of(exec_json);
	const kag_event *ev;
	const kag_result *res;
	kag_gate *g;
	size_t idx;
	const char *str;
	size_t len;
	int64_t code;
	int field;

	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);

	/* constructors */
	ck_assert_int_eq(kag_registry_new(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_new(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_session_new(NULL, r), KAG_EINVAL);
	ck_assert_int_eq(kag_session_new(&s2, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_event_new(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_gate_evaluate(NULL, r, "interactive_access", ev), KAG_EINVAL);
	ck_assert_int_eq(kag_gate_evaluate(&g, r, "interactive_access", NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_gate_evaluate(&g, NULL, "interactive_access", ev), KAG_EINVAL);
	ck_assert_int_eq(kag_gate_evaluate(&g, r, "no_such_detector", ev), KAG_ENOTFOUND);

	/* parser */
	ck_assert_int_eq(kag_parser_set_option_u64(NULL, KAG_OPT_MAX_DEPTH, 4), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_source(NULL, "x"), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_feed(NULL, "{}", 2), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_finish(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_reset(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_next(NULL, p), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_next(&ev, NULL), KAG_EINVAL);
	ck_assert_str_eq(kag_parser_error_message(NULL), "");
	ck_assert_str_eq(kag_parser_error_path(NULL), "");
	ck_assert_uint_eq(kag_parser_error_line(NULL), 0);
	ck_assert_uint_eq(kag_parser_error_offset(NULL), 0);
	ck_assert_str_eq(kag_parser_source(NULL), "");
	ck_assert_uint_eq(kag_parser_stat(NULL, KAG_PSTAT_RECORDS), 0);

	/* registry */
	ck_assert_int_eq(kag_registry_enable(NULL, "interactive_access"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_disable(NULL, "interactive_access"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(NULL, KAG_ROPT_PROBE_THRESHOLD, 3), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_seal(NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_is_sealed(NULL), 0);
	ck_assert_uint_eq(kag_registry_count(NULL), 0);
	ck_assert_ptr_null(kag_registry_detector_id(NULL, 0));
	ck_assert_ptr_null(kag_registry_detector_id(r, kag_registry_count(r)));
	ck_assert_ptr_null(kag_registry_detector_title(r, kag_registry_count(r)));
	ck_assert_ptr_null(kag_registry_detector_doc(r, kag_registry_count(r)));
	ck_assert_int_eq(kag_registry_detector_enabled(r, kag_registry_count(r)), 0);
	ck_assert_int_eq(kag_registry_find(NULL, r, "interactive_access"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_find(&idx, NULL, "interactive_access"), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_find(&idx, r, NULL), KAG_EINVAL);

	/* session */
	ck_assert_int_eq(kag_session_set_option_u64(NULL, KAG_SOPT_EMIT_BENIGN, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_session_evaluate(NULL, s, ev), KAG_EINVAL);
	ck_assert_int_eq(kag_session_evaluate(&res, NULL, ev), KAG_EINVAL);
	ck_assert_int_eq(kag_session_evaluate(&res, s, NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_session_flush(NULL, s), KAG_EINVAL);
	ck_assert_int_eq(kag_session_flush(&res, NULL), KAG_EINVAL);
	ck_assert_uint_eq(kag_session_stat(NULL, KAG_SSTAT_EVENTS), 0);
	ck_assert_uint_eq(kag_result_count(NULL), 0);
	ck_assert_ptr_null(kag_result_verdict(NULL, 0));

	/* verdict and gate accessors */
	ck_assert_ptr_null(kag_verdict_detector(NULL));
	ck_assert_ptr_null(kag_verdict_json(NULL, &len));
	ck_assert_ptr_null(kag_verdict_evidence_json(NULL, &len));
	ck_assert_uint_eq(kag_verdict_missing_count(NULL), 0);
	ck_assert_uint_eq(kag_verdict_attack_count(NULL), 0);
	ck_assert_int_eq(kag_gate_passed(NULL), 0);
	ck_assert_uint_eq(kag_gate_missing_count(NULL), 0);
	ck_assert_int_eq(kag_gate_missing_field(NULL, 0), -1);
	ck_assert_str_eq(kag_gate_reason(NULL), "");

	/* events */
	ck_assert_int_eq(kag_event_get_string(NULL, &len, ev, KAG_FIELD_VERB), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_string(&str, &len, NULL, KAG_FIELD_VERB), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_int(NULL, ev, KAG_FIELD_RESPONSE_CODE), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_int(&code, NULL, KAG_FIELD_RESPONSE_CODE), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_item(NULL, &len, ev, KAG_FIELD_SOURCE_IPS, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_item(&str, &len, NULL, KAG_FIELD_SOURCE_IPS, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_pair(NULL, NULL, &str, NULL, ev, KAG_FIELD_ANNOTATIONS, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_pair(&str, NULL, NULL, NULL, ev, KAG_FIELD_ANNOTATIONS, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_path(NULL, &len, ev, "verb", 4), KAG_EINVAL);
	ck_assert_int_eq(kag_event_get_path(&str, &len, NULL, "verb", 4), KAG_EINVAL);
	ck_assert_int_eq(kag_field_from_path(NULL, "verb", 4), KAG_EINVAL);
	ck_assert_int_eq(kag_field_from_path(&field, NULL, 4), KAG_EINVAL);

	/* findings */
	ck_assert_int_eq(kag_finding_report(NULL, KAG_ASSESSMENT_BENIGN, KAG_SEVERITY_INFO,
					    KAG_CONFIDENCE_LOW, "x"), KAG_EINVAL);
	ck_assert_int_eq(kag_finding_add_attack(NULL, "T1609"), KAG_EINVAL);

	/* after all that, everything still works */
	check_exec_verdict(judge_exec(s, ev));
	kag_session_free(s);
	kag_registry_free(r);
	kag_parser_free(p);
}
END_TEST

START_TEST(unknown_options)
{
	kag_registry *r;
	kag_session *s;
	kag_parser *p;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_option_u64(p, 0, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, 99, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, -1, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, 1000, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_parser_set_option_u64(p, KAG_OPT_MAX_RECORD_BYTES, 0), KAG_EINVAL);
	kag_parser_free(p);

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(r, 0, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(r, -1, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(r, 1000, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_PROBE_THRESHOLD, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_set_option_u64(r, KAG_ROPT_DEDUP_CAPACITY, 1u << 25), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_enable(r, "no_such_detector"), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_registry_disable(r, "no_such_detector"), KAG_ENOTFOUND);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(s, 0, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_option_u64(s, 3, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_option_u64(s, 1000, 0), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_option_u64(s, KAG_SOPT_EMIT_BENIGN, 2), KAG_EINVAL);
	ck_assert_int_eq(kag_session_set_option_u64(s, KAG_SOPT_EMIT_BENIGN, 0), KAG_OK);
	ck_assert_uint_eq(kag_session_stat(s, 999), 0);
	kag_session_free(s);
	kag_registry_free(r);
}
END_TEST

/* Events borrowed from the parser stay valid, and unchanged, until the next
 * kag_parser_next(), whatever else is called in between. */
START_TEST(borrowed_event_lifetime)
{
	static const char in[] =
		"{\"kind\":\"EventList\",\"items\":["
		"{\"verb\":\"get\",\"user\":{\"username\":\"first\"},\"requestObject\":{\"a\":1}},"
		"{\"verb\":\"list\",\"user\":{\"username\":\"second\"}}]}\n"
		"{\"verb\":\"watch\",\"user\":{\"username\":\"third\"}}\n";
	kag_registry *r = sealed_registry();
	kag_session *s;
	kag_parser *p;
	const kag_event *ev;
	kag_gate *g;
	const kag_result *res;
	const char *user, *body;
	size_t len, blen;

	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, in, sizeof(in) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&user, &len, ev, KAG_FIELD_USER_USERNAME), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&body, &blen, ev, KAG_FIELD_REQUEST_OBJECT), KAG_OK);
	/* other calls that do not touch p */
	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g, r, "secrets_access", ev), KAG_OK);
	kag_gate_free(g);
	ck_assert_int_eq(kag_session_flush(&res, s), KAG_OK);
	ck_assert_uint_eq(kag_parser_stat(p, KAG_PSTAT_EVENTS), 1);
	ck_assert_str_eq(kag_parser_error_message(p), "");
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(user, "first", 5) == 0);
	ck_assert_uint_eq(blen, 7);
	ck_assert(memcmp(body, "{\"a\":1}", 7) == 0);
	ck_assert_str_eq(kag_event_format(ev), "eventlist");
	/* the next item replaces it */
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&user, &len, ev, KAG_FIELD_USER_USERNAME), KAG_OK);
	ck_assert(memcmp(user, "second", 6) == 0);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_REQUEST_OBJECT), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_get_string(&user, &len, ev, KAG_FIELD_USER_USERNAME), KAG_OK);
	ck_assert(memcmp(user, "third", 5) == 0);
	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_ITEROVER);
	ck_assert_ptr_null(ev);
	kag_parser_free(p);
	kag_session_free(s);
	kag_registry_free(r);
}
END_TEST

/* A result is replaced by the next evaluate or flush on its session. */
START_TEST(result_lifetime)
{
	kag_registry *r = sealed_registry();
	kag_session *s1, *s2;
	kag_parser *p = parser_of(exec_json);
	const kag_event *ev;
	const kag_result *res1, *res2;
	const kag_verdict *v;

	ck_assert_int_eq(kag_session_new(&s1, r), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s2, r), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	v = judge_exec(s1, ev);
	/* another session's work leaves it alone */
	ck_assert_int_eq(kag_session_evaluate(&res2, s2, ev), KAG_OK);
	ck_assert_int_eq(kag_session_flush(&res2, s2), KAG_OK);
	check_exec_verdict(v);
	ck_assert_int_eq(kag_session_flush(&res1, s1), KAG_OK);
	ck_assert_uint_eq(kag_result_count(res1), 0);
	ck_assert_ptr_null(kag_result_verdict(res1, 0));
	kag_session_free(s1);
	kag_session_free(s2);
	kag_registry_free(r);
	kag_parser_free(p);
}
END_TEST

static int abort_cb(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	int *calls = user_data;

	(void)ev;
	(void)outcome;
	if ((*calls)++ == 0)
		return 1;
	return kag_finding_report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_LOW, KAG_CONFIDENCE_HIGH,
				  "seen");
}

/* A callback abort is reported, and the session goes on. */
START_TEST(use_after_callback_error)
{
	kag_registry *r;
	kag_session *s;
	kag_parser *p = parser_of(exec_json);
	const kag_event *ev;
	const kag_result *res;
	int calls = 0;
	size_t i, found = 0;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(r, "aborts_once", "t", NULL, 0, KAG_LEVEL_METADATA,
						   abort_cb, &calls), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(kag_session_new(&s, r), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_EUSER);
	ck_assert_int_eq(kag_session_evaluate(&res, s, ev), KAG_OK);
	for (i = 0; i < kag_result_count(res); i++)
		found += strcmp(kag_verdict_detector(kag_result_verdict(res, i)), "aborts_once") == 0;
	ck_assert_uint_eq(found, 1);
	ck_assert_int_eq(calls, 2);
	kag_session_free(s);
	kag_registry_free(r);
	kag_parser_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *order = tcase_create("order");
	TCase *state = tcase_create("state");
	SRunner *sr;
	int failed;

	tcase_add_test(order, free_null);
	tcase_add_test(order, free_borrowed_event_refused);
	tcase_add_test(order, registry_freed_before_sessions);
	tcase_add_test(order, registry_freed_after_sessions);
	tcase_add_test(order, verdicts_outlive_parser_and_event);
	tcase_add_test(order, session_freed_before_parser);
	tcase_add_test(order, gate_outlives_registry);
	tcase_add_test(order, borrowed_event_lifetime);
	tcase_add_test(order, result_lifetime);
	suite_add_tcase(s, order);

	tcase_add_test(state, seal_rules);
	tcase_add_test(state, add_detector_after_seal);
	tcase_add_test(state, bad_detector_definitions);
	tcase_add_test(state, null_arguments);
	tcase_add_test(state, unknown_options);
	tcase_add_test(state, use_after_callback_error);
	suite_add_tcase(s, state);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
