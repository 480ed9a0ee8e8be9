/*
 * kag-filter: judge a stream of audit records inside a log collector.
 *
 *   kag-filter [options]                  records on stdin, one per line
 *
 * One input line is one message is one audit record (a native event, an
 * EventList, a cloud-provider record: whatever kag-triage reads, as long as
 * it fits on one line). For each message kag-filter writes the verdict
 * records (design.md section 6), or one error record when the message is
 * rejected, then moves on: a bad message never stops the stream. One
 * session lives as long as the process, so correlation (stage
 * de-duplication, probing and secret bursts) spans messages. Memory stays
 * bounded: a message longer than --max-line is dropped (and reported as a
 * KAG_ELIMIT error record) while it is read, and the session's tables have
 * fixed capacities. At end of input, SIGTERM, SIGINT or (without an output
 * file) SIGHUP, kag-filter finishes the message in hand, releases the
 * verdicts still held for requests seen only at RequestReceived
 * (kag_session_flush) and exits 0.
 *
 * Two modes:
 *
 * Plain (default): verdicts on stdout, written as soon as each message has
 *   been judged. For Fluent Bit's exec input or Vector's exec source, with
 *   the collector reading kag-filter's stdout (`tail -n +1` starts at the
 *   top of the log on every start; `-n 0` follows new records only):
 *
 *     Fluent Bit:  [INPUT]
 *                      Name     exec
 *                      Command  tail -n +1 -F /var/log/kube-audit.log | kag-filter
 *                      Oneshot  true
 *                      Parser   json
 *                      Buf_Size 1MB
 *     Vector:      [sources.kag]
 *                  type = "exec"
 *                  mode = "streaming"
 *                  command = ["sh", "-c", "tail -n +1 -F /var/log/kube-audit.log | kag-filter"]
 *                  decoding.codec = "json"
 *
 * Confirmed (--confirm): rsyslog's omprog with confirmMessages="on". stdout
 *   is then the confirmation channel: kag-filter prints "OK" once it is
 *   ready, and "OK" after each message once its verdicts are written, so
 *   verdicts go to --output=FILE (required), opened in append mode and
 *   handed to the kernel with write(2) (nothing left buffered in the
 *   process) before the message is confirmed. A message kag-filter dies on is never
 *   confirmed: rsyslog starts a new kag-filter and sends the message again,
 *   so nothing is lost and, unless the process dies between writing a
 *   message's verdicts and confirming it, nothing is judged twice. SIGHUP
 *   reopens the output file (for logrotate: hup.signal="HUP" forwards
 *   rsyslog's HUP). Diagnostics go to stderr (omprog's output= file).
 *
 *     global(maxMessageSize="1m")          # first; the default 8k cuts
 *                                          # big events
 *     module(load="imfile")
 *     module(load="omprog")
 *     template(name="kag_line" type="string" string="%msg%\n")
 *     input(type="imfile" file="/var/log/kube-audit.log" tag="kube-audit"
 *           ruleset="kag" discardTruncatedMsg="on")
 *     ruleset(name="kag") {
 *         action(type="omprog" template="kag_line"
 *                binary="/usr/local/bin/kag-filter --confirm --output=/var/log/kag-verdicts.jsonl"
 *                confirmMessages="on" action.resumeInterval="1"
 *                action.resumeRetryCount="-1" hup.signal="HUP"
 *                output="/var/log/kag-filter.err")
 *     }
 *
 * Keep one program instance (omprog's default of one worker thread):
 * correlation state is per process. To scale out, run one collector per
 * partition of the stream keyed by user.username. State is not kept across
 * a restart: a request whose RequestReceived stage was confirmed before a
 * kill -9 is not reported, and a later stage of a request judged before a
 * restart is judged again by the new process.
 *
 * Records: verdicts as kag_verdict_json() writes them, with "source": null
 * (a message has no file and line); errors as
 *   {"error":{"code":"KAG_EPARSE","message":"...","source":null,"offset":N}}
 * with "path" (a JSON pointer) when one field was at fault.
 *
 * Learned baseline: --baseline=FILE loads a kag-baseline/1 file at start
 * (behaviour it has seen ranks one step lower, new behaviour of a known
 * identity says so); with --learn the session also learns, and FILE is
 * written back atomically (FILE.tmp, fsync, rename) at end of input, on
 * SIGTERM or SIGINT, and every --save-every=MINUTES. A missing FILE is an
 * empty baseline with --learn, an error without.
 *
 * Exit status: 0 at end of input or on a termination signal; 1 when the
 * output cannot be written or memory runs out (in confirmed mode the
 * message in hand stays unconfirmed and is sent again to the next
 * instance); 2 on a usage error.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kag.h>

#include "baseline-file.h"
#include "errlimit.h"

#define FILTER_READ_CHUNK (64 * 1024)
#define FILTER_OUT_FLUSH (64 * 1024)   /* write out past this many bytes */
#define FILTER_DEFAULT_MAX_LINE (16u << 20)

struct obuf {
	char *data;
	size_t len, cap;
};

struct filter {
	int confirm;            /* --confirm: omprog confirmation protocol */
	const char *out_path;   /* --output=FILE; NULL: stdout */
	int out_fd;
	kag_parser *parser;
	kag_session *session;
	struct obuf out;        /* records of the message in hand */
	struct obuf line;       /* the message being read */
	size_t max_line;
	int overlong;           /* the message in hand passed max_line */
	struct errlimit errors; /* error records written and held back */
	uint64_t messages;      /* read so far: the line number of error records */
	kag_baseline *baseline; /* --baseline=FILE, or NULL */
	const char *baseline_path;
	int learn;              /* --learn: learn and save the baseline */
	time_t save_every;      /* --save-every: seconds between saves (0: at exit) */
	time_t next_save;
};

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kag-filter [options] < RECORDS\n"
		"Judge Kubernetes audit records, one per line on stdin, for log collectors.\n\n"
		"  --confirm           rsyslog omprog confirmMessages protocol: \"OK\" on\n"
		"                      stdout when ready and after each message;\n"
		"                      verdicts go to --output=FILE\n"
		"  --output=FILE       append verdict records to FILE (default: stdout)\n"
		"  --all               also write benign and info verdicts\n"
		"  --format=FMT        auto (default), native, eventlist, gke, eks, aks\n"
		"                      or openshift\n"
		"  --policy=FILE       JSON policy: baselines, lists, thresholds, detectors\n"
		"  --rules=FILE        JSON caller rules, judged next to the built-ins\n"
		"  --baseline=FILE     a learned baseline (kag-baseline/1): behaviour it\n"
		"                      has seen ranks lower, new behaviour says so\n"
		"  --learn             also learn from the input; FILE is written back\n"
		"                      atomically at exit (and with --save-every)\n"
		"  --save-every=MIN    with --learn, also save every MIN minutes\n"
		"  --max-line=BYTES    longest message (default %u)\n"
		"  --error-limit=N     write the first N error records of each kind of\n"
		"                      fault and count the rest in error_summary\n"
		"                      records (default 10; 0: write them all)\n"
		"  --version           print the library version and exit\n"
		"  -h, --help          this text\n",
		FILTER_DEFAULT_MAX_LINE);
}

/* Append to a buffer; -1 when out of memory or past `limit` bytes. */
static int obuf_put(struct obuf *b, const char *s, size_t n, size_t limit)
{
	if (n > limit - b->len) /* b->len <= limit */
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

static int obuf_puts(struct obuf *b, const char *s)
{
	return obuf_put(b, s, strlen(s), (size_t)-1);
}

static int obuf_put_json_string(struct obuf *b, const char *s)
{
	char esc[8];

	if (obuf_puts(b, "\"") < 0)
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
		if (obuf_puts(b, esc) < 0)
			return -1;
	}
	return obuf_puts(b, "\"");
}

/* Write the records gathered so far to the output. */
static int out_flush(struct filter *f)
{
	if (f->out.len && tool_write_all(f->out_fd, f->out.data, f->out.len) < 0) {
		fprintf(stderr, "kag-filter: %s: write error: %s\n",
			f->out_path ? f->out_path : "<stdout>", strerror(errno));
		return -1;
	}
	f->out.len = 0;
	return 0;
}

static int out_record(struct filter *f, const char *json, size_t len)
{
	if (obuf_put(&f->out, json, len, (size_t)-1) < 0 || obuf_put(&f->out, "\n", 1, (size_t)-1) < 0) {
		fprintf(stderr, "kag-filter: out of memory\n");
		return -1;
	}
	return f->out.len >= FILTER_OUT_FLUSH ? out_flush(f) : 0;
}

/* A summary of the error records of one kind held back so far. */
static int out_error_summary(struct filter *f, const struct errlimit_kind *k)
{
	char rec[ERRLIMIT_SUMMARY_MAX];
	int n = errlimit_summary_json(rec, sizeof(rec), k);

	if (n < 0 || obuf_put(&f->out, rec, (size_t)n, (size_t)-1) < 0) {
		fprintf(stderr, "kag-filter: out of memory\n");
		return -1;
	}
	return f->out.len >= FILTER_OUT_FLUSH ? out_flush(f) : 0;
}

/* Whether an error record of this kind is written (1), held back (0), or
 * summarised now (the summary written: 0), or -1 on a failure. */
static int admit_error(struct filter *f, int code, const char *message, const char *path)
{
	struct errlimit_kind *kind;

	switch (errlimit_admit(&f->errors, code, message, path, &kind)) {
	case ERRLIMIT_WRITE:
		return 1;
	case ERRLIMIT_SUMMARY:
		return out_error_summary(f, kind);
	default:
		return 0;
	}
}

/* The record the parser rejected: the library's error record. */
static int out_parser_error(struct filter *f, const kag_parser *p, int code)
{
	const char *json;
	size_t len;
	int rc = admit_error(f, code, kag_parser_error_message(p), kag_parser_error_path(p));

	if (rc <= 0)
		return rc;
	if (!(json = kag_parser_error_json(p, &len))) {
		fprintf(stderr, "kag-filter: out of memory\n");
		return -1;
	}
	return out_record(f, json, len);
}

/* A message dropped before the parser saw it (longer than --max-line): an
 * error record of the same shape, written here. */
static int out_dropped(struct filter *f)
{
	char m[96], tail[96];
	int rc;

	snprintf(m, sizeof(m), "message longer than %zu bytes (dropped)", f->max_line);
	if ((rc = admit_error(f, KAG_ELIMIT, m, "")) <= 0)
		return rc;
	snprintf(tail, sizeof(tail), ",\"source\":null,\"line\":%llu,\"offset\":0}}\n",
		 (unsigned long long)f->messages);
	if (obuf_puts(&f->out, "{\"error\":{\"code\":\"KAG_ELIMIT\",\"message\":") < 0 ||
	    obuf_put_json_string(&f->out, m) < 0 || obuf_puts(&f->out, tail) < 0) {
		fprintf(stderr, "kag-filter: out of memory\n");
		return -1;
	}
	return f->out.len >= FILTER_OUT_FLUSH ? out_flush(f) : 0;
}

static int out_verdicts(struct filter *f, const kag_result *res)
{
	size_t i, n = kag_result_count(res);

	for (i = 0; i < n; i++) {
		size_t len;
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		if (out_record(f, json, len) < 0)
			return -1;
	}
	return 0;
}

/* Judge one message (a line without its line end). Returns -1 on a failure
 * that must stop the program (out of memory, output not writable). */
static int judge_message(struct filter *f, const char *msg, size_t len)
{
	kag_parser *p = f->parser;
	size_t i;

	for (i = 0; i < len; i++)
		if (msg[i] != ' ' && msg[i] != '\t' && msg[i] != '\r')
			break;
	if (i == len)
		return 0; /* blank: nothing to judge */

	/* A message is a whole stream: a record cut short at the line end is
	 * reported now, never joined with the next message. */
	if (kag_parser_reset(p) < 0 ||
	    kag_parser_set_option_u64(p, KAG_OPT_LINE, f->messages) < 0 ||
	    kag_parser_feed(p, msg, len) < 0 || kag_parser_finish(p) < 0) {
		fprintf(stderr, "kag-filter: out of memory\n");
		return -1;
	}
	for (;;) {
		const kag_event *ev;
		const kag_result *res;
		int rc = kag_parser_next(&ev, p);

		if (rc == KAG_ITEROVER)
			break;
		if (rc == KAG_EINVAL) {
			fprintf(stderr, "kag-filter: %s\n", kag_strerror(rc));
			return -1;
		}
		if (rc < 0) {
			if (out_parser_error(f, p, rc) < 0)
				return -1;
			continue;
		}
		rc = kag_session_evaluate(&res, f->session, ev);
		if (rc < 0) {
			fprintf(stderr, "kag-filter: evaluation failed: %s\n", kag_strerror(rc));
			return -1;
		}
		if (out_verdicts(f, res) < 0)
			return -1;
	}
	return 0;
}

/* A whole message has been read: judge it, write its records, confirm it. */
static int end_message(struct filter *f)
{
	int rc;

	f->messages++;
	if (f->overlong) {
		rc = out_dropped(f);
	} else {
		rc = judge_message(f, f->line.data ? f->line.data : "", f->line.len);
	}
	f->line.len = 0;
	f->overlong = 0;
	if (rc < 0 || out_flush(f) < 0)
		return -1;
	if (f->confirm && tool_write_all(STDOUT_FILENO, "OK\n", 3) < 0) {
		fprintf(stderr, "kag-filter: cannot confirm: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int add_to_line(struct filter *f, const char *s, size_t n)
{
	if (f->overlong)
		return 0;
	if (n > f->max_line - f->line.len) {
		f->overlong = 1; /* drop the rest of this message as it comes */
		f->line.len = 0;
		return 0;
	}
	if (obuf_put(&f->line, s, n, f->max_line) < 0) {
		fprintf(stderr, "kag-filter: out of memory\n");
		return -1;
	}
	return 0;
}

static int open_output(struct filter *f)
{
	int fd = open(f->out_path, O_WRONLY | O_CREAT | O_APPEND, 0640);

	if (fd < 0) {
		fprintf(stderr, "kag-filter: %s: %s\n", f->out_path, strerror(errno));
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (f->out_fd >= 0 && f->out_fd != STDOUT_FILENO)
		close(f->out_fd);
	f->out_fd = fd;
	return 0;
}

/* Wait until stdin is readable or a signal arrives (signals are blocked
 * everywhere else, so none is missed and none interrupts a write). */
static int wait_input(const sigset_t *waitmask, const struct timespec *timeout)
{
	fd_set rd;
	int n;

	FD_ZERO(&rd);
	FD_SET(STDIN_FILENO, &rd);
	if ((n = pselect(STDIN_FILENO + 1, &rd, NULL, NULL, timeout, waitmask)) < 0) {
		if (errno == EINTR)
			return 0;
		fprintf(stderr, "kag-filter: waiting for input: %s\n", strerror(errno));
		return -1;
	}
	return n > 0;
}

/* --save-every: save the learned baseline when its time has come. A save
 * that fails is reported and tried again at the next turn. */
static void save_when_due(struct filter *f, struct timespec *timeout)
{
	time_t now;

	if (!f->learn || !f->save_every)
		return;
	now = time(NULL);
	if (now >= f->next_save) {
		(void)baseline_file_save(f->baseline, "kag-filter", f->baseline_path);
		f->next_save = now + f->save_every;
	}
	timeout->tv_sec = f->next_save - now;
	timeout->tv_nsec = 0;
}

/* Take signals that arrived while input kept coming: pselect() may report
 * ready input without letting a pending signal in. */
static void take_pending(const sigset_t *set)
{
	static const struct timespec zero = { 0, 0 };
	int sig;

	while ((sig = sigtimedwait(set, NULL, &zero)) > 0)
		on_signal(sig);
}

/* Read messages until end of input or a termination signal. */
static int run(struct filter *f, const sigset_t *handled, const sigset_t *waitmask)
{
	static char chunk[FILTER_READ_CHUNK];
	struct timespec timeout;

	for (;;) {
		ssize_t n;
		char *s, *end, *nl;
		int w;

		take_pending(handled);
		save_when_due(f, &timeout);
		if (got_term)
			return 0;
		if (got_hup) {
			got_hup = 0;
			if (!f->out_path)
				return 0; /* no file to reopen: a hangup ends the stream */
			if (open_output(f) < 0)
				return -1;
		}
		if ((w = wait_input(waitmask, f->learn && f->save_every ? &timeout : NULL)) <= 0) {
			if (w < 0)
				return -1;
			continue;
		}
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "kag-filter: read error: %s\n", strerror(errno));
			return -1;
		}
		if (n == 0) {
			/* End of input. rsyslog ends every message with a line
			 * end: in confirmed mode a final fragment was never
			 * completed and is sent again to the next instance. */
			if (f->line.len || f->overlong) {
				if (f->confirm)
					fprintf(stderr, "kag-filter: end of input inside a "
						"message: left unconfirmed\n");
				else if (end_message(f) < 0)
					return -1;
			}
			return 0;
		}
		for (s = chunk, end = chunk + n; s < end; s = nl + 1) {
			nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl) {
				if (add_to_line(f, s, (size_t)(end - s)) < 0)
					return -1;
				break;
			}
			if (add_to_line(f, s, (size_t)(nl - s)) < 0 || end_message(f) < 0)
				return -1;
		}
	}
}

static int load_file(kag_registry *reg, const char *path,
		     int (*load)(kag_registry *, const char *, size_t))
{
	char *data;
	size_t len;
	int rc;

	if (tool_read_file(path, 64u << 20, &data, &len) < 0) {
		fprintf(stderr, "kag-filter: %s: %s\n", path,
			errno == EFBIG ? "too large" : strerror(errno));
		return -1;
	}
	rc = load(reg, data ? data : "", len);
	free(data);
	if (rc < 0) {
		fprintf(stderr, "kag-filter: %s: %s: %s\n", path, kag_error_name(rc),
			kag_registry_error_message(reg));
		return -1;
	}
	return 0;
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > (1ull << 30))
		return -1;
	*out = (size_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct filter f;
	kag_registry *reg = NULL;
	const kag_result *res;
	const char *policy_file = NULL, *rules_file = NULL;
	int i, all = 0, format = KAG_FORMAT_AUTO, rc = 1;
	struct sigaction sa;
	sigset_t block, waitmask;

	memset(&f, 0, sizeof(f));
	f.out_fd = STDOUT_FILENO;
	f.max_line = FILTER_DEFAULT_MAX_LINE;
	errlimit_init(&f.errors, ERRLIMIT_DEFAULT);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--confirm") == 0) {
			f.confirm = 1;
		} else if (strncmp(a, "--output=", 9) == 0) {
			f.out_path = strcmp(a + 9, "-") == 0 ? NULL : a + 9;
		} else if (strcmp(a, "--all") == 0) {
			all = 1;
		} else if (strncmp(a, "--format=", 9) == 0) {
			static const char *const names[] = { "auto", "native", "eventlist", "gke",
							     "eks", "aks", "openshift" };

			/* names[i] is KAG_FORMAT_* value i */
			for (format = 0; format < 7 && strcmp(a + 9, names[format]); format++)
				;
			if (format == 7) {
				fprintf(stderr, "kag-filter: unknown %s\n", a);
				return 2;
			}
		} else if (strncmp(a, "--policy=", 9) == 0) {
			policy_file = a + 9;
		} else if (strncmp(a, "--rules=", 8) == 0) {
			rules_file = a + 8;
		} else if (strncmp(a, "--baseline=", 11) == 0) {
			f.baseline_path = a + 11;
		} else if (strcmp(a, "--learn") == 0) {
			f.learn = 1;
		} else if (strncmp(a, "--save-every=", 13) == 0) {
			size_t minutes;

			if (parse_size(a + 13, &minutes) < 0 || minutes > 10080) {
				fprintf(stderr, "kag-filter: %s: expected minutes from 1 to 10080\n", a);
				return 2;
			}
			f.save_every = (time_t)minutes * 60;
		} else if (strncmp(a, "--max-line=", 11) == 0) {
			if (parse_size(a + 11, &f.max_line) < 0) {
				fprintf(stderr, "kag-filter: %s: expected bytes from 1 to %llu\n",
					a, 1ull << 30);
				return 2;
			}
		} else if (strncmp(a, "--error-limit=", 14) == 0) {
			if (errlimit_parse(&f.errors, a + 14) < 0) {
				fprintf(stderr, "kag-filter: --error-limit=N takes a number (0: no "
					"limit)\n");
				return 2;
			}
		} else if (strcmp(a, "--version") == 0) {
			printf("kag-filter %s\n", kag_version_string());
			return 0;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "kag-filter: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if ((f.learn || f.save_every) && !f.baseline_path) {
		fprintf(stderr, "kag-filter: --learn and --save-every need --baseline=FILE\n");
		return 2;
	}
	if (f.confirm && !f.out_path) {
		fprintf(stderr, "kag-filter: --confirm needs --output=FILE (stdout carries "
			"the confirmations)\n");
		return 2;
	}

	/* Termination and hangup are handled between messages only. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, &waitmask) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0) {
		fprintf(stderr, "kag-filter: cannot set up signals: %s\n", strerror(errno));
		return 1;
	}
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	signal(SIGPIPE, SIG_IGN); /* a closed output is a write error */

	if (kag_registry_new(&reg) < 0) {
		fprintf(stderr, "kag-filter: cannot initialise: out of memory\n");
		return 1;
	}
	if ((rules_file && load_file(reg, rules_file, kag_registry_load_rules) < 0) ||
	    (policy_file && load_file(reg, policy_file, kag_registry_load_policy) < 0))
		goto out;
	if (kag_registry_seal(reg) < 0 || kag_session_new(&f.session, reg) < 0 ||
	    kag_session_set_option_u64(f.session, KAG_SOPT_EMIT_BENIGN, (uint64_t)all) < 0 ||
	    kag_parser_new(&f.parser) < 0 ||
	    kag_parser_set_option_u64(f.parser, KAG_OPT_FORMAT, (uint64_t)format) < 0 ||
	    kag_parser_set_option_u64(f.parser, KAG_OPT_MAX_RECORD_BYTES, f.max_line) < 0) {
		fprintf(stderr, "kag-filter: cannot initialise: out of memory\n");
		goto out;
	}
	if (f.baseline_path &&
	    (kag_baseline_new(&f.baseline) < 0 ||
	     baseline_file_load(f.baseline, "kag-filter", f.baseline_path, f.learn) < 0 ||
	     kag_session_set_baseline(f.session, f.baseline, f.learn) < 0))
		goto out;
	f.next_save = time(NULL) + f.save_every;
	if (f.out_path && open_output(&f) < 0)
		goto out;
	if (f.confirm && tool_write_all(STDOUT_FILENO, "OK\n", 3) < 0) {
		fprintf(stderr, "kag-filter: cannot confirm start: %s\n", strerror(errno));
		goto out;
	}

	if (run(&f, &block, &waitmask) == 0) {
		/* Requests seen only at RequestReceived: judged now. */
		const struct errlimit_kind *k;
		unsigned it = 0;

		rc = 0;
		if (kag_session_flush(&res, f.session) == KAG_OK && out_verdicts(&f, res) < 0)
			rc = 1;
		while (!rc && (k = errlimit_pending(&f.errors, &it)) != NULL)
			if (out_error_summary(&f, k) < 0)
				rc = 1;
		if (!rc && out_flush(&f) < 0)
			rc = 1;
		if (f.learn && baseline_file_save(f.baseline, "kag-filter", f.baseline_path) < 0)
			rc = 1;
	}
out:
	if (f.out_fd >= 0 && f.out_fd != STDOUT_FILENO && close(f.out_fd) < 0 && rc == 0) {
		fprintf(stderr, "kag-filter: %s: %s\n", f.out_path, strerror(errno));
		rc = 1;
	}
	free(f.out.data);
	free(f.line.data);
	kag_parser_free(f.parser);
	kag_session_free(f.session);
	kag_baseline_free(f.baseline);
	kag_registry_free(reg);
	return rc;
}
