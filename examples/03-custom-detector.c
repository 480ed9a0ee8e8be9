/*
 * 03-custom-detector: add a detector of your own next to the built-ins.
 * This one flags deletions of namespaces. Its decisive fields are the verb
 * and objectRef.resource, so the gate turns an event missing either into a
 * needs_context verdict instead of a guess.
 *
 *   03-custom-detector [FILE]
 *
 * SPDX-License-Identifier: 0BSD
 */
#include <stdio.h>
#include <string.h>

#include <kag.h>

struct counts {
	int seen;
};

static int field_is(const kag_event *ev, int field, const char *want)
{
	const char *s;
	size_t len;

	return kag_event_get_string(&s, &len, ev, field) == KAG_OK &&
	       len == strlen(want) && memcmp(s, want, len) == 0;
}

static int namespace_deleted(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	struct counts *c = user_data;

	if (!field_is(ev, KAG_FIELD_VERB, "delete") ||
	    !field_is(ev, KAG_FIELD_OBJ_RESOURCE, "namespaces"))
		return KAG_OK; /* not ours: report nothing */
	c->seen++;
	kag_finding_report(f, KAG_ASSESSMENT_SUSPICIOUS,
			   outcome == KAG_OUTCOME_ALLOWED ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW,
			   KAG_CONFIDENCE_HIGH, "a namespace was deleted");
	kag_finding_add_attack(f, "T1485");
	return KAG_OK;
}

int main(int argc, char **argv)
{
	static const int decisive[] = { KAG_FIELD_VERB, KAG_FIELD_OBJ_RESOURCE };
	FILE *in = argc > 1 ? fopen(argv[1], "rb") : stdin;
	struct counts counts = { 0 };
	kag_registry *reg = NULL;
	kag_session *session = NULL;
	kag_parser *parser = NULL;
	char chunk[4096];
	size_t n;
	int rc = 1;

	if (!in) {
		perror(argv[1]);
		return 1;
	}
	if (kag_registry_new(&reg) < 0 ||
	    kag_registry_add_detector(reg, "namespace_deleted", "Namespace deleted", decisive, 2,
				      KAG_LEVEL_METADATA, namespace_deleted, &counts) < 0 ||
	    kag_registry_seal(reg) < 0 || kag_session_new(&session, reg) < 0 ||
	    kag_parser_new(&parser) < 0)
		goto out;
	for (;;) {
		const kag_event *ev;
		const kag_result *res;
		int err;

		n = fread(chunk, 1, sizeof(chunk), in);
		if (n)
			kag_parser_feed(parser, chunk, n);
		else
			kag_parser_finish(parser);
		while ((err = kag_parser_next(&ev, parser)) != KAG_ITEROVER) {
			size_t i;

			if (err < 0)
				continue;
			if (kag_session_evaluate(&res, session, ev) < 0)
				goto out;
			for (i = 0; i < kag_result_count(res); i++) {
				const kag_verdict *v = kag_result_verdict(res, i);

				if (strcmp(kag_verdict_detector(v), "namespace_deleted") == 0)
					printf("%s %s: %s\n",
					       kag_assessment_name(kag_verdict_assessment(v)),
					       kag_verdict_source(v), kag_verdict_reason(v));
			}
		}
		if (!n)
			break;
	}
	printf("namespace deletions seen: %d\n", counts.seen);
	rc = 0;
out:
	kag_parser_free(parser);
	kag_session_free(session);
	kag_registry_free(reg);
	if (in != stdin)
		fclose(in);
	return rc;
}
