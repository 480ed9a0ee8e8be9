/*
 * The parse-limit rows of kag-bench (parse_limit.h): simdjson's DOM
 * parse_many over pieces of the stream, every document parsed into its
 * tree and counted; and its On-Demand iterate_many, reading the members of
 * each Event that kag reads. One thread: simdjson's look-ahead thread is
 * turned off, so that the rows are what one core does, as the pipeline
 * runs.
 */
#include <new>
#include <string_view>

#include <simdjson.h>

#include "parse_limit.h"

static_assert(BENCH_PARSE_PAD >= simdjson::SIMDJSON_PADDING,
	      "BENCH_PARSE_PAD must cover simdjson's padding");

struct bench_parse_limit {
	simdjson::dom::parser parser;
	simdjson::ondemand::parser ondemand;
	size_t sink; /* bytes of the strings read: the reads are not optimised away */
};

extern "C" struct bench_parse_limit *bench_parse_limit_new(void)
{
	struct bench_parse_limit *pl = new (std::nothrow) bench_parse_limit;

#ifdef SIMDJSON_THREADS_ENABLED
	if (pl) {
		pl->parser.threaded = false;
		pl->ondemand.threaded = false;
	}
#endif
	if (pl)
		pl->sink = 0;
	return pl;
}

extern "C" void bench_parse_limit_free(struct bench_parse_limit *pl)
{
	delete pl;
}

/* buf[0, len) where simdjson may read SIMDJSON_PADDING bytes past it: in
 * place when cap allows, else copied into `copy`. */
static const uint8_t *padded(const char *buf, size_t len, size_t cap, simdjson::padded_string &copy)
{
	if (cap >= len + simdjson::SIMDJSON_PADDING)
		return reinterpret_cast<const uint8_t *>(buf);
	copy = simdjson::padded_string(buf, len);
	return reinterpret_cast<const uint8_t *>(copy.data());
}

/* Open the documents of buf[0, len) (cap bytes allocated) as a Stream with
 * open(p, len), and hand each to read_doc (0, or -1 to fail); *docs: how
 * many. -1 on any error, a document cut short at the end among them. No
 * exception may leave for the C caller. */
template <typename Stream, typename Open, typename Read>
static int each_document(const char *buf, size_t len, size_t cap, uint64_t *docs, Open open,
			 Read read_doc)
{
	try {
		simdjson::padded_string copy;
		const uint8_t *p = padded(buf, len, cap, copy);
		Stream stream;
		uint64_t n = 0;

		if (open(p, len).get(stream))
			return -1;
		for (auto doc : stream) {
			if (read_doc(doc) < 0)
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

extern "C" int bench_parse_limit_lines(struct bench_parse_limit *pl, const char *buf, size_t len,
				       size_t cap, uint64_t *docs)
{
	return each_document<simdjson::dom::document_stream>(
		buf, len, cap, docs,
		[pl](const uint8_t *p, size_t n) { return pl->parser.parse_many(p, n); },
		[](auto doc) {
			simdjson::dom::element root;

			return doc.get(root) ? -1 : 0;
		});
}

/* ---- the members kag reads, On-Demand ---- */

/* A string, read and unescaped; -1 when it is not one. */
static int take_string(struct bench_parse_limit *pl, simdjson::ondemand::value v)
{
	std::string_view sv;

	if (v.get_string().get(sv))
		return -1;
	pl->sink += sv.size();
	return 0;
}

/* An array of strings (groups, sourceIPs, an extra's values). */
static int take_strings(struct bench_parse_limit *pl, simdjson::ondemand::value v)
{
	simdjson::ondemand::array a;

	if (v.get_array().get(a))
		return -1;
	for (auto item : a) {
		simdjson::ondemand::value x;

		if (item.get(x) || take_string(pl, x) < 0)
			return -1;
	}
	return 0;
}

/* Any value of user, objectRef, responseStatus or annotations: strings,
 * arrays of them, integers, objects of those (user.extra); depth: how many
 * more objects in it are read, the rest skipped unread. */
static int take_value(struct bench_parse_limit *pl, simdjson::ondemand::value v, int depth)
{
	simdjson::ondemand::json_type t;

	if (v.type().get(t))
		return -1;
	switch (t) {
	case simdjson::ondemand::json_type::string:
		return take_string(pl, v);
	case simdjson::ondemand::json_type::array:
		return take_strings(pl, v);
	case simdjson::ondemand::json_type::number: {
		int64_t i;

		if (v.get_int64().get(i))
			return -1;
		pl->sink += (size_t)i;
		return 0;
	}
	case simdjson::ondemand::json_type::object: {
		simdjson::ondemand::object o;

		if (!depth)
			return 0;
		if (v.get_object().get(o))
			return -1;
		for (auto field : o) {
			std::string_view k;
			simdjson::ondemand::value x;

			if (field.unescaped_key().get(k) || field.value().get(x) ||
			    take_value(pl, x, depth - 1) < 0)
				return -1;
			pl->sink += k.size();
		}
		return 0;
	}
	default:
		return 0; /* null, true, false */
	}
}

extern "C" int bench_parse_members_lines(struct bench_parse_limit *pl, const char *buf,
					 size_t len, size_t cap, uint64_t *docs)
{
	return each_document<simdjson::ondemand::document_stream>(
		buf, len, cap, docs,
		[pl](const uint8_t *p, size_t n) { return pl->ondemand.iterate_many(p, n); },
		[pl](auto doc) {
			simdjson::ondemand::object o;

			if (doc.get_object().get(o))
				return -1;
			for (auto field : o) {
				std::string_view k;
				simdjson::ondemand::value v;

				if (field.unescaped_key().get(k))
					return -1;
				/* bodies stay unread, as kag keeps them as text */
				if (k == "requestObject" || k == "responseObject")
					continue;
				if (field.value().get(v) || take_value(pl, v, 2) < 0)
					return -1;
			}
			return 0;
		});
}
