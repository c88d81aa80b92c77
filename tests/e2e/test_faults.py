"""s6-tlsd-io end to end: faults, against each I/O engine.

Every case runs against the real s6-tlsd-io with the engine named by
S6_TLSD_IO_ENGINE (ctest runs this file once with `uring` and once with
`poll`; run by hand without it, it runs both). Each case checks the exit
code the spec documents, that the program ends within a bounded time,
that it does not spin (its utime+stime, from /proc/PID/stat, stays under
IDLE_CPU_LIMIT while it waits 2 s on a silent peer or app), and that the
app gets nothing the peer did not send (and the peer nothing the app did
not send).

Cases already covered elsewhere are not repeated: the EPIPE case with a
busy client and the plain reset case are in test_io_close.py, the 256 MiB
stalled-app case in test_io_bulk.py, -K with a silent client in
test_io_errors.py. The versions here add the CPU, integrity and exit-code
checks.

To put arbitrary records on the wire after the handshake (encrypted
alerts, legitimate empty records, an over-long plaintext), RecordForger
derives the client's write keys from Python's key log (TLS 1.2 PRF over
the master secret and both randoms) and seals AES-128-GCM records with
the `cryptography` package (Debian: python3-cryptography).
"""

import hashlib
import hmac
import os
import select
import signal
import socket
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import BioClient, Pattern, Sink  # noqa: E402

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:     # pragma: no cover
    AESGCM = None

MiB = 1 << 20
SANITIZED = os.environ.get("TLSD_SANITIZED") == "1"
HWM_LIMIT_KB = 8 * 1024
# CPU time s6-tlsd-io may use while waiting 2 s for a silent peer or app.
IDLE_CPU_LIMIT = 0.2
IDLE_WAIT = 2.0
ENGINE_NAMES = {"uring": "io_uring", "io_uring": "io_uring", "poll": "poll",
                "auto": "io_uring"}
FORGED_SUITE = "ECDHE-ECDSA-AES128-GCM-SHA256"


# ---------------------------------------------------------------------------
# Helpers


def prefix_digest(n, start):
    """SHA-256 of the first n bytes of the Pattern stream `start` (the
    bytes do not depend on the chunk sizes)."""
    p = Pattern(n, sizes=(1 << 20,), start=start)
    for _ in p:
        pass
    return p.digest()


def parse_records(buf):
    """Complete records at the front of buf: [(type, body)], and removes
    them from buf (a bytearray)."""
    out = []
    while len(buf) >= 5:
        n = int.from_bytes(buf[3:5], "big")
        if len(buf) < 5 + n:
            break
        out.append((buf[0], bytes(buf[5:5 + n])))
        del buf[:5 + n]
    return out


def read_server_flight(sock, timeout=10):
    """Reads the server's first flight (plaintext handshake records) up to
    and including ServerHelloDone; returns the handshake message types."""
    sock.setblocking(False)
    dl = tlsdio.Deadline(timeout)
    buf, hs, types = bytearray(), bytearray(), []
    while 14 not in types:
        r, _, _ = select.select([sock], [], [], min(dl.left("server flight"), 0.5))
        if not r:
            continue
        d = sock.recv(1 << 16)
        if not d:
            raise EOFError("EOF in the server's first flight after %r" % types)
        buf += d
        for typ, body in parse_records(buf):
            if typ != 22:
                raise AssertionError("record type %d in the first flight" % typ)
            hs += body
            while len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
                types.append(hs[0])
                del hs[:4 + int.from_bytes(hs[1:4], "big")]
    return types


def exited(proc):
    """Whether proc has exited, without reaping it (its /proc/PID/stat
    stays readable)."""
    try:
        return os.waitid(os.P_PID, proc.pid,
                         os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def wait_exit_cpu(proc, timeout):
    """Waits (without reaping) for proc to exit; returns (rc, cpu seconds
    it used in all) read from the zombie's /proc/PID/stat, then reaps it.
    On timeout: kills it, AssertionError."""
    dl = tlsdio.Deadline(timeout)
    while True:
        try:
            info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = None
            break
        if info is not None:
            break
        if dl.expired():
            break
        time.sleep(0.01)
    cpu = tlsdio.proc_cpu_seconds(proc.pid)
    rc = proc.wait(max(0.1, dl.end - time.monotonic()))
    return rc, cpu


class CaptureClient(BioClient):
    """A BioClient that keeps the raw bytes received during the handshake
    (for the ServerHello's random)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.capture = bytearray()
        self.capturing = True

    def _recv_raw(self):
        d = super()._recv_raw()
        if d and self.capturing:
            self.capture += d
        return d

    def handshake(self, timeout=10):
        r = super().handshake(timeout)
        self.capturing = False
        return r


class ByteClient(BioClient):
    """A BioClient that puts every byte on the wire in its own send()
    (TCP_NODELAY, a short pause after each): 1-byte TCP segments."""

    PAUSE = 0.0005

    def __init__(self, sock, *a, **kw):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, *a, **kw)
        self.sends = 0

    SEND_MAX = 1

    def _sent(self, n):
        self.sends += 1
        time.sleep(self.PAUSE)


def tls12_prf_sha256(secret, label, seed, n):
    out, a = b"", label + seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + label + seed, hashlib.sha256).digest()
    return out[:n]


class RecordForger:
    """Seals arbitrary client records (AES-128-GCM, TLS 1.2) on a
    CaptureClient's connection after its handshake: from then on the test
    owns the client's write direction (do not use client.send)."""

    def __init__(self, client, keylog):
        if client.cipher() != FORGED_SUITE:
            raise AssertionError("negotiated %s, the forger needs %s"
                                 % (client.cipher(), FORGED_SUITE))
        rx = bytes(client.capture)
        if len(rx) < 43 or rx[0] != 22 or rx[5] != 2:
            raise AssertionError("no ServerHello at the start of %r" % rx[:16])
        server_random = rx[11:43]
        with open(keylog) as f:
            lines = [l.split() for l in f if l.startswith("CLIENT_RANDOM ")]
        if len(lines) != 1:
            raise AssertionError("key log: %d CLIENT_RANDOM lines" % len(lines))
        client_random, master = bytes.fromhex(lines[0][1]), bytes.fromhex(lines[0][2])
        kb = tls12_prf_sha256(master, b"key expansion", server_random + client_random, 40)
        self.aead = AESGCM(kb[0:16])
        self.iv = kb[32:36]
        self.seq = 1            # 0 was the client's Finished

    def seal(self, typ, plaintext):
        s = self.seq
        self.seq += 1
        explicit = s.to_bytes(8, "big")
        aad = s.to_bytes(8, "big") + bytes((typ, 3, 3)) + len(plaintext).to_bytes(2, "big")
        body = explicit + self.aead.encrypt(self.iv + explicit, plaintext, aad)
        return bytes((typ, 3, 3)) + len(body).to_bytes(2, "big") + body

    def data(self, plaintext):
        return self.seal(23, plaintext)

    def alert(self, level, desc):
        return self.seal(21, bytes((level, desc)))


# ---------------------------------------------------------------------------
# The cases


class FaultsMixin:
    TEST_TIMEOUT = 120
    ENGINE = "uring"

    # -- setup helpers
    def tun(self, opts=(), env=None, **kw):
        e = {"S6_TLSD_IO_ENGINE": self.ENGINE}
        e.update(env or {})
        # -v 2: the per-connection line (engine, byte counts) at exit.
        return self.tunnel(opts=["-v", "2"] + list(opts), env=e, **kw)

    def connected(self, opts=(), rcvbuf=None, cls=BioClient, ctx=None, **kw):
        t = self.tun(opts, **kw)
        c = cls(t.connect(rcvbuf=rcvbuf), ctx)
        t.start()
        c.handshake()
        return t, c

    def forged(self, opts=(), **kw):
        """A tunnel past the handshake, and a RecordForger for its client."""
        if AESGCM is None:
            self.skipTest("python3-cryptography is not installed")
        fd, keylog = tempfile.mkstemp(prefix="tlsd-faults-keylog-")
        os.close(fd)
        self.addCleanup(os.unlink, keylog)
        ctx = tlsdio.client_context(ciphers=FORGED_SUITE)
        ctx.keylog_filename = keylog
        t, c = self.connected(opts, cls=CaptureClient, ctx=ctx, **kw)
        return t, c, RecordForger(c, keylog)

    # -- checks
    def connline(self, t):
        """The `connection:` line of -v 2 as a dict; checks the engine."""
        lines = [l for l in t.stderr().splitlines() if "info: connection:" in l]
        self.assertEqual(len(lines), 1, "no single connection line: %r" % t.stderr())
        fields = dict(w.split("=", 1) for w in lines[0].split("connection:", 1)[1].split())
        self.assertEqual(fields.get("engine"), ENGINE_NAMES[self.ENGINE], lines[0])
        return fields

    def idle_cpu(self, t, what, seconds=IDLE_WAIT, limit=IDLE_CPU_LIMIT):
        """CPU s6-tlsd-io uses during `seconds`; asserts it stays alive and
        under `limit`."""
        c0 = tlsdio.proc_cpu_seconds(t.proc.pid)
        time.sleep(seconds)
        c1 = tlsdio.proc_cpu_seconds(t.proc.pid)
        self.assertIsNone(t.proc.poll(), "exited while %s: %s" % (what, t.describe()))
        used = c1 - c0
        self.note("%s: %.3f s CPU in %.1f s", what, used, seconds)
        self.assertLess(used, limit, "busy loop while %s" % what)
        return used

    def assertHwm(self, mon, what):
        if SANITIZED:
            return
        self.assertLess(mon.max_hwm, HWM_LIMIT_KB, "VmHWM %d kB %s" % (mon.max_hwm, what))

    def assertAppGot(self, t, expected, timeout=10):
        got = t.app_read_all(timeout)
        self.assertEqual(got, expected, "the app got %d bytes, expected %d"
                         % (len(got), len(expected)))

    # -- silent peer / app

    def test_silent_peer_and_app(self):
        """Nothing happens for 2 s before the ClientHello, then 2 s after
        the handshake: no CPU used; the tunnel still works after that."""
        t = self.tun()
        sock = t.connect()
        t.start()
        self.idle_cpu(t, "waiting for a ClientHello")
        c = BioClient(sock)
        c.handshake()
        self.idle_cpu(t, "idle after the handshake")
        c.send(b"ping")
        self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 4, 5), b"ping")
        t.close_app_write()
        c.pump(after="shutdown", timeout=10)
        self.assertEqual(c.events, [("eof", 0)])
        self.assertAppGot(t, b"")
        self.assertExit(t, 0, 10)
        self.connline(t)

    # -- the peer resets

    def test_peer_reset_both_busy(self):
        """RST in the middle of a transfer both ways: exit 111 promptly
        (a system call failed), and what reached the app is a prefix of
        what the client sent."""
        t, c = self.connected()
        reader = t.app_reader(timeout=30)
        t.app_writer(Pattern(1 << 40, start=101), timeout=30)
        down = Sink()
        c.pump(source=Pattern(1 << 40, start=102), sink=down, timeout=30,
               stop=lambda: c.sent > 4 * MiB and c.received > 4 * MiB)
        self.assertIsNone(t.proc.poll(), "ended before the reset: %s" % self.diag(t, c))
        sent = c.sent
        c.reset_connection()
        t0 = time.monotonic()
        rc, cpu = wait_exit_cpu(t.proc, 5)
        dt = time.monotonic() - t0
        self.note("exit %d %.3f s after the reset; %.3f s CPU in all; app got %d of %d",
                  rc, dt, cpu or -1, reader.sink.count, sent)
        self.assertEqual(rc, 111, t.describe())
        self.assertFatal(t)
        n = reader.get(10)
        self.assertLessEqual(n, sent)
        self.assertEqual(reader.sink.digest(), prefix_digest(n, 102),
                         "the app got bytes the client did not send")
        self.assertEqual(down.digest(), prefix_digest(down.count, 101))
        self.assertEqual(int(self.connline(t)["app_out"]), n)

    def test_peer_reset_while_blocked_sending(self):
        """The client reads nothing while the app streams (s6-tlsd-io is
        blocked on the socket, without spinning), then resets: exit 111
        promptly; the app's writes then fail (EPIPE)."""
        t, c = self.connected()
        w = t.app_writer(Pattern(1 << 40, start=103), timeout=30)
        time.sleep(0.5)
        self.idle_cpu(t, "blocked on a client that reads nothing")
        c.reset_connection()
        t0 = time.monotonic()
        rc = t.wait(5)
        self.note("exit %d %.3f s after the reset", rc, time.monotonic() - t0)
        self.assertEqual(rc, 111, t.describe())
        self.assertFatal(t)
        w.join(10)
        self.assertIsInstance(w.exc, BrokenPipeError, "app writer: %r" % w.exc)
        self.assertAppGot(t, b"")
        self.connline(t)

    # -- the app is killed

    def test_app_killed_mid_transfer(self):
        """The app (cat, echoing) is SIGKILLed while the client streams
        through it: bytes read from the client can no longer be delivered,
        so exit 111 once the echo direction has ended; the client got a
        prefix of its own stream back, then the end of the connection."""
        t = self.tun(app=["cat"])
        c = BioClient(t.connect())
        t.start()
        c.handshake()
        echo = Sink()
        c.pump(source=Pattern(1 << 40, start=104), sink=echo, timeout=30,
               stop=lambda: c.received > 4 * MiB)
        os.kill(t.app_proc.pid, signal.SIGKILL)
        t.app_proc.wait(5)
        t0 = time.monotonic()
        c.pump(source=Pattern(1 << 40, start=105), sink=echo, timeout=20,
               stop=lambda: c.recv_done())
        rc = t.wait(10)
        self.note("exit %d %.3f s after the kill; client sent %d, got %d back; events %r",
                  rc, time.monotonic() - t0, c.sent, echo.count, c.events)
        self.assertEqual(rc, 111, t.describe())
        self.assertFatal(t, "unable to write to the app")
        self.assertTrue(c.recv_done(), c.events)
        self.assertLessEqual(echo.count, c.sent)
        self.assertEqual(echo.digest(), prefix_digest(echo.count, 104),
                         "the client got bytes it never sent")
        self.connline(t)

    def test_app_killed_while_idle(self):
        """The app is SIGKILLed while nothing is in flight: the client gets
        the end of the stream (-s: a TCP EOF), s6-tlsd-io waits for the
        client without spinning, and when the client closes too, exit 0:
        no byte was lost."""
        t = self.tun(app=["cat"])
        c = BioClient(t.connect())
        t.start()
        c.handshake()
        c.send(b"echo me")
        self.assertEqual(c.recv_exact(7, 10), b"echo me")
        os.kill(t.app_proc.pid, signal.SIGKILL)
        t.app_proc.wait(5)
        c.pump(timeout=10, until="close_notify")
        self.assertEqual(c.events, [("eof", 7)])
        if t.proc.poll() is None:
            self.idle_cpu(t, "waiting for the client after the app died")
        c.shutdown_wr()
        rc = t.wait(10)
        self.assertEqual(rc, 0, t.describe())
        fields = self.connline(t)
        self.assertEqual(int(fields["app_out"]), 7)

    # -- the app closes its input early

    def test_app_closes_input_early(self):
        """The app closes its input right after the handshake, then answers
        (1 MiB) and closes its output. s6-tlsd-io gets EPIPE on fdw, stops
        reading the network (the client's sends stall), waits for the app
        without spinning, and the other direction finishes: the whole
        answer reaches the client, which reads it only 1.5 s later (a
        client slower than the server); then exit 111 (client bytes were
        lost).

        Known failure (both engines): s6-tlsd-io exits as soon as the
        answer is in the kernel, closing a socket whose receive queue
        still holds the client's unread bytes; the kernel then sends an RST
        instead of the rest of the answer, and the client gets ~0.1 MiB of
        1 MiB before the connection is reset (a lingering close is
        missing: drain the network input, bounded in time, before closing
        it)."""
        t, c = self.connected()
        rfd, wfd = t.app_fds()
        os.close(rfd)
        up = iter(Pattern(256 * MiB, start=106))
        # Until s6-tlsd-io stops reading: the client's sends stall.
        end = [time.monotonic() + 3.0]
        c.pump(source=up, timeout=20, stop=lambda: time.monotonic() > end[0])
        s1 = c.sent
        c0 = tlsdio.proc_cpu_seconds(t.proc.pid)
        end[0] = time.monotonic() + IDLE_WAIT
        c.pump(source=up, timeout=20, stop=lambda: time.monotonic() > end[0])
        c1 = tlsdio.proc_cpu_seconds(t.proc.pid)
        self.assertIsNone(t.proc.poll(), "exited before the app's answer: %s" % t.describe())
        self.note("client stalled at %.1f MiB (+%d bytes in %.1f s); %.3f s CPU meanwhile",
                  c.sent / MiB, c.sent - s1, IDLE_WAIT, c1 - c0)
        self.assertLess(c.sent, 64 * MiB, "s6-tlsd-io still reads the network")
        self.assertLess(c.sent - s1, 256 * 1024, "s6-tlsd-io still reads the network")
        self.assertLess(c1 - c0, IDLE_CPU_LIMIT, "busy loop after EPIPE on fdw")
        answer = Pattern(MiB, start=107)
        w = self.worker(tlsdio.fd_write_chunks, wfd, answer, 30)
        # The client reads nothing for 1.5 s (the answer fits in the
        # socket buffers: s6-tlsd-io can hand all of it to the kernel).
        time.sleep(1.5)
        early = t.proc.poll()
        sink = Sink()
        c.pump(sink=sink, timeout=30, stop=lambda: c.recv_done())
        w.get(10)
        self.note("s6-tlsd-io %s when the client started reading; the client got %d of "
                  "%d bytes, events %r", "had exited %d" % early if early is not None
                  else "was running", sink.count, MiB, c.events)
        try:
            c.shutdown_wr()
        except OSError:
            pass
        rc = t.wait(10)
        self.assertEqual(rc, 111, t.describe())
        self.assertFatal(t, "unable to write to the app")
        self.assertEqual(sink.count, MiB, "the app's answer was cut: %r" % c.events)
        self.assertEqual(sink.digest(), answer.digest())
        self.assertEqual(c.events[0], ("eof", MiB), c.events)

    # -- fatal alerts

    def test_fatal_alert_in_handshake(self):
        """After the server's first flight the client sends a plaintext
        fatal alert (handshake_failure) instead of its ClientKeyExchange:
        exit 98, the message names the alert, the app gets nothing."""
        t = self.tun()
        c = BioClient(t.connect())
        t.start()
        try:
            c.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        c.raw_send(c.out.read())
        types = read_server_flight(c.sock)
        self.assertEqual(types[0], 2, "ServerHello first: %r" % types)
        c.raw_send(bytes.fromhex("15030300020228"))
        rc, cpu = wait_exit_cpu(t.proc, 10)
        self.assertEqual(rc, 98, t.describe())
        self.assertFatal(t, "alert 40", "handshake_failure")
        self.assertAppGot(t, b"")
        self.connline(t)

    def test_client_rejects_certificate(self):
        """A real client that does not trust the chain sends its own fatal
        alert (unknown_ca): exit 98 naming it."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False      # verify_mode stays CERT_REQUIRED
        t = self.tun()
        c = BioClient(t.connect(), ctx)
        t.start()
        with self.assertRaises(ssl.SSLCertVerificationError):
            c.handshake()
        c._collect()                    # the alert OpenSSL queued
        self.assertEqual(bytes(c.pending[:5]), bytes.fromhex("1503030002"))
        c._flush(tlsdio.Deadline(5))
        rc = t.wait(10)
        self.assertEqual(rc, 98, t.describe())
        self.assertFatal(t, "alert 48", "unknown_ca")
        self.assertAppGot(t, b"")

    def test_encrypted_fatal_alert(self):
        """After the handshake: data, then, in one segment, more data, an
        encrypted fatal alert (handshake_failure) and data again: exit 98
        naming the alert; the app gets nothing after the alert. (The
        record just before it may or may not reach the app: the exit is
        nonzero either way, which is what the spec asks.)"""
        t, c, f = self.forged()
        c.raw_send(f.data(b"first"))
        self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 5, 5), b"first")
        c.raw_send(f.data(b"just before the alert") + f.alert(2, 40) + f.data(b"after"))
        rc = t.wait(10)
        self.assertEqual(rc, 98, t.describe())
        self.assertFatal(t, "alert 40", "handshake_failure")
        got = t.app_read_all(10)
        self.note("the app got %r of the record just before the alert", got)
        self.assertIn(got, (b"", b"just before the alert"))

    # -- framing

    def test_one_byte_segments(self):
        """Every byte the client sends (handshake, records of 1 to 2000
        bytes, close_notify) is a TCP segment of its own: everything
        arrives, exit 0."""
        t, c = self.connected(cls=ByteClient)
        self.note("handshake: %d one-byte sends", c.sends)
        up = Pattern(3000, sizes=(1, 7, 1000, 1992), start=108)
        reader = t.app_reader(timeout=60)
        answer = Pattern(40000, start=109)
        t.app_writer(answer, timeout=60)
        sink = Sink()
        c.pump(source=up, sink=sink, after="close_notify+shutdown", timeout=60)
        self.note("%d one-byte sends in all", c.sends)
        self.assertEqual(reader.get(10), 3000)
        self.assertEqual(reader.sink.digest(), up.digest())
        self.assertEqual(sink.count, 40000, c.events)
        self.assertEqual(sink.digest(), answer.digest())
        self.assertExit(t, 0, 10)
        self.connline(t)

    def test_record_over_maximum(self):
        """A record header announcing more than the maximum record size
        (18 KiB, then 64 KiB - 1 with no body at all), after a valid
        record: exit 98 without waiting for the body; the app gets the
        valid record and nothing of the other."""
        for length, body in ((18 * 1024, os.urandom(18 * 1024)), (0xFFFF, b"")):
            with self.subTest(length=length):
                t, c = self.connected()
                c.send(b"valid record")
                self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 12, 5), b"valid record")
                header = bytes((23, 3, 3)) + length.to_bytes(2, "big")
                c.raw_send(header + body)
                rc, cpu = wait_exit_cpu(t.proc, 10)
                self.assertEqual(rc, 98, t.describe())
                self.assertFatal(t)
                self.assertAppGot(t, b"")
                self.assertEqual(int(self.connline(t)["app_out"]), 12)

    def test_plaintext_over_maximum(self):
        """A correctly sealed record whose plaintext is 2^14 + 1 bytes
        (RFC 5246: record_overflow): exit 98; the app gets the records
        before it and nothing of it."""
        t, c, f = self.forged()
        c.raw_send(f.data(b"fine") + f.data(b"x" * 16384))
        self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 16388, 5),
                         b"fine" + b"x" * 16384)
        c.raw_send(f.data(b"y" * 16385))
        rc = t.wait(10)
        self.assertEqual(rc, 98, t.describe())
        self.assertFatal(t)
        self.assertAppGot(t, b"")

    def test_invalid_empty_records_flood(self):
        """10,000 records `17 03 03 00 00` (too short for an AEAD record:
        no explicit nonce, no tag): exit 98 at the first, with little CPU;
        the app gets only what came before."""
        t, c = self.connected()
        c.send(b"before")
        self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 6, 5), b"before")
        try:
            c.raw_send(bytes.fromhex("1703030000") * 10000)
        except OSError:
            pass            # the server may be gone (RST) before the end
        rc, cpu = wait_exit_cpu(t.proc, 10)
        self.note("exit %d; %.3f s CPU in all", rc, cpu if cpu is not None else -1)
        self.assertEqual(rc, 98, t.describe())
        self.assertFatal(t)
        if cpu is not None:
            self.assertLess(cpu, 1.0)
        self.assertAppGot(t, b"")

    def test_legit_empty_records_flood(self):
        """10,000 correctly sealed empty application_data records between
        data records (allowed by TLS 1.2): the data arrives exactly, with
        bounded CPU; the tunnel works on and ends with exit 0."""
        t, c, f = self.forged()
        wire = bytearray()
        expect = bytearray()
        for i in range(10):
            wire += f.data(b"chunk %d;" % i)
            expect += b"chunk %d;" % i
            for _ in range(1000):
                wire += f.data(b"")
        cpu0 = tlsdio.proc_cpu_seconds(t.proc.pid)
        t0 = time.monotonic()
        c.raw_send(bytes(wire), timeout=30)
        got = tlsdio.fd_read_exact(t.app_read_fd, len(expect), 30)
        dt = time.monotonic() - t0
        cpu = tlsdio.proc_cpu_seconds(t.proc.pid) - cpu0
        self.note("10,000 empty records (%d bytes) in %.3f s, %.3f s CPU", len(wire), dt, cpu)
        self.assertEqual(got, bytes(expect))
        self.assertLess(cpu, 1.0)
        self.idle_cpu(t, "idle after the empty records")
        c.raw_send(f.alert(1, 0))       # close_notify
        c.shutdown_wr()
        self.assertAppGot(t, b"")
        t.close_app_write()
        c.pump(timeout=10)
        self.assertExit(t, 0, 10)

    # -- slowloris

    def test_slowloris_K(self):
        """-K 2000, a client sending its ClientHello one byte every 300 ms:
        exit 98 shortly after 2 s (not when the hello would be complete),
        using little CPU; the app gets nothing."""
        t = self.tun(opts=["-K", "2000"])
        c = BioClient(t.connect())
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t.start()
        try:
            c.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = c.out.read()
        sent = 0
        while not exited(t.proc) and sent < len(hello):
            try:
                c.sock.send(hello[sent:sent + 1])
            except OSError:
                break
            sent += 1
            time.sleep(0.3)
        rc, cpu = wait_exit_cpu(t.proc, 10)
        el = t.proc.elapsed()
        self.note("exit %d after %.3f s and %d of %d hello bytes; %.3f s CPU",
                  rc, el, sent, len(hello), cpu if cpu is not None else -1)
        self.assertEqual(rc, 98, t.describe())
        self.assertFatal(t, "timed out")
        # -K counts from the start, not from the last byte: it fired
        # while the hello was still trickling in (how soon: perf/'s job).
        self.assertGreaterEqual(el, 1.9)
        self.assertLess(sent, len(hello))
        if cpu is not None:
            self.assertLess(cpu, IDLE_CPU_LIMIT)
        self.assertAppGot(t, b"")

    # -- backpressure

    def test_stalled_app(self):
        """The app reads nothing while the client pushes 64 MiB: the client
        stalls, s6-tlsd-io neither spins nor grows; then the app reads and
        everything arrives."""
        t, c = self.connected()
        mon = t.monitor_memory(0.05)
        up = Pattern(64 * MiB, sizes=(16384, 65536, 4093), start=110)
        sender = self.worker(c.pump, source=up, after="shutdown", until="sent",
                             timeout=100)
        s1 = tlsdio.wait_still(lambda: c.sent, 32 * MiB, what="client's sends")
        self.idle_cpu(t, "blocked on an app that reads nothing")
        s2 = tlsdio.wait_still(lambda: c.sent, 32 * MiB, what="client's sends")
        self.note("client stalled at %.1f MiB (+%d bytes in %.1f s); VmHWM %d kB",
                  s2 / MiB, s2 - s1, IDLE_WAIT, mon.max_hwm)
        self.assertTrue(sender.is_alive(), "the client finished: no backpressure")
        reader = t.app_reader(timeout=60)
        self.assertEqual(reader.get(60), 64 * MiB)
        self.assertEqual(reader.sink.digest(), up.digest())
        sender.get(30)
        t.close_app_write()
        c.pump(timeout=10)
        self.assertEqual(c.events, [("eof", 0)])
        rc = t.wait(10)
        mon.stop()
        self.assertEqual(rc, 0, t.describe())
        self.assertHwm(mon, "with a stalled app")

    def test_stalled_client(self):
        """The client reads nothing while the app writes 256 MiB: the app's
        writes block, s6-tlsd-io neither spins nor grows; then the client
        reads and everything arrives, exit 0."""
        t, c = self.connected()
        mon = t.monitor_memory(0.05)
        down = Pattern(256 * MiB, sizes=(65536, 16385, 4093), start=111)
        fd = t.take_fd(t.app_write_fd)
        t.app_write_fd = None
        written = [0]

        def app():
            dl = tlsdio.Deadline(100)
            try:
                for chunk in down:
                    tlsdio.fd_write_all(fd, chunk, dl=dl)
                    written[0] += len(chunk)
            finally:
                os.close(fd)
        w = self.worker(app)
        w1 = tlsdio.wait_still(lambda: written[0], 128 * MiB, what="app's writes")
        self.idle_cpu(t, "blocked on a client that reads nothing")
        w2 = tlsdio.wait_still(lambda: written[0], 128 * MiB, what="app's writes")
        self.note("app stalled at %.1f MiB (+%d bytes in %.1f s); VmHWM %d kB",
                  w2 / MiB, w2 - w1, IDLE_WAIT, mon.max_hwm)
        self.assertTrue(w.is_alive(), "the app finished writing: no backpressure")
        sink = Sink()
        t0 = time.monotonic()
        c.pump(sink=sink, timeout=100, until="close_notify")
        self.note("256 MiB received in %.2f s after the client started reading",
                  time.monotonic() - t0)
        w.get(10)
        self.assertEqual(sink.count, 256 * MiB, c.events)
        self.assertEqual(sink.digest(), down.digest())
        self.assertEqual(c.events, [("eof", 256 * MiB)])
        c.shutdown_wr()
        self.assertAppGot(t, b"")
        rc = t.wait(10)
        mon.stop()
        self.assertEqual(rc, 0, t.describe())
        self.assertHwm(mon, "with a stalled client")


def engines():
    e = os.environ.get("S6_TLSD_IO_ENGINE")
    return [e] if e else ["uring", "poll"]


for _engine in engines():
    _name = "Faults_" + _engine
    globals()[_name] = type(_name, (FaultsMixin, tlsdio.TunnelTestCase),
                            {"ENGINE": _engine})


if __name__ == "__main__":
    tlsdio.main()
