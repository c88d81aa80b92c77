#include "sesscache.h"

#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAGIC "s6tlsdSC"
#define VERSION 2 /* 2: times in ms */

struct header {
	char magic[8];
	uint32_t version, slot_size, nslots, ways;
	unsigned char pad[64 - 24];
};

struct slot {
	_Atomic uint32_t seq; /* odd: being written */
	uint32_t lock_time;   /* when it went odd (low bits of seconds) */
	/* created: CLOCK_REALTIME in ms (one clock for all processes). */
	/* From here to check: what the checksum covers. */
	unsigned char id[32];
	int64_t created;
	unsigned char master[48];
	uint16_t version, suite;
	uint8_t client_auth, subject_ok, pad[6];
	char sni[TLS_HELLO_NAME_MAX + 1];
	char peer_hash[72];
	char peer_subject[TLS_SESSCACHE_SUBJECT_MAX];
	unsigned char check[16];
};

_Static_assert(sizeof(struct header) == TLS_SESSCACHE_HEADER_SIZE,
               "header size");

#define NBUCKETS (TLS_SESSCACHE_SLOTS / TLS_SESSCACHE_WAYS)

static int64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t tls_sesscache_size(void)
{
	return sizeof(struct header) +
	       (size_t)TLS_SESSCACHE_SLOTS * sizeof(struct slot);
}

void tls_sesscache_format(void *region)
{
	struct header *h = region;

	memcpy(h->magic, MAGIC, 8);
	h->version = VERSION;
	h->slot_size = sizeof(struct slot);
	h->nslots = TLS_SESSCACHE_SLOTS;
	h->ways = TLS_SESSCACHE_WAYS;
}

int tls_sesscache_attach(struct tls_sesscache *c, void *region, size_t len,
                         uint32_t lifetime, const char **why)
{
	const struct header *h = region;

	memset(c, 0, sizeof *c);
	if (len != tls_sesscache_size()) {
		*why = "wrong size";
		return -1;
	}
	if (memcmp(h->magic, MAGIC, 8) || h->version != VERSION ||
	    h->slot_size != sizeof(struct slot) ||
	    h->nslots != TLS_SESSCACHE_SLOTS || h->ways != TLS_SESSCACHE_WAYS) {
		*why = "not a session cache of this version";
		return -1;
	}
	c->region = region;
	c->lifetime = lifetime;
	c->now = realtime_ms;
	return 0;
}

static struct slot *bucket(const struct tls_sesscache *c,
                           const unsigned char *id)
{
	uint32_t h = (uint32_t)id[0] | (uint32_t)id[1] << 8 |
	             (uint32_t)id[2] << 16 | (uint32_t)id[3] << 24;

	return (struct slot *)(c->region + sizeof(struct header)) +
	       (size_t)(h % NBUCKETS) * TLS_SESSCACHE_WAYS;
}

static void checksum(const struct slot *s, unsigned char out[16])
{
	unsigned char full[32];
	br_sha256_context h;

	br_sha256_init(&h);
	br_sha256_update(&h, s->id,
	                 offsetof(struct slot, check) -
	                     offsetof(struct slot, id));
	br_sha256_out(&h, full);
	memcpy(out, full, 16);
}

/* A consistent copy of s into out, or -1 (being written, torn, corrupt). */
static int read_slot(struct slot *s, struct slot *out)
{
	uint32_t before = atomic_load_explicit(&s->seq, memory_order_acquire);
	unsigned char sum[16];

	if (before & 1)
		return -1;
	memcpy((char *)out + offsetof(struct slot, id),
	       (const char *)s + offsetof(struct slot, id),
	       sizeof *s - offsetof(struct slot, id));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&s->seq, memory_order_relaxed) != before)
		return -1;
	checksum(out, sum);
	return memcmp(sum, out->check, 16) ? -1 : 0;
}

static int fresh(const struct tls_sesscache *c, int64_t created, int64_t now)
{
	/* A little slack for a clock stepped back between processes. */
	return created && created <= now + 60000 &&
	       now - created < (int64_t)c->lifetime * 1000;
}

static int suite_offered(const struct tls_sesscache *c, uint16_t suite)
{
	for (size_t i = 0; i < c->nsuites; i++)
		if (c->suites[i] == suite)
			return 1;
	return 0;
}

/* Whether a consistent copy may resume under this connection's policy
 * (the server name aside). */
static int usable(const struct tls_sesscache *c, const struct slot *s)
{
	if (!fresh(c, s->created, c->now()) || s->version != BR_TLS12 ||
	    !suite_offered(c, s->suite) || s->client_auth != c->client_auth)
		return 0;
	if (!memchr(s->sni, 0, sizeof s->sni) ||
	    !memchr(s->peer_hash, 0, sizeof s->peer_hash) ||
	    !memchr(s->peer_subject, 0, sizeof s->peer_subject))
		return 0;
	/* -y: only a session whose client showed a valid certificate. */
	return c->client_auth != 2 || s->peer_hash[0];
}

static void keep_facts(struct tls_sesscache *c, const struct slot *s)
{
	memcpy(c->loaded_id, s->id, 32);
	memcpy(c->facts.sni, s->sni, sizeof s->sni);
	memcpy(c->facts.peer_hash, s->peer_hash, sizeof s->peer_hash);
	memcpy(c->facts.peer_subject, s->peer_subject, sizeof s->peer_subject);
	c->facts.subject_ok = s->subject_ok;
	c->loaded = 1;
}

static int load(const br_ssl_session_cache_class **ctx,
                br_ssl_server_context *sc, br_ssl_session_parameters *params)
{
	struct tls_sesscache *c = (struct tls_sesscache *)(void *)ctx;
	struct slot *b = bucket(c, params->session_id), s;
	char name[TLS_HELLO_NAME_MAX + 1];
	int found = 0;

	/* The ID is compared in place first (a hint, unlocked): only the
	 * slot that may hold it is copied and checksummed. */
	for (int i = 0; i < TLS_SESSCACHE_WAYS && !found; i++)
		found = !memcmp(b[i].id, params->session_id, 32) &&
		        read_slot(&b[i], &s) == 0 &&
		        !memcmp(s.id, params->session_id, 32);
	if (found && usable(c, &s) &&
	    tls_hello_peek_name(&sc->eng, params->session_id, name) == 0 &&
	    !strcasecmp(name, s.sni)) {
		params->version = s.version;
		params->cipher_suite = s.suite;
		memcpy(params->master_secret, s.master, 48);
		keep_facts(c, &s);
	} else {
		found = 0;
	}
	explicit_bzero(&s, sizeof s);
	return found;
}

/* What the notification will report about the client's certificate, in
 * s; -1 when it cannot be kept whole (the session is then not cached). */
static int peer_facts(const struct tls_sesscache *c, struct slot *s)
{
	char subject[TLS_PEERCERT_DN_MAX];
	int n;

	if (!c->peer || tls_peercert_hash(c->peer, s->peer_hash) < 0)
		return 0;
	n = tls_peercert_subject(c->peer, subject, sizeof subject);
	if (n < 0)
		return 0; /* the full handshake reports none either */
	if ((size_t)n >= sizeof s->peer_subject)
		return -1;
	memcpy(s->peer_subject, subject, (size_t)n + 1);
	s->subject_ok = 1;
	return 0;
}

/* Moves s's sequence number to odd for us; returns it, or 0 when another
 * writer holds the slot (and has not been silent for long). */
static uint32_t claim(struct slot *s, uint32_t now)
{
	uint32_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
	uint32_t odd = v & 1 ? v + 2 : v + 1;

	if ((v & 1) && now - s->lock_time < TLS_SESSCACHE_STALE_S)
		return 0;
	if (!atomic_compare_exchange_strong(&s->seq, &v, odd))
		return 0;
	atomic_thread_fence(memory_order_release);
	s->lock_time = now;
	return odd;
}

/* The bucket's slot to overwrite: a free or expired one, else the
 * oldest. Read without the lock: only a hint, claim() decides. */
static struct slot *victim(const struct tls_sesscache *c, struct slot *b,
                           int64_t now)
{
	struct slot *v = b;

	for (int i = 0; i < TLS_SESSCACHE_WAYS; i++) {
		if (!fresh(c, b[i].created, now))
			return &b[i];
		if (b[i].created < v->created)
			v = &b[i];
	}
	return v;
}

static void save(const br_ssl_session_cache_class **ctx,
                 br_ssl_server_context *sc,
                 const br_ssl_session_parameters *params)
{
	struct tls_sesscache *c = (struct tls_sesscache *)(void *)ctx;
	const char *sni = br_ssl_engine_get_server_name(&sc->eng);
	struct slot s = {0}, *dst;
	int64_t now = c->now();
	uint32_t odd;

	if (params->session_id_len != 32 || peer_facts(c, &s) < 0)
		return;
	memcpy(s.id, params->session_id, 32);
	s.created = now;
	memcpy(s.master, params->master_secret, 48);
	s.version = params->version;
	s.suite = params->cipher_suite;
	s.client_auth = (uint8_t)c->client_auth;
	if (sni)
		memcpy(s.sni, sni, strnlen(sni, sizeof s.sni - 1));
	checksum(&s, s.check);
	dst = victim(c, bucket(c, s.id), now);
	odd = claim(dst, (uint32_t)(now / 1000));
	if (odd) {
		memcpy((char *)dst + offsetof(struct slot, id),
		       (const char *)&s + offsetof(struct slot, id),
		       sizeof s - offsetof(struct slot, id));
		atomic_store_explicit(&dst->seq, odd + 1, memory_order_release);
		c->saved = 1;
	}
	explicit_bzero(&s, sizeof s);
}

static const br_ssl_session_cache_class sesscache_vtable = {
    sizeof(struct tls_sesscache), save, load};

void tls_sesscache_bind(struct tls_sesscache *c, int client_auth,
                        const struct tls_peercert *peer, const uint16_t *suites,
                        size_t n)
{
	c->vtable = &sesscache_vtable;
	c->client_auth = client_auth;
	c->peer = peer;
	c->nsuites = n < TLS_SUITES_MAX ? n : TLS_SUITES_MAX;
	memcpy(c->suites, suites, c->nsuites * sizeof *suites);
	c->loaded = c->saved = 0;
}

const br_ssl_session_cache_class **tls_sesscache_vtable(struct tls_sesscache *c)
{
	return &c->vtable;
}

int tls_sesscache_resumed(const struct tls_sesscache *c,
                          const br_ssl_engine_context *eng)
{
	br_ssl_session_parameters p;
	int r;

	if (!c->loaded)
		return 0;
	br_ssl_engine_get_session_parameters(eng, &p);
	r = p.session_id_len == 32 && !memcmp(p.session_id, c->loaded_id, 32);
	explicit_bzero(&p, sizeof p);
	return r;
}
