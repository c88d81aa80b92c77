/* The public point an EC private key file may carry beside the private
 * scalar (SEC1's optional publicKey field, also inside PKCS#8). */
#ifndef TLSD_ECPUB_H
#define TLSD_ECPUB_H

#include <stddef.h>

#define ECPUB_MAX 133 /* an uncompressed P-521 point */

/* Finds it in a DER SEC1 ECPrivateKey or PKCS#8 PrivateKeyInfo. Returns
 * its length (copied to out), or 0 when the key carries none or the DER
 * is not of that shape. */
size_t ecpub_find(const unsigned char *der, size_t len,
                  unsigned char out[ECPUB_MAX]);

#endif
