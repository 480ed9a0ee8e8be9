/* Differential fuzzing of the two front ends: the fast (tokenizing) one
 * against jansson, the reference. Both must give, record by record, the
 * same error (code, message, line, offset, JSON pointer) or the same event
 * (every slot, state, item and pair, body text included), the same
 * verdicts, and the same counters.
 *
 * Byte 0 is read as in fuzz_parse: the input format (low 3 bits) and a
 * chunk size (high 5 bits: 1 to 31 bytes, or 31 for whole lines, each
 * chunk ending just past a line end); the rest is the stream, fed to both
 * parsers in chunks of that size and pulled in lockstep. The fast side is
 * fed with kag_parser_feed_nocopy(), each chunk from a block of its own,
 * exactly its size, freed once the next chunk is fed (so AddressSanitizer
 * sees a read past a chunk, or of one the parser was done with); the
 * reference is fed copies. Byte 1 (the first of the
 * stream), when it is below 0x40, also sets small limits: nesting depth
 * (bits 0-1), string length (bits 2-3) and record size (bits 4-5), which
 * the framer enforces and the fast front end must keep to when it reads a
 * line without the framer. */
#include "fuzz-common.h"

typedef struct {
	char *s;
	size_t len, cap;
} text;

static void put(text *t, const void *data, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *ns;

		while (cap < t->len + n)
			cap *= 2;
		ns = realloc(t->s, cap);
		FUZZ_CHECK(ns != NULL);
		t->s = ns;
		t->cap = cap;
	}
	memcpy(t->s + t->len, data, n);
	t->len += n;
}

/* A length-prefixed field, so that no two different records read alike. */
static void put_field(text *t, const char *s, size_t n)
{
	uint64_t len = n;

	put(t, &len, sizeof(len));
	if (n)
		put(t, s, n);
}

static void put_u64(text *t, uint64_t v)
{
	put(t, &v, sizeof(v));
}

static void put_cstr(text *t, const char *s)
{
	put_field(t, s, strlen(s));
}

static void put_event(text *t, const kag_event *ev)
{
	int f;

	put_cstr(t, kag_event_format(ev));
	put_u64(t, kag_event_line(ev));
	put_u64(t, kag_event_offset(ev));
	put_u64(t, (uint64_t)kag_event_stage(ev));
	put_u64(t, (uint64_t)kag_event_level(ev));
	put_u64(t, (uint64_t)kag_event_time_us(ev));
	for (f = 0; f < (int)kag_field_count(); f++) {
		const char *name = kag_field_name(f), *s, *k;
		size_t len, klen, i, n;
		int64_t v;
		int rc;

		put_u64(t, (uint64_t)kag_event_field_state(ev, f));
		rc = kag_event_get_string(&s, &len, ev, f);
		put_u64(t, (uint64_t)rc);
		if (rc == KAG_OK)
			put_field(t, s, len);
		rc = kag_event_get_int(&v, ev, f);
		put_u64(t, (uint64_t)rc);
		if (rc == KAG_OK)
			put_u64(t, (uint64_t)v);
		n = kag_event_item_count(ev, f);
		put_u64(t, n);
		for (i = 0; i < n; i++) {
			if (kag_event_get_item(&s, &len, ev, f, i) == KAG_OK)
				put_field(t, s, len);
			if (kag_event_get_pair(&k, &klen, &s, &len, ev, f, i) == KAG_OK) {
				put_field(t, k, klen);
				put_field(t, s, len);
			}
		}
		rc = kag_event_get_path(&s, &len, ev, name, strlen(name));
		put_u64(t, (uint64_t)rc);
		if (rc == KAG_OK)
			put_field(t, s, len);
	}
}

static void put_result(text *t, const kag_result *res)
{
	size_t i, len;

	fuzz_check_verdicts(res);
	put_u64(t, kag_result_count(res));
	for (i = 0; i < kag_result_count(res); i++) {
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		put_field(t, json, len);
	}
}

typedef struct {
	kag_parser *p;
	kag_session *s;
	text out;
} side;

static void side_init(side *sd, int frontend, int format, int small, unsigned lim)
{
	memset(sd, 0, sizeof(*sd));
	FUZZ_CHECK(kag_parser_new(&sd->p) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(sd->p, KAG_OPT_FRONTEND, (uint64_t)frontend) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(sd->p, KAG_OPT_FORMAT, (uint64_t)format) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_source(sd->p, "fuzz") == KAG_OK);
	if (small) {
		FUZZ_CHECK(kag_parser_set_option_u64(sd->p, KAG_OPT_MAX_DEPTH,
						     (lim & 3) + 1) == KAG_OK);
		FUZZ_CHECK(kag_parser_set_option_u64(sd->p, KAG_OPT_MAX_STRING_BYTES,
						     4u << ((lim >> 2) & 3)) == KAG_OK);
		FUZZ_CHECK(kag_parser_set_option_u64(sd->p, KAG_OPT_MAX_RECORD_BYTES,
						     64u << ((lim >> 4) & 3)) == KAG_OK);
	}
	FUZZ_CHECK(kag_session_new(&sd->s, fuzz_shared_registry()) == KAG_OK);
	FUZZ_CHECK(kag_session_set_option_u64(sd->s, KAG_SOPT_INCLUDE_BODIES, 1) == KAG_OK);
}

static void side_free(side *sd)
{
	kag_parser_free(sd->p);
	kag_session_free(sd->s);
	free(sd->out.s);
}

/* What the next record gives, into sd->out; returns its code. */
static int side_next(side *sd)
{
	const kag_event *ev = NULL;
	const kag_result *res;
	int rc = kag_parser_next(&ev, sd->p);

	sd->out.len = 0;
	put_u64(&sd->out, (uint64_t)rc);
	if (rc == KAG_OK) {
		FUZZ_CHECK(ev != NULL);
		put_event(&sd->out, ev);
		FUZZ_CHECK(kag_session_evaluate(&res, sd->s, ev) == KAG_OK);
		put_result(&sd->out, res);
	} else if (rc != KAG_ITEROVER) {
		put_cstr(&sd->out, kag_parser_error_message(sd->p));
		put_cstr(&sd->out, kag_parser_error_path(sd->p));
		put_u64(&sd->out, kag_parser_error_line(sd->p));
		put_u64(&sd->out, kag_parser_error_offset(sd->p));
	}
	return rc;
}

static void same(const side *fast, const side *ref, size_t record)
{
	size_t i = 0;

	if (fast->out.len == ref->out.len && memcmp(fast->out.s, ref->out.s, ref->out.len) == 0)
		return;
	while (i < fast->out.len && i < ref->out.len && fast->out.s[i] == ref->out.s[i])
		i++;
	fprintf(stderr, "record %zu: the front ends differ at byte %zu of its description\n",
		record, i);
	abort();
}

static size_t drain(side *fast, side *ref, size_t record)
{
	for (;;) {
		int rc = side_next(fast);

		FUZZ_CHECK(side_next(ref) == rc);
		same(fast, ref, record);
		if (rc == KAG_ITEROVER)
			return record;
		record++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int stats[] = { KAG_PSTAT_RECORDS, KAG_PSTAT_EVENTS, KAG_PSTAT_ERRORS,
				     KAG_PSTAT_SKIPPED, KAG_PSTAT_BYTES };
	side fast, ref;
	const kag_result *res;
	const char *text_in;
	char *held = NULL;
	size_t chunk, off = 0, record = 0, i;
	int format, small;

	if (size < 1 || !(kag_features() & KAG_FEATURE_FAST_FRONTEND))
		return 0; /* one front end: nothing to compare */
	format = data[0] & 7;
	chunk = (size_t)(data[0] >> 3) + 1; /* 32: whole lines */
	if (format > KAG_FORMAT_OPENSHIFT)
		format = KAG_FORMAT_AUTO;
	small = size > 1 && data[1] < 0x40;
	text_in = (const char *)data + 1;
	size--;

	side_init(&fast, KAG_FRONTEND_FAST, format, small, small ? data[1] : 0);
	side_init(&ref, KAG_FRONTEND_JANSSON, format, small, small ? data[1] : 0);
	do {
		size_t n = size - off < chunk ? size - off : chunk;
		char *block;

		if (chunk == 32) {
			const char *nl = memchr(text_in + off, '\n', size - off);

			n = nl ? (size_t)(nl - (text_in + off)) + 1 : size - off;
		}
		block = malloc(n ? n : 1);
		FUZZ_CHECK(block != NULL);
		memcpy(block, text_in + off, n);
		FUZZ_CHECK(kag_parser_feed_nocopy(fast.p, block, n) == KAG_OK);
		free(held);
		held = block;
		FUZZ_CHECK(kag_parser_feed(ref.p, text_in + off, n) == KAG_OK);
		record = drain(&fast, &ref, record);
		off += n;
	} while (off < size);
	FUZZ_CHECK(kag_parser_finish(fast.p) == KAG_OK);
	FUZZ_CHECK(kag_parser_finish(ref.p) == KAG_OK);
	record = drain(&fast, &ref, record);
	free(held); /* the parser read to the end of a finished input */

	FUZZ_CHECK(kag_session_flush(&res, fast.s) == KAG_OK);
	fast.out.len = 0;
	put_result(&fast.out, res);
	FUZZ_CHECK(kag_session_flush(&res, ref.s) == KAG_OK);
	ref.out.len = 0;
	put_result(&ref.out, res);
	same(&fast, &ref, record);
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		FUZZ_CHECK(kag_parser_stat(fast.p, stats[i]) == kag_parser_stat(ref.p, stats[i]));
	side_free(&fast);
	side_free(&ref);
	return 0;
}
