#include "outcome.h"

#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "suites.h"

int outcome_exit_code(const struct tunnel_result *r, unsigned kimeout,
                      char *msg, size_t len)
{
	switch (r->status) {
	case TUNNEL_DONE:
		return EXIT_TLS_OK;
	case TUNNEL_ERR_RING:
	case TUNNEL_ERR_IO:
		snprintf(msg, len, "unable to %s: %s", r->what,
		         strerror(-r->err));
		return EXIT_TLS_SYS;
	case TUNNEL_ERR_TLS:
		snprintf(msg, len, "TLS error: %s", tls_strerror(r->err));
		break;
	case TUNNEL_ERR_TIMEOUT:
		snprintf(msg, len, "handshake timed out after %u ms", kimeout);
		break;
	case TUNNEL_ERR_EOF_HANDSHAKE:
		snprintf(msg, len,
		         "peer closed the connection during the handshake");
		break;
	case TUNNEL_ERR_TRUNCATED:
		snprintf(msg, len,
		         "peer closed the connection in the middle "
		         "of a record");
		break;
	case TUNNEL_ERR_NO_CLOSE_NOTIFY:
		snprintf(msg, len,
		         "peer closed the connection without "
		         "sending close_notify (-J)");
		break;
	case TUNNEL_ERR_UNSENT:
		snprintf(msg, len,
		         "peer closed the TLS session before %d bytes from "
		         "the app could be sent",
		         r->err);
		break;
	}
	return EXIT_TLS_RUN;
}

int outcome_init_code(enum tls_server_status st)
{
	switch (st) {
	case TLS_SERVER_OK:
		return EXIT_TLS_OK;
	case TLS_SERVER_BAD_KEYPAIR:
		return EXIT_TLS_CONFIG;
	case TLS_SERVER_NO_RANDOM:
		return EXIT_TLS_SYS;
	case TLS_SERVER_ENGINE_FAILED:
		break;
	}
	return EXIT_TLS_ENGINE;
}

int outcome_tunnel_code(const struct tunnel_result *r, unsigned kimeout,
                        const struct tls_server *s, char *msg, size_t len)
{
	int code = outcome_exit_code(r, kimeout, msg, len);
	const char *name = tls_server_unmatched_name(s);

	if (code != EXIT_TLS_RUN)
		return code;
	if (tls_server_config_error(s)) {
		snprintf(msg, len, "%s", tls_server_config_error(s));
		return EXIT_TLS_CONFIG;
	}
	if (name)
		snprintf(msg, len,
		         "no keypair for the server name the client asked "
		         "for: %s",
		         *name ? name : "(none sent)");
	return code;
}
