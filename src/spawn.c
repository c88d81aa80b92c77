#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Runs in the vfork child, on the parent's stack and memory: only system
 * calls, no allocation, no stdio. On failure the exec error is stored in
 * *err, which the parent reads once vfork returns (the child has exited
 * by then: vfork resumes the parent only after an exec or _exit).
 */
__attribute__((noreturn)) static void child(const char *const *paths,
                                            size_t npaths, char *const *argv,
                                            char *const *envp, const int *keep,
                                            size_t nkeep, volatile int *err)
{
	int e = 0;

	for (size_t i = 0; i < nkeep; i++) {
		if (fcntl(keep[i], F_SETFD, 0) < 0) {
			*err = errno;
			_exit(127);
		}
	}
	for (size_t i = 0; i < npaths; i++) {
		execve(paths[i], argv, envp);
		e = errno;
		if (e != ENOENT && e != ENOTDIR)
			break;
	}
	*err = e ? e : ENOENT;
	_exit(127);
}

pid_t spawn_first(const char *const *paths, size_t npaths, char *const *argv,
                  char *const *envp, const int *keep, size_t nkeep)
{
	volatile int err = 0;
	pid_t pid = vfork();

	if (pid < 0)
		return -1;
	if (!pid)
		child(paths, npaths, argv, envp, keep, nkeep, &err);
	if (err) {
		int e = err;

		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	return pid;
}
