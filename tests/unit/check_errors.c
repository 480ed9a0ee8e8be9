/* Error codes, names and version queries. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

START_TEST(names_are_stable)
{
	ck_assert_str_eq(kag_error_name(KAG_EPARSE), "KAG_EPARSE");
	ck_assert_str_eq(kag_error_name(KAG_ETRUNCATED), "KAG_ETRUNCATED");
	ck_assert_str_eq(kag_error_name(12345), "KAG_UNKNOWN");
	ck_assert_int_eq(KAG_ENOMEM, -2);
	ck_assert_int_eq(KAG_ELIMIT, -7);
	ck_assert_int_eq(KAG_ITEROVER, -31);
	ck_assert_ptr_nonnull(kag_strerror(-999));
	ck_assert_str_eq(kag_assessment_name(KAG_ASSESSMENT_NEEDS_CONTEXT), "needs_context");
	ck_assert_str_eq(kag_outcome_name(KAG_OUTCOME_IN_PROGRESS), "in_progress");
	ck_assert_str_eq(kag_severity_name(99), "unknown");
}
END_TEST

START_TEST(version_agrees)
{
	int ma, mi, pa;
	char buf[32];

	kag_version(&ma, &mi, &pa);
	snprintf(buf, sizeof(buf), "%d.%d.%d", ma, mi, pa);
	ck_assert_str_eq(buf, kag_version_string());
	ck_assert_str_eq(KAG_VERSION, kag_version_string());
	ck_assert_uint_eq(kag_version_hex(), (uint32_t)KAG_VERSION_HEX);
	ck_assert(KAG_VERSION_CHECK(0, 0, 1));
	ck_assert(kag_features() & KAG_FEATURE_JANSSON);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, names_are_stable);
	tcase_add_test(tc, version_agrees);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
