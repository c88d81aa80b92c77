/*
 * s6-tlsd: makes a cleartext server TLS-capable. fd 0/1 are the network;
 * it spawns s6-tlsd-io on them, waits for the handshake notification,
 * puts what it says into the environment and execs prog (same pid) with
 * fd 0/1 on cleartext pipes to s6-tlsd-io.
 *
 * Where s6-tlsd-io is looked for, in order:
 *   - $S6_TLSD_IO, when set and not empty: that path and nothing else (an
 *     explicit override, for tests and unusual installs);
 *   - the directory of the running s6-tlsd (/proc/self/exe), so a build
 *     tree and an install prefix both work without set-up;
 *   - TLSD_LIBEXEC_DIR, the compiled-in install directory.
 *
 * With --fork-io (or S6_TLSD_FORK_IO set to anything but "" and "0") no
 * s6-tlsd-io is looked for: the child is a fork of this process that runs
 * the same engine code, linked in, named s6-tlsd-io (one exec less per
 * connection).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "exitcodes.h"
#include "notif.h"
#include "options.h"
#include "spawn.h"
#include "tlsd_env.h"
#include "tlsdio.h"

#ifndef TLSD_LIBEXEC_DIR
#define TLSD_LIBEXEC_DIR "/usr/local/bin"
#endif
#define IO_NAME "s6-tlsd-io"

#define USAGE                                                                  \
	"s6-tlsd [ -S | -s ] [ -J | -j ] [ -Y | -y ] [ -Z | -z ]"              \
	" [ -v verbosity ] [ -K kimeout ] [ -k snilevel ]"                     \
	" [ --fork-io ] [ -- ] prog..."

extern char **environ;

/* Every descriptor is created O_CLOEXEC; the child is given its own three
 * explicitly (spawn_first's keep list), prog gets its two by dup2. */
struct pipes {
	int to_io[2];   /* prog writes [1] -> s6-tlsd-io reads [0] (fdr) */
	int from_io[2]; /* s6-tlsd-io writes [1] (fdw) -> prog reads [0] */
	int notif[2];   /* s6-tlsd-io writes [1] (-d) -> s6-tlsd reads [0] */
};

/* s6-tlsd-io's command line: options in canonical form, then the fds. */
struct io_cmd {
	char *argv[24];
	char num[6][12];
};

static void make_pipes(struct pipes *p)
{
	if (pipe2(p->to_io, O_CLOEXEC) < 0 ||
	    pipe2(p->from_io, O_CLOEXEC) < 0 || pipe2(p->notif, O_CLOEXEC) < 0)
		die(EXIT_TLS_SYS, "unable to create a pipe: %s",
		    strerror(errno));
}

static char *num(struct io_cmd *c, size_t *k, unsigned v)
{
	snprintf(c->num[*k], sizeof c->num[0], "%u", v);
	return c->num[(*k)++];
}

static char *alpn_arg(const char *list)
{
	size_t n = strlen(list);
	char *s = malloc(n + sizeof "--alpn=");

	if (!s)
		die(EXIT_TLS_SYS, "out of memory");
	memcpy(s, "--alpn=", 7);
	memcpy(s + 7, list, n + 1);
	return s;
}

/* Passes every shared option through, defaults included, so s6-tlsd-io
 * runs with exactly what s6-tlsd parsed whatever its own defaults. */
static void build_io_cmd(struct io_cmd *c, const struct tlsd_options *o,
                         const struct pipes *p)
{
	char **a = c->argv;
	size_t k = 0;

	*a++ = IO_NAME;
	*a++ = o->close_notify ? "-S" : "-s";
	*a++ = o->enforce_close_notify ? "-J" : "-j";
	if (o->client_cert)
		*a++ = o->client_cert == 2 ? "-y" : "-Y";
	*a++ = "-v";
	*a++ = num(c, &k, o->verbosity);
	*a++ = "-K";
	*a++ = num(c, &k, o->kimeout);
	*a++ = "-k";
	*a++ = num(c, &k, o->snilevel);
	if (o->alpn)
		*a++ = alpn_arg(o->alpn);
	if (o->alpn_strict)
		*a++ = "--alpn-strict";
	if (o->legacy_suites)
		*a++ = "--legacy-suites";
	*a++ = "-d";
	*a++ = num(c, &k, (unsigned)p->notif[1]);
	*a++ = "--";
	*a++ = num(c, &k, (unsigned)p->to_io[0]);
	*a++ = num(c, &k, (unsigned)p->from_io[1]);
	*a = NULL;
}

/* Fills paths[] with the candidates (see the top of this file). */
static size_t io_paths(const char *paths[3], char *self, size_t cap)
{
	const char *env = getenv("S6_TLSD_IO");
	size_t n = 0;
	ssize_t r;

	if (env && *env) {
		paths[0] = env;
		return 1;
	}
	r = readlink("/proc/self/exe", self, cap - sizeof IO_NAME);
	if (r > 0 && (size_t)r < cap - sizeof IO_NAME) {
		char *slash;

		self[r] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			memcpy(slash + 1, IO_NAME, sizeof IO_NAME);
			paths[n++] = self;
		}
	}
	paths[n++] = TLSD_LIBEXEC_DIR "/" IO_NAME;
	return n;
}

static pid_t spawn_io(const struct tlsd_options *o, const struct pipes *p)
{
	static char self[PATH_MAX + sizeof IO_NAME];
	const char *paths[3];
	size_t npaths = io_paths(paths, self, sizeof self);
	const int keep[] = {p->to_io[0], p->from_io[1], p->notif[1]};
	static struct io_cmd c; /* static: leak checkers see the --alpn copy */
	pid_t pid;

	build_io_cmd(&c, o, p);
	pid = spawn_first(paths, npaths, c.argv, environ, keep, 3);
	if (pid < 0)
		die(EXIT_TLS_SYS, "unable to spawn %s%s%s: %s", paths[0],
		    npaths > 1 ? " or " : "", npaths > 1 ? paths[1] : "",
		    strerror(errno));
	/* our copies of the child's ends: the notification EOF needs this */
	close(p->to_io[0]);
	close(p->from_io[1]);
	close(p->notif[1]);
	return pid;
}

/*
 * --fork-io: the child runs s6-tlsd-io's work itself, with the options
 * s6-tlsd-io would get on its command line, so the two paths do the same
 * thing: everything (keys, privilege drop, sandbox) happens in the child,
 * after the fork; this process never reads a key.
 */
static pid_t fork_io(const struct tlsd_options *o, const struct pipes *p)
{
	pid_t pid = fork();

	if (pid < 0)
		die(EXIT_TLS_SYS, "unable to fork: %s", strerror(errno));
	if (!pid) {
		struct tlsd_options io = *o;

		close(p->to_io[1]);
		close(p->from_io[0]);
		close(p->notif[0]);
		/* what ps, top and the logs show */
		prctl(PR_SET_NAME, IO_NAME, 0, 0, 0);
		diag_init(IO_NAME, o->verbosity);
		io.notif_fd = p->notif[1];
		tlsdio_run(&io, p->to_io[0], p->from_io[1]);
	}
	close(p->to_io[0]);
	close(p->from_io[1]);
	close(p->notif[1]);
	return pid;
}

static int fork_io_wanted(const struct tlsd_options *o)
{
	const char *s = getenv("S6_TLSD_FORK_IO");

	return o->fork_io || (s && *s && strcmp(s, "0"));
}

/* The child's exit code, or 111 if a signal killed it. */
static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die(EXIT_TLS_SYS, "unable to wait for " IO_NAME ": %s",
			    strerror(errno));
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	/* s6-tlsd-io says why it exits; a signal is the one thing it can't */
	die(EXIT_TLS_SYS, IO_NAME " was killed by signal %d (%s)", WTERMSIG(st),
	    strsignal(WTERMSIG(st)));
}

/* For a child we cannot use: stop it, reap it, then die. */
__attribute__((noreturn)) static void kill_and_die(pid_t pid, int code,
                                                   const char *what)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	die(code, "%s", what);
}

/* Reads the block until EOF. Returns its length; NOTIF_MAX + 1 means
 * "too large" (we stop reading there). */
static size_t read_block(int fd, char *buf, pid_t pid)
{
	size_t len = 0;

	while (len <= NOTIF_MAX) {
		ssize_t r = read(fd, buf + len, NOTIF_MAX + 1 - len);

		if (!r)
			break;
		if (r > 0)
			len += (size_t)r;
		else if (errno != EINTR) {
			char msg[128];

			snprintf(
			    msg, sizeof msg,
			    "unable to read the handshake notification: %s",
			    strerror(errno));
			kill_and_die(pid, EXIT_TLS_SYS, msg);
		}
	}
	return len;
}

/* Waits for the handshake; returns only if it completed, with the
 * environment updated from the block. */
static void await_handshake(int fd, pid_t pid)
{
	static char block[NOTIF_MAX + 1];
	size_t len = read_block(fd, block, pid);
	int r;

	if (!len)
		exit(reap(pid)); /* no handshake: s6-tlsd-io said why */
	r = tlsd_env_apply(block, len);
	if (r == 1)
		kill_and_die(pid, EXIT_TLS_SYS,
		             "unable to set the environment");
	if (r) {
		char msg[96];

		snprintf(msg, sizeof msg, "%s from " IO_NAME,
		         notif_strerror(r));
		kill_and_die(pid, EXIT_TLS_PROTO, msg);
	}
}

/* Puts fd on to (a dup2 onto itself would leave FD_CLOEXEC set). */
static void fd_move(int fd, int to)
{
	int r = fd == to ? fcntl(fd, F_SETFD, 0) : dup2(fd, to);

	if (r < 0)
		die(EXIT_TLS_SYS, "unable to set up prog's descriptors: %s",
		    strerror(errno));
}

static void exec_prog(char **argv, int keep_env, const struct pipes *p)
{
	static char **envp; /* static: see io_cmd */
	int w = p->to_io[1];

	envp = tlsd_env_for_prog(environ, keep_env);

	if (!envp)
		die(EXIT_TLS_SYS, "out of memory");
	/* only when fd 0 was closed at start: don't let the first dup2
	 * clobber the second source */
	if (w == 0) {
		w = fcntl(w, F_DUPFD_CLOEXEC, 3);
		if (w < 0)
			die(EXIT_TLS_SYS,
			    "unable to duplicate a descriptor: %s",
			    strerror(errno));
	}
	fd_move(p->from_io[0], 0);
	fd_move(w, 1);
	/* the originals and the notification fd are O_CLOEXEC */
	execvpe(argv[0], argv, envp);
	die(EXIT_TLS_SYS, "unable to exec %s: %s", argv[0], strerror(errno));
}

int main(int argc, char **argv)
{
	struct tlsd_options o;
	struct pipes p;
	const char *err;
	int i = options_parse(argc, argv, &o, OPTIONS_TLSD, &err);
	pid_t pid;

	if (i < 0)
		die(EXIT_TLS_USAGE, "%s; usage: %s", err, USAGE);
	if (i >= argc)
		die(EXIT_TLS_USAGE, "no prog given; usage: %s", USAGE);
	diag_init("s6-tlsd", o.verbosity);
	make_pipes(&p);
	pid = fork_io_wanted(&o) ? fork_io(&o, &p) : spawn_io(&o, &p);
	await_handshake(p.notif[0], pid);
	exec_prog(argv + i, o.keep_env, &p);
	return EXIT_TLS_SYS;
}
