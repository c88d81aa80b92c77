/*
 * noring ERRNO prog args...: runs prog where io_uring_setup(2) fails with
 * ERRNO (a number), as under kernel.io_uring_disabled or a container's
 * seccomp profile, to test s6-tlsd-io's fallback to poll(2).
 * noring -r ERRNO prog args...: io_uring_register(2) fails instead, as on
 * a kernel that cannot restrict rings (EINVAL) or a profile that forbids
 * registering (EPERM).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	int reg = argc > 1 && !strcmp(argv[1], "-r");
	unsigned err = argc > 2 + reg ? (unsigned)atoi(argv[1 + reg]) : 0;
	unsigned nr = reg ? __NR_io_uring_register : __NR_io_uring_setup;
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	             offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & 0xfff)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof f / sizeof f[0], f};

	if (!err) {
		fprintf(stderr, "usage: noring [-r] ERRNO prog args...\n");
		return 100;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
		perror("noring: seccomp");
		return 111;
	}
	execvp(argv[2 + reg], argv + 2 + reg);
	perror("noring: exec");
	return 111;
}
