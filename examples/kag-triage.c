/*
 * kag-triage: judge Kubernetes audit logs from the command line.
 *
 *   kag-triage [options] [FILE ...]      (no FILE, or "-": standard input)
 *
 * Prints one JSON verdict record per line (or a table with --output=text),
 * one error record per rejected input record, and optionally a summary.
 * Memory stays constant whatever the size of the input.
 *
 * Exit status: 0 when every record was read and judged (whatever the
 * verdicts); 1 when a record was rejected or an input could not be read;
 * 2 on a usage error or a policy, rules, address or baseline file refused;
 * 3 with --fail-on=SEVERITY when a verdict at or above it was written (and
 * nothing earned a 1).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* getopt_long */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kag.h>

#include "baseline-file.h"
#include "errlimit.h"
#include "triage-parallel.h"
#include "triage-text.h"

/* JSON records (kag's own, or a verdict as an OCSF Detection Finding or an
 * ECS document; error and summary records are kag's in every one), or a
 * table. */
enum output { OUT_JSON, OUT_TEXT, OUT_OCSF, OUT_ECS };

struct triage {
	enum output output;
	struct triage_text *text;      /* --output=text: the table's rows */
	int all;
	int summary;
	/* what is written: --min-severity, --detector, --assessment */
	int min_severity;
	unsigned assessments;          /* bit per KAG_ASSESSMENT_*; 0: all */
	const char *detectors[64];     /* --detector IDs; none: all */
	int n_detectors;
	int fail_on;                   /* --fail-on: a KAG_SEVERITY_*, or -1 */
	int failed;                    /* a verdict at or above it was written */
	int out_failed;                /* the table could not be held */
	kag_session *session;
	const kag_registry *reg;
	uint64_t records, judged, rejected, skipped, verdicts;
	uint64_t by_assessment[4];
	int io_failed;
	int format, frontend;          /* parser options */
	struct triage_progress progress;
	uint64_t stream_bytes;         /* read from the current input */
	struct errlimit errors;        /* error records written and held back */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kag-triage [options] [FILE ...]\n"
		"Judge Kubernetes API-server audit events; FILE '-' or none reads stdin.\n"
		"Options take their value as --opt=VALUE or --opt VALUE.\n\n"
		"  -f, --format=FMT    auto (default), native, eventlist, gke, eks, aks\n"
		"                      or openshift: read only that input shape\n"
		"  -o, --output=OUT    json: NDJSON records (default); text: a table,\n"
		"                      the most severe first; ocsf or ecs: verdicts as\n"
		"                      OCSF 1.3.0 Detection Findings or ECS 8.11\n"
		"                      documents (error and summary records stay kag's)\n"
		"  -a, --all           also print benign and info verdicts\n"
		"      --min-severity=SEV  only verdicts at or above SEV (info, low,\n"
		"                      medium, high, critical)\n"
		"      --detector=ID   only verdicts of detector ID (repeatable, or a\n"
		"                      comma-separated list)\n"
		"      --assessment=A  only verdicts of assessment A: benign, suspicious,\n"
		"                      malicious, needs_context (repeatable, or a list;\n"
		"                      benign implies --all)\n"
		"      --fail-on=SEV   exit 3 when a verdict at or above SEV was written\n"
		"  -l, --list-detectors  describe every detector and exit\n"
		"  -s, --summary       print record and verdict counts at the end, and\n"
		"                      what the detectors could not judge, with the\n"
		"                      audit policy rules that would let them\n"
		"  -p, --policy=FILE   JSON policy: baselines, lists, thresholds, detectors\n"
		"  -r, --rules=FILE    JSON caller rules, judged next to the built-ins\n"
		"      --bad-sources=FILE  an address list for known_bad_source (one\n"
		"                      address or CIDR range a line, '#' comments),\n"
		"                      named after the file; repeatable\n"
		"      --baseline=FILE a learned baseline (kag-baseline/1): behaviour it\n"
		"                      has seen ranks lower, new behaviour says so\n"
		"      --learn         also learn from the input and write FILE back\n"
		"                      atomically at the end (FILE may not exist yet)\n"
		"      --parser=P      fast (the tokenizing front end, default when built)\n"
		"                      or jansson (the reference); the same verdicts\n"
		"  -j, --jobs=N        parse with N threads (default 1); the output is\n"
		"                      the same\n"
		"      --error-limit=N write the first N error records of each kind of\n"
		"                      fault and count the rest in error_summary\n"
		"                      records (default 10; 0: write them all)\n"
		"  -V, --version       print the library version and exit\n"
		"  -h, --help          this text\n\n"
		"Exit status: 0 every record read and judged; 1 a record rejected or an\n"
		"input unreadable; 2 usage error, or a policy, rules, address or baseline\n"
		"file refused; 3 --fail-on matched (when nothing earned a 1).\n");
}

/* A summary of the error records of one kind held back so far. */
static void print_error_summary(struct triage *t, const struct errlimit_kind *k)
{
	if (t->output != OUT_TEXT) {
		char rec[ERRLIMIT_SUMMARY_MAX];
		int n = errlimit_summary_json(rec, sizeof(rec), k);

		if (n > 0)
			fwrite(rec, 1, (size_t)n, stdout);
	} else if (triage_text_error_summary(t->text, k->code, (unsigned long long)k->suppressed,
					     (unsigned long long)k->seen, k->message) < 0) {
		t->out_failed = 1;
	}
}

/* A rejected record: the library's error record, or a line of the table. */
static void print_error(struct triage *t, const kag_parser *p, int code)
{
	struct errlimit_kind *kind;
	const char *json;
	size_t len;

	switch (errlimit_admit(&t->errors, code, kag_parser_error_message(p),
			       kag_parser_error_path(p), &kind)) {
	case ERRLIMIT_WRITE:
		break;
	case ERRLIMIT_SUMMARY:
		print_error_summary(t, kind);
		return;
	default:
		return;
	}
	if (t->output != OUT_TEXT) {
		if ((json = kag_parser_error_json(p, &len)) != NULL) {
			fwrite(json, 1, len, stdout);
			fputc('\n', stdout);
		}
	} else if (triage_text_error(t->text, kag_parser_source(p),
				     (unsigned long long)kag_parser_error_line(p), code,
				     kag_parser_error_path(p), kag_parser_error_message(p)) < 0) {
		t->out_failed = 1;
	}
}

/* Whether a verdict passes --min-severity, --detector and --assessment. */
static int wanted(const struct triage *t, const kag_verdict *v)
{
	int i, a = kag_verdict_assessment(v);

	if (kag_verdict_severity(v) < t->min_severity)
		return 0;
	if (t->assessments && (a < 0 || a > 3 || !(t->assessments & (1u << a))))
		return 0;
	if (!t->n_detectors)
		return 1;
	for (i = 0; i < t->n_detectors; i++)
		if (strcmp(t->detectors[i], kag_verdict_detector(v)) == 0)
			return 1;
	return 0;
}

static void print_verdicts(struct triage *t, const kag_result *res)
{
	size_t i, n = kag_result_count(res);

	for (i = 0; i < n; i++) {
		const kag_verdict *v = kag_result_verdict(res, i);
		int a = kag_verdict_assessment(v);

		t->verdicts++;
		if (a >= 0 && a < 4)
			t->by_assessment[a]++;
		if (!wanted(t, v))
			continue;
		if (t->fail_on >= 0 && kag_verdict_severity(v) >= t->fail_on)
			t->failed = 1;
		if (t->output != OUT_TEXT) {
			static const int schemas[] = { KAG_SCHEMA_KAG, 0, KAG_SCHEMA_OCSF,
						       KAG_SCHEMA_ECS };
			size_t len;
			const char *json;

			if (kag_verdict_render(&json, &len, v, schemas[t->output]) != KAG_OK) {
				fprintf(stderr, "kag-triage: out of memory\n");
				t->io_failed = 1;
				continue;
			}
			fwrite(json, 1, len, stdout);
			fputc('\n', stdout);
		} else if (triage_text_verdict(t->text, v) < 0) {
			t->out_failed = 1;
		}
	}
}

/* One result of kag_parser_next(): judge the event or report the record. */
int triage_result(struct triage *t, const kag_parser *p, int rc, const kag_event *ev)
{
	const kag_result *res;

	if (rc == KAG_EINVAL) {
		fprintf(stderr, "kag-triage: %s\n", kag_strerror(rc));
		return -1;
	}
	if (rc < 0) {
		t->rejected++;
		print_error(t, p, rc);
		return 0;
	}
	t->judged++;
	rc = kag_session_evaluate(&res, t->session, ev);
	if (rc < 0) {
		fprintf(stderr, "kag-triage: evaluation failed: %s\n", kag_strerror(rc));
		return -1;
	}
	print_verdicts(t, res);
	return 0;
}

/* Pull every complete record the parser holds. */
static int drain(struct triage *t, kag_parser *p)
{
	for (;;) {
		const kag_event *ev;
		int rc = kag_parser_next(&ev, p);

		if (rc == KAG_ITEROVER)
			return 0;
		if (triage_result(t, p, rc, ev) < 0)
			return -1;
	}
}

int triage_setup_parser(struct triage *t, kag_parser *p)
{
	if (kag_parser_set_option_u64(p, KAG_OPT_FORMAT, (uint64_t)t->format) < 0 ||
	    (t->frontend && kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, (uint64_t)t->frontend) < 0))
		return -1;
	return 0;
}

void triage_count(struct triage *t, uint64_t records, uint64_t skipped)
{
	t->records += records;
	t->skipped += skipped;
}

void triage_tick(struct triage *t, uint64_t bytes)
{
	t->stream_bytes = bytes;
	triage_progress_show(&t->progress, bytes, t->judged,
			     t->by_assessment[1] + t->by_assessment[2] + t->by_assessment[3]);
}

/* Read a stream in chunks of TRIAGE_CHUNK and hand the parser each read
 * up to its last line end, where records most often end: the parser reads
 * those bytes where they are (kag_parser_feed_nocopy()), and what follows
 * the line end waits for the next read. Two buffers take turns, so the
 * bytes the parser may still hold (a record that goes on past the line
 * end) stay as they are until the next feed, which copies them. */
#define TRIAGE_CHUNK (1 << 16)

static int triage_stream(struct triage *t, kag_parser *p, FILE *in, const char *name)
{
	static char bufs[2][2 * TRIAGE_CHUNK];
	size_t have = 0, n, cut;
	int cur = 0;

	kag_parser_reset(p); /* counters restart: add them up per stream */
	if (kag_parser_set_source(p, name) < 0)
		return -1;
	while ((n = fread(bufs[cur] + have, 1, TRIAGE_CHUNK, in)) > 0) {
		char *b = bufs[cur];

		have += n;
		for (cut = have; cut > 0 && b[cut - 1] != '\n'; cut--)
			;
		if (have - cut >= TRIAGE_CHUNK)
			cut = have; /* a long line: the parser keeps its start */
		if (kag_parser_feed_nocopy(p, b, cut) < 0 || drain(t, p) < 0)
			return -1;
		triage_tick(t, t->stream_bytes + cut);
		cur ^= 1;
		memcpy(bufs[cur], b + cut, have - cut);
		have -= cut;
	}
	if (ferror(in)) {
		fprintf(stderr, "kag-triage: %s: read error: %s\n", name, strerror(errno));
		t->io_failed = 1;
	}
	if (kag_parser_feed_nocopy(p, bufs[cur], have) < 0 || kag_parser_finish(p) < 0 ||
	    drain(t, p) < 0)
		return -1;
	triage_tick(t, t->stream_bytes + have);
	triage_count(t, kag_parser_stat(p, KAG_PSTAT_RECORDS),
		     kag_parser_stat(p, KAG_PSTAT_SKIPPED));
	return 0;
}

static int list_detectors(kag_registry *r)
{
	size_t i;

	for (i = 0; i < kag_registry_count(r); i++) {
		printf("%s\n  %s\n", kag_registry_detector_id(r, i),
		       kag_registry_detector_title(r, i));
		{
			const char *doc = kag_registry_detector_doc(r, i);

			printf("  ");
			for (; *doc; doc++) {
				putchar(*doc);
				if (*doc == '\n')
					printf("  ");
			}
			printf("\n\n");
		}
	}
	return 0;
}

/* The command line, as read by parse_args(). */
#define MAX_BAD_SOURCES 16

struct options {
	char **files;      /* file operands (none: standard input) */
	int nfiles;
	int list;          /* --list-detectors */
	int format, frontend;
	int jobs;          /* --jobs; 1 unless asked */
	const char *policy_file, *rules_file;
	const char *baseline_file; /* --baseline=FILE */
	int learn;                 /* --learn */
	const char *bad_sources[MAX_BAD_SOURCES]; /* --bad-sources=FILE */
	int n_bad_sources;
};

/* --bad-sources=FILE, repeatable. */
static int add_bad_sources(struct options *o, const char *path)
{
	if (!*path || o->n_bad_sources == MAX_BAD_SOURCES) {
		fprintf(stderr, "kag-triage: --bad-sources=FILE takes a file, at most %d times\n",
			MAX_BAD_SOURCES);
		return 2;
	}
	o->bad_sources[o->n_bad_sources++] = path;
	return -1;
}

/* The index of name in names[0, n), or -1. */
static int name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* --format=NAME: names[i] is KAG_FORMAT_* value i. */
static int parse_format(struct options *o, const char *f)
{
	static const char *const names[] = { "auto", "native", "eventlist", "gke", "eks", "aks",
					     "openshift" };

	if ((o->format = name_index(names, 7, f)) < 0) {
		fprintf(stderr, "kag-triage: unknown --format=%s (auto, native, eventlist, gke, "
			"eks, aks, openshift)\n", f);
		return 2;
	}
	return -1;
}

static int parse_parser(struct options *o, const char *name)
{
	if (strcmp(name, "jansson") == 0) {
		o->frontend = KAG_FRONTEND_JANSSON;
	} else if (strcmp(name, "fast") == 0) {
		if (!(kag_features() & KAG_FEATURE_FAST_FRONTEND)) {
			fprintf(stderr, "kag-triage: --parser=fast: this libkag was built without "
				"the fast front end\n");
			return 2;
		}
		o->frontend = KAG_FRONTEND_FAST;
	} else {
		fprintf(stderr, "kag-triage: unknown --parser=%s (fast, jansson)\n", name);
		return 2;
	}
	return -1;
}

static int parse_jobs(struct options *o, const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (end == arg || *end || n < 1 || n > 256) {
		fprintf(stderr, "kag-triage: --jobs takes a number from 1 to 256\n");
		return 2;
	}
	o->jobs = (int)n;
	return -1;
}

/* A severity name (info ... critical) into *out. */
static int parse_severity(const char *opt, const char *arg, int *out)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	/* names[i] is KAG_SEVERITY_* value i */
	if ((*out = name_index(names, 5, arg)) < 0) {
		fprintf(stderr, "kag-triage: unknown --%s=%s (info, low, medium, high, "
			"critical)\n", opt, arg);
		return 2;
	}
	return -1;
}

/* --assessment=A[,A...], repeatable. */
static int parse_assessments(struct triage *t, char *arg)
{
	static const char *const names[] = { "benign", "suspicious", "malicious",
					     "needs_context" };
	char *tok, *save = NULL;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		/* names[i] is KAG_ASSESSMENT_* value i */
		int a = name_index(names, 4, tok);

		if (a < 0) {
			fprintf(stderr, "kag-triage: unknown --assessment=%s (benign, suspicious, "
				"malicious, needs_context)\n", tok);
			return 2;
		}
		t->assessments |= 1u << a;
		if (a == KAG_ASSESSMENT_BENIGN)
			t->all = 1; /* benign verdicts are only returned with --all */
	}
	return -1;
}

/* --detector=ID[,ID...], repeatable; the ids are checked once the
 * registry is loaded (check_detectors). */
static int parse_detectors(struct triage *t, char *arg)
{
	char *tok, *save = NULL;
	int max = (int)(sizeof(t->detectors) / sizeof(t->detectors[0]));

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (t->n_detectors == max) {
			fprintf(stderr, "kag-triage: --detector: at most %d ids\n", max);
			return 2;
		}
		t->detectors[t->n_detectors++] = tok;
	}
	return -1;
}

/* Long options without a short form. */
enum {
	OPT_LEARN = 256, OPT_BASELINE, OPT_BAD_SOURCES, OPT_PARSER, OPT_ERROR_LIMIT,
	OPT_MIN_SEVERITY, OPT_DETECTOR, OPT_ASSESSMENT, OPT_FAIL_ON
};

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "all", no_argument, NULL, 'a' },
	{ "summary", no_argument, NULL, 's' },
	{ "list-detectors", no_argument, NULL, 'l' },
	{ "policy", required_argument, NULL, 'p' },
	{ "rules", required_argument, NULL, 'r' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "learn", no_argument, NULL, OPT_LEARN },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "bad-sources", required_argument, NULL, OPT_BAD_SOURCES },
	{ "parser", required_argument, NULL, OPT_PARSER },
	{ "error-limit", required_argument, NULL, OPT_ERROR_LIMIT },
	{ "min-severity", required_argument, NULL, OPT_MIN_SEVERITY },
	{ "detector", required_argument, NULL, OPT_DETECTOR },
	{ "assessment", required_argument, NULL, OPT_ASSESSMENT },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ NULL, 0, NULL, 0 }
};

/* One option from getopt_long(): -1 to go on, or the exit status. */
static int parse_option(struct triage *t, struct options *o, int c, char *arg)
{
	switch (c) {
	case 'f': return parse_format(o, arg);
	case 'j': return parse_jobs(o, arg);
	case OPT_PARSER: return parse_parser(o, arg);
	case OPT_BAD_SOURCES: return add_bad_sources(o, arg);
	case OPT_MIN_SEVERITY: return parse_severity("min-severity", arg, &t->min_severity);
	case OPT_FAIL_ON: return parse_severity("fail-on", arg, &t->fail_on);
	case OPT_ASSESSMENT: return parse_assessments(t, arg);
	case OPT_DETECTOR: return parse_detectors(t, arg);
	case OPT_ERROR_LIMIT:
		if (errlimit_parse(&t->errors, arg) < 0) {
			fprintf(stderr, "kag-triage: --error-limit=N takes a number (0: no "
				"limit)\n");
			return 2;
		}
		break;
	case 'o':
		if (strcmp(arg, "json") == 0) {
			t->output = OUT_JSON;
		} else if (strcmp(arg, "text") == 0) {
			t->output = OUT_TEXT;
		} else if (strcmp(arg, "ocsf") == 0) {
			t->output = OUT_OCSF;
		} else if (strcmp(arg, "ecs") == 0) {
			t->output = OUT_ECS;
		} else {
			fprintf(stderr, "kag-triage: unknown --output=%s (json, text, ocsf, "
				"ecs)\n", arg);
			return 2;
		}
		break;
	case 'a': t->all = 1; break;
	case 's': t->summary = 1; break;
	case 'l': o->list = 1; break;
	case 'p': o->policy_file = arg; break;
	case 'r': o->rules_file = arg; break;
	case OPT_BASELINE: o->baseline_file = arg; break;
	case OPT_LEARN: o->learn = 1; break;
	case 'V':
		printf("kag-triage %s\n", kag_version_string());
		return 0;
	case 'h':
		usage(stdout);
		return 0;
	default:
		return 2;
	}
	return -1;
}

/* -1 to go on, or the exit status. Operands (files) may come between the
 * options; "--" ends the options. */
static int parse_args(struct triage *t, struct options *o, int argc, char **argv)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->format = KAG_FORMAT_AUTO;
	o->jobs = 1;
	opterr = 0; /* the messages below name the program, not its path */
	while ((c = getopt_long(argc, argv, ":f:o:aslp:r:j:Vh", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *a = argv[optind - 1];
			char shortopt[3] = { '-', (char)optopt, '\0' };
			int n = (int)strcspn(a, "=");

			/* a short option is named alone, also out of a cluster */
			if (strncmp(a, "--", 2) != 0) {
				a = shortopt;
				n = 2;
			}
			fprintf(stderr, c == '?' ? "kag-triage: unknown option '%.*s'\n"
						 : "kag-triage: option '%.*s' needs a value\n", n, a);
			fprintf(stderr, "usage: kag-triage [options] [FILE ...] "
				"(kag-triage --help lists the options)\n");
			return 2;
		}
		if ((rc = parse_option(t, o, c, optarg)) >= 0)
			return rc;
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	return -1;
}

/* Every --detector is a detector of the registry (built-in or rule). */
static int check_detectors(const struct triage *t, const kag_registry *reg)
{
	int i;
	size_t k;

	for (i = 0; i < t->n_detectors; i++) {
		for (k = 0; k < kag_registry_count(reg); k++)
			if (strcmp(kag_registry_detector_id(reg, k), t->detectors[i]) == 0)
				break;
		if (k == kag_registry_count(reg)) {
			fprintf(stderr, "kag-triage: --detector=%s: no such detector "
				"(kag-triage --list-detectors)\n", t->detectors[i]);
			return 2;
		}
	}
	return -1;
}

/* The registry with the caller's rules and policy: -1 to go on, or the
 * exit status (--list-detectors ends here). */
static int load_registry(kag_registry **out, const struct options *o)
{
	int i, rc;

	if (kag_registry_new(out) < 0) {
		fprintf(stderr, "kag-triage: cannot initialise: out of memory\n");
		return 1;
	}
	/* rules first, so that the policy can enable or disable them */
	if ((o->rules_file && tool_load_registry_file(*out, "kag-triage", o->rules_file,
						      kag_registry_load_rules) < 0) ||
	    (o->policy_file && tool_load_registry_file(*out, "kag-triage", o->policy_file,
						       kag_registry_load_policy) < 0)) {
		kag_registry_free(*out);
		return 2;
	}
	/* after the policy: a file replaces a policy list of its name */
	for (i = 0; i < o->n_bad_sources; i++) {
		if (tool_load_registry_file(*out, "kag-triage", o->bad_sources[i], NULL) < 0) {
			kag_registry_free(*out);
			return 2;
		}
	}
	if (o->list) {
		rc = list_detectors(*out);
		kag_registry_free(*out);
		return rc;
	}
	return -1;
}

/* Every input in turn (standard input when there is none): 1 when one
 * could not be judged to its end. */
static int judge_inputs(struct triage *t, const struct options *o, kag_parser *p,
			triage_pool *pool)
{
	int i, rc = 0;

	for (i = 0; i < o->nfiles || (i == 0 && o->nfiles == 0); i++) {
		const char *a = o->nfiles == 0 ? "-" : o->files[i];
		FILE *in;

		if (strcmp(a, "-") == 0) {
			in = stdin;
			a = "<stdin>";
		} else if (!(in = fopen(a, "rb"))) {
			fprintf(stderr, "kag-triage: %s: %s\n", a, strerror(errno));
			t->io_failed = 1;
			continue;
		}
		if ((pool ? triage_pool_stream(pool, in, a, &t->io_failed)
			  : triage_stream(t, p, in, a)) < 0)
			rc = 1;
		triage_progress_next(&t->progress, t->stream_bytes);
		t->stream_bytes = 0;
		if (in != stdin)
			fclose(in);
		if (rc)
			break;
	}
	return rc;
}

/* What each detector could not judge, one line each, and the audit policy
 * rules that would let it (kag_session_coverage_policy). */
static void print_coverage_text(const struct triage *t)
{
	static const struct {
		const char *name;
		int stat;
	} reasons[] = {
		{ "level", KAG_DSTAT_REASON_LEVEL }, { "field", KAG_DSTAT_REASON_FIELD },
		{ "outcome", KAG_DSTAT_REASON_OUTCOME }, { "stage", KAG_DSTAT_REASON_STAGE },
		{ "other", KAG_DSTAT_REASON_OTHER },
	};
	const char *policy = kag_session_coverage_policy(t->session, NULL);
	size_t i, r, shown = 0;

	for (i = 0; i < kag_registry_count(t->reg); i++) {
		uint64_t n = kag_session_detector_stat(t->session, i, KAG_DSTAT_UNJUDGED);
		uint64_t weak = kag_session_detector_stat(t->session, i, KAG_DSTAT_WEAKENED);

		if (!n && !weak)
			continue;
		if (!shown++)
			printf("\ncoverage: events the detectors could not judge, and why\n");
		printf("  %-24s %llu not judged (", kag_registry_detector_id(t->reg, i),
		       (unsigned long long)n);
		for (r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++)
			printf("%s %llu, ", reasons[r].name, (unsigned long long)
			       kag_session_detector_stat(t->session, i, reasons[r].stat));
		printf("needs_context %llu), %llu weakened\n",
		       (unsigned long long)kag_session_detector_stat(t->session, i,
								     KAG_DSTAT_UNJUDGED_VERDICTS),
		       (unsigned long long)weak);
	}
	if (policy && *policy)
		printf("\n%s", policy);
}

static void print_summary(const struct triage *t)
{
	const char *coverage = NULL;

	if (t->output != OUT_TEXT)
		coverage = kag_session_coverage_json(t->session, NULL);
	else
		print_coverage_text(t); /* the counts stay the last line */
	/* one set of counts, as a JSON record or as a sentence */
	printf(t->output != OUT_TEXT
		       ? "{\"summary\":{\"records\":%llu,\"judged\":%llu,\"rejected\":%llu,"
			 "\"skipped\":%llu,\"verdicts\":%llu,\"benign\":%llu,"
			 "\"suspicious\":%llu,\"malicious\":%llu,\"needs_context\":%llu,"
			 "\"duplicates\":%llu"
		       : "\nrecords %llu = judged %llu + rejected %llu + skipped %llu; "
			 "verdicts %llu (benign %llu, suspicious %llu, malicious %llu, "
			 "needs_context %llu); duplicate stages %llu\n",
	       (unsigned long long)t->records, (unsigned long long)t->judged,
	       (unsigned long long)t->rejected, (unsigned long long)t->skipped,
	       (unsigned long long)t->verdicts, (unsigned long long)t->by_assessment[0],
	       (unsigned long long)t->by_assessment[1], (unsigned long long)t->by_assessment[2],
	       (unsigned long long)t->by_assessment[3],
	       (unsigned long long)kag_session_stat(t->session, KAG_SSTAT_DUPLICATES));
	if (t->output != OUT_TEXT)
		printf(",\"coverage\":%s}}\n", coverage ? coverage : "null");
}

/* After the inputs: the verdicts still held, the pending error summaries,
 * the summary; 1 when the output could not be written. */
static int finish(struct triage *t, int judged_all)
{
	const struct errlimit_kind *k;
	const kag_result *res;
	unsigned it = 0;

	if (judged_all && kag_session_flush(&res, t->session) == KAG_OK)
		print_verdicts(t, res);
	while ((k = errlimit_pending(&t->errors, &it)) != NULL)
		print_error_summary(t, k);
	if (t->text && !t->out_failed && triage_text_write(t->text, stdout) < 0)
		t->out_failed = 1;
	if (t->summary)
		print_summary(t);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kag-triage: write error: %s\n", strerror(errno));
		return 1;
	}
	return t->out_failed;
}

int main(int argc, char **argv)
{
	struct triage t;
	struct options o;
	kag_registry *reg = NULL;
	kag_parser *p = NULL;
	kag_baseline *baseline = NULL;
	triage_pool *pool = NULL;
	int rc;

	memset(&t, 0, sizeof(t));
	t.fail_on = -1;
	triage_progress_init(&t.progress);
	errlimit_init(&t.errors, ERRLIMIT_DEFAULT);
	if ((rc = parse_args(&t, &o, argc, argv)) >= 0)
		return rc;
	if (o.learn && !o.baseline_file) {
		fprintf(stderr, "kag-triage: --learn needs --baseline=FILE\n");
		return 2;
	}
	if ((rc = load_registry(&reg, &o)) >= 0)
		return rc;
	if ((rc = check_detectors(&t, reg)) >= 0) {
		kag_registry_free(reg);
		return rc;
	}
	t.format = o.format;
	t.reg = reg;
	t.frontend = o.frontend;
	rc = 0;
	if (kag_registry_seal(reg) < 0 ||
	    kag_session_new(&t.session, reg) < 0 || kag_parser_new(&p) < 0 ||
	    triage_setup_parser(&t, p) < 0 ||
	    kag_session_set_option_u64(t.session, KAG_SOPT_EMIT_BENIGN, (uint64_t)t.all) < 0) {
		fprintf(stderr, "kag-triage: cannot initialise: out of memory\n");
		rc = 1;
		goto out;
	}
	if (o.baseline_file &&
	    (kag_baseline_new(&baseline) < 0 ||
	     baseline_file_load(baseline, "kag-triage", o.baseline_file, o.learn) < 0 ||
	     kag_session_set_baseline(t.session, baseline, o.learn) < 0)) {
		rc = 2;
		goto out;
	}
	if (t.output == OUT_TEXT && triage_text_new(&t.text) < 0) {
		rc = 1;
		goto out;
	}
	/* --jobs: parsing threads; without them (or if they cannot start),
	 * one thread reads, parses and judges */
	if (o.jobs > 1)
		triage_pool_new(&pool, &t, o.jobs, o.format);
	rc = judge_inputs(&t, &o, p, pool);
	triage_pool_free(pool);
	pool = NULL;
	triage_progress_done(&t.progress);
	if (finish(&t, !rc))
		rc = 1;
	if (t.io_failed && !rc)
		rc = 1;
	/* a baseline is written back only when every input was read to its
	 * end (records rejected on the way do not stop that) */
	if (o.learn && !rc && baseline_file_save(baseline, "kag-triage", o.baseline_file) < 0)
		rc = 1;
	/* a rejected record is an input error; --fail-on only when none */
	if (!rc && t.rejected)
		rc = 1;
	if (!rc && t.failed)
		rc = 3;
out:
	triage_pool_free(pool);
	triage_text_free(t.text);
	kag_parser_free(p);
	kag_session_free(t.session);
	kag_baseline_free(baseline);
	kag_registry_free(reg);
	return rc;
}
