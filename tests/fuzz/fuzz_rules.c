/* Fuzz the rule loader and the rule matcher. The input is a rules
 * document. A load that fails must name a reason and leave the registry as
 * it was; a load that succeeds adds its rules as detectors, and the sealed
 * registry judges the fixed stream with them (the matcher, globs, three-
 * valued logic and needs_context paths). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kag_registry *reg;
	const char *msg;
	size_t before, i;
	int rc;

	FUZZ_CHECK(kag_registry_new(&reg) == KAG_OK);
	before = kag_registry_count(reg);
	rc = kag_registry_load_rules(reg, (const char *)data, size);
	msg = kag_registry_error_message(reg);
	FUZZ_CHECK(msg != NULL && kag_registry_error_path(reg) != NULL);
	if (rc == KAG_OK) {
		FUZZ_CHECK(msg[0] == '\0');
		FUZZ_CHECK(kag_registry_count(reg) >= before);
		for (i = 0; i < kag_registry_count(reg); i++) {
			size_t at;
			const char *id = kag_registry_detector_id(reg, i);

			FUZZ_CHECK(id != NULL && kag_registry_detector_title(reg, i) != NULL &&
				   kag_registry_detector_doc(reg, i) != NULL);
			FUZZ_CHECK(kag_registry_find(&at, reg, id) == KAG_OK && at == i);
		}
	} else {
		if (!(rc == KAG_EPARSE || rc == KAG_ESCHEMA || rc == KAG_ENOTFOUND ||
		      rc == KAG_ELIMIT)) {
			fprintf(stderr, "load_rules: unexpected %s (%s)\n", kag_error_name(rc), msg);
			abort();
		}
		FUZZ_CHECK(msg[0] != '\0');
		FUZZ_CHECK(kag_registry_count(reg) == before);
	}
	fuzz_small_tables(reg);
	FUZZ_CHECK(kag_registry_seal(reg) == KAG_OK);
	if (rc == KAG_OK) {
		(void)fuzz_judge_stream(reg);
	} else if (fuzz_judge_stream(reg) != fuzz_default_digest()) {
		fprintf(stderr, "a failed rules load (%s: %s) changed the verdicts\n",
			kag_error_name(rc), msg);
		abort();
	}
	kag_registry_free(reg);
	return 0;
}
