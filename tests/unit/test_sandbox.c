/* The sandbox (src/sandbox.c) and the ring's restrictions (ring/io_uring.c)
 * refuse what the tunnel never does. Each case runs in a child process:
 * a sandbox cannot be left. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "tunnel_state.h" /* white-box: the ring itself */

/* Runs fn in a child; returns what it exited with. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (!pid)
		_exit(fn());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died: status %d", status);
	return WEXITSTATUS(status);
}

static int forbidden_calls(void)
{
	const char *what;

	if (sandbox_enter(&what) < 0)
		return 10;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 12; /* prctl itself is refused now */
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EPERM)
		return 13;
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EPERM)
		return 14;
	if (fork() != -1 || errno != EPERM)
		return 15;
	if (write(2, "", 0) != 0) /* allowed: messages */
		return 16;
	return 0;
}

Test(sandbox, refuses_other_system_calls)
{
#ifdef TLSD_NO_SECCOMP
	cr_skip_test("seccomp is off in sanitizer builds");
#endif
	int r = in_child(forbidden_calls);

	cr_assert_eq(r, 0, "step %d", r);
}

/* A poll with a timeout, stopped and continued meanwhile: the kernel
 * resumes it through restart_syscall, which the filter must allow. */
static int poll_across_stop(void)
{
	const char *what;
	int p[2];
	struct pollfd pfd;

	if (pipe(p) < 0 || sandbox_enter(&what) < 0)
		return 10;
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	/* The parent stops and continues us within this second. */
	if (poll(&pfd, 1, 1500) != 0)
		return 11;
	return 0;
}

Test(sandbox, poll_survives_a_stop)
{
	int status;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (!pid)
		_exit(poll_across_stop());
	usleep(300 * 1000); /* in poll by now, most likely; either way it
	                     * must not fail */
	kill(pid, SIGSTOP);
	usleep(100 * 1000);
	kill(pid, SIGCONT);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died: status %d", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "step %d", WEXITSTATUS(status));
}

/* The child enters the sandbox and waits; the parent reads its status. */
Test(sandbox, status_shows_no_new_privs_and_seccomp)
{
	int go[2], ready[2];
	char c, path[64], st[4096];
	const char *what;
	ssize_t n;
	pid_t pid;
	FILE *f;

	cr_assert(!pipe(go) && !pipe(ready));
	pid = fork();
	cr_assert(pid >= 0);
	if (!pid) {
		if (sandbox_enter(&what) < 0)
			_exit(10);
		(void)!write(ready[1], "r", 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	cr_assert_eq(read(ready[0], &c, 1), 1);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert(f);
	n = (ssize_t)fread(st, 1, sizeof st - 1, f);
	fclose(f);
	st[n > 0 ? n : 0] = 0;
	(void)!write(go[1], "g", 1);
	waitpid(pid, NULL, 0);
	cr_assert(strstr(st, "NoNewPrivs:\t1"), "%s", st);
#ifndef TLSD_NO_SECCOMP
	cr_assert(strstr(st, "Seccomp:\t2"), "%s", st);
#endif
}

/* Submits one SQE on the tunnel's ring and returns its result. */
static int submit_one(struct io_uring *ring, struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	int res;

	(void)sqe;
	if (io_uring_submit_and_wait(ring, 1) < 0)
		return -9999;
	if (io_uring_peek_cqe(ring, &cqe) < 0)
		return -9998;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static struct tunnel tun;

static int setup_tunnel(void)
{
	int sv[2], in[2], out[2];
	struct tunnel_fds fds;
	struct tunnel_config cfg = {.engine = TUNNEL_ENGINE_URING};

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(in) || pipe(out))
		return -1;
	fds = (struct tunnel_fds){sv[0], sv[0], in[0], out[1]};
	/* The engine is never touched by tunnel_init. */
	return tunnel_init(&tun, NULL, &fds, &cfg);
}

static int forbidden_ring_ops(void)
{
	struct io_uring *ring = &tun.be.u.ring;
	struct io_uring_sqe *sqe;
	char buf[8];

	if (setup_tunnel() < 0 || !tun.be.u.restricted)
		return 10;
	/* An opcode the tunnel never uses. */
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	if (submit_one(ring, sqe) != -EACCES)
		return 11;
	/* A read, but on a descriptor that is not one of the four. */
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_read(sqe, 2, buf, sizeof buf, 0);
	if (submit_one(ring, sqe) != -EACCES)
		return 12;
	/* A NOP is no exception. */
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_nop(sqe);
	if (submit_one(ring, sqe) != -EACCES)
		return 13;
	return 0;
}

Test(ring, restricted_to_its_opcodes_and_fds)
{
	cr_assert_eq(in_child(forbidden_ring_ops), 0);
}

#ifdef __x86_64__
/* A classic-BPF interpreter for what the filter uses: LD W ABS, JEQ and
 * JGE with constants, RET. */
static unsigned run_filter(const struct sock_filter *f, int n,
                           const struct seccomp_data *d)
{
	unsigned a = 0;

	for (int pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_leq(i->k + 4, sizeof *d);
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert_fail("unexpected instruction %#x at %d",
			               i->code, pc);
		}
	}
	cr_assert_fail("ran off the end");
	return 0;
}

Test(sandbox, filter_decides_every_number)
{
	static const int allow[] = {__NR_io_uring_enter, __NR_io_uring_register,
	                            __NR_read,           __NR_write,
	                            __NR_writev,         __NR_sendto,
	                            __NR_close,          __NR_shutdown,
	                            __NR_ppoll,          __NR_poll,
	                            __NR_clock_gettime,  __NR_munmap,
	                            __NR_rt_sigreturn,   __NR_restart_syscall,
	                            __NR_rt_sigprocmask, __NR_tgkill,
	                            __NR_getpid,         __NR_gettid,
	                            __NR_exit,           __NR_exit_group};
	struct sock_filter f[SANDBOX_FILTER_MAX];
	int n = sandbox_filter(f);
	struct seccomp_data d = {.arch = AUDIT_ARCH_X86_64};

	cr_assert_gt(n, 0);
	for (unsigned nr = 0; nr < 1024; nr++) {
		int yes = 0;

		for (size_t i = 0; i < sizeof allow / sizeof *allow; i++)
			yes |= allow[i] == (int)nr;
		d.nr = (int)nr;
		cr_assert_eq(run_filter(f, n, &d),
		             yes ? SECCOMP_RET_ALLOW
		                 : SECCOMP_RET_ERRNO | EPERM,
		             "nr %u", nr);
	}
	d.nr = 0x40000000 + __NR_read; /* x32 */
	cr_assert_eq(run_filter(f, n, &d), SECCOMP_RET_KILL_PROCESS);
	d.nr = __NR_read;
	d.arch = AUDIT_ARCH_I386;
	cr_assert_eq(run_filter(f, n, &d), SECCOMP_RET_KILL_PROCESS);
}
#endif
