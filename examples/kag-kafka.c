/*
 * kag-kafka: judge a Kafka topic of audit records in a consumer group.
 *
 *   kag-kafka --brokers=HOST:PORT,... --group=ID --topic=NAME [options]
 *
 * Every record value of the topic is one message: a native audit event, an
 * EventList, a cloud-provider record (whatever kag-triage reads). Producers
 * key the records by user.username, so that every principal's events land
 * in one partition, in order (docs/scale-out.md): the partitions' verdicts
 * are then those of one session over the whole stream.
 *
 * Design: one consumer thread (this program's main thread) serves the
 * consumer, the rebalance callback and, with --output-topic, the
 * producer's delivery reports. Each assigned partition has its own
 * collector_stream (parser, session, error limiter), created on assignment
 * and freed on revocation, and its records are judged in offset order. The
 * sealed registry and the learned baseline (--baseline) are shared by the
 * streams; they all run on this one thread, which is what a shared
 * baseline asks for. A partition's verdicts never wait for another
 * partition's records: a partition has one owner in the group.
 *
 * Delivery is at-least-once. Offsets are stored and committed only by this
 * program (enable.auto.commit and enable.auto.offset.store are off), and a
 * partition's offset is committed only after the verdicts of every record
 * before it have been delivered:
 *   --output=FILE  records written with write(2) and the file fsync'd;
 *   stdout         the same (a pipe cannot be synced: written only);
 *   --output-topic every record acknowledged by the brokers (the producer's
 *                  delivery reports; an idempotent producer, acks=all).
 * Deliveries and commits are grouped: every --commit-every milliseconds
 * (default 1000), on revocation and at exit. A request held for its later
 * stage (seen at RequestReceived) has no verdict yet: while a partition's
 * session holds one, the partition's commit stays at the record where the
 * holding began. A consumer that dies between delivering and committing
 * has its records judged again by the partition's next owner: every
 * verdict carries a stable "id", so a downstream removes the replays.
 * On the output topic a record about the input record in hand is keyed
 * with that record's key; one released later (a held request), or of an
 * input record without a key, with its verdict's user.
 *
 * Rebalancing: on revocation, records of the revoked partitions are no
 * longer judged; each revoked stream is finished (the verdicts held for
 * requests seen only at RequestReceived are released), everything judged
 * is delivered, the revoked partitions' offsets are committed
 * synchronously, and the streams are freed. On assignment each new
 * partition gets a fresh stream and starts at its committed offset (the
 * earliest offset when the group has none). Both the eager and the
 * cooperative (cooperative-sticky) protocols are handled
 * (rd_kafka_rebalance_protocol()); with cooperative rebalancing only the
 * partitions that move lose their correlation state. A partition lost
 * without revocation (the consumer left the group: session timeout) is not
 * committed: its next owner judges it again from the last commit.
 *
 * stderr tells, per partition, where a stream started judging ("topic/P:
 * judging from offset N") and what it judged when it ended ("judged
 * offsets A..B", "(lost, not committed)"), and with -X
 * enable.partition.eof=true when a partition's end was reached.
 *
 * Exit status: 0 after SIGTERM or SIGINT (consumption stopped, every
 * stream finished, delivered and committed, a commit refused while the
 * group rebalances tried again for up to 30 s, the consumer closed); 1 when
 * the output cannot be written or delivered, the client hits a fatal
 * error, or memory runs out; 2 on a usage error.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* memmem */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include <kag.h>

#include "baseline-file.h" /* tool_write_all */
#include "collector.h"
#include "metrics.h"

#define PROG "kag-kafka"
#define OUT_WRITE_PAST (1u << 20)   /* write a file's records out past this */
#define POLL_MS 100
#define MAX_X 64                    /* -X properties */
#define DRAIN_MS 30000              /* commit retries at shutdown */

/* One assigned partition: its stream and how far it has got. */
struct part {
	struct collector_stream *stream; /* NULL: not assigned */
	int64_t first;          /* offset of the first record judged, -1: none */
	int64_t next;           /* offset after the last record judged */
	int64_t hold;           /* the first record since which the session has
				 * held a request (RequestReceived waiting for a
				 * later stage), or -1 */
	int64_t delivered;      /* what may be committed: delivered, and before
				 * every held request */
	int64_t committed;      /* the offset last committed (-1: none) */
};

struct kafka {
	struct collector *coll;
	struct metrics *m;
	rd_kafka_t *rk;                 /* the consumer */
	rd_kafka_t *producer;           /* --output-topic, or NULL */
	rd_kafka_topic_t *out_topic;
	const char *topic;
	const char *out_path;           /* --output=FILE; NULL: stdout or topic */
	const char *out_topic_name;
	int out_fd;
	struct outbuf out;              /* records judged, not yet written */
	struct part *parts;             /* by partition number */
	size_t n_parts;
	int cooperative;
	uint64_t undelivered;           /* produced, delivery report pending */
	int delivery_failed;
	int failed;                     /* a failure that stops the program */
	long commit_every_ms;
	size_t max_record;              /* --max-record */
	int stopping;                   /* failed: the last revocation commits nothing */
	int draining;                   /* shutting down: nothing more is judged */
	/* own metrics */
	int m_consumed, m_commits, m_commit_failures, m_assign, m_revoke, m_lost;
	int m_assigned, m_lag, m_produced;
};

/* Signals seen, by number (SIGTERM, SIGINT, SIGHUP): taken between
 * records. */
static volatile sig_atomic_t signalled[NSIG];

static void on_signal(int sig)
{
	signalled[sig] = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " --brokers=HOST:PORT,... --group=ID --topic=NAME [options]\n"
		"Judge a Kafka topic of Kubernetes audit records in a consumer group.\n\n"
		"  --brokers=LIST      bootstrap brokers (bootstrap.servers)\n"
		"  --group=ID          consumer group (group.id)\n"
		"  --topic=NAME        topic of audit records, keyed by user.username\n"
		"  -X KEY=VALUE        a librdkafka property for the consumer and the\n"
		"                      producer (security.protocol, sasl.*, ssl.*, ...);\n"
		"                      repeatable\n"
		"  --output=FILE       append verdict records to FILE (default: stdout)\n"
		"  --output-topic=NAME produce verdict records to topic NAME instead,\n"
		"                      keyed by the input record's key\n"
		"  --commit-every=MS   deliver and commit every MS milliseconds\n"
		"                      (default 1000)\n"
		"  --metrics-file=FILE write Prometheus metrics to FILE (atomically)\n"
		"  --metrics-every=SEC ... every SEC seconds (default 15)\n");
	collector_usage(out);
	fprintf(out,
		"  --version           print the library version and exit\n"
		"  -h, --help          this text\n");
}

/* ---- output ---- */

static int open_output(struct kafka *k)
{
	int fd = open(k->out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", k->out_path, strerror(errno));
		return -1;
	}
	if (k->out_fd >= 0 && k->out_fd != STDOUT_FILENO)
		close(k->out_fd);
	k->out_fd = fd;
	return 0;
}

/* Hand the records gathered so far to the kernel (file or stdout). */
static int write_out(struct kafka *k)
{
	if (k->out.len && tool_write_all(k->out_fd, k->out.data, k->out.len) < 0) {
		fprintf(stderr, PROG ": %s: write error: %s\n",
			k->out_path ? k->out_path : "<stdout>", strerror(errno));
		return -1;
	}
	k->out.len = 0;
	return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kafka *k = opaque;

	(void)rk;
	k->undelivered--;
	if (msg->err) {
		fprintf(stderr, PROG ": delivery to %s failed: %s\n", k->out_topic_name,
			rd_kafka_err2str(msg->err));
		k->delivery_failed = 1;
	}
}

/* The user a verdict record is about (evidence.user.username), for the
 * records released without an input record in hand (finishing a stream):
 * the key producers give the records (user.username). NULL when none. */
static json_t *record_user(const char *line, size_t len, const char **user)
{
	json_t *rec = json_loadb(line, len, 0, NULL);
	json_t *u = json_object_get(json_object_get(json_object_get(rec, "evidence"), "user"),
				    "username");

	*user = json_string_value(u);
	return rec;
}

/* Whether a record's source is `mine` ("source":"topic/partition@offset),
 * followed by its line number or nothing. */
static int about(const char *line, size_t len, const char *mine, size_t mine_len)
{
	const char *at = mine ? memmem(line, len, mine, mine_len) : NULL;

	return at && at + mine_len < line + len && (at[mine_len] == ':' || at[mine_len] == '"');
}

/* Produce the records gathered, one Kafka message per record line. A
 * record about the input record in hand (its source is `mine`) takes that
 * record's key; any other (a request held earlier and released now, or
 * with `mine` NULL every record) takes its verdict's user, as producers
 * key records. */
static int produce_out(struct kafka *k, const char *mine, const void *key, size_t key_len)
{
	size_t at = 0, mine_len = mine ? strlen(mine) : 0;

	while (at < k->out.len) {
		char *line = k->out.data + at;
		char *nl = memchr(line, '\n', k->out.len - at);
		size_t len = nl ? (size_t)(nl - line) : k->out.len - at;
		const void *rkey = key;
		size_t rkey_len = key_len;
		json_t *rec = NULL;

		at += len + (nl != NULL);
		if (!len)
			continue;
		if (!about(line, len, mine, mine_len)) {
			const char *user;

			rec = record_user(line, len, &user);
			rkey = user;
			rkey_len = user ? strlen(user) : 0;
		}
		for (;;) {
			if (rd_kafka_produce(k->out_topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
					     line, len, (void *)rkey, rkey_len, NULL) == 0)
				break;
			if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				fprintf(stderr, PROG ": producing to %s: %s\n", k->out_topic_name,
					rd_kafka_err2str(rd_kafka_last_error()));
				json_decref(rec);
				return -1;
			}
			rd_kafka_poll(k->producer, 100); /* the queue drains */
		}
		json_decref(rec);
		k->undelivered++;
		metrics_add(k->m, k->m_produced, 1);
	}
	k->out.len = 0;
	rd_kafka_poll(k->producer, 0); /* delivery reports */
	return 0;
}

/* Deliver everything judged so far: after this, every partition's
 * delivered offset is its next offset. */
static int deliver(struct kafka *k)
{
	size_t i;

	if (k->producer) {
		while (k->undelivered && !k->delivery_failed)
			rd_kafka_flush(k->producer, 1000);
		if (k->delivery_failed)
			return -1;
	} else {
		if (write_out(k) < 0)
			return -1;
		/* (stdout may be a pipe, which cannot be synced: EINVAL) */
		if (fsync(k->out_fd) < 0 && errno != EINVAL) {
			fprintf(stderr, PROG ": %s: fsync: %s\n", k->out_path, strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < k->n_parts; i++) {
		struct part *p = &k->parts[i];

		p->delivered = p->hold >= 0 ? p->hold : p->next;
	}
	return 0;
}

static long ms_since(const struct timespec *t);

/* ---- offsets ---- */

/* Commit the delivered offsets of the partitions in `only` (all assigned
 * partitions when NULL) that moved since their last commit. Synchronous.
 * A failure is reported and counted, and returned: the records after the
 * last commit are judged again by the partition's next owner. */
static rd_kafka_resp_err_t commit(struct kafka *k, const rd_kafka_topic_partition_list_t *only)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	int i;

	for (i = 0; i < (int)k->n_parts; i++) {
		struct part *p = &k->parts[i];

		if (!p->stream || p->delivered < 0 || p->delivered == p->committed)
			continue;
		if (only && !rd_kafka_topic_partition_list_find(only, k->topic, i))
			continue;
		rd_kafka_topic_partition_list_add(l, k->topic, i)->offset = p->delivered;
	}
	if (l->cnt) {
		err = rd_kafka_commit(k->rk, l, 0);
		for (i = 0; !err && i < l->cnt; i++)
			if (l->elems[i].err)
				err = l->elems[i].err;
		if (err) {
			fprintf(stderr, PROG ": commit failed: %s\n", rd_kafka_err2str(err));
			metrics_add(k->m, k->m_commit_failures, 1);
		} else {
			for (i = 0; i < l->cnt; i++)
				k->parts[l->elems[i].partition].committed = l->elems[i].offset;
			metrics_add(k->m, k->m_commits, 1);
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	return err;
}

/* ---- partitions ---- */

static struct part *part_get(struct kafka *k, int32_t partition, int grow)
{
	if (partition < 0)
		return NULL;
	if ((size_t)partition >= k->n_parts) {
		size_t n = (size_t)partition + 1, i;
		struct part *np;

		if (!grow || !(np = realloc(k->parts, n * sizeof(*np))))
			return NULL;
		for (i = k->n_parts; i < n; i++) {
			memset(&np[i], 0, sizeof(np[i]));
			np[i].first = np[i].next = np[i].hold = np[i].delivered = -1;
			np[i].committed = -1;
		}
		k->parts = np;
		k->n_parts = n;
	}
	return &k->parts[partition];
}

static void count_assigned(struct kafka *k)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < k->n_parts; i++)
		n += k->parts[i].stream != NULL;
	metrics_set(k->m, k->m_assigned, n);
}

static int assign(struct kafka *k, rd_kafka_topic_partition_list_t *l)
{
	int i;

	for (i = 0; i < l->cnt; i++) {
		struct part *p;

		if (strcmp(l->elems[i].topic, k->topic) != 0)
			continue;
		if (!(p = part_get(k, l->elems[i].partition, 1)) ||
		    (!p->stream && collector_stream_new(&p->stream, k->coll) < 0)) {
			fprintf(stderr, PROG ": out of memory\n");
			return -1;
		}
		p->first = p->next = p->hold = p->delivered = p->committed = -1;
	}
	count_assigned(k);
	return 0;
}

/* Partitions leave: finish their streams, deliver, commit (unless lost),
 * free the streams. */
static int revoke_parts(struct kafka *k, const rd_kafka_topic_partition_list_t *l, int lost)
{
	int i, rc = 0;

	for (i = 0; i < l->cnt; i++) {
		struct part *p = part_get(k, l->elems[i].partition, 0);

		if (!p || !p->stream || strcmp(l->elems[i].topic, k->topic) != 0)
			continue;
		if (collector_finish(p->stream, &k->out) < 0)
			rc = -1;
		p->hold = -1; /* every held request released */
	}
	if (!rc && k->producer && produce_out(k, NULL, NULL, 0) < 0)
		rc = -1;
	if (!rc && deliver(k) < 0)
		rc = -1;
	if (!rc && !lost)
		commit(k, l);
	for (i = 0; i < l->cnt; i++) {
		struct part *p = part_get(k, l->elems[i].partition, 0);

		if (!p || !p->stream || strcmp(l->elems[i].topic, k->topic) != 0)
			continue;
		if (p->first >= 0)
			fprintf(stderr, PROG ": %s/%" PRId32 ": judged offsets %" PRId64 "..%" PRId64
				"%s\n", k->topic, l->elems[i].partition, p->first, p->next,
				lost ? " (lost, not committed)" : "");
		collector_stream_free(p->stream);
		p->stream = NULL;
	}
	count_assigned(k);
	return rc;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *l, void *opaque)
{
	struct kafka *k = opaque;
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	k->cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		metrics_add(k->m, k->m_assign, 1);
		if (!k->draining && assign(k, l) < 0)
			k->failed = 1;
		if (k->cooperative)
			e = rd_kafka_incremental_assign(rk, l);
		else
			aerr = rd_kafka_assign(rk, l);
	} else {
		int lost = rd_kafka_assignment_lost(rk) || k->stopping;

		metrics_add(k->m, lost ? k->m_lost : k->m_revoke, 1);
		if (!k->stopping && revoke_parts(k, l, lost) < 0)
			k->failed = 1;
		if (k->cooperative)
			e = rd_kafka_incremental_unassign(rk, l);
		else
			aerr = rd_kafka_assign(rk, NULL);
	}
	if (e) {
		fprintf(stderr, PROG ": rebalance: %s\n", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		k->failed = 1;
	} else if (aerr) {
		fprintf(stderr, PROG ": rebalance: %s\n", rd_kafka_err2str(aerr));
		k->failed = 1;
	}
}

/* ---- judging ---- */

static int judge(struct kafka *k, const rd_kafka_message_t *msg)
{
	struct part *p = part_get(k, msg->partition, 0);
	char source[512];
	int rc;

	if (!p || !p->stream || k->draining)
		return 0; /* no longer ours: its next owner judges it */
	snprintf(source, sizeof(source), "%s/%" PRId32 "@%" PRId64, k->topic, msg->partition,
		 msg->offset);
	if (p->first < 0) {
		p->first = msg->offset;
		fprintf(stderr, PROG ": %s/%" PRId32 ": judging from offset %" PRId64 "\n",
			k->topic, msg->partition, msg->offset);
	}
	metrics_add(k->m, k->m_consumed, 1);
	if (msg->len > k->max_record) {
		char m[96];

		snprintf(m, sizeof(m), "record longer than %zu bytes (dropped)", k->max_record);
		rc = collector_reject(p->stream, KAG_ELIMIT, m, source, &k->out);
	} else {
		rc = collector_judge(p->stream, msg->payload ? msg->payload : "", msg->len, source,
				     &k->out);
	}
	if (rc < 0)
		return -1;
	p->next = msg->offset + 1;
	/* A request held for its later stage has no verdict yet: its record
	 * is not committed until the session holds nothing, so that a
	 * consumer that dies holding it leaves it to the next owner. */
	if (!kag_session_stat(collector_stream_session(p->stream), KAG_SSTAT_PENDING_ENTRIES))
		p->hold = -1;
	else if (p->hold < 0)
		p->hold = msg->offset;
	if (k->producer) {
		char mine[600];

		snprintf(mine, sizeof(mine), "\"source\":\"%s", source);
		return produce_out(k, mine, msg->key, msg->key_len);
	}
	return k->out.len >= OUT_WRITE_PAST ? write_out(k) : 0;
}

/* SIGTERM, SIGINT: every stream finished and delivered; the offsets
 * committed. A commit refused while the group rebalances (another member
 * joining or leaving) is tried again after serving the consumer for a
 * while, so that the rebalance completes; records fetched meanwhile are
 * not judged (the partition's next owner judges them). Closing the
 * consumer then revokes the partitions and leaves the group. */
static int drain(struct kafka *k)
{
	struct timespec start;
	int i, rc = 0;

	k->draining = 1;
	for (i = 0; i < (int)k->n_parts; i++) {
		struct part *p = &k->parts[i];

		if (!p->stream)
			continue;
		if (collector_finish(p->stream, &k->out) < 0)
			rc = -1;
		p->hold = -1;
	}
	if (rc < 0 || (k->producer && produce_out(k, NULL, NULL, 0) < 0) || deliver(k) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rd_kafka_resp_err_t err = commit(k, NULL);
		struct timespec t;

		if (err != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || ms_since(&start) >= DRAIN_MS)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		while (ms_since(&t) < 500) { /* the rebalance goes on meanwhile */
			rd_kafka_message_t *msg = rd_kafka_consumer_poll(k->rk, 100);

			if (msg)
				rd_kafka_message_destroy(msg);
		}
	}
	return k->failed ? -1 : 0;
}

/* ---- metrics ---- */

static void write_metrics(struct kafka *k, const char *path)
{
	const kag_session **sessions = calloc(k->n_parts + 1, sizeof(*sessions));
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	uint64_t lag = 0;
	size_t i, n = 0;

	for (i = 0; i < k->n_parts; i++) {
		if (!k->parts[i].stream)
			continue;
		if (sessions)
			sessions[n++] = collector_stream_session(k->parts[i].stream);
		rd_kafka_topic_partition_list_add(l, k->topic, (int32_t)i);
	}
	if (sessions) /* (out of memory: the table gauges wait for the next time) */
		metrics_sessions(k->m, sessions, n);
	free(sessions);
	/* Lag: the high watermark the fetcher last saw, less the position. */
	if (l->cnt && rd_kafka_position(k->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (i = 0; i < (size_t)l->cnt; i++) {
			int64_t lo, hi, pos = l->elems[i].offset;

			if (rd_kafka_get_watermark_offsets(k->rk, k->topic, l->elems[i].partition,
							   &lo, &hi) == 0 && pos >= 0 && hi > pos)
				lag += (uint64_t)(hi - pos);
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	metrics_set(k->m, k->m_lag, lag);
	if (metrics_write_file(k->m, path) < 0)
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
}

static int define_metrics(struct kafka *k)
{
	struct metrics *m = k->m;

	k->m_consumed = metrics_define(m, METRICS_COUNTER, "kag_kafka_records_consumed_total",
				       NULL, "Records consumed from the input topic.");
	k->m_produced = metrics_define(m, METRICS_COUNTER, "kag_kafka_records_produced_total",
				       NULL, "Verdict records produced to the output topic.");
	k->m_commits = metrics_define(m, METRICS_COUNTER, "kag_kafka_commits_total", NULL,
				      "Offset commits that succeeded.");
	k->m_commit_failures = metrics_define(m, METRICS_COUNTER,
					      "kag_kafka_commit_failures_total", NULL,
					      "Offset commits that failed (the records are "
					      "judged again).");
	k->m_assign = metrics_define(m, METRICS_COUNTER, "kag_kafka_rebalances_total",
				     "event=\"assign\"", "Rebalance events.");
	k->m_revoke = metrics_define(m, METRICS_COUNTER, "kag_kafka_rebalances_total",
				     "event=\"revoke\"", NULL);
	k->m_lost = metrics_define(m, METRICS_COUNTER, "kag_kafka_rebalances_total",
				   "event=\"lost\"", NULL);
	k->m_assigned = metrics_define(m, METRICS_GAUGE, "kag_kafka_assigned_partitions", NULL,
				       "Partitions assigned to this consumer.");
	k->m_lag = metrics_define(m, METRICS_GAUGE, "kag_kafka_consumer_lag", NULL,
				  "Records behind the high watermarks of the assigned "
				  "partitions (as last fetched).");
	return k->m_consumed < 0 || k->m_produced < 0 || k->m_commits < 0 ||
		       k->m_commit_failures < 0 || k->m_assign < 0 || k->m_revoke < 0 ||
		       k->m_lost < 0 || k->m_assigned < 0 || k->m_lag < 0 ?
		-1 : 0;
}

/* ---- set-up ---- */

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
	char err[512];

	if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, PROG ": %s=%s: %s\n", key, value, err);
		return -1;
	}
	return 0;
}

static int conf_set_all(rd_kafka_conf_t *conf, const char *const *kv)
{
	for (; kv && kv[0]; kv += 2)
		if (conf_set(conf, kv[0], kv[1]) < 0)
			return -1;
	return 0;
}

/* The -X properties, "key=value" each. */
static int conf_apply(rd_kafka_conf_t *conf, char *const *props, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		char key[256];
		const char *eq = strchr(props[i], '=');
		size_t kl = eq ? (size_t)(eq - props[i]) : 0;

		if (!eq || !kl || kl >= sizeof(key)) {
			fprintf(stderr, PROG ": -X %s: expected KEY=VALUE\n", props[i]);
			return -1;
		}
		memcpy(key, props[i], kl);
		key[kl] = '\0';
		if (conf_set(conf, key, eq + 1) < 0)
			return -1;
	}
	return 0;
}

/* A client of the brokers: its settings are `defaults` (key, value, ...,
 * NULL), then the -X properties, then `fixed`, which -X cannot change. */
static rd_kafka_t *client_new(struct kafka *k, rd_kafka_type_t type, const char *brokers,
			      const char *const *defaults, char *const *props, int n_props,
			      const char *const *fixed)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	char err[512];

	if (conf_set(conf, "bootstrap.servers", brokers) < 0 || conf_set_all(conf, defaults) < 0 ||
	    conf_apply(conf, props, n_props) < 0 || conf_set_all(conf, fixed) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (type == RD_KAFKA_PRODUCER)
		rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	else
		rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	rd_kafka_conf_set_opaque(conf, k);
	if (!(rk = rd_kafka_new(type, conf, err, sizeof(err)))) {
		fprintf(stderr, PROG ": %s: %s\n",
			type == RD_KAFKA_PRODUCER ? "producer" : "consumer", err);
		rd_kafka_conf_destroy(conf);
	}
	return rk; /* (conf is the client's now) */
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)((now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000);
}

int main(int argc, char **argv)
{
	struct kafka k;
	struct collector_options o;
	const char *brokers = NULL, *group = NULL, *metrics_path = NULL;
	char *props[MAX_X];
	int n_props = 0, i, rc = 1;
	long metrics_every = 15;
	rd_kafka_topic_partition_list_t *sub;
	struct sigaction sa;
	struct timespec last_commit, last_metrics;
	char err[512];

	memset(&k, 0, sizeof(k));
	k.out_fd = STDOUT_FILENO;
	k.commit_every_ms = 1000;
	collector_options_init(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int missing = 0, taken = collector_option(&o, PROG, argc, argv, &i);

		if (taken < 0)
			return 2;
		if (taken)
			continue;
		if ((v = collector_option_value("--brokers", argc, argv, &i, &missing))) {
			brokers = v;
		} else if ((v = collector_option_value("--group", argc, argv, &i, &missing))) {
			group = v;
		} else if ((v = collector_option_value("--topic", argc, argv, &i, &missing))) {
			k.topic = v;
		} else if ((v = collector_option_value("--output", argc, argv, &i, &missing))) {
			k.out_path = strcmp(v, "-") == 0 ? NULL : v;
		} else if ((v = collector_option_value("--output-topic", argc, argv, &i, &missing))) {
			k.out_topic_name = v;
		} else if ((v = collector_option_value("--commit-every", argc, argv, &i, &missing))) {
			if (parse_long(v, 1, 3600000, &k.commit_every_ms) < 0) {
				fprintf(stderr, PROG ": --commit-every=MS: 1 to 3600000\n");
				return 2;
			}
		} else if ((v = collector_option_value("--metrics-file", argc, argv, &i, &missing))) {
			metrics_path = v;
		} else if ((v = collector_option_value("--metrics-every", argc, argv, &i, &missing))) {
			if (parse_long(v, 1, 86400, &metrics_every) < 0) {
				fprintf(stderr, PROG ": --metrics-every=SEC: 1 to 86400\n");
				return 2;
			}
		} else if (strncmp(a, "-X", 2) == 0) {
			const char *p = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (!p || n_props == MAX_X) {
				fprintf(stderr, PROG ": -X KEY=VALUE (at most %d)\n", MAX_X);
				return 2;
			}
			props[n_props++] = (char *)p;
		} else if (strcmp(a, "--version") == 0) {
			printf(PROG " %s (librdkafka %s)\n", kag_version_string(),
			       rd_kafka_version_str());
			return 0;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, PROG ": %s '%s'\n",
				missing ? "missing value for" : "unknown argument", a);
			usage(stderr);
			return 2;
		}
	}
	if (!brokers || !group || !k.topic) {
		fprintf(stderr, PROG ": --brokers, --group and --topic are required\n");
		usage(stderr);
		return 2;
	}
	if (k.out_path && k.out_topic_name) {
		fprintf(stderr, PROG ": --output and --output-topic exclude each other\n");
		return 2;
	}
	if (collector_options_check(&o, PROG) < 0)
		return 2;
	k.max_record = o.max_record;
	{
		/* an unknown -X property or value is a usage error */
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		int bad = conf_apply(conf, props, n_props) < 0;

		rd_kafka_conf_destroy(conf);
		if (bad)
			return 2;
	}

	/* Signals only set flags: the loop below looks at them between
	 * records (at least every POLL_MS). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0) {
		fprintf(stderr, PROG ": cannot set up signals: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN); /* a closed output is a write error */

	if (collector_open(&k.coll, &o, PROG) < 0)
		return 1;
	k.m = collector_metrics(k.coll);
	if (define_metrics(&k) < 0) {
		fprintf(stderr, PROG ": cannot define the metrics\n");
		goto out;
	}
	if (k.out_path && open_output(&k) < 0)
		goto out;

	if (k.out_topic_name) {
		const char *const fixed[] = { "enable.idempotence", "true", "acks", "all", NULL };
		const char *const defaults[] = { "linger.ms", "5", NULL };

		if (!(k.producer = client_new(&k, RD_KAFKA_PRODUCER, brokers, defaults, props,
					      n_props, fixed)))
			goto out;
		if (!(k.out_topic = rd_kafka_topic_new(k.producer, k.out_topic_name, NULL))) {
			fprintf(stderr, PROG ": %s: %s\n", k.out_topic_name,
				rd_kafka_err2str(rd_kafka_last_error()));
			goto out;
		}
	}
	{
		/* the offsets are this program's to store and commit */
		const char *const fixed[] = { "group.id", group, "enable.auto.commit", "false",
					      "enable.auto.offset.store", "false", NULL };
		const char *const defaults[] = { "auto.offset.reset", "earliest", NULL };

		if (!(k.rk = client_new(&k, RD_KAFKA_CONSUMER, brokers, defaults, props, n_props,
					fixed)))
			goto out;
	}
	rd_kafka_poll_set_consumer(k.rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, k.topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(k.rk, sub) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, PROG ": cannot subscribe to %s\n", k.topic);
		rd_kafka_topic_partition_list_destroy(sub);
		goto out;
	}
	rd_kafka_topic_partition_list_destroy(sub);

	clock_gettime(CLOCK_MONOTONIC, &last_commit);
	last_metrics = last_commit;
	rc = 0;
	while (!signalled[SIGTERM] && !signalled[SIGINT] && !k.failed) {
		rd_kafka_message_t *msg;

		if (signalled[SIGHUP]) {
			signalled[SIGHUP] = 0;
			if (k.out_path && (deliver(&k) < 0 || open_output(&k) < 0)) {
				k.failed = 1;
				break;
			}
		}
		if (ms_since(&last_commit) >= k.commit_every_ms) {
			if (deliver(&k) < 0) {
				k.failed = 1;
				break;
			}
			(void)commit(&k, NULL);
			clock_gettime(CLOCK_MONOTONIC, &last_commit);
		}
		if (metrics_path && ms_since(&last_metrics) >= metrics_every * 1000) {
			write_metrics(&k, metrics_path);
			clock_gettime(CLOCK_MONOTONIC, &last_metrics);
		}
		(void)collector_save_when_due(k.coll, time(NULL));
		if (k.producer)
			rd_kafka_poll(k.producer, 0);
		if (!(msg = rd_kafka_consumer_poll(k.rk, POLL_MS)))
			continue;
		if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* only with -X enable.partition.eof=true */
			fprintf(stderr, PROG ": %s/%" PRId32 ": at the end, offset %" PRId64 "\n",
				k.topic, msg->partition, msg->offset);
		} else if (msg->err) {
			fprintf(stderr, PROG ": %s\n", rd_kafka_message_errstr(msg));
			if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
				rd_kafka_fatal_error(k.rk, err, sizeof(err));
				fprintf(stderr, PROG ": fatal: %s\n", err);
				k.failed = 1;
			}
		} else if (judge(&k, msg) < 0) {
			k.failed = 1;
		}
		rd_kafka_message_destroy(msg);
	}
	if (k.failed) {
		rc = 1; /* nothing more is committed: the records are judged again */
		k.stopping = 1;
	} else if (drain(&k) < 0) {
		rc = 1;
	}
	if (rd_kafka_consumer_close(k.rk) != RD_KAFKA_RESP_ERR_NO_ERROR && !rc)
		rc = 1;
	if (k.failed)
		rc = 1;
	if (!rc && collector_save_baseline(k.coll) < 0)
		rc = 1;
	if (metrics_path)
		write_metrics(&k, metrics_path);
out:
	if (k.rk)
		rd_kafka_destroy(k.rk);
	if (k.out_topic)
		rd_kafka_topic_destroy(k.out_topic);
	if (k.producer) {
		rd_kafka_flush(k.producer, 10000);
		rd_kafka_destroy(k.producer);
	}
	for (i = 0; i < (int)k.n_parts; i++)
		collector_stream_free(k.parts[i].stream);
	free(k.parts);
	outbuf_free(&k.out);
	if (k.out_fd >= 0 && k.out_fd != STDOUT_FILENO && close(k.out_fd) < 0 && !rc) {
		fprintf(stderr, PROG ": %s: %s\n", k.out_path, strerror(errno));
		rc = 1;
	}
	collector_close(k.coll);
	return rc;
}
