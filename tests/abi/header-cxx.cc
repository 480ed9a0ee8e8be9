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

} /* namespace */

int main()
{
	kag_registry *reg = nullptr;
	int rc = 0;

	if (kag_version_hex() != static_cast<uint32_t>(KAG_VERSION_HEX))
		rc = 1;
	if (kag_registry_new(&reg) != KAG_OK || kag_registry_count(reg) == 0)
		rc = 1;
	if (field_round_trip() != 0)
		rc = 1;
	kag_registry_free(reg);
	return rc;
}
