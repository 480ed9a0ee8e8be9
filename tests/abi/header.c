/*
 * The public header on its own: this file includes nothing but kag.h and is
 * built with -std=c89 and -std=c99, both with -pedantic -Wall -Wextra
 * -Werror. It also calls into the library so the declarations must link.
 */
#include <kag.h>

static int use_every_type(void)
{
	kag_registry *reg = NULL;
	kag_session *session = NULL;
	kag_parser *parser = NULL;
	kag_event *ev = NULL;
	const kag_event *parsed = NULL;
	kag_gate *gate = NULL;
	const kag_result *res = NULL;
	const kag_verdict *v = NULL;
	kag_detector_cb cb = NULL;
	uint32_t hex = kag_version_hex();
	size_t n = 0;
	int major = -1, rc = 0;

	kag_version(&major, NULL, NULL);
	if (major != KAG_VERSION_MAJOR || hex != (uint32_t)KAG_VERSION_HEX)
		return 1;
	if (!KAG_VERSION_CHECK(KAG_VERSION_MAJOR, KAG_VERSION_MINOR, KAG_VERSION_PATCH))
		return 1;
	if (kag_registry_new(&reg) != KAG_OK || kag_registry_seal(reg) != KAG_OK ||
	    kag_session_new(&session, reg) != KAG_OK || kag_parser_new(&parser) != KAG_OK ||
	    kag_event_new(&ev) != KAG_OK)
		rc = 1;
	if (!rc && kag_session_evaluate(&res, session, ev) == KAG_OK)
		n = kag_result_count(res);
	if (n > 0)
		v = kag_result_verdict(res, 0);
	if (v != NULL && kag_verdict_detector(v) == NULL)
		rc = 1;
	if (kag_field_count() <= (size_t)KAG_FIELD_RESPONSE_OBJECT)
		rc = 1;
	/* borrowed results come back through const out-parameters */
	if (!rc && kag_parser_finish(parser) == KAG_OK &&
	    kag_parser_next(&parsed, parser) != KAG_ITEROVER)
		rc = 1;
	if (!rc && kag_session_flush(&res, session) != KAG_OK)
		rc = 1;
	(void)cb;
	kag_gate_free(gate);
	if (kag_event_free(ev) != KAG_OK || kag_event_free(NULL) != KAG_OK)
		rc = 1;
	kag_parser_free(parser);
	kag_session_free(session);
	kag_registry_free(reg);
	return rc;
}

int main(void)
{
	return use_every_type();
}
