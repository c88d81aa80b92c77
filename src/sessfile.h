/*
 * The session cache file, named by TLS_SESSION_CACHE (unset or empty: no
 * cache), with sessions valid for TLS_SESSION_LIFETIME seconds (default
 * 300, at most 86400).
 *
 * Opened while still privileged, mapped shared, and closed: after that a
 * connection touches only memory (crypto/sesscache.h), so the cache works
 * under the sandbox. The first process that finds no file creates it,
 * mode 0600, owned by TLS_UID and TLS_GID when it runs as root and they
 * are set: it is formatted under a temporary name and linked into place,
 * so no process ever maps a half-made file.
 *
 * A file that is not a regular file, is owned by another user than the
 * one the engine runs as, is open to group or others, has the wrong size
 * or is not a cache of this version gets one warning, and the connection
 * goes on without resumption.
 */
#ifndef TLSD_SESSFILE_H
#define TLSD_SESSFILE_H

#include "sesscache.h"

/* Returns c set up over the file, or NULL (no cache: unset or unusable).
 * With the cache set, exits 100 on an invalid TLS_SESSION_LIFETIME. */
struct tls_sesscache *sessfile_open(struct tls_sesscache *c);

#endif
