/*
 * The judging core shared by the collector programs: kag-filter (lines on
 * stdin), kag-webhook (HTTP posts) and kag-kafka (Kafka records).
 *
 * A collector holds what every judging thread shares: the sealed registry
 * (built-ins, --policy, --rules, --bad-sources), the learned baseline
 * (--baseline, --learn) and the metrics. A collector_stream is one ordered
 * stream of messages: its own parser, session and error-record limiter.
 * Each message (a line, an HTTP body, a Kafka record value) is parsed as a
 * whole stream of its own, so a record cut short at its end is reported,
 * never joined with the next message; correlation spans the messages of a
 * stream. A stream is used by one thread at a time; a baseline shared by
 * several streams must be used from one thread (kag_session_set_baseline).
 *
 * Records are NDJSON lines appended to a struct outbuf: verdicts as
 * kag_verdict_json() writes them (or, with --schema=ocsf|ecs, as
 * kag_verdict_render() renders them), errors as the parser's error record
 * (with the message's source name), error_summary records from the
 * limiter (errlimit.h).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KAG_EXAMPLES_COLLECTOR_H
#define KAG_EXAMPLES_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <kag.h>

#include "metrics.h"

/* A growing byte buffer. */
struct outbuf {
	char *data;
	size_t len, cap;
};

/* Append n bytes; -1 when out of memory or the result would pass limit. */
int outbuf_put(struct outbuf *b, const char *s, size_t n, size_t limit);
int outbuf_puts(struct outbuf *b, const char *s);
/* s as a JSON string, quotes included. */
int outbuf_put_json_string(struct outbuf *b, const char *s);
void outbuf_free(struct outbuf *b);

#define COLLECTOR_MAX_BAD_SOURCES 16

/* The options every collector takes. */
struct collector_options {
	int format;                 /* --format: KAG_FORMAT_* (auto) */
	int all;                    /* --all: benign and info verdicts too */
	const char *policy;         /* --policy=FILE */
	const char *rules;          /* --rules=FILE */
	const char *bad_sources[COLLECTOR_MAX_BAD_SOURCES]; /* --bad-sources=FILE */
	int n_bad_sources;
	const char *baseline;       /* --baseline=FILE */
	int learn;                  /* --learn */
	time_t save_every;          /* --save-every=MIN, in seconds (0: at exit) */
	size_t max_record;          /* --max-record=BYTES: longest message */
	uint64_t error_limit;       /* --error-limit=N (default ERRLIMIT_DEFAULT) */
	int schema;                 /* --schema: KAG_SCHEMA_* of verdict records */
};

#define COLLECTOR_DEFAULT_MAX_RECORD (16u << 20)

void collector_options_init(struct collector_options *o);

/* Take argv[*i] when it is one of the common options, in the --opt=value
 * or --opt value form (then *i moves past the value). Returns 1 when taken,
 * 0 when it is not a common option, -1 on a usage error (printed as
 * "<prog>: ..." on stderr). */
int collector_option(struct collector_options *o, const char *prog, int argc, char **argv,
		     int *i);

/* For a program's own options, in the same forms: the value of option
 * `name` in argv[*i], after '=' in the same argument or the next argument
 * (then *i moves on); NULL when argv[*i] is not this option, *missing set
 * when it is but has no value. */
const char *collector_option_value(const char *name, int argc, char **argv, int *i,
				   int *missing);
/* A decimal number from min to max: 0, or -1. */
int collector_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Check the options together (--learn needs --baseline). 0, or -1 after
 * printing why. */
int collector_options_check(const struct collector_options *o, const char *prog);

/* The usage lines of the common options. */
void collector_usage(FILE *out);

struct collector;
struct collector_stream;

/* Load the policy, rules, address lists and baseline, seal the registry
 * and make the metrics. 0, or -1 after printing "<prog>: ..." on stderr. */
int collector_open(struct collector **out, const struct collector_options *o,
		   const char *prog);
/* Frees everything; it does not save the baseline. */
void collector_close(struct collector *c);

struct metrics *collector_metrics(struct collector *c);
const char *collector_prog(const struct collector *c);

/* With --learn: save the baseline now (atomically). 0 (also without
 * --learn), or -1 after printing why. */
int collector_save_baseline(struct collector *c);
/* With --learn --save-every: save when due (a failure is printed and tried
 * again next time). Returns the seconds until the next save is due, or -1
 * when there is nothing to save periodically. */
long collector_save_when_due(struct collector *c, time_t now);

int collector_stream_new(struct collector_stream **out, struct collector *c);
void collector_stream_free(struct collector_stream *s);
const kag_session *collector_stream_session(const struct collector_stream *s);

/* Judge one message. source names it in error records ("source" member:
 * source:LINE, LINE counting the message's lines from 1); NULL leaves the
 * source null and numbers error records by the message's ordinal on this
 * stream instead, as kag-filter does. Records go to out. Returns 0, or -1
 * on a failure that must stop the program (out of memory: printed). */
int collector_judge(struct collector_stream *s, const char *msg, size_t len,
		    const char *source, struct outbuf *out);

/* A KAG_PSTAT_* counter (events, errors, skipped, records) of the last
 * message given to collector_judge() on this stream: 0 for a blank one.
 * kag-webhook answers a body with errors and no event 400. */
uint64_t collector_stream_last(const struct collector_stream *s, int pstat);

/* A message dropped before parsing (longer than the limit, wrong content
 * type): one KAG_ELIMIT or KAG_ESCHEMA error record with this message,
 * counted by the limiter and the metrics like a parser's. -1 on failure. */
int collector_reject(struct collector_stream *s, int code, const char *message,
		     const char *source, struct outbuf *out);

/* End of the stream: the verdicts still held for requests seen only at
 * RequestReceived (kag_session_flush), then the summaries of error records
 * held back. The stream stays usable. 0, or -1 (printed). */
int collector_finish(struct collector_stream *s, struct outbuf *out);

#endif
