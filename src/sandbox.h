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

#endif
