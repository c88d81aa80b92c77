/*
 * perf-acceptd: a minimal super-server for the connection-rate case, like
 * s6-tcpserverd: listens on 127.0.0.1, and for each connection spawns
 * prog with fd 0 and fd 1 on the socket. It spawns the way s6-tcpserverd
 * does (skalibs' cspawn, that is posix_spawn: a CLONE_VM|CLONE_VFORK child
 * that execs at once), so the new process copies none of this one's
 * memory; with -f it forks and execs like ucspi-tcp's tcpserver, and each
 * connection then also pays for the copy (about 21 page faults here).
 * It is a child subreaper, so every
 * process a connection starts (s6-tlsd's s6-tlsd-io child outlives the app
 * it becomes; stunnel's exec child) is reaped here, and their CPU time adds
 * up in the rusage of wait4.
 *
 *   perf-acceptd [-f] PORTFILE prog args...
 *
 * Writes the port to PORTFILE once listening. On SIGTERM or SIGINT it
 * stops accepting, waits (at most 10 s) for every descendant, then prints
 * one JSON object: connections accepted, processes reaped, their user and
 * system CPU seconds and minor page faults, the largest ru_maxrss, how
 * many exited non-zero, and the CPU and faults by program (the name a process
 * had when it exited: s6-tlsd becomes the app it execs, so its CPU is counted
 * under the app's name).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

static volatile sig_atomic_t stop;
static unsigned long accepted, reaped, bad_exit;
static double utime, stime;
static unsigned long minflt;
static long maxrss;
static int codes[256];

/* CPU by program name (the comm of the process when it exited). */
#define MAXPROG 8
static struct {
	char comm[32];
	unsigned long n, minflt;
	double cpu;
} prog[MAXPROG];
static int nprog;

static void comm_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	snprintf(out, len, "?");
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static void account(const char *comm, double cpu, unsigned long flt)
{
	int i;

	for (i = 0; i < nprog; i++)
		if (!strcmp(prog[i].comm, comm))
			break;
	if (i == nprog) {
		if (nprog == MAXPROG)
			i = MAXPROG - 1; /* lumped into the last */
		else
			snprintf(prog[nprog++].comm, sizeof prog[0].comm, "%s",
			         comm);
	}
	prog[i].n++;
	prog[i].cpu += cpu;
	prog[i].minflt += flt;
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static int reap(int flags)
{
	struct rusage ru;
	int st, n = 0;
	pid_t p;

	for (;;) {
		siginfo_t si = {0};
		char comm[32];

		/* Peek first: the zombie's comm says which program it was. */
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | flags) < 0) {
			p = -1;
			break;
		}
		if (!si.si_pid) {
			p = 0;
			break;
		}
		comm_of(si.si_pid, comm, sizeof comm);
		p = wait4(si.si_pid, &st, 0, &ru);
		if (p <= 0)
			break;
		account(comm, tv(ru.ru_utime) + tv(ru.ru_stime),
		        (unsigned long)ru.ru_minflt);
		minflt += (unsigned long)ru.ru_minflt;
		reaped++;
		n++;
		utime += tv(ru.ru_utime);
		stime += tv(ru.ru_stime);
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
		if (WIFEXITED(st)) {
			codes[WEXITSTATUS(st)]++;
			if (WEXITSTATUS(st))
				bad_exit++;
		} else {
			bad_exit++;
		}
	}
	return p < 0 && errno == ECHILD ? -1 : n;
}

extern char **environ;

/* fd 0 and fd 1 on the connection c (O_CLOEXEC, so closed at the exec),
 * SIGPIPE back to its default (this process ignores it). */
static pid_t start(int c, char **argv, int use_fork)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	pid_t pid;

	if (use_fork) {
		pid = fork();
		if (pid == 0) {
			signal(SIGPIPE, SIG_DFL);
			if (dup2(c, 0) < 0 || dup2(c, 1) < 0)
				_exit(111);
			execvp(argv[0], argv);
			_exit(127);
		}
		return pid;
	}
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, c, 0);
	posix_spawn_file_actions_adddup2(&fa, c, 1);
	errno = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	if (errno)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return pid;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof a;
	struct sigaction sa = {.sa_handler = on_stop};
	int one = 1, lfd, use_fork = argc > 1 && !strcmp(argv[1], "-f");
	FILE *f;

	argv += use_fork;
	argc -= use_fork;
	if (argc < 3) {
		fprintf(stderr, "usage: perf-acceptd [-f] PORTFILE prog...\n");
		return 100;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		perror("perf-acceptd: listen");
		return 111;
	}
	f = fopen(argv[1], "w");
	if (!f) {
		perror("perf-acceptd: port file");
		return 111;
	}
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	while (!stop) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int c;

		reap(WNOHANG);
		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		accepted++;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (start(c, argv + 2, use_fork) < 0)
			perror("perf-acceptd: spawn");
		close(c);
	}
	close(lfd);
	for (double end = now() + 10; now() < end;) {
		if (reap(WNOHANG) < 0)
			break;
		usleep(5000);
	}
	printf("{\"accepted\": %lu, \"reaped\": %lu, \"bad_exit\": %lu, "
	       "\"utime\": %.6f, \"stime\": %.6f, \"minflt\": %lu, "
	       "\"maxrss_kib\": %ld, \"exit_codes\": {",
	       accepted, reaped, bad_exit, utime, stime, minflt, maxrss);
	for (int i = 0, first = 1; i < 256; i++)
		if (codes[i]) {
			printf("%s\"%d\": %d", first ? "" : ", ", i, codes[i]);
			first = 0;
		}
	printf("}, \"by_program\": {");
	for (int i = 0; i < nprog; i++)
		printf("%s\"%s\": {\"n\": %lu, \"cpu\": %.6f, \"minflt\": %lu}",
		       i ? ", " : "", prog[i].comm, prog[i].n, prog[i].cpu,
		       prog[i].minflt);
	printf("}}\n");
	return 0;
}
