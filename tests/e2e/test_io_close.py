"""s6-tlsd-io end to end: how a connection ends. Half-close (-s),
close_notify (-S), -J/-j, EOF inside a record, the app going away (EPIPE),
a peer reset. The client is Python's ssl over a MemoryBIO, so every byte
on the wire is under the test's control."""

import os
import select
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import BioClient, Pattern, Sink  # noqa: E402

MiB = 1 << 20


class Close(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 60

    def connected(self, **kw):
        """A tunnel with a MemoryBIO client past the handshake."""
        rcvbuf = kw.pop("rcvbuf", None)
        t = self.tunnel(**kw)
        c = BioClient(t.connect(rcvbuf=rcvbuf))
        t.start()
        c.handshake()
        return t, c

    def test_default_half_close(self):
        """Default -s: the client sends its request and shuts its TCP write
        side (no close_notify); the app reads to EOF, then answers 1 MiB and
        closes; the client gets all of it, then a TCP EOF without
        close_notify; exit 0."""
        t, c = self.connected()
        req = Pattern(50000, start=1)
        answer = Pattern(MiB, start=2)
        rfd, wfd = t.app_fds()

        def app():
            got = tlsdio.fd_read_all(rfd, 20)
            tlsdio.fd_write_chunks(wfd, answer, 20)
            return got
        a = self.worker(app)
        sink = Sink()
        c.pump(source=req, sink=sink, after="shutdown", timeout=30)
        self.assertEqual(tlsdio.sha256(a.get(10)), req.digest(), "request reached the app")
        self.assertEqual(sink.count, MiB)
        self.assertEqual(sink.digest(), answer.digest())
        self.assertEqual(c.events, [("eof", MiB)],
                         "-s: TCP EOF after the data, and no close_notify")
        self.assertExit(t, 0, 10)

    def test_close_notify_S(self):
        """-S: once the app closes its output, the client receives all the
        data, then a close_notify, then TCP EOF (it does not answer with
        its own close_notify)."""
        t, c = self.connected(opts=["-S"])
        answer = Pattern(200000, start=3)
        rfd, wfd = t.app_fds()

        def app():
            got = tlsdio.fd_read_exact(rfd, 5, 10)
            tlsdio.fd_write_chunks(wfd, answer, 20)
            return got
        a = self.worker(app)
        c.send(b"hello")
        self.assertEqual(a.get(15), b"hello")
        sink = Sink()
        c.pump(sink=sink, timeout=15)
        self.assertEqual(sink.count, 200000)
        self.assertEqual(sink.digest(), answer.digest())
        self.assertEqual(c.events[0], ("close_notify", 200000), c.events)
        self.assertIn(c.events[1][0], ("eof", "reset"), c.events)
        self.assertEqual(len(c.events), 2, c.events)
        time.sleep(0.5)
        self.note("-S: 0.5 s after the client saw close_notify + TCP EOF, s6-tlsd-io %s",
                  "is still running (waits for the client's side)" if t.proc.poll() is None
                  else "exited %d" % t.proc.poll())
        # A real client now closes its side too.
        try:
            c.shutdown_wr()
        except OSError:
            pass
        rc = t.wait(10)
        self.assertEqual(tlsdio.fd_read_all(rfd, 5), b"")
        self.assertEqual(rc, 0, t.describe())

    def test_long_options_close_notify(self):
        """--close-notify is -S; the last of -S/-s wins."""
        for opts, want_cn in ((["--close-notify"], True), (["-S", "-s"], False),
                              (["-s", "--close-notify"], True)):
            with self.subTest(opts=opts):
                t, c = self.connected(opts=opts)
                t.close_app_write()
                c.pump(timeout=10)
                self.assertEqual(c.got_close_notify, want_cn, c.events)
                try:
                    c.shutdown_wr()
                except OSError:
                    pass
                self.assertEqual(t.app_read_all(10), b"")
                self.assertExit(t, 0, 10)

    def peer_eof_without_close_notify(self, opts):
        t, c = self.connected(opts=opts)
        req = Pattern(100000, start=4)
        reader = t.app_reader(timeout=20)
        c.pump(source=req, after="shutdown", until="sent", timeout=20)
        return t, c, req, reader

    def test_J_enforce_close_notify(self):
        t, c, req, reader = self.peer_eof_without_close_notify(["-J"])
        self.assertExit(t, 98, 10)
        self.assertFatal(t)
        reader.get(10)

    def test_J_long_option(self):
        t, c, req, reader = self.peer_eof_without_close_notify(["--enforce-close-notify"])
        self.assertExit(t, 98, 10)
        self.assertFatal(t)

    def test_J_satisfied_by_close_notify(self):
        """-J with a proper close_notify before the EOF: a normal end."""
        t, c = self.connected(opts=["-J"])
        req = Pattern(100000, start=5)
        reader = t.app_reader(timeout=20)
        c.pump(source=req, after="close_notify+shutdown", until="sent", timeout=20)
        self.assertEqual(reader.get(10), 100000)
        self.assertEqual(reader.sink.digest(), req.digest())
        t.close_app_write()
        c.pump(timeout=10)
        self.assertExit(t, 0, 10)

    def test_j_default_peer_eof(self):
        """-j: a TCP EOF without close_notify is a normal end: the app gets
        all the data, then EOF; exit 0 once the app closes too."""
        for opts in (["-j"], []):
            with self.subTest(opts=opts):
                t, c, req, reader = self.peer_eof_without_close_notify(opts)
                self.assertEqual(reader.get(10), 100000, "app saw EOF after all data")
                self.assertEqual(reader.sink.digest(), req.digest())
                t.close_app_write()
                c.pump(timeout=10)
                self.assertEqual(c.events, [("eof", 0)])
                self.assertExit(t, 0, 10)

    def test_peer_close_notify_while_app_sends(self):
        """The client sends close_notify while the app is still streaming
        to it. TLS 1.2 lets the server send nothing after that, so per
        "nothing read is ever silently dropped": exit 0 only if every byte
        s6-tlsd-io read from fdr reached the client; otherwise a nonzero
        exit with a fatal line. (A duplicate of fdr's read end lets the test
        count what s6-tlsd-io never read.)"""
        t, c = self.connected(spy_fdr=True)
        rfd, wfd = t.app_fds()
        stop = threading.Event()
        written = [0]

        def app_writer():
            os.set_blocking(wfd, False)
            for chunk in Pattern(64 * MiB, start=12):
                mv = memoryview(chunk)
                while mv:
                    if stop.is_set():
                        return
                    try:
                        n = os.write(wfd, mv)
                    except BlockingIOError:
                        select.select([], [wfd], [], 0.05)
                        continue
                    written[0] += n
                    mv = mv[n:]
        w = self.worker(app_writer)
        reader = self.worker(tlsdio.fd_drain, rfd, Sink(), 20)
        sink = Sink(keep=True)
        c.pump(sink=sink, timeout=20, stop=lambda: c.received >= 2 * MiB)
        c.send_close_notify()
        c.pump(sink=sink, timeout=20)
        rc = t.wait(10)
        stop.set()
        w.get(5)
        os.close(wfd)
        unread = tlsdio.fd_drain(t.take_fd(t.fdr_spy), Sink(), 10)
        taken = written[0] - unread
        self.note("exit %d; s6-tlsd-io read %d bytes from fdr, the client got %d; "
                  "events %r; stderr %r", rc, taken, sink.count, c.events, t.stderr())
        whole = Pattern(sink.count, start=12).bytes()
        self.assertTrue(bytes(sink.keep) == whole, "received data is not a prefix of the stream")
        self.assertLessEqual(sink.count, taken)
        if rc == 0:
            self.assertEqual(sink.count, taken, "exit 0, but %d bytes read from fdr were "
                             "dropped" % (taken - sink.count))
        else:
            self.assertGreater(rc, 0)
            self.assertFatal(t)
        reader.get(10)

    def test_eof_in_middle_of_record(self):
        """The client sends part of an application-data record, then FIN:
        exit 98 and no byte of that record reaches the app."""
        for cut in ("header", "half", "all-but-one"):
            with self.subTest(cut=cut):
                t, c = self.connected()
                rec = c.encrypt(b"A" * 1000)
                n = {"header": 3, "half": len(rec) // 2, "all-but-one": len(rec) - 1}[cut]
                c.raw_send(rec[:n])
                time.sleep(0.2)
                c.shutdown_wr()
                self.assertExit(t, 98, 10)
                self.assertFatal(t)
                self.assertEqual(t.app_read_all(5), b"")

    def test_app_exits_while_client_sends(self):
        """The app stops reading and closes its input while the client keeps
        sending (fdw fails with EPIPE): s6-tlsd-io must not die of SIGPIPE;
        the other direction (app -> client) still finishes."""
        t, c = self.connected(rcvbuf=4 * MiB)
        answer = Pattern(256 * 1024, start=6)
        rfd, wfd = t.app_fds()

        def app():
            first = tlsdio.fd_read_exact(rfd, 1000, 10)
            os.close(rfd)           # the app's input is gone: EPIPE on fdw
            time.sleep(0.3)
            tlsdio.fd_write_chunks(wfd, answer, 20)
            return first
        a = self.worker(app)
        sink = Sink()
        c.pump(source=Pattern(64 * MiB, start=7), sink=sink, after="shutdown", timeout=30)
        a.get(10)
        rc = t.wait(10)
        self.note("exit status %d after the app went away (EPIPE on fdw); "
                  "client sent %d bytes, events %r; stderr %r",
                  rc, c.sent, c.events, t.stderr())
        self.assertNotEqual(rc, -13, "killed by SIGPIPE")
        self.assertGreaterEqual(rc, 0, "killed by signal %d" % -rc)
        self.assertEqual(sink.count, 256 * 1024,
                         "the app's answer reached the client: %r" % c.events)
        # The client's bytes the app never took are lost: said, nonzero.
        self.assertEqual(rc, 111, t.describe())
        self.assertIn("unable to write to the app", t.stderr())
        self.assertEqual(sink.digest(), answer.digest())

    def test_client_reset_mid_transfer(self):
        """The client resets the connection (SO_LINGER 0 + close) in the
        middle of a transfer both ways: exit promptly and nonzero."""
        t, c = self.connected()
        t.app_reader(timeout=30)
        w = t.app_writer(Pattern(1 << 40, start=8), timeout=30)
        c.pump(source=Pattern(1 << 40, start=9), sink=Sink(), timeout=20,
               stop=lambda: c.sent > 4 * MiB and c.received > 4 * MiB)
        if t.proc.poll() is not None:
            self.fail("died before the reset: %s" % self.diag(t, c))
        c.reset_connection()
        t0 = time.monotonic()
        # "Promptly" is the benchmark's business; here: it ends by itself.
        rc = t.wait(30)
        dt = time.monotonic() - t0
        self.note("exit status %d, %.3fs after the reset", rc, dt)
        self.assertIsNotNone(rc, "still running 30 s after the reset: %s" % t.describe())
        self.assertGreater(rc, 0, t.describe())
        w.join(5)       # the writer ends with EPIPE once fdr is closed


if __name__ == "__main__":
    tlsdio.main()
