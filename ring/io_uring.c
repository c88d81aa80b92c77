/*
 * The io_uring engine: one ring carries the reads and writes of all four
 * descriptors; each turn submits what became possible and waits for
 * results in the same io_uring_enter call.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "tunnel_io.h"

/* user_data of a CQE: an op, a readiness poll for an op, or the timer. */
#define UD_POLL 0x10u
#define UD_TIMEOUT 0x20u
#define UD_IGNORE 0x40u /* timeout removals and cancellations */

/* At most four operations or their readiness polls, a timer and its
 * removal, and four cancellations are ever queued at once. */
#define RING_ENTRIES 16

static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	while (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static int create(struct io_uring *ring, unsigned extra)
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
		r = io_uring_queue_init(RING_ENTRIES, ring, tries[i] | extra);
		/* EINVAL: this kernel does not know the flags; try fewer.
		 * Anything else (ENOSYS, EPERM, ENOMEM) is final. */
		if (r != -EINVAL)
			return r;
	}
	return r;
}

/*
 * Registers the four descriptors as fixed files (no per-operation file
 * lookup) and restricts the ring to them and to the opcodes the tunnel
 * uses: a compromised process cannot turn the ring on anything else.
 */
static int restrict_ring(struct tunnel *t)
{
	static const struct io_uring_restriction rules[] = {
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READ},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITE},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_POLL_ADD},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_TIMEOUT},
	    {.opcode = IORING_RESTRICTION_SQE_OP,
	     .sqe_op = IORING_OP_TIMEOUT_REMOVE},
	    {.opcode = IORING_RESTRICTION_SQE_OP,
	     .sqe_op = IORING_OP_ASYNC_CANCEL},
	    {.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
	     .sqe_flags = IOSQE_FIXED_FILE},
	    {.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
	     .sqe_flags = IOSQE_FIXED_FILE},
	    /* to drop a descriptor the tunnel closed */
	    {.opcode = IORING_RESTRICTION_REGISTER_OP,
	     .register_op = IORING_REGISTER_FILES_UPDATE},
	};
	struct io_uring *ring = &t->be.u.ring;
	int fds[OP_COUNT], r;

	for (enum op op = 0; op < OP_COUNT; op++)
		fds[op] = tunnel_fd(t, op);
	r = io_uring_register_files(ring, fds, OP_COUNT);
	if (r < 0)
		return r;
	/* Debian 12's liburing 2.3 declares io_uring_register_restrictions
	 * and io_uring_enable_rings but does not export them: the raw
	 * register call does the same. */
	r = io_uring_register(ring->ring_fd, IORING_REGISTER_RESTRICTIONS,
	                      rules, sizeof rules / sizeof rules[0]);
	if (r < 0)
		return r;
	return io_uring_register(ring->ring_fd, IORING_REGISTER_ENABLE_RINGS,
	                         NULL, 0);
}

static int setup(struct tunnel *t)
{
	struct tunnel_uring *u = &t->be.u;
	int r;

	memset(u, 0, sizeof *u);
	t->restrict_err = 0;
	r = create(&u->ring, IORING_SETUP_R_DISABLED);
	if (r == 0) {
		r = restrict_ring(t);
		if (r >= 0) {
			u->restricted = 1;
			return 0;
		}
		io_uring_queue_exit(&u->ring);
	}
	/*
	 * EINVAL (R_DISABLED or the restriction opcodes unknown: before
	 * 5.10) and EOPNOTSUPP mean "cannot restrict": a plain ring, said
	 * at -v 2. Anything else (ENOMEM, EMFILE, EPERM...) is an error.
	 */
	if (r != -EINVAL && r != -EOPNOTSUPP)
		return r;
	t->restrict_err = r;
	return create(&u->ring, 0);
}

/* Points sqe at op's descriptor: its fixed slot, or the fd itself. */
static void target(struct tunnel *t, struct io_uring_sqe *sqe, enum op op)
{
	if (!t->be.u.restricted)
		return;
	sqe->fd = (int)op;
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
}

static void submit(struct tunnel *t, enum op op, void *buf, size_t len)
{
	struct io_uring_sqe *sqe = get_sqe(&t->be.u.ring);
	int fd = tunnel_fd(t, op);

	/* Offset -1: the file position, as read(2) and write(2) use it
	 * (fdw may be a regular file); streams ignore it. */
	if (op == OP_NETRD || op == OP_APPRD)
		io_uring_prep_read(sqe, fd, buf, (unsigned)len, (__u64)-1);
	else
		io_uring_prep_write(sqe, fd, buf, (unsigned)len, (__u64)-1);
	target(t, sqe, op);
	io_uring_sqe_set_data64(sqe, op);
	t->be.u.pending[op].buf = buf;
	t->be.u.pending[op].len = len;
}

/* The fd is non-blocking and was not ready: wait for readiness, then
 * submit the same operation again. */
static void arm_poll(struct tunnel *t, enum op op)
{
	unsigned mask = op == OP_NETRD || op == OP_APPRD ? POLLIN : POLLOUT;
	struct io_uring_sqe *sqe = get_sqe(&t->be.u.ring);

	io_uring_prep_poll_add(sqe, tunnel_fd(t, op), mask);
	target(t, sqe, op);
	io_uring_sqe_set_data64(sqe, op | UD_POLL);
	t->be.u.polling |= OP_BIT(op);
}

static void timer_start(struct tunnel *t, unsigned ms)
{
	struct tunnel_uring *u = &t->be.u;
	struct io_uring_sqe *sqe = get_sqe(&u->ring);

	u->ts.tv_sec = ms / 1000;
	u->ts.tv_nsec = (long long)(ms % 1000) * 1000000;
	io_uring_prep_timeout(sqe, &u->ts, 0, 0);
	target(t, sqe, 0);
	io_uring_sqe_set_data64(sqe, UD_TIMEOUT);
}

static void timer_stop(struct tunnel *t)
{
	struct io_uring_sqe *sqe = get_sqe(&t->be.u.ring);

	io_uring_prep_timeout_remove(sqe, UD_TIMEOUT, 0);
	target(t, sqe, 0);
	io_uring_sqe_set_data64(sqe, UD_IGNORE);
}

static void dropped(struct tunnel *t, enum op op)
{
	int none = -1;

	/* The fixed slot holds its own reference: the peer of a closed
	 * pipe would never see EOF while it lasts. */
	if (t->be.u.restricted)
		io_uring_register_files_update(&t->be.u.ring, op, &none, 1);
}

static void completed(struct tunnel *t, uint64_t ud, int res)
{
	struct tunnel_uring *u = &t->be.u;
	enum op op = (enum op)(ud & 0xf);

	if (ud & UD_IGNORE)
		return;
	if (ud == UD_TIMEOUT) {
		if (res == -ETIME)
			tunnel_timeout(t);
		return;
	}
	if (ud & UD_POLL) {
		u->polling &= ~OP_BIT(op);
		if (u->finishing || res < 0)
			return tunnel_complete(t, op, -ECANCELED);
		return submit(t, op, u->pending[op].buf, u->pending[op].len);
	}
	if (res == -EAGAIN && !u->finishing)
		return arm_poll(t, op);
	tunnel_complete(t, op, res);
}

static int wait(struct tunnel *t)
{
	struct io_uring *ring = &t->be.u.ring;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int r = io_uring_submit_and_wait(ring, 1);

	if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
		return r;
	io_uring_for_each_cqe(ring, head, cqe)
	{
		completed(t, cqe->user_data, cqe->res);
		n++;
	}
	io_uring_cq_advance(ring, n);
	return 0;
}

/* Cancels what is still in flight and waits for it: the kernel must be
 * done with our buffers before they can be reused or freed. */
static void finish(struct tunnel *t)
{
	struct tunnel_uring *u = &t->be.u;

	u->finishing = 1;
	for (enum op op = 0; op < OP_COUNT; op++) {
		struct io_uring_sqe *sqe;
		unsigned ud = op | (u->polling & OP_BIT(op) ? UD_POLL : 0);

		if (!(t->inflight & OP_BIT(op)))
			continue;
		sqe = get_sqe(&u->ring);
		io_uring_prep_cancel64(sqe, ud, 0);
		target(t, sqe, 0);
		io_uring_sqe_set_data64(sqe, UD_IGNORE);
	}
	while (t->inflight)
		if (wait(t) < 0)
			break;
	io_uring_queue_exit(&u->ring);
}

const struct tunnel_io tunnel_io_uring = {
    .name = "io_uring",
    .setup = setup,
    .submit = submit,
    .timer_start = timer_start,
    .timer_stop = timer_stop,
    .dropped = dropped,
    .wait = wait,
    .finish = finish,
};
