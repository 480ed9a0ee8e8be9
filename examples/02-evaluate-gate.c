/*
 * 02-evaluate-gate: ask the evidence gate, on its own, whether a detector
 * could judge an event: which decisive fields are missing, what the outcome
 * is, and whether stage and level can support a judgement.
 *
 *   02-evaluate-gate DETECTOR_ID < event.json
 *
 * SPDX-License-Identifier: 0BSD
 */
#include <stdio.h>

#include <kag.h>

int main(int argc, char **argv)
{
	kag_registry *reg = NULL;
	kag_parser *parser = NULL;
	kag_gate *gate = NULL;
	const kag_event *ev;
	char buf[65536];
	size_t n, i;
	int rc = 1, err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DETECTOR_ID < event.json\n", argv[0]);
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), stdin);
	if (kag_registry_new(&reg) < 0 || kag_parser_new(&parser) < 0)
		goto out;
	kag_parser_feed(parser, buf, n);
	kag_parser_finish(parser);
	err = kag_parser_next(&ev, parser);
	if (err < 0) {
		fprintf(stderr, "%s: %s\n", kag_error_name(err), kag_parser_error_message(parser));
		goto out;
	}
	err = kag_gate_evaluate(&gate, reg, argv[1], ev);
	if (err < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], kag_strerror(err));
		goto out;
	}
	printf("detector: %s\npassed: %s\noutcome: %s\nstage ok: %s\nlevel ok: %s\n",
	       argv[1], kag_gate_passed(gate) ? "yes" : "no",
	       kag_outcome_name(kag_gate_outcome(gate)), kag_gate_stage_ok(gate) ? "yes" : "no",
	       kag_gate_level_ok(gate) ? "yes" : "no");
	for (i = 0; i < kag_gate_missing_count(gate); i++)
		printf("missing: %s\n", kag_field_name(kag_gate_missing_field(gate, i)));
	if (!kag_gate_passed(gate))
		printf("reason: %s\n", kag_gate_reason(gate));
	rc = 0;
out:
	kag_gate_free(gate);
	kag_parser_free(parser);
	kag_registry_free(reg);
	return rc;
}
