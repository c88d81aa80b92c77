/*
 * Starting a child program cheaply: vfork + execve (see doc/spawn.md for
 * why not posix_spawn or fork).
 */
#ifndef TLSD_SPAWN_H
#define TLSD_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Starts the first of paths[0..npaths) that can be executed, with argv
 * (argv[0] included, as given) and envp. Paths that do not exist (ENOENT,
 * ENOTDIR) are skipped; any other exec error stops the search. The fds
 * listed in keep[0..nkeep) lose FD_CLOEXEC in the child only; everything
 * else the caller opened with O_CLOEXEC stays out of the child.
 *
 * Returns the child's pid, or -1 with errno set (the last exec error when
 * no path could be executed; the failed child is already reaped).
 *
 * The caller must not have installed signal handlers: the child shares
 * the parent's memory until it execs.
 */
pid_t spawn_first(const char *const *paths, size_t npaths, char *const *argv,
                  char *const *envp, const int *keep, size_t nkeep);

#endif
