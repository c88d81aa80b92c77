/* Raw x86-64 system calls: the kernel returns -errno in rax. */
#ifndef TLSD_RT_SYS_H
#define TLSD_RT_SYS_H

#include <asm/unistd.h>

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
	                   "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

#define SYS0(n) sys6((n), 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d)                                                    \
	sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#endif
