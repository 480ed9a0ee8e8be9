/* The evidence gate: outcome, placeholders, stage and level, on its own
 * (kag_gate_evaluate) and as it shows in verdicts. */
#include <stdio.h>
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

static kag_parser *P;
static kag_registry *R;

static void setup(void)
{
	ck_assert_int_eq(kag_parser_new(&P), KAG_OK);
	ck_assert_int_eq(kag_registry_new(&R), KAG_OK);
}

static void teardown(void)
{
	kag_parser_free(P);
	kag_registry_free(R);
	P = NULL;
	R = NULL;
}

/* Parse one event; borrowed from P until the next call. */
static const kag_event *parse(const char *event)
{
	char *json = dq(event);
	const kag_event *ev = NULL;
	int rc;

	ck_assert_int_eq(kag_parser_reset(P), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(P, json, strlen(json)), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(P), KAG_OK);
	rc = kag_parser_next(&ev, P);
	ck_assert_msg(rc == KAG_OK, "%s: %s", kag_error_name(rc), kag_parser_error_message(P));
	free(json);
	return ev;
}

/* Generic-gate outcome of an event. */
static int outcome_of(const char *event)
{
	kag_gate *g;
	int o;

	ck_assert_int_eq(kag_gate_evaluate(&g, NULL, NULL, parse(event)), KAG_OK);
	o = kag_gate_outcome(g);
	kag_gate_free(g);
	return o;
}

static int missing_has(const kag_gate *g, int field)
{
	size_t i;

	for (i = 0; i < kag_gate_missing_count(g); i++)
		if (kag_gate_missing_field(g, i) == field)
			return 1;
	return 0;
}

#define EV(code, stage, extra)                                                              \
	"{'verb':'get','user':{'username':'alice'},'objectRef':{'resource':'configmaps',"      \
	"'namespace':'prod'}" code stage extra "}"
#define CODE(n) ",'responseStatus':{'code':" #n "}"
#define STAGE(s) ",'stage':'" s "'"

static const struct {
	const char *event;
	int outcome;
} outcome_table[] = {
	{ EV(CODE(200), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ALLOWED },
	{ EV(CODE(201), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ALLOWED },
	{ EV(CODE(200), "", ""), KAG_OUTCOME_ALLOWED },
	{ EV(CODE(302), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ALLOWED },
	{ EV(CODE(101), STAGE("ResponseStarted"), ""), KAG_OUTCOME_IN_PROGRESS },
	{ EV(CODE(101), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ALLOWED },
	{ EV(CODE(101), "", ""), KAG_OUTCOME_IN_PROGRESS },
	{ EV(CODE(200), STAGE("ResponseStarted"), ""), KAG_OUTCOME_IN_PROGRESS },
	{ EV(CODE(401), STAGE("ResponseComplete"), ""), KAG_OUTCOME_DENIED },
	{ EV(CODE(403), STAGE("ResponseComplete"), ""), KAG_OUTCOME_DENIED },
	{ EV(CODE(403), STAGE("ResponseStarted"), ""), KAG_OUTCOME_DENIED },
	{ EV(CODE(404), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ERROR },
	{ EV(CODE(409), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ERROR },
	{ EV(CODE(422), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ERROR },
	{ EV(CODE(500), STAGE("ResponseComplete"), ""), KAG_OUTCOME_ERROR },
	{ EV(CODE(200), STAGE("ResponseComplete"),
	     ",'annotations':{'authorization.k8s.io/decision':'forbid'}"), KAG_OUTCOME_DENIED },
	{ EV("", STAGE("ResponseComplete"),
	     ",'annotations':{'authorization.k8s.io/decision':'forbid'}"), KAG_OUTCOME_DENIED },
	{ EV("", STAGE("RequestReceived"),
	     ",'annotations':{'authorization.k8s.io/decision':'forbid'}"), KAG_OUTCOME_DENIED },
	{ EV("", STAGE("ResponseComplete"),
	     ",'annotations':{'authorization.k8s.io/decision':'allow'}"), KAG_OUTCOME_UNKNOWN },
	{ EV("", STAGE("ResponseComplete"), ""), KAG_OUTCOME_UNKNOWN },
	{ EV("", "", ""), KAG_OUTCOME_UNKNOWN },
	{ EV("", STAGE("RequestReceived"), ""), KAG_OUTCOME_UNKNOWN },
	{ EV(CODE(200), STAGE("RequestReceived"), ""), KAG_OUTCOME_UNKNOWN },
	{ EV("", STAGE("Panic"), ""), KAG_OUTCOME_ERROR },
	{ EV(CODE(200), STAGE("Panic"), ""), KAG_OUTCOME_ERROR },
};

START_TEST(outcome_table_gate)
{
	int got = outcome_of(outcome_table[_i].event);

	ck_assert_msg(got == outcome_table[_i].outcome, "row %d: outcome %s, want %s", _i,
		      kag_outcome_name(got), kag_outcome_name(outcome_table[_i].outcome));
}
END_TEST

/* A caller detector with no decisive fields that always reports: every
 * event gets one verdict, whose outcome must be the gate's. */
static int always(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	int *seen = user_data;

	(void)ev;
	*seen = outcome;
	return kag_finding_report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_LOW,
				  KAG_CONFIDENCE_HIGH, "always");
}

START_TEST(outcome_table_verdicts)
{
	tu_ctx t;
	kag_registry *reg;
	char *json = dq(outcome_table[_i].event);
	const char *v;
	int seen = -1;
	size_t i;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	for (i = 0; i < kag_registry_count(reg); i++)
		ck_assert_int_eq(kag_registry_disable(reg, kag_registry_detector_id(reg, i)), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(reg, "always", "always", NULL, 0,
						   KAG_LEVEL_METADATA, always, &seen), KAG_OK);
	tu_init_registry(&t, reg);
	tu_judge(&t, json, (size_t)-1);
	free(json);
	ck_assert_uint_eq(t.n_verdicts, 1);
	v = tu_find(&t, "always", 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(tu_json_get(v, "outcome"), kag_outcome_name(outcome_table[_i].outcome));
	ck_assert_int_eq(seen, outcome_table[_i].outcome);
	/* a gate that fails always says why */
	ck_assert_str_ne(tu_json_get(v, "reason"), "cannot judge: ");
	if (strcmp(tu_json_get(v, "assessment"), "needs_context") == 0)
		ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "RequestReceived"));
	tu_free(&t);
}
END_TEST

/* Placeholder values of a decisive field: the gate fails and names it. */
static const char *const placeholders[] = { "", "-", "<none>", "unknown", "UNKNOWN", " - " };

START_TEST(placeholder_username)
{
	char event[512];
	kag_gate *g;
	tu_ctx t;
	const char *v;
	char *json;

	snprintf(event, sizeof(event),
		 "{'verb':'get','user':{'username':'%s'},'objectRef':{'resource':'secrets',"
		 "'namespace':'prod'},'responseStatus':{'code':200},'stage':'ResponseComplete'}",
		 placeholders[_i]);
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "secrets_access", parse(event)), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 0);
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_ALLOWED);
	ck_assert_int_eq(kag_gate_stage_ok(g), 1);
	ck_assert_int_eq(kag_gate_level_ok(g), 1);
	ck_assert_uint_eq(kag_gate_missing_count(g), 1);
	ck_assert_int_eq(kag_gate_missing_field(g, 0), KAG_FIELD_USER_USERNAME);
	ck_assert_ptr_nonnull(strstr(kag_gate_reason(g), "user.username"));
	kag_gate_free(g);

	/* the same in a verdict */
	json = dq(event);
	tu_init(&t);
	tu_judge(&t, json, (size_t)-1);
	free(json);
	ck_assert_uint_eq(tu_count(&t, "secrets_access"), 1);
	v = tu_find(&t, "secrets_access", 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(tu_json_get(v, "assessment"), "needs_context");
	ck_assert_str_eq(tu_json_get(v, "outcome"), "allowed");
	ck_assert_str_eq(tu_json_get(v, "severity"), "medium");
	ck_assert_str_eq(tu_json_get(v, "confidence"), "low");
	ck_assert(tu_json_array_has(v, "missing", "user.username"));
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "user.username"));
	/* the placeholder itself stays in evidence, untouched */
	ck_assert_str_eq(tu_json_get(v, "evidence.user.username"), placeholders[_i]);
	tu_free(&t);
}
END_TEST

START_TEST(placeholder_other_fields)
{
	kag_gate *g;
	tu_ctx t;
	const char *v;
	char *json;

	/* impersonatedUser.username */
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "impersonation",
		parse("{'verb':'get','user':{'username':'dave'},'impersonatedUser':"
		      "{'username':'<none>'},'responseStatus':{'code':200}}")), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 0);
	ck_assert(missing_has(g, KAG_FIELD_IMP_USERNAME));
	ck_assert(!missing_has(g, KAG_FIELD_USER_USERNAME));
	ck_assert_ptr_nonnull(strstr(kag_gate_reason(g), "impersonatedUser.username"));
	kag_gate_free(g);

	/* both decisive fields of impersonation missing: both named */
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "impersonation",
		parse("{'verb':'get','user':{'username':'-'},'impersonatedUser':"
		      "{'username':''},'responseStatus':{'code':200}}")), KAG_OK);
	ck_assert_uint_eq(kag_gate_missing_count(g), 2);
	ck_assert(missing_has(g, KAG_FIELD_USER_USERNAME));
	ck_assert(missing_has(g, KAG_FIELD_IMP_USERNAME));
	ck_assert_ptr_nonnull(strstr(kag_gate_reason(g), "decisive fields missing"));
	kag_gate_free(g);

	/* verb of a denial */
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "rbac_probing",
		parse("{'verb':'unknown','user':{'username':'dave'},'responseStatus':{'code':403}}")),
		KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 0);
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_DENIED);
	ck_assert(missing_has(g, KAG_FIELD_VERB));
	ck_assert_ptr_nonnull(strstr(kag_gate_reason(g), "verb"));
	kag_gate_free(g);

	json = dq("{'verb':'-','user':{'username':'dave'},'objectRef':{'resource':'secrets'},"
		  "'responseStatus':{'code':403},'stage':'ResponseComplete'}");
	tu_init(&t);
	tu_judge(&t, json, (size_t)-1);
	free(json);
	ck_assert_uint_eq(tu_count(&t, "rbac_probing"), 1);
	v = tu_find(&t, "rbac_probing", 0);
	ck_assert_str_eq(tu_json_get(v, "assessment"), "needs_context");
	ck_assert_str_eq(tu_json_get(v, "outcome"), "denied");
	ck_assert(tu_json_array_has(v, "missing", "verb"));
	tu_free(&t);

	/* a placeholder sourceIPs list is missing from the wanted fields */
	json = dq("{'verb':'get','user':{'username':'dave'},'impersonatedUser':{'username':'eve'},"
		  "'sourceIPs':['-'],'userAgent':'kubectl','responseStatus':{'code':200}}");
	tu_init(&t);
	tu_judge(&t, json, (size_t)-1);
	free(json);
	v = tu_find(&t, "impersonation", 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(tu_json_get(v, "assessment"), "suspicious");
	ck_assert(tu_json_array_has(v, "missing", "sourceIPs"));
	ck_assert(!tu_json_array_has(v, "missing", "userAgent"));
	tu_free(&t);

	/* real values pass */
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "impersonation",
		parse("{'verb':'get','user':{'username':'dave'},'impersonatedUser':"
		      "{'username':'unknown-user'},'responseStatus':{'code':200}}")), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 1);
	ck_assert_uint_eq(kag_gate_missing_count(g), 0);
	ck_assert_str_eq(kag_gate_reason(g), "");
	kag_gate_free(g);
}
END_TEST

/* Every stage, through the generic gate and a detector that needs the
 * outcome. */
static const struct {
	const char *stage;   /* "" = no stage member */
	int stage_ok;
	int generic_passed;
} stages[] = {
	{ "RequestReceived", 0, 0 },
	{ "ResponseStarted", 1, 1 },
	{ "ResponseComplete", 1, 1 },
	{ "Panic", 1, 1 },
	{ "", 1, 1 },
};

START_TEST(stage_flags)
{
	char event[512];
	kag_gate *g;
	const kag_event *ev;

	snprintf(event, sizeof(event),
		 "{'verb':'list','user':{'username':'mallory'},'objectRef':{'resource':'secrets'},"
		 "'responseStatus':{'code':200}%s%s%s}",
		 stages[_i].stage[0] ? ",'stage':'" : "", stages[_i].stage,
		 stages[_i].stage[0] ? "'" : "");
	ev = parse(event);
	ck_assert_int_eq(kag_gate_evaluate(&g, NULL, NULL, ev), KAG_OK);
	ck_assert_int_eq(kag_gate_stage_ok(g), stages[_i].stage_ok);
	ck_assert_int_eq(kag_gate_level_ok(g), 1);
	ck_assert_int_eq(kag_gate_passed(g), stages[_i].generic_passed);
	ck_assert_uint_eq(kag_gate_missing_count(g), 0);
	if (!stages[_i].generic_passed)
		ck_assert_ptr_nonnull(strstr(kag_gate_reason(g), "outcome"));
	else
		ck_assert_str_eq(kag_gate_reason(g), "");
	kag_gate_free(g);

	ck_assert_int_eq(kag_gate_evaluate(&g, R, "secrets_access", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_stage_ok(g), stages[_i].stage_ok);
	ck_assert_int_eq(kag_gate_passed(g), stages[_i].stage_ok);
	if (!stages[_i].stage_ok)
		ck_assert_ptr_nonnull(strstr(kag_gate_reason(g), "RequestReceived"));
	kag_gate_free(g);

	/* impersonation does not need the outcome, but RequestReceived is not
	 * final for any detector */
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "impersonation", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 0); /* no impersonatedUser.username */
	ck_assert_int_eq(kag_gate_stage_ok(g), stages[_i].stage_ok);
	ck_assert(missing_has(g, KAG_FIELD_IMP_USERNAME));
	kag_gate_free(g);
}
END_TEST

static int noop(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	(void)f;
	(void)ev;
	(void)outcome;
	(void)user_data;
	return 0;
}

/* Every level, against detectors that need a request or a response body. */
static const struct {
	const char *level;  /* "" = no level member */
	const char *bodies; /* request/response objects present */
	int req_ok, resp_ok;
	const char *level_name; /* as the reason spells it */
} levels[] = {
	{ "Metadata", "", 0, 0, "Metadata" },
	{ "Request", ",'requestObject':{'kind':'Pod'}", 1, 0, "Request" },
	{ "RequestResponse", ",'requestObject':{'kind':'Pod'},'responseObject':{'kind':'Pod'}",
	  1, 1, "RequestResponse" },
	{ "RequestResponse", ",'responseObject':{'kind':'Pod'}", 0, 1, "RequestResponse" },
	{ "", "", 0, 0, "(unknown)" },
};

START_TEST(level_flags)
{
	char event[512], want[96];
	kag_gate *g;
	const kag_event *ev;
	static const int none[1] = { 0 };

	ck_assert_int_eq(kag_registry_add_detector(R, "needs_request", NULL, none, 0,
						   KAG_LEVEL_REQUEST, noop, NULL), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(R, "needs_response", NULL, none, 0,
						   KAG_LEVEL_REQUEST_RESPONSE, noop, NULL), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(R, "needs_metadata", NULL, none, 0,
						   KAG_LEVEL_METADATA, noop, NULL), KAG_OK);
	snprintf(event, sizeof(event),
		 "{'verb':'create','user':{'username':'alice'},'objectRef':{'resource':'pods',"
		 "'namespace':'prod'},'responseStatus':{'code':201},'stage':'ResponseComplete'"
		 "%s%s%s%s}",
		 levels[_i].level[0] ? ",'level':'" : "", levels[_i].level,
		 levels[_i].level[0] ? "'" : "", levels[_i].bodies);
	ev = parse(event);

	ck_assert_int_eq(kag_gate_evaluate(&g, R, "needs_metadata", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_level_ok(g), 1);
	ck_assert_int_eq(kag_gate_passed(g), 1);
	kag_gate_free(g);

	ck_assert_int_eq(kag_gate_evaluate(&g, R, "needs_request", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_level_ok(g), levels[_i].req_ok);
	ck_assert_int_eq(kag_gate_passed(g), levels[_i].req_ok);
	ck_assert_int_eq(kag_gate_stage_ok(g), 1);
	if (!levels[_i].req_ok) {
		snprintf(want, sizeof(want), "audit level %s carries no request body",
			 levels[_i].level_name);
		ck_assert_str_eq(kag_gate_reason(g), want);
	}
	kag_gate_free(g);

	ck_assert_int_eq(kag_gate_evaluate(&g, R, "needs_response", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_level_ok(g), levels[_i].resp_ok);
	ck_assert_int_eq(kag_gate_passed(g), levels[_i].resp_ok);
	if (!levels[_i].resp_ok) {
		snprintf(want, sizeof(want), "audit level %s carries no response body",
			 levels[_i].level_name);
		ck_assert_str_eq(kag_gate_reason(g), want);
	}
	kag_gate_free(g);
}
END_TEST

START_TEST(several_reasons_joined)
{
	kag_gate *g;
	static const int decisive[] = { KAG_FIELD_USER_AGENT, KAG_FIELD_SOURCE_IPS };
	const char *reason;

	ck_assert_int_eq(kag_registry_add_detector(R, "picky", NULL, decisive, 2,
						   KAG_LEVEL_REQUEST, noop, NULL), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "picky",
		parse("{'verb':'get','level':'Metadata','stage':'RequestReceived'}")), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 0);
	ck_assert_int_eq(kag_gate_level_ok(g), 0);
	/* caller detectors do not need the outcome, but RequestReceived is
	 * never final, and the reason says so */
	ck_assert_int_eq(kag_gate_stage_ok(g), 0);
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_UNKNOWN);
	ck_assert_uint_eq(kag_gate_missing_count(g), 2);
	ck_assert_int_eq(kag_gate_missing_field(g, 0), KAG_FIELD_USER_AGENT);
	ck_assert_int_eq(kag_gate_missing_field(g, 1), KAG_FIELD_SOURCE_IPS);
	ck_assert_int_eq(kag_gate_missing_field(g, 2), -1);
	reason = kag_gate_reason(g);
	ck_assert_str_eq(reason, "decisive fields missing: userAgent sourceIPs; "
				 "stage RequestReceived cannot support a final judgement; "
				 "audit level Metadata carries no request body");
	kag_gate_free(g);
}
END_TEST

START_TEST(api_errors)
{
	kag_gate *g = (kag_gate *)&g;
	const kag_event *ev = parse(EV(CODE(200), STAGE("ResponseComplete"), ""));

	ck_assert_int_eq(kag_gate_evaluate(&g, R, "no_such_detector", ev), KAG_ENOTFOUND);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(kag_gate_evaluate(&g, NULL, "secrets_access", ev), KAG_EINVAL);
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "secrets_access", NULL), KAG_EINVAL);
	ck_assert_int_eq(kag_gate_evaluate(NULL, R, "secrets_access", ev), KAG_EINVAL);

	/* the generic gate needs no registry */
	ck_assert_int_eq(kag_gate_evaluate(&g, NULL, NULL, ev), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 1);
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_ALLOWED);
	kag_gate_free(g);
	/* and ignores a registry it is given */
	ck_assert_int_eq(kag_gate_evaluate(&g, R, NULL, ev), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 1);
	kag_gate_free(g);

	/* accessors on NULL */
	kag_gate_free(NULL);
	ck_assert_int_eq(kag_gate_passed(NULL), 0);
	ck_assert_int_eq(kag_gate_outcome(NULL), KAG_OUTCOME_UNKNOWN);
	ck_assert_int_eq(kag_gate_stage_ok(NULL), 0);
	ck_assert_int_eq(kag_gate_level_ok(NULL), 0);
	ck_assert_uint_eq(kag_gate_missing_count(NULL), 0);
	ck_assert_int_eq(kag_gate_missing_field(NULL, 0), -1);
	ck_assert_str_eq(kag_gate_reason(NULL), "");

	/* a sealed registry serves gates too */
	ck_assert_int_eq(kag_registry_seal(R), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "interactive_access", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 1);
	kag_gate_free(g);
}
END_TEST

START_TEST(gate_on_built_event)
{
	kag_event *ev;
	kag_gate *g;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_VERB, "get", 3, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_STAGE, "ResponseComplete", 16,
					      KAG_STATE_INFERRED), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g, NULL, NULL, ev), KAG_OK);
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_UNKNOWN);
	ck_assert_int_eq(kag_gate_passed(g), 0);
	kag_gate_free(g);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 403, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g, R, "rbac_probing", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_outcome(g), KAG_OUTCOME_DENIED);
	ck_assert_int_eq(kag_gate_passed(g), 1);
	kag_gate_free(g);
	kag_event_free(ev);
}
END_TEST

/* Both decisions are read from one pass over the annotations: with a
 * repeated key (the builder allows one) the first counts, and each key is
 * told apart from the other whatever their order. */
START_TEST(decisions_from_annotations)
{
	static const char authz[] = "authorization.k8s.io/decision";
	static const char os[] = "authentication.openshift.io/decision";
	static const struct {
		const char *k1, *v1, *k2, *v2;
		int outcome;
	} cases[] = {
		{ authz, "allow", authz, "forbid", KAG_OUTCOME_ALLOWED },
		{ authz, "forbid", authz, "allow", KAG_OUTCOME_DENIED },
		{ os, "allow", authz, "forbid", KAG_OUTCOME_DENIED },
		{ authz, "allow", os, "deny", KAG_OUTCOME_DENIED },
		{ os, "error", authz, "allow", KAG_OUTCOME_ERROR },
		{ os, "allow", os, "deny", KAG_OUTCOME_ALLOWED },
		{ "authorization.k8s.io/reason", "forbid", os, "allow", KAG_OUTCOME_ALLOWED },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kag_event *ev;
		kag_gate *g;

		ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
		ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_STAGE, "ResponseComplete", 16,
						      KAG_STATE_OBSERVED), KAG_OK);
		ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 200,
						   KAG_STATE_OBSERVED), KAG_OK);
		ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_ANNOTATIONS, cases[i].k1,
						    strlen(cases[i].k1), cases[i].v1,
						    strlen(cases[i].v1), KAG_STATE_OBSERVED), KAG_OK);
		ck_assert_int_eq(kag_event_add_pair(ev, KAG_FIELD_ANNOTATIONS, cases[i].k2,
						    strlen(cases[i].k2), cases[i].v2,
						    strlen(cases[i].v2), KAG_STATE_OBSERVED), KAG_OK);
		ck_assert_int_eq(kag_gate_evaluate(&g, NULL, NULL, ev), KAG_OK);
		ck_assert_msg(kag_gate_outcome(g) == cases[i].outcome, "case %zu: outcome %d, want %d",
			      i, kag_gate_outcome(g), cases[i].outcome);
		kag_gate_free(g);
		kag_event_free(ev);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("gate");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, outcome_table_gate, 0,
			    (int)(sizeof(outcome_table) / sizeof(outcome_table[0])));
	tcase_add_loop_test(tc, outcome_table_verdicts, 0,
			    (int)(sizeof(outcome_table) / sizeof(outcome_table[0])));
	tcase_add_loop_test(tc, placeholder_username, 0,
			    (int)(sizeof(placeholders) / sizeof(placeholders[0])));
	tcase_add_test(tc, placeholder_other_fields);
	tcase_add_loop_test(tc, stage_flags, 0, (int)(sizeof(stages) / sizeof(stages[0])));
	tcase_add_loop_test(tc, level_flags, 0, (int)(sizeof(levels) / sizeof(levels[0])));
	tcase_add_test(tc, several_reasons_joined);
	tcase_add_test(tc, api_errors);
	tcase_add_test(tc, gate_on_built_event);
	tcase_add_test(tc, decisions_from_annotations);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
