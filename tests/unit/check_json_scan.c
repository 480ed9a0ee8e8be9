/* The one-pass JSON scan (lib/json_scan.c): the tokens it makes, bodies
 * kept as one token, where a value ends, repeated keys, the limits, and
 * every lexical rule at each position of the 16- and 32-byte blocks the
 * string scan reads. jansson is the oracle: what the scan accepts, jansson
 * accepts too, and for text without numbers they agree exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testutil.h"
#include "../../lib/json-check-private.h"
#include "../../lib/json-scan-private.h"

static kag__jscan sc;

static void setup(void)
{
	kag__jscan_init(&sc);
}

static void teardown(void)
{
	kag__jscan_dispose(&sc);
}

/* Scan s with `flags`, default limits; returns the token count or -1. */
static int scan(const char *s, unsigned flags, size_t *end)
{
	kag__jscan_opts o;
	size_t e = 0;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	o.max_depth = KAG__JSCAN_MAX_DEPTH;
	return kag__jscan_run(&sc, s, strlen(s), &o, end ? end : &e);
}

static void tok_is(int i, int type, const char *s, const char *text, int size)
{
	const kag__jtok *t = &sc.tok[i];

	ck_assert_msg(t->type == type, "token %d: type %d, not %d", i, t->type, type);
	ck_assert_msg((size_t)(t->end - t->start) == strlen(text) &&
		      memcmp(s + t->start, text, strlen(text)) == 0,
		      "token %d: '%.*s', not '%s'", i, (int)(t->end - t->start), s + t->start, text);
	ck_assert_msg(t->size == size, "token %d: size %d, not %d", i, t->size, size);
}

START_TEST(tokens_of_a_record)
{
	const char *s = " {\"a\":\"x\", \"b\":[1,true,null],\"c\":{\"d\":\"e\\n\"},\"e\":[]}\n";
	size_t end;

	ck_assert_int_eq(scan(s, KAG__JSCAN_TOKENS | KAG__JSCAN_UNIQUE, &end), 14);
	ck_assert_uint_eq(end, strlen(s));
	tok_is(0, KAG__JT_OBJECT, s, "{\"a\":\"x\", \"b\":[1,true,null],\"c\":{\"d\":\"e\\n\"},\"e\":[]}", 4);
	tok_is(1, KAG__JT_STRING, s, "a", 0);
	tok_is(2, KAG__JT_STRING, s, "x", 0);
	tok_is(3, KAG__JT_STRING, s, "b", 0);
	tok_is(4, KAG__JT_ARRAY, s, "[1,true,null]", 3);
	tok_is(5, KAG__JT_PRIMITIVE, s, "1", 0);
	tok_is(6, KAG__JT_PRIMITIVE, s, "true", 0);
	tok_is(7, KAG__JT_PRIMITIVE, s, "null", 0);
	tok_is(8, KAG__JT_STRING, s, "c", 0);
	tok_is(9, KAG__JT_OBJECT, s, "{\"d\":\"e\\n\"}", 1);
	tok_is(10, KAG__JT_STRING, s, "d", 0);
	tok_is(11, KAG__JT_STRING, s, "e\\n", KAG__JSON_ESCAPED);
	tok_is(12, KAG__JT_STRING, s, "e", 0);
	tok_is(13, KAG__JT_ARRAY, s, "[]", 0);
	/* a check only: no tokens */
	ck_assert_int_eq(scan(s, 0, NULL), 0);
}
END_TEST

/* The member callback: keys of the top-level object only, decoded, with
 * the index their value's token gets; 1 keeps a value as one token. */
typedef struct {
	char keys[8][16];
	int tok[8], n;
} seen_keys;

static int note_member(void *ctx, const char *k, size_t len, int tok)
{
	seen_keys *sk = ctx;

	ck_assert_int_lt(sk->n, 8);
	ck_assert_uint_lt(len, 16);
	memcpy(sk->keys[sk->n], k, len);
	sk->keys[sk->n][len] = '\0';
	sk->tok[sk->n++] = tok;
	return strcmp(sk->keys[sk->n - 1], "body") == 0;
}

START_TEST(bodies_stay_one_token)
{
	const char *s = "{\"b\\u006fdy\":{\"x\":[1,{\"y\":\"z\"}],\"w\":{}},\"k\":{\"m\":\"v\"},"
			"\"body\":\"text\"}";
	seen_keys sk;
	kag__jscan_opts o;
	size_t end;

	memset(&sk, 0, sizeof(sk));
	memset(&o, 0, sizeof(o));
	o.flags = KAG__JSCAN_TOKENS | KAG__JSCAN_UNIQUE;
	o.max_depth = 64;
	o.member = note_member;
	o.ctx = &sk;
	/* obj, key, body (one token), key, obj, key, value, key, string: 9;
	 * "body" twice, once escaped: a repeated key */
	ck_assert_int_eq(kag__jscan_run(&sc, s, strlen(s), &o, &end), -1);
	s = "{\"b\\u006fdy\":{\"x\":[1,{\"y\":\"z\"}],\"w\":{}},\"k\":{\"m\":\"v\"},\"s\":\"text\"}";
	memset(&sk, 0, sizeof(sk));
	ck_assert_int_eq(kag__jscan_run(&sc, s, strlen(s), &o, &end), 9);
	ck_assert_int_eq(sk.n, 3);
	ck_assert_str_eq(sk.keys[0], "body");
	ck_assert_str_eq(sk.keys[1], "k");
	ck_assert_str_eq(sk.keys[2], "s");
	ck_assert_int_eq(sk.tok[0], 2);
	ck_assert_int_eq(sk.tok[1], 4);
	ck_assert_int_eq(sk.tok[2], 8);
	tok_is(2, KAG__JT_OBJECT, s, "{\"x\":[1,{\"y\":\"z\"}],\"w\":{}}", 0);
	tok_is(3, KAG__JT_STRING, s, "k", 0);
	tok_is(4, KAG__JT_OBJECT, s, "{\"m\":\"v\"}", 1);
	tok_is(8, KAG__JT_STRING, s, "text", 0);
	/* what is inside a body is checked all the same */
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"body\":{\"x\":[1,}]}}", 19, &o, &end), -1);
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"body\":{\"x\":1,\"x\":2}}", 22, &o, &end), -1);
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"body\":[\"\x01\"]}", 15, &o, &end), -1);
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"body\":[\"\xc0\xaf\"]}", 16, &o, &end), -1);
}
END_TEST

START_TEST(where_a_value_ends)
{
	size_t end = 0;

	ck_assert_int_eq(scan("{\"a\":1} {\"b\":2}", KAG__JSCAN_PREFIX, &end), 0);
	ck_assert_uint_eq(end, 7);
	ck_assert_int_eq(scan("{\"a\":1} x", KAG__JSCAN_PREFIX, &end), 0);
	ck_assert_uint_eq(end, 7);
	ck_assert_int_eq(scan("{\"a\":1} x", 0, &end), -1);
	ck_assert_int_eq(scan("{\"a\":1} \r\n\t", 0, &end), 0);
	ck_assert_uint_eq(end, 11);
	ck_assert_int_eq(scan("{\"a\":1", KAG__JSCAN_PREFIX, &end), -1);
	ck_assert_int_eq(scan("", 0, &end), -1);
	ck_assert_int_eq(scan("  ", 0, &end), -1);
	ck_assert_int_eq(scan("\"s\"", 0, &end), 0);
	ck_assert_int_eq(scan("-0.5e-3", 0, &end), 0);
}
END_TEST

/* An object of n keys "k0".."k<n-1>", with key `dup` (>= 0) repeated at
 * the end, written as an escape when `escaped`. */
static char *keys_object(int n, int dup, int escaped)
{
	char *s = malloc((size_t)n * 24 + 64), *p = s;
	int i;

	*p++ = '{';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"k%d\":%d", i ? "," : "", i, i);
	if (dup >= 0)
		p += sprintf(p, escaped ? ",\"\\u006b%d\":0" : ",\"k%d\":0", dup);
	*p++ = '}';
	*p = '\0';
	return s;
}

START_TEST(repeated_keys)
{
	static const int sizes[] = { 1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 1000 };
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k], dup;

		for (dup = -1; dup < n; dup += (n > 40 ? n / 7 + 1 : 1)) {
			char *s = keys_object(n, dup, dup % 2 == 0);
			int rc = scan(s, KAG__JSCAN_UNIQUE, NULL);

			ck_assert_msg(rc == (dup >= 0 ? -1 : 0), "%d keys, key %d repeated: %d",
				      n, dup, rc);
			/* without KAG__JSCAN_UNIQUE, as jansson without
			 * JSON_REJECT_DUPLICATES */
			ck_assert_int_eq(scan(s, 0, NULL), 0);
			free(s);
		}
	}
	/* the same key in two objects is not a repeat */
	ck_assert_int_eq(scan("{\"a\":{\"a\":1},\"b\":{\"a\":{\"a\":2}}}", KAG__JSCAN_UNIQUE, NULL), 0);
	ck_assert_int_eq(scan("[{\"a\":1},{\"a\":1}]", KAG__JSCAN_UNIQUE, NULL), 0);
	ck_assert_int_eq(scan("{\"\":1,\"\":2}", KAG__JSCAN_UNIQUE, NULL), -1);
	ck_assert_int_eq(scan("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", KAG__JSCAN_UNIQUE, NULL),
			 -1);
}
END_TEST

/* A member function that answers for repeats of the keys that start with
 * 'o' (counted in *ctx, once for each; `strict`: failing on a second) and
 * keeps a member "ow" as one token. */
typedef struct {
	int strict, seen[2];
} own_keys;

static int own_member(void *ctx, const char *k, size_t len, int tok)
{
	own_keys *ok = ctx;
	int which = len == 2 && k[1] == 'w';

	(void)tok;
	if (!len || k[0] != 'o')
		return 0;
	if (ok->seen[which]++ && ok->strict)
		return -1;
	return which ? KAG__JSCAN_OWN_KEY | KAG__JSCAN_WHOLE : KAG__JSCAN_OWN_KEY;
}

static int scan_owned(const char *s, int strict, own_keys *ok)
{
	kag__jscan_opts o;
	size_t end;

	memset(ok, 0, sizeof(*ok));
	ok->strict = strict;
	memset(&o, 0, sizeof(o));
	o.flags = KAG__JSCAN_TOKENS | KAG__JSCAN_UNIQUE;
	o.max_depth = KAG__JSCAN_MAX_DEPTH;
	o.member = own_member;
	o.ctx = ok;
	return kag__jscan_run(&sc, s, strlen(s), &o, &end);
}

START_TEST(keys_a_member_function_answers_for)
{
	own_keys ok;

	/* the scan leaves the keys the function answers for to it */
	ck_assert_int_eq(scan_owned("{\"o\":1,\"o\":2}", 0, &ok), 5);
	ck_assert_int_eq(ok.seen[0], 2);
	ck_assert_int_eq(scan_owned("{\"o\":1,\"o\":2}", 1, &ok), -1);
	/* an escaped key reaches the function decoded, and is checked by
	 * the scan as well */
	ck_assert_int_eq(scan_owned("{\"o\":1,\"\\u006f\":2}", 1, &ok), -1);
	ck_assert_int_eq(scan_owned("{\"\\u006f\":1,\"o\":2}", 1, &ok), -1);
	ck_assert_int_eq(scan_owned("{\"\\u006f\":1,\"\\u006f\":2}", 0, &ok), -1);
	/* every other key is the scan's, at any count */
	ck_assert_int_eq(scan_owned("{\"o\":1,\"x\":1,\"x\":2}", 1, &ok), -1);
	ck_assert_int_eq(scan_owned("{\"x\":1,\"o\":1,\"\\u0078\":2}", 1, &ok), -1);
	ck_assert_int_eq(scan_owned("{\"o\":1,\"x\":1,\"y\":2}", 1, &ok), 7);
	/* and the keys of the objects inside an answered-for member */
	ck_assert_int_eq(scan_owned("{\"o\":{\"o\":1,\"o\":2}}", 0, &ok), -1);
	ck_assert_int_eq(scan_owned("{\"ow\":{\"a\":1,\"a\":2}}", 0, &ok), -1);
	/* both flags at once: kept as one token, answered for */
	ck_assert_int_eq(scan_owned("{\"ow\":{\"a\":[1,2]},\"x\":1}", 1, &ok), 5);
	tok_is(2, KAG__JT_OBJECT, "{\"ow\":{\"a\":[1,2]},\"x\":1}", "{\"a\":[1,2]}", 0);
	ck_assert_int_eq(scan_owned("{\"ow\":{},\"ow\":{}}", 1, &ok), -1);
}
END_TEST

START_TEST(limits)
{
	kag__jscan_opts o;
	size_t end;
	char deep[2 * KAG__JSCAN_MAX_DEPTH + 8];
	int d;

	memset(&o, 0, sizeof(o));
	o.max_depth = 3;
	ck_assert_int_eq(kag__jscan_run(&sc, "[[[1]]]", 7, &o, &end), 0);
	ck_assert_int_eq(kag__jscan_run(&sc, "[[[[1]]]]", 9, &o, &end), -1);
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"a\":{\"b\":{\"c\":{}}}}", 20, &o, &end), -1);
	o.max_depth = 64;
	o.max_string = 4;
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"abcd\":\"wxyz\"}", 15, &o, &end), 0);
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"abcde\":\"w\"}", 13, &o, &end), -1);
	ck_assert_int_eq(kag__jscan_run(&sc, "{\"a\":\"vwxyz\"}", 13, &o, &end), -1);
	/* the scan's own depth limit holds whatever is asked */
	o.max_string = 0;
	o.max_depth = 100000;
	for (d = KAG__JSCAN_MAX_DEPTH; d <= KAG__JSCAN_MAX_DEPTH + 1; d++) {
		memset(deep, '[', (size_t)d);
		memset(deep + d, ']', (size_t)d);
		ck_assert_int_eq(kag__jscan_run(&sc, deep, 2 * (size_t)d, &o, &end),
				 d == KAG__JSCAN_MAX_DEPTH ? 0 : -1);
	}
	o.max_depth = 0;
	ck_assert_int_eq(kag__jscan_run(&sc, "1", 1, &o, &end), -1);
}
END_TEST

/* "<pad>X" with X at every offset of the blocks a string is read in: a
 * string holding `pad` plain bytes and then `x`, then more plain bytes. */
static int string_with(size_t pad, const char *x, size_t xlen, size_t *end)
{
	char s[256];
	size_t n = 0;

	s[n++] = '"';
	memset(s + n, 'p', pad);
	n += pad;
	memcpy(s + n, x, xlen);
	n += xlen;
	memset(s + n, 'q', 5);
	n += 5;
	s[n++] = '"';
	{
		kag__jscan_opts o;

		memset(&o, 0, sizeof(o));
		o.max_depth = 8;
		return kag__jscan_run(&sc, s, n, &o, end);
	}
}

START_TEST(strings_at_every_offset)
{
	static const struct {
		const char *x;
		size_t len;
		int ok;
	} cases[] = {
		{ "\\\"", 2, 1 }, { "\\\\", 2, 1 }, { "\\/", 2, 1 }, { "\\u00e9", 6, 1 },
		{ "\\ud83d\\ude00", 12, 1 }, { "\\u0000", 6, 1 }, { "\xc3\xa9", 2, 1 },
		{ "\xe2\x82\xac", 3, 1 }, { "\xf0\x9f\x98\x80", 4, 1 }, { "\x7f", 1, 1 },
		{ "\\x", 2, 0 }, { "\\u12g4", 6, 0 }, { "\\ud83d", 6, 0 }, { "\\ude00", 6, 0 },
		{ "\\ud83d\\u0041", 12, 0 }, { "\x01", 1, 0 }, { "\x1f", 1, 0 }, { "\n", 1, 0 },
		{ "\t", 1, 0 }, { "", 1, 0 } /* NUL */, { "\xc0\xaf", 2, 0 }, { "\xc3", 1, 0 },
		{ "\xe0\x80\xaf", 3, 0 }, { "\xed\xa0\x80", 3, 0 }, { "\xf4\x90\x80\x80", 4, 0 },
		{ "\xf0\x9f\x98", 3, 0 }, { "\x80", 1, 0 }, { "\xff", 1, 0 },
	};
	size_t pad, c, end;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (pad = 0; pad <= 70; pad++) {
			int rc = string_with(pad, cases[c].x, cases[c].len, &end);

			ck_assert_msg(rc == (cases[c].ok ? 0 : -1), "case %zu at offset %zu: %d",
				      c, pad, rc);
			if (rc == 0)
				ck_assert_uint_eq(end, pad + cases[c].len + 7);
		}
	/* no closing quote, at every length */
	for (pad = 0; pad <= 70; pad++) {
		char s[80];
		kag__jscan_opts o;

		memset(&o, 0, sizeof(o));
		o.max_depth = 8;
		s[0] = '"';
		memset(s + 1, 'a', pad);
		ck_assert_int_eq(kag__jscan_run(&sc, s, pad + 1, &o, &end), -1);
	}
}
END_TEST

/* Random short texts over JSON's bytes and some others: what the scan
 * accepts jansson reads, and without digits they agree. */
START_TEST(agrees_with_jansson)
{
	static const char alphabet[] = "{}[]:,\"\\ ntrufalse\x01\xc3\xa9\x80u0a-1.e";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int round, agreed = 0;

	for (round = 0; round < 300000; round++) {
		char s[24];
		size_t n, i, end;
		json_error_t err;
		json_t *j;
		int ours, digits = 0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = 1 + x % 16;
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s[i] = alphabet[x % (sizeof(alphabet) - 1)];
			digits |= s[i] >= '0' && s[i] <= '9';
		}
		{
			kag__jscan_opts o;

			memset(&o, 0, sizeof(o));
			o.flags = KAG__JSCAN_UNIQUE;
			o.max_depth = KAG__JSCAN_MAX_DEPTH;
			ours = kag__jscan_run(&sc, s, n, &o, &end);
		}
		j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &err);
		if (ours == 0)
			TU_REQUIRE_MSG(j != NULL, "the scan accepts what jansson refuses: '%.*s' (%s)",
				       (int)n, s, err.text);
		else if (!digits)
			TU_REQUIRE_MSG(j == NULL, "jansson accepts what the scan refuses: '%.*s'",
				       (int)n, s);
		agreed += ours == 0;
		json_decref(j);
	}
	/* the texts are not all refused */
	ck_assert_int_gt(agreed, 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json_scan");
	TCase *tc = tcase_create("json_scan");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tokens_of_a_record);
	tcase_add_test(tc, bodies_stay_one_token);
	tcase_add_test(tc, where_a_value_ends);
	tcase_add_test(tc, repeated_keys);
	tcase_add_test(tc, keys_a_member_function_answers_for);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, strings_at_every_offset);
	tcase_add_test(tc, agrees_with_jansson);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
