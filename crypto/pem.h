/*
 * PEM files: "-----BEGIN NAME-----", base64 lines, "-----END NAME-----",
 * any number of objects, text between them ignored (as OpenSSL writes
 * "Bag Attributes" or comments). Our own decoder: BearSSL's br_pem_decoder
 * is an interpreted state machine that cost about 10% of a connection's
 * instructions (key and chain are read by every s6-tlsd-io).
 */
#ifndef TLSD_PEM_H
#define TLSD_PEM_H

#include <stddef.h>

struct pem_obj {
	char name[64];
	size_t off, len; /* in pem_file.buf */
};

/* The objects of a PEM file, decoded back to back into buf. */
struct pem_file {
	unsigned char *buf;
	size_t len;
	struct pem_obj *obj;
	size_t n;
};

/* Whether a line starting with "-----BEGIN" makes data PEM. */
int pem_detect(const unsigned char *data, size_t len);

/* Decodes every object of data into pf. NULL, or what is wrong (a static
 * string): bad base64, an object that does not end, no memory. */
const char *pem_decode(struct pem_file *pf, const unsigned char *data,
                       size_t len);

/* Wipes (keys live here) and frees. */
void pem_free(struct pem_file *pf);

#endif
