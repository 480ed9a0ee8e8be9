/* Caller rules: the matcher's operators (absent fields, placeholders,
 * three-valued logic), the verdicts rules produce, and load errors with
 * exact JSON pointers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "detector-private.h"
#include "rules-private.h"
#include "testutil.h"

static kag_registry *new_reg(void)
{
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	return r;
}

static int load(kag_registry *r, const char *json)
{
	return kag_registry_load_rules(r, json, strlen(json));
}

/* A complete native event; each %s slot is filled by the caller. */
#define EVENT_FMT \
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\"," \
	"\"auditID\":\"a1\",\"stage\":\"ResponseComplete\",\"verb\":\"delete\"," \
	"\"requestURI\":\"/api/v1/namespaces/prod\"," \
	"\"user\":{\"username\":\"%s\",\"groups\":[%s]}," \
	"\"sourceIPs\":[\"10.0.0.1\",\"203.0.113.9\"],\"userAgent\":\"%s\"," \
	"\"objectRef\":{\"resource\":\"namespaces\",\"name\":\"prod\",\"apiVersion\":\"v1\"}" \
	"%s," \
	"\"annotations\":{\"authorization.k8s.io/decision\":\"%s\"}," \
	"\"requestReceivedTimestamp\":\"2024-05-01T10:00:00.000000Z\"," \
	"\"stageTimestamp\":\"2024-05-01T10:00:00.100000Z\"}\n"

/* The default event: alice deleting namespace prod, allowed (200). The
 * buffer is reused by the next call. */
static char *event(const char *user, const char *groups, const char *agent, const char *status,
		   const char *decision)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), EVENT_FMT, user ? user : "alice@example.com",
		 groups ? groups : "\"dev\",\"system:authenticated\"",
		 agent ? agent : "kubectl/v1.29.0",
		 status ? status : ",\"responseStatus\":{\"code\":200}",
		 decision ? decision : "allow");
	return buf;
}

static char last_line[8192];

/* Judge `ev` with one rule "t" (severity high) whose match is `match` and
 * decisive fields `decisive` (a JSON array body). Returns the rule's
 * assessment name, or "none" when it produced no verdict; the verdict line
 * is kept in last_line. */
static const char *judge(const char *match, const char *decisive, const char *ev)
{
	static char result[32];
	char rules[4096];
	kag_registry *r = new_reg();
	const char *line;
	tu_ctx t;

	snprintf(rules, sizeof(rules),
		 "{\"rules\":[{\"id\":\"t\",\"title\":\"Test rule\",\"assessment\":\"suspicious\","
		 "\"severity\":\"high\",\"attack\":[\"T1485\"],\"decisive\":[%s],\"match\":%s}]}",
		 decisive ? decisive : "", match);
	ck_assert_msg(load(r, rules) == KAG_OK, "%s: %s", rules, kag_registry_error_message(r));
	tu_init_registry(&t, r);
	tu_judge(&t, ev, (size_t)-1);
	ck_assert_uint_le(tu_count(&t, "t"), 1);
	line = tu_find(&t, "t", 0);
	snprintf(last_line, sizeof(last_line), "%s", line ? line : "");
	snprintf(result, sizeof(result), "%s", line ? tu_json_get(line, "assessment") : "none");
	tu_free(&t);
	return result;
}

#define MATCH(m) ck_assert_str_eq(judge(m, NULL, event(NULL, NULL, NULL, NULL, NULL)), \
				  "suspicious")
#define NO_MATCH(m) ck_assert_str_eq(judge(m, NULL, event(NULL, NULL, NULL, NULL, NULL)), \
				     "none")

/* ---- operators ---- */

START_TEST(op_equals_in)
{
	MATCH("{\"field\":\"verb\",\"equals\":\"delete\"}");
	NO_MATCH("{\"field\":\"verb\",\"equals\":\"Delete\"}");
	NO_MATCH("{\"field\":\"verb\",\"equals\":\"delet\"}");
	MATCH("{\"field\":\"verb\",\"in\":[\"get\",\"delete\"]}");
	NO_MATCH("{\"field\":\"verb\",\"in\":[\"get\",\"list\"]}");
	MATCH("{\"field\":\"stage\",\"equals\":\"ResponseComplete\"}");
	MATCH("{\"field\":\"objectRef.apiVersion\",\"equals\":\"v1\"}");
}
END_TEST

START_TEST(op_prefix_suffix)
{
	MATCH("{\"field\":\"user.username\",\"prefix\":\"alice@\"}");
	NO_MATCH("{\"field\":\"user.username\",\"prefix\":\"bob\"}");
	MATCH("{\"field\":\"user.username\",\"suffix\":\"@example.com\"}");
	NO_MATCH("{\"field\":\"user.username\",\"suffix\":\"@example.org\"}");
	/* longer than the value */
	NO_MATCH("{\"field\":\"verb\",\"prefix\":\"deleted\"}");
	NO_MATCH("{\"field\":\"verb\",\"suffix\":\"undelete\"}");
	MATCH("{\"field\":\"requestURI\",\"prefix\":\"/api/v1/namespaces/\"}");
}
END_TEST

START_TEST(op_glob)
{
	MATCH("{\"field\":\"userAgent\",\"glob\":\"kubectl/*\"}");
	MATCH("{\"field\":\"userAgent\",\"glob\":\"kubectl/v1.2?.0\"}");
	MATCH("{\"field\":\"userAgent\",\"glob\":\"*\"}");
	MATCH("{\"field\":\"userAgent\",\"glob\":\"k*l/*.*.*\"}");
	MATCH("{\"field\":\"userAgent\",\"glob\":\"**kubectl**\"}");
	/* the whole value must match */
	NO_MATCH("{\"field\":\"userAgent\",\"glob\":\"kubectl/v1.2?\"}");
	NO_MATCH("{\"field\":\"userAgent\",\"glob\":\"ubectl/*\"}");
	NO_MATCH("{\"field\":\"objectRef.name\",\"glob\":\"p?d\"}");
	MATCH("{\"field\":\"objectRef.name\",\"glob\":\"p??d\"}");
	/* escapes make * and ? literal */
	NO_MATCH("{\"field\":\"objectRef.name\",\"glob\":\"pro\\\\*\"}");
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"glob\":\"a\\\\*b\\\\?\"}", NULL,
			       event(NULL, NULL, "a*b?", NULL, NULL)), "suspicious");
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"glob\":\"a\\\\*b\"}", NULL,
			       event(NULL, NULL, "axb", NULL, NULL)), "none");
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"glob\":\"\\\\[x\\\\]\"}", NULL,
			       event(NULL, NULL, "[x]", NULL, NULL)), "suspicious");
	/* backtracking: the first candidate for * is not the right one */
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"glob\":\"*ab*abc\"}", NULL,
			       event(NULL, NULL, "xabyabababc", NULL, NULL)), "suspicious");
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"glob\":\"*ab*abc\"}", NULL,
			       event(NULL, NULL, "xabyababab", NULL, NULL)), "none");
}
END_TEST

START_TEST(op_exists)
{
	MATCH("{\"field\":\"userAgent\",\"exists\":true}");
	NO_MATCH("{\"field\":\"userAgent\",\"exists\":false}");
	MATCH("{\"field\":\"impersonatedUser\",\"exists\":false}");
	NO_MATCH("{\"field\":\"impersonatedUser\",\"exists\":true}");
	MATCH("{\"field\":\"objectRef\",\"exists\":true}");
	MATCH("{\"field\":\"annotations\",\"exists\":true}");
	NO_MATCH("{\"field\":\"requestObject\",\"exists\":true}");
	MATCH("{\"field\":\"objectRef.namespace\",\"exists\":false}");
	MATCH("{\"field\":\"annotations.authorization.k8s.io/decision\",\"exists\":true}");
	NO_MATCH("{\"field\":\"annotations.authorization.k8s.io/reason\",\"exists\":true}");
	MATCH("{\"field\":\"annotations.authorization.k8s.io/reason\",\"exists\":false}");
}
END_TEST

START_TEST(op_numeric)
{
	MATCH("{\"field\":\"responseStatus.code\",\"eq\":200}");
	NO_MATCH("{\"field\":\"responseStatus.code\",\"ne\":200}");
	MATCH("{\"field\":\"responseStatus.code\",\"ne\":403}");
	MATCH("{\"field\":\"responseStatus.code\",\"lt\":201}");
	NO_MATCH("{\"field\":\"responseStatus.code\",\"lt\":200}");
	MATCH("{\"field\":\"responseStatus.code\",\"le\":200}");
	NO_MATCH("{\"field\":\"responseStatus.code\",\"le\":199}");
	MATCH("{\"field\":\"responseStatus.code\",\"gt\":199}");
	NO_MATCH("{\"field\":\"responseStatus.code\",\"gt\":200}");
	MATCH("{\"field\":\"responseStatus.code\",\"ge\":200}");
	NO_MATCH("{\"field\":\"responseStatus.code\",\"ge\":201}");
	MATCH("{\"field\":\"responseStatus.code\",\"equals\":200}");
	MATCH("{\"field\":\"responseStatus.code\",\"in\":[201,200]}");
	NO_MATCH("{\"field\":\"responseStatus.code\",\"in\":[401,403]}");
	MATCH("{\"field\":\"responseStatus.code\",\"exists\":true}");
}
END_TEST

START_TEST(list_fields_match_any_item)
{
	MATCH("{\"field\":\"user.groups\",\"equals\":\"dev\"}");
	MATCH("{\"field\":\"user.groups\",\"equals\":\"system:authenticated\"}");
	NO_MATCH("{\"field\":\"user.groups\",\"equals\":\"system:masters\"}");
	/* the second, unforgeable source IP */
	MATCH("{\"field\":\"sourceIPs\",\"prefix\":\"203.0.113.\"}");
	MATCH("{\"field\":\"sourceIPs\",\"glob\":\"10.*\"}");
	/* an empty list is absent */
	ck_assert_str_eq(judge("{\"field\":\"user.groups\",\"exists\":false}", NULL,
			       event(NULL, "", NULL, NULL, NULL)), "suspicious");
	ck_assert_str_eq(judge("{\"field\":\"user.groups\",\"exists\":false}", NULL,
			       event(NULL, "\"-\"", NULL, NULL, NULL)), "suspicious");
}
END_TEST

START_TEST(annotations_by_key)
{
	MATCH("{\"field\":\"annotations.authorization.k8s.io/decision\",\"equals\":\"allow\"}");
	NO_MATCH("{\"field\":\"annotations.authorization.k8s.io/decision\",\"equals\":\"forbid\"}");
	MATCH("{\"field\":\"annotations.authorization.k8s.io/decision\",\"glob\":\"al*\"}");
}
END_TEST

/* Absent and placeholder values: false when the field is not decisive,
 * unknown (needs_context) when it is. */
START_TEST(absent_and_placeholders)
{
	char no_code[4096];

	snprintf(no_code, sizeof(no_code), "%s", event(NULL, NULL, NULL, "", NULL));

	/* objectRef.namespace is absent from the event */
	NO_MATCH("{\"field\":\"objectRef.namespace\",\"equals\":\"prod\"}");
	MATCH("{\"not\":{\"field\":\"objectRef.namespace\",\"equals\":\"prod\"}}");
	/* every comparison on an absent code is false, ne included */
	ck_assert_str_eq(judge("{\"field\":\"responseStatus.code\",\"ne\":200}", NULL, no_code),
			 "none");
	ck_assert_str_eq(judge("{\"field\":\"responseStatus.code\",\"lt\":1000}", NULL, no_code),
			 "none");
	ck_assert_str_eq(judge("{\"field\":\"responseStatus.code\",\"exists\":false}", NULL,
			       no_code), "suspicious");
	/* placeholders count as absent */
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"exists\":true}", NULL,
			       event(NULL, NULL, "-", NULL, NULL)), "none");
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"glob\":\"*\"}", NULL,
			       event(NULL, NULL, "unknown", NULL, NULL)), "none");
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"exists\":false}", NULL,
			       event(NULL, NULL, "<none>", NULL, NULL)), "suspicious");
	/* decisive and absent: needs_context, naming the field */
	ck_assert_str_eq(judge("{\"field\":\"objectRef.namespace\",\"equals\":\"prod\"}",
			       "\"objectRef.namespace\"", event(NULL, NULL, NULL, NULL, NULL)),
			 "needs_context");
	ck_assert(tu_json_array_has(last_line, "missing", "objectRef.namespace"));
	ck_assert_str_eq(judge("{\"field\":\"userAgent\",\"exists\":true}", "\"userAgent\"",
			       event(NULL, NULL, "-", NULL, NULL)), "needs_context");
	ck_assert(tu_json_array_has(last_line, "missing", "userAgent"));
	ck_assert_str_eq(judge("{\"field\":\"responseStatus.code\",\"ge\":400}",
			       "\"responseStatus.code\"", no_code), "needs_context");
}
END_TEST

/* Kleene logic: an unknown does not force needs_context when the rest of
 * the expression already decides. */
START_TEST(three_valued_logic)
{
	char ev[4096];
	const char *ns = "\"objectRef.namespace\"";
	const char *u = "{\"field\":\"objectRef.namespace\",\"equals\":\"prod\"}";
	const char *t = "{\"field\":\"verb\",\"equals\":\"delete\"}";
	const char *f = "{\"field\":\"verb\",\"equals\":\"get\"}";
	char m[512];

	snprintf(ev, sizeof(ev), "%s", event(NULL, NULL, NULL, NULL, NULL));
	snprintf(m, sizeof(m), "{\"all\":[%s,%s]}", u, f);
	ck_assert_str_eq(judge(m, ns, ev), "none");            /* U and F = F */
	snprintf(m, sizeof(m), "{\"all\":[%s,%s]}", u, t);
	ck_assert_str_eq(judge(m, ns, ev), "needs_context");   /* U and T = U */
	snprintf(m, sizeof(m), "{\"any\":[%s,%s]}", u, f);
	ck_assert_str_eq(judge(m, ns, ev), "needs_context");   /* U or F = U */
	snprintf(m, sizeof(m), "{\"not\":%s}", u);
	ck_assert_str_eq(judge(m, ns, ev), "needs_context");   /* not U = U */
	snprintf(m, sizeof(m), "{\"not\":{\"any\":[%s,%s]}}", u, t);
	ck_assert_str_eq(judge(m, ns, ev), "none");            /* not (U or T) = F */
	/* U or T = T, but the decisive field is still missing: the gate says
	 * needs_context rather than a verdict on partial evidence */
	snprintf(m, sizeof(m), "{\"any\":[%s,%s]}", u, t);
	ck_assert_str_eq(judge(m, ns, ev), "needs_context");
	/* without the field decisive the same rule simply matches */
	ck_assert_str_eq(judge(m, NULL, ev), "suspicious");
	snprintf(m, sizeof(m), "{\"all\":[%s,{\"any\":[%s,%s]},{\"not\":%s}]}", t, f, t, f);
	ck_assert_str_eq(judge(m, NULL, ev), "suspicious");
}
END_TEST

START_TEST(op_outcome)
{
	MATCH("{\"outcome\":\"allowed\"}");
	NO_MATCH("{\"outcome\":\"denied\"}");
	MATCH("{\"outcome\":[\"denied\",\"allowed\"]}");
	ck_assert_str_eq(judge("{\"outcome\":\"denied\"}", NULL,
			       event(NULL, NULL, NULL, ",\"responseStatus\":{\"code\":403}",
				     "forbid")), "suspicious");
	ck_assert_str_eq(judge("{\"outcome\":\"error\"}", NULL,
			       event(NULL, NULL, NULL, ",\"responseStatus\":{\"code\":500}", NULL)),
			 "suspicious");
	/* no code and no decision: the outcome is unknown, so is the match */
	ck_assert_str_eq(judge("{\"outcome\":\"allowed\"}", NULL,
			       event(NULL, NULL, NULL, "", "")), "needs_context");
	ck_assert_ptr_nonnull(strstr(tu_json_get(last_line, "reason"), "outcome"));
	ck_assert_str_eq(judge("{\"outcome\":[\"allowed\",\"unknown\"]}", NULL,
			       event(NULL, NULL, NULL, "", "")), "suspicious");
	ck_assert_str_eq(judge("{\"all\":[{\"outcome\":\"allowed\"},"
			       "{\"field\":\"verb\",\"equals\":\"get\"}]}", NULL,
			       event(NULL, NULL, NULL, "", "")), "none");
}
END_TEST

START_TEST(op_identity)
{
	MATCH("{\"identity\":\"none\"}");
	NO_MATCH("{\"identity\":\"control-plane\"}");
	ck_assert_str_eq(judge("{\"identity\":\"control-plane\"}", NULL,
			       event("system:kube-controller-manager", "", NULL, NULL, NULL)),
			 "suspicious");
	ck_assert_str_eq(judge("{\"identity\":\"node\"}", NULL,
			       event("system:node:ip-10-0-0-1", "\"system:nodes\"", NULL, NULL,
				     NULL)), "suspicious");
	/* groups that contradict the name: not a node */
	ck_assert_str_eq(judge("{\"identity\":\"none\"}", NULL,
			       event("system:node:ip-10-0-0-1", "\"dev\"", NULL, NULL, NULL)),
			 "suspicious");
	ck_assert_str_eq(judge("{\"identity\":\"kube-system-sa\"}", NULL,
			       event("system:serviceaccount:kube-system:replicaset-controller",
				     "\"system:serviceaccounts:kube-system\"", NULL, NULL, NULL)),
			 "suspicious");
	ck_assert_str_eq(judge("{\"identity\":[\"provider\",\"operator\"]}", NULL,
			       event("eks:node-manager", "", NULL, NULL, NULL)), "suspicious");
	ck_assert_str_eq(judge("{\"identity\":\"operator\"}", NULL,
			       event("system:serviceaccount:openshift-apiserver:sa", "", NULL, NULL,
				     NULL)), "suspicious");
	/* no usable username: class none, unless user.username is decisive */
	ck_assert_str_eq(judge("{\"identity\":\"none\"}", NULL,
			       event("-", NULL, NULL, NULL, NULL)), "suspicious");
	ck_assert_str_eq(judge("{\"identity\":\"none\"}", "\"user.username\"",
			       event("-", NULL, NULL, NULL, NULL)), "needs_context");
}
END_TEST

/* trusted_users from a policy make an identity control-plane for rules too */
START_TEST(identity_follows_policy)
{
	const char *rules = "{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":"
			    "\"malicious\",\"severity\":\"critical\",\"match\":"
			    "{\"identity\":\"none\"}}]}";
	kag_registry *r = new_reg();
	tu_ctx t;

	ck_assert_int_eq(load(r, rules), KAG_OK);
	ck_assert_int_eq(kag_registry_policy_add(r, KAG_LIST_TRUSTED_USERS, "alice@example.com"),
			 KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, event(NULL, NULL, NULL, NULL, NULL), (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "t"), 0);
	tu_free(&t);
}
END_TEST

/* ---- verdicts ---- */

START_TEST(verdict_carries_rule_fields)
{
	const char *rules =
		"{\"rules\":[{\"id\":\"ns_deleted\",\"title\":\"Namespace deleted\","
		"\"assessment\":\"malicious\",\"severity\":\"critical\",\"confidence\":\"medium\","
		"\"attack\":[\"T1485\",\"T1489\"],"
		"\"decisive\":[\"verb\",\"objectRef.resource\",\"objectRef.name\"],"
		"\"match\":{\"all\":[{\"field\":\"verb\",\"equals\":\"delete\"},"
		"{\"field\":\"objectRef.resource\",\"equals\":\"namespaces\"},"
		"{\"outcome\":\"allowed\"}]}}]}";
	kag_registry *r = new_reg();
	const char *v;
	tu_ctx t;

	ck_assert_int_eq(load(r, rules), KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, event(NULL, NULL, NULL, NULL, NULL), (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "ns_deleted"), 1);
	v = tu_find(&t, "ns_deleted", 0);
	ck_assert_str_eq(tu_json_get(v, "assessment"), "malicious");
	ck_assert_str_eq(tu_json_get(v, "severity"), "critical");
	ck_assert_str_eq(tu_json_get(v, "confidence"), "medium");
	ck_assert_str_eq(tu_json_get(v, "outcome"), "allowed");
	ck_assert_str_eq(tu_json_get(v, "attack"), "[\"T1485\",\"T1489\"]");
	ck_assert_str_eq(tu_json_get(v, "reason"),
			 "Namespace deleted (rule ns_deleted): verb=delete, "
			 "objectRef.resource=namespaces, objectRef.name=prod, "
			 "user.username=alice@example.com");
	ck_assert_str_eq(tu_json_get(v, "evidence.user.username"), "alice@example.com");
	ck_assert_str_eq(tu_json_get(v, "event.auditID"), "a1");
	tu_free(&t);
}
END_TEST

START_TEST(needs_context_when_decisive_missing)
{
	const char *rules =
		"{\"rules\":[{\"id\":\"cm_read\",\"title\":\"kube-system configmap read\","
		"\"assessment\":\"suspicious\",\"severity\":\"high\",\"attack\":[\"T1613\"],"
		"\"decisive\":[\"verb\",\"objectRef.resource\",\"objectRef.namespace\"],"
		"\"match\":{\"all\":[{\"field\":\"verb\",\"equals\":\"get\"},"
		"{\"field\":\"objectRef.resource\",\"equals\":\"configmaps\"},"
		"{\"field\":\"objectRef.namespace\",\"equals\":\"kube-system\"}]}}]}";
	const char *ev =
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
		"\"auditID\":\"c1\",\"stage\":\"ResponseComplete\",\"verb\":\"get\","
		"\"user\":{\"username\":\"bob\"},\"objectRef\":{\"resource\":\"configmaps\","
		"\"namespace\":\"-\",\"name\":\"aws-auth\"},\"responseStatus\":{\"code\":200}}\n"
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
		"\"auditID\":\"c2\",\"stage\":\"ResponseComplete\",\"verb\":\"get\","
		"\"user\":{\"username\":\"bob\"},\"objectRef\":{\"resource\":\"pods\"},"
		"\"responseStatus\":{\"code\":200}}\n";
	kag_registry *r = new_reg();
	const char *v;
	tu_ctx t;

	ck_assert_int_eq(load(r, rules), KAG_OK);
	tu_init_registry(&t, r);
	tu_judge(&t, ev, (size_t)-1);
	/* c2 (pods) cannot match whatever its namespace: no verdict */
	ck_assert_uint_eq(tu_count(&t, "cm_read"), 1);
	v = tu_find(&t, "cm_read", 0);
	ck_assert_str_eq(tu_json_get(v, "event.auditID"), "c1");
	ck_assert_str_eq(tu_json_get(v, "assessment"), "needs_context");
	ck_assert_str_eq(tu_json_get(v, "severity"), "medium"); /* high rule */
	ck_assert_str_eq(tu_json_get(v, "missing"), "[\"objectRef.namespace\"]");
	ck_assert_str_eq(tu_json_get(v, "attack"), "[\"T1613\"]");
	ck_assert_ptr_nonnull(strstr(tu_json_get(v, "reason"), "objectRef.namespace"));
	tu_free(&t);
}
END_TEST

START_TEST(min_level_needs_a_body)
{
	ck_assert_str_eq(judge("{\"field\":\"verb\",\"equals\":\"delete\"}", NULL,
			       event(NULL, NULL, NULL, NULL, NULL)), "suspicious");
	{
		const char *rules = "{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":"
				    "\"suspicious\",\"severity\":\"low\",\"min_level\":\"Request\","
				    "\"match\":{\"field\":\"verb\",\"equals\":\"delete\"}}]}";
		kag_registry *r = new_reg();
		tu_ctx t;

		ck_assert_int_eq(load(r, rules), KAG_OK);
		tu_init_registry(&t, r);
		tu_judge(&t, event(NULL, NULL, NULL, NULL, NULL), (size_t)-1);
		ck_assert_uint_eq(tu_count(&t, "t"), 1);
		ck_assert_str_eq(tu_json_get(tu_find(&t, "t", 0), "assessment"), "needs_context");
		ck_assert_str_eq(tu_json_get(tu_find(&t, "t", 0), "severity"), "low");
		tu_free(&t);
	}
}
END_TEST

START_TEST(registry_view_of_rules)
{
	const char *rules =
		"{\"version\":1,\"rules\":[{\"id\":\"r1\",\"title\":\"One\",\"description\":"
		"\"first rule\",\"assessment\":\"benign\",\"severity\":\"info\",\"decisive\":"
		"[\"verb\"],\"match\":{\"field\":\"verb\",\"equals\":\"get\"}},"
		"{\"id\":\"r2\",\"title\":\"Two\",\"assessment\":\"suspicious\",\"severity\":"
		"\"low\",\"match\":{\"outcome\":\"denied\"}}]}";
	kag_registry *r = new_reg();
	size_t n = kag_registry_count(r), idx;
	kag_gate *g;
	kag_event *ev;
	const char *doc;

	ck_assert_int_eq(load(r, rules), KAG_OK);
	ck_assert_uint_eq(kag_registry_count(r), n + 2);
	ck_assert_int_eq(kag_registry_find(&idx, r, "r1"), KAG_OK);
	ck_assert_uint_eq(idx, n);
	ck_assert_str_eq(kag_registry_detector_title(r, idx), "One");
	ck_assert_int_eq(kag_registry_detector_enabled(r, idx), 1);
	doc = kag_registry_detector_doc(r, idx);
	ck_assert_str_eq(doc, "finds: first rule\n"
			 "match: {\"field\":\"verb\",\"equals\":\"get\"}\n"
			 "decisive fields: verb (absent => needs_context)\n"
			 "level: Metadata\nATT&CK: none\nsource: caller rule");
	/* the stand-alone gate knows rules too */
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(kag_gate_evaluate(&g, r, "r1", ev), KAG_OK);
	ck_assert_int_eq(kag_gate_passed(g), 0);
	ck_assert_uint_eq(kag_gate_missing_count(g), 1);
	ck_assert_int_eq(kag_gate_missing_field(g, 0), KAG_FIELD_VERB);
	kag_gate_free(g);
	kag_event_free(ev);
	/* a policy can disable a rule by id */
	ck_assert_int_eq(kag_registry_load_policy(r, "{\"detectors\":{\"disable\":[\"r2\"]}}",
						  strlen("{\"detectors\":{\"disable\":[\"r2\"]}}")),
			 KAG_OK);
	ck_assert_int_eq(kag_registry_detector_enabled(r, n + 1), 0);
	/* loading more rules appends; an id loaded before is a duplicate */
	ck_assert_int_eq(load(r, "{\"rules\":[]}"), KAG_OK);
	ck_assert_int_eq(load(r, "{\"rules\":[{\"id\":\"r2\",\"title\":\"x\",\"assessment\":"
			      "\"benign\",\"severity\":\"info\",\"match\":{\"outcome\":\"denied\"}}]}"),
			 KAG_ESCHEMA);
	ck_assert_str_eq(kag_registry_error_path(r), "/rules/0/id");
	ck_assert_uint_eq(kag_registry_count(r), n + 2);
	kag_registry_free(r);
}
END_TEST

static kag_registry *example_registry(void)
{
	char path[1024];
	size_t len, idx;
	char *data;
	kag_registry *r = new_reg();

	snprintf(path, sizeof(path), "%s/../../examples/rules.json", KAG_TEST_DATA);
	data = tu_read_file(path, &len);
	ck_assert_msg(kag_registry_load_rules(r, data, len) == KAG_OK, "%s",
		      kag_registry_error_message(r));
	free(data);
	ck_assert_int_eq(kag_registry_find(&idx, r, "namespace_deleted"), KAG_OK);
	ck_assert_int_eq(kag_registry_find(&idx, r, "kube_system_configmap_read"), KAG_OK);
	return r;
}

START_TEST(example_file)
{
	tu_ctx t;
	const char *v;

	tu_init_registry(&t, example_registry());
	tu_judge(&t, event(NULL, NULL, NULL, NULL, NULL), (size_t)-1);
	ck_assert_uint_eq(tu_count(&t, "namespace_deleted"), 1);
	v = tu_find(&t, "namespace_deleted", 0);
	ck_assert_str_eq(tu_json_get(v, "assessment"), "suspicious");
	ck_assert_str_eq(tu_json_get(v, "severity"), "high");
	tu_free(&t);
	/* the controller manager deleting a namespace is not a person */
	tu_init_registry(&t, example_registry());
	tu_judge(&t, event("system:kube-controller-manager", "", NULL, NULL, NULL), (size_t)-1);
	ck_assert_uint_eq(t.n_events, 1);
	ck_assert_uint_eq(tu_count(&t, "namespace_deleted"), 0);
	tu_free(&t);
}
END_TEST

/* ---- errors ---- */

static void expect_error(const char *json, int code, const char *path, const char *needle)
{
	kag_registry *r = new_reg();
	size_t n = kag_registry_count(r);
	int rc = load(r, json);

	ck_assert_msg(rc == code, "%s: got %s (%s), want %s", json, kag_error_name(rc),
		      kag_registry_error_message(r), kag_error_name(code));
	ck_assert_msg(strcmp(kag_registry_error_path(r), path) == 0, "%s: path '%s', want '%s'",
		      json, kag_registry_error_path(r), path);
	if (*path)
		ck_assert_msg(strncmp(kag_registry_error_message(r), path, strlen(path)) == 0,
			      "message '%s'", kag_registry_error_message(r));
	if (needle)
		ck_assert_msg(strstr(kag_registry_error_message(r), needle) != NULL,
			      "message '%s' lacks '%s'", kag_registry_error_message(r), needle);
	/* nothing was added */
	ck_assert_uint_eq(kag_registry_count(r), n);
	kag_registry_free(r);
}

/* One rule with `extra` members and match `match`. */
static const char *rule(const char *extra, const char *match)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":"
		 "\"suspicious\",\"severity\":\"low\"%s,\"match\":%s}]}", extra, match);
	return buf;
}

#define OK_MATCH "{\"field\":\"verb\",\"equals\":\"get\"}"

START_TEST(document_errors)
{
	expect_error("{\"rules\":[", KAG_EPARSE, "", "line 1, column");
	expect_error("[]", KAG_ESCHEMA, "", "JSON object");
	expect_error("{}", KAG_ESCHEMA, "", "missing required key \"rules\"");
	expect_error("{\"rule\":[]}", KAG_ESCHEMA, "/rule", "unknown key");
	expect_error("{\"rules\":{}}", KAG_ESCHEMA, "/rules", "array");
	expect_error("{\"version\":2,\"rules\":[]}", KAG_ESCHEMA, "/version", "version");
	expect_error("{\"rules\":[7]}", KAG_ESCHEMA, "/rules/0", "expected a rule");
	expect_error("{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":\"suspicious\","
		     "\"severity\":\"low\"}]}", KAG_ESCHEMA, "/rules/0",
		     "missing required key \"match\"");
	expect_error(rule(",\"severty\":\"low\"", OK_MATCH), KAG_ESCHEMA, "/rules/0/severty",
		     "unknown key in a rule");
}
END_TEST

START_TEST(rule_field_errors)
{
	char buf[4096];

	expect_error("{\"rules\":[{\"id\":\"a b\",\"title\":\"T\",\"assessment\":\"benign\","
		     "\"severity\":\"low\",\"match\":" OK_MATCH "}]}", KAG_ESCHEMA, "/rules/0/id",
		     "rule id");
	expect_error("{\"rules\":[{\"id\":\"rbac_probing\",\"title\":\"T\",\"assessment\":"
		     "\"benign\",\"severity\":\"low\",\"match\":" OK_MATCH "}]}", KAG_ESCHEMA,
		     "/rules/0/id", "duplicate id \"rbac_probing\"");
	snprintf(buf, sizeof(buf), "{\"rules\":[%s,%s]}",
		 "{\"id\":\"x\",\"title\":\"T\",\"assessment\":\"benign\",\"severity\":\"low\","
		 "\"match\":" OK_MATCH "}",
		 "{\"id\":\"x\",\"title\":\"T\",\"assessment\":\"benign\",\"severity\":\"low\","
		 "\"match\":" OK_MATCH "}");
	expect_error(buf, KAG_ESCHEMA, "/rules/1/id", "duplicate id \"x\" (also /rules/0/id)");
	expect_error("{\"rules\":[{\"id\":\"t\",\"title\":\"\",\"assessment\":\"benign\","
		     "\"severity\":\"low\",\"match\":" OK_MATCH "}]}", KAG_ESCHEMA,
		     "/rules/0/title", "empty");
	expect_error("{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":\"needs_context\","
		     "\"severity\":\"low\",\"match\":" OK_MATCH "}]}", KAG_ESCHEMA,
		     "/rules/0/assessment", "unknown assessment \"needs_context\"");
	expect_error("{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":\"benign\","
		     "\"severity\":\"urgent\",\"match\":" OK_MATCH "}]}", KAG_ESCHEMA,
		     "/rules/0/severity", "one of: info, low, medium, high, critical");
	expect_error(rule(",\"confidence\":3", OK_MATCH), KAG_ESCHEMA, "/rules/0/confidence",
		     NULL);
	expect_error(rule(",\"min_level\":\"None\"", OK_MATCH), KAG_ESCHEMA, "/rules/0/min_level",
		     "audit level");
	expect_error(rule(",\"attack\":[\"T1609\",\"T12\"]", OK_MATCH), KAG_ESCHEMA,
		     "/rules/0/attack/1", "ATT&CK");
	expect_error(rule(",\"attack\":[\"T1609\",\"T1609\"]", OK_MATCH), KAG_ESCHEMA,
		     "/rules/0/attack/1", "twice");
	expect_error(rule(",\"attack\":[\"T1\",\"T2\",\"T3\",\"T4\",\"T5\",\"T6\",\"T7\"]",
			  OK_MATCH), KAG_ELIMIT, "/rules/0/attack", NULL);
	expect_error(rule(",\"decisive\":[\"verb\",\"objectRef.resourc\"]", OK_MATCH),
		     KAG_ESCHEMA, "/rules/0/decisive/1", "unknown field path \"objectRef.resourc\"");
	expect_error(rule(",\"decisive\":[\"verb\",\"verb\"]", OK_MATCH), KAG_ESCHEMA,
		     "/rules/0/decisive/1", "twice");
	expect_error(rule(",\"decisive\":[\"annotations.authorization.k8s.io/decision\"]",
			  OK_MATCH), KAG_ESCHEMA, "/rules/0/decisive/0", "write \"annotations\"");
	expect_error(rule(",\"decisive\":\"verb\"", OK_MATCH), KAG_ESCHEMA, "/rules/0/decisive",
		     NULL);
}
END_TEST

START_TEST(match_errors)
{
	expect_error(rule("", "[]"), KAG_ESCHEMA, "/rules/0/match", "match node");
	expect_error(rule("", "{}"), KAG_ESCHEMA, "/rules/0/match", "a match node is one of");
	expect_error(rule("", "{\"field\":\"verb\"}"), KAG_ESCHEMA, "/rules/0/match", NULL);
	expect_error(rule("", "{\"field\":\"verb\",\"equal\":\"get\"}"), KAG_ESCHEMA,
		     "/rules/0/match/equal", "unknown key in a match node");
	expect_error(rule("", "{\"field\":\"verb\",\"equals\":\"get\",\"prefix\":\"g\"}"),
		     KAG_ESCHEMA, "/rules/0/match/prefix", "exactly one operator");
	expect_error(rule("", "{\"all\":[" OK_MATCH ",{\"field\":\"objectRef.resourc\","
			  "\"equals\":\"x\"}]}"), KAG_ESCHEMA, "/rules/0/match/all/1/field",
		     "unknown field path \"objectRef.resourc\"");
	expect_error(rule("", "{\"all\":[]}"), KAG_ESCHEMA, "/rules/0/match/all", "non-empty");
	expect_error(rule("", "{\"any\":{}}"), KAG_ESCHEMA, "/rules/0/match/any", NULL);
	expect_error(rule("", "{\"not\":[]}"), KAG_ESCHEMA, "/rules/0/match/not", NULL);
	expect_error(rule("", "{\"outcome\":\"allowed\",\"field\":\"verb\"}"), KAG_ESCHEMA,
		     "/rules/0/match/field", NULL);
	expect_error(rule("", "{\"field\":\"verb\",\"equals\":\"\"}"), KAG_ESCHEMA,
		     "/rules/0/match/equals", "empty");
	expect_error(rule("", "{\"field\":\"verb\",\"equals\":\"-\"}"), KAG_ESCHEMA,
		     "/rules/0/match/equals", "placeholder");
	expect_error(rule("", "{\"field\":\"verb\",\"equals\":5}"), KAG_ESCHEMA,
		     "/rules/0/match/equals", "string");
	expect_error(rule("", "{\"field\":\"verb\",\"in\":[\"get\",\"<none>\"]}"), KAG_ESCHEMA,
		     "/rules/0/match/in/1", "placeholder");
	expect_error(rule("", "{\"field\":\"verb\",\"in\":[]}"), KAG_ESCHEMA,
		     "/rules/0/match/in", NULL);
	expect_error(rule("", "{\"field\":\"verb\",\"exists\":1}"), KAG_ESCHEMA,
		     "/rules/0/match/exists", "true or false");
	expect_error(rule("", "{\"field\":\"verb\",\"lt\":3}"), KAG_ESCHEMA,
		     "/rules/0/match/lt", "responseStatus.code only");
	expect_error(rule("", "{\"field\":\"responseStatus.code\",\"prefix\":\"4\"}"),
		     KAG_ESCHEMA, "/rules/0/match/prefix", "number");
	expect_error(rule("", "{\"field\":\"responseStatus.code\",\"ge\":\"400\"}"),
		     KAG_ESCHEMA, "/rules/0/match/ge", "integer");
	expect_error(rule("", "{\"field\":\"responseStatus.code\",\"in\":[401,\"403\"]}"),
		     KAG_ESCHEMA, "/rules/0/match/in/1", "integer");
	expect_error(rule("", "{\"field\":\"objectRef\",\"equals\":\"x\"}"), KAG_ESCHEMA,
		     "/rules/0/match/equals", "only be tested with exists");
	expect_error(rule("", "{\"field\":\"annotations\",\"equals\":\"x\"}"), KAG_ESCHEMA,
		     "/rules/0/match/equals", "annotations.<key>");
	expect_error(rule("", "{\"outcome\":\"allow\"}"), KAG_ESCHEMA, "/rules/0/match/outcome",
		     "unknown outcome \"allow\"");
	expect_error(rule("", "{\"any\":[{\"outcome\":[\"denied\",\"forbidden\"]}]}"),
		     KAG_ESCHEMA, "/rules/0/match/any/0/outcome/1", "forbidden");
	expect_error(rule("", "{\"outcome\":[]}"), KAG_ESCHEMA, "/rules/0/match/outcome", NULL);
	expect_error(rule("", "{\"identity\":\"human\"}"), KAG_ESCHEMA,
		     "/rules/0/match/identity", "control-plane, node, kube-system-sa");
}
END_TEST

START_TEST(glob_errors)
{
	expect_error(rule("", "{\"field\":\"verb\",\"glob\":\"[a-z]*\"}"), KAG_ESCHEMA,
		     "/rules/0/match/glob", "character classes");
	expect_error(rule("", "{\"field\":\"verb\",\"glob\":\"get]\"}"), KAG_ESCHEMA,
		     "/rules/0/match/glob", "character classes");
	expect_error(rule("", "{\"field\":\"verb\",\"glob\":\"get\\\\\"}"), KAG_ESCHEMA,
		     "/rules/0/match/glob", "trailing");
	expect_error(rule("", "{\"field\":\"verb\",\"glob\":\"\"}"), KAG_ESCHEMA,
		     "/rules/0/match/glob", "empty");
}
END_TEST

/* A rules file whose rules 0, 1, ... hold per_rule[i] globs each, in an
 * "any". */
static char *many_globs(const size_t *per_rule, size_t n_rules)
{
	size_t cap = 1u << 20, n = 0, i, k;
	char *json = malloc(cap);

	ck_assert_ptr_nonnull(json);
	n += (size_t)snprintf(json + n, cap - n, "{\"rules\":[");
	for (i = 0; i < n_rules; i++) {
		n += (size_t)snprintf(json + n, cap - n, "%s{\"id\":\"r%zu\",\"title\":\"T\","
				      "\"assessment\":\"benign\",\"severity\":\"low\",\"match\":"
				      "{\"any\":[", i ? "," : "", i);
		for (k = 0; k < per_rule[i]; k++)
			n += (size_t)snprintf(json + n, cap - n, "%s{\"field\":\"userAgent\","
					      "\"glob\":\"*x%zu-%zu*\"}", k ? "," : "", i, k);
		n += (size_t)snprintf(json + n, cap - n, "]}}");
		ck_assert_uint_lt(n, cap - 256);
	}
	snprintf(json + n, cap - n, "]}");
	return json;
}

START_TEST(glob_limits)
{
	char pat[1100], json[1400];
	size_t per_rule[3] = { 400, 400, 224 };
	kag_registry *r;
	char *many;

	/* 256 bytes after unescaping, where the escape \* counts as one */
	memset(pat, 0, sizeof(pat));
	memcpy(pat, "\\\\*", 3);
	memset(pat + 3, 'a', 255);
	snprintf(json, sizeof(json), "{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":"
		 "\"benign\",\"severity\":\"low\",\"match\":{\"all\":[" OK_MATCH ",{\"field\":"
		 "\"userAgent\",\"glob\":\"%s\"}]}}]}", pat);
	r = new_reg();
	ck_assert_msg(load(r, json) == KAG_OK, "%s", kag_registry_error_message(r));
	kag_registry_free(r);
	pat[3 + 255] = 'a';
	snprintf(json, sizeof(json), "{\"rules\":[{\"id\":\"t\",\"title\":\"T\",\"assessment\":"
		 "\"benign\",\"severity\":\"low\",\"match\":{\"all\":[" OK_MATCH ",{\"field\":"
		 "\"userAgent\",\"glob\":\"%s\"}]}}]}", pat);
	expect_error(json, KAG_ELIMIT, "/rules/0/match/all/1/glob",
		     "glob pattern longer than 256 bytes (after unescaping)");
	/* "*" + 1000 "a" + "b" */
	memset(pat, 0, sizeof(pat));
	pat[0] = '*';
	memset(pat + 1, 'a', 1000);
	pat[1001] = 'b';
	snprintf(json, sizeof(json), "{\"field\":\"userAgent\",\"glob\":\"%s\"}", pat);
	expect_error(rule("", json), KAG_ELIMIT, "/rules/0/match/glob", "longer than 256 bytes");

	/* 1024 glob patterns in a file, not 1025 */
	many = many_globs(per_rule, 3);
	r = new_reg();
	ck_assert_msg(load(r, many) == KAG_OK, "%s", kag_registry_error_message(r));
	kag_registry_free(r);
	free(many);
	per_rule[2] = 225;
	many = many_globs(per_rule, 3);
	expect_error(many, KAG_ELIMIT, "/rules/2/match/any/224/glob",
		     "more than 1024 glob patterns in one rules file");
	free(many);
}
END_TEST

START_TEST(limits_and_state)
{
	char deep[2048], want[1024];
	size_t n = 0, i, w;
	kag_registry *r;

	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"rules\":[{\"id\":\"t\",\"title\":"
			      "\"T\",\"assessment\":\"benign\",\"severity\":\"low\",\"match\":");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"not\":");
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, OK_MATCH);
	for (i = 0; i < 40; i++)
		deep[n++] = '}';
	snprintf(deep + n, sizeof(deep) - n, "}]}");
	/* the match is depth 1: the node at depth 33 is 32 "not"s down */
	w = (size_t)snprintf(want, sizeof(want), "/rules/0/match");
	for (i = 0; i < 32; i++)
		w += (size_t)snprintf(want + w, sizeof(want) - w, "/not");
	expect_error(deep, KAG_ELIMIT, want, "deeper than 32");
	/* 31 levels below the match are fine */
	n = (size_t)snprintf(deep, sizeof(deep), "{\"rules\":[{\"id\":\"t\",\"title\":"
			     "\"T\",\"assessment\":\"benign\",\"severity\":\"low\",\"match\":");
	for (i = 0; i < 31; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"not\":");
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, OK_MATCH);
	for (i = 0; i < 31; i++)
		deep[n++] = '}';
	snprintf(deep + n, sizeof(deep) - n, "}]}");
	r = new_reg();
	ck_assert_msg(load(r, deep) == KAG_OK, "%s", kag_registry_error_message(r));
	kag_registry_free(r);

	r = new_reg();
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(load(r, rule("", OK_MATCH)), KAG_ESTATE);
	ck_assert_ptr_nonnull(strstr(kag_registry_error_message(r), "sealed"));
	kag_registry_free(r);
	ck_assert_int_eq(kag_registry_load_rules(NULL, "{}", 2), KAG_EINVAL);
}
END_TEST

/* A bad second rule leaves the registry without the first. */
START_TEST(all_or_nothing)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "{\"rules\":[%s,%s]}",
		 "{\"id\":\"good\",\"title\":\"T\",\"assessment\":\"benign\",\"severity\":\"low\","
		 "\"match\":" OK_MATCH "}",
		 "{\"id\":\"bad\",\"title\":\"T\",\"assessment\":\"benign\",\"severity\":\"low\","
		 "\"match\":{\"field\":\"nope\",\"exists\":true}}");
	expect_error(buf, KAG_ESCHEMA, "/rules/1/match/field", "unknown field path \"nope\"");
}
END_TEST

START_TEST(allocation_failures)
{
	const char *json =
		"{\"rules\":[{\"id\":\"a\",\"title\":\"A\",\"description\":\"d\",\"assessment\":"
		"\"suspicious\",\"severity\":\"high\",\"attack\":[\"T1485\",\"T1489\"],\"decisive\":"
		"[\"verb\",\"objectRef.resource\"],\"match\":{\"all\":[{\"field\":\"verb\",\"in\":"
		"[\"delete\",\"deletecollection\"]},{\"field\":\"userAgent\",\"glob\":\"kubectl/*\"},"
		"{\"field\":\"annotations.authorization.k8s.io/decision\",\"equals\":\"allow\"},"
		"{\"not\":{\"field\":\"responseStatus.code\",\"in\":[401,403]}},"
		"{\"identity\":[\"none\",\"node\"]},{\"outcome\":\"allowed\"}]}},"
		"{\"id\":\"b\",\"title\":\"B\",\"assessment\":\"benign\",\"severity\":\"info\","
		"\"match\":{\"field\":\"verb\",\"prefix\":\"g\"}}]}";
	unsigned long n;
	int rc = KAG_ENOMEM;

	for (n = 1; n < 400 && rc == KAG_ENOMEM; n++) {
		kag_registry *r = new_reg();
		size_t count = kag_registry_count(r);

		kag__alloc_fail_at(n);
		rc = load(r, json);
		kag__alloc_fail_at(0);
		if (rc == KAG_ENOMEM)
			ck_assert_uint_eq(kag_registry_count(r), count);
		else
			ck_assert_uint_eq(kag_registry_count(r), count + 2);
		kag_registry_free(r);
	}
	ck_assert_int_eq(rc, KAG_OK);
	ck_assert_uint_gt(n, 20);
}
END_TEST

/* ---- glob matching ---- */

/* lib/rules.c: compile `pattern` as a glob and match it against `value`: 1,
 * 0, or the KAG_E* code of a bad pattern. */

/* The reference: the textbook dynamic programme over the raw pattern, each
 * star on its own. at(i, j) holds when pattern bytes from i match value
 * bytes from j. */
static int ref_glob(const char *p, size_t np, const char *s, size_t ns)
{
	unsigned char *at = calloc((np + 2) * (ns + 1), 1);
	size_t i, j;
	int r;

	TU_REQUIRE(at != NULL);
#define AT(i, j) at[(i) * (ns + 1) + (j)]
	AT(np, ns) = 1;
	for (i = np; i-- > 0;) {
		for (j = ns + 1; j-- > 0;) {
			if (p[i] == '*')
				AT(i, j) = AT(i + 1, j) || (j < ns && AT(i, j + 1));
			else if (p[i] == '?')
				AT(i, j) = j < ns && AT(i + 1, j + 1);
			else if (p[i] == '\\' && i + 1 < np)
				AT(i, j) = j < ns && s[j] == p[i + 1] && AT(i + 2, j + 1);
			else
				AT(i, j) = j < ns && s[j] == p[i] && AT(i + 1, j + 1);
		}
	}
	r = AT(0, 0);
#undef AT
	free(at);
	return r;
}

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random glob of `pieces` pieces (1 in `star` a star) over the literal
 * bytes in lits, with ? and escapes; its unescaped length is `pieces`. */
static size_t gen_pattern(char *p, size_t pieces, unsigned star, const char *lits,
			  size_t n_lits)
{
	static const char escaped[] = "*?\\a";
	size_t n = 0, i;

	for (i = 0; i < pieces; i++) {
		unsigned k = rnd(star * 4);

		if (k < 4) {
			p[n++] = '*';
		} else if (k < 7) {
			p[n++] = '?';
		} else if (k < 9) {
			p[n++] = '\\';
			p[n++] = escaped[rnd(4)];
		} else {
			p[n++] = lits[rnd((unsigned)n_lits)];
		}
	}
	return n;
}

/* A value for pattern p: one it matches (stars and ? filled from vals),
 * with one byte changed one time in three, or a random one. */
static size_t gen_value(char *v, size_t cap, const char *p, size_t np, const char *vals,
			size_t n_vals, unsigned max_star)
{
	size_t n = 0, i, k;

	if (rnd(5) == 0) {
		n = rnd((unsigned)(np + 3 < cap ? np + 3 : cap));
		for (i = 0; i < n; i++)
			v[i] = vals[rnd((unsigned)n_vals)];
		return n;
	}
	for (i = 0; i < np && n < cap; i++) {
		if (p[i] == '*') {
			for (k = rnd(max_star + 1); k > 0 && n < cap; k--)
				v[n++] = vals[rnd((unsigned)n_vals)];
		} else if (p[i] == '?') {
			v[n++] = vals[rnd((unsigned)n_vals)];
		} else {
			if (p[i] == '\\')
				i++;
			v[n++] = p[i];
		}
	}
	if (n > 0 && rnd(3) == 0)
		v[rnd((unsigned)n)] = vals[rnd((unsigned)n_vals)];
	return n;
}

static void expect_glob(const char *p, size_t np, const char *v, size_t nv)
{
	int want = ref_glob(p, np, v, nv), got = kag__glob_test(p, np, v, nv);

	TU_REQUIRE_MSG(got == want, "glob \"%.*s\" against \"%.*s\": got %d, want %d", (int)np,
		       p, (int)nv, v, got, want);
}

START_TEST(glob_edge_cases)
{
	static const char *const pats[] = {
		"", "*", "**", "***", "?", "??", "*?", "?*", "*?*", "a", "a*", "*a", "*a*",
		"a*a", "a**b", "*a*b*", "a*b*c", "*ab*abc", "a?c", "\\*", "\\?", "\\\\",
		"\\a", "a\\*", "*\\**", "\\**\\?", "\\\\*\\\\",
	};
	static const char *const vals[] = {
		"", "a", "b", "aa", "ab", "ba", "abc", "aXc", "*", "?", "\\", "a*", "*a", "**",
		"a*b", "\\\\", "xabyabababc", "xabyababab", "aab", "abab", "?a", "a?",
	};
	size_t i, j;

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		for (j = 0; j < sizeof(vals) / sizeof(vals[0]); j++)
			expect_glob(pats[i], strlen(pats[i]), vals[j], strlen(vals[j]));
	/* bytes are unsigned, NUL included */
	expect_glob("?\xff*\x01", 4, "\x00\xff\x80\x01", 4);
	expect_glob("\xff*", 2, "\xfe", 1);
	ck_assert_int_eq(kag__glob_test("*", 1, "", 0), 1);
	ck_assert_int_eq(kag__glob_test("", 0, "", 0), 1);
	ck_assert_int_eq(kag__glob_test("", 0, "a", 1), 0);
	ck_assert_int_eq(kag__glob_test("a\\", 2, "a", 1), KAG_ESCHEMA);
	ck_assert_int_eq(kag__glob_test("[a]", 3, "a", 1), KAG_ESCHEMA);
}
END_TEST

START_TEST(glob_against_reference)
{
	static const char lits[] = "ab\xff";
	static const char vals[] = "aaab*?\\\xff\x00";
	char p[600], v[800];
	size_t i, np, nv;

	/* short patterns, most values near a match */
	for (i = 0; i < 20000; i++) {
		np = gen_pattern(p, rnd(11), 3, lits, sizeof(lits) - 1);
		nv = gen_value(v, 40, p, np, vals, sizeof(vals) - 1, 3);
		expect_glob(p, np, v, nv);
	}
	/* up to 256 bytes with few stars: middle segments longer than a word,
	 * across word boundaries */
	for (i = 0; i < 600; i++) {
		np = gen_pattern(p, 1 + rnd(256), 12 + rnd(60), lits, 2);
		nv = gen_value(v, sizeof(v), p, np, vals, 4, 40);
		expect_glob(p, np, v, nv);
	}
}
END_TEST

/* A value of n 'a's, then `end`. */
static char *run_of_a(size_t n, const char *end)
{
	char *v = malloc(n + strlen(end) + 1);

	ck_assert_ptr_nonnull(v);
	memset(v, 'a', n);
	strcpy(v + n, end);
	return v;
}

START_TEST(glob_worst_case)
{
	const size_t big = 1u << 20;
	char *tail = run_of_a(255, "b"), *mid = run_of_a(253, "b*?"), *v = run_of_a(big, "");
	char *too_long = run_of_a(1001, "b");

	/* "*" + 254 "a" + "b", the longest glob allowed: an anchored tail */
	tail[0] = '*';
	ck_assert_uint_eq(strlen(tail), 256);
	ck_assert_int_eq(kag__glob_test(tail, 256, v, big), 0);
	v[big - 1] = 'b';
	ck_assert_int_eq(kag__glob_test(tail, 256, v, big), 1);
	v[big - 1] = 'a';
	/* "*" + 252 "a" + "b*?": the same run searched for, four words of
	 * state; the match must end before the last byte */
	mid[0] = '*';
	ck_assert_uint_eq(strlen(mid), 256);
	ck_assert_int_eq(kag__glob_test(mid, 256, v, big), 0);
	v[big / 2] = 'b';
	ck_assert_int_eq(kag__glob_test(mid, 256, v, big), 1);
	v[big / 2] = 'a';
	v[big - 2] = 'b';
	ck_assert_int_eq(kag__glob_test(mid, 256, v, big), 1);
	v[big - 2] = 'a';
	v[big - 1] = 'b';
	ck_assert_int_eq(kag__glob_test(mid, 256, v, big), 0);
	v[big - 1] = 'a';
	/* "*" + 1000 "a" + "b" is over the limit */
	too_long[0] = '*';
	ck_assert_int_eq(kag__glob_test(too_long, strlen(too_long), v, big), KAG_ELIMIT);
	ck_assert_int_eq(kag__glob_test(too_long, 256, "a", 1), 0);
	ck_assert_int_eq(kag__glob_test(too_long, 257, "a", 1), KAG_ELIMIT);
	free(tail);
	free(mid);
	free(v);
	free(too_long);
}
END_TEST

/* Register `globs` as rules g0, g1, ... on userAgent and judge each value
 * with them; compare which matched with want[value][glob], or with the
 * reference when want is NULL. */
static void rules_against_reference(const char *const *globs, size_t n_globs,
				    const char *const *values, size_t n_values,
				    const int *want)
{
	size_t cap = 1u << 20, n, i, k;
	char *json = malloc(cap), id[32], *seen = calloc(n_globs, 1);
	kag_registry *r = new_reg();
	kag_event *ev;

	ck_assert_ptr_nonnull(json);
	ck_assert_ptr_nonnull(seen);
	n = (size_t)snprintf(json, cap, "{\"rules\":[");
	for (i = 0; i < n_globs; i++) {
		const char *g;

		n += (size_t)snprintf(json + n, cap - n, "%s{\"id\":\"g%zu\",\"title\":\"G\","
				      "\"assessment\":\"suspicious\",\"severity\":\"low\","
				      "\"match\":{\"field\":\"userAgent\",\"glob\":\"", i ? "," : "",
				      i);
		for (g = globs[i]; *g; g++) {
			if (*g == '\\' || *g == '"')
				json[n++] = '\\';
			json[n++] = *g;
		}
		n += (size_t)snprintf(json + n, cap - n, "\"}}");
		ck_assert_uint_lt(n, cap - 1024);
	}
	snprintf(json + n, cap - n, "]}");
	ck_assert_msg(load(r, json) == KAG_OK, "%s", kag_registry_error_message(r));
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (k = 0; k < n_values; k++) {
		kag_session *sess;
		const kag_result *res;

		ck_assert_int_eq(kag_session_new(&sess, r), KAG_OK);
		kag_event_clear(ev);
		snprintf(id, sizeof(id), "g-%zu", k);
		kag_event_set_string(ev, KAG_FIELD_AUDIT_ID, id, strlen(id), KAG_STATE_OBSERVED);
		kag_event_set_string(ev, KAG_FIELD_STAGE, "ResponseComplete", 16,
				     KAG_STATE_OBSERVED);
		kag_event_set_string(ev, KAG_FIELD_LEVEL, "Metadata", 8, KAG_STATE_OBSERVED);
		kag_event_set_string(ev, KAG_FIELD_VERB, "get", 3, KAG_STATE_OBSERVED);
		kag_event_set_string(ev, KAG_FIELD_USER_USERNAME, "alice", 5, KAG_STATE_OBSERVED);
		kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 200, KAG_STATE_OBSERVED);
		ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_AGENT, values[k],
						      strlen(values[k]), KAG_STATE_OBSERVED),
				 KAG_OK);
		ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
		memset(seen, 0, n_globs);
		for (i = 0; i < kag_result_count(res); i++) {
			const char *det = kag_verdict_detector(kag_result_verdict(res, i));

			if (det[0] == 'g' && det[1] >= '0' && det[1] <= '9')
				seen[strtoul(det + 1, NULL, 10)] = 1;
		}
		for (i = 0; i < n_globs; i++) {
			int w = want ? want[k * n_globs + i]
				     : ref_glob(globs[i], strlen(globs[i]), values[k],
						strlen(values[k]));

			TU_REQUIRE_MSG(seen[i] == w, "rule glob \"%s\" against \"%.80s\": %s",
				       globs[i], values[k], seen[i] ? "matched" : "did not match");
		}
		kag_session_free(sess);
	}
	kag_event_free(ev);
	kag_registry_free(r);
	free(json);
	free(seen);
}

/* s with each 'E' written as the two bytes of "é" (UTF-8). */
static char *with_e_acute(const char *s, size_t n)
{
	char *out = malloc(2 * n + 1);
	size_t i, k = 0;

	ck_assert_ptr_nonnull(out);
	for (i = 0; i < n; i++) {
		if (s[i] == 'E') {
			out[k++] = '\xc3';
			out[k++] = '\xa9';
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	return out;
}

/* Through a loaded rules file, on an event field: non-empty JSON strings
 * (ASCII and a letter of two bytes, which '?' does not match). */
START_TEST(glob_rules_against_reference)
{
	static const char lits[] = "abE";
	static const char vals[] = "aab*?\\E";
	enum { N_GLOBS = 300, N_VALUES = 120 };
	char *raw[N_GLOBS], *globs[N_GLOBS], *values[N_VALUES], p[600], v[400];
	size_t i, np, nv;

	for (i = 0; i < N_GLOBS; i++) {
		np = gen_pattern(p, 1 + rnd(i % 3 ? 10 : 120), i % 3 ? 3 : 20, lits,
				 sizeof(lits) - 1);
		raw[i] = malloc(np + 1);
		ck_assert_ptr_nonnull(raw[i]);
		memcpy(raw[i], p, np);
		raw[i][np] = '\0';
		globs[i] = with_e_acute(p, np);
	}
	/* values near a match of one of the globs */
	for (i = 0; i < N_VALUES; i++) {
		do {
			const char *g = raw[rnd(N_GLOBS)];

			nv = gen_value(v, sizeof(v), g, strlen(g), vals, sizeof(vals) - 1, 4);
		} while (nv == 0);
		values[i] = with_e_acute(v, nv);
	}
	rules_against_reference((const char *const *)globs, N_GLOBS,
				(const char *const *)values, N_VALUES, NULL);
	for (i = 0; i < N_GLOBS; i++) {
		free(raw[i]);
		free(globs[i]);
	}
	for (i = 0; i < N_VALUES; i++)
		free(values[i]);
}
END_TEST

/* The longest glob there is, against a 1 MiB field, through a rule. */
START_TEST(glob_rule_worst_case)
{
	const size_t big = 1u << 20;
	char *star = run_of_a(255, "b"), *mid = run_of_a(253, "b*?"), *v = run_of_a(big, "");
	char *vb = run_of_a(big - 1, "b");
	const char *globs[3], *values[2];
	/* [value][glob]: 1 MiB of "a" matches only the third; ending in "b",
	 * the first and the third */
	static const int want[2 * 3] = { 0, 0, 1, 1, 0, 1 };

	star[0] = '*';
	mid[0] = '*';
	globs[0] = star;
	globs[1] = mid;
	globs[2] = "*a?a*";
	values[0] = v;
	values[1] = vb;
	rules_against_reference(globs, 3, values, 2, want);
	free(star);
	free(mid);
	free(v);
	free(vb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules");
	TCase *ops = tcase_create("matcher");
	TCase *verdicts = tcase_create("verdicts");
	TCase *errors = tcase_create("errors");
	SRunner *sr;
	int failed;

	tcase_add_test(ops, op_equals_in);
	tcase_add_test(ops, op_prefix_suffix);
	tcase_add_test(ops, op_glob);
	tcase_add_test(ops, op_exists);
	tcase_add_test(ops, op_numeric);
	tcase_add_test(ops, list_fields_match_any_item);
	tcase_add_test(ops, annotations_by_key);
	tcase_add_test(ops, absent_and_placeholders);
	tcase_add_test(ops, three_valued_logic);
	tcase_add_test(ops, op_outcome);
	tcase_add_test(ops, op_identity);
	tcase_add_test(ops, identity_follows_policy);
	tcase_add_test(ops, glob_edge_cases);
	tcase_add_test(ops, glob_against_reference);
	tcase_add_test(ops, glob_worst_case);
	tcase_add_test(ops, glob_rules_against_reference);
	tcase_add_test(ops, glob_rule_worst_case);
	tcase_add_test(verdicts, verdict_carries_rule_fields);
	tcase_add_test(verdicts, needs_context_when_decisive_missing);
	tcase_add_test(verdicts, min_level_needs_a_body);
	tcase_add_test(verdicts, registry_view_of_rules);
	tcase_add_test(verdicts, example_file);
	tcase_add_test(errors, document_errors);
	tcase_add_test(errors, rule_field_errors);
	tcase_add_test(errors, match_errors);
	tcase_add_test(errors, glob_errors);
	tcase_add_test(errors, glob_limits);
	tcase_add_test(errors, limits_and_state);
	tcase_add_test(errors, all_or_nothing);
	tcase_add_test(errors, allocation_failures);
	suite_add_tcase(s, ops);
	suite_add_tcase(s, verdicts);
	suite_add_tcase(s, errors);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
