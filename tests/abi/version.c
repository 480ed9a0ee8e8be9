/*
 * Version consistency:
 *   meson project version (argv[1]) == KAG_VERSION == kag_version_string(),
 *   the numeric parts agree with KAG_VERSION_MAJOR/MINOR/PATCH, kag_version()
 *   and KAG_VERSION_HEX / kag_version_hex(), KAG_VERSION_CHECK() orders
 *   correctly, and the libtool-style ABI triplet (argv[2..4]) obeys its
 *   invariants and yields the library version meson uses (argv[5]).
 *
 *   abi-version PROJECT_VERSION CURRENT REVISION AGE LIBVERSION
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kag.h>

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "FAIL: %s\n", what);
		failures++;
	}
}

static int parse_uint(const char *s, long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	*out = strtol(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

int main(int argc, char **argv)
{
	long maj, min, pat, current, revision, age;
	int rmaj = -1, rmin = -1, rpat = -1;
	char buf[64];

	if (argc != 6) {
		fprintf(stderr, "usage: %s PROJECT_VERSION CURRENT REVISION AGE LIBVERSION\n",
			argv[0]);
		return 2;
	}
	if (sscanf(argv[1], "%ld.%ld.%ld", &maj, &min, &pat) != 3) {
		fprintf(stderr, "FAIL: project version '%s' is not MAJOR.MINOR.PATCH\n", argv[1]);
		return 1;
	}
	snprintf(buf, sizeof(buf), "%ld.%ld.%ld", maj, min, pat);
	expect(strcmp(buf, argv[1]) == 0, "project version is plain MAJOR.MINOR.PATCH");

	printf("project %s, KAG_VERSION %s, kag_version_string() %s\n", argv[1], KAG_VERSION,
	       kag_version_string());
	expect(strcmp(argv[1], KAG_VERSION) == 0, "meson project version == KAG_VERSION");
	expect(strcmp(KAG_VERSION, kag_version_string()) == 0,
	       "KAG_VERSION == kag_version_string()");

	kag_version(&rmaj, &rmin, &rpat);
	expect(rmaj == maj && rmin == min && rpat == pat, "kag_version() matches the project");
	expect(KAG_VERSION_MAJOR == maj && KAG_VERSION_MINOR == min && KAG_VERSION_PATCH == pat,
	       "KAG_VERSION_MAJOR/MINOR/PATCH match the project");
	expect(kag_version_hex() == (uint32_t)((maj << 16) | (min << 8) | pat),
	       "kag_version_hex() == (major << 16) | (minor << 8) | patch");
	expect(kag_version_hex() == (uint32_t)KAG_VERSION_HEX, "kag_version_hex() == KAG_VERSION_HEX");
	expect(maj < 256 && min < 256 && pat < 256, "each version part fits its byte of the hex");

	expect(KAG_VERSION_CHECK(KAG_VERSION_MAJOR, KAG_VERSION_MINOR, KAG_VERSION_PATCH),
	       "KAG_VERSION_CHECK(own version)");
	expect(KAG_VERSION_CHECK(0, 0, 0), "KAG_VERSION_CHECK(0, 0, 0)");
	expect(!KAG_VERSION_CHECK(KAG_VERSION_MAJOR, KAG_VERSION_MINOR, KAG_VERSION_PATCH + 1),
	       "!KAG_VERSION_CHECK(next patch)");
	expect(!KAG_VERSION_CHECK(KAG_VERSION_MAJOR, KAG_VERSION_MINOR + 1, 0),
	       "!KAG_VERSION_CHECK(next minor)");
	expect(!KAG_VERSION_CHECK(KAG_VERSION_MAJOR + 1, 0, 0), "!KAG_VERSION_CHECK(next major)");

	if (parse_uint(argv[2], &current) < 0 || parse_uint(argv[3], &revision) < 0 ||
	    parse_uint(argv[4], &age) < 0) {
		fprintf(stderr, "FAIL: ABI current/revision/age must be non-negative integers\n");
		return 1;
	}
	printf("ABI current %ld revision %ld age %ld, library version %s\n", current, revision,
	       age, argv[5]);
	expect(age <= current, "ABI age <= current");
	snprintf(buf, sizeof(buf), "%ld.%ld.%ld", current - age, age, revision);
	expect(strcmp(buf, argv[5]) == 0, "library version == (current - age).age.revision");

	if (failures) {
		fprintf(stderr, "%d version check(s) failed\n", failures);
		return 1;
	}
	printf("version consistency: ok\n");
	return 0;
}
