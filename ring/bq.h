/* A byte queue over a fixed buffer: data in [head, tail), room after tail.
 * Bytes are appended at the tail and consumed at the head; the queue never
 * grows, so memory stays bounded whatever the peers do. */
#ifndef TLSD_BQ_H
#define TLSD_BQ_H

#include <stddef.h>
#include <string.h>

#include "tunnel_state.h"

static inline void bq_init(struct bq *q, unsigned char *buf, size_t cap)
{
	q->buf = buf;
	q->cap = cap;
	q->head = q->tail = 0;
}

static inline size_t bq_len(const struct bq *q)
{
	return q->tail - q->head;
}

static inline size_t bq_room(const struct bq *q)
{
	return q->cap - q->tail;
}

static inline unsigned char *bq_data(const struct bq *q)
{
	return q->buf + q->head;
}

static inline unsigned char *bq_tail(const struct bq *q)
{
	return q->buf + q->tail;
}

static inline void bq_produce(struct bq *q, size_t n)
{
	q->tail += n;
}

/* Never rewinds by itself: a read may be in flight into the room after
 * tail, and its bytes must land where bq_produce will count them. */
static inline void bq_consume(struct bq *q, size_t n)
{
	q->head += n;
}

/* Moves the data to the front, making all the room contiguous. Only while
 * no kernel operation targets the buffer. */
static inline void bq_compact(struct bq *q)
{
	if (!q->head)
		return;
	memmove(q->buf, q->buf + q->head, bq_len(q));
	q->tail -= q->head;
	q->head = 0;
}

#endif
