/*
 * perf-relay: the latency floor of the ping-pong case. The same
 * four-descriptor hop as s6-tlsd-io (the socket on fd 0/1, the app's pipes
 * on fd 3 and 4) with no TLS: poll(2), then one read(2) and one full
 * write(2) per ready direction. What s6-tlsd-io adds over it is what TLS
 * and the engine cost; what it adds over the direct echo (the app on the
 * socket) is the price of any relay.
 *
 *   perf-relay      fd 0 -> fd 4, fd 3 -> fd 1, until both reach EOF
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char buf[65536];

/* Moves one read's worth from src to dst. Returns 0 on EOF or error. */
static int hop(int src, int dst)
{
	ssize_t r = read(src, buf, sizeof buf), done = 0;

	if (r <= 0)
		return r < 0 && errno == EINTR;
	while (done < r) {
		ssize_t w = write(dst, buf + done, (size_t)(r - done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		done += w;
	}
	return 1;
}

int main(void)
{
	struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
	                      {.fd = 3, .events = POLLIN}};

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 111;
		}
		if (p[0].revents && !hop(0, 4)) {
			close(4); /* EOF to the app */
			p[0].fd = -1;
		}
		if (p[1].revents && !hop(3, 1)) {
			shutdown(1, SHUT_WR);
			p[1].fd = -1;
		}
	}
	return 0;
}
