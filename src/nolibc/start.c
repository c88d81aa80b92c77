/*
 * Process entry, thread pointer and exit, in place of glibc's start-up.
 *
 * The thread pointer matters even in a single-threaded program: code
 * built with -fstack-protector (Debian's BearSSL and liburing are) reads
 * its canary at %fs:0x28, so %fs must point at a block whose word there
 * holds one. It comes from the kernel's AT_RANDOM bytes, low byte zeroed
 * as glibc does, so that a string overflow cannot reproduce it.
 */
#include "rt.h"
#include "sys.h"

#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARCH_SET_FS 0x1002

int main(int argc, char **argv);
__attribute__((noreturn, used)) void rt_start(long *sp);

static struct {
	void *self; /* %fs:0, as the x86-64 ABI lays the block out */
	uintptr_t pad[4];
	uintptr_t canary; /* %fs:0x28 */
} __attribute__((aligned(64))) tcb;

__asm__(".text\n"
        ".global _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "	xor %ebp, %ebp\n"
        "	mov %rsp, %rdi\n"
        "	and $-16, %rsp\n"
        "	call rt_start\n"
        "	hlt\n");

extern void (*__init_array_start[])(void) __attribute__((weak));
extern void (*__init_array_end[])(void) __attribute__((weak));

void rt_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1, **e = envp;
	Elf64_auxv_t *aux;

	while (*e)
		e++;
	for (aux = (Elf64_auxv_t *)(void *)(e + 1); aux->a_type != AT_NULL;
	     aux++)
		if (aux->a_type == AT_RANDOM)
			memcpy(&tcb.canary, (void *)aux->a_un.a_val,
			       sizeof tcb.canary);
	tcb.canary &= ~(uintptr_t)0xff;
	tcb.self = &tcb;
	SYS2(__NR_arch_prctl, ARCH_SET_FS, &tcb);
	environ = envp;
	for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
		(*f)();
	exit(main(argc, argv));
}

void _exit(int code)
{
	for (;;)
		SYS1(__NR_exit_group, code);
}

/* stderr is unbuffered and nothing writes stdout: no flush is owed */
void exit(int code)
{
	_exit(code);
}

void abort(void)
{
	unsigned long s = 1UL << (SIGABRT - 1);
	struct {
		void *h;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} dfl = {SIG_DFL, 0, NULL, 0};

	SYS4(__NR_rt_sigprocmask, SIG_UNBLOCK, &s, NULL, 8);
	SYS3(__NR_tgkill, SYS0(__NR_getpid), SYS0(__NR_gettid), SIGABRT);
	SYS4(__NR_rt_sigaction, SIGABRT, &dfl, NULL, 8);
	SYS3(__NR_tgkill, SYS0(__NR_getpid), SYS0(__NR_gettid), SIGABRT);
	_exit(127);
}

__attribute__((noreturn)) void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	static const char m[] = "stack smashing detected\n";

	SYS3(__NR_write, 2, m, sizeof m - 1);
	abort();
}

/* What -D_FORTIFY_SOURCE code (Debian's BearSSL) calls. */
void *__memcpy_chk(void *d, const void *s, size_t n, size_t cap);
void *__memmove_chk(void *d, const void *s, size_t n, size_t cap);
void *__memset_chk(void *d, int c, size_t n, size_t cap);

void *__memcpy_chk(void *d, const void *s, size_t n, size_t cap)
{
	if (n > cap)
		__stack_chk_fail();
	return memcpy(d, s, n);
}

void *__memmove_chk(void *d, const void *s, size_t n, size_t cap)
{
	if (n > cap)
		__stack_chk_fail();
	return memmove(d, s, n);
}

void *__memset_chk(void *d, int c, size_t n, size_t cap)
{
	if (n > cap)
		__stack_chk_fail();
	return memset(d, c, n);
}
