"""Interoperability matrix: real TLS clients against the real s6-tlsd-io.

Clients: OpenSSL (`openssl s_client`), GnuTLS (`gnutls-cli`), Python's
`ssl`, curl (through `s6-tlsd` under `tcpserver`, in front of a small HTTP
responder), Java's JSSE (tests/e2e/interop/JavaClient.java, compiled with
javac at test time) and Node.js `tls` (tests/e2e/interop/node_client.js).

For each client, each certificate (rsa2048, ec256) and one suite of each
kind (AES-GCM, ChaCha20-Poly1305, AES-CBC), with the client told to offer
only that suite, one subTest (AES-CBC is offered only with the opt-in:
those cases run s6-tlsd-io with --legacy-suites, and curl's s6-tlsd with
TLS_LEGACY_SUITES=1 in its environment):
  - handshake: the client reports TLS 1.2 and the suite (its own name for
    it), and the -d notification (or, for curl, the SSL_CIPHER that s6-tlsd
    gives the app) names the same suite, OpenSSL style;
  - echo: a short line sent by the client comes back from the app;
  - 1 MiB each way at the same time, byte-exact: SHA-256 on both ends.
The app is in-process (the test reads s6-tlsd-io's fdw and writes its fdr):
it echoes the ping line, then sends its 1 MiB while hashing what arrives,
and closes its output after the client's end of stream, like a server.

A client missing from the machine is a failure, not a skip: tests/deps.sh
installs them all.
"""

import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import BioClient, Pattern, Sink, client_context, parse_notif  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "interop")
MiB = 1 << 20
UP = MiB            # client -> app
DOWN = MiB          # app -> client
CERTS = ("rsa2048", "ec256")
WAIT = 60           # seconds: upper bound for one client run

# One suite of a kind, per authentication ("RSA" or "ECDSA"):
#   OpenSSL name, IANA/JSSE name, GnuTLS (cipher, MAC) and priority items.
VARIANTS = {
    "aes128gcm": ("ECDHE-{A}-AES128-GCM-SHA256", "TLS_ECDHE_{A}_WITH_AES_128_GCM_SHA256",
                  ("AES-128-GCM", "AEAD")),
    "aes256gcm": ("ECDHE-{A}-AES256-GCM-SHA384", "TLS_ECDHE_{A}_WITH_AES_256_GCM_SHA384",
                  ("AES-256-GCM", "AEAD")),
    "chacha": ("ECDHE-{A}-CHACHA20-POLY1305", "TLS_ECDHE_{A}_WITH_CHACHA20_POLY1305_SHA256",
               ("CHACHA20-POLY1305", "AEAD")),
    "aes128cbc": ("ECDHE-{A}-AES128-SHA256", "TLS_ECDHE_{A}_WITH_AES_128_CBC_SHA256",
                  ("AES-128-CBC", "SHA256")),
    "aes256cbc": ("ECDHE-{A}-AES256-SHA384", "TLS_ECDHE_{A}_WITH_AES_256_CBC_SHA384",
                  ("AES-256-CBC", "SHA384")),
}

# Which GCM and CBC variant each client uses (spreads the coverage).
CLIENT_VARIANTS = {
    "openssl": ("aes128gcm", "chacha", "aes128cbc"),
    "gnutls": ("aes256gcm", "chacha", "aes256cbc"),
    "python": ("aes256gcm", "chacha", "aes256cbc"),
    "curl": ("aes128gcm", "chacha", "aes128cbc"),
    "java": ("aes128gcm", "chacha", "aes256cbc"),
    "node": ("aes256gcm", "chacha", "aes128cbc"),
}

INSTALL_HINT = {
    "openssl": "openssl", "gnutls-cli": "gnutls-bin", "curl": "curl",
    "tcpserver": "ucspi-tcp", "java": "default-jdk-headless",
    "javac": "default-jdk-headless", "node": "nodejs",
}


class Suite:
    def __init__(self, variant, cert):
        a = "RSA" if cert.startswith("rsa") else "ECDSA"
        o, i, g = VARIANTS[variant]
        self.variant = variant
        self.kx = "ECDHE-" + a
        self.openssl = o.format(A=a)
        self.iana = i.format(A=a)
        self.gnutls_cipher, self.gnutls_mac = g
        # AES-CBC needs the opt-in (the default offer is AEAD only)
        self.opts = ["--legacy-suites"] if "cbc" in variant else []

    def gnutls_priority(self):
        return ("NONE:+VERS-TLS1.2:+%s:+%s:+%s:+SIGN-ALL:+GROUP-ALL:+COMP-NULL"
                % (self.kx, self.gnutls_cipher, self.gnutls_mac))


def need(tool):
    """Path of a client program; fails (never skips) when it is missing."""
    p = shutil.which(tool)
    if not p:
        raise AssertionError("%s not found on PATH: install Debian's %s (sh tests/deps.sh test)"
                             % (tool, INSTALL_HINT.get(tool, tool)))
    return p


# (client, cert, variant) -> dict(result=..., client_suite=..., notif_suite=...)
RESULTS = {}
_results_lock = threading.Lock()


def record(client, cert, variant, **kw):
    with _results_lock:
        RESULTS.setdefault((client, cert, variant), {}).update(kw)


def tearDownModule():
    if not RESULTS:
        return
    lines = ["interop matrix (client, cert, suite offered -> client's name / notification):"]
    for (client, cert, variant), r in sorted(RESULTS.items()):
        lines.append("  %-4s %-7s %-8s %-10s %-44s -> %s / %s" % (
            r.get("result", "FAIL"), client, cert, variant, r.get("offered", "?"),
            r.get("client_suite", "-"), r.get("notif_suite", "-")))
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


class PipeSource:
    """A client's stdout as a pipe."""

    def __init__(self, fd):
        self.fd = fd

    def read_exact(self, n, timeout):
        return tlsdio.fd_read_exact(self.fd, n, timeout)

    def drain(self, sink, limit, timeout):
        return tlsdio.fd_drain(self.fd, sink, timeout, close=False, limit=limit)


class FileTail:
    """A client's stdout as a regular file, read as it grows.

    gnutls-cli writes what it receives one byte per write(2) (its stdout
    is unbuffered, fputc per byte): through a pipe, each byte wakes the
    reader, and 1 MiB took from 0.5 s to over 60 s on a busy 2-core VM
    with the server under ASan. Appending to a file wakes nobody."""

    def __init__(self, path):
        self.path = path
        self.proc = None                 # set once the client runs
        self.f = open(path, "wb")        # the client's stdout
        self.r = open(path, "rb")

    def close(self):
        self.f.close()
        self.r.close()

    def _read(self, want, dl):
        while True:
            d = self.r.read(want)
            if d:
                return d
            if self.proc is not None and self.proc.poll() is not None:
                d = self.r.read(want)     # what it wrote before exiting
                if not d:
                    raise EOFError("%s exited" % self.proc.name)
                return d
            time.sleep(min(0.01, dl.left("read %s" % self.path)))

    def read_exact(self, n, timeout):
        dl = tlsdio.Deadline(timeout)
        buf = bytearray()
        while len(buf) < n:
            buf += self._read(n - len(buf), dl)
        return bytes(buf)

    def drain(self, sink, limit, timeout):
        dl = tlsdio.Deadline(timeout)
        n = 0
        while n < limit:
            d = self._read(min(1 << 18, limit - n), dl)
            sink(d)
            n += len(d)
        return n


class App:
    """The in-process app on a Tunnel: echoes `ping`, then sends `down`
    (a Pattern) while hashing what arrives until EOF, then closes its
    output. get() returns (bytes received after the ping, Sink)."""

    def __init__(self, t, ping, down, timeout=WAIT):
        self.r, self.w = t.app_fds()
        self.ping = ping
        self.down = down
        self.sink = Sink()
        self.timeout = timeout
        self.worker = tlsdio.spawn(self._run, name="app")

    def _run(self):
        try:
            got = tlsdio.fd_read_exact(self.r, len(self.ping), self.timeout)
            if got != self.ping:
                raise AssertionError("app: ping %r, expected %r" % (got, self.ping))
            tlsdio.fd_write_all(self.w, self.ping, self.timeout)
            writer = tlsdio.spawn(tlsdio.fd_write_chunks, self.w, self.down,
                                  self.timeout, False, name="app-writer")
            n = tlsdio.fd_drain(self.r, self.sink, self.timeout)
            writer.get(self.timeout)
            return n
        finally:
            tlsdio._close_quietly(self.r)
            tlsdio._close_quietly(self.w)

    def get(self, timeout=WAIT):
        return self.worker.get(timeout), self.sink


class Interop(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 170

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tlsd-interop-")
        cls.up_file = os.path.join(cls.tmp, "upload.bin")
        cls.up_bytes = Pattern(UP, start=101).bytes()
        with open(cls.up_file, "wb") as f:
            f.write(cls.up_bytes)
        cls.up_sha = tlsdio.sha256(cls.up_bytes)
        cls.down_sha = tlsdio.sha256(Pattern(DOWN, start=202).bytes())
        cls.java_classes = None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self._servers = []

    def tearDown(self):
        for s in self._servers:
            s.stop()
        super().tearDown()

    # -- the matrix driver

    def matrix(self, client, drive):
        """Runs drive(cert, suite) in a subTest per (cert, suite); drive
        returns the client's name for the negotiated suite."""
        for cert in CERTS:
            for variant in CLIENT_VARIANTS[client]:
                suite = Suite(variant, cert)
                with self.subTest(client=client, cert=cert, suite=suite.openssl):
                    record(client, cert, variant, offered=suite.openssl, result="FAIL")
                    t0 = time.monotonic()
                    drive(cert, suite)
                    record(client, cert, variant, result="ok")
                    self.note("%s %s %s: ok in %.2fs", client, cert, suite.openssl,
                              time.monotonic() - t0)

    def check_notif(self, client, cert, suite, t):
        entries = parse_notif(t.read_notif(WAIT))
        got = entries[1].partition("=")[2] if len(entries) > 1 else None
        record(client, cert, suite.variant, notif_suite=got)
        self.assertEqual(entries, tlsdio.notif_entries(suite.openssl),
                         "notification block; %s" % t.describe())

    def finish_tunnel(self, t, app):
        """The app got the whole upload, byte-exact, and s6-tlsd-io exits 0."""
        n, sink = app.get(WAIT)
        self.assertEqual(n, UP, "bytes the app received; %s" % t.describe())
        self.assertEqual(sink.digest(), self.up_sha, "client -> app corrupted")
        self.assertExit(t, 0, 20)

    def new_case(self, cert, suite):
        t = self.tunnel(cert=cert, notif=True, opts=suite.opts)
        ping = ("PING %s %s\n" % (cert, suite.openssl)).encode()
        return t, ping

    def run_proc_client(self, t, p, ping, timeout=WAIT, out=None):
        """A client that relays its stdin to TLS and TLS to its stdout
        (s_client, gnutls-cli): writes ping + upload, reads echo +
        download, then closes stdin once the app has everything. `out`:
        the client's stdout is that regular file (a FileTail), not a pipe."""
        app = App(t, ping, Pattern(DOWN, start=202))

        def feed():
            p.p.stdin.write(ping)
            p.p.stdin.flush()
            mv = memoryview(self.up_bytes)
            for size in (1, 7, 4093, 16385, 65537) * 1000:
                if not mv:
                    break
                p.p.stdin.write(mv[:size])
                mv = mv[size:]
            p.p.stdin.flush()
        w = self.worker(feed)
        src = out or PipeSource(p.p.stdout.fileno())
        try:
            echo = src.read_exact(len(ping), timeout)
            self.assertEqual(echo, ping, "echo")
            sink = Sink()
            n = src.drain(sink, DOWN, timeout)
        except (EOFError, TimeoutError, OSError) as e:
            self.fail("%s: %r; client rc %r stderr %r; %s"
                      % (p.name, e, p.poll(), p.stderr()[-3000:], t.describe()))
        w.get(timeout)
        self.assertEqual(n, DOWN, "bytes the client received")
        self.assertEqual(sink.digest(), self.down_sha, "app -> client corrupted")
        # Everything arrived both ways: now the client ends the session.
        tlsdio.wait_until(lambda: app.sink.count >= UP, timeout,
                          what="upload at the app (%d bytes)" % app.sink.count)
        p.p.stdin.close()
        rc = p.wait(timeout)
        self.assertEqual(rc, 0, "%s exit; stderr %r" % (p.name, p.stderr()[-3000:]))
        self.finish_tunnel(t, app)
        return p.stderr()

    # -- OpenSSL

    def test_openssl_s_client(self):
        need("openssl")

        def drive(cert, suite):
            t, ping = self.new_case(cert, suite)
            p = t.s_client("-verify_ip", "127.0.0.1", "-brief", "-no_ign_eof",
                           "-nocommands", "-noservername", "-cipher", suite.openssl)
            t.start()
            self.check_notif("openssl", cert, suite, t)
            err = self.run_proc_client(t, p, ping)
            m = re.search(r"Ciphersuite: (\S+)", err)
            self.assertTrue(m, err)
            record("openssl", cert, suite.variant, client_suite=m.group(1))
            self.assertIn("Protocol version: TLSv1.2", err)
            self.assertEqual(m.group(1), suite.openssl)
        self.matrix("openssl", drive)

    # -- GnuTLS

    def test_gnutls_cli(self):
        need("gnutls-cli")

        def drive(cert, suite):
            t, ping = self.new_case(cert, suite)
            log = os.path.join(self.tmp, "gnutls-%s-%s.log" % (cert, suite.variant))
            out = FileTail(os.path.join(self.tmp, "gnutls-%s-%s.out" % (cert, suite.variant)))
            self.addCleanup(out.close)
            p = t.client_proc(["gnutls-cli", "-V", "--logfile", log,
                               "--x509cafile", tlsdio.certs().ca,
                               "--priority", suite.gnutls_priority(),
                               "-p", str(t.port), "127.0.0.1"], name="gnutls-cli",
                              stdout=out.f)
            out.proc = p
            t.start()
            self.check_notif("gnutls", cert, suite, t)
            self.run_proc_client(t, p, ping, out=out)
            with open(log, errors="replace") as f:
                info = f.read()
            fields = dict(re.findall(r"^- (Version|Key Exchange|Cipher|MAC): (\S+)$",
                                     info, re.M))
            name = "%s/%s/%s" % (fields.get("Key Exchange"), fields.get("Cipher"),
                                 fields.get("MAC"))
            record("gnutls", cert, suite.variant, client_suite=name)
            self.assertIn("- Status: The certificate is trusted.", info)
            self.assertEqual(fields.get("Version"), "TLS1.2", info[-3000:])
            self.assertEqual(name, "%s/%s/%s" % (suite.kx, suite.gnutls_cipher,
                                                 suite.gnutls_mac), info[-3000:])
        self.matrix("gnutls", drive)

    # -- Python's ssl

    def test_python_ssl(self):
        def drive(cert, suite):
            t, ping = self.new_case(cert, suite)
            ctx = client_context(ciphers=suite.openssl, check_hostname=True)
            c = BioClient(t.connect(), ctx, server_hostname="127.0.0.1")
            t.start()
            c.handshake(WAIT)
            record("python", cert, suite.variant, client_suite=c.cipher())
            self.assertEqual(c.version(), "TLSv1.2")
            self.assertEqual(c.cipher(), suite.openssl)
            self.check_notif("python", cert, suite, t)
            app = App(t, ping, Pattern(DOWN, start=202))
            echo = bytearray()
            sink = Sink()

            def split(d):       # the echoed ping, then the download
                k = max(0, min(len(d), len(ping) - len(echo)))
                echo.extend(d[:k])
                if len(d) > k:
                    sink(d[k:])
            c.send(ping)
            c.pump(sink=split, timeout=WAIT, stop=lambda: len(echo) >= len(ping))
            if bytes(echo) != ping:
                self.fail("echo %r, expected %r; %s" % (bytes(echo), ping, self.diag(t, c)))
            up = Pattern(UP, start=101)
            c.pump(source=up, sink=split, until="sent", timeout=WAIT)
            c.pump(sink=split, timeout=WAIT, stop=lambda: sink.count >= DOWN)
            if sink.count != DOWN:
                self.fail("download: %d bytes; %s" % (sink.count, self.diag(t, c)))
            self.assertEqual(sink.digest(), self.down_sha, "app -> client corrupted")
            self.assertEqual(up.digest(), self.up_sha)
            # The client ends the session: close_notify; the app then
            # closes its side and the client sees the end of the stream
            # (a close_notify in answer to its own is fine, TLS 1.2 asks
            # for one; then TCP EOF).
            c.pump(sink=split, after="close_notify", until="eof", timeout=WAIT)
            n = len(ping) + DOWN
            if sink.count != DOWN or c.events not in ([("eof", n)],
                                                      [("close_notify", n), ("eof", n)]):
                self.fail("end of stream: %d bytes, %s" % (sink.count, self.diag(t, c)))
            self.finish_tunnel(t, app)
        self.matrix("python", drive)

    # -- Java (JSSE)

    def java(self):
        if Interop.java_classes is None:
            javac = need("javac")
            need("java")
            out = os.path.join(self.tmp, "java-classes")
            os.makedirs(out, exist_ok=True)
            r = subprocess.run([javac, "-d", out, os.path.join(INTEROP, "JavaClient.java")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
            self.assertEqual(r.returncode, 0, "javac: %s" % r.stdout.decode(errors="replace"))
            Interop.java_classes = out
        return Interop.java_classes

    def run_helper_client(self, client, cert, suite, argv, ping, accept_timeout=WAIT):
        """Java or Node client: same command line, same report on stdout."""
        t = self.tunnel(cert=cert, notif=True, opts=suite.opts)
        p = t.client_proc(argv + ["127.0.0.1", str(t.port), tlsdio.certs().ca,
                                  suite.iana if client == "java" else suite.openssl,
                                  ping.decode(), self.up_file, str(DOWN)],
                          name=client, stdin=subprocess.DEVNULL)
        try:
            t.start(accept_timeout)
        except OSError as e:
            self.fail("%s never connected: %r; rc %r stderr %r"
                      % (client, e, p.poll(), p.stderr()[-3000:]))
        app = App(t, ping, Pattern(DOWN, start=202))
        self.check_notif(client, cert, suite, t)
        try:
            out, _ = p.p.communicate(timeout=WAIT + 30)
        except subprocess.TimeoutExpired:
            p.kill()
            self.fail("%s still running after %ss; stderr %r; %s"
                      % (client, WAIT + 30, p.stderr()[-3000:], t.describe()))
        out = out.decode(errors="replace")
        rep = {}
        for line in out.splitlines():
            k, _, v = line.partition(" ")
            rep[k] = v
        record(client, cert, suite.variant, client_suite=rep.get("CIPHER"))
        self.assertEqual(p.p.returncode, 0, "%s exit; stdout %r stderr %r; %s"
                         % (client, out, p.stderr()[-3000:], t.describe()))
        self.assertEqual(rep.get("PROTOCOL"), "TLSv1.2", out)
        self.assertEqual(rep.get("ECHO"), "ok", out)
        self.assertEqual(rep.get("UP"), "%d %s" % (UP, self.up_sha), out)
        self.assertEqual(rep.get("DOWN"), "%d %s" % (DOWN, self.down_sha),
                         "app -> client: %s" % out)
        self.assertIn("DONE", rep, out)
        self.finish_tunnel(t, app)
        return rep["CIPHER"]

    def test_java_jsse(self):
        classes = self.java()

        def drive(cert, suite):
            ping = ("PING java %s\n" % suite.iana).encode()
            name = self.run_helper_client(
                "java", cert, suite, [need("java"), "-cp", classes, "JavaClient"], ping)
            self.assertEqual(name, suite.iana)
        self.matrix("java", drive)

    # -- Node.js

    def test_node_tls(self):
        node = need("node")

        def drive(cert, suite):
            ping = ("PING node %s\n" % suite.openssl).encode()
            name = self.run_helper_client(
                "node", cert, suite, [node, os.path.join(INTEROP, "node_client.js")], ping)
            self.assertEqual(name, "%s %s" % (suite.openssl, suite.iana))
        self.matrix("node", drive)

    # -- curl, through s6-tlsd under tcpserver

    def test_curl_https(self):
        curl = need("curl")
        need("tcpserver")
        responder = [sys.executable, os.path.join(INTEROP, "http_responder.py")]
        seed = 303
        # what the responder sends for /bytes/DOWN/seed
        want_down = hashlib.sha256(random.Random(seed).randbytes(DOWN)).hexdigest()
        servers = {}

        def server(cert):
            if cert not in servers:
                env = tlsdio.base_env(cert)
                env["TLS_LEGACY_SUITES"] = "1"  # the CBC cases need it
                srv = tlsdio.TcpServer([tlsdio.bin_path("s6-tlsd"), "--"] + responder, env,
                                       conns=20, program=need("tcpserver"))
                self._servers.append(srv)
                servers[cert] = srv
            return servers[cert]

        def run_curl(cert, suite, path, outfile, extra=()):
            srv = server(cert)
            hdr = outfile + ".headers"
            argv = [curl, "-sS", "-v", "--fail", "--max-time", str(WAIT),
                    "--cacert", tlsdio.certs().ca, "--tlsv1.2", "--ciphers", suite.openssl,
                    "-o", outfile, "-D", hdr] + list(extra) + \
                ["https://127.0.0.1:%d%s" % (srv.port, path)]
            try:
                r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=WAIT + 10)
            except subprocess.TimeoutExpired:
                self.fail("curl %s timed out; tcpserver log %r" % (path, srv.lines[-20:]))
            err = r.stderr.decode(errors="replace")
            self.assertEqual(r.returncode, 0, "curl %s: %s; tcpserver log %r"
                             % (path, err[-3000:], srv.lines[-20:]))
            m = re.search(r"SSL connection using (\S+) / (\S+)", err)
            self.assertTrue(m, err[-3000:])
            with open(hdr, errors="replace") as f:
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in f.read().splitlines()[1:])
                           if k.strip()}
            with open(outfile, "rb") as f:
                body = f.read()
            return m.group(1), m.group(2), headers, body

        def drive(cert, suite):
            tag = "%s-%s" % (cert, suite.variant)
            # download: 1 MiB from the app
            proto, name, h, body = run_curl(cert, suite, "/bytes/%d/%d" % (DOWN, seed),
                                            os.path.join(self.tmp, "curl-down-" + tag))
            record("curl", cert, suite.variant, client_suite=name,
                   notif_suite=h.get("x-ssl-cipher"))
            self.assertEqual(proto, "TLSv1.2")
            self.assertEqual(name, suite.openssl)
            self.assertEqual(h.get("x-ssl-protocol"), "TLSv1.2", h)
            self.assertEqual(h.get("x-ssl-cipher"), suite.openssl, h)
            self.assertEqual(h.get("x-body-sha256"), want_down, h)
            self.assertEqual(len(body), DOWN)
            self.assertEqual(tlsdio.sha256(body), want_down, "app -> client corrupted")
            # upload: 1 MiB to the app, which hashes it and echoes it back
            proto, name, h, body = run_curl(
                cert, suite, "/echo", os.path.join(self.tmp, "curl-up-" + tag),
                ["--data-binary", "@" + self.up_file, "-H", "Expect:",
                 "-H", "Content-Type: application/octet-stream"])
            self.assertEqual(name, suite.openssl)
            self.assertEqual(h.get("x-ssl-cipher"), suite.openssl, h)
            self.assertEqual(h.get("x-body-length"), str(UP), h)
            self.assertEqual(h.get("x-body-sha256"), self.up_sha, "client -> app corrupted")
            self.assertEqual(len(body), UP)
            self.assertEqual(tlsdio.sha256(body), self.up_sha, "echo corrupted")
        self.matrix("curl", drive)
        # Every connection ended, and well (the responder exits 0).
        for cert, srv in servers.items():
            ends = srv.wait_ends(6, 30)
            self.assertEqual(len(ends), 6, srv.lines[-20:])
            self.assertEqual(set(ends.values()), {0}, srv.lines[-20:])


if __name__ == "__main__":
    tlsdio.main()
