/*
 * The server name of a ClientHello, read before the engine reads it.
 *
 * BearSSL asks the session cache for a session as soon as it has read the
 * ClientHello's session ID, before the extensions: the name the client
 * asks for is not known to the engine yet. RFC 6066 (section 3) forbids
 * resuming a session under another name, so the cache reads the name
 * itself from the bytes that follow the session ID.
 */
#ifndef TLSD_HELLO_H
#define TLSD_HELLO_H

#include <stddef.h>
#include <bearssl.h>

/* The longest host name BearSSL keeps (and so the longest it matches). */
#define TLS_HELLO_NAME_MAX 255

/*
 * p and n: a ClientHello from its cipher_suites field to its end, exactly.
 * Writes the host_name of the server_name extension, NUL-terminated, in
 * name ("" without the extension), choosing as BearSSL does: the last
 * host_name entry of at most TLS_HELLO_NAME_MAX bytes. Returns 0, or -1
 * when the bytes are malformed.
 */
int tls_hello_server_name(const unsigned char *p, size_t n,
                          char name[TLS_HELLO_NAME_MAX + 1]);

/*
 * Called from a session cache's load(): the name in the ClientHello the
 * engine is reading, whose session ID is sid (32 bytes). Returns 0, or -1
 * when that ClientHello is not whole in the record at hand (a client may
 * split it over records) or not where expected: then do not resume.
 */
int tls_hello_peek_name(const br_ssl_engine_context *eng,
                        const unsigned char sid[32],
                        char name[TLS_HELLO_NAME_MAX + 1]);

#endif
