/* Fuzz the address-list loader (kag_registry_load_addresses()). The input
 * is a list's text. A load that fails must name a reason and leave the
 * registry as it was; a load that succeeds must give a registry that
 * seals and judges the fixed stream. The input is loaded a second time
 * under another name, so that merging overlapping lists is exercised. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kag_registry *reg;
	const char *msg;
	int rc;

	FUZZ_CHECK(kag_registry_new(&reg) == KAG_OK);
	rc = kag_registry_load_addresses(reg, "fuzz", (const char *)data, size);
	msg = kag_registry_error_message(reg);
	FUZZ_CHECK(msg != NULL);
	if (rc == KAG_OK) {
		FUZZ_CHECK(msg[0] == '\0');
		FUZZ_CHECK(kag_registry_load_addresses(reg, "again", (const char *)data, size) ==
			   KAG_OK);
	} else {
		if (!(rc == KAG_EPARSE || rc == KAG_ELIMIT)) {
			fprintf(stderr, "load_addresses: unexpected %s (%s)\n", kag_error_name(rc),
				msg);
			abort();
		}
		FUZZ_CHECK(msg[0] != '\0');
	}
	fuzz_small_tables(reg);
	FUZZ_CHECK(kag_registry_seal(reg) == KAG_OK);
	FUZZ_CHECK(kag_registry_load_addresses(reg, "late", "", 0) == KAG_ESTATE);
	if (rc != KAG_OK) {
		/* all or nothing: the failed load changed nothing */
		FUZZ_CHECK(fuzz_judge_stream(reg) == fuzz_default_digest());
	} else {
		(void)fuzz_judge_stream(reg);
	}
	kag_registry_free(reg);
	return 0;
}
