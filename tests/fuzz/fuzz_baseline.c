/* Fuzz the baseline loader. The input is a baseline file. A load that
 * fails must name a reason and leave the baseline exactly as it was (its
 * saved text unchanged); a load that succeeds must save to a document
 * that loads again and saves to the same bytes, and must give a baseline
 * a session can judge and learn with. */
#include "fuzz-common.h"

/* A baseline with one identity in it, so that a failed load has something
 * to keep. */
static const char seed_doc[] =
	"{\"format\":\"kag-baseline/1\",\"created\":null,\"updated\":null,\"identities\":["
	"{\"user\":\"seed\",\"first\":null,\"last\":null,\"tuples\":["
	"[\"get\",\"pods\",\"\",\"default\",\"kubectl\",null,null]]}]}";

static char *saved(const kag_baseline *b, size_t *len)
{
	char *text;

	FUZZ_CHECK(kag_baseline_save(b, &text, len) == KAG_OK);
	return text;
}

/* Judge the fixed stream with b attached, learning. */
static void judge_with(kag_baseline *b)
{
	kag_session *s;
	kag_parser *p;
	const kag_event *ev;
	const kag_result *res;
	int rc;

	FUZZ_CHECK(kag_session_new(&s, fuzz_shared_registry()) == KAG_OK);
	FUZZ_CHECK(kag_session_set_baseline(s, b, 1) == KAG_OK);
	FUZZ_CHECK(kag_parser_new(&p) == KAG_OK);
	FUZZ_CHECK(kag_parser_feed(p, fuzz_stream, strlen(fuzz_stream)) == KAG_OK);
	FUZZ_CHECK(kag_parser_finish(p) == KAG_OK);
	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		FUZZ_CHECK(rc == KAG_OK);
		FUZZ_CHECK(kag_session_evaluate(&res, s, ev) == KAG_OK);
		fuzz_check_verdicts(res);
	}
	FUZZ_CHECK(kag_session_flush(&res, s) == KAG_OK);
	kag_parser_free(p);
	kag_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kag_baseline *b, *c;
	char *before, *after, *again;
	size_t nb, na, ng;
	int rc;

	FUZZ_CHECK(kag_baseline_new(&b) == KAG_OK);
	/* small caps keep every input fast */
	FUZZ_CHECK(kag_baseline_set_option_u64(b, KAG_BOPT_MAX_IDENTITIES, 64) == KAG_OK);
	FUZZ_CHECK(kag_baseline_set_option_u64(b, KAG_BOPT_MAX_TUPLES, 64) == KAG_OK);
	FUZZ_CHECK(kag_baseline_set_option_u64(b, KAG_BOPT_MAX_TOTAL, 1024) == KAG_OK);
	FUZZ_CHECK(kag_baseline_load(b, seed_doc, sizeof(seed_doc) - 1) == KAG_OK);
	before = saved(b, &nb);
	rc = kag_baseline_load(b, (const char *)data, size);
	if (rc != KAG_OK) {
		if (!(rc == KAG_EPARSE || rc == KAG_ESCHEMA || rc == KAG_ELIMIT)) {
			fprintf(stderr, "load: unexpected %s (%s)\n", kag_error_name(rc),
				kag_baseline_error_message(b));
			abort();
		}
		FUZZ_CHECK(kag_baseline_error_message(b)[0] != '\0');
		after = saved(b, &na);
		/* all or nothing: the failed load changed nothing */
		FUZZ_CHECK(na == nb && memcmp(before, after, na) == 0);
	} else {
		FUZZ_CHECK(kag_baseline_error_message(b)[0] == '\0');
		after = saved(b, &na);
		FUZZ_CHECK(kag_baseline_new(&c) == KAG_OK);
		FUZZ_CHECK(kag_baseline_set_option_u64(c, KAG_BOPT_MAX_IDENTITIES, 64) == KAG_OK);
		FUZZ_CHECK(kag_baseline_set_option_u64(c, KAG_BOPT_MAX_TUPLES, 64) == KAG_OK);
		FUZZ_CHECK(kag_baseline_set_option_u64(c, KAG_BOPT_MAX_TOTAL, 1024) == KAG_OK);
		FUZZ_CHECK(kag_baseline_load(c, after, na) == KAG_OK);
		again = saved(c, &ng);
		FUZZ_CHECK(ng == na && memcmp(after, again, na) == 0);
		kag_baseline_free_text(again);
		kag_baseline_free(c);
	}
	judge_with(b);
	kag_baseline_free_text(before);
	kag_baseline_free_text(after);
	kag_baseline_free(b);
	return 0;
}
