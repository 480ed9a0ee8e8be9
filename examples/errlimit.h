/*
 * Error records, rate-limited: the tools write the first few records of
 * each kind of fault and count the rest, so that their output stays in
 * proportion to the input's distinct faults, not to its length. A kind is
 * the error code, the message with its numbers left out (line numbers,
 * sizes) and the JSON pointer with its indices left out. What is held back
 * is reported in summary records: when a kind's count of suppressed records
 * reaches 100, 1000, 10000, ... and at the end of the input.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KAG_ERRLIMIT_H
#define KAG_ERRLIMIT_H

#include <stddef.h>
#include <stdint.h>

/* Kinds told apart; faults of further kinds share one more. */
#define ERRLIMIT_KINDS 64
/* Records of each kind written by default. */
#define ERRLIMIT_DEFAULT 10

struct errlimit_kind {
	int code;
	char key[200];      /* message and path without digits */
	char message[384];  /* the first message of the kind, as written */
	uint64_t seen, suppressed, reported; /* reported: suppressed at the last summary */
	uint64_t next_report;
};

struct errlimit {
	uint64_t per_kind;  /* 0: every record is written */
	unsigned n;         /* kinds in use, the shared one included */
	struct errlimit_kind kinds[ERRLIMIT_KINDS + 1];
};

enum errlimit_verdict {
	ERRLIMIT_WRITE,     /* write the error record */
	ERRLIMIT_SUPPRESS,  /* count it only */
	ERRLIMIT_SUMMARY    /* count it, and write a summary of *kind_out now */
};

void errlimit_init(struct errlimit *l, uint64_t per_kind);

/* The N of --error-limit=N (arg points at N): 0, or -1 when it is not a
 * number (0 writes every record). */
int errlimit_parse(struct errlimit *l, const char *arg);

/* One error record of `code` with `message` and JSON pointer `path`. */
enum errlimit_verdict errlimit_admit(struct errlimit *l, int code, const char *message,
				     const char *path, struct errlimit_kind **kind_out);

/* The kinds whose suppressed records are not summarised yet, one at each
 * call (i from 0); NULL when there is none left. Marks each as reported. */
struct errlimit_kind *errlimit_pending(struct errlimit *l, unsigned *i);

/* Bytes enough for the summary record of any kind. */
#define ERRLIMIT_SUMMARY_MAX 2560

/* The summary record of a kind, one JSON line with its '\n':
 * {"error_summary":{"code":"KAG_E...","message":...,"records":N,"suppressed":M}}
 * written to buf (NUL-terminated); returns its length, or -1 when it does
 * not fit in `size` bytes. */
int errlimit_summary_json(char *buf, size_t size, const struct errlimit_kind *k);

#endif
