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
 * Metrics: --metrics-file=FILE writes the Prometheus text exposition
 * (metrics.h: records judged, rejected and skipped, verdicts by detector
 * and assessment, judge latency, the session's tables) to FILE atomically
 * every --metrics-every=SECONDS (default 15) and at exit, for the node
 * exporter's textfile collector or any reader of the format.
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
#include "collector.h"

#define FILTER_READ_CHUNK (64 * 1024)
#define FILTER_OUT_FLUSH (64 * 1024)   /* write out past this many bytes */
#define FILTER_METRICS_EVERY 15        /* seconds */

struct filter {
	int confirm;            /* --confirm: omprog confirmation protocol */
	const char *out_path;   /* --output=FILE; NULL: stdout */
	int out_fd;
	struct collector *coll;
	struct collector_stream *stream;
	struct outbuf out;      /* records of the message in hand */
	struct outbuf line;     /* the message being read */
	size_t max_line;
	int overlong;           /* the message in hand passed max_line */
	const char *metrics_path; /* --metrics-file=FILE, or NULL */
	time_t metrics_every, next_metrics;
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
		"  --max-line=BYTES    the same as --max-record\n"
		"  --metrics-file=FILE write Prometheus metrics to FILE (atomically)\n"
		"  --metrics-every=SEC how often (default %d seconds; also at exit)\n",
		FILTER_METRICS_EVERY);
	collector_usage(out);
	fprintf(out,
		"  --version           print the library version and exit\n"
		"  -h, --help          this text\n");
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

static void write_metrics(struct filter *f)
{
	const kag_session *s = collector_stream_session(f->stream);

	metrics_sessions(collector_metrics(f->coll), &s, 1);
	if (metrics_write_file(collector_metrics(f->coll), f->metrics_path) < 0)
		fprintf(stderr, "kag-filter: %s: %s\n", f->metrics_path, strerror(errno));
}

/* A whole message has been read: judge it, write its records, confirm it. */
static int end_message(struct filter *f)
{
	char m[96];
	int rc;

	if (f->overlong) {
		snprintf(m, sizeof(m), "message longer than %zu bytes (dropped)", f->max_line);
		rc = collector_reject(f->stream, KAG_ELIMIT, m, NULL, &f->out);
	} else {
		rc = collector_judge(f->stream, f->line.data ? f->line.data : "", f->line.len,
				     NULL, &f->out);
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
	if (outbuf_put(&f->line, s, n, f->max_line) < 0) {
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

/* The periodic work (--save-every, --metrics-file) that is due, and the
 * time until the next: 0 and *timeout set, or -1 when there is none. */
static int periodic(struct filter *f, struct timespec *timeout)
{
	time_t now = time(NULL);
	long wait = collector_save_when_due(f->coll, now);

	if (f->metrics_path) {
		if (now >= f->next_metrics) {
			write_metrics(f);
			f->next_metrics = now + f->metrics_every;
		}
		if (wait < 0 || f->next_metrics - now < wait)
			wait = (long)(f->next_metrics - now);
	}
	if (wait < 0)
		return -1;
	timeout->tv_sec = wait;
	timeout->tv_nsec = 0;
	return 0;
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
		int w, timed;

		take_pending(handled);
		timed = periodic(f, &timeout) == 0;
		if (got_term)
			return 0;
		if (got_hup) {
			got_hup = 0;
			if (!f->out_path)
				return 0; /* no file to reopen: a hangup ends the stream */
			if (open_output(f) < 0)
				return -1;
		}
		if ((w = wait_input(waitmask, timed ? &timeout : NULL)) <= 0) {
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

/* One argument, kag-filter's own or a common one (collector_option):
 * -1 to go on, or the exit status. */
static int filter_option(struct filter *f, struct collector_options *o, int argc, char **argv,
			 int *i)
{
	const char *a = argv[*i];
	int rc;

	if (strcmp(a, "--confirm") == 0) {
		f->confirm = 1;
	} else if (strncmp(a, "--output=", 9) == 0) {
		f->out_path = strcmp(a + 9, "-") == 0 ? NULL : a + 9;
	} else if (strncmp(a, "--max-line=", 11) == 0) {
		/* the older name of --max-record */
		char buf[64], *alias[1] = { buf };
		int j = 0;

		snprintf(buf, sizeof(buf), "--max-record=%s", a + 11);
		if (collector_option(o, "kag-filter", 1, alias, &j) < 0)
			return 2;
	} else if (strncmp(a, "--metrics-file=", 15) == 0 && a[15]) {
		f->metrics_path = a + 15;
	} else if (strncmp(a, "--metrics-every=", 16) == 0) {
		char *end;
		long v;

		errno = 0;
		v = strtol(a + 16, &end, 10);
		if (errno || end == a + 16 || *end || v < 1 || v > 86400) {
			fprintf(stderr, "kag-filter: %s: expected seconds from 1 to 86400\n", a);
			return 2;
		}
		f->metrics_every = (time_t)v;
	} else if (strcmp(a, "--version") == 0) {
		printf("kag-filter %s\n", kag_version_string());
		return 0;
	} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		usage(stdout);
		return 0;
	} else if ((rc = collector_option(o, "kag-filter", argc, argv, i)) != 0) {
		return rc < 0 ? 2 : -1;
	} else {
		fprintf(stderr, "kag-filter: unknown argument '%s'\n", a);
		usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct filter f;
	struct collector_options o;
	int i, rc = 1;
	struct sigaction sa;
	sigset_t block, waitmask;

	memset(&f, 0, sizeof(f));
	f.out_fd = STDOUT_FILENO;
	f.metrics_every = FILTER_METRICS_EVERY;
	collector_options_init(&o);
	for (i = 1; i < argc; i++) {
		int r = filter_option(&f, &o, argc, argv, &i);

		if (r >= 0)
			return r;
	}
	if (collector_options_check(&o, "kag-filter") < 0)
		return 2;
	if (f.confirm && !f.out_path) {
		fprintf(stderr, "kag-filter: --confirm needs --output=FILE (stdout carries "
			"the confirmations)\n");
		return 2;
	}
	f.max_line = o.max_record;

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

	if (collector_open(&f.coll, &o, "kag-filter") < 0)
		return 1; /* a policy, rules, address or baseline file refused */
	if (collector_stream_new(&f.stream, f.coll) < 0)
		goto out;
	f.next_metrics = time(NULL); /* a first file at start */
	if (f.out_path && open_output(&f) < 0)
		goto out;
	if (f.confirm && tool_write_all(STDOUT_FILENO, "OK\n", 3) < 0) {
		fprintf(stderr, "kag-filter: cannot confirm start: %s\n", strerror(errno));
		goto out;
	}

	if (run(&f, &block, &waitmask) == 0) {
		rc = 0;
		/* held verdicts and the error summaries still due */
		if (collector_finish(f.stream, &f.out) < 0 || out_flush(&f) < 0)
			rc = 1;
		if (collector_save_baseline(f.coll) < 0)
			rc = 1;
		if (f.metrics_path)
			write_metrics(&f);
	}
out:
	if (f.out_fd >= 0 && f.out_fd != STDOUT_FILENO && close(f.out_fd) < 0 && rc == 0) {
		fprintf(stderr, "kag-filter: %s: %s\n", f.out_path, strerror(errno));
		rc = 1;
	}
	outbuf_free(&f.out);
	outbuf_free(&f.line);
	collector_stream_free(f.stream);
	collector_close(f.coll);
	return rc;
}
