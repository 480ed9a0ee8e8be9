/* Fuzz the whole evaluation: parse, gate, every detector (built-in and a
 * caller rule set), correlation state, verdict serialisation.
 *
 * Byte 0: bit 0 leaves benign verdicts out, bit 1 includes (redacted)
 * bodies, bits 2-4 pick the input format. The rest is the stream. The
 * registry has tiny tables so that eviction paths run too. */
#include "fuzz-common.h"

static const char rules[] =
	"{\"version\":1,\"rules\":["
	"{\"id\":\"fz_ns_delete\",\"title\":\"t\",\"assessment\":\"suspicious\",\"severity\":\"high\","
	"\"decisive\":[\"verb\",\"objectRef.name\"],\"min_level\":\"Metadata\",\"match\":{\"all\":["
	"{\"field\":\"verb\",\"in\":[\"delete\",\"deletecollection\"]},"
	"{\"field\":\"objectRef.resource\",\"equals\":\"namespaces\"},"
	"{\"not\":{\"field\":\"objectRef.subresource\",\"exists\":true}},"
	"{\"outcome\":[\"allowed\",\"unknown\"]},{\"identity\":\"none\"}]}},"
	"{\"id\":\"fz_any\",\"title\":\"t\",\"assessment\":\"benign\",\"severity\":\"info\",\"confidence\":\"low\","
	"\"attack\":[\"T1613\"],\"match\":{\"any\":["
	"{\"field\":\"userAgent\",\"glob\":\"*curl*/?.*\"},"
	"{\"field\":\"user.groups\",\"prefix\":\"system:\"},"
	"{\"field\":\"sourceIPs\",\"suffix\":\".8\"},"
	"{\"field\":\"annotations.authorization.k8s.io/decision\",\"equals\":\"forbid\"},"
	"{\"field\":\"user.extra.scopes\",\"exists\":true},"
	"{\"field\":\"responseStatus.code\",\"ge\":500},"
	"{\"not\":{\"identity\":[\"control-plane\",\"node\",\"kube-system-sa\",\"provider\",\"operator\"]}}]}}"
	"]}";

static kag_registry *shared_registry(void)
{
	static kag_registry *reg;

	if (reg)
		return reg;
	FUZZ_CHECK(kag_registry_new(&reg) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_DEDUP_CAPACITY, 8) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_PRINCIPAL_CAPACITY, 4) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_PENDING_CAPACITY, 4) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_NEW_TERMS_CAPACITY, 4) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_PROBE_THRESHOLD, 2) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_SECRET_BURST_THRESHOLD, 2) == KAG_OK);
	FUZZ_CHECK(kag_registry_set_option_u64(reg, KAG_ROPT_DISCOVERY_THRESHOLD, 2) == KAG_OK);
	FUZZ_CHECK(kag_registry_load_rules(reg, rules, sizeof(rules) - 1) == KAG_OK);
	FUZZ_CHECK(kag_registry_seal(reg) == KAG_OK);
	return reg;
}

/* The gate of every detector on one event. */
static void gates(const kag_registry *reg, const kag_event *ev)
{
	size_t i, j, n = kag_registry_count(reg);
	kag_gate *g;

	for (i = 0; i <= n; i++) {
		const char *id = i < n ? kag_registry_detector_id(reg, i) : NULL;

		FUZZ_CHECK(kag_gate_evaluate(&g, reg, id, ev) == KAG_OK);
		FUZZ_CHECK(kag_gate_passed(g) == 0 || kag_gate_passed(g) == 1);
		FUZZ_CHECK(kag_gate_outcome(g) >= KAG_OUTCOME_ALLOWED &&
			   kag_gate_outcome(g) <= KAG_OUTCOME_UNKNOWN);
		FUZZ_CHECK(kag_gate_reason(g) != NULL);
		FUZZ_CHECK(kag_gate_passed(g) || kag_gate_reason(g)[0] != '\0');
		for (j = 0; j < kag_gate_missing_count(g); j++)
			FUZZ_CHECK(kag_field_name(kag_gate_missing_field(g, j)) != NULL);
		kag_gate_free(g);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kag_registry *reg = shared_registry();
	kag_session *s;
	kag_parser *p;
	const kag_event *ev;
	const kag_result *res;
	int pass, rc, format;
	size_t n_events = 0;

	if (size < 1)
		return 0;
	format = (data[0] >> 2) & 7;
	if (format > KAG_FORMAT_OPENSHIFT)
		format = KAG_FORMAT_AUTO;
	FUZZ_CHECK(kag_session_new(&s, reg) == KAG_OK);
	FUZZ_CHECK(kag_session_set_option_u64(s, KAG_SOPT_EMIT_BENIGN, !(data[0] & 1)) == KAG_OK);
	FUZZ_CHECK(kag_session_set_option_u64(s, KAG_SOPT_INCLUDE_BODIES, (data[0] >> 1) & 1) == KAG_OK);
	FUZZ_CHECK(kag_parser_new(&p) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, (uint64_t)format) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_source(p, "fuzz") == KAG_OK);
	FUZZ_CHECK(kag_parser_feed(p, (const char *)data + 1, size - 1) == KAG_OK);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			FUZZ_CHECK(kag_parser_finish(p) == KAG_OK);
		while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
			if (rc < 0)
				continue;
			if (n_events++ < 4)
				gates(reg, ev);
			FUZZ_CHECK(kag_session_evaluate(&res, s, ev) == KAG_OK);
			fuzz_check_verdicts(res);
		}
	}
	FUZZ_CHECK(kag_session_flush(&res, s) == KAG_OK);
	fuzz_check_verdicts(res);
	FUZZ_CHECK(kag_session_stat(s, KAG_SSTAT_EVENTS) == n_events);
	/* a flushed session holds nothing more */
	FUZZ_CHECK(kag_session_flush(&res, s) == KAG_OK);
	FUZZ_CHECK(kag_result_count(res) == 0);
	kag_parser_free(p);
	kag_session_free(s);
	return 0;
}
