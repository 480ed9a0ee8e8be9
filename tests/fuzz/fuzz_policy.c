/* Fuzz the policy loader. The input is a policy document. A load that
 * fails must name a reason and leave the registry exactly as it was (the
 * fixed stream gets the verdicts of a default registry); a load that
 * succeeds must give a registry that seals and judges the fixed stream. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kag_registry *reg;
	const char *msg, *path;
	int rc;

	FUZZ_CHECK(kag_registry_new(&reg) == KAG_OK);
	rc = kag_registry_load_policy(reg, (const char *)data, size);
	msg = kag_registry_error_message(reg);
	path = kag_registry_error_path(reg);
	FUZZ_CHECK(msg != NULL && path != NULL);
	if (rc == KAG_OK) {
		FUZZ_CHECK(msg[0] == '\0' && path[0] == '\0');
	} else {
		if (!(rc == KAG_EPARSE || rc == KAG_ESCHEMA || rc == KAG_ENOTFOUND ||
		      rc == KAG_ELIMIT)) {
			fprintf(stderr, "load_policy: unexpected %s (%s)\n", kag_error_name(rc), msg);
			abort();
		}
		FUZZ_CHECK(msg[0] != '\0');
	}
	/* capacities were checked by the loader; keep the tables small */
	fuzz_small_tables(reg);
	FUZZ_CHECK(kag_registry_seal(reg) == KAG_OK);
	FUZZ_CHECK(kag_registry_load_policy(reg, "{}", 2) == KAG_ESTATE);
	if (rc != KAG_OK) {
		/* all or nothing: the failed load changed nothing */
		if (fuzz_judge_stream(reg) != fuzz_default_digest()) {
			fprintf(stderr, "a failed policy load (%s: %s) changed the verdicts\n",
				kag_error_name(rc), msg);
			abort();
		}
	} else {
		(void)fuzz_judge_stream(reg);
	}
	kag_registry_free(reg);
	return 0;
}
