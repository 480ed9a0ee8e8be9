/*
 * The bounded queue of kag-webhook, between the HTTP threads that receive
 * posts and the one thread that judges them.
 *
 * Two caps bound it. Batches: posts admitted and not yet judged (an HTTP
 * thread admits a post before it suspends the connection, then pushes it;
 * a slot admitted is never refused at the push). Bytes: the body bytes
 * held, reserved while a body is being received and released once it has
 * been judged, so memory for bodies stays under the cap whatever the
 * number of connections. Either cap reached means "answer 429".
 *
 * Error records of refused posts travel the same queue, so that one
 * thread writes the output; they take no batch slot but at most
 * WQ_MAX_RECORDS wait at a time (past that they are counted as dropped).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KAG_EXAMPLES_WEBHOOK_QUEUE_H
#define KAG_EXAMPLES_WEBHOOK_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define WQ_MAX_RECORDS 1024

enum wq_kind { WQ_BATCH, WQ_RECORD };

struct wq_item {
	struct wq_item *next;
	enum wq_kind kind;
	void *owner;        /* WQ_BATCH: the request waiting for its answer */
	char *body;         /* WQ_BATCH: the post's body (malloc'ed) */
	size_t len;
	size_t reserved;    /* bytes reserved for body, released after judging */
	int code;           /* WQ_RECORD: KAG_E* code of the error record */
	char message[160];  /* WQ_RECORD: its message */
	char source[96];    /* source name of the records: "http:/audit#12" */
};

struct wq {
	pthread_mutex_t lock;
	pthread_cond_t ready;        /* an item arrived, or the queue stopped */
	struct wq_item *head, *tail;
	size_t batches;              /* admitted, not yet judged */
	size_t max_batches;
	size_t bytes;                /* reserved body bytes */
	size_t max_bytes;
	size_t records;              /* error records waiting */
	int stopping;                /* no more admissions */
};

enum wq_admit { WQ_OK = 0, WQ_FULL = 1, WQ_STOPPING = 2 };

int wq_init(struct wq *q, size_t max_batches, size_t max_bytes);
void wq_destroy(struct wq *q);

/* Reserve n body bytes: WQ_OK, or WQ_FULL when the byte cap would pass. */
enum wq_admit wq_reserve(struct wq *q, size_t n);
void wq_release(struct wq *q, size_t n);

/* Take a batch slot: WQ_OK, WQ_FULL or WQ_STOPPING. Every slot taken is
 * given back by wq_push() of the batch (then by the judging thread) or by
 * wq_unadmit(). */
enum wq_admit wq_admit(struct wq *q);
void wq_unadmit(struct wq *q);

/* Queue a batch whose slot was admitted (never refused), or an error
 * record (dropped, and 0 returned, past WQ_MAX_RECORDS waiting). Returns 1
 * when queued. The queue owns it from then on. */
int wq_push(struct wq *q, struct wq_item *it);

/* Stop admissions; items already admitted still come out of wq_pop(). */
void wq_stop(struct wq *q);

/* The next item, waiting at most timeout_ms (-1: no limit). NULL when the
 * time ran out, or when the queue is stopped and nothing admitted is left
 * (then *done is set). A popped batch keeps its slot until wq_done(). */
struct wq_item *wq_pop(struct wq *q, long timeout_ms, int *done);

/* A popped batch is judged: its slot and bytes are free. */
void wq_done(struct wq *q, struct wq_item *it);

/* Snapshot for the gauges. */
void wq_depth(struct wq *q, size_t *batches, size_t *bytes);

#endif
