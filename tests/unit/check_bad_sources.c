/* Detector coverage: known-bad sources (caller-supplied address lists and
 * the known_bad_source detector) and confidence that follows the
 * evidence. Each case has an event that fires and a near miss that does
 * not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tu_ctx T;
static int T_live;

static void teardown(void)
{
	if (T_live)
		tu_free(&T);
	T_live = 0;
}

/* A record: who, from which sourceIPs (a JSON list body), the verb, the
 * objectRef body and the response code. ' stands for ". */
static char *record(char *out, size_t size, const char *user, const char *ips, const char *verb,
		    const char *object, int code)
{
	size_t k;
	int n = snprintf(out, size,
			 "{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'Metadata',"
			 "'auditID':'q-%d-%s','stage':'ResponseComplete','verb':'%s',"
			 "'user':{'username':'%s','groups':['system:authenticated']},"
			 "'sourceIPs':[%s],'userAgent':'kubectl/v1.30.1 (linux/amd64)',"
			 "'objectRef':{%s},'responseStatus':{'code':%d},"
			 "'stageTimestamp':'2024-05-03T08:00:00.000000Z'}\n",
			 code, verb, verb, user, ips, object, code);

	ck_assert(n > 0 && (size_t)n < size);
	for (k = 0; k < (size_t)n; k++)
		if (out[k] == '\'')
			out[k] = '"';
	return out;
}

/* Judge one record with the address list `list` loaded as "tor-exits". */
static void judge_with(const char *list, const char *rec)
{
	kag_registry *reg;

	if (T_live)
		tu_free(&T);
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(reg, KAG_ROPT_REPEAT_WINDOW, 0), KAG_OK);
	if (list)
		ck_assert_int_eq(kag_registry_load_addresses(reg, "tor-exits", list, strlen(list)),
				 KAG_OK);
	tu_init_registry(&T, reg);
	T_live = 1;
	tu_judge(&T, rec, strlen(rec));
	ck_assert_msg(T.n_errors == 0, "parse error: %s", T.n_errors ? T.errors[0] : "");
}

static void has(const char *v, const char *path, const char *want)
{
	const char *got;

	ck_assert_msg(v != NULL, "no verdict in:\n%s", T.out ? T.out : "");
	got = tu_json_get(v, path);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s is %s, want %s in\n%s", path,
		      got ? got : "(absent)", want, v);
}

#define TOR "# Tor exit nodes\n\n185.220.101.0/24   # a relay family\n" \
	    "2a0b:f4c2::/40\r\n192.42.116.16\n"
#define SECRETS "'resource':'secrets','namespace':'payments','apiVersion':'v1'"

/* ---- known_bad_source ---- */

START_TEST(bad_source_allowed_is_high)
{
	char rec[2048];
	const char *v;

	judge_with(TOR, record(rec, sizeof(rec), "dev@example.com", "'185.220.101.47'", "list",
			       SECRETS, 200));
	v = tu_find(&T, "known_bad_source", 0);
	has(v, "assessment", "suspicious");
	has(v, "severity", "high");
	has(v, "evidence.knownBadSource.list", "tor-exits");
	has(v, "evidence.knownBadSource.address", "185.220.101.47");
	ck_assert(tu_json_array_has(v, "attack", "T1090"));
	ck_assert(tu_json_array_has(v, "attack", "T1078"));

	/* near miss: the next /24 is not listed */
	judge_with(TOR, record(rec, sizeof(rec), "dev@example.com", "'185.220.102.47'", "list",
			       SECRETS, 200));
	ck_assert_uint_eq(tu_count(&T, "known_bad_source"), 0);
}
END_TEST

START_TEST(bad_source_denied_is_medium)
{
	char rec[2048];
	const char *v;

	judge_with(TOR, record(rec, sizeof(rec), "system:anonymous", "'2a0b:f4c2:7::1'", "get",
			       SECRETS, 403));
	v = tu_find(&T, "known_bad_source", 0);
	has(v, "severity", "medium");
	has(v, "outcome", "denied");
	ck_assert(!tu_json_array_has(v, "attack", "T1078"));

	/* near miss: a listed address earlier in sourceIPs came from
	 * X-Forwarded-For; the peer is not listed */
	judge_with(TOR, record(rec, sizeof(rec), "system:anonymous",
			       "'192.42.116.16','10.0.3.7'", "get", SECRETS, 403));
	ck_assert_uint_eq(tu_count(&T, "known_bad_source"), 0);
}
END_TEST

START_TEST(bad_source_needs_a_list)
{
	char rec[2048];

	/* kag ships no list: nothing fires, nothing asks for context */
	judge_with(NULL, record(rec, sizeof(rec), "dev@example.com", "'185.220.101.47'", "list",
				SECRETS, 200));
	ck_assert_uint_eq(tu_count(&T, "known_bad_source"), 0);
	/* an IPv4-mapped IPv6 peer is its IPv4 address */
	judge_with(TOR, record(rec, sizeof(rec), "dev@example.com", "'::ffff:192.42.116.16'",
			       "list", SECRETS, 200));
	ck_assert_uint_eq(tu_count(&T, "known_bad_source"), 1);
}
END_TEST

/* ---- the address-list loader ---- */

static int load(kag_registry *r, const char *text)
{
	return kag_registry_load_addresses(r, "feed", text, strlen(text));
}

START_TEST(address_list_errors_name_the_line)
{
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(load(r, "# ok\n10.0.0.0/8\n\n300.1.1.1\n"), KAG_EPARSE);
	ck_assert_str_eq(kag_registry_error_message(r),
			 "feed: line 4: not an address or CIDR range");
	ck_assert_int_eq(load(r, "10.0.0.0/33\n"), KAG_EPARSE);
	ck_assert_ptr_nonnull(strstr(kag_registry_error_message(r), "line 1: an IPv4 prefix"));
	ck_assert_int_eq(load(r, "2001:db8::/129\n"), KAG_EPARSE);
	ck_assert_int_eq(load(r, "192.0.2.1:443\n"), KAG_EPARSE);   /* a port */
	ck_assert_int_eq(load(r, "[2001:db8::1]\n"), KAG_EPARSE);
	ck_assert_int_eq(load(r, "192.0.2.0/\n"), KAG_EPARSE);
	ck_assert_int_eq(kag_registry_load_addresses(r, "has space", "", 0), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_load_addresses(r, "", "", 0), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_load_addresses(r, "x", NULL, 1), KAG_EINVAL);
	ck_assert_int_eq(kag_registry_load_addresses(NULL, "x", "", 0), KAG_EINVAL);
	{
		char line[300];

		memset(line, ' ', sizeof(line) - 2);
		line[sizeof(line) - 2] = '\n';
		line[sizeof(line) - 1] = '\0';
		ck_assert_int_eq(load(r, line), KAG_ELIMIT);
	}
	/* comments, blanks, CRLF, tabs and an empty list are fine */
	ck_assert_int_eq(load(r, ""), KAG_OK);
	ck_assert_str_eq(kag_registry_error_message(r), "");
	ck_assert_int_eq(load(r, "\t192.0.2.0/24 \r\n# x\n\n2001:db8::/32"), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	ck_assert_int_eq(load(r, "192.0.2.1\n"), KAG_ESTATE);
	kag_registry_free(r);
}
END_TEST

START_TEST(address_list_all_or_nothing)
{
	char rec[2048];
	kag_registry *r;

	/* a failed reload keeps the list that was loaded; a good one replaces it */
	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_load_addresses(r, "tor-exits", "203.0.113.0/24\n", 15),
			 KAG_OK);
	ck_assert_int_eq(kag_registry_load_addresses(r, "tor-exits", "198.51.100.7\nnope\n", 18),
			 KAG_EPARSE);
	tu_init_registry(&T, r);
	T_live = 1;
	record(rec, sizeof(rec), "dev@example.com", "'203.0.113.9'", "get", SECRETS, 200);
	tu_judge(&T, rec, strlen(rec));
	ck_assert_uint_eq(tu_count(&T, "known_bad_source"), 1);
	tu_free(&T);
	T_live = 0;

	/* host bits past the prefix are cleared; a reload replaces the list */
	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_load_addresses(r, "tor-exits", "203.0.113.0/24\n", 15),
			 KAG_OK);
	ck_assert_int_eq(kag_registry_load_addresses(r, "tor-exits", "198.51.100.77/25\n", 17),
			 KAG_OK);
	tu_init_registry(&T, r);
	T_live = 1;
	record(rec, sizeof(rec), "dev@example.com", "'203.0.113.9'", "get", SECRETS, 200);
	tu_judge(&T, rec, strlen(rec));
	record(rec, sizeof(rec), "dev@example.com", "'198.51.100.1'", "list", SECRETS, 200);
	tu_judge(&T, rec, strlen(rec));
	ck_assert_uint_eq(tu_count(&T, "known_bad_source"), 1);
	has(tu_find(&T, "known_bad_source", 0), "evidence.knownBadSource.address", "198.51.100.1");
}
END_TEST

START_TEST(address_list_in_policy)
{
	static const char policy[] =
		"{\"bad_sources\": {\"intel\": [\"198.51.100.0/24\", \"2001:db8::/32\"]}}";
	static const char bad[] =
		"{\"bad_sources\": {\"intel\": [\"198.51.100.0/24\", \"not-an-address\"]}}";
	char rec[2048];
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_load_policy(r, bad, strlen(bad)), KAG_EPARSE);
	ck_assert_str_eq(kag_registry_error_path(r), "/bad_sources/intel/1");
	ck_assert_int_eq(kag_registry_load_policy(r, policy, strlen(policy)), KAG_OK);
	tu_init_registry(&T, r);
	T_live = 1;
	record(rec, sizeof(rec), "dev@example.com", "'198.51.100.200'", "get", SECRETS, 200);
	tu_judge(&T, rec, strlen(rec));
	has(tu_find(&T, "known_bad_source", 0), "evidence.knownBadSource.list", "intel");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bad_sources");
	TCase *tc = tcase_create("coverage");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, bad_source_allowed_is_high);
	tcase_add_test(tc, bad_source_denied_is_medium);
	tcase_add_test(tc, bad_source_needs_a_list);
	tcase_add_test(tc, address_list_errors_name_the_line);
	tcase_add_test(tc, address_list_all_or_nothing);
	tcase_add_test(tc, address_list_in_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
