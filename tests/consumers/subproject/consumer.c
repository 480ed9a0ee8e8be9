/*
 * A downstream program built with kag as a meson subproject: judges one
 * audit event and checks the verdict, so that the test fails if the
 * subproject's library, headers or generated kag_version.h are wrong.
 *
 * SPDX-License-Identifier: 0BSD
 */
#include <stdio.h>
#include <string.h>

#include <kag.h>

#if !defined(KAG_VERSION_HEX) || !KAG_VERSION_CHECK(0, 1, 0)
#error "kag 0.1.0 or later is required"
#endif

static const char event[] =
	"{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\","
	"\"namespace\":\"prod\",\"name\":\"api-7f9\"},\"user\":{\"username\":\"alice@example.com\"},"
	"\"sourceIPs\":[\"203.0.113.10\"],\"responseStatus\":{\"code\":101},"
	"\"stage\":\"ResponseStarted\"}\n";

int main(void)
{
	kag_registry *reg = NULL;
	kag_session *session = NULL;
	kag_parser *parser = NULL;
	const kag_event *ev;
	const kag_result *res;
	const kag_verdict *v;
	int rc = 1;

	if (kag_version_hex() != KAG_VERSION_HEX ||
	    strcmp(kag_version_string(), KAG_VERSION) != 0) {
		fprintf(stderr, "header %s, library %s\n", KAG_VERSION, kag_version_string());
		return 1;
	}
	if (kag_registry_new(&reg) < 0 || kag_registry_seal(reg) < 0 ||
	    kag_session_new(&session, reg) < 0 || kag_parser_new(&parser) < 0 ||
	    kag_parser_feed(parser, event, sizeof(event) - 1) < 0 ||
	    kag_parser_next(&ev, parser) != KAG_OK ||
	    kag_session_evaluate(&res, session, ev) != KAG_OK)
		goto out;
	if (kag_result_count(res) != 1)
		goto out;
	v = kag_result_verdict(res, 0);
	printf("%s %s %s %s\n", kag_verdict_detector(v),
	       kag_assessment_name(kag_verdict_assessment(v)),
	       kag_outcome_name(kag_verdict_outcome(v)),
	       kag_severity_name(kag_verdict_severity(v)));
	if (strcmp(kag_verdict_detector(v), "interactive_access") == 0 &&
	    kag_verdict_assessment(v) == KAG_ASSESSMENT_SUSPICIOUS &&
	    kag_verdict_outcome(v) == KAG_OUTCOME_IN_PROGRESS &&
	    kag_verdict_severity(v) == KAG_SEVERITY_HIGH)
		rc = 0;
out:
	kag_parser_free(parser);
	kag_session_free(session);
	kag_registry_free(reg);
	return rc;
}
