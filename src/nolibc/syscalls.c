/* The system call wrappers, errno, and stderr. Each returns as libc's
 * does: -1 with errno set when the kernel answers -errno. */
#include "rt.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

static int err_no;

int *__errno_location(void)
{
	return &err_no;
}

static long ret(long r)
{
	if ((unsigned long)r > -4096UL) {
		err_no = (int)-r;
		return -1;
	}
	return r;
}

#define R(x) ret((long)(x))

ssize_t read(int fd, void *b, size_t n)
{
	return R(SYS3(__NR_read, fd, b, n));
}

ssize_t write(int fd, const void *b, size_t n)
{
	return R(SYS3(__NR_write, fd, b, n));
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
	return R(SYS4(__NR_pwrite64, fd, b, n, off));
}

int close(int fd)
{
	return (int)R(SYS1(__NR_close, fd));
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	return (int)R(SYS4(__NR_openat, AT_FDCWD, path, flags, mode));
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return (int)R(SYS3(__NR_fcntl, fd, cmd, arg));
}

int stat(const char *restrict path, struct stat *restrict st)
{
	return (int)R(SYS4(__NR_newfstatat, AT_FDCWD, path, st, 0));
}

int fstat(int fd, struct stat *st)
{
	return (int)R(SYS2(__NR_fstat, fd, st));
}

int ftruncate(int fd, off_t len)
{
	return (int)R(SYS2(__NR_ftruncate, fd, len));
}

int fchown(int fd, uid_t u, gid_t g)
{
	return (int)R(SYS3(__NR_fchown, fd, u, g));
}

int link(const char *a, const char *b)
{
	return (int)R(SYS2(__NR_link, a, b));
}

int unlink(const char *p)
{
	return (int)R(SYS1(__NR_unlink, p));
}

ssize_t readlink(const char *restrict p, char *restrict b, size_t n)
{
	return R(SYS3(__NR_readlink, p, b, n));
}

ssize_t getdents64(int fd, void *b, size_t n)
{
	return R(SYS3(__NR_getdents64, fd, b, n));
}

int dup2(int a, int b)
{
	return (int)R(SYS2(__NR_dup2, a, b));
}

int pipe2(int fds[2], int flags)
{
	return (int)R(SYS2(__NR_pipe2, fds, flags));
}

void *mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
	long r = sys6(__NR_mmap, (long)a, (long)n, prot, flags, fd, off);

	return (unsigned long)r > -4096UL ? (err_no = (int)-r, MAP_FAILED)
	                                  : (void *)r;
}

int munmap(void *a, size_t n)
{
	return (int)R(SYS2(__NR_munmap, a, n));
}

int poll(struct pollfd *f, nfds_t n, int timeout)
{
	return (int)R(SYS3(__NR_poll, f, n, timeout));
}

ssize_t send(int fd, const void *b, size_t n, int flags)
{
	return R(sys6(__NR_sendto, fd, (long)b, (long)n, flags, 0, 0));
}

int shutdown(int fd, int how)
{
	return (int)R(SYS2(__NR_shutdown, fd, how));
}

ssize_t getrandom(void *b, size_t n, unsigned flags)
{
	return R(SYS3(__NR_getrandom, b, n, flags));
}

int prctl(int op, ...)
{
	va_list ap;
	unsigned long a[4];

	va_start(ap, op);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	return (int)R(sys6(__NR_prctl, op, (long)a[0], (long)a[1], (long)a[2],
	                   (long)a[3], 0));
}

int clock_gettime(clockid_t c, struct timespec *ts)
{
	return (int)R(SYS2(__NR_clock_gettime, c, ts));
}

time_t time(time_t *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return (time_t)-1;
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

pid_t getpid(void)
{
	return (pid_t)SYS0(__NR_getpid);
}

uid_t geteuid(void)
{
	return (uid_t)SYS0(__NR_geteuid);
}

gid_t getegid(void)
{
	return (gid_t)SYS0(__NR_getegid);
}

int setuid(uid_t u)
{
	return (int)R(SYS1(__NR_setuid, u));
}

int setgid(gid_t g)
{
	return (int)R(SYS1(__NR_setgid, g));
}

int setgroups(size_t n, const gid_t *g)
{
	return (int)R(SYS2(__NR_setgroups, n, g));
}

int kill(pid_t p, int sig)
{
	return (int)R(SYS2(__NR_kill, p, sig));
}

pid_t waitpid(pid_t p, int *st, int opt)
{
	return (pid_t)R(SYS4(__NR_wait4, p, st, opt, 0));
}

pid_t fork(void)
{
	return (pid_t)R(SYS0(__NR_fork));
}

int execve(const char *p, char *const *argv, char *const *envp)
{
	return (int)R(SYS3(__NR_execve, p, argv, envp));
}

/*
 * vfork in assembly: the child runs on the parent's stack, so this must
 * not keep its return address there (the child's next call would
 * overwrite it before the parent returns). It waits in a register.
 */
__asm__(".text\n"
        ".global vfork\n"
        ".type vfork,@function\n"
        "vfork:\n"
        "	pop %rdx\n"
        "	mov $58, %eax\n" /* __NR_vfork */
        "	syscall\n"
        "	push %rdx\n"
        "	cmp $-4095, %rax\n"
        "	jae 1f\n"
        "	ret\n"
        "1:	neg %eax\n"
        "	mov %eax, err_no(%rip)\n"
        "	mov $-1, %eax\n"
        "	ret\n");

/* SIG_IGN and SIG_DFL need no restorer; a handler returns through one */
__asm__(".text\n"
        "rt_restore:\n"
        "	mov $15, %eax\n" /* __NR_rt_sigreturn */
        "	syscall\n");
extern char rt_restore[];

sighandler_t signal(int sig, sighandler_t h)
{
	struct {
		sighandler_t h;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} sa = {h, SA_RESTART | 0x04000000 /* SA_RESTORER */, rt_restore, 0},
	  old;

	if (R(SYS4(__NR_rt_sigaction, sig, &sa, &old, 8)) < 0)
		return SIG_ERR;
	return old.h;
}

/* stderr: every write goes straight to fd 2 */
static int stderr_obj;
FILE *stderr = (FILE *)&stderr_obj;

size_t fwrite(const void *restrict b, size_t size, size_t n, FILE *restrict f)
{
	size_t total = size * n, done = 0;
	int fd = f == stderr ? 2 : -1;

	while (done < total) {
		ssize_t w = write(fd, (const char *)b + done, total - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return size ? done / size : 0;
}

int fflush(FILE *f)
{
	return 0;
}
