/* Whole lines of up to several MiB, as an attacker or a broken collector
 * sends them: to both front ends as one stream, and message by message as
 * kag-filter reads them (the parser reset, one line fed, finished, drained).
 * Run with -rss_limit_mb=256 and a per-input -timeout: a record that costs
 * more than linear time or more memory than its budget shows as a timeout
 * or an out-of-memory report. Both front ends must give the same sequence
 * of events and errors (code, message, line, offset, JSON pointer), and
 * every record read must be counted once.
 *
 * Input: byte 0 holds the input format (bits 0-2) and, in bit 7, whether
 * the rest is expanded: a little-endian u32 repeat count, then u16 lengths
 * of a prefix and a unit, then the prefix, the unit and a suffix; the text
 * is prefix + unit x count + suffix, at most 4 MiB. That is how a few bytes
 * of fuzzer input make a 4 MiB line of nested objects or of empty ones.
 *
 * The value budget is set to 100000 (a fifth of the default) so that the
 * ceiling of one parser, sanitizers included, stays under the RSS limit. */
#include "fuzz-common.h"

#define MAX_TEXT (4u << 20)
#define VALUE_BUDGET 100000
/* messages read one by one (the stream pass reads them all) */
#define MAX_MESSAGES 20000

static uint32_t le(const uint8_t *p, int n)
{
	uint32_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The text an input stands for (malloc'd), or NULL when it is malformed. */
static char *expand(const uint8_t *data, size_t size, size_t *len)
{
	uint32_t count, plen, ulen;
	size_t slen, total, i;
	char *t, *w;

	if (!(data[0] & 0x80)) {
		t = malloc(size);
		FUZZ_CHECK(t != NULL || size == 1);
		if (size > 1)
			memcpy(t, data + 1, size - 1);
		*len = size - 1;
		return t;
	}
	if (size < 9)
		return NULL;
	count = le(data + 1, 4);
	plen = le(data + 5, 2);
	ulen = le(data + 7, 2);
	if ((size_t)plen + ulen > size - 9)
		return NULL;
	slen = size - 9 - plen - ulen;
	if (ulen == 0)
		count = 0;
	else if (count > (MAX_TEXT - plen - slen) / ulen)
		count = (uint32_t)((MAX_TEXT - plen - slen) / ulen);
	total = plen + (size_t)ulen * count + slen;
	t = malloc(total ? total : 1);
	FUZZ_CHECK(t != NULL);
	w = t;
	memcpy(w, data + 9, plen);
	w += plen;
	for (i = 0; i < count; i++, w += ulen)
		memcpy(w, data + 9 + plen, ulen);
	memcpy(w, data + 9 + plen + ulen, slen);
	*len = total;
	return t;
}

/* What a front end read, as an FNV-1a digest of the records' outcomes (a
 * stream of millions of records needs no memory to compare). */
typedef struct {
	uint64_t h;
} trace;

static void put(trace *t, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		t->h = (t->h ^ b[i]) * 0x100000001b3ULL;
}

static void put_str(trace *t, const char *s)
{
	put(t, s, strlen(s) + 1);
}

/* Drain p into the trace, judging each event with s. */
static void drain(kag_parser *p, kag_session *s, trace *t)
{
	for (;;) {
		const kag_event *ev = NULL;
		const kag_result *res;
		const char *id;
		size_t n;
		uint64_t at[2];
		int rc = kag_parser_next(&ev, p);

		if (rc == KAG_ITEROVER)
			break;
		put(t, &rc, sizeof(rc));
		if (rc == KAG_OK) {
			FUZZ_CHECK(ev != NULL);
			if (kag_event_get_string(&id, &n, ev, KAG_FIELD_AUDIT_ID) == KAG_OK)
				put(t, id, n);
			put_str(t, kag_event_format(ev));
			FUZZ_CHECK(kag_session_evaluate(&res, s, ev) == KAG_OK);
			fuzz_check_verdicts(res);
			continue;
		}
		FUZZ_CHECK(rc == KAG_EPARSE || rc == KAG_ESCHEMA || rc == KAG_ELIMIT ||
			   rc == KAG_ETRUNCATED || rc == KAG_ENOMEM);
		put_str(t, kag_parser_error_message(p));
		put_str(t, kag_parser_error_path(p));
		at[0] = kag_parser_error_line(p);
		at[1] = kag_parser_error_offset(p);
		put(t, at, sizeof(at));
	}
}

static void counted(const kag_parser *p)
{
	FUZZ_CHECK(kag_parser_stat(p, KAG_PSTAT_RECORDS) ==
		   kag_parser_stat(p, KAG_PSTAT_EVENTS) + kag_parser_stat(p, KAG_PSTAT_ERRORS) +
		   kag_parser_stat(p, KAG_PSTAT_SKIPPED));
}

/* The trace of `text` read by front end fe: as one stream, then line by
 * line as kag-filter reads messages (the first MAX_MESSAGES lines). */
static void read_all(const char *text, size_t len, int fe, int format, trace *t)
{
	kag_parser *p;
	kag_session *s;
	size_t start = 0, lines = 0;

	FUZZ_CHECK(kag_parser_new(&p) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, (uint64_t)fe) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, (uint64_t)format) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_MAX_VALUES, VALUE_BUDGET) == KAG_OK);
	FUZZ_CHECK(kag_session_new(&s, fuzz_shared_registry()) == KAG_OK);
	FUZZ_CHECK(kag_parser_feed(p, text, len) == KAG_OK);
	FUZZ_CHECK(kag_parser_finish(p) == KAG_OK);
	drain(p, s, t);
	counted(p);
	while (start < len && lines++ < MAX_MESSAGES) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;

		FUZZ_CHECK(kag_parser_reset(p) == KAG_OK);
		FUZZ_CHECK(kag_parser_feed(p, text + start, end - start) == KAG_OK);
		FUZZ_CHECK(kag_parser_finish(p) == KAG_OK);
		drain(p, s, t);
		counted(p);
		start = end + 1;
	}
	kag_session_free(s);
	kag_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace ref = { 0xcbf29ce484222325ULL }, fast = { 0xcbf29ce484222325ULL };
	size_t len;
	char *text;
	int format;

	if (size < 1)
		return 0;
	format = data[0] & 7;
	if (format > KAG_FORMAT_OPENSHIFT)
		format = KAG_FORMAT_AUTO;
	text = expand(data, size, &len);
	if (!text)
		return 0;
	read_all(text, len, KAG_FRONTEND_JANSSON, format, &ref);
	if (kag_features() & KAG_FEATURE_FAST_FRONTEND) {
		read_all(text, len, KAG_FRONTEND_FAST, format, &fast);
		if (fast.h != ref.h) {
			fprintf(stderr, "the front ends read the lines differently\n");
			abort();
		}
	}
	free(text);
	return 0;
}
