"""s6-tlsd-io end to end: refusals and errors. Usage and configuration
exit codes, handshake timeout (-K), non-TLS bytes, TLS versions older than
1.2."""

import os
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import BioClient, client_context  # noqa: E402


class Errors(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 60

    def run_refused(self, code, *fatal_words, **kw):
        """Starts s6-tlsd-io on a fresh connection and expects `code` with a
        fatal line containing fatal_words; the app gets nothing."""
        t = self.tunnel(**kw)
        t.connect()
        t.start()
        self.assertExit(t, code, 10)
        self.assertFatal(t, *fatal_words)
        self.assertEqual(t.app_read_all(5), b"")
        return t

    def tmpfile(self, content, suffix=".pem"):
        fd, path = tempfile.mkstemp(prefix="tlsdio-", suffix=suffix)
        os.write(fd, content)
        os.close(fd)
        self.addCleanup(os.unlink, path)
        return path

    # -- usage: 100

    def test_keyfile_unset(self):
        self.run_refused(100, env={"KEYFILE": None})

    def test_certfile_unset(self):
        self.run_refused(100, env={"CERTFILE": None})

    def test_missing_fdw(self):
        self.run_refused(100, operands=["--", "5"])

    def test_missing_both_fds(self):
        self.run_refused(100, operands=[])

    def test_unknown_option(self):
        self.run_refused(100, opts=["-X"])

    def test_bad_number(self):
        self.run_refused(100, opts=["-K", "soon"])

    # -- configuration: 96

    def test_garbage_keyfile(self):
        path = self.tmpfile(b"this is not a key\n" + os.urandom(300))
        self.run_refused(96, path, env={"KEYFILE": path})

    def test_missing_keyfile(self):
        path = "/nonexistent/tlsdio-key.pem"
        self.run_refused(96, path, env={"KEYFILE": path})

    def test_garbage_certfile(self):
        path = self.tmpfile(b"-----BEGIN CERTIFICATE-----\nnot base64 !!\n"
                            b"-----END CERTIFICATE-----\n")
        self.run_refused(96, path, env={"CERTFILE": path})

    def test_key_cert_mismatch(self):
        c = tlsdio.certs()
        self.run_refused(96, env={"KEYFILE": c.key("ec384"), "CERTFILE": c.chain("ec256")})

    def test_key_forms_accepted(self):
        """DER and traditional key forms work as well as PKCS#8 PEM."""
        c = tlsdio.certs()
        for name in ("ec256", "rsa2048"):
            for form in ("key.der", "key.trad.pem", "key.trad.der"):
                with self.subTest(name=name, form=form):
                    t = self.tunnel(env={"KEYFILE": c.key(name, form), "CERTFILE": c.chain(name)})
                    cl = BioClient(t.connect())
                    t.start()
                    cl.handshake()
                    cl.send(b"x")
                    self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 1, 5), b"x")
                    t.close_app_write()
                    cl.pump(after="close_notify+shutdown", timeout=10)
                    self.assertExit(t, 0, 10)

    # -- handshake timeout

    def test_K_handshake_timeout(self):
        """-K 300, a client that connects and sends nothing: exit 98 soon."""
        t = self.tunnel(opts=["-K", "300"])
        t.connect()
        t.start()
        # How soon is perf/'s business; here: it ends, never before -K.
        self.assertExit(t, 98, 30)
        self.note("exit 98 after %.3fs with -K 300", t.proc.elapsed())
        self.assertGreater(t.proc.elapsed(), 0.25)
        self.assertFatal(t)
        self.assertEqual(t.app_read_all(5), b"")

    def test_K_timeout_partial_hello(self):
        """-K also covers a client stuck in the middle of its ClientHello."""
        t = self.tunnel(opts=["--handshake-timeout=300"])
        c = BioClient(t.connect())
        t.start()
        try:
            c.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = c.out.read()
        c.raw_send(hello[:20])
        self.assertExit(t, 98, 30)
        self.assertGreater(t.proc.elapsed(), 0.25)

    def test_K0_no_timeout(self):
        for opts in (["-K", "0"], []):
            with self.subTest(opts=opts):
                t = self.tunnel(opts=opts)
                t.connect()
                t.start()
                time.sleep(1.0)
                self.assertIsNone(t.proc.poll(), "exited early: %s" % t.describe())
                t.proc.kill()

    def test_K_not_applied_after_handshake(self):
        """-K bounds the handshake only: an idle tunnel after it lives on."""
        t = self.tunnel(opts=["-K", "300"])
        c = BioClient(t.connect())
        t.start()
        c.handshake()
        time.sleep(0.8)
        self.assertIsNone(t.proc.poll(), t.describe())
        c.send(b"still here")
        self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 10, 5), b"still here")

    # -- not TLS, old TLS

    def test_non_tls_client(self):
        t = self.tunnel()
        s = t.connect()
        t.start()
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        self.assertExit(t, 98, 10)
        self.assertFatal(t)
        self.assertEqual(t.app_read_all(5), b"")

    def test_eof_during_handshake(self):
        """A client that closes in the middle of the handshake: 98."""
        t = self.tunnel()
        c = BioClient(t.connect())
        t.start()
        try:
            c.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        c.raw_send(c.out.read())
        c.shutdown_wr()
        self.assertExit(t, 98, 10)
        self.assertEqual(t.app_read_all(5), b"")

    def test_tls11_python_refused(self):
        ctx = client_context(ciphers="DEFAULT:@SECLEVEL=0",
                             min_version=ssl.TLSVersion.TLSv1,
                             max_version=ssl.TLSVersion.TLSv1_1)
        t = self.tunnel()
        c = BioClient(t.connect(), ctx)
        t.start()
        with self.assertRaises((ssl.SSLError, OSError)):
            c.handshake(10)
        hello = c.handshake_bytes[0] if c.handshake_bytes else b""
        self.assertGreater(len(hello), 11, "no ClientHello was sent")
        self.assertEqual(hello[0], 0x16)
        self.assertEqual(hello[9:11], b"\x03\x02", "the ClientHello asks for TLS 1.1")
        self.assertExit(t, 98, 10)
        self.assertFatal(t)
        self.assertEqual(t.app_read_all(5), b"")

    def test_tls11_s_client_refused(self):
        t = self.tunnel()
        p = t.s_client("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-noservername",
                       stdin=subprocess.DEVNULL)
        t.start()
        self.assertExit(t, 98, 10)
        rc = p.wait(10)
        out = p.p.stdout.read().decode(errors="replace") + p.stderr()
        self.assertNotEqual(rc, 0, out)
        self.assertNotIn("no protocols available", out)
        self.assertIn("CONNECTED", out)
        self.assertEqual(t.app_read_all(5), b"")

    def test_verbosity_zero_silent(self):
        """-v 0: errors are not reported."""
        t = self.tunnel(opts=["-v", "0"])
        s = t.connect()
        t.start()
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        self.assertExit(t, 98, 10)
        self.assertEqual(t.stderr(), "")


if __name__ == "__main__":
    tlsdio.main()
