/*
 * kag-triage --jobs: records parsed in parallel, judged in input order.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KAG_TRIAGE_PARALLEL_H
#define KAG_TRIAGE_PARALLEL_H

#include <stdint.h>
#include <stdio.h>

#include <kag.h>

/* ---- provided by kag-triage.c ---- */

struct triage;

/* Apply the command line's parser options (input format, front end) to p. */
int triage_setup_parser(struct triage *t, kag_parser *p);

/* One result of kag_parser_next() on p: judge and print the event (rc
 * KAG_OK), or print the rejected record (rc < 0). Returns 0, or -1 after a
 * fatal error (reported). */
int triage_result(struct triage *t, const kag_parser *p, int rc, const kag_event *ev);

/* Add record counters of a finished stream (KAG_PSTAT_RECORDS and
 * KAG_PSTAT_SKIPPED of a parser fed part of it). */
void triage_count(struct triage *t, uint64_t records, uint64_t skipped);

/* `bytes` of the current input have been read: update the progress line. */
void triage_tick(struct triage *t, uint64_t bytes);

/* ---- provided by triage-parallel.c ---- */

typedef struct triage_pool triage_pool;

/* A pool of jobs - 1 parsing threads next to the caller's (jobs >= 2);
 * format is the KAG_FORMAT_* the parsers are set to. Returns 0 or -1. */
int triage_pool_new(triage_pool **out, struct triage *t, int jobs, int format);
void triage_pool_free(triage_pool *pool);

/* Read and judge one input stream as the sequential path does, with the
 * same output. Sets *io_failed on a read error (reported). Returns 0, or -1
 * after a fatal error. */
int triage_pool_stream(triage_pool *pool, FILE *in, const char *name, int *io_failed);

/* Progress on stderr, only when stderr is a terminal: after the first
 * second, bytes read, events per second and findings so far. */
struct triage_progress {
	int on, shown;
	double start, last;
	uint64_t done;    /* bytes of earlier inputs */
};

void triage_progress_init(struct triage_progress *pr);
void triage_progress_show(struct triage_progress *pr, uint64_t bytes, uint64_t events,
			  uint64_t findings);
/* End of an input: later inputs count on from here. */
void triage_progress_next(struct triage_progress *pr, uint64_t bytes);
/* Erase the progress line. */
void triage_progress_done(struct triage_progress *pr);

#endif
