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

/*
 * What the tunnel does after set-up: io_uring_enter (or poll and plain
 * reads and writes for the poll engine), the files-update register call
 * that drops a closed descriptor from the ring, close and shutdown as the
 * directions end, send for a last alert, write for the notification and
 * messages, munmap and exit. rt_sigprocmask, tgkill, getpid and gettid
 * let abort() still work. restart_syscall is how the kernel resumes a
 * poll(2) with a timeout that a stop and continue (SIGSTOP, a debugger)
 * interrupted: refused, the poll engine's wait would fail with EPERM.
 */
static const unsigned allowed[] = {
    __NR_io_uring_enter, __NR_io_uring_register,
    __NR_read,           __NR_write,
    __NR_writev,         __NR_sendto,
    __NR_close,          __NR_shutdown,
    __NR_ppoll,
#ifdef __NR_poll
    __NR_poll,
#endif
    __NR_clock_gettime,  __NR_munmap,
    __NR_rt_sigreturn,   __NR_restart_syscall,
    __NR_rt_sigprocmask, __NR_tgkill,
    __NR_getpid,         __NR_gettid,
    __NR_exit,           __NR_exit_group,
};
#define NALLOWED (sizeof allowed / sizeof allowed[0])

/*
 * The filter is a binary search over the sorted numbers, not a list of
 * comparisons. When it is installed, the kernel runs it in an emulator
 * for each of the ~460 system call numbers, with interrupts off, to cache
 * those it always allows: a list costs up to one comparison per allowed
 * call for each number, the tree about five.
 *
 * A forbidden call fails with EPERM rather than killing the process: the
 * code on that path then reports a clean one-line error, and a compromise
 * gains nothing either way. A foreign ABI (x32, another architecture) is
 * killed outright: its numbers mean other calls.
 */
enum { AT_ALLOW = 1000, AT_DENY, AT_KILL, AT_NEXT }; /* symbolic targets */

struct prog {
	struct sock_filter *f;
	unsigned short at[SANDBOX_FILTER_MAX][2]; /* jt, jf: absolute */
	unsigned n;
};

static void op(struct prog *p, unsigned short code, unsigned k,
               unsigned short jt, unsigned short jf)
{
	if (p->n < SANDBOX_FILTER_MAX) {
		p->f[p->n] = (struct sock_filter)BPF_STMT(code, k);
		p->at[p->n][0] = jt == AT_NEXT ? p->n + 1 : jt;
		p->at[p->n][1] = jf == AT_NEXT ? p->n + 1 : jf;
	}
	p->n++;
}

/* nr[lo, hi) sorted: allow those, deny the rest */
static void tree(struct prog *p, const unsigned *nr, unsigned lo, unsigned hi)
{
	unsigned mid, split;

	if (hi - lo <= 3) {
		for (unsigned i = lo; i < hi; i++)
			op(p, BPF_JMP | BPF_JEQ | BPF_K, nr[i], AT_ALLOW,
			   i + 1 < hi ? AT_NEXT : AT_DENY);
		return;
	}
	mid = lo + (hi - lo) / 2;
	split = p->n;
	op(p, BPF_JMP | BPF_JGE | BPF_K, nr[mid], 0, AT_NEXT);
	tree(p, nr, lo, mid);
	if (split < SANDBOX_FILTER_MAX)
		p->at[split][0] = (unsigned short)p->n;
	tree(p, nr, mid, hi);
}

int sandbox_filter(struct sock_filter *out)
{
	struct prog p = {.f = out, .n = 0};
	unsigned nr[NALLOWED], end;

	for (unsigned i = 0; i < NALLOWED; i++) { /* insertion sort */
		unsigned j = i, v = allowed[i];

		for (; j && nr[j - 1] > v; j--)
			nr[j] = nr[j - 1];
		nr[j] = v;
	}
	op(&p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0,
	   0);
	op(&p, BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, AT_NEXT, AT_KILL);
	op(&p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0,
	   0);
#ifdef __x86_64__
	op(&p, BPF_JMP | BPF_JGE | BPF_K, 0x40000000, AT_KILL,
	   AT_NEXT); /* x32 */
#endif
	tree(&p, nr, 0, NALLOWED);
	end = p.n;
	op(&p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	op(&p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA),
	   0, 0);
	op(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	if (p.n > SANDBOX_FILTER_MAX)
		return -ENOSPC;
	for (unsigned i = 0; i < end; i++) {
		if (BPF_CLASS(out[i].code) != BPF_JMP)
			continue;
		for (int k = 0; k < 2; k++) {
			unsigned t = p.at[i][k];

			t = t == AT_ALLOW  ? end
			    : t == AT_DENY ? end + 1
			    : t == AT_KILL ? end + 2
			                   : t;
			if (t <= i || t - i - 1 > 255)
				return -ERANGE;
			if (k)
				out[i].jf = (unsigned char)(t - i - 1);
			else
				out[i].jt = (unsigned char)(t - i - 1);
		}
	}
	return (int)p.n;
}

int sandbox_enter(const char **what)
{
	struct sock_filter f[SANDBOX_FILTER_MAX];
	struct sock_fprog prog = {.filter = f};
	int n;

	*what = "build the seccomp filter";
	n = sandbox_filter(f);
	if (n < 0)
		return n;
	prog.len = (unsigned short)n;
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
