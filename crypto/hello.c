#include "hello.h"

#include <stdint.h>
#include <string.h>

#include "bearssl_inside.h"

/* A bounded reader: every take fails once the bytes run out. */
struct rd {
	const unsigned char *p;
	size_t n;
};

static int take(struct rd *r, size_t len, struct rd *out)
{
	if (len > r->n)
		return -1;
	if (out)
		*out = (struct rd){r->p, len};
	r->p += len;
	r->n -= len;
	return 0;
}

static int take_int(struct rd *r, size_t bytes, size_t *v)
{
	struct rd b;

	if (take(r, bytes, &b) < 0)
		return -1;
	*v = 0;
	for (size_t i = 0; i < bytes; i++)
		*v = *v << 8 | b.p[i];
	return 0;
}

/* A vector with a length prefix of `bytes` bytes. */
static int take_vec(struct rd *r, size_t bytes, struct rd *out)
{
	size_t len;

	return take_int(r, bytes, &len) < 0 ? -1 : take(r, len, out);
}

/* The extension's ServerNameList: (type, opaque<1..2^16-1>) entries. */
static int server_name_list(struct rd ext, char *name)
{
	struct rd list, host;
	size_t type;

	if (take_vec(&ext, 2, &list) < 0)
		return -1;
	while (list.n) {
		if (take_int(&list, 1, &type) < 0 ||
		    take_vec(&list, 2, &host) < 0)
			return -1;
		if (type == 0 && host.n <= TLS_HELLO_NAME_MAX) {
			memcpy(name, host.p, host.n);
			name[host.n] = 0;
		}
	}
	return 0;
}

int tls_hello_server_name(const unsigned char *p, size_t n,
                          char name[TLS_HELLO_NAME_MAX + 1])
{
	struct rd r = {p, n}, exts, ext;
	size_t type;

	name[0] = 0;
	if (take_vec(&r, 2, NULL) < 0 || take_vec(&r, 1, NULL) < 0)
		return -1;
	if (!r.n)
		return 0; /* no extensions at all */
	if (take_vec(&r, 2, &exts) < 0 || r.n)
		return -1;
	while (exts.n) {
		if (take_int(&exts, 2, &type) < 0 ||
		    take_vec(&exts, 2, &ext) < 0)
			return -1;
		if (type == 0 && server_name_list(ext, name) < 0)
			return -1;
	}
	return 0;
}

/* Bytes of a ClientHello up to the end of a 32-byte session ID: type,
 * length, client_version, random, session_id. */
#define HELLO_HEAD (4 + 2 + 32 + 1 + 32)

/* Every assumption about where the ClientHello sits is checked against
 * the bytes themselves (the message type, the session ID and its
 * length), and every read stays within the engine's input buffer; a
 * failed check only means "do not resume". */
int tls_hello_peek_name(const br_ssl_engine_context *eng,
                        const unsigned char sid[32],
                        char name[TLS_HELLO_NAME_MAX + 1])
{
	struct tls_inside_input in;
	const unsigned char *msg;
	size_t len;

	tls_inside_handshake_input(eng, &in);
	if (!in.next || !in.buf || in.next < in.buf + HELLO_HEAD ||
	    in.next + in.left > in.buf + in.len)
		return -1;
	msg = in.next - HELLO_HEAD;
	len = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
	if (msg[0] != 1 || msg[HELLO_HEAD - 33] != 32 ||
	    memcmp(in.next - 32, sid, 32) || len + 4 < HELLO_HEAD ||
	    len + 4 - HELLO_HEAD > in.left)
		return -1;
	return tls_hello_server_name(in.next, len + 4 - HELLO_HEAD, name);
}
