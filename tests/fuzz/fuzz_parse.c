/* Fuzz the parser: framing, format recognition, the front ends and every
 * event accessor.
 *
 * Byte 0 picks the input format (low 3 bits) and a chunk size (high 5
 * bits); the rest is the stream. The stream is parsed three times: in one
 * feed, in chunks of that size (which must give the same events, errors and
 * counters) and in one feed with small limits. */
#include "fuzz-common.h"

/* A digest of everything a run produced, compared across chunkings. */
typedef struct {
	uint64_t h;
	uint64_t events, errors;
} digest;

static void mix(digest *d, const void *data, size_t len)
{
	const unsigned char *b = data;
	size_t i;

	for (i = 0; i < len; i++)
		d->h = (d->h ^ b[i]) * 0x100000001b3ULL;
	d->h = (d->h ^ 0xff) * 0x100000001b3ULL;
}

static void mix_u64(digest *d, uint64_t v)
{
	mix(d, &v, sizeof(v));
}

static void touch_event(digest *d, const kag_event *ev)
{
	int f;

	for (f = 0; f < (int)kag_field_count(); f++) {
		const char *s, *k, *name = kag_field_name(f);
		size_t len, klen, i, n;
		int64_t iv;
		int st = kag_event_field_state(ev, f), field;

		FUZZ_CHECK(name != NULL);
		FUZZ_CHECK(st == KAG_STATE_ABSENT || st == KAG_STATE_OBSERVED ||
			   st == KAG_STATE_INFERRED);
		FUZZ_CHECK(kag_field_from_path(&field, name, strlen(name)) == KAG_OK);
		FUZZ_CHECK(field == f);
		mix_u64(d, (uint64_t)st);
		if (kag_event_get_string(&s, &len, ev, f) == KAG_OK) {
			FUZZ_CHECK(s != NULL || len == 0);
			mix(d, s, len);
		}
		if (kag_event_get_int(&iv, ev, f) == KAG_OK)
			mix_u64(d, (uint64_t)iv);
		n = kag_event_item_count(ev, f);
		for (i = 0; i < n; i++) {
			if (kag_event_get_item(&s, &len, ev, f, i) == KAG_OK)
				mix(d, s, len);
			if (kag_event_get_pair(&k, &klen, &s, &len, ev, f, i) == KAG_OK) {
				mix(d, k, klen);
				mix(d, s, len);
			}
		}
		FUZZ_CHECK(kag_event_get_item(&s, &len, ev, f, n) != KAG_OK);
		if (kag_event_get_path(&s, &len, ev, name, strlen(name)) == KAG_OK)
			mix(d, s, len);
	}
	if (kag_event_item_count(ev, KAG_FIELD_ANNOTATIONS) > 0) {
		const char *k, *v, *s;
		size_t klen, vlen, len;
		char path[160];

		if (kag_event_get_pair(&k, &klen, &v, &vlen, ev, KAG_FIELD_ANNOTATIONS, 0) == KAG_OK &&
		    klen > 0 && klen < 100) {
			int n = snprintf(path, sizeof(path), "annotations.%.*s", (int)klen, k);

			FUZZ_CHECK(kag_event_get_path(&s, &len, ev, path, (size_t)n) == KAG_OK);
		}
	}
	mix_u64(d, (uint64_t)kag_event_stage(ev));
	mix_u64(d, (uint64_t)kag_event_level(ev));
	mix_u64(d, (uint64_t)kag_event_time_us(ev));
	FUZZ_CHECK(kag_event_format(ev) != NULL);
	mix(d, kag_event_format(ev), strlen(kag_event_format(ev)));
	mix_u64(d, kag_event_line(ev));
	mix_u64(d, kag_event_offset(ev));
}

static void drain(digest *d, kag_parser *p)
{
	const kag_event *ev;
	int rc;

	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		if (rc < 0) {
			const char *msg = kag_parser_error_message(p);

			FUZZ_CHECK(rc == KAG_EPARSE || rc == KAG_ESCHEMA || rc == KAG_ELIMIT ||
				   rc == KAG_ETRUNCATED);
			FUZZ_CHECK(msg != NULL && kag_parser_error_path(p) != NULL);
			d->errors++;
			mix_u64(d, (uint64_t)-rc);
			mix(d, msg, strlen(msg));
			mix_u64(d, kag_parser_error_line(p));
			mix_u64(d, kag_parser_error_offset(p));
			continue;
		}
		FUZZ_CHECK(ev != NULL);
		d->events++;
		touch_event(d, ev);
	}
}

/* Parse data in chunks of `chunk` bytes (0: one feed). */
static void run(digest *d, kag_parser *p, const char *data, size_t size, size_t chunk)
{
	size_t off = 0;

	memset(d, 0, sizeof(*d));
	d->h = 0xcbf29ce484222325ULL;
	FUZZ_CHECK(kag_parser_reset(p) == KAG_OK);
	if (!chunk)
		chunk = size ? size : 1;
	do {
		size_t n = size - off < chunk ? size - off : chunk;

		FUZZ_CHECK(kag_parser_feed(p, data + off, n) == KAG_OK);
		drain(d, p);
		off += n;
	} while (off < size);
	FUZZ_CHECK(kag_parser_finish(p) == KAG_OK);
	FUZZ_CHECK(kag_parser_feed(p, "x", 1) == KAG_ESTATE);
	drain(d, p);
	FUZZ_CHECK(kag_parser_stat(p, KAG_PSTAT_EVENTS) == d->events);
	FUZZ_CHECK(kag_parser_stat(p, KAG_PSTAT_ERRORS) == d->errors);
	FUZZ_CHECK(kag_parser_stat(p, KAG_PSTAT_RECORDS) ==
		   kag_parser_stat(p, KAG_PSTAT_EVENTS) + kag_parser_stat(p, KAG_PSTAT_ERRORS) +
		   kag_parser_stat(p, KAG_PSTAT_SKIPPED));
	FUZZ_CHECK(kag_parser_stat(p, KAG_PSTAT_BYTES) <= size);
	mix_u64(d, kag_parser_stat(p, KAG_PSTAT_SKIPPED));
	mix_u64(d, kag_parser_stat(p, KAG_PSTAT_BYTES));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kag_parser *p;
	digest whole, chunked, limited;
	const char *text;
	size_t chunk;
	int format;

	if (size < 1)
		return 0;
	format = data[0] & 7;
	chunk = (size_t)(data[0] >> 3) + 1;
	text = (const char *)data + 1;
	size--;
	if (format > KAG_FORMAT_OPENSHIFT)
		format = KAG_FORMAT_AUTO;

	FUZZ_CHECK(kag_parser_new(&p) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_FORMAT, (uint64_t)format) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_source(p, "fuzz") == KAG_OK);
	run(&whole, p, text, size, 0);
	run(&chunked, p, text, size, chunk);
	if (whole.h != chunked.h || whole.events != chunked.events ||
	    whole.errors != chunked.errors) {
		fprintf(stderr, "chunks of %zu: %llu events, %llu errors; one feed: %llu events, "
			"%llu errors (digests %016llx, %016llx)\n", chunk,
			(unsigned long long)chunked.events, (unsigned long long)chunked.errors,
			(unsigned long long)whole.events, (unsigned long long)whole.errors,
			(unsigned long long)chunked.h, (unsigned long long)whole.h);
		abort();
	}

	/* small limits: every limit path, in one feed */
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_MAX_RECORD_BYTES, 512) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_MAX_DEPTH, 6) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_MAX_STRING_BYTES, 64) == KAG_OK);
	FUZZ_CHECK(kag_parser_set_option_u64(p, KAG_OPT_MAX_ITEMS, 3) == KAG_OK);
	run(&limited, p, text, size, chunk);
	kag_parser_free(p);
	return 0;
}
