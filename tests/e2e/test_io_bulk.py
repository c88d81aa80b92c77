"""s6-tlsd-io end to end: bulk data. 64 MiB each way at once with odd
chunk sizes, byte-exact; a slow app and bounded memory (backpressure)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import BioClient, Pattern, Sink  # noqa: E402

MiB = 1 << 20
HWM_LIMIT_KB = 8 * 1024
# Under ASan the shadow memory alone passes the limit: the release run
# checks memory, the sanitizer run checks everything else.
SANITIZED = os.environ.get("TLSD_SANITIZED") == "1"


def hwm_limit_kb():
    return 1 << 30 if SANITIZED else HWM_LIMIT_KB


class Bulk(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 120

    def test_64MiB_each_way(self):
        """64 MiB client -> app and 64 MiB app -> client at the same time,
        chunks of 1, 7, 4093, 16385, 65537 bytes on both sides."""
        t = self.tunnel()
        c = BioClient(t.connect())
        t.start()
        c.handshake()
        mon = t.monitor_memory(0.1)
        up = Pattern(64 * MiB, start=11)
        down = Pattern(64 * MiB, start=22)
        t0 = time.monotonic()
        reader = t.app_reader(timeout=100)
        writer = t.app_writer(down, timeout=100)
        sink = Sink()
        err = None
        try:
            # TCP half-close, no close_notify: in TLS 1.2 a close_notify
            # closes both directions, and the app is still sending.
            c.pump(source=up, sink=sink, after="shutdown", timeout=100)
        except Exception as e:  # noqa
            err = e
        reader.join(10)
        writer.join(10)
        elapsed = time.monotonic() - t0
        d = self.diag(t, c)
        mon.stop()
        self.assertIsNone(err, "client: %r; %s" % (err, d))
        self.assertIsNone(writer.exc, "app writer: %r; %s" % (writer.exc, d))
        self.assertIsNone(reader.exc, "app reader: %r; %s" % (reader.exc, d))
        self.note("%s, 64 MiB each way in %.2fs (%.1f MiB/s each way); "
                  "max VmHWM %d kB", c.cipher(), elapsed, 64 / elapsed, mon.max_hwm)
        self.assertEqual(reader.result, 64 * MiB, d)
        self.assertEqual(reader.sink.digest(), up.digest(), "client -> app corrupted")
        self.assertEqual(sink.count, 64 * MiB, d)
        self.assertEqual(sink.digest(), down.digest(), "app -> client corrupted")
        self.assertEqual(c.events, [("eof", 64 * MiB)])
        self.assertExit(t, 0, 10)

    def test_slow_app_backpressure(self):
        """The app reads nothing while the client pushes 256 MiB: the
        client's sends stall (TCP backpressure), s6-tlsd-io's memory stays
        bounded; then the app reads and everything arrives intact."""
        t = self.tunnel()
        c = BioClient(t.connect())
        t.start()
        c.handshake()
        mon = t.monitor_memory(0.05)
        up = Pattern(256 * MiB, sizes=(16384, 65536, 4093), start=33)
        sender = self.worker(c.pump, source=up, after="shutdown", timeout=100)
        s1 = tlsdio.wait_still(lambda: c.sent, 128 * MiB, what="client's sends")
        time.sleep(1.5)     # stalled: memory is watched while it stays so
        s2 = tlsdio.wait_still(lambda: c.sent, 128 * MiB, what="client's sends")
        st = t.status()
        self.note("client stalled at %.1f MiB (+%d bytes while watched); "
                  "VmHWM %s kB, VmRSS %s kB while stalled",
                  s2 / MiB, s2 - s1, st and st.get("VmHWM"), st and st.get("VmRSS"))
        self.assertTrue(sender.is_alive(), "the client finished sending: no backpressure")
        self.assertLess(s2, 128 * MiB)
        self.assertLess(mon.max_hwm, hwm_limit_kb(), "VmHWM while stalled")
        t0 = time.monotonic()
        reader = t.app_reader(timeout=100)
        reader.join(100)
        drain = time.monotonic() - t0
        if reader.exc or reader.result != 256 * MiB:
            self.fail("app reader: %r, %r bytes; %s" % (reader.exc, reader.result,
                                                        self.diag(t, c)))
        t.close_app_write()
        sender.join(30)
        if sender.is_alive() or sender.exc:
            self.fail("client: %r; %s" % (sender.exc, self.diag(t, c)))
        rc = t.wait(10)
        mon.stop()
        self.note("256 MiB drained in %.2fs after the app started reading, exit %.2fs later; "
                  "max VmHWM %d kB, max VmRSS %d kB (%d samples)",
                  drain, time.monotonic() - t0 - drain, mon.max_hwm, mon.max_rss, mon.samples)
        self.assertEqual(reader.sink.digest(), up.digest())
        self.assertEqual(c.events, [("eof", 0)])
        self.assertEqual(rc, 0, t.describe())
        self.assertLess(mon.max_hwm, hwm_limit_kb())


if __name__ == "__main__":
    tlsdio.main()
