/*
 * The poll(2) engine: the fallback where io_uring is refused (old kernels,
 * kernel.io_uring_disabled, container seccomp profiles), and the baseline
 * the ring is measured against. Each operation is a non-blocking read or
 * write performed when poll says its descriptor is ready.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "tunnel_io.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A blocking write of a large buffer to a pipe could wait forever for an
 * app that is itself waiting for us: every fd must be non-blocking. */
static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int setup(struct tunnel *t)
{
	t->be.p.deadline_ms = 0;
	for (enum op op = 0; op < OP_COUNT; op++) {
		int r = nonblock(tunnel_fd(t, op));

		if (r < 0)
			return r;
	}
	return 0;
}

static void submit(struct tunnel *t, enum op op, void *buf, size_t len)
{
	t->be.p.pending[op].buf = buf;
	t->be.p.pending[op].len = len;
}

static void timer_start(struct tunnel *t, unsigned ms)
{
	t->be.p.deadline_ms = now_ms() + ms;
}

static void timer_stop(struct tunnel *t)
{
	t->be.p.deadline_ms = 0;
}

static void dropped(struct tunnel *t, enum op op)
{
}

static int perform(struct tunnel *t, enum op op)
{
	struct tunnel_pending *p = &t->be.p.pending[op];
	int fd = tunnel_fd(t, op);
	ssize_t r = op == OP_NETRD || op == OP_APPRD
	                ? read(fd, p->buf, p->len)
	                : write(fd, p->buf, p->len);

	return r < 0 ? -errno : (int)r;
}

static int poll_timeout(const struct tunnel *t)
{
	long long left;

	if (!t->be.p.deadline_ms)
		return -1;
	left = t->be.p.deadline_ms - now_ms();
	return left < 0 ? 0 : (int)left;
}

static int wait(struct tunnel *t)
{
	struct pollfd pfd[OP_COUNT];
	enum op which[OP_COUNT];
	int n = 0, r;

	for (enum op op = 0; op < OP_COUNT; op++) {
		if (!(t->inflight & OP_BIT(op)))
			continue;
		pfd[n].fd = tunnel_fd(t, op);
		pfd[n].events =
		    op == OP_NETRD || op == OP_APPRD ? POLLIN : POLLOUT;
		which[n++] = op;
	}
	r = poll(pfd, (nfds_t)n, poll_timeout(t));
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (t->be.p.deadline_ms && now_ms() >= t->be.p.deadline_ms) {
		t->be.p.deadline_ms = 0;
		tunnel_timeout(t);
	}
	for (int i = 0; i < n; i++) {
		/* POLLHUP, POLLERR: the call itself says EOF or the error. */
		if (!pfd[i].revents)
			continue;
		r = perform(t, which[i]);
		if (r != -EAGAIN)
			tunnel_complete(t, which[i], r);
	}
	return 0;
}

static void finish(struct tunnel *t)
{
	for (enum op op = 0; op < OP_COUNT; op++)
		if (t->inflight & OP_BIT(op))
			tunnel_complete(t, op, -ECANCELED);
}

const struct tunnel_io tunnel_io_poll = {
    .name = "poll",
    .setup = setup,
    .submit = submit,
    .timer_start = timer_start,
    .timer_stop = timer_stop,
    .dropped = dropped,
    .wait = wait,
    .finish = finish,
};
