"""s6-tlsd-io end to end: ALPN (--alpn=LIST, --alpn-strict), with openssl
s_client and gnutls-cli as clients, and through s6-tlsd under tcpserver
(prog's SSL_ALPN).

The -d block carries a sixth entry, SSL_ALPN, only when --alpn is given:
SSL_ALPN=<protocol> when one was agreed, the bare name when not.

Environment (set by ctest): TLSD_BIN_DIR, TLSD_SNI_CERTS (generated when
unset).
"""

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from test_io_sni import CLIENTS, SniCase, entry_value, sni_certs  # noqa: E402

WAIT = 15


def client_alpn(client, out):
    """The protocol the client says was agreed, or None."""
    text = out.decode(errors="replace")
    if client == "openssl":
        m = re.search(r"^ALPN protocol: (\S+)", text, re.M)
        if m:
            return m.group(1)
        assert "No ALPN negotiated" in text, text
        return None
    m = re.search(r"^- Application protocol: (\S+)", text, re.M)
    return m.group(1) if m else None


class Alpn(SniCase):
    def alpn_run(self, client, opts, offer, ok=True):
        t = self.sni_tunnel(opts)
        r = self.connect_client(t, client, None, verify="default.invalid",
                                alpn=offer, ok=ok)
        return t, r

    def test_server_order_wins(self):
        for client in CLIENTS:
            for opts in (["--alpn=h2,http/1.1"], ["--alpn", "h2,http/1.1"],
                         ["--alpn=h2,http/1.1", "--alpn-strict"]):
                with self.subTest(client=client, opts=opts):
                    t, r = self.alpn_run(client, opts, ["http/1.1", "h2"])
                    self.assertEqual(len(r.entries), 6, r)
                    self.assertEqual(r.entries[5], "SSL_ALPN=h2", r)
                    self.assertEqual(client_alpn(client, r.out), "h2", r)

    def test_single_common_protocol(self):
        for client in CLIENTS:
            with self.subTest(client=client):
                t, r = self.alpn_run(client, ["--alpn=http/1.1"], ["h2", "http/1.1"])
                self.assertEqual(r.entries[5], "SSL_ALPN=http/1.1", r)
                self.assertEqual(client_alpn(client, r.out), "http/1.1", r)

    def test_no_common_protocol(self):
        for client in CLIENTS:
            with self.subTest(client=client):
                t, r = self.alpn_run(client, ["--alpn=h2,http/1.1"], ["foo"])
                self.assertEqual(r.entries[5:], ["SSL_ALPN"], r)
                self.assertIsNone(client_alpn(client, r.out), r)

    def test_no_common_protocol_strict(self):
        for client in CLIENTS:
            for opts in (["--alpn=h2,http/1.1", "--alpn-strict"],
                         ["--alpn-strict", "--alpn=h2,http/1.1"]):
                with self.subTest(client=client, opts=opts):
                    t, r = self.alpn_run(client, opts, ["foo"], ok=False)
                    self.assertRefused(t, r, 98)

    def test_client_without_alpn(self):
        """The client sends no ALPN extension: bare SSL_ALPN. (--alpn-strict
        is about a mismatch; with no extension at all, the handshake is
        expected to complete: what it does is reported.)"""
        for client in CLIENTS:
            with self.subTest(client=client):
                t, r = self.alpn_run(client, ["--alpn=h2"], [])
                self.assertEqual(r.entries[5:], ["SSL_ALPN"], r)
            with self.subTest(client=client, strict=True):
                t = self.sni_tunnel(["--alpn=h2", "--alpn-strict"])
                p = t.client_proc(self.client_argv(t, client, None, "default.invalid",
                                                   sni_certs().ca, None, None, None, [],
                                                   "/dev/null"), name=client)
                t.start()
                blk = t.read_notif(WAIT)
                if blk:
                    t.close_app_write()
                out = tlsdio.fd_read_all(p.p.stdout.fileno(), WAIT, close=False)
                p.wait(WAIT)
                rc = t.wait(WAIT)
                self.note("%s without ALPN, --alpn-strict: exit %r, block %r", client, rc,
                          blk)
                self.assertIn(rc, (0, 98), (t.stderr(), out[-500:]))

    def test_no_alpn_option(self):
        """No --alpn: no SSL_ALPN entry at all, whatever the client offers."""
        for client in CLIENTS:
            for offer in (["h2", "http/1.1"], []):
                with self.subTest(client=client, offer=offer):
                    t, r = self.alpn_run(client, [], offer)
                    self.assertEqual(len(r.entries), 5, r)
                    self.assertFalse(any(e.startswith("SSL_ALPN") for e in r.entries), r)
                    self.assertIsNone(client_alpn(client, r.out), r)

    def test_strict_alone_is_harmless(self):
        """--alpn-strict without --alpn: no ALPN, nothing to enforce."""
        t, r = self.alpn_run("openssl", ["--alpn-strict"], ["foo"])
        self.assertEqual(len(r.entries), 5, r)

    def test_with_sni_and_client_cert(self):
        """All three together: -k 2, -y, --alpn; the block's order."""
        s = sni_certs()
        t = self.sni_tunnel(["-k", "2", "-y", "--alpn=h2,http/1.1"], default=None,
                            names=[("*.example.com", "wild", "rsa")],
                            env={"CAFILE": s.ca})
        r = self.connect_client(t, "openssl", "a.example.com", verify="a.example.com",
                                cert=s.path("esc.pem"), key=s.path("esc.key"),
                                cert_chain=s.path("int.pem"), alpn=["http/1.1"])
        names = [e.partition("=")[0] for e in r.entries]
        self.assertEqual(names, ["SSL_PROTOCOL", "SSL_CIPHER", "SSL_TLS_SNI_SERVERNAME",
                                 "SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT",
                                 "SSL_ALPN"], r)
        self.assertEqual(entry_value(r.entries, "SSL_ALPN"), "http/1.1")
        self.assertEqual(entry_value(r.entries, "SSL_TLS_SNI_SERVERNAME"), "a.example.com")
        self.assertIn("ECDHE-RSA-", entry_value(r.entries, "SSL_CIPHER"))

    def test_bad_lists(self):
        for lst in ("", ",", "h2,", ",h2", "h2,,http/1.1", "x" * 256,
                    ",".join("p%d" % i for i in range(100))):
            with self.subTest(alpn=lst[:40]):
                t = self.sni_tunnel(["--alpn=" + lst])
                self.start_only(t, 100, "alpn")

    def test_longest_name(self):
        name = "n" * 255
        t, r = self.alpn_run("openssl", ["--alpn=" + name], [name])
        self.assertEqual(r.entries[5], "SSL_ALPN=" + name, r)


# ---------------------------------------------------------------------------
# Through s6-tlsd under tcpserver

PROG = r'''
import json, os, sys
line = sys.stdin.readline()
sys.stdout.write(json.dumps({"line": line, "env": dict(os.environ)}) + "\n")
'''


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def our_descendants():
    """{pid: (comm, state)} of every process below this one."""
    return {pid: (comm, st) for pid, (comm, _, st)
            in tlsdio.descendants(os.getpid()).items()}


class ViaS6Tlsd(unittest.TestCase):
    """s6-tlsd --alpn=... prog, under ucspi-tcp's tcpserver; the client is
    Python's ssl module."""

    @classmethod
    def setUpClass(cls):
        cls.tlsd = tlsdio.bin_path("s6-tlsd")
        if not shutil.which("tcpserver"):
            raise unittest.SkipTest("tcpserver is not installed")
        set_subreaper()
        cls.tmp = tempfile.mkdtemp(prefix="tlsd-alpn-prog-")
        cls.prog = os.path.join(cls.tmp, "prog.py")
        with open(cls.prog, "w") as f:
            f.write(PROG)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def setUp(self):
        self.procs = []

        def alarm(signum, frame):
            raise TimeoutError("test exceeded its 90 s time limit")
        self._old_alarm = signal.signal(signal.SIGALRM, alarm)
        signal.alarm(90)

    def tearDown(self):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self._old_alarm)
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(WAIT)
            except subprocess.TimeoutExpired:
                pass
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()
        for pid, (comm, st) in our_descendants().items():
            if comm in ("s6-tlsd", "s6-tlsd-io", "python3") and st != "Z":
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break

    def server(self, opts, extra_env=None):
        s = sni_certs()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("KEYFILE", "CERTFILE", "SSL_"))
               and k not in ("CADIR", "CAFILE")}
        env.update(KEYFILE=s.key("default"), CERTFILE=s.chain("default"),
                   SSL_ALPN="stale", **(extra_env or {}))
        p = subprocess.Popen(["tcpserver", "-1", "-H", "-R", "-l", "0", "127.0.0.1", "0",
                              self.tlsd, *opts, "--", sys.executable, self.prog],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        self.procs.append(p)
        got = []
        th = threading.Thread(target=lambda: got.append(p.stdout.readline()), daemon=True)
        th.start()
        th.join(WAIT)
        if not got or not got[0].strip():
            self.fail("tcpserver did not print its port")
        return int(got[0])

    def exchange(self, port, offer, sni=None):
        ctx = ssl.create_default_context(cafile=sni_certs().ca)
        if offer:
            ctx.set_alpn_protocols(offer)
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            with ctx.wrap_socket(sock, server_hostname=sni or "default.invalid") as t:
                t.sendall(b"GET /\n")
                data = b""
                while True:
                    b = t.recv(65536)
                    if not b:
                        break
                    data += b
                return json.loads(data), t.selected_alpn_protocol()

    def test_prog_sees_alpn(self):
        port = self.server(["--alpn=h2,http/1.1"])
        r, sel = self.exchange(port, ["http/1.1", "h2"])
        self.assertEqual(sel, "h2")
        self.assertEqual(r["env"].get("SSL_ALPN"), "h2")
        self.assertEqual(r["line"], "GET /\n")
        self.assertEqual(r["env"].get("SSL_PROTOCOL"), "TLSv1.2")

    def test_bare_alpn_removed(self):
        port = self.server(["--alpn=h2,http/1.1"])
        for offer in (["foo"], None):
            with self.subTest(offer=offer):
                r, sel = self.exchange(port, offer)
                self.assertIsNone(sel)
                self.assertNotIn("SSL_ALPN", r["env"])  # the stale value is gone

    def test_no_alpn_option_env(self):
        """No --alpn: s6-tlsd-io sends no SSL_ALPN entry; s6-tlsd still
        clears an SSL_ALPN inherited from the super-server, so prog never
        sees a protocol that was not agreed on this connection."""
        port = self.server([])
        r, sel = self.exchange(port, ["h2"])
        self.assertIsNone(sel)
        self.assertNotIn("SSL_ALPN", r["env"])

    def test_strict_mismatch_prog_not_started(self):
        port = self.server(["--alpn=h2", "--alpn-strict"])
        with self.assertRaises((ssl.SSLError, OSError, ValueError)):
            r, sel = self.exchange(port, ["foo"])
        # the next, matching, client is served
        r, sel = self.exchange(port, ["h2"])
        self.assertEqual(r["env"].get("SSL_ALPN"), "h2")

    def test_with_sni(self):
        s = sni_certs()
        port = self.server(["--sni", "--alpn=http/1.1"],
                           {"KEYFILE:www.example.com": s.key("www", "rsa"),
                            "CERTFILE:www.example.com": s.chain("www", "rsa")})
        r, sel = self.exchange(port, ["http/1.1"], sni="www.example.com")
        self.assertEqual(sel, "http/1.1")
        e = r["env"]
        self.assertEqual(e.get("SSL_TLS_SNI_SERVERNAME"), "www.example.com")
        self.assertEqual(e.get("SSL_ALPN"), "http/1.1")
        self.assertNotIn("KEYFILE:www.example.com", e)
        self.assertNotIn("CERTFILE:www.example.com", e)


if __name__ == "__main__":
    tlsdio.main()
