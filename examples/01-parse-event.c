/*
 * 01-parse-event: the smallest embedding of kag. Parses audit events from a
 * file (or stdin) and prints each verdict as one JSON line.
 *
 *   01-parse-event [FILE]
 *
 * SPDX-License-Identifier: 0BSD
 */
#include <stdio.h>

#include <kag.h>

int main(int argc, char **argv)
{
	FILE *in = argc > 1 ? fopen(argv[1], "rb") : stdin;
	kag_registry *reg = NULL;
	kag_session *session = NULL;
	kag_parser *parser = NULL;
	const kag_result *res_end;
	char chunk[4096];
	size_t n;
	int rc = 1, done = 0;

	if (!in) {
		perror(argv[1]);
		return 1;
	}
	/* One registry (sealed, shareable), one session per thread, one parser
	 * per input stream. */
	if (kag_registry_new(&reg) < 0 || kag_registry_seal(reg) < 0 ||
	    kag_session_new(&session, reg) < 0 || kag_parser_new(&parser) < 0)
		goto out;

	while (!done) {
		const kag_event *ev;
		const kag_result *res;
		int err;

		n = fread(chunk, 1, sizeof(chunk), in);
		if (n > 0)
			kag_parser_feed(parser, chunk, n);
		else
			done = kag_parser_finish(parser) == KAG_OK;

		while ((err = kag_parser_next(&ev, parser)) != KAG_ITEROVER) {
			size_t i;

			if (err < 0) { /* one bad record; the stream goes on */
				fprintf(stderr, "%s: %s\n", kag_error_name(err),
					kag_parser_error_message(parser));
				continue;
			}
			if (kag_session_evaluate(&res, session, ev) < 0)
				goto out;
			for (i = 0; i < kag_result_count(res); i++) {
				size_t len;
				const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

				printf("%.*s\n", (int)len, json);
			}
		}
	}
	/* Requests seen only at RequestReceived are judged at the end. */
	if (kag_session_flush(&res_end, session) < 0)
		goto out;
	for (n = 0; n < kag_result_count(res_end); n++) {
		size_t len;
		const char *json = kag_verdict_json(kag_result_verdict(res_end, n), &len);

		printf("%.*s\n", (int)len, json);
	}
	rc = 0;
out:
	kag_parser_free(parser);
	kag_session_free(session);
	kag_registry_free(reg);
	if (in != stdin)
		fclose(in);
	return rc;
}
