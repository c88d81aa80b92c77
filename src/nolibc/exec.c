/* execvpe: the PATH search of POSIX's execvp, with glibc's choices: no
 * PATH means "/bin:/usr/bin", a file that is not an executable format
 * (ENOEXEC) runs under /bin/sh, EACCES from one directory is reported
 * only if no other has the file. Runs in a vfork child or just before
 * exec: no allocation, the candidate path is built on the stack. */
#include "rt.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void try_sh(const char *path, char *const *argv, char *const *envp)
{
	size_t n = 0;

	while (argv[n])
		n++;
	{
		char *v[n + 2];

		v[0] = (char *)"/bin/sh";
		v[1] = (char *)path;
		for (size_t i = 1; i <= n; i++)
			v[i + 1] = argv[i];
		execve(v[0], v, envp);
	}
}

static void one(const char *path, char *const *argv, char *const *envp)
{
	execve(path, argv, envp);
	if (errno == ENOEXEC) {
		try_sh(path, argv, envp);
		errno = ENOEXEC;
	}
}

int RT(execvpe)(const char *file, char *const *argv, char *const *envp)
{
	const char *path = RT(getenv)("PATH"), *p;
	size_t flen = RT(strlen)(file);
	int seen_eacces = 0;

	if (!*file) {
		errno = ENOENT;
		return -1;
	}
	if (RT(strchr)(file, '/')) {
		one(file, argv, envp);
		return -1;
	}
	if (!path)
		path = "/bin:/usr/bin";
	if (flen > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = path;; p++) {
		const char *end = RT(strchr)(p, ':');
		size_t dl = end ? (size_t)(end - p) : RT(strlen)(p);
		char buf[PATH_MAX + NAME_MAX + 2];

		if (dl < PATH_MAX) {
			/* an empty element is the current directory */
			RT(memcpy)(buf, p, dl);
			buf[dl] = '/';
			RT(memcpy)(buf + (dl ? dl + 1 : 0), file, flen + 1);
			one(buf, argv, envp);
			if (errno == EACCES)
				seen_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR &&
			         errno != ESTALE && errno != ENODEV &&
			         errno != ETIMEDOUT)
				return -1;
		}
		if (!end)
			break;
		p = end;
	}
	if (seen_eacces)
		errno = EACCES;
	return -1;
}
