/* Follows the TLS record framing of the bytes fed to the engine, so that an
 * EOF between records can be told from one inside a record (truncation). */
#ifndef TLSD_FRAMER_H
#define TLSD_FRAMER_H

#include <stddef.h>

#include "tunnel_state.h"

static inline void framer_init(struct framer *f)
{
	f->hdr_len = 0;
	f->body_left = 0;
}

static inline void framer_feed(struct framer *f, const unsigned char *p,
                               size_t n)
{
	while (n) {
		if (f->body_left) {
			size_t k = n < f->body_left ? n : f->body_left;

			f->body_left -= k;
			p += k;
			n -= k;
			continue;
		}
		f->hdr[f->hdr_len++] = *p++;
		n--;
		if (f->hdr_len == 5) {
			f->body_left = (size_t)f->hdr[3] << 8 | f->hdr[4];
			f->hdr_len = 0;
		}
	}
}

static inline int framer_at_boundary(const struct framer *f)
{
	return !f->hdr_len && !f->body_left;
}

#endif
