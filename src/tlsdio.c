#include "tlsdio.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connlog.h"
#include "diag.h"
#include "exitcodes.h"
#include "notif.h"
#include "outcome.h"
#include "privdrop.h"
#include "sandbox.h"
#include "server.h"
#include "tlsconf.h"
#include "tunnel.h"

/* Large (the engine's buffers): static, not on the stack. The tunnel's
 * state is ring/'s (tunnel_instance). */
static struct tls_server server;
static struct tlsconf conf;

struct notifier {
	int fd;
	struct connlog log;
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			warn("unable to write the handshake notification: %s",
			     strerror(w < 0 ? errno : EIO));
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Called by the tunnel when the handshake completes. */
static void notify(void *ctx)
{
	struct notifier *nf = ctx;
	struct tls_session_info si;
	struct notif_facts f = {0};
	char block[NOTIF_MAX];
	ssize_t len;

	tls_server_session_info(&server, &si);
	connlog_handshake(&nf->log, si.cipher, tls_server_resumed(&server));
	if (nf->log.resumed)
		info(2, "handshake resumed a cached session");
	if (si.peer_hash && !si.peer_subject)
		warn("client certificate subject too long to report: "
		     "SSL_PEER_CERT_SUBJECT left unset");
	if (nf->fd < 0)
		return;
	f.protocol = si.protocol;
	f.cipher = si.cipher;
	f.sni = si.sni;
	f.peer_hash = si.peer_hash;
	f.peer_subject = si.peer_subject;
	f.alpn_configured = conf.server.alpn_num > 0;
	f.alpn = si.alpn;
	len = notif_build(block, sizeof block, &f);
	if (len < 0)
		warn("handshake notification too large; not sent");
	else
		write_all(nf->fd, block, (size_t)len);
	close(nf->fd);
	nf->fd = -1;
}

static void drop_privileges(void)
{
	const char *what = "";

	switch (privdrop_from_env(&what)) {
	case PRIVDROP_OK:
		return;
	case PRIVDROP_BAD_UID:
		die(EXIT_TLS_USAGE, "invalid TLS_UID");
	case PRIVDROP_BAD_GID:
		die(EXIT_TLS_USAGE, "invalid TLS_GID");
	case PRIVDROP_FAILED:
		die(EXIT_TLS_SYS, "unable to %s: %s", what, strerror(errno));
	}
}

static void start_engine(void)
{
	struct tls_err e;
	int code =
	    outcome_init_code(tls_server_init(&server, &conf.server, &e));

	if (code)
		die(code, "%s", e.msg);
}

static void enter_sandbox(void)
{
	const char *what = "";
	int r = sandbox_enter(&what);

	if (r < 0)
		die(EXIT_TLS_SYS, "unable to %s: %s", what, strerror(-r));
}

/* S6_TLSD_IO_ENGINE: "uring" or "poll" forces an I/O engine (for
 * comparisons); unset or "auto": io_uring, else poll(2). */
static enum tunnel_engine engine_from_env(void)
{
	const char *s = getenv("S6_TLSD_IO_ENGINE");

	if (!s || !*s || !strcmp(s, "auto"))
		return TUNNEL_ENGINE_AUTO;
	if (!strcmp(s, "uring") || !strcmp(s, "io_uring"))
		return TUNNEL_ENGINE_URING;
	if (!strcmp(s, "poll"))
		return TUNNEL_ENGINE_POLL;
	die(EXIT_TLS_USAGE,
	    "invalid S6_TLSD_IO_ENGINE: %s (expected auto, uring or poll)", s);
}

static void start_tunnel(struct tunnel_config *cfg, int fdr, int fdw)
{
	struct tunnel_fds fds = {0, 1, fdr, fdw};
	struct tunnel *t = tunnel_instance();
	int r = tunnel_init(t, tls_server_engine(&server), &fds, cfg);

	if (r < 0 && cfg->engine == TUNNEL_ENGINE_URING)
		die(EXIT_TLS_SYS,
		    "unable to set up io_uring: %s (is io_uring disabled on "
		    "this system?)",
		    strerror(-r));
	if (r < 0)
		die(EXIT_TLS_SYS, "unable to set up the %s I/O engine: %s",
		    tunnel_engine_name(t), strerror(-r));
	if (tunnel_uring_err(t) && diag_verbosity() >= 2)
		warn("io_uring unavailable (%s): using poll",
		     strerror(-tunnel_uring_err(t)));
	if (tunnel_restrict_err(t) && diag_verbosity() >= 2)
		warn("io_uring restrictions unavailable (%s): using an "
		     "unrestricted ring",
		     strerror(-tunnel_restrict_err(t)));
}

void tlsdio_run(const struct tlsd_options *o, int fdr, int fdw)
{
	static struct notifier nf;
	struct tunnel_config cfg = {
	    .engine = engine_from_env(),
	    .close_notify = o->close_notify,
	    .enforce_close_notify = o->enforce_close_notify,
	    .handshake_timeout_ms = o->kimeout,
	    .on_handshake = notify,
	    .ctx = &nf,
	};
	struct tunnel_result res;
	char msg[256];
	int code;

	/* A vanished peer or app is an error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	nf.fd = o->notif_fd;
	connlog_start(&nf.log);
	tlsconf_load(&conf, o);
	drop_privileges();
	start_engine();
	start_tunnel(&cfg, fdr, fdw);
	enter_sandbox();
	tunnel_run(tunnel_instance(), &res);
	code = outcome_tunnel_code(&res, o->kimeout, &server, msg, sizeof msg);
	connlog_end(&nf.log, &res, tunnel_engine_name(tunnel_instance()), code);
	if (code)
		die(code, "%s", msg);
	exit(EXIT_TLS_OK);
}
