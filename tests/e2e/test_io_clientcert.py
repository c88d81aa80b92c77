"""s6-tlsd-io end to end: client certificates (-Y / -y, CAFILE / CADIR),
with openssl s_client and gnutls-cli as clients.

Checks, for each client certificate, whether the handshake completes and
what the -d block says: SSL_PEER_CERT_HASH=SHA256:<hex> must equal
`openssl x509 -outform DER | sha256sum` of the client's leaf, and
SSL_PEER_CERT_SUBJECT must be formatted as the spec says (C, ST, L, O, OU,
CN in that order, ", " between them, RFC 4514 escaping).

Environment (set by ctest): TLSD_BIN_DIR, TLSD_SNI_CERTS (the server pair
and the `esc` client certificate, tests/gen-sni-certs.sh), TLSD_CLIENT_CERTS
(tests/gen-client-certs.sh). Either is generated when unset.
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from test_io_sni import (CLIENTS, SniCase, client_certs_dir, entry_value,  # noqa: E402
                         sni_certs)

# Expected subjects, from the subjects gen-client-certs.sh and
# gen-sni-certs.sh give (the Name order there is scrambled on purpose).
SUBJECTS = {
    "ec": "C=CH, ST=Vaud, L=Z\u00fcrich, O=s6-tlsd tests, OU=Unit B, OU=Unit A, "
          "CN=Client\\, EC",
    "rsa": "O=s6-tlsd tests, CN=client rsa",
    "chained": "O=s6-tlsd tests, CN=client chained",
    "esc": "C=FR, ST=\\ lead, L=trail\\ , O=a\\,b\\=c\\+d\\<e\\>f\\#g\\\\h, "
           "OU=\\#hash, CN=line1\\\nline2",
}


def openssl_hash(pem):
    """The spec's reference: openssl x509 -outform DER | sha256sum."""
    out = subprocess.run("openssl x509 -in '%s' -outform DER | sha256sum" % pem,
                         shell=True, check=True, capture_output=True, timeout=30).stdout
    return "SHA256:" + out.split()[0].decode()


class ClientCerts(SniCase):
    TEST_TIMEOUT = 120

    @classmethod
    def setUpClass(cls):
        cc = client_certs_dir()
        s = sni_certs()
        cls.cc = cc
        cls.tmp = tempfile.mkdtemp(prefix="tlsd-clientcert-")
        # CAFILE: every trusted root in one PEM file.
        cls.cafile = os.path.join(cls.tmp, "cafile.pem")
        with open(cls.cafile, "wb") as out:
            for f in (os.path.join(cc, "cas.pem"), s.ca):
                with open(f, "rb") as i:
                    out.write(i.read())
        # CADIR: one CA per file, DER and PEM mixed.
        cls.cadir = os.path.join(cls.tmp, "cadir")
        os.mkdir(cls.cadir)
        shutil.copy(os.path.join(cc, "ca.der"), os.path.join(cls.cadir, "client-root.der"))
        shutil.copy(os.path.join(cc, "ca2.pem"), os.path.join(cls.cadir, "client-root2.pem"))
        shutil.copy(s.path("ca.der"), os.path.join(cls.cadir, "sni-root.der"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def cpath(self, f):
        return os.path.join(self.cc, f)

    def identity(self, name):
        """(cert, key, cert_chain) for connect_client: openssl gets the
        leaf and the extra chain certificates, gnutls the whole chain."""
        if name == "esc":
            s = sni_certs()
            return s.path("esc.pem"), s.path("esc.key"), s.path("esc.chain.pem")
        if name == "chained":
            return (self.cpath("chained.pem"), self.cpath("chained.key"),
                    self.cpath("chained.chain.pem"))
        return self.cpath(name + ".pem"), self.cpath(name + ".key"), None

    def run_one(self, client, mode, anchors, ident, ok=True):
        env = {"CAFILE": self.cafile} if anchors == "CAFILE" else {"CADIR": self.cadir}
        t = self.sni_tunnel([mode], env=env)
        kw = {}
        if ident:
            cert, key, chain = self.identity(ident)
            if client == "openssl" and chain:
                # openssl: -cert is the leaf, -cert_chain the others
                extra = os.path.join(self.tmp, "extra-%s.pem" % ident)
                if not os.path.exists(extra):
                    with open(chain, "rb") as i, open(extra, "wb") as o:
                        o.write(b"".join(b"-----BEGIN CERTIFICATE-----" + c
                                         for c in i.read().split(
                                             b"-----BEGIN CERTIFICATE-----")[2:]))
                chain = extra
            kw = dict(cert=cert, key=key, cert_chain=chain)
        r = self.connect_client(t, client, None, verify="default.invalid", ok=ok, **kw)
        if ident and ok and client == "gnutls":
            # gnutls-cli may keep its certificate when the server's CA list
            # does not name its issuer; make sure it was really sent.
            self.assertRegex(r.out, rb"Successfully sent [12] certificate\(s\)", r)
        return t, r

    def assertIdentity(self, r, ident):
        if ident is None:
            self.assertEqual(r.entries[3:], ["SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT"], r)
            return
        cert = self.identity(ident)[0]
        self.assertEqual(r.entries[3], "SSL_PEER_CERT_HASH=" + openssl_hash(cert), r)
        self.assertEqual(entry_value(r.entries, "SSL_PEER_CERT_SUBJECT"), SUBJECTS[ident], r)
        self.assertEqual(len(r.entries), 5, r)

    # -- configuration

    def test_no_anchors(self):
        for mode in ("-Y", "-y", "--client-cert", "--mandatory-client-cert"):
            with self.subTest(mode=mode):
                t = self.sni_tunnel([mode])
                lines = self.start_only(t, 100)
                self.assertTrue(any("CADIR" in l and "CAFILE" in l for l in lines), lines)

    def test_bad_anchors(self):
        for env, word in (({"CAFILE": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
                          ({"CADIR": "/nonexistent/cadir"}, "/nonexistent/cadir")):
            with self.subTest(env=env):
                t = self.sni_tunnel(["-y"], env=env)
                self.start_only(t, 96, word)

    # -- valid certificates

    def test_valid_ec_and_rsa(self):
        for client in CLIENTS:
            for mode in ("-Y", "-y"):
                for anchors in ("CAFILE", "CADIR"):
                    for ident in ("ec", "rsa"):
                        with self.subTest(client=client, mode=mode, anchors=anchors,
                                          cert=ident):
                            t, r = self.run_one(client, mode, anchors, ident)
                            self.assertIdentity(r, ident)

    def test_chain_through_intermediate(self):
        for client in CLIENTS:
            for mode in ("-Y", "-y"):
                for anchors in ("CAFILE", "CADIR"):
                    with self.subTest(client=client, mode=mode, anchors=anchors):
                        t, r = self.run_one(client, mode, anchors, "chained")
                        self.assertIdentity(r, "chained")

    def test_subject_escaping(self):
        for client in CLIENTS:
            with self.subTest(client=client):
                t, r = self.run_one(client, "-y", "CADIR", "esc")
                self.assertIdentity(r, "esc")

    def test_big_subject(self):
        """A subject DN of more than 1 KiB (bigdn: 20 OUs): the hash is
        reported; the subject either exactly or (the implementation's
        documented TLS_PEERCERT_DN_MAX limit) as the bare name."""
        ous = ", ".join("OU=organisational unit number %02d of a very large subject" % i
                        for i in range(1, 21))
        want = "O=s6-tlsd tests, %s, CN=client bigdn" % ous
        for client in CLIENTS:
            with self.subTest(client=client):
                t, r = self.run_one(client, "-y", "CAFILE", "bigdn")
                self.assertEqual(r.entries[3], "SSL_PEER_CERT_HASH=" +
                                 openssl_hash(self.cpath("bigdn.pem")), r)
                subj = entry_value(r.entries, "SSL_PEER_CERT_SUBJECT")
                self.assertIn(subj, (want, None), r)
                self.note("%s: %d-byte subject reported %s; stderr %r", client,
                          len(want), "in full" if subj else "as the bare name",
                          r.server_err)

    # -- invalid certificates

    def test_invalid_refused_under_y(self):
        for client in CLIENTS:
            for ident in ("expired", "stranger", "self"):
                for anchors in ("CAFILE", "CADIR"):
                    with self.subTest(client=client, cert=ident, anchors=anchors):
                        t, r = self.run_one(client, "-y", anchors, ident, ok=False)
                        self.assertRefused(t, r, 98)

    def test_invalid_anonymous_under_Y(self):
        for client in CLIENTS:
            for ident in ("expired", "stranger", "self"):
                for anchors in ("CAFILE", "CADIR"):
                    with self.subTest(client=client, cert=ident, anchors=anchors):
                        t, r = self.run_one(client, "-Y", anchors, ident)
                        self.assertIdentity(r, None)

    # -- no certificate

    def test_no_cert(self):
        for client in CLIENTS:
            for anchors in ("CAFILE", "CADIR"):
                with self.subTest(client=client, mode="-Y", anchors=anchors):
                    t, r = self.run_one(client, "-Y", anchors, None)
                    self.assertIdentity(r, None)
                with self.subTest(client=client, mode="-y", anchors=anchors):
                    t, r = self.run_one(client, "-y", anchors, None, ok=False)
                    self.assertRefused(t, r, 98)

    def test_last_option_wins(self):
        t, r = self.run_one("openssl", "-y", "CAFILE", None, ok=False)
        self.assertEqual(r.server_rc, 98)
        env = {"CAFILE": self.cafile}
        t = self.sni_tunnel(["-y", "-Y"], env=env)
        r = self.connect_client(t, "openssl", None, verify="default.invalid")
        self.assertIdentity(r, None)
        t = self.sni_tunnel(["-Y", "--mandatory-client-cert"], env=env)
        r = self.connect_client(t, "openssl", None, verify="default.invalid", ok=False)
        self.assertEqual(r.server_rc, 98)

    def test_without_Y_no_request(self):
        """Without -Y/-y, a client certificate is not asked for: bare
        names, even though the client has one (and CAFILE is ignored)."""
        for client in CLIENTS:
            with self.subTest(client=client):
                t = self.sni_tunnel([], env={"CAFILE": "/nonexistent"})
                cert, key, chain = self.identity("ec")
                r = self.connect_client(t, client, None, verify="default.invalid",
                                        cert=cert, key=key)
                self.assertIdentity(r, None)


if __name__ == "__main__":
    tlsdio.main()
