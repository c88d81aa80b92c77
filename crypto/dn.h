/*
 * X.500 distinguished names, formatted for SSL_PEER_CERT_SUBJECT.
 *
 * The input comes from a peer's certificate: every byte is untrusted.
 */
#ifndef TLSD_DN_H
#define TLSD_DN_H

#include <stddef.h>

/*
 * Formats a DER-encoded Name (the outer SEQUENCE included, as BearSSL's
 * X.509 decoder hands it out) into out, NUL-terminated:
 *
 *   - only the C, ST, L, O, OU and CN attributes (2.5.4.6, .8, .7, .10,
 *     .11, .3), in that order whatever their order in the Name; several of
 *     one kind (two OUs) keep their order in the Name; multi-valued RDNs
 *     are flattened;
 *   - "KEY=value" joined by ", "; an empty or unrelated Name gives "";
 *   - in a value, , = + < > # \ and newline get a backslash before them,
 *     as do a leading and a trailing space; other control characters
 *     (NUL included, so a value can never cut the notification's
 *     NUL-separated block) become \XX in hex, RFC 4514 style;
 *   - PrintableString and IA5String (ASCII), UTF8String, TeletexString
 *     (read as Latin-1), BMPString (UCS-2, surrogate pairs accepted) and
 *     UniversalString (UCS-4) are converted to UTF-8; attributes with
 *     any other value type are left out.
 *
 * Returns the length written (without the NUL), or -1 when the DER is
 * malformed (not strict DER, truncated, trailing bytes, a selected value
 * that is not valid in its string type) or out (cap bytes) is too small.
 * Iterative, with bounds checks on every read: safe on any input.
 */
int tls_dn_format(const unsigned char *der, size_t len, char *out, size_t cap);

#endif
