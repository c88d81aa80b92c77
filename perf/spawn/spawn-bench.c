/*
 * spawn-bench: how fast can a process start a child program?
 *
 * Times N spawn+wait cycles of a trivial program with posix_spawn,
 * vfork+execve and fork+execve, from a process whose memory footprint is
 * set on the command line (fork's cost grows with the parent's mapped and
 * touched pages; CLONE_VM spawns do not copy page tables at all).
 *
 * Usage: spawn-bench [-n N] [-m MiB] [-b batches] [prog]
 *   -n N        spawn+wait cycles per method (default 2000)
 *   -m MiB      extra heap to allocate and touch first (default 0)
 *   -b batches  N is run in this many batches, the methods taking turns
 *               batch by batch (default 20); we print the median batch
 *   prog        the child (default /bin/true)
 *
 * Wall time per spawn is the median over batches (robust against other
 * load on the machine); CPU per spawn is user + system time of this
 * process and its children, averaged.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pid_t spawn_posix(char **argv)
{
	pid_t pid;
	int e = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);

	if (e) {
		errno = e;
		return -1;
	}
	return pid;
}

static pid_t spawn_vfork(char **argv)
{
	pid_t pid = vfork();

	if (!pid) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return pid;
}

static pid_t spawn_fork(char **argv)
{
	pid_t pid = fork();

	if (!pid) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return pid;
}

static const struct method {
	const char *name;
	pid_t (*spawn)(char **argv);
} methods[] = {
    {"posix_spawn", spawn_posix},
    {"vfork+execve", spawn_vfork},
    {"fork+execve", spawn_fork},
};
#define NMETHODS (sizeof methods / sizeof methods[0])

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system CPU seconds used so far by us and our reaped children. */
static double cpu(void)
{
	struct rusage a, b;

	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	return a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec +
	       b.ru_stime.tv_sec +
	       (a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
	        b.ru_stime.tv_usec) /
	           1e6;
}

/* n spawn+wait cycles; adds the wall and CPU seconds to *wall, *cpus. */
static void run(const struct method *m, char **argv, long n, double *wall,
                double *cpus)
{
	double t0 = now(), c0 = cpu();

	for (long i = 0; i < n; i++) {
		int st;
		pid_t pid = m->spawn(argv);

		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			fprintf(stderr, "spawn-bench: %s failed: %s\n", m->name,
			        strerror(errno));
			exit(111);
		}
	}
	*wall = now() - t0;
	*cpus += cpu() - c0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = 2000, mib = 0, batches = 20;
	static double wall[NMETHODS][1000];
	double cpus[NMETHODS] = {0};
	char *child[] = {"/bin/true", NULL};
	int c;

	while ((c = getopt(argc, argv, "n:m:b:")) != -1) {
		switch (c) {
		case 'n':
			n = atol(optarg);
			break;
		case 'm':
			mib = atol(optarg);
			break;
		case 'b':
			batches = atol(optarg);
			break;
		default:
			return 100;
		}
	}
	if (batches < 1 || batches > 1000 || n < batches)
		return 100;
	if (optind < argc)
		child[0] = argv[optind];
	if (mib) {
		char *p = malloc((size_t)mib << 20);

		if (!p)
			return 111;
		memset(p, 1, (size_t)mib << 20); /* make the pages real */
	}
	/* methods interleaved batch by batch, so load changes hit all alike */
	for (long b = 0; b < batches; b++)
		for (size_t k = 0; k < NMETHODS; k++)
			run(&methods[k], child, n / batches, &wall[k][b],
			    &cpus[k]);
	printf("footprint +%ld MiB, %ld spawns of %s per method, in %ld "
	       "interleaved batches\n",
	       mib, n / batches * batches, child[0], batches);
	printf("  %-13s %14s %14s\n", "method", "median wall", "CPU");
	for (size_t k = 0; k < NMETHODS; k++) {
		double per = 1e6 / (double)(n / batches);

		qsort(wall[k], (size_t)batches, sizeof wall[k][0], cmp_double);
		printf("  %-13s %8.1f us/sp %8.1f us/sp\n", methods[k].name,
		       wall[k][batches / 2] * per,
		       cpus[k] * per / (double)batches);
	}
	return 0;
}
