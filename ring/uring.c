#include "uring.h"

#include <errno.h>
#include <stddef.h>

/* At most four I/O operations, their four readiness polls, a timer and
 * its removal are ever queued at once. */
#define RING_ENTRIES 16

int uring_setup(struct io_uring *ring)
{
	/*
	 * One thread submits and reaps (SINGLE_ISSUER), and it only wants
	 * completions when it asks for them in io_uring_enter: DEFER_TASKRUN
	 * runs the kernel's completion work then, in one batch, instead of
	 * interrupting us with task work (Linux 6.1). COOP_TASKRUN is the
	 * next best thing on 5.19; plain rings work everywhere else.
	 */
	static const unsigned tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int r = -ENOSYS;

	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		r = io_uring_queue_init(RING_ENTRIES, ring, tries[i]);
		/* EINVAL: this kernel does not know the flags; try fewer.
		 * Anything else (ENOSYS, EPERM, ENOMEM) is final. */
		if (r != -EINVAL)
			return r;
	}
	return r;
}

struct io_uring_sqe *uring_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	while (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}
