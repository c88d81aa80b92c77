"""End to end: the shared TLS session cache (TLS_SESSION_CACHE, issue #16).

Most tests run s6-tlsd with the real s6-tlsd-io under ucspi-tcp's tcpserver,
as test_s6_tlsd's RealIoTests do; with S6_TLSD_FORK_IO=1 in the environment
(ctest's e2e_session_cache_fork) on s6-tlsd's --fork-io path. A few run
s6-tlsd-io directly (tlsdio.Tunnel): the -d block, TLS_SESSION_LIFETIME
errors.

The clients are real ones: openssl s_client (-sess_out / -sess_in),
gnutls-cli --resume and Python's ssl module (session=). The Python client
is tlsdio.BioClient (a MemoryBIO): the test reads the session ID out of the
ClientHello it sent, so whenever it checks that a session was NOT resumed,
it also knows the client did offer it.

prog, on every connection, writes its environment (env -0) to DIR/env.PID,
says "pid PID", reads a line and answers "got LINE". s6-tlsd runs with
-v 2: every s6-tlsd-io prints its statistics line ("connection: exit=...
resumed=0|1") when it ends; the tests wait for it after each connection,
so the n-th line is the n-th connection's.

Environment (set by ctest): TLSD_BIN_DIR, TLSD_CERTS, TLSD_CLIENT_CERTS
(the certificates are generated when unset).

Every wait has a time bound; every process is killed and reaped in
tearDown (the test process is a child subreaper, so the s6-tlsd-io
processes orphaned when prog exits come back to it); each test has its own
temporary directory.
"""

import concurrent.futures
import ctypes
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from test_io_sni import client_certs_dir  # noqa: E402

WAIT = 20               # seconds: the bound of any single wait
FORK = os.environ.get("S6_TLSD_FORK_IO", "") not in ("", "0")
SANITIZED = os.environ.get("TLSD_SANITIZED") == "1"
ROOT = os.geteuid() == 0
TLS_UID, TLS_GID = 12345, 12346
STATS = "s6-tlsd-io: info: connection: "
RESUMED_INFO = "s6-tlsd-io: info: handshake resumed a cached session"
# prog: records its environment, says its pid, echoes one line.
PROG_SH = 'env -0 > "$0/env.$$"; echo "pid $$"; read x; echo "got $x"'
# What the spec lets the app see of TLS (fixed entries, no ALPN here).
SSL_NAMES = set(tlsdio.NOTIF_NAMES)
# The subject gen-client-certs.sh gives the `ec` client certificate.
EC_SUBJECT = ("C=CH, ST=Vaud, L=Z\u00fcrich, O=s6-tlsd tests, OU=Unit B, OU=Unit A, "
              "CN=Client\\, EC")


def s6_tlsd():
    return tlsdio.bin_path("s6-tlsd")


# ---------------------------------------------------------------------------
# Processes


def set_subreaper():
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans():
    """Reaps the zombie children of ours that subprocess does not know."""
    me = os.getpid()
    for pid, (_, ppid, state) in tlsdio.proc_table().items():
        if ppid == me and state == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def kill_leftovers():
    """SIGKILLs every s6-tlsd / s6-tlsd-io below us, then reaps."""
    for pid, (comm, _, st) in tlsdio.descendants(os.getpid()).items():
        if comm in ("s6-tlsd", "s6-tlsd-io") and st != "Z":
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    time.sleep(0.05)
    reap_orphans()


def server_env(extra):
    """The test's environment without anything s6-tlsd(-io) reads, plus
    KEYFILE/CERTFILE (ec256) and `extra` (a value None: unset). The I/O
    engine and --fork-io choice (S6_TLSD_IO_ENGINE, S6_TLSD_FORK_IO) stay."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SSL_", "KEYFILE", "CERTFILE", "TLS_"))
           and k not in ("CADIR", "CAFILE", "S6_TLSD_IO")}
    c = tlsdio.certs()
    env["KEYFILE"] = c.key("ec256")
    env["CERTFILE"] = c.chain("ec256")
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class Server(tlsdio.TcpServer):
    """tcpserver on 127.0.0.1 (port chosen by the kernel) running
    `s6-tlsd -v 2 OPTS -- prog`, its stderr (tcpserver's lines and those of
    every s6-tlsd(-io) it runs) collected in a thread; reads the statistics
    line of each connection, in order. Registered in test.servers, which
    tearDown stops."""

    def __init__(self, test, opts=(), env=None, prog=None, conns=100, backlog=64):
        prog = prog or ["sh", "-c", PROG_SH, test.dir]
        self.seen = 0
        super().__init__([s6_tlsd(), "-v", "2", *opts, "--", *prog], server_env(env or {}),
                         conns, backlog, timeout=WAIT)
        test.servers.append(self)

    def stats(self):
        """Every statistics line so far, parsed: [{'exit': '0', ...}]."""
        with self.cond:
            return [parse_stats(l) for l in self.lines if l.startswith(STATS)]

    def wait_stats(self, n, timeout=WAIT):
        self.wait_for(lambda ls: sum(l.startswith(STATS) for l in ls) >= n, timeout,
                      "%d statistics lines" % n)
        return self.stats()

    def next_stats(self, timeout=WAIT):
        """The statistics line of the next connection (waits for it)."""
        s = self.wait_stats(self.seen + 1, timeout)[self.seen]
        self.seen += 1
        return s

    def count(self, text):
        with self.cond:
            return sum(l == text for l in self.lines)

    def warnings(self):
        with self.cond:
            return [l for l in self.lines if ": warning: " in l or ": fatal: " in l]


def parse_stats(line):
    return dict(w.split("=", 1) for w in line[len(STATS):].split() if "=" in w)


# ---------------------------------------------------------------------------
# TLS


def hello_session_id(flight):
    """The session ID in the ClientHello that starts a client's first
    flight (record header, handshake header, version, random, ID)."""
    if len(flight) < 44 or flight[0] != 22 or flight[5] != 1:
        raise AssertionError("not a ClientHello: %r" % flight[:16])
    n = flight[43]
    return bytes(flight[44:44 + n])


def py_context(cert=None, key=None):
    """A TLS 1.2 client context without tickets (BearSSL has none):
    resumption is by session ID only."""
    ctx = tlsdio.client_context(max_version=ssl.TLSVersion.TLSv1_2, cert=cert, key=key)
    ctx.options |= ssl.OP_NO_TICKET
    return ctx


def read_env(path):
    with open(path, "rb") as f:
        data = f.read()
    out = {}
    for e in data.split(b"\0"):
        if e:
            k, _, v = e.decode("utf-8", "replace").partition("=")
            out[k] = v
    return out


def ssl_env(env):
    return {k: v for k, v in env.items() if k.startswith("SSL_")}


def file_state(path):
    """What must not change about a file the engine refuses."""
    st = os.lstat(path)
    digest = None
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    return (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
            st.st_size, st.st_mtime_ns, digest)


def wait_second_start(margin=0.02):
    """Sleeps until just after the wall clock's next whole second."""
    time.sleep(1 - time.time() % 1 + margin)


# ---------------------------------------------------------------------------
# Test base


class CacheCase(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 60

    @classmethod
    def setUpClass(cls):
        s6_tlsd()
        if not shutil.which("tcpserver"):
            raise unittest.SkipTest("tcpserver (ucspi-tcp) is not installed")
        set_subreaper()

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="tlsd-sesscache-")
        self.servers = []
        self.procs = []
        self.socks = []
        self.ctx = py_context()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            for s in self.socks:
                try:
                    s.close()
                except OSError:
                    pass
            for p in self.procs:
                tlsdio.stop_tree(p)
            for s in self.servers:
                s.stop()
            kill_leftovers()
            shutil.rmtree(self.dir, True)

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def server(self, cache=None, opts=(), env=None, **kw):
        e = dict(env or {})
        if cache is not None:
            e["TLS_SESSION_CACHE"] = cache
        return Server(self, opts, e, **kw)

    # -- clients

    def py_conn(self, srv, host="localhost", session=None, ctx=None, line=b"ping",
                during=None):
        """One connection with the Python client, offering `session`:
        handshake, prog's pid line, `line` there and back, the server's
        EOF. during(pid) runs while the connection is open. Returns what
        happened (reused, the IDs offered and given, prog's environment,
        the connection's statistics line)."""
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
        self.socks.append(sock)
        c = tlsdio.BioClient(sock, ctx or self.ctx, host, session=session)
        c.handshake(WAIT)
        buf = b""
        while b"\n" not in buf:
            d = c.recv(WAIT)
            if not d:
                raise AssertionError("EOF before prog's pid line: %r; events %r; lines %r"
                                     % (buf, c.events, srv.lines[-10:]))
            buf += d
        first, _, rest = buf.partition(b"\n")
        m = re.fullmatch(rb"pid (\d+)", first)
        self.assertTrue(m, first)
        pid = int(m.group(1))
        if during:
            during(pid)
        c.send(line + b"\n")
        sink = tlsdio.Sink(keep=True)
        sink(rest)
        c.pump(sink=sink, timeout=WAIT)
        sock.close()
        self.assertEqual(bytes(sink.keep), b"got " + line + b"\n", c.events)
        r = types.SimpleNamespace(
            reused=c.obj.session_reused, session=c.obj.session,
            offered=hello_session_id(c.handshake_bytes[0]), sid=c.obj.session.id,
            cipher=c.cipher(), pid=pid, stats=srv.next_stats())
        r.env = read_env(self.path("env.%d" % pid))
        self.assertEqual(r.stats.get("exit"), "0", r.stats)
        return r

    def s_client(self, srv, *args, host="localhost"):
        """openssl s_client, TLS 1.2, sending "ping" and reading to the
        server's EOF. Returns (state: 'New' or 'Reused', prog's env,
        statistics line, output)."""
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port,
                "-CAfile", tlsdio.certs().ca, "-verify_return_error", "-no_tls1_3",
                "-ign_eof"]
        argv += ["-servername", host] if host else ["-noservername"]
        p = subprocess.Popen(argv + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        out = p.communicate(b"ping\n", timeout=WAIT)[0].decode("utf-8", "replace")
        # (its exit code is 1: s6-tlsd's default -s ends the stream without
        # close_notify, "unexpected eof" to OpenSSL 3)
        self.assertIn(p.returncode, (0, 1), out)
        m = re.search(r"^(New|Reused), TLSv1\.2, Cipher is (\S+)$", out, re.M)
        self.assertTrue(m, out)
        pid = re.search(r"^pid (\d+)$", out, re.M)
        self.assertTrue(pid, out)
        self.assertRegex(out, r"(?m)^got ping$")
        stats = srv.next_stats()
        self.assertEqual(stats.get("exit"), "0", stats)
        return m.group(1), read_env(self.path("env.%s" % pid.group(1))), stats, out

    # -- checks

    def assertResumed(self, r, session):
        self.assertEqual(r.offered, session.id, "the client did not offer the session")
        self.assertTrue(r.reused, "not resumed: %r" % (r.stats,))
        self.assertEqual(r.sid, session.id)
        self.assertEqual(r.stats.get("resumed"), "1", r.stats)

    def assertNotResumed(self, r, session):
        """session was offered, and the server made a new one."""
        self.assertEqual(r.offered, session.id, "the client did not offer the session")
        self.assertFalse(r.reused, "resumed: %r" % (r.stats,))
        self.assertNotEqual(r.sid, session.id)
        self.assertEqual(r.stats.get("resumed"), "0", r.stats)

    def assertCacheFile(self, path, uid=0, gid=0):
        st = os.lstat(path)
        self.assertTrue(stat.S_ISREG(st.st_mode), st)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, oct(st.st_mode))
        if ROOT:
            self.assertEqual((st.st_uid, st.st_gid), (uid, gid))
        # a 64-byte header and 4096 equal slots
        self.assertGreater(st.st_size, 64)
        self.assertEqual((st.st_size - 64) % 4096, 0, st.st_size)
        return st


# ---------------------------------------------------------------------------
# Resumption


class Resumption(CacheCase):
    def test_openssl_sess_out_sess_in(self):
        """openssl s_client -sess_out, then -sess_in: Reused; prog sees
        the same SSL_* environment, and nothing more than the spec's fixed
        entries; the statistics lines say resumed=0 then resumed=1."""
        cache = self.path("cache")
        srv = self.server(cache)
        sess = self.path("openssl.sess")
        state1, env1, st1, _ = self.s_client(srv, "-sess_out", sess)
        self.assertEqual(state1, "New")
        self.assertTrue(os.path.getsize(sess) > 0)
        self.assertCacheFile(cache)
        state2, env2, st2, out = self.s_client(srv, "-sess_in", sess)
        self.assertEqual(state2, "Reused", out)
        self.assertEqual((st1["resumed"], st2["resumed"]), ("0", "1"))
        self.assertEqual(srv.count(RESUMED_INFO), 1)
        self.assertEqual(ssl_env(env1), ssl_env(env2))
        self.assertEqual(env2["SSL_PROTOCOL"], "TLSv1.2")
        self.assertEqual(env2["SSL_TLS_SNI_SERVERNAME"], "localhost")
        self.assertEqual(env2["SSL_CIPHER"], st2["suite"])
        self.assertLessEqual(set(ssl_env(env2)), SSL_NAMES)
        for k in ("SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT", "TLS_SESSION_CACHE",
                  "TLS_SESSION_LIFETIME"):
            self.assertNotIn(k, env2)
        self.assertEqual(srv.warnings(), [])
        # the stats line still ends with resumed=
        self.assertTrue(all(l.endswith((" resumed=0", " resumed=1"))
                            for l in srv.lines if l.startswith(STATS)), srv.lines)

    def test_python_session_reuse(self):
        """Python's ssl: session= resumes, again and again, with the same
        ID; the app's SSL_* environment is the full handshake's."""
        srv = self.server(self.path("cache"))
        full = self.py_conn(srv)
        self.assertFalse(full.reused)
        self.assertEqual(full.offered, b"")
        self.assertEqual(full.stats["resumed"], "0")
        self.assertEqual(len(full.sid), 32)
        for i in range(3):
            r = self.py_conn(srv, session=full.session)
            self.assertResumed(r, full.session)
            self.assertEqual(r.cipher, full.cipher)
            self.assertEqual(ssl_env(r.env), ssl_env(full.env))
        self.assertEqual(srv.count(RESUMED_INFO), 3)
        self.assertEqual(srv.warnings(), [])

    def test_gnutls_resume(self):
        """gnutls-cli --resume: resumed with the cache, not without."""
        if not shutil.which("gnutls-cli"):
            self.skipTest("gnutls-cli is not installed")
        for cache in (self.path("cache"), None):
            with self.subTest(cache=cache):
                srv = self.server(cache)
                p = subprocess.Popen(
                    ["gnutls-cli", "-p", str(srv.port), "--x509cafile", tlsdio.certs().ca,
                     "--resume", "--noticket", "--priority", "NORMAL:-VERS-TLS1.3",
                     "localhost"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT)
                self.procs.append(p)
                out = p.communicate(timeout=WAIT)[0].decode("utf-8", "replace")
                self.assertEqual(p.returncode, 0, out)
                self.assertIn("trying to resume", out)
                # (no exit codes: gnutls-cli drops its connections with
                # data unread, a reset, a write error, when the timing
                # says so)
                stats = srv.wait_stats(2)
                if cache:
                    self.assertIn("*** This is a resumed session", out)
                    self.assertEqual([s["resumed"] for s in stats], ["0", "1"])
                else:
                    self.assertNotIn("This is a resumed session", out)
                    self.assertEqual([s["resumed"] for s in stats], ["0", "0"])
                srv.stop()

    def test_off_without_cache(self):
        """TLS_SESSION_CACHE unset or empty: no file, no resumption, no
        warning."""
        for value in (None, ""):
            with self.subTest(value=value):
                srv = self.server(value)
                full = self.py_conn(srv)
                r = self.py_conn(srv, session=full.session)
                self.assertNotResumed(r, full.session)
                self.assertEqual(srv.warnings(), [])
                self.assertEqual(srv.count(RESUMED_INFO), 0)
                self.assertEqual(sorted(f for f in os.listdir(self.dir)
                                        if not f.startswith("env.")), [])

    def test_sni_must_match(self):
        """A session resumes only for the server name it was made for
        (compared without case); no name matches only no name."""
        srv = self.server(self.path("cache"))
        named = self.py_conn(srv, host="localhost")
        unnamed = self.py_conn(srv, host=None)
        self.assertNotIn("SSL_TLS_SNI_SERVERNAME", unnamed.env)
        with self.subTest("another name"):
            self.assertNotResumed(self.py_conn(srv, host="other.test", session=named.session),
                                  named.session)
        with self.subTest("name, then none"):
            self.assertNotResumed(self.py_conn(srv, host=None, session=named.session),
                                  named.session)
        with self.subTest("none, then a name"):
            self.assertNotResumed(self.py_conn(srv, host="localhost", session=unnamed.session),
                                  unnamed.session)
        with self.subTest("none, then none"):
            r = self.py_conn(srv, host=None, session=unnamed.session)
            self.assertResumed(r, unnamed.session)
            self.assertNotIn("SSL_TLS_SNI_SERVERNAME", r.env)
        with self.subTest("the same name"):
            r = self.py_conn(srv, host="localhost", session=named.session)
            self.assertResumed(r, named.session)
            self.assertEqual(r.env["SSL_TLS_SNI_SERVERNAME"], "localhost")
        # openssl s_client (Python's IDNA encoding lowercases names)
        sess = self.path("openssl.sess")
        state, _, _, _ = self.s_client(srv, "-sess_out", sess, host="localhost")
        self.assertEqual(state, "New")
        with self.subTest("openssl, another name"):
            state, env, st, out = self.s_client(srv, "-sess_in", sess, host="other.test")
            self.assertEqual((state, st["resumed"]), ("New", "0"), out)
            self.assertEqual(env["SSL_TLS_SNI_SERVERNAME"], "other.test")
        with self.subTest("openssl, no name"):
            state, env, st, out = self.s_client(srv, "-sess_in", sess, host=None)
            self.assertEqual((state, st["resumed"]), ("New", "0"), out)
        with self.subTest("openssl, the name in capitals"):
            state, env, st, out = self.s_client(srv, "-sess_in", sess, host="LOCALHOST")
            self.assertEqual((state, st["resumed"]), ("Reused", "1"), out)

    def test_suite_must_still_be_offered(self):
        """A session whose suite the client no longer offers is not
        resumed: a full handshake with a suite it does offer."""
        ctx = py_context()
        ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        srv = self.server(self.path("cache"))
        full = self.py_conn(srv, ctx=ctx)
        self.assertEqual(full.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256")
        ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305")
        r = self.py_conn(srv, ctx=ctx, session=full.session)
        self.assertNotResumed(r, full.session)
        self.assertEqual(r.cipher, "ECDHE-ECDSA-CHACHA20-POLY1305")
        self.assertEqual(r.env["SSL_CIPHER"], "ECDHE-ECDSA-CHACHA20-POLY1305")
        # and that new session resumes
        self.assertResumed(self.py_conn(srv, ctx=ctx, session=r.session), r.session)

    def conn_pair(self, srv, session):
        """Connects offering `session` (a full handshake when None) and
        right after that resumes the session it got. For a 1-second
        lifetime the pair must take less than that: up to 3 tries on a
        busy machine. Returns (first, second)."""
        for attempt in range(3):
            t0 = time.time()
            first = self.py_conn(srv, session=session)
            second = self.py_conn(srv, session=first.session)
            if time.time() - t0 < 0.9:
                return first, second
            self.note("attempt %d took %.3f s", attempt + 1, time.time() - t0)
        self.fail("3 connection pairs took over 0.9 s each")

    def test_lifetime_expiry(self):
        """TLS_SESSION_LIFETIME=1: after 2.5 s the session is not resumed
        (though offered); the new session it gets resumes in its turn."""
        srv = self.server(self.path("cache"), env={"TLS_SESSION_LIFETIME": "1"})
        full, again = self.conn_pair(srv, None)
        self.assertResumed(again, full.session)
        time.sleep(2.5)
        late, fresh = self.conn_pair(srv, full.session)
        self.assertNotResumed(late, full.session)
        self.assertResumed(fresh, late.session)

    def test_lifetime_counts_true_age(self):
        """The lifetime is a session's age, not a count of wall-clock
        second boundaries: with TLS_SESSION_LIFETIME=2, a session made just
        before a second boundary and offered 1.4 s later (two boundaries
        on) still resumes."""
        srv = self.server(self.path("cache"), env={"TLS_SESSION_LIFETIME": "2"})
        wait_second_start(0.70)
        t0 = time.time()
        full = self.py_conn(srv)
        time.sleep(max(0.0, int(t0) + 2.10 - time.time()))
        t1 = time.time()
        r = self.py_conn(srv, session=full.session)
        if time.time() - t0 >= 1.9:
            self.skipTest("too slow a machine: %.2f s" % (time.time() - t0))
        self.note("session %.2f s old when offered, lifetime 2 s", t1 - t0)
        self.assertResumed(r, full.session)


class Concurrency(CacheCase):
    TEST_TIMEOUT = 120
    N = 200
    WORKERS = 32

    def test_200_concurrent_resumptions(self):
        """200 connections from 32 threads, all offering the same session:
        every one succeeds and every one is resumed."""
        srv = self.server(self.path("cache"), prog=["sh", "-c", 'read x; echo "got $x"'],
                          conns=300, backlog=128)
        ctx = self.ctx
        with socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                t.sendall(b"first\n")
                self.assertEqual(t.recv(64), b"got first\n")
                session = t.session
        self.assertEqual(srv.wait_stats(1)[0]["resumed"], "0")

        def one(i):
            try:
                with socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT) as s:
                    with ctx.wrap_socket(s, server_hostname="localhost",
                                         session=session) as t:
                        reused, sid = t.session_reused, t.session.id
                        t.sendall(b"%d\n" % i)
                        data = b""
                        while True:
                            d = t.recv(64)
                            if not d:
                                break
                            data += d
            except (OSError, ssl.SSLError) as e:
                return "#%d: %r" % (i, e)
            if data != b"got %d\n" % i:
                return "#%d: answer %r" % (i, data)
            if not reused or sid != session.id:
                return "#%d: not resumed" % i
            return None

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(self.WORKERS) as ex:
            results = list(ex.map(one, range(self.N), timeout=90))
        elapsed = time.monotonic() - t0
        self.note("%d resumed connections (%d threads) in %.2f s", self.N, self.WORKERS,
                  elapsed)
        self.assertEqual([r for r in results if r], [])
        stats = srv.wait_stats(self.N + 1, timeout=30)
        self.assertEqual(len(stats), self.N + 1)
        self.assertEqual({s["exit"] for s in stats}, {"0"})
        self.assertEqual(sum(s["resumed"] == "1" for s in stats), self.N)
        self.assertEqual(srv.count(RESUMED_INFO), self.N)
        self.assertEqual(srv.warnings(), [])
        srv.wait_for(lambda ls: len(srv.exit_codes()) >= self.N + 1, what="tcpserver ends")
        self.assertEqual(set(srv.exit_codes()), {0})
        self.assertLess(elapsed, 120 if SANITIZED else 60)

    def test_resume_while_others_store(self):
        """100 resumptions of one session interleaved with 100 full
        handshakes storing theirs, from 32 threads: every resumption
        works; then every stored session resumes."""
        srv = self.server(self.path("cache"), prog=["sh", "-c", 'read x; echo "got $x"'],
                          conns=300, backlog=128)
        ctx = self.ctx

        def conn(session=None):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT) as s:
                with ctx.wrap_socket(s, server_hostname="localhost", session=session) as t:
                    t.sendall(b"x\n")
                    data = t.recv(64)
                    return t.session_reused, t.session, data

        _, fixed, _ = conn()

        def one(i):
            try:
                reused, sess, data = conn(fixed if i % 2 else None)
            except (OSError, ssl.SSLError) as e:
                return ("#%d: %r" % (i, e), None)
            if data != b"got x\n":
                return ("#%d: answer %r" % (i, data), None)
            if reused != bool(i % 2):
                return ("#%d: reused=%s" % (i, reused), None)
            return (None, None if i % 2 else sess)

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(32) as ex:
            results = list(ex.map(one, range(200), timeout=90))
            self.assertEqual([e for e, _ in results if e], [])
            stored = [s for _, s in results if s is not None]
            self.assertEqual(len(stored), 100)
            again = list(ex.map(lambda s: conn(s)[0], stored, timeout=90))
        self.note("200 mixed connections, then 100 resumptions, in %.2f s",
                  time.monotonic() - t0)
        self.assertEqual(again, [True] * 100)
        stats = srv.wait_stats(301, timeout=30)
        self.assertEqual({s["exit"] for s in stats}, {"0"})
        self.assertEqual(sum(s["resumed"] == "1" for s in stats), 200)
        self.assertEqual(srv.warnings(), [])


# ---------------------------------------------------------------------------
# The file


class CacheFile(CacheCase):
    def make_valid(self, path, env=None):
        """A cache file as s6-tlsd-io makes it (one connection, stopped)."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        srv = self.server(path, env=env)
        self.py_conn(srv)
        srv.stop()
        self.servers.remove(srv)
        return os.path.getsize(path)

    def test_unusable_files(self):
        """Files the engine must not use: one warning per connection that
        names the file and why; the connection works (the data goes there
        and back, exit 0), nothing resumes, the file is left as it was."""
        template = self.path("template", "cache")
        size = self.make_valid(template)
        self.assertCacheFile(template)

        def valid(p):
            shutil.copyfile(template, p)
            os.chmod(p, 0o600)

        def written(fill):
            def make(p):
                with open(p, "wb") as f:
                    fill(f)
                os.chmod(p, 0o600)
            return make

        def data(content):
            return written(lambda f: f.write(content))

        def sparse(n):
            return written(lambda f: f.truncate(n))

        def mode(m):
            def make(p):
                valid(p)
                os.chmod(p, m)
            return make

        def owner(uid):
            def make(p):
                valid(p)
                os.chown(p, uid, uid)
            return make

        def resized(n):
            def make(p):
                valid(p)
                with open(p, "r+b") as f:
                    f.truncate(n)
            return make

        def garbage_header(p):
            valid(p)
            with open(p, "r+b") as f:
                f.write(os.urandom(64))

        wrong = "wrong size (%%d bytes, expected %d)" % size
        cases = [
            ("garbage", data(os.urandom(size)), "not a session cache of this version", {}),
            ("bad header", garbage_header, "not a session cache of this version", {}),
            ("zeros", sparse(size), "not a session cache of this version", {}),
            ("empty", data(b""), wrong % 0, {}),
            ("short", resized(size - 1), wrong % (size - 1), {}),
            ("long", resized(size + 4096), wrong % (size + 4096), {}),
            ("half", resized(size // 2), wrong % (size // 2), {}),
            ("mode 0644", mode(0o644), "open to group or others (mode 0644)", {}),
            ("mode 0660", mode(0o660), "open to group or others (mode 0660)", {}),
            ("mode 0604", mode(0o604), "open to group or others (mode 0604)", {}),
            ("directory", os.mkdir, "unable to open: Is a directory", {}),
            ("fifo", os.mkfifo, "not a regular file", {}),
            # not followed (the reason is strerror's, whatever it says)
            ("symlink to a good cache", lambda p: os.symlink(template, p), None, {}),
        ]
        if ROOT:
            ids = {"TLS_UID": str(TLS_UID), "TLS_GID": str(TLS_GID)}
            cases += [
                ("owner 4242", owner(4242), "owned by uid 4242, not 0", {}),
                ("root's, engine runs as TLS_UID", valid,
                 "owned by uid 0, not %d" % TLS_UID, ids),
                ("TLS_UID's, engine runs as root", owner(TLS_UID),
                 "owned by uid %d, not 0" % TLS_UID, {}),
            ]
        template_state = file_state(template)
        for i, (name, make, reason, env) in enumerate(cases):
            with self.subTest(name):
                d = self.path("case%d" % i)
                os.mkdir(d)
                p = os.path.join(d, "cache")
                make(p)
                before, listing = file_state(p), sorted(os.listdir(d))
                srv = self.server(p, env=env)
                full = self.py_conn(srv, line=b"data one")
                r = self.py_conn(srv, line=b"data two", session=full.session)
                self.assertNotResumed(r, full.session)
                want = "s6-tlsd-io: warning: session cache %s: %s: not resuming sessions" \
                    % (p, reason)
                if reason is None:
                    want = re.escape(want).replace("None", "[^:]+(: [^:]+)?")
                    self.assertEqual(len(srv.warnings()), 2, srv.warnings())
                    for w in srv.warnings():
                        self.assertRegex(w, "^" + want + "$")
                else:
                    self.assertEqual(srv.warnings(), [want, want])
                self.assertEqual(srv.count(RESUMED_INFO), 0)
                srv.stop()
                self.assertEqual(set(srv.exit_codes()), {0}, srv.lines)
                self.assertEqual(file_state(p), before)
                self.assertEqual(sorted(os.listdir(d)), listing)
        self.assertEqual(file_state(template), template_state)

    def test_unable_to_create(self):
        """No such directory: a warning (unable to open), no file, the
        connection works."""
        p = self.path("missing", "cache")
        srv = self.server(p)
        full = self.py_conn(srv)
        self.assertNotResumed(self.py_conn(srv, session=full.session), full.session)
        want = ("s6-tlsd-io: warning: session cache %s: unable to open: No such file or "
                "directory: not resuming sessions" % p)
        self.assertEqual(srv.warnings(), [want, want])
        self.assertFalse(os.path.exists(self.path("missing")))

    def test_created_for_tls_uid(self):
        """No file: the first connection makes it, mode 0600, owned by
        TLS_UID:TLS_GID (as root), through a temporary name that does not
        stay; the engine runs as TLS_UID and resumes sessions with it."""
        if not ROOT:
            self.skipTest("TLS_UID/TLS_GID apply only when run as root")
        run = self.path("run")
        os.mkdir(run)
        os.chmod(run, 0o755)
        cache = os.path.join(run, "cache")
        srv = self.server(cache, env={"TLS_UID": str(TLS_UID), "TLS_GID": str(TLS_GID)})
        seen = []

        def engines(pid):
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = [int(k) for k in f.read().split()]
            return [k for k in kids if (tlsdio.proc_status(k) or {}).get("Name") == "s6-tlsd-io"]

        def engine_ids(pid):
            kids = tlsdio.wait_until(lambda: engines(pid), WAIT, what="the engine process")
            st = {}
            with open("/proc/%s/status" % kids[0]) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    st[k] = v.split()
            seen.append((st["Uid"], st["Gid"]))

        full = self.py_conn(srv, during=engine_ids)
        self.assertCacheFile(cache, TLS_UID, TLS_GID)
        self.assertEqual(os.listdir(run), ["cache"])
        created = file_state(cache)[:5]
        r = self.py_conn(srv, session=full.session, during=engine_ids)
        self.assertResumed(r, full.session)
        self.assertEqual(ssl_env(r.env), ssl_env(full.env))
        want = ([str(TLS_UID)] * 4, [str(TLS_GID)] * 4)
        self.assertEqual(seen, [want, want])
        self.assertEqual(srv.warnings(), [])
        # the same file, still 0600 and TLS_UID's, nothing else beside it
        self.assertEqual(file_state(cache)[:5], created)
        self.assertEqual(os.listdir(run), ["cache"])

    def test_created_as_invoking_user(self):
        """Without TLS_UID/TLS_GID the file belongs to who runs s6-tlsd."""
        cache = self.path("cache")
        srv = self.server(cache)
        full = self.py_conn(srv)
        self.assertCacheFile(cache, os.geteuid(), os.getegid())
        self.assertResumed(self.py_conn(srv, session=full.session), full.session)
        self.assertEqual(sorted(f for f in os.listdir(self.dir) if not f.startswith("env.")),
                         ["cache"])

    def test_concurrent_creation(self):
        """24 first connections at once on a missing file: they agree on
        one file, nobody warns, no temporary file stays, and a session
        made by any of them resumes."""
        run = self.path("run")
        os.mkdir(run)
        cache = os.path.join(run, "cache")
        ids = {"TLS_UID": str(TLS_UID), "TLS_GID": str(TLS_GID)} if ROOT else {}
        srv = self.server(cache, env=ids, prog=["sh", "-c", 'read x; echo "got $x"'],
                          conns=100)
        barrier = threading.Barrier(24, timeout=WAIT)
        ctx = self.ctx

        def one(i):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT) as s:
                barrier.wait()
                with ctx.wrap_socket(s, server_hostname="localhost") as t:
                    t.sendall(b"x\n")
                    self.assertEqual(t.recv(64), b"got x\n")
                    return t.session

        with concurrent.futures.ThreadPoolExecutor(24) as ex:
            sessions = list(ex.map(one, range(24), timeout=60))
        stats = srv.wait_stats(24)
        self.assertEqual({s["exit"] for s in stats}, {"0"})
        self.assertEqual(srv.warnings(), [])
        self.assertEqual(os.listdir(run), ["cache"])
        self.assertCacheFile(cache, TLS_UID if ROOT else os.geteuid(),
                             TLS_GID if ROOT else os.getegid())
        # every session went to the one file: each resumes (through a
        # service with the usual prog, on the same file)
        srv2 = self.server(cache, env=ids)
        for s in sessions[::6]:
            self.assertResumed(self.py_conn(srv2, session=s), s)


# ---------------------------------------------------------------------------
# Client certificates


class ClientCert(CacheCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = client_certs_dir()

    def cpath(self, f):
        return os.path.join(self.cc, f)

    def ec_identity(self):
        with open(self.cpath("ec.der"), "rb") as f:
            return "SHA256:" + hashlib.sha256(f.read()).hexdigest(), EC_SUBJECT

    def test_Y_resumed_keeps_peer_cert(self):
        """-Y: the resumed connection's app sees the SSL_PEER_CERT_HASH and
        SSL_PEER_CERT_SUBJECT of the full handshake (the client sends no
        certificate when it resumes); a session without a certificate
        resumes without one."""
        srv = self.server(self.path("cache"), opts=["-Y"],
                          env={"CAFILE": self.cpath("ca.pem")})
        ctx = py_context(self.cpath("ec.pem"), self.cpath("ec.key"))
        full = self.py_conn(srv, ctx=ctx)
        h, subj = self.ec_identity()
        self.assertEqual(full.env.get("SSL_PEER_CERT_HASH"), h)
        self.assertEqual(full.env.get("SSL_PEER_CERT_SUBJECT"), subj)
        for _ in range(2):
            r = self.py_conn(srv, ctx=ctx, session=full.session)
            self.assertResumed(r, full.session)
            self.assertEqual(ssl_env(r.env), ssl_env(full.env))
        anon = self.py_conn(srv)
        self.assertNotIn("SSL_PEER_CERT_HASH", anon.env)
        r = self.py_conn(srv, session=anon.session)
        self.assertResumed(r, anon.session)
        self.assertNotIn("SSL_PEER_CERT_HASH", r.env)
        self.assertNotIn("SSL_PEER_CERT_SUBJECT", r.env)
        self.assertEqual(srv.warnings(), [])

    def test_y_openssl(self):
        """-y with openssl s_client -cert: Reused, same peer entries."""
        srv = self.server(self.path("cache"), opts=["-y"],
                          env={"CAFILE": self.cpath("ca.pem")})
        sess = self.path("openssl.sess")
        cert = ["-cert", self.cpath("ec.pem"), "-key", self.cpath("ec.key")]
        state1, env1, _, _ = self.s_client(srv, *cert, "-sess_out", sess)
        state2, env2, st2, out = self.s_client(srv, *cert, "-sess_in", sess)
        self.assertEqual((state1, state2), ("New", "Reused"), out)
        self.assertEqual(st2["resumed"], "1")
        h, subj = self.ec_identity()
        self.assertEqual(env1.get("SSL_PEER_CERT_HASH"), h)
        self.assertEqual(env1.get("SSL_PEER_CERT_SUBJECT"), subj)
        self.assertEqual(ssl_env(env2), ssl_env(env1))

    def test_mode_must_match(self):
        """Three services (none, -Y, -y) on one file: a session resumes only
        where it was made under the same client certificate mode."""
        cache = self.path("cache")
        env = {"CAFILE": self.cpath("ca.pem")}
        srvs = {m: self.server(cache, opts=o, env=env)
                for m, o in (("none", []), ("-Y", ["-Y"]), ("-y", ["-y"]))}
        ctx = py_context(self.cpath("ec.pem"), self.cpath("ec.key"))
        made = {m: self.py_conn(s, ctx=ctx) for m, s in srvs.items()}
        h, _ = self.ec_identity()
        self.assertNotIn("SSL_PEER_CERT_HASH", made["none"].env)
        self.assertEqual(made["-Y"].env.get("SSL_PEER_CERT_HASH"), h)
        self.assertEqual(made["-y"].env.get("SSL_PEER_CERT_HASH"), h)
        for m_from, full in made.items():
            for m_to, srv in srvs.items():
                with self.subTest(made=m_from, offered_to=m_to):
                    r = self.py_conn(srv, ctx=ctx, session=full.session)
                    if m_from == m_to:
                        self.assertResumed(r, full.session)
                        self.assertEqual(ssl_env(r.env), ssl_env(full.env))
                    else:
                        self.assertNotResumed(r, full.session)
                        self.assertEqual(r.env.get("SSL_PEER_CERT_HASH"),
                                         None if m_to == "none" else h)


# ---------------------------------------------------------------------------
# Environment, notification, TLS_SESSION_LIFETIME


class Environment(CacheCase):
    def test_prog_environment(self):
        """s6-tlsd removes TLS_SESSION_CACHE and TLS_SESSION_LIFETIME from
        prog's environment, unless -Z."""
        cache = self.path("cache")
        env = {"TLS_SESSION_LIFETIME": "600"}
        for opts, kept in (([], False), (["-Z"], True), (["-Z", "-z"], False)):
            with self.subTest(opts=opts):
                srv = self.server(cache, opts=opts, env=env)
                full = self.py_conn(srv)
                r = self.py_conn(srv, session=full.session)
                self.assertResumed(r, full.session)
                for e in (full.env, r.env):
                    if kept:
                        self.assertEqual(e.get("TLS_SESSION_CACHE"), cache)
                        self.assertEqual(e.get("TLS_SESSION_LIFETIME"), "600")
                    else:
                        self.assertNotIn("TLS_SESSION_CACHE", e)
                        self.assertNotIn("TLS_SESSION_LIFETIME", e)
                srv.stop()

    def direct(self, cache, session=None, env=None, host="localhost"):
        """s6-tlsd-io itself (no s6-tlsd) with -d and -v 2; returns
        (client, notification entries, stderr)."""
        e = {"TLS_SESSION_CACHE": cache}
        e.update(env or {})
        t = self.tunnel(opts=["-v", "2"], notif=True, env=e)
        c = tlsdio.BioClient(t.connect(), self.ctx, host, session=session)
        t.start()
        c.handshake(WAIT)
        entries = tlsdio.parse_notif(t.read_notif())
        c.send(b"x")
        self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 1, WAIT), b"x")
        tlsdio.fd_write_all(t.app_write_fd, b"y")
        self.assertEqual(c.recv_exact(1, WAIT), b"y")
        t.close_app_write()
        c.pump(after="close_notify+shutdown", timeout=WAIT)
        self.assertExit(t, 0, WAIT)
        return c, entries, t.stderr()

    def test_notification_block_unchanged(self):
        """s6-tlsd-io run directly: the -d block of a resumed connection
        is the full one's, with the spec's fixed entries only."""
        cache = self.path("cache")
        c1, e1, err1 = self.direct(cache)
        self.assertFalse(c1.obj.session_reused)
        self.assertEqual(e1, tlsdio.notif_entries(c1.cipher(), sni="localhost"))
        self.assertRegex(err1, r"(?m)^s6-tlsd-io: info: connection: exit=0 .* resumed=0$")
        c2, e2, err2 = self.direct(cache, session=c1.obj.session)
        self.assertTrue(c2.obj.session_reused)
        self.assertEqual(e2, e1)
        self.assertIn(RESUMED_INFO + "\n", err2)
        self.assertRegex(err2, r"(?m)^s6-tlsd-io: info: connection: exit=0 .* resumed=1$")
        self.assertNotIn("warning", err1 + err2)

    def test_invalid_lifetime(self):
        """An invalid TLS_SESSION_LIFETIME: exit 100, one line naming it,
        no cache file made, nothing for the app."""
        # The last one would forge a second log line if printed raw.
        for value in ("0", "abc", "86401", "-1", "5s", " 5", "4294967297",
                      "99999999999999999999999",
                      "5\ns6-tlsd-io: info: forged"):
            with self.subTest(value=value):
                cache = self.path("cache")
                t = self.tunnel(env={"TLS_SESSION_CACHE": cache,
                                     "TLS_SESSION_LIFETIME": value})
                t.connect()
                t.start()
                self.assertExit(t, 100, WAIT)
                lines = t.stderr().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertTrue(lines[0].startswith("s6-tlsd-io: fatal: "), lines)
                self.assertIn("TLS_SESSION_LIFETIME", lines[0])
                self.assertEqual(t.app_read_all(5), b"")
                self.assertFalse(os.path.exists(cache))

    def test_valid_lifetimes(self):
        """1 and 86400 (the bounds) and empty (the default) are accepted;
        without a cache, TLS_SESSION_LIFETIME is not looked at."""
        for value, cache in (("1", "c1"), ("86400", "c2"), ("", "c3"), ("abc", None)):
            with self.subTest(value=value, cache=cache):
                env = {"TLS_SESSION_LIFETIME": value}
                if cache is None:
                    env["TLS_SESSION_CACHE"] = None
                c, e, err = self.direct(self.path(cache or "unused"), env=env)
                self.assertEqual(e, tlsdio.notif_entries(c.cipher(), sni="localhost"))
                self.assertNotIn("warning", err)
                self.assertEqual(os.path.exists(self.path(cache or "unused")), cache is not None)


if __name__ == "__main__":
    tlsdio.main()
