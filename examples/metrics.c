/* Prometheus text metrics of the collector programs (metrics.h). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

/* Event formats as kag_event_format() names them; others count as "other". */
static const char *const formats[] = { "native", "gke", "eks-cloudwatch", "aks", "aks-table",
				       "viaq", "builder", "other" };
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

/* KAG_ERROR (-1) to KAG_ETRUNCATED (-10); anything else is KAG_ERROR. */
#define N_CODES 10

#define N_ASSESSMENTS 4 /* KAG_ASSESSMENT_BENIGN .. _NEEDS_CONTEXT */

/* Judge latency buckets, in seconds (upper bounds; +Inf is implied). */
static const double buckets[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
				  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* Session counters (totals, kept across retired sessions) and table gauges. */
static const struct {
	int stat;
	int gauge;          /* 1: a level, not a total */
	const char *family; /* metric name */
	const char *labels; /* or NULL */
	const char *help;
} session_series[] = {
	{ KAG_SSTAT_EVENTS, 0, "kag_session_events_total", NULL,
	  "Events evaluated by the sessions." },
	{ KAG_SSTAT_DUPLICATES, 0, "kag_session_duplicate_stages_total", NULL,
	  "Later stages of requests already judged." },
	{ KAG_SSTAT_REPEATS, 0, "kag_session_repeats_total", NULL,
	  "Verdicts left out as repeats within their window (counted in aggregates)." },
	{ KAG_SSTAT_SUPPRESSED, 0, "kag_session_benign_suppressed_total", NULL,
	  "Benign and info verdicts left out (no --all)." },
	{ KAG_SSTAT_DEDUP_EVICTIONS, 0, "kag_correlation_evictions_total", "table=\"dedup\"",
	  "Entries evicted from the correlation tables to stay within their capacity." },
	{ KAG_SSTAT_PRINCIPAL_EVICTIONS, 0, "kag_correlation_evictions_total",
	  "table=\"principal\"", NULL },
	{ KAG_SSTAT_REPEAT_EVICTIONS, 0, "kag_correlation_evictions_total", "table=\"repeat\"",
	  NULL },
	{ KAG_SSTAT_DEDUP_ENTRIES, 1, "kag_correlation_entries", "table=\"dedup\"",
	  "Entries in use in the correlation tables." },
	{ KAG_SSTAT_PRINCIPAL_ENTRIES, 1, "kag_correlation_entries", "table=\"principal\"", NULL },
	{ KAG_SSTAT_PENDING_ENTRIES, 1, "kag_correlation_entries", "table=\"pending\"", NULL },
	{ KAG_SSTAT_REPEAT_ENTRIES, 1, "kag_correlation_entries", "table=\"repeat\"", NULL },
	{ KAG_SSTAT_DEDUP_CAPACITY, 1, "kag_correlation_capacity", "table=\"dedup\"",
	  "Capacity of the correlation tables." },
	{ KAG_SSTAT_PRINCIPAL_CAPACITY, 1, "kag_correlation_capacity", "table=\"principal\"",
	  NULL },
	{ KAG_SSTAT_PENDING_CAPACITY, 1, "kag_correlation_capacity", "table=\"pending\"", NULL },
	{ KAG_SSTAT_REPEAT_CAPACITY, 1, "kag_correlation_capacity", "table=\"repeat\"", NULL },
};
#define N_SESSION (sizeof(session_series) / sizeof(session_series[0]))

struct own_series {
	enum metrics_kind kind;
	char family[80];
	char labels[120];
	char help[200];
	_Atomic uint64_t value;
};

struct metrics {
	size_t n_detectors;
	char **detectors;                 /* ids, copied */
	_Atomic uint64_t *verdicts;       /* [detector][assessment] */
	_Atomic uint64_t judged[N_FORMATS];
	_Atomic uint64_t rejected[N_CODES];
	_Atomic uint64_t skipped;
	_Atomic uint64_t latency[N_BUCKETS + 1]; /* per bucket, +Inf last */
	_Atomic uint64_t latency_count, latency_sum_ns;
	_Atomic uint64_t session_now[N_SESSION];     /* live sessions */
	_Atomic uint64_t session_retired[N_SESSION]; /* freed ones (totals only) */
	int n_own;
	struct own_series own[METRICS_MAX_OWN];
};

int metrics_new(struct metrics **out, const kag_registry *reg)
{
	struct metrics *m = calloc(1, sizeof(*m));
	size_t i;

	*out = NULL;
	if (!m)
		return -1;
	m->n_detectors = kag_registry_count(reg);
	m->detectors = calloc(m->n_detectors ? m->n_detectors : 1, sizeof(char *));
	m->verdicts = calloc(m->n_detectors * N_ASSESSMENTS + 1, sizeof(*m->verdicts));
	if (!m->detectors || !m->verdicts)
		goto fail;
	for (i = 0; i < m->n_detectors; i++)
		if (!(m->detectors[i] = strdup(kag_registry_detector_id(reg, i))))
			goto fail;
	*out = m;
	return 0;
fail:
	metrics_free(m);
	return -1;
}

void metrics_free(struct metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; m->detectors && i < m->n_detectors; i++)
		free(m->detectors[i]);
	free(m->detectors);
	free((void *)m->verdicts);
	free(m);
}

void metrics_record_judged(struct metrics *m, const kag_event *ev)
{
	const char *f = kag_event_format(ev);
	size_t i;

	for (i = 0; i + 1 < N_FORMATS && strcmp(f, formats[i]) != 0; i++)
		;
	atomic_fetch_add_explicit(&m->judged[i], 1, memory_order_relaxed);
}

void metrics_record_rejected(struct metrics *m, int code)
{
	int i = code <= -1 && code >= -N_CODES ? -code - 1 : 0;

	atomic_fetch_add_explicit(&m->rejected[i], 1, memory_order_relaxed);
}

void metrics_records_skipped(struct metrics *m, uint64_t n)
{
	atomic_fetch_add_explicit(&m->skipped, n, memory_order_relaxed);
}

void metrics_verdict(struct metrics *m, const kag_verdict *v)
{
	const char *id = kag_verdict_detector(v);
	int a = kag_verdict_assessment(v);
	size_t i;

	if (a < 0 || a >= N_ASSESSMENTS)
		return;
	/* detectors are few (about twenty): a scan costs less than a hash */
	for (i = 0; i < m->n_detectors; i++) {
		if (strcmp(m->detectors[i], id) == 0) {
			atomic_fetch_add_explicit(&m->verdicts[i * N_ASSESSMENTS + (size_t)a], 1,
						  memory_order_relaxed);
			return;
		}
	}
}

void metrics_judge_seconds(struct metrics *m, double seconds)
{
	size_t i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < N_BUCKETS && seconds > buckets[i]; i++)
		;
	atomic_fetch_add_explicit(&m->latency[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_sum_ns, (uint64_t)(seconds * 1e9),
				  memory_order_relaxed);
}

void metrics_sessions(struct metrics *m, const kag_session *const *sessions, size_t n)
{
	size_t i, k;

	for (k = 0; k < N_SESSION; k++) {
		uint64_t sum = 0;

		for (i = 0; i < n; i++)
			sum += kag_session_stat(sessions[i], session_series[k].stat);
		atomic_store_explicit(&m->session_now[k], sum, memory_order_relaxed);
	}
}

void metrics_session_retire(struct metrics *m, const kag_session *s)
{
	size_t k;

	for (k = 0; k < N_SESSION; k++)
		if (!session_series[k].gauge)
			atomic_fetch_add_explicit(&m->session_retired[k],
						  kag_session_stat(s, session_series[k].stat),
						  memory_order_relaxed);
}

/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static int valid_name(const char *s)
{
	size_t i;

	if (!*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
		      (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

int metrics_define(struct metrics *m, enum metrics_kind kind, const char *family,
		   const char *labels, const char *help)
{
	struct own_series *o;

	if (m->n_own == METRICS_MAX_OWN || !valid_name(family) ||
	    strlen(family) >= sizeof(o->family) ||
	    (labels && strlen(labels) >= sizeof(o->labels)) ||
	    (help && strlen(help) >= sizeof(o->help)))
		return -1;
	o = &m->own[m->n_own];
	o->kind = kind;
	strcpy(o->family, family);
	strcpy(o->labels, labels ? labels : "");
	strcpy(o->help, help ? help : "");
	atomic_init(&o->value, 0);
	return m->n_own++;
}

void metrics_add(struct metrics *m, int id, uint64_t n)
{
	if (id >= 0 && id < m->n_own)
		atomic_fetch_add_explicit(&m->own[id].value, n, memory_order_relaxed);
}

void metrics_set(struct metrics *m, int id, uint64_t v)
{
	if (id >= 0 && id < m->n_own)
		atomic_store_explicit(&m->own[id].value, v, memory_order_relaxed);
}

uint64_t metrics_get(const struct metrics *m, int id)
{
	if (id < 0 || id >= m->n_own)
		return 0;
	return atomic_load_explicit(&((struct metrics *)m)->own[id].value, memory_order_relaxed);
}

static uint64_t get(const _Atomic uint64_t *v)
{
	return atomic_load_explicit((_Atomic uint64_t *)v, memory_order_relaxed);
}

static void header(FILE *f, const char *family, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", family, help, family, type);
}

static void sample(FILE *f, const char *family, const char *labels, uint64_t v)
{
	if (labels && *labels)
		fprintf(f, "%s{%s} %llu\n", family, labels, (unsigned long long)v);
	else
		fprintf(f, "%s %llu\n", family, (unsigned long long)v);
}

static void render(const struct metrics *m, FILE *f)
{
	char labels[256];
	uint64_t cum = 0;
	size_t i, a;
	int k;

	header(f, "kag_records_judged_total", "counter",
	       "Audit records read and judged, by input format.");
	for (i = 0; i < N_FORMATS; i++) {
		snprintf(labels, sizeof(labels), "format=\"%s\"", formats[i]);
		sample(f, "kag_records_judged_total", labels, get(&m->judged[i]));
	}
	header(f, "kag_records_rejected_total", "counter",
	       "Records rejected with an error record, by error code.");
	for (i = 0; i < N_CODES; i++) {
		snprintf(labels, sizeof(labels), "code=\"%s\"", kag_error_name(-(int)i - 1));
		sample(f, "kag_records_rejected_total", labels, get(&m->rejected[i]));
	}
	header(f, "kag_records_skipped_total", "counter",
	       "Records recognised as not audit events and skipped.");
	sample(f, "kag_records_skipped_total", NULL, get(&m->skipped));

	header(f, "kag_verdicts_total", "counter", "Verdicts written, by detector and assessment.");
	for (i = 0; i < m->n_detectors; i++) {
		for (a = 0; a < N_ASSESSMENTS; a++) {
			/* detector ids are [a-z0-9_.-]: nothing to escape */
			snprintf(labels, sizeof(labels), "detector=\"%s\",assessment=\"%s\"",
				 m->detectors[i], kag_assessment_name((int)a));
			sample(f, "kag_verdicts_total", labels,
			       get(&m->verdicts[i * N_ASSESSMENTS + a]));
		}
	}

	header(f, "kag_judge_seconds", "histogram",
	       "Time to parse and judge one message (a line, a post, a Kafka record).");
	for (i = 0; i <= N_BUCKETS; i++) {
		cum += get(&m->latency[i]);
		if (i < N_BUCKETS)
			fprintf(f, "kag_judge_seconds_bucket{le=\"%g\"} %llu\n", buckets[i],
				(unsigned long long)cum);
		else
			fprintf(f, "kag_judge_seconds_bucket{le=\"+Inf\"} %llu\n",
				(unsigned long long)cum);
	}
	fprintf(f, "kag_judge_seconds_sum %.9f\n", (double)get(&m->latency_sum_ns) / 1e9);
	fprintf(f, "kag_judge_seconds_count %llu\n", (unsigned long long)cum);

	for (i = 0; i < N_SESSION; i++) {
		if (session_series[i].help)
			header(f, session_series[i].family,
			       session_series[i].gauge ? "gauge" : "counter", session_series[i].help);
		sample(f, session_series[i].family, session_series[i].labels,
		       get(&m->session_now[i]) + get(&m->session_retired[i]));
	}

	for (k = 0; k < m->n_own; k++) {
		const struct own_series *o = &m->own[k];

		if (k == 0 || strcmp(o->family, m->own[k - 1].family) != 0)
			header(f, o->family, o->kind == METRICS_GAUGE ? "gauge" : "counter",
			       o->help);
		sample(f, o->family, o->labels, get(&o->value));
	}
}

int metrics_render(const struct metrics *m, char **text, size_t *len)
{
	FILE *f;

	*text = NULL;
	*len = 0;
	if (!(f = open_memstream(text, len)))
		return -1;
	render(m, f);
	if (ferror(f)) {
		fclose(f);
		free(*text);
		*text = NULL;
		*len = 0;
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int metrics_write_file(const struct metrics *m, const char *path)
{
	char *text, *tmp;
	size_t len, off = 0;
	int fd, err = 0;

	if (metrics_render(m, &text, &len) < 0) {
		errno = ENOMEM;
		return -1;
	}
	if (!(tmp = malloc(strlen(path) + 5))) {
		free(text);
		errno = ENOMEM;
		return -1;
	}
	sprintf(tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
	} else {
		while (off < len) {
			ssize_t n = write(fd, text + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				err = errno;
				break;
			}
			off += (size_t)n;
		}
		if (close(fd) < 0 && !err)
			err = errno;
		if (!err && rename(tmp, path) < 0)
			err = errno;
		if (err)
			unlink(tmp);
	}
	free(tmp);
	free(text);
	errno = err;
	return err ? -1 : 0;
}
