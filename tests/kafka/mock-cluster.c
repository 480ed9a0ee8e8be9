/*
 * A Kafka cluster for the kag-kafka tests: librdkafka's mock cluster (real
 * Kafka protocol on loopback listeners, brokers in this process), driven
 * by commands on stdin, one per line, answered on stdout:
 *
 *   (at start)                    -> "bootstraps HOST:PORT,..."
 *   produce TOPIC IN OUT RATE     produce the records of IN, one per line
 *                                 "KEY<TAB>VALUE" (an empty KEY: no key), at
 *                                 RATE records a second (0: at once), with
 *                                 the default partitioner; "progress N"
 *                                 every 250 records delivered, then
 *                                 "produced N", and OUT gets "PARTITION
 *                                 OFFSET" per record, in IN's order
 *   ends TOPIC                    -> "ends P:HIGH ..." (high watermarks)
 *   committed GROUP TOPIC         -> "committed P:OFFSET ..." (-1: none)
 *   consume TOPIC N OUT           every record of TOPIC's N partitions to OUT,
 *                                 "KEY<TAB>VALUE" a line -> "consumed N"
 *   (end of input)                the cluster goes away
 *
 *   kafka-mock-cluster --brokers=N --topic=NAME --partitions=N
 *                      [--verdict-topic=NAME]   (3 partitions)
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define VERDICT_PARTITIONS 3
#define MAX_GROUPS 32

struct delivery {
	int32_t *partition;
	int64_t *offset;
	size_t delivered, failed;
};

static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstraps, const char *group)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;

	/* (the instance that keeps the mock cluster has no brokers to name:
	 * its notice saying so is not shown) */
	if ((*bootstraps &&
	     rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof(err))) ||
	    (!*bootstraps && rd_kafka_conf_set(conf, "log_level", "4", err, sizeof(err))) ||
	    (type == RD_KAFKA_PRODUCER &&
	     (rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) ||
	      rd_kafka_conf_set(conf, "linger.ms", "2", err, sizeof(err)))) ||
	    (group && rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)))) {
		fprintf(stderr, "mock-cluster: %s\n", err);
		exit(1);
	}
	if (!(rk = rd_kafka_new(type, conf, err, sizeof(err)))) {
		fprintf(stderr, "mock-cluster: %s\n", err);
		exit(1);
	}
	return rk;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct delivery *d = opaque;
	size_t i = (size_t)(uintptr_t)m->_private;

	(void)rk;
	if (m->err) {
		fprintf(stderr, "mock-cluster: delivery: %s\n", rd_kafka_err2str(m->err));
		d->failed++;
		return;
	}
	d->partition[i] = m->partition;
	d->offset[i] = m->offset;
	if (++d->delivered % 250 == 0) {
		printf("progress %zu\n", d->delivered);
		fflush(stdout);
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void produce(const char *bootstraps, const char *topic, const char *in, const char *out,
		    double rate)
{
	FILE *f = fopen(in, "r"), *o;
	char *line = NULL;
	size_t cap = 0, n = 0, i;
	ssize_t len;
	struct delivery d = { 0 };
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	double start = now_s();

	if (!f) {
		perror(in);
		exit(1);
	}
	while ((len = getline(&line, &cap, f)) > 0)
		n++;
	rewind(f);
	d.partition = calloc(n + 1, sizeof(*d.partition));
	d.offset = calloc(n + 1, sizeof(*d.offset));
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "linger.ms", "2", err, sizeof(err))) {
		fprintf(stderr, "mock-cluster: %s\n", err);
		exit(1);
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, &d);
	if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
		fprintf(stderr, "mock-cluster: %s\n", err);
		exit(1);
	}
	for (i = 0; (len = getline(&line, &cap, f)) > 0; i++) {
		char *tab = memchr(line, '\t', (size_t)len);
		const char *key;
		char *value; /* (the macros below want plain names) */
		size_t vlen, klen;
		void *index = (void *)(uintptr_t)i; /* the delivery report's */

		if (!tab) {
			fprintf(stderr, "mock-cluster: %s:%zu: no tab\n", in, i + 1);
			exit(1);
		}
		key = tab == line ? NULL : line; /* an empty key: none */
		klen = (size_t)(tab - line);
		value = tab + 1;
		vlen = (size_t)(line + len - value);
		if (vlen && value[vlen - 1] == '\n')
			vlen--;
		while (rate > 0 && (double)i / rate > now_s() - start)
			rd_kafka_poll(rk, 1);
		while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
					 RD_KAFKA_V_KEY(key, klen),
					 RD_KAFKA_V_VALUE(value, vlen),
					 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					 RD_KAFKA_V_OPAQUE(index),
					 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 60000);
	if (d.delivered != n || d.failed) {
		fprintf(stderr, "mock-cluster: %zu of %zu delivered\n", d.delivered, n);
		exit(1);
	}
	rd_kafka_destroy(rk);
	if (!(o = fopen(out, "w"))) {
		perror(out);
		exit(1);
	}
	for (i = 0; i < n; i++)
		fprintf(o, "%d %lld\n", (int)d.partition[i], (long long)d.offset[i]);
	fclose(o);
	fclose(f);
	free(line);
	free(d.partition);
	free(d.offset);
	printf("produced %zu\n", n);
}

/* Every record of topic (partitions 0..n-1) to out, "KEY<TAB>VALUE" a
 * line, partition after partition; returns the count. */
static size_t consume(const char *bootstraps, const char *topic, int n, const char *out)
{
	/* (assigned partitions, no subscription: the group id is only asked
	 * for by the consumer interface) */
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bootstraps, "mock-cluster-reader");
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
	FILE *o = fopen(out, "w");
	size_t count = 0;
	int i;

	if (!o) {
		perror(out);
		exit(1);
	}
	for (i = 0; i < n; i++) {
		int64_t lo, hi, next = 0;

		if (rd_kafka_query_watermark_offsets(rk, topic, i, &lo, &hi, 5000)) {
			fprintf(stderr, "mock-cluster: %s [%d]: no watermarks\n", topic, i);
			exit(1);
		}
		rd_kafka_topic_partition_list_add(l, topic, i)->offset = lo;
		if (rd_kafka_assign(rk, l)) {
			fprintf(stderr, "mock-cluster: cannot assign %s [%d]\n", topic, i);
			exit(1);
		}
		while (next < hi) {
			rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);

			if (!m)
				continue;
			if (!m->err && m->partition == i) {
				fprintf(o, "%.*s\t%.*s\n", (int)m->key_len, (const char *)m->key,
					(int)m->len, (const char *)m->payload);
				next = m->offset + 1;
				count++;
			}
			rd_kafka_message_destroy(m);
		}
		rd_kafka_topic_partition_list_destroy(l);
		l = rd_kafka_topic_partition_list_new(n);
	}
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	fclose(o);
	return count;
}

int main(int argc, char **argv)
{
	int brokers = 3, partitions = 6, i;
	const char *topic = NULL, *verdict_topic = NULL;
	char *line = NULL, bootstraps[1024];
	size_t cap = 0;
	rd_kafka_t *base;
	rd_kafka_mock_cluster_t *mc;
	struct {
		char name[1024];
		rd_kafka_t *rk;
	} groups[MAX_GROUPS];
	int n_groups = 0;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--brokers=", 10) == 0)
			brokers = atoi(argv[i] + 10);
		else if (strncmp(argv[i], "--partitions=", 13) == 0)
			partitions = atoi(argv[i] + 13);
		else if (strncmp(argv[i], "--topic=", 8) == 0)
			topic = argv[i] + 8;
		else if (strncmp(argv[i], "--verdict-topic=", 16) == 0)
			verdict_topic = argv[i] + 16;
		else {
			fprintf(stderr, "mock-cluster: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	/* The mock cluster is kept by a client instance of its own. */
	base = client(RD_KAFKA_PRODUCER, "", NULL);
	if (!(mc = rd_kafka_mock_cluster_new(base, brokers))) {
		fprintf(stderr, "mock-cluster: cannot start the mock cluster\n");
		return 1;
	}
	if (topic && rd_kafka_mock_topic_create(mc, topic, partitions, brokers < 3 ? brokers : 3)) {
		fprintf(stderr, "mock-cluster: cannot create %s\n", topic);
		return 1;
	}
	if (verdict_topic && rd_kafka_mock_topic_create(mc, verdict_topic, VERDICT_PARTITIONS,
							brokers < 3 ? brokers : 3)) {
		fprintf(stderr, "mock-cluster: cannot create %s\n", verdict_topic);
		return 1;
	}
	snprintf(bootstraps, sizeof(bootstraps), "%s", rd_kafka_mock_cluster_bootstraps(mc));
	printf("bootstraps %s\n", bootstraps);
	fflush(stdout);

	while (getline(&line, &cap, stdin) > 0) {
		char a[4][1024];
		int n = sscanf(line, "%1023s %1023s %1023s %1023s %*s", a[0], a[1], a[2], a[3]);
		char *rate = strrchr(line, ' ');

		if (n >= 4 && strcmp(a[0], "produce") == 0 && rate) {
			produce(bootstraps, a[1], a[2], a[3], atof(rate + 1));
		} else if (n == 4 && strcmp(a[0], "consume") == 0) {
			printf("consumed %zu\n", consume(bootstraps, a[1], atoi(a[2]), a[3]));
		} else if (n == 2 && strcmp(a[0], "ends") == 0) {
			rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bootstraps, NULL);

			printf("ends");
			for (i = 0; i < partitions; i++) {
				int64_t lo = -1, hi = -1;

				if (rd_kafka_query_watermark_offsets(c, a[1], i, &lo, &hi, 5000))
					hi = -2;
				printf(" %d:%lld", i, (long long)hi);
			}
			printf("\n");
			rd_kafka_destroy(c);
		} else if (n == 3 && strcmp(a[0], "committed") == 0) {
			rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
			rd_kafka_resp_err_t err;
			rd_kafka_t *c;

			/* one client per group, kept: asking is then one round
			 * trip (the benchmark polls) */
			for (i = 0; i < n_groups && strcmp(groups[i].name, a[1]); i++)
				;
			if (i == n_groups) {
				if (n_groups == MAX_GROUPS) {
					fprintf(stderr, "mock-cluster: too many groups\n");
					return 1;
				}
				snprintf(groups[i].name, sizeof(groups[i].name), "%s", a[1]);
				groups[i].rk = client(RD_KAFKA_CONSUMER, bootstraps, a[1]);
				n_groups++;
			}
			c = groups[i].rk;

			for (i = 0; i < partitions; i++)
				rd_kafka_topic_partition_list_add(l, a[2], i);
			err = rd_kafka_committed(c, l, 5000);
			printf("committed");
			for (i = 0; i < l->cnt; i++)
				printf(" %d:%lld", l->elems[i].partition,
				       err ? -2LL : (long long)l->elems[i].offset);
			printf("\n");
			rd_kafka_topic_partition_list_destroy(l);
		} else {
			printf("error unknown command\n");
		}
		fflush(stdout);
	}
	free(line);
	for (i = 0; i < n_groups; i++)
		rd_kafka_destroy(groups[i].rk);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(base);
	return 0;
}
