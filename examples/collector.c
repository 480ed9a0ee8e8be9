/* The judging core of the collector programs (collector.h). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "baseline-file.h"
#include "collector.h"
#include "errlimit.h"

struct collector {
	const char *prog;
	kag_registry *reg;
	kag_baseline *baseline;     /* --baseline, or NULL */
	const char *baseline_path;
	int learn, all, format;
	size_t max_record;
	uint64_t error_limit;
	int schema;                 /* KAG_SCHEMA_* of verdict records */
	time_t save_every, next_save;
	struct metrics *metrics;
};

struct collector_stream {
	struct collector *c;
	kag_parser *parser;
	kag_session *session;
	struct errlimit errors;
	uint64_t messages;          /* judged so far: the ordinal of the next */
	int last_blank;             /* the last message judged was blank */
};

/* ---- output buffer ---- */

int outbuf_put(struct outbuf *b, const char *s, size_t n, size_t limit)
{
	if (b->len > limit || n > limit - b->len)
		return -1;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *nd;

		while (cap < b->len + n)
			cap = cap > limit / 2 ? limit : cap * 2;
		if (!(nd = realloc(b->data, cap)))
			return -1;
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return 0;
}

int outbuf_puts(struct outbuf *b, const char *s)
{
	return outbuf_put(b, s, strlen(s), (size_t)-1);
}

int outbuf_put_json_string(struct outbuf *b, const char *s)
{
	char esc[8];

	if (outbuf_puts(b, "\"") < 0)
		return -1;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc[2] = '\0';
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
		if (outbuf_puts(b, esc) < 0)
			return -1;
	}
	return outbuf_puts(b, "\"");
}

void outbuf_free(struct outbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- options ---- */

void collector_options_init(struct collector_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = KAG_FORMAT_AUTO;
	o->max_record = COLLECTOR_DEFAULT_MAX_RECORD;
	o->error_limit = ERRLIMIT_DEFAULT;
}

int collector_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The value of option `name` in argv[*i]: after '=' in the same argument,
 * or the next argument (then *i moves on). NULL when argv[*i] is not this
 * option; *missing set when it is but has no value. */
const char *collector_option_value(const char *name, int argc, char **argv, int *i,
				   int *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

int collector_option(struct collector_options *o, const char *prog, int argc, char **argv,
		     int *i)
{
	static const char *const format_names[] = { "auto", "native", "eventlist", "gke",
						    "eks", "aks", "openshift" };
	const char *a = argv[*i], *v;
	int missing = 0;
	uint64_t n;

	if (strcmp(a, "--all") == 0) {
		o->all = 1;
		return 1;
	}
	if (strcmp(a, "--learn") == 0) {
		o->learn = 1;
		return 1;
	}
	if ((v = collector_option_value("--format", argc, argv, i, &missing))) {
		int f;

		/* format_names[f] is KAG_FORMAT_* value f */
		for (f = 0; f < 7 && strcmp(v, format_names[f]) != 0; f++)
			;
		if (f == 7) {
			fprintf(stderr, "%s: unknown format '%s'\n", prog, v);
			return -1;
		}
		o->format = f;
		return 1;
	}
	if ((v = collector_option_value("--policy", argc, argv, i, &missing))) {
		o->policy = v;
		return 1;
	}
	if ((v = collector_option_value("--rules", argc, argv, i, &missing))) {
		o->rules = v;
		return 1;
	}
	if ((v = collector_option_value("--baseline", argc, argv, i, &missing))) {
		o->baseline = v;
		return 1;
	}
	if ((v = collector_option_value("--bad-sources", argc, argv, i, &missing))) {
		if (!*v || o->n_bad_sources == COLLECTOR_MAX_BAD_SOURCES) {
			fprintf(stderr, "%s: --bad-sources takes a file, at most %d times\n", prog,
				COLLECTOR_MAX_BAD_SOURCES);
			return -1;
		}
		o->bad_sources[o->n_bad_sources++] = v;
		return 1;
	}
	if ((v = collector_option_value("--save-every", argc, argv, i, &missing))) {
		if (collector_parse_u64(v, 1, 10080, &n) < 0) {
			fprintf(stderr, "%s: --save-every: expected minutes from 1 to 10080\n", prog);
			return -1;
		}
		o->save_every = (time_t)n * 60;
		return 1;
	}
	if ((v = collector_option_value("--max-record", argc, argv, i, &missing))) {
		if (collector_parse_u64(v, 1, 1ull << 30, &n) < 0) {
			fprintf(stderr, "%s: --max-record: expected bytes from 1 to %llu\n", prog,
				1ull << 30);
			return -1;
		}
		o->max_record = (size_t)n;
		return 1;
	}
	if ((v = collector_option_value("--error-limit", argc, argv, i, &missing))) {
		if (collector_parse_u64(v, 0, UINT64_MAX, &n) < 0) {
			fprintf(stderr, "%s: --error-limit takes a number (0: no limit)\n", prog);
			return -1;
		}
		o->error_limit = n;
		return 1;
	}
	if ((v = collector_option_value("--schema", argc, argv, i, &missing))) {
		static const char *const schemas[] = { "kag", "ocsf", "ecs" };
		int k;

		/* schemas[k] is KAG_SCHEMA_* value k */
		for (k = 0; k < 3 && strcmp(v, schemas[k]) != 0; k++)
			;
		if (k == 3) {
			fprintf(stderr, "%s: unknown --schema=%s (kag, ocsf, ecs)\n", prog, v);
			return -1;
		}
		o->schema = k;
		return 1;
	}
	if (missing) {
		fprintf(stderr, "%s: %s needs a value\n", prog, a);
		return -1;
	}
	return 0;
}

int collector_options_check(const struct collector_options *o, const char *prog)
{
	if ((o->learn || o->save_every) && !o->baseline) {
		fprintf(stderr, "%s: --learn and --save-every need --baseline=FILE\n", prog);
		return -1;
	}
	return 0;
}

void collector_usage(FILE *out)
{
	fprintf(out,
		"  --all               also write benign and info verdicts\n"
		"  --format=FMT        auto (default), native, eventlist, gke, eks, aks\n"
		"                      or openshift\n"
		"  --policy=FILE       JSON policy: baselines, lists, thresholds, detectors\n"
		"  --rules=FILE        JSON caller rules, judged next to the built-ins\n"
		"  --bad-sources=FILE  an address list for known_bad_source (repeatable)\n"
		"  --baseline=FILE     a learned baseline (kag-baseline/1): behaviour it\n"
		"                      has seen ranks lower, new behaviour says so\n"
		"  --learn             also learn from the input; FILE is written back\n"
		"                      atomically at exit (and with --save-every)\n"
		"  --save-every=MIN    with --learn, also save every MIN minutes\n"
		"  --max-record=BYTES  longest message (default %u)\n"
		"  --error-limit=N     write the first N error records of each kind of\n"
		"                      fault and count the rest in error_summary\n"
		"                      records (default %d; 0: write them all)\n"
		"  --schema=S          verdict records as kag's own (kag, default), OCSF\n"
		"                      1.3.0 Detection Findings (ocsf) or ECS 8.11\n"
		"                      documents (ecs); error records stay kag's\n",
		COLLECTOR_DEFAULT_MAX_RECORD, ERRLIMIT_DEFAULT);
}

/* ---- the collector ---- */

int collector_open(struct collector **out, const struct collector_options *o,
		   const char *prog)
{
	struct collector *c = calloc(1, sizeof(*c));
	int i;

	*out = NULL;
	if (!c || kag_registry_new(&c->reg) < 0) {
		fprintf(stderr, "%s: cannot initialise: out of memory\n", prog);
		free(c);
		return -1;
	}
	c->prog = prog;
	c->all = o->all;
	c->format = o->format;
	c->max_record = o->max_record;
	c->error_limit = o->error_limit;
	c->schema = o->schema;
	c->learn = o->learn;
	c->save_every = o->save_every;
	c->baseline_path = o->baseline;
	/* rules first, so that the policy can enable or disable them; address
	 * lists after the policy, which they replace by name */
	if ((o->rules &&
	     tool_load_registry_file(c->reg, prog, o->rules, kag_registry_load_rules) < 0) ||
	    (o->policy &&
	     tool_load_registry_file(c->reg, prog, o->policy, kag_registry_load_policy) < 0))
		goto fail;
	for (i = 0; i < o->n_bad_sources; i++)
		if (tool_load_registry_file(c->reg, prog, o->bad_sources[i], NULL) < 0)
			goto fail;
	if (kag_registry_seal(c->reg) < 0 || metrics_new(&c->metrics, c->reg) < 0) {
		fprintf(stderr, "%s: cannot initialise: out of memory\n", prog);
		goto fail;
	}
	if (o->baseline) {
		if (kag_baseline_new(&c->baseline) < 0) {
			fprintf(stderr, "%s: cannot initialise: out of memory\n", prog);
			goto fail;
		}
		if (baseline_file_load(c->baseline, prog, o->baseline, o->learn) < 0)
			goto fail;
	}
	c->next_save = time(NULL) + c->save_every;
	*out = c;
	return 0;
fail:
	collector_close(c);
	return -1;
}

void collector_close(struct collector *c)
{
	if (!c)
		return;
	metrics_free(c->metrics);
	kag_baseline_free(c->baseline);
	kag_registry_free(c->reg);
	free(c);
}

struct metrics *collector_metrics(struct collector *c)
{
	return c->metrics;
}

const char *collector_prog(const struct collector *c)
{
	return c->prog;
}

int collector_save_baseline(struct collector *c)
{
	if (!c->learn)
		return 0;
	return baseline_file_save(c->baseline, c->prog, c->baseline_path);
}

long collector_save_when_due(struct collector *c, time_t now)
{
	if (!c->learn || !c->save_every)
		return -1;
	if (now >= c->next_save) {
		(void)baseline_file_save(c->baseline, c->prog, c->baseline_path);
		c->next_save = now + c->save_every;
	}
	return (long)(c->next_save - now);
}

/* ---- streams ---- */

int collector_stream_new(struct collector_stream **out, struct collector *c)
{
	struct collector_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		goto oom;
	s->c = c;
	errlimit_init(&s->errors, c->error_limit);
	if (kag_session_new(&s->session, c->reg) < 0 ||
	    kag_session_set_option_u64(s->session, KAG_SOPT_EMIT_BENIGN, (uint64_t)c->all) < 0 ||
	    (c->baseline && kag_session_set_baseline(s->session, c->baseline, c->learn) < 0) ||
	    kag_parser_new(&s->parser) < 0 ||
	    kag_parser_set_option_u64(s->parser, KAG_OPT_FORMAT, (uint64_t)c->format) < 0 ||
	    kag_parser_set_option_u64(s->parser, KAG_OPT_MAX_RECORD_BYTES, c->max_record) < 0)
		goto oom;
	*out = s;
	return 0;
oom:
	fprintf(stderr, "%s: cannot start a stream: out of memory\n", c->prog);
	collector_stream_free(s);
	return -1;
}

void collector_stream_free(struct collector_stream *s)
{
	if (!s)
		return;
	kag_parser_free(s->parser);
	kag_session_free(s->session);
	free(s);
}

const kag_session *collector_stream_session(const struct collector_stream *s)
{
	return s->session;
}

uint64_t collector_stream_last(const struct collector_stream *s, int pstat)
{
	/* the parser is reset for each message: its counters are the last one's */
	return s->last_blank ? 0 : kag_parser_stat(s->parser, pstat);
}

static int oom(const struct collector_stream *s)
{
	fprintf(stderr, "%s: out of memory\n", s->c->prog);
	return -1;
}

static int put_error_summary(struct collector_stream *s, const struct errlimit_kind *k,
			     struct outbuf *out)
{
	char rec[ERRLIMIT_SUMMARY_MAX];
	int n = errlimit_summary_json(rec, sizeof(rec), k);

	if (n < 0 || outbuf_put(out, rec, (size_t)n, (size_t)-1) < 0)
		return oom(s);
	return 0;
}

/* Whether an error record of this kind is written (1) or held back (0; a
 * summary written when one is due), or -1 on a failure. */
static int admit_error(struct collector_stream *s, int code, const char *message,
		       const char *path, struct outbuf *out)
{
	struct errlimit_kind *kind;

	metrics_record_rejected(s->c->metrics, code);
	switch (errlimit_admit(&s->errors, code, message, path, &kind)) {
	case ERRLIMIT_WRITE:
		return 1;
	case ERRLIMIT_SUMMARY:
		return put_error_summary(s, kind, out);
	default:
		return 0;
	}
}

static int put_verdicts(struct collector_stream *s, const kag_result *res, struct outbuf *out)
{
	size_t i, n = kag_result_count(res);

	for (i = 0; i < n; i++) {
		const kag_verdict *v = kag_result_verdict(res, i);
		size_t len;
		const char *json;

		if (kag_verdict_render(&json, &len, v, s->c->schema) != KAG_OK ||
		    outbuf_put(out, json, len, (size_t)-1) < 0 ||
		    outbuf_put(out, "\n", 1, (size_t)-1) < 0)
			return oom(s);
		metrics_verdict(s->c->metrics, v);
	}
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int collector_judge(struct collector_stream *s, const char *msg, size_t len,
		    const char *source, struct outbuf *out)
{
	kag_parser *p = s->parser;
	struct timespec t0;
	size_t i;
	int rc;

	s->messages++;
	for (i = 0; i < len; i++)
		if (msg[i] != ' ' && msg[i] != '\t' && msg[i] != '\r' && msg[i] != '\n')
			break;
	if ((s->last_blank = i == len))
		return 0; /* blank: nothing to judge */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A message is a whole stream: a record cut short at its end is
	 * reported now, never joined with the next message. Error records name
	 * the message by source:line, or without a source by its ordinal. The
	 * parser reads the message where it is: it is done with it once it
	 * has read to the end, and is reset when judging stops before. */
	if (kag_parser_reset(p) < 0 || kag_parser_set_source(p, source) < 0 ||
	    (!source && kag_parser_set_option_u64(p, KAG_OPT_LINE, s->messages) < 0) ||
	    kag_parser_feed_nocopy(p, msg, len) < 0 || kag_parser_finish(p) < 0) {
		oom(s);
		goto stop;
	}
	for (;;) {
		const kag_event *ev;
		const kag_result *res;
		const char *json;
		size_t jlen;

		rc = kag_parser_next(&ev, p);
		if (rc == KAG_ITEROVER)
			break;
		if (rc == KAG_EINVAL) {
			fprintf(stderr, "%s: %s\n", s->c->prog, kag_strerror(rc));
			goto stop;
		}
		if (rc < 0) {
			int w = admit_error(s, rc, kag_parser_error_message(p),
					    kag_parser_error_path(p), out);

			if (w < 0)
				goto stop;
			if (w && (!(json = kag_parser_error_json(p, &jlen)) ||
				  outbuf_put(out, json, jlen, (size_t)-1) < 0 ||
				  outbuf_put(out, "\n", 1, (size_t)-1) < 0)) {
				oom(s);
				goto stop;
			}
			continue;
		}
		metrics_record_judged(s->c->metrics, ev);
		if ((rc = kag_session_evaluate(&res, s->session, ev)) < 0) {
			fprintf(stderr, "%s: evaluation failed: %s\n", s->c->prog, kag_strerror(rc));
			goto stop;
		}
		if (put_verdicts(s, res, out) < 0)
			goto stop;
	}
	metrics_records_skipped(s->c->metrics, kag_parser_stat(p, KAG_PSTAT_SKIPPED));
	metrics_judge_seconds(s->c->metrics, seconds_since(&t0));
	return 0;
stop:
	kag_parser_reset(p);
	return -1;
}

int collector_reject(struct collector_stream *s, int code, const char *message,
		     const char *source, struct outbuf *out)
{
	char tail[96];
	int rc;

	s->messages++;
	if ((rc = admit_error(s, code, message, "", out)) <= 0)
		return rc;
	if (outbuf_puts(out, "{\"error\":{\"code\":") < 0 ||
	    outbuf_put_json_string(out, kag_error_name(code)) < 0 ||
	    outbuf_puts(out, ",\"message\":") < 0 || outbuf_put_json_string(out, message) < 0 ||
	    outbuf_puts(out, ",\"source\":") < 0)
		return oom(s);
	if (source) {
		if (outbuf_put_json_string(out, source) < 0)
			return oom(s);
		snprintf(tail, sizeof(tail), ",\"offset\":0}}\n");
	} else {
		if (outbuf_puts(out, "null") < 0)
			return oom(s);
		snprintf(tail, sizeof(tail), ",\"line\":%llu,\"offset\":0}}\n",
			 (unsigned long long)s->messages);
	}
	return outbuf_puts(out, tail) < 0 ? oom(s) : 0;
}

int collector_finish(struct collector_stream *s, struct outbuf *out)
{
	const kag_result *res;
	const struct errlimit_kind *k;
	unsigned it = 0;
	int rc;

	/* requests seen only at RequestReceived: judged now */
	if ((rc = kag_session_flush(&res, s->session)) < 0) {
		fprintf(stderr, "%s: flush failed: %s\n", s->c->prog, kag_strerror(rc));
		return -1;
	}
	if (put_verdicts(s, res, out) < 0)
		return -1;
	while ((k = errlimit_pending(&s->errors, &it)) != NULL)
		if (put_error_summary(s, k, out) < 0)
			return -1;
	return 0;
}
