/* Ring set-up and submission helpers. */
#ifndef TLSD_URING_H
#define TLSD_URING_H

#include <liburing.h>

/* Creates a small ring with the best flags this kernel takes. 0 or -errno. */
int uring_setup(struct io_uring *ring);

/* A free SQE; submits pending ones first if the queue is full. */
struct io_uring_sqe *uring_sqe(struct io_uring *ring);

#endif
