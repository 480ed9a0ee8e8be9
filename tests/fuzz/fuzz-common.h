/* Helpers shared by the fuzz harnesses: a fixed audit stream to judge, and
 * checks that hold for every input (a violated check aborts, which both
 * libFuzzer and the replay driver report as a failure). */
#ifndef KAG_FUZZ_COMMON_H
#define KAG_FUZZ_COMMON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* Events that reach every built-in detector family and the rule matcher
 * (a NUL-terminated JSON-lines stream). */
extern const char fuzz_stream[];

/* Every verdict must serialise to one valid JSON object; its accessors must
 * answer without crashing. Aborts otherwise. */
void fuzz_check_verdicts(const kag_result *res);

/* Judge fuzz_stream with a fresh session over reg (sealed), checking every
 * verdict; returns an FNV-1a digest of the verdict lines. */
uint64_t fuzz_judge_stream(kag_registry *reg);

/* Sessions allocate their tables up front: give an unsealed registry
 * small ones (64 entries each) so that every input runs fast. */
void fuzz_small_tables(kag_registry *reg);

/* A sealed default registry with small tables, made once and shared by
 * every input. */
kag_registry *fuzz_shared_registry(void);

/* fuzz_judge_stream() of a default registry with small tables (computed
 * once). */
uint64_t fuzz_default_digest(void);

#endif
