/*
 * The bounded queue of kag-webhook (webhook-queue.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <time.h>

#include "webhook-queue.h"

int wq_init(struct wq *q, size_t max_batches, size_t max_bytes)
{
	pthread_condattr_t ca;

	*q = (struct wq){ .max_batches = max_batches, .max_bytes = max_bytes };
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		return -1;
	/* timed waits on the monotonic clock: a clock step is no wake-up */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&q->ready, &ca) != 0) {
		pthread_mutex_destroy(&q->lock);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	return 0;
}

void wq_destroy(struct wq *q)
{
	pthread_cond_destroy(&q->ready);
	pthread_mutex_destroy(&q->lock);
}

enum wq_admit wq_reserve(struct wq *q, size_t n)
{
	enum wq_admit rc = WQ_FULL;

	pthread_mutex_lock(&q->lock);
	if (n <= q->max_bytes - q->bytes) { /* q->bytes <= q->max_bytes */
		q->bytes += n;
		rc = WQ_OK;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void wq_release(struct wq *q, size_t n)
{
	pthread_mutex_lock(&q->lock);
	q->bytes -= n;
	pthread_mutex_unlock(&q->lock);
}

enum wq_admit wq_admit(struct wq *q)
{
	enum wq_admit rc;

	pthread_mutex_lock(&q->lock);
	if (q->stopping) {
		rc = WQ_STOPPING;
	} else if (q->batches >= q->max_batches) {
		rc = WQ_FULL;
	} else {
		q->batches++;
		rc = WQ_OK;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void wq_unadmit(struct wq *q)
{
	pthread_mutex_lock(&q->lock);
	q->batches--;
	pthread_cond_signal(&q->ready); /* the last slot of a stopped queue */
	pthread_mutex_unlock(&q->lock);
}

int wq_push(struct wq *q, struct wq_item *it)
{
	pthread_mutex_lock(&q->lock);
	if (it->kind == WQ_RECORD) {
		if (q->records >= WQ_MAX_RECORDS) {
			pthread_mutex_unlock(&q->lock);
			return 0;
		}
		q->records++;
	}
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	pthread_cond_signal(&q->ready);
	pthread_mutex_unlock(&q->lock);
	return 1;
}

void wq_stop(struct wq *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_signal(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

struct wq_item *wq_pop(struct wq *q, long timeout_ms, int *done)
{
	struct wq_item *it = NULL;
	struct timespec until;

	*done = 0;
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&q->lock);
	while (!q->head) {
		/* stopped, and no admitted batch is still on its way in */
		if (q->stopping && q->batches == 0) {
			*done = 1;
			break;
		}
		if (timeout_ms < 0)
			pthread_cond_wait(&q->ready, &q->lock);
		else if (pthread_cond_timedwait(&q->ready, &q->lock, &until) == ETIMEDOUT)
			break;
	}
	if ((it = q->head) != NULL) {
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		if (it->kind == WQ_RECORD)
			q->records--;
	}
	pthread_mutex_unlock(&q->lock);
	return it;
}

void wq_done(struct wq *q, struct wq_item *it)
{
	pthread_mutex_lock(&q->lock);
	if (it->kind == WQ_BATCH)
		q->batches--;
	q->bytes -= it->reserved;
	pthread_mutex_unlock(&q->lock);
}

void wq_depth(struct wq *q, size_t *batches, size_t *bytes)
{
	pthread_mutex_lock(&q->lock);
	*batches = q->batches;
	*bytes = q->bytes;
	pthread_mutex_unlock(&q->lock);
}
