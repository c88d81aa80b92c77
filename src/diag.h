/* Messages to stderr, one line each: "prog: fatal: ...", "prog: warning:
 * ...", "prog: info: ...". Verbosity 0 silences everything. */
#ifndef TLSD_DIAG_H
#define TLSD_DIAG_H

void diag_init(const char *prog, unsigned verbosity);
unsigned diag_verbosity(void);

/* Prints the message (unless verbosity is 0) and exits with code. */
__attribute__((noreturn, format(printf, 2, 3))) void die(int code,
                                                         const char *fmt, ...);

__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);

/* Printed when verbosity >= level. */
__attribute__((format(printf, 2, 3))) void info(unsigned level, const char *fmt,
                                                ...);

#endif
