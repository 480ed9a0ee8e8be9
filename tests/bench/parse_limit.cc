/*
 * The parse-limit row of kag-bench (parse_limit.h): simdjson's DOM
 * parse_many over pieces of the stream, every document parsed into its
 * tree and counted. One thread: simdjson's look-ahead thread is turned
 * off, so that the row is what one core does, as the pipeline runs.
 */
#include <new>

#include <simdjson.h>

#include "parse_limit.h"

static_assert(BENCH_PARSE_PAD >= simdjson::SIMDJSON_PADDING,
	      "BENCH_PARSE_PAD must cover simdjson's padding");

struct bench_parse_limit {
	simdjson::dom::parser parser;
};

extern "C" struct bench_parse_limit *bench_parse_limit_new(void)
{
	struct bench_parse_limit *pl = new (std::nothrow) bench_parse_limit;

#ifdef SIMDJSON_THREADS_ENABLED
	if (pl)
		pl->parser.threaded = false;
#endif
	return pl;
}

extern "C" void bench_parse_limit_free(struct bench_parse_limit *pl)
{
	delete pl;
}

extern "C" int bench_parse_limit_lines(struct bench_parse_limit *pl, const char *buf, size_t len,
				       size_t cap, uint64_t *docs)
{
	/* no exception may leave for the C caller */
	try {
		simdjson::padded_string copy;
		const uint8_t *p = reinterpret_cast<const uint8_t *>(buf);
		simdjson::dom::document_stream stream;
		uint64_t n = 0;

		if (cap < len + simdjson::SIMDJSON_PADDING) {
			copy = simdjson::padded_string(buf, len);
			p = reinterpret_cast<const uint8_t *>(copy.data());
		}
		if (pl->parser.parse_many(p, len).get(stream))
			return -1;
		for (auto doc : stream) {
			simdjson::dom::element root;

			if (doc.get(root))
				return -1;
			n++;
		}
		/* a document cut short at the end is not counted by the loop */
		if (stream.truncated_bytes())
			return -1;
		*docs = n;
		return 0;
	} catch (...) {
		return -1;
	}
}
