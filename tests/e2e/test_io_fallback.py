"""s6-tlsd-io where io_uring is refused (kernel.io_uring_disabled, a
container's seccomp profile): it falls back to poll(2) by itself, says so
at -v 2, and works; an explicit S6_TLSD_IO_ENGINE=uring fails cleanly."""

import errno
import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import client_context  # noqa: E402


def noring_wrapper(err, register=False):
    """A script that runs s6-tlsd-io where io_uring_setup (register:
    io_uring_register) fails with err."""
    tools = os.environ["TLSD_TOOLS_DIR"]
    fd, path = tempfile.mkstemp(prefix="noring-", suffix=".sh")
    os.write(fd, ('#!/bin/sh\nexec "%s/noring" %s%d "%s" "$@"\n'
                  % (tools, "-r " if register else "", err,
                     tlsdio.bin_path())).encode())
    os.close(fd)
    os.chmod(path, stat.S_IRWXU)
    return path


class Fallback(tlsdio.TunnelTestCase):
    def echo(self, t):
        raw = t.connect()
        t.start()
        s = client_context().wrap_socket(raw)
        msg = os.urandom(100000)
        s.sendall(msg)
        got = bytearray()
        while len(got) < len(msg):
            d = s.recv(65536)
            self.assertTrue(d, "EOF after %d bytes; %s" % (len(got), t.describe()))
            got += d
        self.assertEqual(bytes(got), msg)
        s.close()

    def test_falls_back_to_poll(self):
        for err in (errno.EPERM, errno.ENOSYS):
            with self.subTest(errno=errno.errorcode[err]):
                w = noring_wrapper(err)
                self.addCleanup(os.unlink, w)
                t = self.tunnel(binary=w, opts=["-v", "2"], app=["cat"])
                self.echo(t)
                self.assertExit(t, 0)
                err_text = t.stderr()
                self.assertIn("warning: io_uring unavailable", err_text)
                self.assertIn("using poll", err_text)
                self.assertIn("engine=poll", err_text)

    def test_quiet_by_default(self):
        w = noring_wrapper(errno.EPERM)
        self.addCleanup(os.unlink, w)
        t = self.tunnel(binary=w, app=["cat"])
        self.echo(t)
        self.assertExit(t, 0)
        self.assertEqual(t.stderr(), "")

    def test_explicit_uring_refused(self):
        w = noring_wrapper(errno.EPERM)
        self.addCleanup(os.unlink, w)
        t = self.tunnel(binary=w, app=["cat"], env={"S6_TLSD_IO_ENGINE": "uring"})
        t.connect()
        t.start()
        self.assertExit(t, 111)
        self.assertFatal(t, "io_uring")

    def echo_v2(self, w):
        """An echo through the wrapper w at -v 2, exit 0: its stderr."""
        self.addCleanup(os.unlink, w)
        t = self.tunnel(binary=w, opts=["-v", "2"], app=["cat"])
        self.echo(t)
        self.assertExit(t, 0)
        return t.stderr()

    def test_unrestricted_ring_where_restrictions_are_unknown(self):
        # EINVAL from io_uring_register: a kernel that cannot restrict
        # rings. The ring still carries the tunnel, unrestricted, and -v 2
        # says so.
        err_text = self.echo_v2(noring_wrapper(errno.EINVAL, register=True))
        self.assertIn("warning: io_uring restrictions unavailable", err_text)
        self.assertIn("engine=io_uring", err_text)
        self.assertNotIn("using poll", err_text)

    def test_restriction_errors_are_not_silently_unrestricted(self):
        # EPERM is not "unsupported": no unrestricted ring. Under auto the
        # engine is poll (said at -v 2); with uring forced, exit 111.
        w = noring_wrapper(errno.EPERM, register=True)
        err_text = self.echo_v2(w)
        self.assertIn("warning: io_uring unavailable", err_text)
        self.assertIn("engine=poll", err_text)
        self.assertNotIn("restrictions unavailable", err_text)
        t = self.tunnel(binary=w, app=["cat"],
                        env={"S6_TLSD_IO_ENGINE": "uring"})
        t.connect()
        t.start()
        self.assertExit(t, 111)
        self.assertFatal(t, "io_uring")

    def test_bad_engine_name(self):
        t = self.tunnel(app=["cat"], env={"S6_TLSD_IO_ENGINE": "epoll"})
        t.connect()
        t.start()
        self.assertExit(t, 100)
        self.assertFatal(t, "S6_TLSD_IO_ENGINE")

    def test_connection_line_at_v2(self):
        t = self.tunnel(opts=["-v", "2"], app=["cat"])
        self.echo(t)
        self.assertExit(t, 0)
        line = [x for x in t.stderr().splitlines() if "info: connection:" in x]
        self.assertEqual(len(line), 1, t.stderr())
        for field in ("exit=0", "suite=ECDHE-", "engine=io_uring",
                      "handshake_ms=", "total_ms=", "net_in=", "app_out=100000",
                      "app_in=100000"):
            self.assertIn(field, line[0])


if __name__ == "__main__":
    tlsdio.main()
