"""s6-tlsd-io end to end: server name indication (-k snilevel, KEYFILE:x /
CERTFILE:x), with openssl s_client and gnutls-cli as clients.

Each case checks three things: which certificate the client received
(the leaf's DER, taken from `s_client -showcerts` or `gnutls-cli
--save-cert`, compared with the file it should come from; the client also
verifies the chain and the host name it expects), the -d notification
block (SSL_TLS_SNI_SERVERNAME, and a cipher whose signature type matches
the key that should have been used), and s6-tlsd-io's exit code.

Environment (set by ctest): TLSD_BIN_DIR, TLSD_SNI_CERTS (output of
tests/gen-sni-certs.sh; generated into a temporary directory when unset).

This module also holds the client helpers test_io_clientcert.py and
test_io_alpn.py use (ClientRun, SniCase).
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAIT = 15  # seconds: bound for any single wait on a process or fd
CLIENTS = ("openssl", "gnutls")

# ---------------------------------------------------------------------------
# Certificates


class SniCerts:
    """Paths into a gen-sni-certs.sh output directory."""

    NAMES = {"example": "example.com", "www": "www.example.com",
             "wild": "*.example.com", "other": "other.org",
             "default": "default.invalid"}

    def __init__(self, d):
        self.dir = d

    def path(self, f):
        return os.path.join(self.dir, f)

    @property
    def ca(self):
        return self.path("ca.pem")

    def key(self, tag, alg="ec"):
        return self.path("%s.%s.key" % (tag, alg))

    def chain(self, tag, alg="ec"):
        return self.path("%s.%s.chain.pem" % (tag, alg))

    def der(self, tag, alg="ec"):
        with open(self.path("%s.%s.crt.der" % (tag, alg)), "rb") as f:
            return f.read()


_dirs = {}
_lock = threading.Lock()


def generated(var, script, probe):
    """The directory named by $var, or a fresh one made by tests/script."""
    with _lock:
        if var not in _dirs:
            d = os.environ.get(var)
            if not d or not os.path.exists(os.path.join(d, probe)):
                d = tempfile.mkdtemp(prefix="tlsd-%s-" % script.split(".")[0])
                import atexit
                atexit.register(shutil.rmtree, d, True)
                subprocess.run(["sh", os.path.join(TESTS, script), d],
                               check=True, timeout=120,
                               stdout=subprocess.DEVNULL)
            _dirs[var] = d
        return _dirs[var]


def sni_certs():
    return SniCerts(generated("TLSD_SNI_CERTS", "gen-sni-certs.sh", "esc.chain.pem"))


def client_certs_dir():
    return generated("TLSD_CLIENT_CERTS", "gen-client-certs.sh", "expired.pem")


# ---------------------------------------------------------------------------
# Clients

PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n(.*?)-----END CERTIFICATE-----",
                    re.S)


def pem_certs(text):
    """Every certificate in a PEM text, as DER, in order."""
    return [base64.b64decode(b"".join(m.group(1).split())) for m in PEM_RE.finditer(text)]


def entry_value(entries, name):
    """The value of `name` in a parsed block: str, None when bare, and
    KeyError when absent."""
    for e in entries:
        k, eq, v = e.partition("=")
        if k == name:
            return v if eq else None
    raise KeyError(name)


class ClientRun:
    """What one connection gave: client exit code and output, the leaf it
    received (DER or None), the notification entries (None when no block),
    s6-tlsd-io's exit code and stderr."""

    def __init__(self):
        self.client_rc = None
        self.out = b""
        self.err = ""
        self.leaf = None
        self.chain = []
        self.entries = None
        self.block = None
        self.server_rc = None
        self.server_err = ""
        self.argv = None

    def __repr__(self):
        return ("<client %r rc=%r err=%r out=%r; server rc=%r err=%r; block=%r>"
                % (self.argv, self.client_rc, self.err[-1500:], self.out[-1500:],
                   self.server_rc, self.server_err, self.block))


class SniCase(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 90

    def sni_tunnel(self, opts=(), default=("default", "ec"), names=(), env=None,
                   notif=True):
        """A Tunnel whose default pair (KEYFILE/CERTFILE) is the gen-sni-certs
        pair `default` (a (tag, alg) tuple, or None to leave them unset),
        and with KEYFILE:name/CERTFILE:name for each (name, tag, alg) in
        names. -S is added so that the app's EOF ends the connection with
        a close_notify (the clients then exit on their own)."""
        s = sni_certs()
        e = {}
        if default:
            e["KEYFILE"] = s.key(*default)
            e["CERTFILE"] = s.chain(*default)
        for name, tag, alg in names:
            e["KEYFILE:" + name] = s.key(tag, alg)
            e["CERTFILE:" + name] = s.chain(tag, alg)
        e.update(env or {})
        return self.tunnel(opts=["-S"] + list(opts), cert=None, env=e, notif=notif)

    def client_argv(self, t, client, servername, verify, cafile, cert, key,
                    cert_chain, alpn, savefile):
        if client == "openssl":
            argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % t.port,
                    "-CAfile", cafile, "-verify_return_error", "-showcerts",
                    "-nocommands"]
            argv += ["-servername", servername] if servername is not None \
                else ["-noservername"]
            if verify:
                argv += ["-verify_hostname", verify]
            if cert:
                argv += ["-cert", cert, "-key", key]
            if cert_chain:
                argv += ["-cert_chain", cert_chain]
            if alpn:
                argv += ["-alpn", ",".join(alpn)]
        else:
            argv = ["gnutls-cli", "-p", str(t.port), "127.0.0.1", "--x509cafile", cafile,
                    "--save-cert", savefile]
            argv += ["--sni-hostname", servername] if servername is not None \
                else ["--disable-sni"]
            if verify:
                argv += ["--verify-hostname", verify]
            else:
                argv += ["--insecure"]
            if cert:
                # gnutls-cli sends every certificate of this file.
                argv += ["--x509certfile", cert_chain or cert, "--x509keyfile", key]
            for a in alpn:
                argv += ["--alpn", a]
        return argv

    def connect_client(self, t, client, servername=None, verify=None, cafile=None,
                       cert=None, key=None, cert_chain=None, alpn=(), ok=True,
                       data=b"hello from the app\n"):
        """Runs `client` (openssl or gnutls) against tunnel t. ok=True: the
        handshake must complete; the app then sends `data` and EOF (-S:
        close_notify), the client must print it and exit, s6-tlsd-io must
        exit 0. ok=False: the handshake must fail, no block is written, and
        s6-tlsd-io exits (the caller checks the code). Returns a ClientRun.
        cert_chain: for openssl, extra certificates sent after `cert`; for
        gnutls, the file with the whole chain."""
        r = ClientRun()
        savefile = None
        if client == "gnutls":
            fd, savefile = tempfile.mkstemp(prefix="tlsd-gnutls-", suffix=".pem")
            os.close(fd)
            self.addCleanup(os.unlink, savefile)
        r.argv = self.client_argv(t, client, servername, verify, cafile or sni_certs().ca,
                                  cert, key, cert_chain, alpn, savefile)
        p = t.client_proc(r.argv, name=client)
        t.start()
        blk = t.read_notif(WAIT)
        r.block = blk
        if ok:
            if not blk:
                r.server_rc = t.proc.poll()
                r.client_rc = p.poll()
                r.server_err = t.stderr()
                r.err = p.stderr()
                self.fail("no notification block: %r" % r)
            r.entries = tlsdio.parse_notif(blk)
            tlsdio.fd_write_all(t.app_write_fd, data, WAIT)
            t.close_app_write()
        out = tlsdio.fd_read_all(p.p.stdout.fileno(), WAIT, close=False)
        r.out = out
        r.client_rc = p.wait(WAIT)
        r.err = p.stderr()
        r.server_rc = t.wait(WAIT)
        r.server_err = t.stderr()
        if client == "gnutls":
            with open(savefile, "rb") as f:
                r.chain = pem_certs(f.read())
        else:
            r.chain = pem_certs(out)
        r.leaf = r.chain[0] if r.chain else None
        if ok:
            self.assertEqual(r.server_rc, 0, r)
            self.assertIn(data, out, r)
            # gnutls-cli exits 1 once the server has closed; only openssl's
            # code is meaningful here.
            if client == "openssl":
                self.assertEqual(r.client_rc, 0, r)
        else:
            self.assertEqual(blk, b"", r)
            self.assertNotIn(data, out, r)
            self.assertNotEqual(r.client_rc, 0, r)
        return r

    def assertServed(self, r, tag, alg, sni):
        """The client got the (tag, alg) leaf and the block names `sni`."""
        s = sni_certs()
        self.assertIsNotNone(r.leaf, r)
        if r.leaf != s.der(tag, alg):
            got = [t + "." + a for t in SniCerts.NAMES for a in ("ec", "rsa")
                   if r.leaf == s.der(t, a)]
            self.fail("client got %s, expected %s.%s; %r" % (got or "an unknown cert",
                                                             tag, alg, r))
        self.assertEqual(entry_value(r.entries, "SSL_TLS_SNI_SERVERNAME"), sni, r)
        self.assertEqual(r.entries[0], "SSL_PROTOCOL=TLSv1.2", r)
        cipher = entry_value(r.entries, "SSL_CIPHER")
        self.assertIn("ECDSA" if alg == "ec" else "RSA", cipher, r)
        self.assertEqual(len(r.entries), 5, r)

    def assertRefused(self, t, r, code, *words):
        self.assertEqual(r.server_rc, code, r)
        self.assertFatal(t, *words)

    def start_only(self, t, code, *words):
        """s6-tlsd-io must exit `code` before any handshake (a client
        connection is open but sends nothing)."""
        t.connect()
        t.start()
        self.assertExit(t, code, WAIT)
        self.assertEqual(t.read_notif(WAIT), b"")
        return self.assertFatal(t, *words)


ALL = (("example.com", "example", "ec"), ("www.example.com", "www", "rsa"),
       ("*.example.com", "wild", "ec"), ("other.org", "other", "rsa"))


# Names that can never match a client's: a top-level wildcard, a '*' that is
# not the whole first label, an empty name, one longer than any server name.
UNUSABLE = ("*.com", "*", "*.", "*.com.", "foo.*.example.com", "*example.com",
            "**.example.com", "*.*.example.com", "www.*", "w*w.example.com", "",
            "a" * 300 + ".example.com")


class Sni(SniCase):
    """The rules of -k snilevel, each with both clients."""

    # -- -k 1: exact names

    def test_exact_names(self):
        for client in CLIENTS:
            for name, tag, alg in (("example.com", "example", "ec"),
                                   ("www.example.com", "www", "rsa"),
                                   ("other.org", "other", "rsa")):
                with self.subTest(client=client, name=name):
                    t = self.sni_tunnel(["-k", "1"], names=ALL)
                    r = self.connect_client(t, client, name, verify=name)
                    self.assertServed(r, tag, alg, name)
                    if client == "openssl":
                        self.assertRegex(r.out.decode(errors="replace"),
                                         r"subject=.*CN ?= ?%s" % re.escape(name))

    def test_both_key_types_per_name(self):
        """The same names with the other key type: the key type follows
        the selected pair, not the default's."""
        names = [(n, tg, "ec" if a == "rsa" else "rsa") for n, tg, a in ALL]
        for client in CLIENTS:
            with self.subTest(client=client):
                t = self.sni_tunnel(["-k", "1"], default=("default", "rsa"), names=names)
                r = self.connect_client(t, client, "www.example.com",
                                        verify="www.example.com")
                self.assertServed(r, "www", "ec", "www.example.com")

    # -- wildcards

    def test_wildcard_one_label(self):
        for client in CLIENTS:
            for lvl in ("1", "2"):
                with self.subTest(client=client, k=lvl):
                    t = self.sni_tunnel(["-k", lvl], names=ALL)
                    r = self.connect_client(t, client, "foo.example.com",
                                            verify="foo.example.com")
                    self.assertServed(r, "wild", "ec", "foo.example.com")

    def test_wildcard_not_bare_nor_two_labels_k1(self):
        """*.example.com does not serve example.com nor a.b.example.com:
        under -k 1 they get the default pair."""
        names = [n for n in ALL if n[0] != "example.com"]
        for client in CLIENTS:
            for name in ("example.com", "a.b.example.com"):
                with self.subTest(client=client, name=name):
                    t = self.sni_tunnel(["-k", "1"], names=names)
                    r = self.connect_client(t, client, name, verify="default.invalid")
                    self.assertServed(r, "default", "ec", name)

    def test_wildcard_not_bare_nor_two_labels_k2(self):
        names = [n for n in ALL if n[0] != "example.com"]
        for client in CLIENTS:
            for name in ("example.com", "a.b.example.com"):
                with self.subTest(client=client, name=name):
                    t = self.sni_tunnel(["-k", "2"], names=names)
                    r = self.connect_client(t, client, name, verify=name, ok=False)
                    self.assertRefused(t, r, 98)

    def test_exact_beats_wildcard(self):
        """Whatever the order of the variables in the environment."""
        wild = ("*.example.com", "wild", "ec")
        www = ("www.example.com", "www", "rsa")
        for client in CLIENTS:
            for names in ((wild, www), (www, wild)):
                for lvl in ("1", "2"):
                    with self.subTest(client=client, first=names[0][0], k=lvl):
                        t = self.sni_tunnel(["-k", lvl], names=names)
                        r = self.connect_client(t, client, "www.example.com",
                                                verify="www.example.com")
                        self.assertServed(r, "www", "rsa", "www.example.com")

    # -- case

    def test_case_insensitive(self):
        for client in CLIENTS:
            with self.subTest(client=client, sent="WWW.Example.COM"):
                t = self.sni_tunnel(["-k", "1"], names=ALL)
                r = self.connect_client(t, client, "WWW.Example.COM",
                                        verify="www.example.com")
                self.assertServed(r, "www", "rsa",
                                  entry_value(r.entries, "SSL_TLS_SNI_SERVERNAME"))
                self.assertEqual(entry_value(r.entries, "SSL_TLS_SNI_SERVERNAME").lower(),
                                 "www.example.com")
                self.note("%s sent WWW.Example.COM, block says %r", client,
                          entry_value(r.entries, "SSL_TLS_SNI_SERVERNAME"))
            with self.subTest(client=client, sent="FOO.EXAMPLE.com"):
                t = self.sni_tunnel(["-k", "2"], names=ALL)
                r = self.connect_client(t, client, "FOO.EXAMPLE.com",
                                        verify="foo.example.com")
                self.assertServed(r, "wild", "ec",
                                  entry_value(r.entries, "SSL_TLS_SNI_SERVERNAME"))
            with self.subTest(client=client, configured="OTHER.Org"):
                t = self.sni_tunnel(["-k", "2"], names=[("OTHER.Org", "other", "ec"),
                                                        ("*.EXAMPLE.COM", "wild", "rsa")])
                r = self.connect_client(t, client, "other.org", verify="other.org")
                self.assertServed(r, "other", "ec", "other.org")

    # -- no name, unknown name

    def test_no_name_k1_default(self):
        for client in CLIENTS:
            with self.subTest(client=client):
                t = self.sni_tunnel(["-k", "1"], names=ALL)
                r = self.connect_client(t, client, None, verify="default.invalid")
                self.assertServed(r, "default", "ec", None)
                self.assertEqual(r.entries[2], "SSL_TLS_SNI_SERVERNAME")

    def test_no_name_k2_fails(self):
        for client in CLIENTS:
            with self.subTest(client=client):
                t = self.sni_tunnel(["-k", "2"], names=ALL)
                r = self.connect_client(t, client, None, verify="default.invalid", ok=False)
                self.assertRefused(t, r, 98)

    def test_unknown_name(self):
        for client in CLIENTS:
            with self.subTest(client=client, k=1):
                t = self.sni_tunnel(["-k", "1"], names=ALL)
                r = self.connect_client(t, client, "nowhere.test", verify="default.invalid")
                self.assertServed(r, "default", "ec", "nowhere.test")
            with self.subTest(client=client, k=2):
                t = self.sni_tunnel(["-k", "2"], names=ALL)
                r = self.connect_client(t, client, "nowhere.test", verify="nowhere.test",
                                        ok=False)
                self.assertRefused(t, r, 98)

    def test_k2_ignores_plain_pair(self):
        """With -k 2 the plain pair is not even read: unset or pointing
        nowhere, s6-tlsd-io still runs."""
        for default_env in ({"KEYFILE": None, "CERTFILE": None},
                            {"KEYFILE": "/nonexistent/key", "CERTFILE": "/nonexistent/crt"}):
            with self.subTest(env=default_env):
                t = self.sni_tunnel(["-k", "2"], default=None, names=ALL, env=default_env)
                r = self.connect_client(t, "openssl", "other.org", verify="other.org")
                self.assertServed(r, "other", "rsa", "other.org")

    def test_k1_needs_plain_pair(self):
        for unset in ("KEYFILE", "CERTFILE"):
            with self.subTest(unset=unset):
                t = self.sni_tunnel(["-k", "1"], names=ALL, env={unset: None})
                self.start_only(t, 100, unset)

    # -- configuration errors

    def test_keyfile_without_certfile(self):
        s = sni_certs()
        for lvl in ("1", "2"):
            with self.subTest(k=lvl):
                t = self.sni_tunnel(["-k", lvl], names=ALL[:1],
                                    env={"KEYFILE:www.example.com": s.key("www")})
                self.start_only(t, 96, "CERTFILE:www.example.com")

    def test_certfile_without_keyfile(self):
        """Not in the spec: a CERTFILE:x alone is ignored (the other names
        keep working)."""
        s = sni_certs()
        t = self.sni_tunnel(["-k", "1"], names=ALL[:1],
                            env={"CERTFILE:www.example.com": s.chain("www")})
        r = self.connect_client(t, "openssl", "example.com", verify="example.com")
        self.assertServed(r, "example", "ec", "example.com")

    def test_unusable_names_ignored(self):
        """Entries whose name can never match, beside good ones: every good
        name is still served and s6-tlsd-io exits 0, at -k 1 and -k 2. Their
        files are never read (they do not exist, and some have no
        CERTFILE:x at all)."""
        env = {}
        for i, pat in enumerate(UNUSABLE):
            env["KEYFILE:" + pat] = "/nonexistent/unusable-%d.key" % i
            if i % 2:
                env["CERTFILE:" + pat] = "/nonexistent/unusable-%d.chain" % i
        for lvl in ("1", "2"):
            for name, tag, alg in ALL[:2] + (("a.example.com", "wild", "ec"),):
                for client in CLIENTS:
                    with self.subTest(k=lvl, name=name, client=client):
                        t = self.sni_tunnel(["-k", lvl], names=ALL, env=env)
                        r = self.connect_client(t, client, name, verify=name)
                        self.assertServed(r, tag, alg, name)
                        self.assertNotIn("warning", t.stderr())
        t = self.sni_tunnel(["-k", "1"], names=ALL, env=env)
        r = self.connect_client(t, "openssl", None, verify="default.invalid")
        self.assertServed(r, "default", "ec", None)

    def test_unusable_name_warning_at_v2(self):
        """At -v 2, one warning line names each ignored entry."""
        for lvl in ("1", "2"):
            for pat in UNUSABLE:
                with self.subTest(k=lvl, pattern=pat):
                    t = self.sni_tunnel(["-k", lvl, "-v", "2"], names=ALL,
                                        env={"KEYFILE:" + pat: "/nonexistent/k"})
                    r = self.connect_client(t, "openssl", "example.com",
                                            verify="example.com")
                    self.assertServed(r, "example", "ec", "example.com")
                    warns = [l for l in t.stderr().splitlines()
                             if l.startswith("s6-tlsd-io: warning:")]
                    self.assertEqual(len(warns), 1, t.stderr())
                    # names are cut at 200 bytes in the message
                    shown = pat + ":" if len(pat) <= 200 else pat[:200]
                    self.assertIn("ignoring KEYFILE:" + shown, warns[0])
                    self.assertNotIn("/nonexistent", t.stderr())

    def test_only_unusable_names_k2(self):
        """-k 2 with nothing but unusable entries: no keypair at all, which
        is exit 96 (the files are still not read)."""
        t = self.sni_tunnel(["-k", "2"], env={"KEYFILE:*.com": "/nonexistent/k",
                                              "CERTFILE:*.com": "/nonexistent/c"})
        lines = self.start_only(t, 96, "no usable keypair")
        self.assertNotIn("/nonexistent", "".join(lines))

    def test_k2_without_named_pairs(self):
        for default in (("default", "ec"), None):
            with self.subTest(plain=bool(default)):
                t = self.sni_tunnel(["-k", "2"], default=default)
                self.start_only(t, 96)

    def test_named_files_unreadable(self):
        for var, path in (("KEYFILE:www.example.com", "/nonexistent/www.key"),
                          ("CERTFILE:www.example.com", "/nonexistent/www.chain")):
            with self.subTest(var=var):
                t = self.sni_tunnel(["-k", "1"], names=ALL, env={var: path})
                self.start_only(t, 96, path)

    def test_named_pair_invalid_when_selected(self):
        """A named pair with a garbage key, or a key that does not match
        its certificate: exit 96, naming the problem, at the latest when
        a client asks for that name."""
        s = sni_certs()
        d = tempfile.mkdtemp(prefix="tlsd-sni-bad-")
        self.addCleanup(shutil.rmtree, d, True)
        garbage = os.path.join(d, "garbage.key")
        with open(garbage, "wb") as f:
            f.write(b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        for what, key in (("garbage", garbage), ("mismatch", s.key("example", "ec"))):
            with self.subTest(what=what):
                t = self.sni_tunnel(["-k", "1"], names=ALL,
                                    env={"KEYFILE:other.org": key})
                t.client_proc(["openssl", "s_client", "-connect", "127.0.0.1:%d" % t.port,
                               "-servername", "other.org", "-CAfile", s.ca],
                              name="openssl")
                t.start()
                rc = t.wait(WAIT)
                self.note("%s key for other.org: exit %r, stderr %r", what, rc, t.stderr())
                self.assertEqual(rc, 96, t.describe())
                self.assertFatal(t)

    # -- -k 0

    def test_k0_ignores_named_pairs(self):
        """-k 0: KEYFILE:x are not looked at, even broken ones; the name the
        client sent is still reported."""
        s = sni_certs()
        env = {"KEYFILE:*.com": s.key("wild"), "CERTFILE:*.com": s.chain("wild"),
               "KEYFILE:lonely.test": s.key("www")}
        for client in CLIENTS:
            for opts in ([], ["-k", "0"], ["--sni-level=0"], ["--sni", "-k", "0"]):
                with self.subTest(client=client, opts=opts):
                    t = self.sni_tunnel(opts, names=ALL, env=env)
                    r = self.connect_client(t, client, "www.example.com",
                                            verify="default.invalid")
                    self.assertServed(r, "default", "ec", "www.example.com")

    # -- long options

    def test_long_options(self):
        for opts, lvl in ((["--sni"], 1), (["--mandatory-sni"], 2),
                          (["--sni-level=2"], 2), (["--sni-level=1"], 1),
                          (["--sni-level", "2"], 2),
                          (["--mandatory-sni", "-k", "1"], 1),
                          (["-k", "0", "--sni"], 1),
                          (["--sni", "--mandatory-sni"], 2)):
            with self.subTest(opts=opts):
                # an unknown name: the default under 1, a failure under 2
                t = self.sni_tunnel(opts, names=ALL)
                if lvl == 1:
                    r = self.connect_client(t, "openssl", "nowhere.test",
                                            verify="default.invalid")
                    self.assertServed(r, "default", "ec", "nowhere.test")
                else:
                    r = self.connect_client(t, "openssl", "nowhere.test",
                                            verify="nowhere.test", ok=False)
                    self.assertRefused(t, r, 98)
                # and a known one
                t = self.sni_tunnel(opts, names=ALL)
                r = self.connect_client(t, "gnutls", "foo.example.com",
                                        verify="foo.example.com")
                self.assertServed(r, "wild", "ec", "foo.example.com")

    def test_bad_sni_level(self):
        for opts in (["--sni-level=x"], ["-k", "-1"], ["--sni-level"], ["--sni=1"]):
            with self.subTest(opts=opts):
                t = self.sni_tunnel(opts, names=ALL)
                self.start_only(t, 100)


if __name__ == "__main__":
    tlsdio.main()
