/* Least privilege for s6-tlsd-io once its keys are read and its ids
 * dropped, before the first byte from the network is parsed. */
#ifndef TLSD_SANDBOX_H
#define TLSD_SANDBOX_H

/*
 * Makes the process non-dumpable (no core file, no ptrace by the same
 * uid), sets no_new_privs, and installs a seccomp filter that allows only
 * the system calls the tunnel needs: any other fails with EPERM. Returns
 * 0, or -errno with *what naming the step that failed.
 */
int sandbox_enter(const char **what);

/*
 * The seccomp program sandbox_enter installs, written into out (room for
 * SANDBOX_FILTER_MAX instructions): its length, or -errno. Exposed for
 * the unit test that runs it over every system call number.
 */
#define SANDBOX_FILTER_MAX 64
struct sock_filter;
int sandbox_filter(struct sock_filter *out);

#endif
