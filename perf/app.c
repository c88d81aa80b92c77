/*
 * perf-app: the cleartext side of the benchmarks. One small program with a
 * mode per case, run either beside s6-tlsd-io (its fd 0/1 on pipes to the
 * tunnel) or under stunnel's exec (fd 0/1 on stunnel's socketpair).
 *
 *   perf-app writer BYTES [STATS]  write BYTES to fd 1 (64 KiB writes), exit
 *   perf-app discard [STATS]       read fd 0 to EOF, count the bytes, then
 *                                  write the count and "\n" to fd 1
 *   perf-app echo [STATS]          copy fd 0 to fd 1 until EOF
 *   perf-app line                  write "hello\n" to fd 1, exit
 *   perf-app stopexec PROG ARGS... stop itself (SIGSTOP), and once
 *                                  continued exec PROG: lets the harness
 *                                  attach `perf stat -p` before PROG runs
 *
 * STATS, when given, is a file the app writes one JSON line to at the end:
 * its pid, bytes moved and its own CPU time (RUSAGE_SELF), so the harness
 * can take the app's CPU out of a server's wait4 figures when the server
 * is the app's parent (stunnel reaps its exec child).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define CHUNK 65536

static unsigned char buf[CHUNK];

static double tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static void stats(const char *path, const char *mode, unsigned long long in,
                  unsigned long long out)
{
	struct rusage ru;
	char line[512];
	int fd, n;

	if (!path)
		return;
	getrusage(RUSAGE_SELF, &ru);
	n = snprintf(line, sizeof line,
	             "{\"pid\": %ld, \"mode\": \"%s\", \"bytes_in\": %llu, "
	             "\"bytes_out\": %llu, \"utime\": %.6f, \"stime\": %.6f, "
	             "\"maxrss_kib\": %ld}\n",
	             (long)getpid(), mode, in, out, tv(ru.ru_utime),
	             tv(ru.ru_stime), ru.ru_maxrss);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)!write(fd, line, (size_t)n);
	close(fd);
}

static int write_all(const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t read_some(unsigned char *p, size_t n)
{
	ssize_t r;

	do
		r = read(0, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned long long in = 0, out = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "writer") && argc >= 3) {
		unsigned long long n = strtoull(argv[2], NULL, 10);

		memset(buf, 'x', sizeof buf);
		while (out < n) {
			size_t k = n - out < CHUNK ? (size_t)(n - out) : CHUNK;

			if (write_all(buf, k) < 0) {
				perror("perf-app writer: write");
				stats(argc > 3 ? argv[3] : NULL, mode, in, out);
				return 1;
			}
			out += k;
		}
		stats(argc > 3 ? argv[3] : NULL, mode, in, out);
		return 0;
	}
	if (!strcmp(mode, "discard")) {
		char reply[32];
		ssize_t r;
		int n;

		while ((r = read_some(buf, sizeof buf)) > 0)
			in += (unsigned long long)r;
		n = snprintf(reply, sizeof reply, "%llu\n", in);
		if (write_all((unsigned char *)reply, (size_t)n) == 0)
			out = (unsigned long long)n;
		stats(argc > 2 ? argv[2] : NULL, mode, in, out);
		return r < 0;
	}
	if (!strcmp(mode, "echo")) {
		ssize_t r;

		while ((r = read_some(buf, 4096)) > 0) {
			in += (unsigned long long)r;
			if (write_all(buf, (size_t)r) < 0)
				break;
			out += (unsigned long long)r;
		}
		stats(argc > 2 ? argv[2] : NULL, mode, in, out);
		return 0;
	}
	if (!strcmp(mode, "stopexec") && argc >= 3) {
		raise(SIGSTOP);
		execv(argv[2], argv + 2);
		perror("perf-app stopexec: exec");
		return 111;
	}
	if (!strcmp(mode, "line"))
		return write_all((const unsigned char *)"hello\n", 6) < 0;
	fprintf(stderr, "usage: perf-app writer BYTES [STATS] | discard [STATS]"
	                " | echo [STATS] | line\n");
	return 100;
}
