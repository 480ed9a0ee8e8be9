/*
 * kag-triage: judge Kubernetes audit logs from the command line.
 *
 *   kag-triage [options] [FILE ...]      (no FILE, or "-": standard input)
 *
 * Prints one JSON verdict record per line (or a table with --output=text),
 * one error record per rejected input record, and optionally a summary.
 * Memory stays constant whatever the size of the input.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kag.h>

#include "baseline-file.h"
#include "errlimit.h"
#include "triage-parallel.h"

/* JSON records (kag's own, or a verdict as an OCSF Detection Finding or an
 * ECS document; error and summary records are kag's in every one), or a
 * table. */
enum output { OUT_JSON, OUT_TEXT, OUT_OCSF, OUT_ECS };

struct triage {
	enum output output;
	int all;
	int summary;
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
		"usage: kag-triage [options] [FILE ...]\n"
		"Judge Kubernetes API-server audit events; FILE '-' or none reads stdin.\n\n"
		"  --format=FMT        auto (default), native, eventlist, gke, eks, aks\n"
		"                      or openshift: read only that input shape\n"
		"  --output=json|text  NDJSON verdict records (default) or a table\n"
		"  --output=ocsf|ecs   verdicts as OCSF 1.3.0 Detection Findings or ECS\n"
		"                      8.11 documents (error and summary records stay\n"
		"                      kag's)\n"
		"  --all               also print benign and info verdicts\n"
		"  --list-detectors    describe every detector and exit\n"
		"  --summary           print record and verdict counts at the end, and\n"
		"                      what the detectors could not judge, with the\n"
		"                      audit policy rules that would let them\n"
		"  --policy=FILE       JSON policy: baselines, lists, thresholds, detectors\n"
		"  --rules=FILE        JSON caller rules, judged next to the built-ins\n"
		"  --bad-sources=FILE  an address list for known_bad_source (one address\n"
		"                      or CIDR range a line, '#' comments), named after\n"
		"                      the file; repeatable\n"
		"  --baseline=FILE     a learned baseline (kag-baseline/1): behaviour it\n"
		"                      has seen ranks lower, new behaviour says so\n"
		"  --learn             also learn from the input and write FILE back\n"
		"                      atomically at the end (FILE may not exist yet)\n"
		"  --parser=P          fast (the tokenizing front end, default when built)\n"
		"                      or jansson (the reference); the same verdicts\n"
		"  --jobs=N            parse with N threads (default: the cores online;\n"
		"                      1: one thread); the output is the same\n"
		"  --error-limit=N     write the first N error records of each kind of\n"
		"                      fault and count the rest in error_summary\n"
		"                      records (default 10; 0: write them all)\n"
		"  --version           print the library version and exit\n"
		"  -h, --help          this text\n");
}

/* A summary of the error records of one kind held back so far. */
static void print_error_summary(struct triage *t, const struct errlimit_kind *k)
{
	if (t->output != OUT_TEXT) {
		char rec[ERRLIMIT_SUMMARY_MAX];
		int n = errlimit_summary_json(rec, sizeof(rec), k);

		if (n > 0)
			fwrite(rec, 1, (size_t)n, stdout);
	} else {
		printf("%-8s %-13s %-20s %-11s %s  %llu of %llu records held back, like: %s\n",
		       "ERRORS", k->code ? kag_error_name(k->code) : "-", "-", "-", "-",
		       (unsigned long long)k->suppressed, (unsigned long long)k->seen, k->message);
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
	} else {
		const char *path = kag_parser_error_path(p);

		printf("%-8s %-13s %-20s %-11s %s:%llu  %s%s%s\n", "ERROR", kag_error_name(code),
		       "-", "-", kag_parser_source(p),
		       (unsigned long long)kag_parser_error_line(p), path,
		       *path ? ": " : "", kag_parser_error_message(p));
	}
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
		} else {
			uint64_t reps = kag_verdict_repeat_count(v);

			printf("%-8s %-13s %-20s %-11s %s  %s", kag_severity_name(kag_verdict_severity(v)),
			       kag_assessment_name(a), kag_verdict_detector(v),
			       kag_outcome_name(kag_verdict_outcome(v)), kag_verdict_source(v),
			       kag_verdict_reason(v));
			if (reps)
				printf(" (repeated %llu more times in the window)", (unsigned long long)reps);
			putchar('\n');
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

static int triage_stream(struct triage *t, kag_parser *p, FILE *in, const char *name)
{
	static char chunk[1 << 16];
	size_t n;

	kag_parser_reset(p); /* counters restart: add them up per stream */
	if (kag_parser_set_source(p, name) < 0)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		if (kag_parser_feed(p, chunk, n) < 0 || drain(t, p) < 0)
			return -1;
		triage_tick(t, t->stream_bytes + n);
	}
	if (ferror(in)) {
		fprintf(stderr, "kag-triage: %s: read error: %s\n", name, strerror(errno));
		t->io_failed = 1;
	}
	if (kag_parser_finish(p) < 0 || drain(t, p) < 0)
		return -1;
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
	int nfiles;        /* file operands */
	int literal;       /* argv[literal...] are file names (after "--") */
	int list;          /* --list-detectors */
	int format, frontend;
	int jobs;          /* 0: the cores online */
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

/* --format=NAME: names[i] is KAG_FORMAT_* value i. */
static int parse_format(struct options *o, const char *f)
{
	static const char *const names[] = { "auto", "native", "eventlist", "gke", "eks", "aks",
					     "openshift" };

	for (o->format = 0; o->format < 7 && strcmp(f, names[o->format]); o->format++)
		;
	if (o->format == 7) {
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
				"the fast front end (jsmn)\n");
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
		fprintf(stderr, "kag-triage: --jobs=N takes a number from 1 to 256\n");
		return 2;
	}
	o->jobs = (int)n;
	return -1;
}

/* One option that stands alone (not "--" nor "--policy FILE"): -1 to go on,
 * or the exit status. */
static int parse_option(struct triage *t, struct options *o, const char *a)
{
	if (strncmp(a, "--format=", 9) == 0)
		return parse_format(o, a + 9);
	if (strncmp(a, "--parser=", 9) == 0)
		return parse_parser(o, a + 9);
	if (strncmp(a, "--jobs=", 7) == 0)
		return parse_jobs(o, a + 7);
	if (strncmp(a, "--bad-sources=", 14) == 0)
		return add_bad_sources(o, a + 14);
	if (strncmp(a, "--error-limit=", 14) == 0) {
		if (errlimit_parse(&t->errors, a + 14) < 0) {
			fprintf(stderr, "kag-triage: --error-limit=N takes a number (0: no "
				"limit)\n");
			return 2;
		}
	} else if (strcmp(a, "--output=json") == 0) {
		t->output = OUT_JSON;
	} else if (strcmp(a, "--output=text") == 0) {
		t->output = OUT_TEXT;
	} else if (strcmp(a, "--output=ocsf") == 0) {
		t->output = OUT_OCSF;
	} else if (strcmp(a, "--output=ecs") == 0) {
		t->output = OUT_ECS;
	} else if (strcmp(a, "--all") == 0) {
		t->all = 1;
	} else if (strcmp(a, "--summary") == 0) {
		t->summary = 1;
	} else if (strcmp(a, "--list-detectors") == 0) {
		o->list = 1;
	} else if (strncmp(a, "--policy=", 9) == 0 || strncmp(a, "--rules=", 8) == 0) {
		*(a[2] == 'p' ? &o->policy_file : &o->rules_file) = strchr(a, '=') + 1;
	} else if (strncmp(a, "--baseline=", 11) == 0) {
		o->baseline_file = a + 11;
	} else if (strcmp(a, "--learn") == 0) {
		o->learn = 1;
	} else if (strcmp(a, "--version") == 0) {
		printf("kag-triage %s\n", kag_version_string());
		return 0;
	} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		usage(stdout);
		return 0;
	} else {
		fprintf(stderr, "kag-triage: unknown option '%s'\n", a);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* -1 to go on, or the exit status. */
static int parse_args(struct triage *t, struct options *o, int argc, char **argv)
{
	int i, rc;

	memset(o, 0, sizeof(*o));
	o->literal = argc;
	o->format = KAG_FORMAT_AUTO;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) { /* the rest are file names */
			o->literal = i + 1;
			o->nfiles += argc - o->literal;
			break;
		}
		if (strcmp(a, "--policy") == 0 || strcmp(a, "--rules") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kag-triage: %s needs a FILE\n", a);
				return 2;
			}
			*(a[2] == 'p' ? &o->policy_file : &o->rules_file) = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			if ((rc = parse_option(t, o, a)) >= 0)
				return rc;
		} else {
			o->nfiles++;
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

/* Whether argv[i] is an input to read (not an option or its FILE). */
static int is_input(const struct options *o, char **argv, int i)
{
	const char *a = argv[i];

	if (i < o->literal && a[0] == '-' && a[1] != '\0')
		return 0;
	if (i < o->literal && (strcmp(argv[i - 1], "--policy") == 0 ||
			       strcmp(argv[i - 1], "--rules") == 0))
		return 0; /* the FILE of --policy FILE */
	return 1;
}

/* Every input in turn (standard input when there is none): 1 when one
 * could not be judged to its end. */
static int judge_inputs(struct triage *t, const struct options *o, kag_parser *p,
			triage_pool *pool, int argc, char **argv)
{
	int i, rc = 0;

	for (i = 1; i < argc || o->nfiles == 0; i++) {
		const char *a = o->nfiles == 0 ? "-" : argv[i];
		FILE *in;

		if (o->nfiles && !is_input(o, argv, i))
			continue;
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
		if (rc || o->nfiles == 0)
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
	if (t->summary)
		print_summary(t);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "kag-triage: write error: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct triage t;
	struct options o;
	kag_registry *reg = NULL;
	kag_parser *p = NULL;
	kag_baseline *baseline = NULL;
	triage_pool *pool = NULL;
	int rc, jobs;

	memset(&t, 0, sizeof(t));
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
	if (t.output == OUT_TEXT)
		printf("%-8s %-13s %-20s %-11s %s  %s\n", "SEVERITY", "ASSESSMENT", "DETECTOR",
		       "OUTCOME", "SOURCE", "REASON");
	/* --jobs: parsing threads; without them (or if they cannot start),
	 * one thread reads, parses and judges */
	jobs = o.jobs ? o.jobs : triage_default_jobs();
	if (jobs > 1)
		triage_pool_new(&pool, &t, jobs, o.format);
	rc = judge_inputs(&t, &o, p, pool, argc, argv);
	triage_pool_free(pool);
	pool = NULL;
	triage_progress_done(&t.progress);
	if (finish(&t, !rc))
		rc = 1;
	if (t.io_failed && !rc)
		rc = 1;
	/* a baseline is written back only when every input was judged */
	if (o.learn && !rc && baseline_file_save(baseline, "kag-triage", o.baseline_file) < 0)
		rc = 1;
out:
	triage_pool_free(pool);
	kag_parser_free(p);
	kag_session_free(t.session);
	kag_baseline_free(baseline);
	kag_registry_free(reg);
	return rc;
}
