"""s6-tlsd-io end to end: echo through `cat`, the -d notification block,
cipher suites, with Python's ssl and openssl s_client as clients."""

import os
import re
import ssl
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import BioClient, Pattern, client_context, parse_notif  # noqa: E402


def expected_notif(cipher, sni=None):
    return tlsdio.notif_entries(cipher, sni=sni)


# The opt-in to ECDHE AES-CBC, as an option and as an environment variable.
LEGACY_OPT = {"opts": ["--legacy-suites"]}
LEGACY_ENV = {"env": {"TLS_LEGACY_SUITES": "1"}}


class Basic(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 60

    def python_echo(self, cert="ec256", server_hostname=None, ciphers=None,
                    fds=True):
        """cat as the app, Python's SSLSocket as the client; -d on fd 3
        (fdr 6, fdw 7 when fds). Returns (cipher, notification entries)."""
        kw = dict(notif_num=3, fdr_num=6, fdw_num=7) if fds else dict(notif=True)
        t = self.tunnel(cert=cert, app=["cat"], **kw)
        raw = t.connect()
        t.start()
        ctx = client_context(ciphers=ciphers, check_hostname=server_hostname is not None)
        s = ctx.wrap_socket(raw, server_hostname=server_hostname)
        self.assertEqual(s.version(), "TLSv1.2")
        cipher = s.cipher()[0]
        block = t.read_notif(10)
        entries = parse_notif(block)
        # One SSLSocket must not be used by two threads at once: send a
        # chunk, read its echo back, repeat.
        pat = Pattern(300000, sizes=(1, 7, 4093, 16385, 1000, 65537))
        got = bytearray()
        for chunk in pat:
            s.sendall(chunk)
            want = len(got) + len(chunk)
            while len(got) < want:
                try:
                    d = s.recv(1 << 16)
                except (OSError, ssl.SSLError) as e:
                    self.fail("recv after %d echoed bytes: %r; %s"
                              % (len(got), e, self.diag(t)))
                if not d:
                    t.proc.poll()
                    self.fail("EOF after %d echoed bytes; %s; cat: rc %r %r"
                              % (len(got), t.describe(), t.app_proc.poll(),
                                 t.app_proc.stderr()))
                got += d
        self.assertEqual(len(got), 300000)
        self.assertEqual(tlsdio.sha256(got), pat.digest())
        # Close without close_notify (SSLSocket.close sends none): with the
        # default -j that is a normal end; cat sees EOF and exits.
        s.close()
        self.assertExit(t, 0, 10)
        self.assertEqual(t.app_proc.wait(5), 0)
        return cipher, entries, block

    def test_echo_python_ec256_notification(self):
        cipher, entries, block = self.python_echo("ec256")
        self.assertIn(cipher, tlsdio.AEAD_SUITES_EC, "server preference: AEAD first")
        self.assertEqual(entries, expected_notif(cipher))
        self.assertEqual(block, b"\0".join(e.encode() for e in expected_notif(cipher)) + b"\0\0")

    def test_echo_python_rsa2048_notification(self):
        cipher, entries, _ = self.python_echo("rsa2048")
        self.assertIn(cipher, tlsdio.AEAD_SUITES_RSA)
        self.assertEqual(entries, expected_notif(cipher))

    def test_echo_python_ec384_ec521(self):
        for cert in ("ec384", "ec521"):
            with self.subTest(cert=cert):
                cipher, entries, _ = self.python_echo(cert, fds=False)
                self.assertIn(cipher, tlsdio.AEAD_SUITES_EC)
                self.assertEqual(entries, expected_notif(cipher))

    def test_notification_sni_localhost(self):
        # Python sends SNI "localhost"; the spec reports the name the client sent.
        cipher, entries, _ = self.python_echo("ec256", server_hostname="localhost")
        self.assertEqual(entries, expected_notif(cipher, sni="localhost"))

    def test_each_suite(self):
        """Each ECDHE suite the spec lists, forced by the client: negotiated,
        and named the same way in the notification as by OpenSSL. The
        AES-CBC ones with the opt-in, as an option or in the environment."""
        cases = [("ec256", s, {}) for s in tlsdio.AEAD_SUITES_EC] + \
                [("rsa2048", s, {}) for s in tlsdio.AEAD_SUITES_RSA] + \
                [("ec256", s, LEGACY_OPT) for s in tlsdio.CBC_SUITES_EC] + \
                [("rsa2048", s, LEGACY_ENV) for s in tlsdio.CBC_SUITES_RSA]
        for cert, suite, legacy in cases:
            with self.subTest(cert=cert, suite=suite):
                t = self.tunnel(cert=cert, notif=True, **legacy)
                c = BioClient(t.connect(), client_context(ciphers=suite))
                t.start()
                c.handshake()
                self.assertEqual(c.cipher(), suite)
                self.assertEqual(parse_notif(t.read_notif()), expected_notif(suite))
                # a round trip each way through the in-process app
                c.send(b"ping " + suite.encode())
                self.assertEqual(tlsdio.fd_read_exact(t.app_read_fd, 5 + len(suite), 5),
                                 b"ping " + suite.encode())
                tlsdio.fd_write_all(t.app_write_fd, b"pong", 5)
                self.assertEqual(c.recv_exact(4, 5), b"pong")
                t.close_app_write()
                c.pump(after="close_notify+shutdown", timeout=10)
                self.assertEqual(t.app_read_all(5), b"")
                self.assertExit(t, 0, 10)

    def test_record_boundaries(self):
        """Client writes around the 16 KiB record limit, each one checked as
        it reaches the app, then app writes the same sizes back."""
        sizes = (16383, 1000, 16384, 1, 16385, 1000, 20000, 1, 32769, 5, 100000, 1, 65537, 7)
        t = self.tunnel()
        c = BioClient(t.connect())
        t.start()
        c.handshake()
        pat = Pattern(sum(sizes), sizes=sizes, start=5)
        for i, chunk in enumerate(pat):
            c.send(chunk)
            try:
                got = tlsdio.fd_read_exact(t.app_read_fd, len(chunk), 5)
            except (EOFError, TimeoutError) as e:
                self.fail("client write #%d (%d bytes, after %r): %s; %s"
                          % (i, len(chunk), sizes[:i], e, self.diag(t, c)))
            self.assertEqual(got, bytes(chunk))
        back = Pattern(sum(sizes), sizes=sizes, start=6)
        for i, chunk in enumerate(back):
            tlsdio.fd_write_all(t.app_write_fd, chunk, 5)
            try:
                got = c.recv_exact(len(chunk), 5)
            except (EOFError, TimeoutError) as e:
                self.fail("app write #%d (%d bytes, after %r): %s; %s"
                          % (i, len(chunk), sizes[:i], e, self.diag(t, c)))
            self.assertEqual(got, bytes(chunk))
        t.close_app_write()
        c.pump(after="close_notify+shutdown", timeout=10)
        self.assertEqual(t.app_read_all(5), b"")
        self.assertExit(t, 0, 10)

    def test_fdw_regular_file(self):
        """fdw may be a regular file: the decrypted stream lands in it."""
        fd, path = tempfile.mkstemp(prefix="tlsdio-fdw-")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        t = self.tunnel(fdw_file=path)
        c = t.client()
        up = Pattern(3 * 1000 * 1000, start=7)
        t.close_app_write()
        c.pump(source=up, after="shutdown", timeout=20)
        self.assertEqual(c.events, [("eof", 0)])
        self.assertExit(t, 0, 10)
        with open(path, "rb") as f:
            got = f.read()
        self.assertEqual(len(got), 3 * 1000 * 1000)
        self.assertEqual(tlsdio.sha256(got), up.digest())

    def test_fdr_regular_file(self):
        """fdr may be a regular file: its content is sent once, then EOF."""
        size = 3 * 1000 * 1000
        fd, path = tempfile.mkstemp(prefix="tlsdio-fdr-")
        down = Pattern(size, start=8)
        for chunk in down:
            os.write(fd, chunk)
        os.close(fd)
        self.addCleanup(os.unlink, path)
        t = self.tunnel(fdr_file=path)
        c = t.client()
        sink = tlsdio.Sink()
        c.pump(sink=sink, timeout=20, stop=lambda: c.received > size)
        self.assertEqual(sink.count, size, "the file's content, once: %s" % self.diag(t, c))
        self.assertEqual(sink.digest(), down.digest())
        self.assertEqual(c.events, [("eof", size)])
        c.shutdown_wr()
        self.assertExit(t, 0, 10)

    def refused(self, cert, ciphers):
        t = self.tunnel(cert=cert)
        c = BioClient(t.connect(), client_context(ciphers=ciphers))
        t.start()
        with self.assertRaises((ssl.SSLError, OSError)):
            c.handshake(10)
        self.assertTrue(c.handshake_bytes, "the client sent no ClientHello")
        self.assertExit(t, 98, 10)
        self.assertFatal(t)

    def test_cbc_refused_by_default(self):
        """ECDHE with AES-CBC is offered only with the opt-in: a client
        offering nothing else fails the handshake (exit 98)."""
        for cert, suites in (("ec256", tlsdio.CBC_SUITES_EC),
                             ("rsa2048", tlsdio.CBC_SUITES_RSA)):
            for env in ({}, {"TLS_LEGACY_SUITES": "0"}, {"TLS_LEGACY_SUITES": ""}):
                with self.subTest(cert=cert, env=env):
                    t = self.tunnel(cert=cert, env=env)
                    c = BioClient(t.connect(), client_context(ciphers=":".join(suites)))
                    t.start()
                    with self.assertRaises((ssl.SSLError, OSError)):
                        c.handshake(10)
                    self.assertExit(t, 98, 10)
                    self.assertFatal(t)

    def s_client_cbc(self, cert, suite, **tunnel):
        """openssl s_client offering only `suite`: (s_client's exit code,
        its output, s6-tlsd-io's exit code)."""
        t = self.tunnel(cert=cert, app=["cat"], **tunnel)
        p = t.s_client("-brief", "-no_ign_eof", "-nocommands", "-noservername",
                       "-tls1_2", "-cipher", suite)
        t.start()
        try:
            p.p.stdin.write(b"cbc\n")
            p.p.stdin.flush()
            out = tlsdio.fd_read_exact(p.p.stdout.fileno(), 4, 15)
        except (BrokenPipeError, EOFError):
            out = b""  # the handshake failed: s_client is gone
        try:
            p.p.stdin.close()  # s_client then sends close_notify and quits
        except BrokenPipeError:
            pass
        return p.wait(15), out + p.stderr().encode(), t.wait(15)

    def test_cbc_s_client_opt_in(self):
        """The issue's check: s_client with ECDHE-ECDSA-AES128-SHA256 and
        ECDHE-RSA-AES128-SHA256 fails by default and works with
        --legacy-suites or TLS_LEGACY_SUITES=1."""
        for cert, suite in (("ec256", "ECDHE-ECDSA-AES128-SHA256"),
                            ("rsa2048", "ECDHE-RSA-AES128-SHA256")):
            with self.subTest(cert=cert, legacy=None):
                rc, out, io = self.s_client_cbc(cert, suite)
                self.assertNotEqual(rc, 0, out)
                self.assertEqual(io, 98, out)
                self.assertNotIn(b"cbc\n", out)
            for legacy in (LEGACY_OPT, LEGACY_ENV):
                with self.subTest(cert=cert, legacy=legacy):
                    rc, out, io = self.s_client_cbc(cert, suite, **legacy)
                    self.assertEqual(rc, 0, out)
                    self.assertEqual(io, 0, out)
                    self.assertIn(b"Ciphersuite: " + suite.encode(), out)
                    self.assertIn(b"cbc\n", out)

    def test_refuses_static_rsa(self):
        self.refused("rsa2048", "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES128-SHA")

    def test_refuses_3des(self):
        try:
            client_context(ciphers="ECDHE-RSA-DES-CBC3-SHA:DES-CBC3-SHA:@SECLEVEL=0")
        except ssl.SSLError:
            self.skipTest("this OpenSSL has no 3DES")
        self.refused("rsa2048", "ECDHE-RSA-DES-CBC3-SHA:DES-CBC3-SHA:@SECLEVEL=0")

    # -- openssl s_client

    def s_client_echo(self, t, p, lines):
        data = b"".join(lines)
        fd = p.p.stdout.fileno()
        w = self.worker(lambda: (p.p.stdin.write(data), p.p.stdin.flush()))
        try:
            got = tlsdio.fd_read_exact(fd, len(data), 15)
        except (EOFError, TimeoutError) as e:
            self.fail("echo through s_client: %s; %s; s_client rc %r stderr %r"
                      % (e, self.diag(t), p.poll(), p.stderr()[-2000:]))
        w.get(10)
        self.assertEqual(got, data)

    def test_echo_s_client_quiet(self):
        """-quiet (implies -ign_eof): echo, then the client is killed: a TCP
        EOF without close_notify, a normal end under the default -j."""
        t = self.tunnel(app=["cat"], notif=True)
        p = t.s_client("-quiet", "-noservername")
        t.start()
        entries = parse_notif(t.read_notif(10))
        self.assertEqual(entries[0], "SSL_PROTOCOL=TLSv1.2")
        self.assertIn(entries[1][len("SSL_CIPHER="):], tlsdio.AEAD_SUITES_EC)
        self.assertEqual(entries[2:], ["SSL_TLS_SNI_SERVERNAME", "SSL_PEER_CERT_HASH",
                                       "SSL_PEER_CERT_SUBJECT"])
        lines = [b"x%05d %s\n" % (i, os.urandom(40).hex().encode()) for i in range(2000)]
        self.s_client_echo(t, p, lines)
        p.p.terminate()
        p.wait(5)
        self.assertExit(t, 0, 10)
        self.assertEqual(t.app_proc.wait(5), 0)

    def s_client_brief(self, cert, *args):
        t = self.tunnel(cert=cert, app=["cat"], notif=True)
        p = t.s_client("-brief", "-no_ign_eof", "-nocommands", *args)
        t.start()
        entries = parse_notif(t.read_notif(10))
        lines = [b"%d line %s\n" % (i, b"y" * (i % 300)) for i in range(1500)]
        self.s_client_echo(t, p, lines)
        # stdin EOF without -ign_eof: s_client sends close_notify and quits.
        p.p.stdin.close()
        self.assertEqual(p.wait(10), 0, p.stderr())
        self.assertExit(t, 0, 10)
        err = p.stderr()
        m = re.search(r"Ciphersuite: (\S+)", err)
        self.assertTrue(m, err)
        self.assertIn("Protocol version: TLSv1.2", err)
        return m.group(1), entries

    def test_echo_s_client_brief_sni(self):
        cipher, entries = self.s_client_brief("ec256", "-servername", "localhost")
        self.assertIn(cipher, tlsdio.AEAD_SUITES_EC)
        self.assertEqual(entries, expected_notif(cipher, sni="localhost"))

    def test_echo_s_client_rsa_chacha(self):
        cipher, entries = self.s_client_brief("rsa2048", "-noservername",
                                              "-cipher", "ECDHE-RSA-CHACHA20-POLY1305")
        self.assertEqual(cipher, "ECDHE-RSA-CHACHA20-POLY1305")
        self.assertEqual(entries, expected_notif(cipher))


if __name__ == "__main__":
    tlsdio.main()
