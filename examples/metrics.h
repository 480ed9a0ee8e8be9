/*
 * Metrics of the collector programs (kag-filter, kag-webhook, kag-kafka) in
 * the Prometheus text exposition format (version 0.0.4): records read,
 * rejected and skipped, verdicts by detector and assessment, judge latency,
 * the session tables' occupancy and evictions, and the counters and gauges a
 * program defines for its own transport (HTTP answers, queue depth, Kafka
 * commits).
 *
 * Every counting call may come from any thread (C11 atomics, no lock);
 * metrics_render() may run at the same time and sees each value whole.
 * Nothing allocates after metrics_new() except metrics_render().
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KAG_EXAMPLES_METRICS_H
#define KAG_EXAMPLES_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <kag.h>

struct metrics;

/* Metrics for the detectors of a sealed registry (their ids label the
 * verdict counters). 0, or -1 when out of memory. */
int metrics_new(struct metrics **out, const kag_registry *reg);
void metrics_free(struct metrics *m);

/* A record the parser returned as an event (format: kag_event_format()). */
void metrics_record_judged(struct metrics *m, const kag_event *ev);
/* A record rejected with KAG_E* code (the parser's, or the program's own,
 * such as a body over the size limit). */
void metrics_record_rejected(struct metrics *m, int code);
/* Records a parser skipped as not audit events (KAG_PSTAT_SKIPPED). */
void metrics_records_skipped(struct metrics *m, uint64_t n);
/* One verdict written. */
void metrics_verdict(struct metrics *m, const kag_verdict *v);
/* Wall time spent judging one message (parse and evaluate), in seconds. */
void metrics_judge_seconds(struct metrics *m, double seconds);

/* The session tables, as one judging thread sees them: the sum over the
 * sessions given (a program with one session per partition passes them
 * all). Call it from the thread that owns the sessions. */
void metrics_sessions(struct metrics *m, const kag_session *const *sessions, size_t n);
/* A session about to be freed (a revoked partition): its counters are
 * kept, so that the totals never go down. Call metrics_sessions() for the
 * sessions that remain afterwards. */
void metrics_session_retire(struct metrics *m, const kag_session *s);

/* A program's own series. kind is METRICS_COUNTER or METRICS_GAUGE; family
 * is the metric name ("kag_http_responses_total"), labels the label set
 * without braces ("code=\"429\"") or NULL. Series of one family share its
 * help text and must be defined one after the other. Returns the series id
 * (>= 0), or -1 when the table is full (METRICS_MAX_OWN) or the name is not
 * a valid metric name. Define every series before counting starts. */
enum metrics_kind { METRICS_COUNTER, METRICS_GAUGE };
#define METRICS_MAX_OWN 48
int metrics_define(struct metrics *m, enum metrics_kind kind, const char *family,
		   const char *labels, const char *help);
void metrics_add(struct metrics *m, int id, uint64_t n);
void metrics_set(struct metrics *m, int id, uint64_t v);
uint64_t metrics_get(const struct metrics *m, int id);

/* The exposition text, malloc'ed (the caller frees it). 0, or -1 when out
 * of memory. */
int metrics_render(const struct metrics *m, char **text, size_t *len);

/* Write the exposition to path atomically (path.tmp, then rename), as the
 * node exporter's textfile collector reads it. 0, or -1 with errno set. */
int metrics_write_file(const struct metrics *m, const char *path);

#endif
