/* Verdict rendering: the buffer's writers (JSON strings, integers, times)
 * byte for byte, and verdict records against their accessors. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-private.h"
#include "buf-private.h"
#include "event-private.h"
#include "testutil.h"

/* ---- a byte-at-a-time JSON string writer, the reference ---- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: shortest form,
 * no surrogates, at most U+10FFFF), or 0. */
static size_t ref_utf8_len(const unsigned char *s, size_t n)
{
	unsigned long cp;
	size_t need, k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	cp = s[0] & (0x7F >> need);
	for (k = 1; k < need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3F);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

/* Write s as a JSON string literal into out (6 * n + 3 bytes); return the
 * length written. */
static size_t ref_json_str(char *out, const unsigned char *s, size_t n)
{
	size_t i = 0, o = 0, k;

	out[o++] = '"';
	while (i < n) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			memcpy(out + o, "\\n", 2), o += 2;
		} else if (c == '\r') {
			memcpy(out + o, "\\r", 2), o += 2;
		} else if (c == '\t') {
			memcpy(out + o, "\\t", 2), o += 2;
		} else if (c < 0x20) {
			o += (size_t)sprintf(out + o, "\\u%04x", c);
		} else if (c < 0x80) {
			out[o++] = (char)c;
		} else if ((k = ref_utf8_len(s + i, n - i)) != 0) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3), o += 3;
		}
		i++;
	}
	out[o++] = '"';
	return o;
}

/* The buffer's bytes equal `want` (want_len bytes). */
static void expect_buf(const kag_buf *b, const char *want, size_t want_len)
{
	ck_assert_msg(b->len == want_len && memcmp(b->data, want, want_len) == 0,
		      "got %zu bytes \"%.*s\", want %zu bytes \"%.*s\"", b->len, (int)b->len,
		      b->data ? b->data : "", want_len, (int)want_len, want);
	ck_assert_uint_le(b->len, b->cap);
	ck_assert_int_eq(b->oom, 0);
}

/* JSON string of a C string literal must be exactly `want`. */
static void expect_json_str(const char *s, size_t n, const char *want)
{
	kag_buf b;

	kag__buf_init(&b);
	ck_assert_int_eq(kag__buf_put_json_str(&b, s, n), KAG_OK);
	expect_buf(&b, want, strlen(want));
	kag__buf_dispose(&b);
}

#define JSON_STR(lit, want) expect_json_str(lit, sizeof(lit) - 1, want)

START_TEST(json_str_fixed)
{
	JSON_STR("", "\"\"");
	JSON_STR("a", "\"a\"");
	JSON_STR("pods", "\"pods\"");
	JSON_STR("1234567", "\"1234567\"");
	JSON_STR("12345678", "\"12345678\"");
	JSON_STR("123456789", "\"123456789\"");
	JSON_STR("system:serviceaccount:kube-system:replicaset-controller",
		 "\"system:serviceaccount:kube-system:replicaset-controller\"");
	/* the two-character escapes, and \u00XX for the other controls */
	JSON_STR("\"", "\"\\\"\"");
	JSON_STR("\\", "\"\\\\\"");
	JSON_STR("a\"b\\c", "\"a\\\"b\\\\c\"");
	JSON_STR("\n\r\t", "\"\\n\\r\\t\"");
	JSON_STR("\b\f", "\"\\u0008\\u000c\"");
	JSON_STR("\x01\x1f", "\"\\u0001\\u001f\"");
	JSON_STR("nul\0byte", "\"nul\\u0000byte\"");
	/* DEL and the rest of ASCII are written as they are */
	JSON_STR("\x7f ~/", "\"\x7f ~/\"");
	/* a special byte at the end of a long plain run, and just after */
	JSON_STR("abcdefghijklmno\"", "\"abcdefghijklmno\\\"\"");
	JSON_STR("abcdefgh\tijklmnop", "\"abcdefgh\\tijklmnop\"");
	JSON_STR("\tabcdefghijklmnop", "\"\\tabcdefghijklmnop\"");
	JSON_STR("abcdefghijklmnop\t", "\"abcdefghijklmnop\\t\"");
	JSON_STR("abcdefghijklmno\tp", "\"abcdefghijklmno\\tp\"");
}
END_TEST

START_TEST(json_str_utf8)
{
	/* well-formed UTF-8 is copied */
	JSON_STR("caf\xC3\xA9", "\"caf\xC3\xA9\"");
	JSON_STR("\xE2\x82\xAC 5", "\"\xE2\x82\xAC 5\"");
	JSON_STR("\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\"");
	JSON_STR("\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\"");
	JSON_STR("abcdefgh\xC3\xA9ijklmnop", "\"abcdefgh\xC3\xA9ijklmnop\"");
	/* each byte outside a well-formed sequence becomes U+FFFD */
	JSON_STR("\xFF", "\"\xEF\xBF\xBD\"");
	JSON_STR("\x80", "\"\xEF\xBF\xBD\"");
	JSON_STR("a\xE2\x82", "\"a\xEF\xBF\xBD\xEF\xBF\xBD\"");         /* cut short */
	JSON_STR("\xE2\x82:", "\"\xEF\xBF\xBD\xEF\xBF\xBD:\"");          /* cut by ASCII */
	JSON_STR("\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");            /* overlong */
	JSON_STR("\xE0\x80\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""); /* overlong */
	JSON_STR("\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""); /* surrogate */
	JSON_STR("\xF4\x90\x80\x80",
		 "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""); /* above U+10FFFF */
	JSON_STR("abcdefghijklmnop\xFF", "\"abcdefghijklmnop\xEF\xBF\xBD\"");
}
END_TEST

/* Pieces random strings are made of: plain runs, every kind of escape,
 * well-formed and broken UTF-8. */
static const char *const pieces[] = {
	"a", "Z", " ", "/", ":", "~", "\x7f", "abcdefghijklmnopqrstuvwxyz0123456789",
	"system:authenticated", "\"", "\\", "\n", "\r", "\t", "\x01", "\x1f", "\b",
	"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF", "\x80", "\xC0\xAF", "\xE2\x82",
	"\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF0\x9F"
};

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* A random string of exactly n bytes (may end inside a sequence). */
static void random_string(unsigned char *s, size_t n)
{
	size_t o = 0;

	while (o < n) {
		/* mostly plain text (the first nine pieces), so the eight-byte
		 * paths are taken */
		size_t n_pieces = rng() % 4 ? 9 : sizeof(pieces) / sizeof(pieces[0]);
		const char *p = pieces[rng() % n_pieces];
		size_t k = strlen(p);

		if (k > n - o)
			k = n - o;
		memcpy(s + o, p, k);
		o += k;
	}
}

START_TEST(json_str_matches_reference)
{
	unsigned char s[96];
	char want[6 * sizeof(s) + 3];
	size_t n, round;

	rng_state = 20240501;
	for (n = 0; n < sizeof(s); n++) {
		for (round = 0; round < 200; round++) {
			size_t want_len, pre = rng() % 300, i;
			kag_buf b;

			random_string(s, n);
			want_len = ref_json_str(want, s, n);
			/* after a prefix, so growth lands anywhere in the string */
			kag__buf_init(&b);
			for (i = 0; i < pre; i++)
				kag__buf_putc(&b, 'x');
			TU_REQUIRE_INT_EQ(kag__buf_put_json_str(&b, (const char *)s, n), KAG_OK);
			TU_REQUIRE_INT_EQ(b.len, pre + want_len);
			TU_REQUIRE_MSG(memcmp(b.data + pre, want, want_len) == 0,
				       "length %zu round %zu differs", n, round);
			TU_REQUIRE(b.len < b.cap);
			/* the unquoted form is the same between the quotes */
			b.len = 0;
			TU_REQUIRE_INT_EQ(kag__buf_put_json_chars(&b, (const char *)s, n), KAG_OK);
			TU_REQUIRE_INT_EQ(b.len, want_len - 2);
			TU_REQUIRE(memcmp(b.data, want + 1, want_len - 2) == 0);
			kag__buf_dispose(&b);
		}
	}
}
END_TEST

/* A string written in parts that meet at an ASCII byte escapes as the
 * whole does (the verdict writes "name:line" and the redacted request URI
 * this way). */
START_TEST(json_chars_parts)
{
	unsigned char s[64];
	char want[6 * sizeof(s) + 3];
	size_t round;

	rng_state = 7;
	for (round = 0; round < 5000; round++) {
		size_t n = 1 + rng() % (sizeof(s) - 1), cut = rng() % n, want_len;
		kag_buf b;

		random_string(s, n);
		s[cut] = (unsigned char)":?=&"[rng() % 4];
		want_len = ref_json_str(want, s, n);
		kag__buf_init(&b);
		kag__buf_putc(&b, '"');
		/* cut before or after the ASCII byte */
		if (rng() % 2)
			cut++;
		kag__buf_put_json_chars(&b, (const char *)s, cut);
		kag__buf_put_json_chars(&b, (const char *)s + cut, n - cut);
		kag__buf_putc(&b, '"');
		expect_buf(&b, want, want_len);
		kag__buf_dispose(&b);
	}
}
END_TEST

START_TEST(json_str_out_of_memory)
{
	kag_buf b;
	char ctl[100];

	/* the first allocation fails: nothing written, and it stays failed */
	kag__buf_init(&b);
	kag__alloc_fail_at(1);
	ck_assert_int_eq(kag__buf_put_json_str(&b, "abc", 3), KAG_ENOMEM);
	kag__alloc_fail_at(0);
	ck_assert_int_eq(b.oom, 1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(kag__buf_put_json_str(&b, "abc", 3), KAG_ENOMEM);
	ck_assert_int_eq(KAG__BUF_LIT(&b, "x"), KAG_ENOMEM);
	ck_assert_int_eq(kag__buf_putc(&b, 'x'), KAG_ENOMEM);
	kag__buf_dispose(&b);

	/* growth inside a string of escapes fails */
	memset(ctl, '\x01', sizeof(ctl));
	kag__buf_init(&b);
	ck_assert_int_eq(kag__buf_reserve(&b, 0), KAG_OK);
	kag__alloc_fail_at(1);
	ck_assert_int_eq(kag__buf_put_json_str(&b, ctl, sizeof(ctl)), KAG_ENOMEM);
	kag__alloc_fail_at(0);
	ck_assert_int_eq(b.oom, 1);
	ck_assert_uint_le(b.len, b.cap);
	kag__buf_dispose(&b);
}
END_TEST

START_TEST(integers)
{
	static const struct {
		int64_t v;
		const char *want;
	} i64[] = {
		{ 0, "0" }, { 1, "1" }, { -1, "-1" }, { 9, "9" }, { 10, "10" }, { -10, "-10" },
		{ 201, "201" }, { INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" }, { INT64_MIN + 1, "-9223372036854775807" },
	};
	kag_buf b;
	size_t i;

	for (i = 0; i < sizeof(i64) / sizeof(i64[0]); i++) {
		kag__buf_init(&b);
		ck_assert_int_eq(kag__buf_put_i64(&b, i64[i].v), KAG_OK);
		expect_buf(&b, i64[i].want, strlen(i64[i].want));
		kag__buf_dispose(&b);
	}
	kag__buf_init(&b);
	kag__buf_put_u64(&b, 0);
	kag__buf_putc(&b, ' ');
	kag__buf_put_u64(&b, UINT64_MAX);
	expect_buf(&b, "0 18446744073709551615", 22);
	kag__buf_dispose(&b);
}
END_TEST

START_TEST(times)
{
	static const struct {
		int64_t us;
		const char *want;
	} t[] = {
		{ 0, "\"1970-01-01T00:00:00.000000Z\"" },
		{ 1, "\"1970-01-01T00:00:00.000001Z\"" },
		{ -1, "\"1969-12-31T23:59:59.999999Z\"" },
		{ -1000000, "\"1969-12-31T23:59:59.000000Z\"" },
		{ 1714557600000000, "\"2024-05-01T10:00:00.000000Z\"" },
		{ 1714557600023574, "\"2024-05-01T10:00:00.023574Z\"" },
		{ 951782400000000, "\"2000-02-29T00:00:00.000000Z\"" },
		{ 4107542400000000, "\"2100-03-01T00:00:00.000000Z\"" },
		{ 253402300799999999, "\"9999-12-31T23:59:59.999999Z\"" },
		{ -62167219200000000, "\"0000-01-01T00:00:00.000000Z\"" },
	};
	kag_buf b;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		kag__buf_init(&b);
		ck_assert_int_eq(kag__buf_put_time_us(&b, t[i].us), KAG_OK);
		expect_buf(&b, t[i].want, strlen(t[i].want));
		kag__buf_dispose(&b);
	}
}
END_TEST

/* Written times read back as the same instant, over years 0001 to 9999. */
START_TEST(times_round_trip)
{
	const int64_t lo = -62135596800000000, hi = 253402300799999999;
	size_t round;

	rng_state = 99;
	for (round = 0; round < 20000; round++) {
		uint64_t r = rng();
		int64_t us;
		kag_buf b;

		r = r << 20 ^ rng();
		r = r << 20 ^ rng();
		us = lo + (int64_t)(r % (uint64_t)(hi - lo));
		kag__buf_init(&b);
		TU_REQUIRE_INT_EQ(kag__buf_put_time_us(&b, us), KAG_OK);
		TU_REQUIRE_INT_EQ(b.len, 29);
		TU_REQUIRE_INT_EQ(kag__parse_time(b.data + 1, b.len - 2), us);
		kag__buf_dispose(&b);
	}
}
END_TEST

START_TEST(plain_appends)
{
	kag_buf b;

	kag__buf_init(&b);
	ck_assert_int_eq(KAG__BUF_LIT(&b, "{\"a\":"), KAG_OK);
	ck_assert_int_eq(kag__buf_puts(&b, "null"), KAG_OK);
	ck_assert_int_eq(kag__buf_putc(&b, '}'), KAG_OK);
	ck_assert_int_eq(kag__buf_put(&b, NULL, 0), KAG_OK);
	expect_buf(&b, "{\"a\":null}", 10);
	ck_assert_int_eq(kag__buf_terminate(&b), KAG_OK);
	ck_assert_str_eq(b.data, "{\"a\":null}");
	ck_assert_uint_eq(b.len, 10);
	kag__buf_dispose(&b);
}
END_TEST

/* ---- verdict records ---- */

/* An anonymous write whose every string field needs escaping somewhere;
 * \u007f is DEL, written as it is. */
static const char odd_event[] =
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
	"\"auditID\":\"a\\\"b\\\\c\",\"stage\":\"ResponseComplete\","
	"\"requestURI\":\"/api/v1/namespaces?token=s\\u0001cret&labelSelector=\\\"y\\\"&password=p"
	"&\xC3\xA9=1\","
	"\"verb\":\"create\",\"user\":{\"username\":\"system:anonymous\","
	"\"groups\":[\"system:unauthenticated\",\"g\\\\h\\u0000i\"],"
	"\"extra\":{\"k\\\"1\":[\"v1\",\"v\\n2\"],\"k2\":[\"w\"]}},"
	"\"sourceIPs\":[\"10.0.0.1\"],"
	"\"userAgent\":\"ag\\u00e9nt/1 \\ud83d\\ude00 tab\\t\\r\\u007f\\u001f\","
	"\"objectRef\":{\"resource\":\"namespaces\",\"name\":\"n\\nm\",\"apiVersion\":\"v1\"},"
	"\"responseStatus\":{\"metadata\":{},\"code\":201},"
	"\"requestReceivedTimestamp\":\"2024-05-01T10:00:00.000000Z\","
	"\"stageTimestamp\":\"2024-05-01T10:00:00.100000Z\","
	"\"annotations\":{\"authorization.k8s.io/decision\":\"allow\",\"k\\u001fey\":\"\\u20ac\"}}\n";

START_TEST(verdict_escapes)
{
	static const char want_event[] =
		"\"event\":{\"auditID\":\"a\\\"b\\\\c\",\"stage\":\"ResponseComplete\","
		"\"level\":\"Metadata\",\"time\":\"2024-05-01T10:00:00.100000Z\",\"format\":\"native\","
		"\"source\":\"dir \\\"q\\\" \\\\ \xC3\xA9.log:1\"}";
	static const char want_evidence[] =
		"{\"verb\":\"create\",\"user\":{\"username\":\"system:anonymous\","
		"\"groups\":[\"system:unauthenticated\",\"g\\\\h\\u0000i\"],"
		"\"extra\":{\"k\\\"1\":[\"v1\",\"v\\n2\"],\"k2\":[\"w\"]}},\"impersonatedUser\":null,"
		"\"sourceIPs\":[\"10.0.0.1\"],"
		"\"userAgent\":\"ag\xC3\xA9nt/1 \xF0\x9F\x98\x80 tab\\t\\r\x7f\\u001f\","
		"\"objectRef\":{\"resource\":\"namespaces\",\"name\":\"n\\nm\",\"apiVersion\":\"v1\"},"
		"\"requestURI\":\"/api/v1/namespaces?token=<redacted>&labelSelector=\\\"y\\\""
		"&password=<redacted>&\xC3\xA9=<redacted>\",\"responseStatus\":{\"code\":201},"
		"\"annotations\":{\"authorization.k8s.io/decision\":\"allow\","
		"\"k\\u001fey\":\"\xE2\x82\xAC\"},\"anonymousWrite\":true}";
	kag_registry *reg;
	kag_session *sess;
	kag_parser *p;
	const kag_event *ev;
	const kag_result *res;
	const kag_verdict *v;
	const char *json, *evidence;
	size_t len, elen;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&sess, reg), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_set_source(p, "dir \"q\" \\ \xC3\xA9.log"), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, odd_event, sizeof(odd_event) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
	ck_assert_uint_eq(kag_result_count(res), 1);
	v = kag_result_verdict(res, 0);
	ck_assert_str_eq(kag_verdict_detector(v), "anonymous_access");
	json = kag_verdict_json(v, &len);
	ck_assert_uint_eq(strlen(json), len);
	ck_assert_msg(strstr(json, want_event) != NULL, "%s", json);
	evidence = kag_verdict_evidence_json(v, &elen);
	ck_assert_uint_eq(elen, sizeof(want_evidence) - 1);
	ck_assert(memcmp(evidence, want_evidence, elen) == 0);
	/* a C string of its own, as a ctypes c_char_p reads it */
	ck_assert_uint_eq(strlen(evidence), elen);
	ck_assert_ptr_nonnull(strstr(json, evidence));
	ck_assert_str_eq(kag_verdict_audit_id(v), "a\"b\\c");
	ck_assert_str_eq(kag_verdict_source(v), "dir \"q\" \\ \xC3\xA9.log:1");
	ck_assert_uint_eq(kag_verdict_attack_count(v), 1);
	ck_assert_str_eq(kag_verdict_attack(v, 0), "T1078.001");
	ck_assert_ptr_null(kag_verdict_attack(v, 1));
	kag_parser_free(p);
	kag_session_free(sess);
	kag_registry_free(reg);
}
END_TEST

/* A built event may hold bytes no parser lets through: its verdict is
 * still valid JSON, with U+FFFD for each stray byte. Inferred fields (the
 * code, and with it the status object) are listed by name. */
START_TEST(verdict_invalid_utf8)
{
	static const char want[] = "\"userAgent\":\"curl/8 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
				   "\\u0000\",";
	kag_registry *reg;
	kag_session *sess;
	kag_event *ev;
	const kag_result *res;
	const kag_verdict *v;
	const char *json;
	size_t len, i;
	json_error_t err;
	json_t *j;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_VERB, "create", 6, KAG_STATE_OBSERVED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_OBJ_RESOURCE, "pods", 4,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_OBJ_SUBRESOURCE, "exec", 4,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_OBJ_NAMESPACE, "prod", 4,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_OBJ_NAME, "api", 3, KAG_STATE_OBSERVED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_USERNAME, "alice", 5,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_AGENT, "curl/8 \xFF\xE2\x82\0", 11,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 101, KAG_STATE_INFERRED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_STAGE, "ResponseStarted", 15,
					      KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&sess, reg), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
	ck_assert_uint_gt(kag_result_count(res), 0);
	for (i = 0; i < kag_result_count(res); i++) {
		v = kag_result_verdict(res, i);
		json = kag_verdict_json(v, &len);
		ck_assert_msg(strstr(json, want) != NULL, "%s", json);
		ck_assert_msg(strstr(json, ",\"inferred\":[\"responseStatus\","
				      "\"responseStatus.code\"]") != NULL, "%s", json);
		j = json_loadb(json, len, JSON_ALLOW_NUL, &err);
		ck_assert_msg(j != NULL, "not JSON: %s", err.text);
		json_decref(j);
		ck_assert_uint_eq(kag_verdict_inferred_count(v), 2);
		ck_assert_str_eq(kag_verdict_inferred(v, 0), "responseStatus");
		ck_assert_str_eq(kag_verdict_inferred(v, 1), "responseStatus.code");
	}
	kag_session_free(sess);
	kag_registry_free(reg);
	kag_event_free(ev);
}
END_TEST

/* The string array at `key` of object o holds the n strings get(v, i). */
static void expect_array(const json_t *o, const char *key, const kag_verdict *v, size_t n,
			 const char *(*get)(const kag_verdict *, size_t))
{
	const json_t *a = json_object_get(o, key);
	size_t i;

	ck_assert_msg(json_is_array(a), "%s is not an array", key);
	ck_assert_uint_eq(json_array_size(a), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(json_string_value(json_array_get(a, i)), get(v, i));
}

/* Every verdict, bodies included, over every corpus file: valid JSON that
 * says what the accessors say. */
static void check_verdicts(const kag_result *res, size_t *n)
{
	size_t i;

	for (i = 0; i < kag_result_count(res); i++, (*n)++) {
		const kag_verdict *v = kag_result_verdict(res, i);
		size_t len, elen;
		const char *text = kag_verdict_json(v, &len);
		const char *evidence = kag_verdict_evidence_json(v, &elen);
		json_error_t err;
		json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &err), *ev, *e, *corr;
		const char *audit;

		ck_assert_msg(j != NULL, "not JSON (%s): %s", err.text, text);
		ck_assert_uint_eq(strlen(text), len);
		ck_assert_str_eq(json_string_value(json_object_get(j, "detector")),
				 kag_verdict_detector(v));
		ck_assert_str_eq(json_string_value(json_object_get(j, "assessment")),
				 kag_assessment_name(kag_verdict_assessment(v)));
		ck_assert_str_eq(json_string_value(json_object_get(j, "outcome")),
				 kag_outcome_name(kag_verdict_outcome(v)));
		ck_assert_str_eq(json_string_value(json_object_get(j, "severity")),
				 kag_severity_name(kag_verdict_severity(v)));
		ck_assert_str_eq(json_string_value(json_object_get(j, "confidence")),
				 kag_confidence_name(kag_verdict_confidence(v)));
		ck_assert_str_eq(json_string_value(json_object_get(j, "reason")),
				 kag_verdict_reason(v));
		expect_array(j, "attack", v, kag_verdict_attack_count(v), kag_verdict_attack);
		expect_array(j, "missing", v, kag_verdict_missing_count(v), kag_verdict_missing);
		expect_array(j, "inferred", v, kag_verdict_inferred_count(v), kag_verdict_inferred);
		ev = json_object_get(j, "event");
		audit = json_string_value(json_object_get(ev, "auditID"));
		ck_assert_str_eq(audit ? audit : "", kag_verdict_audit_id(v));
		ck_assert_str_eq(json_string_value(json_object_get(ev, "source")),
				 kag_verdict_source(v));
		/* the evidence accessor is the record's evidence member, as a
		 * string of its own */
		ck_assert_ptr_nonnull(strstr(text, "\"evidence\":"));
		ck_assert_uint_eq(strlen(evidence), elen);
		ck_assert(memcmp(evidence, strstr(text, "\"evidence\":") + 11, elen) == 0);
		e = json_loadb(evidence, elen, JSON_ALLOW_NUL, &err);
		ck_assert_msg(json_equal(e, json_object_get(j, "evidence")), "%.*s", (int)elen,
			      evidence);
		json_decref(e);
		corr = json_object_get(j, "correlation");
		if (kag_verdict_correlation_count(v))
			ck_assert_int_eq(json_integer_value(json_object_get(corr, "count")),
					 (json_int_t)kag_verdict_correlation_count(v));
		else
			ck_assert_ptr_null(corr);
		json_decref(j);
	}
}

START_TEST(verdicts_match_accessors)
{
	size_t nf, f, n = 0;
	char **files = tu_data_files(&nf, 0);

	for (f = 0; f < nf; f++) {
		kag_registry *reg;
		kag_session *sess;
		kag_parser *p;
		const kag_event *ev;
		const kag_result *res;
		size_t len;
		char *data = tu_read_data_file(files[f], &len);
		int rc;

		ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
		ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
		ck_assert_int_eq(kag_session_new(&sess, reg), KAG_OK);
		ck_assert_int_eq(kag_session_set_option_u64(sess, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
		ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
		ck_assert_int_eq(kag_parser_set_source(p, files[f]), KAG_OK);
		ck_assert_int_eq(kag_parser_feed(p, data, len), KAG_OK);
		ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
			if (rc < 0)
				continue;
			ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
			check_verdicts(res, &n);
		}
		ck_assert_int_eq(kag_session_flush(&res, sess), KAG_OK);
		check_verdicts(res, &n);
		kag_parser_free(p);
		kag_session_free(sess);
		kag_registry_free(reg);
		free(data);
	}
	tu_free_files(files, nf);
	ck_assert_uint_gt(n, 100);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("writer");

	tcase_add_test(tc, json_str_fixed);
	tcase_add_test(tc, json_str_utf8);
	tcase_add_test(tc, json_str_matches_reference);
	tcase_add_test(tc, json_chars_parts);
	tcase_add_test(tc, json_str_out_of_memory);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, times);
	tcase_add_test(tc, times_round_trip);
	tcase_add_test(tc, plain_appends);
	suite_add_tcase(s, tc);
	tc = tcase_create("verdict");
	tcase_add_test(tc, verdict_escapes);
	tcase_add_test(tc, verdict_invalid_utf8);
	tcase_add_test(tc, verdicts_match_accessors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
