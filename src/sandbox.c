#include "sandbox.h"

#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#define ALLOW(nr)                                                              \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                       \
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/*
 * What the tunnel does after set-up: io_uring_enter (or poll and plain
 * reads and writes for the poll engine), the files-update register call
 * that drops a closed descriptor from the ring, close and shutdown as the
 * directions end, send for a last alert, write for the notification and
 * messages, munmap and exit. rt_sigprocmask, tgkill, getpid and gettid
 * let abort() still work. restart_syscall is how the kernel resumes a
 * poll(2) with a timeout that a stop and continue (SIGSTOP, a debugger)
 * interrupted: refused, the poll engine's wait would fail with EPERM.
 *
 * A forbidden call fails with EPERM rather than killing the process: the
 * code on that path then reports a clean one-line error, and a compromise
 * gains nothing either way. A foreign ABI (x32, another architecture) is
 * killed outright: its numbers mean other calls.
 */
static struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 */
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
    ALLOW(__NR_io_uring_enter),
    ALLOW(__NR_io_uring_register),
    ALLOW(__NR_read),
    ALLOW(__NR_write),
    ALLOW(__NR_writev),
    ALLOW(__NR_sendto),
    ALLOW(__NR_close),
    ALLOW(__NR_shutdown),
    ALLOW(__NR_ppoll),
#ifdef __NR_poll
    ALLOW(__NR_poll),
#endif
    ALLOW(__NR_clock_gettime),
    ALLOW(__NR_munmap),
    ALLOW(__NR_rt_sigreturn),
    ALLOW(__NR_restart_syscall),
    ALLOW(__NR_rt_sigprocmask),
    ALLOW(__NR_tgkill),
    ALLOW(__NR_getpid),
    ALLOW(__NR_gettid),
    ALLOW(__NR_exit),
    ALLOW(__NR_exit_group),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
};

int sandbox_enter(const char **what)
{
	struct sock_fprog prog = {
	    .len = sizeof filter / sizeof filter[0],
	    .filter = filter,
	};

	*what = "prctl(PR_SET_DUMPABLE)";
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	*what = "prctl(PR_SET_NO_NEW_PRIVS)";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
#ifndef TLSD_NO_SECCOMP
	*what = "install the seccomp filter";
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
#else
	(void)prog;
#endif
	return 0;
}
