/*
 * The public header from C++11 (-Wall -Wextra -pedantic -Werror). The calls
 * below only link when kag.h wraps its declarations in extern "C".
 */
#include <kag.h>

namespace {

int field_round_trip()
{
	int field = -1;
	const char *name = kag_field_name(KAG_FIELD_OBJ_RESOURCE);

	if (name == nullptr)
		return 1;
	if (kag_field_from_path(&field, name, sizeof("objectRef.resource") - 1) != KAG_OK)
		return 1;
	return field == KAG_FIELD_OBJ_RESOURCE ? 0 : 1;
}

/* The borrowed handles come back through const out-parameters, which C++
 * checks strictly: a parser's event and a session's result are read-only. */
int borrowed_handles()
{
	static const char line[] =
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"a\","
		"\"stage\":\"ResponseComplete\",\"verb\":\"get\"}\n";
	kag_registry *reg = nullptr;
	kag_session *s = nullptr;
	kag_parser *p = nullptr;
	const kag_event *ev = nullptr;
	const kag_result *res = nullptr;
	int rc = 1;

	if (kag_registry_new(&reg) == KAG_OK && kag_registry_seal(reg) == KAG_OK &&
	    kag_session_new(&s, reg) == KAG_OK && kag_parser_new(&p) == KAG_OK &&
	    kag_parser_feed(p, line, sizeof(line) - 1) == KAG_OK &&
	    kag_parser_next(&ev, p) == KAG_OK && kag_event_line(ev) == 1 &&
	    kag_session_evaluate(&res, s, ev) == KAG_OK &&
	    kag_session_flush(&res, s) == KAG_OK && kag_result_count(res) == 0)
		rc = 0;
	kag_parser_free(p);
	kag_session_free(s);
	kag_registry_free(reg);
	return rc;
}

} /* namespace */

int main()
{
	kag_registry *reg = nullptr;
	int rc = 0;

	if (kag_version_hex() != static_cast<uint32_t>(KAG_VERSION_HEX))
		rc = 1;
	if (kag_registry_new(&reg) != KAG_OK || kag_registry_count(reg) == 0)
		rc = 1;
	if (field_round_trip() != 0 || borrowed_handles() != 0)
		rc = 1;
	if (kag_field_count() != static_cast<size_t>(KAG_FIELD_RESPONSE_OBJECT) + 1)
		rc = 1;
	kag_registry_free(reg);
	return rc;
}
