"""One s6-tlsd-io under test and the unittest glue around it.

A test builds a Tunnel: a listening TCP socket on 127.0.0.1, a client
connection to it (a raw socket the test drives, or a client subprocess such
as `openssl s_client`), then the accepted socket handed to a real
s6-tlsd-io as its fd 0 and fd 1, with pipes for fdr/fdw (and optionally the
-d notification fd, whose block parse_notif and notif_entries check). The
app side is either in-process (the test reads Tunnel.app_read_fd and writes
Tunnel.app_write_fd) or a subprocess (app=['cat']).

Every child process and fd is registered with the Tunnel and cleaned up by
Tunnel.cleanup(), which TunnelTestCase calls after each test.
TunnelTestCase also puts a hard time limit on each test (TEST_TIMEOUT
seconds: SIGALRM raises in the main thread; faulthandler kills the whole
process 15 s later if that is not enough).

Typical use:

    class T(tlsdio.TunnelTestCase):
        def test_x(self):
            t = self.tunnel(opts=['-S'], notif=True)
            c = t.client()             # connect, start s6-tlsd-io, handshake
            entries = tlsdio.parse_notif(t.read_notif())
            c.send(b'hello')
            assert tlsdio.fd_read_exact(t.app_read_fd, 5) == b'hello'
            t.close_app_write()
            c.pump(timeout=10)         # until TCP EOF; see c.events
            self.assertExit(t, 0, 10)

Other clients: t.connect() gives a raw socket (wrap it with ssl, or send
bytes), t.s_client(...) runs openssl s_client; call t.start() after
either. SNI / client certificates: Tunnel(env={'KEYFILE:name': ...}),
t.client(ctx=client_context(cert=..., key=...), server_hostname='name').
With S6_TLSD_IO_ENGINE in the environment, s6-tlsd-io inherits it.
"""

import faulthandler
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

from tlsd_clients import BioClient
from tlsd_env import base_env, bin_path, certs
from tlsd_io import (Sink, Worker, _close_quietly, fd_drain, fd_read_all,
                     fd_write_chunks, spawn)
from tlsd_procs import MemoryMonitor, Proc

__all__ = ["NOTIF_NAMES", "Tunnel", "notif_entries", "parse_notif", "TunnelTestCase",
           "main"]

# The fixed entries of a -d block, in order (without ALPN).
NOTIF_NAMES = ("SSL_PROTOCOL", "SSL_CIPHER", "SSL_TLS_SNI_SERVERNAME",
               "SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT")


# ---------------------------------------------------------------------------
# The tunnel under test


class Tunnel:
    """One s6-tlsd-io under test, with its TCP connection and app fds.

    opts      options before `--` (list of str)
    cert      name of the default keypair (ec256, ec384, ec521, rsa2048) put
              in KEYFILE/CERTFILE; None for none
    env       dict merged over the environment; a value None unsets the name
    notif     True: pass a pipe as the -d fd (adds `-d N` to the options)
    fdr_num, fdw_num, notif_num
              fd numbers the child sees for fdr, fdw, the notification fd
              (default: whatever numbers the pipes have here; when set, a
              bash shim moves the fds before exec'ing s6-tlsd-io)
    operands  replaces the `-- FDR FDW` operands (list of str), for usage
              tests; the pipes are still passed
    app       None: the test is the app (use app_read_fd/app_write_fd);
              a list: an argv run with stdin = what s6-tlsd-io writes to
              fdw, stdout = what it reads on fdr (e.g. ['cat'])
    fdw_file  a path: fdw is this file opened for writing instead of a pipe
    fdr_file  a path: fdr is this file opened for reading instead of a pipe
    spy_fdr   keep a duplicate of fdr's read end here (fdr_spy): the pipe
              then outlives s6-tlsd-io, and what it never read from fdr
              can be counted afterwards (the app gets no EPIPE, though)
    """

    def __init__(self, opts=(), cert="ec256", env=None, notif=False,
                 fdr_num=None, fdw_num=None, notif_num=None, operands=None,
                 app=None, fdw_file=None, binary=None, listen_backlog=8,
                 spy_fdr=False, fdr_file=None):
        self.opts = list(opts)
        self.cert = cert
        self.env = base_env(cert)
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = v
        self.notif = notif or notif_num is not None
        self.fdr_num, self.fdw_num, self.notif_num = fdr_num, fdw_num, notif_num
        self.operands = operands
        self.app = app
        self.fdw_file = fdw_file
        self.fdr_file = fdr_file
        self.spy_fdr = spy_fdr
        self.fdr_spy = None
        self.binary = binary or bin_path()
        self.procs = []
        self.fds = set()
        self.socks = []
        self.proc = None
        self.app_proc = None
        self.app_read_fd = None     # cleartext from the network (s6-tlsd-io's fdw)
        self.app_write_fd = None    # cleartext to the network (s6-tlsd-io's fdr)
        self.notif_read_fd = None
        self.server_sock = None
        self.monitor = None
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socks.append(self.listener)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(listen_backlog)
        self.port = self.listener.getsockname()[1]
        self.argv = None

    # -- fds bookkeeping
    def _fd(self, fd):
        self.fds.add(fd)
        return fd

    def close_fd(self, fd):
        if fd is not None and fd in self.fds:
            self.fds.discard(fd)
            _close_quietly(fd)

    def take_fd(self, fd):
        """Hands an fd's ownership to the caller (cleanup won't close it)."""
        self.fds.discard(fd)
        return fd

    # -- client side
    def connect(self, rcvbuf=None, sndbuf=None, timeout=10):
        """A raw TCP client socket connected to the listener (blocking, with
        `timeout` as its socket timeout)."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socks.append(s)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        s.settimeout(timeout)
        s.connect(("127.0.0.1", self.port))
        return s

    def client_proc(self, argv, name=None, **kw):
        """Starts a client subprocess (stdin/stdout pipes by default)."""
        kw.setdefault("stdin", subprocess.PIPE)
        kw.setdefault("stdout", subprocess.PIPE)
        p = Proc(argv, name=name, **kw)
        self.procs.append(p)
        return p

    def s_client(self, *args, name="s_client", **kw):
        """openssl s_client connected to the listener, verifying the chain
        against the test CA."""
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.port,
                "-CAfile", certs().ca, "-verify_return_error"] + list(args)
        return self.client_proc(argv, name=name, **kw)

    # -- server side
    def accept(self, timeout=10):
        if self.server_sock is None:
            self.listener.settimeout(timeout)
            s, _ = self.listener.accept()
            s.setblocking(True)
            self.socks.append(s)
            self.server_sock = s
        return self.server_sock

    def start(self, accept_timeout=10):
        """Accepts the pending connection and spawns s6-tlsd-io on it."""
        sock = self.accept(accept_timeout)
        # fdr: s6-tlsd-io reads it; the app writes the other end.
        if self.fdr_file:
            fdr_w = None
            fdr_r = self._fd(os.open(self.fdr_file, os.O_RDONLY | os.O_CLOEXEC))
        else:
            fdr_r, fdr_w = os.pipe()
            self._fd(fdr_r)
            self.app_write_fd = self._fd(fdr_w)
        if self.fdw_file:
            fdw_r = None
            fdw_w = self._fd(os.open(self.fdw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                                     | os.O_CLOEXEC, 0o600))
        else:
            fdw_r, fdw_w = os.pipe()
            self.app_read_fd = self._fd(fdw_r)
            self._fd(fdw_w)
        child_fds = []              # (number in child, fd here)
        child_fds.append((self.fdr_num if self.fdr_num is not None else fdr_r, fdr_r))
        child_fds.append((self.fdw_num if self.fdw_num is not None else fdw_w, fdw_w))
        opts = list(self.opts)
        notif_w = None
        if self.notif:
            nr, notif_w = os.pipe()
            self.notif_read_fd = self._fd(nr)
            self._fd(notif_w)
            n = self.notif_num if self.notif_num is not None else notif_w
            child_fds.append((n, notif_w))
            opts += ["-d", str(n)]
        operands = self.operands
        if operands is None:
            operands = ["--", str(child_fds[0][0]), str(child_fds[1][0])]
        argv = [self.binary] + opts + operands
        self.argv = argv
        if len({d for d, _ in child_fds}) != len(child_fds) or \
                any(d in (0, 1, 2) for d, _ in child_fds):
            raise ValueError("child fd numbers collide: %r" % child_fds)
        moves = [(dst, src) for dst, src in child_fds if dst != src]
        if moves:
            # bash moves the fds (via temporaries >= 100, so moves may
            # overlap), closes the originals, and execs: same pid.
            script = []
            for i, (dst, src) in enumerate(moves):
                script.append("exec %d>&%d" % (100 + i, src))
            for i, (dst, src) in enumerate(moves):
                script.append("exec %d>&%d %d>&-" % (dst, 100 + i, 100 + i))
            dsts = {d for d, _ in child_fds}
            for _, src in moves:
                if src not in dsts:
                    script.append("exec %d>&-" % src)
            script.append('exec "$@"')
            run = ["bash", "-c", "; ".join(script), "s6-tlsd-io"] + argv
        else:
            run = argv
        self.proc = Proc(run, name="s6-tlsd-io", stdin=sock.fileno(), stdout=sock.fileno(),
                         pass_fds=[src for _, src in child_fds], env=self.env,
                         close_fds=True)
        self.procs.append(self.proc)
        if self.app is not None:
            self.app_proc = Proc(list(self.app), name=self.app[0], stdin=fdw_r,
                                 stdout=fdr_w, close_fds=True)
            self.procs.append(self.app_proc)
            self.close_fd(fdw_r)
            self.close_fd(fdr_w)
            self.app_read_fd = self.app_write_fd = None
        if self.spy_fdr:
            self.fdr_spy = self._fd(os.dup(fdr_r))
        # Only the child keeps the network socket and its pipe ends.
        self.close_fd(fdr_r)
        self.close_fd(fdw_w)
        self.close_fd(notif_w)
        self.socks.remove(sock)
        sock.close()
        self.server_sock = None
        return self

    def client(self, ctx=None, server_hostname=None, handshake=True, timeout=10, **connect_kw):
        """Connects a BioClient, starts s6-tlsd-io, and (by default) runs
        the handshake. Returns the client."""
        c = BioClient(self.connect(**connect_kw), ctx, server_hostname)
        self.start()
        if handshake:
            c.handshake(timeout)
        return c

    # -- app side helpers
    def close_app_write(self):
        """The app closes its output: s6-tlsd-io reads EOF on fdr."""
        fd, self.app_write_fd = self.app_write_fd, None
        self.close_fd(fd)

    def close_app_read(self):
        fd, self.app_read_fd = self.app_read_fd, None
        self.close_fd(fd)

    def app_reader(self, sink=None, timeout=60, limit=None, close=True):
        """Thread draining app_read_fd into sink (default: a new Sink) until
        EOF; worker.result is the byte count, worker.sink the sink."""
        sink = sink or Sink()
        fd = self.take_fd(self.app_read_fd)
        self.app_read_fd = None if close else fd
        w = Worker(fd_drain, fd, sink, timeout, close, limit, name="app-reader")
        w.sink = sink
        w.start()
        return w

    def app_writer(self, chunks, timeout=60, close=True, delay=0):
        """Thread writing chunks to app_write_fd, then closing it."""
        fd = self.take_fd(self.app_write_fd)
        self.app_write_fd = None if close else fd

        def run():
            if delay:
                time.sleep(delay)
            return fd_write_chunks(fd, chunks, timeout, close)
        w = Worker(run, name="app-writer")
        w.start()
        return w

    def app_fds(self):
        """Hands both app fds to the caller: (read_fd, write_fd)."""
        r, w = self.take_fd(self.app_read_fd), self.take_fd(self.app_write_fd)
        self.app_read_fd = self.app_write_fd = None
        return r, w

    def app_read_all(self, timeout=30):
        """Reads what s6-tlsd-io writes to fdw until EOF (closes the fd)."""
        fd = self.take_fd(self.app_read_fd)
        self.app_read_fd = None
        return fd_read_all(fd, timeout)

    def read_notif(self, timeout=10):
        """The whole notification block (read until s6-tlsd-io closes it)."""
        fd = self.take_fd(self.notif_read_fd)
        self.notif_read_fd = None
        return fd_read_all(fd, timeout)

    # -- process helpers
    def wait(self, timeout=30):
        return self.proc.wait(timeout)

    def stderr(self):
        return self.proc.stderr() if self.proc else ""

    def status(self):
        return self.proc.status()

    def monitor_memory(self, interval=0.05):
        self.monitor = MemoryMonitor(self.proc.pid, interval)
        return self.monitor

    def describe(self):
        return "argv=%r rc=%r stderr=%r" % (self.argv, self.proc.p.returncode if self.proc else None,
                                            self.stderr())

    def cleanup(self):
        if self.monitor:
            self.monitor.stop()
        for p in self.procs:
            p.cleanup()
        for fd in list(self.fds):
            _close_quietly(fd)
        self.fds.clear()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.socks = []


def notif_entries(cipher, sni=None, peer_hash=None, peer_subject=None):
    """The entries the spec expects in a -d block (without ALPN)."""
    def ent(name, value):
        return name if value is None else "%s=%s" % (name, value)
    return ["SSL_PROTOCOL=TLSv1.2", ent("SSL_CIPHER", cipher),
            ent("SSL_TLS_SNI_SERVERNAME", sni), ent("SSL_PEER_CERT_HASH", peer_hash),
            ent("SSL_PEER_CERT_SUBJECT", peer_subject)]


def parse_notif(block):
    """Splits a notification block into a list of entries (bytes -> str).
    Raises AssertionError unless it ends with exactly two NULs."""
    if not block.endswith(b"\0\0"):
        raise AssertionError("notification block does not end with two NULs: %r" % block)
    body = block[:-1]
    entries = body.split(b"\0")[:-1]
    if any(e == b"" for e in entries):
        raise AssertionError("empty entry inside notification block: %r" % block)
    return [e.decode() for e in entries]


# ---------------------------------------------------------------------------
# unittest glue


class TunnelTestCase(unittest.TestCase):
    """Per-test hard time limit and cleanup of every tunnel and thread."""

    TEST_TIMEOUT = 60

    def setUp(self):
        self._tunnels = []
        self._workers = []
        faulthandler.dump_traceback_later(self.TEST_TIMEOUT + 15, exit=True)

        def alarm(signum, frame):
            raise TimeoutError("test exceeded its %ss time limit" % self.TEST_TIMEOUT)
        self._old_alarm = signal.signal(signal.SIGALRM, alarm)
        signal.alarm(self.TEST_TIMEOUT)
        self._t0 = time.monotonic()

    def tearDown(self):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self._old_alarm)
        for t in self._tunnels:
            t.cleanup()
        for w in self._workers:
            w.join(2)
        faulthandler.cancel_dump_traceback_later()

    def tunnel(self, **kw):
        t = Tunnel(**kw)
        self._tunnels.append(t)
        return t

    def worker(self, fn, *args, **kw):
        w = spawn(fn, *args, **kw)
        self._workers.append(w)
        return w

    def note(self, fmt, *args):
        """A measurement or observation, printed to stderr (ctest -V)."""
        sys.stderr.write("  [%s] %s\n" % (self.id().rsplit(".", 1)[-1], fmt % args))
        sys.stderr.flush()

    def diag(self, t, client=None):
        """A description of the tunnel's state for failure messages: exit
        status (waits up to 2 s for it), stderr, the client's events."""
        rc = t.proc.poll() if t.proc else None
        if t.proc and rc is None:
            try:
                rc = t.proc.p.wait(2)
            except Exception:  # noqa
                rc = None
        out = "s6-tlsd-io: %s, stderr %r" % ("running" if rc is None else "exit %d" % rc,
                                             t.stderr())
        if client is not None:
            out += "; client: sent %d received %d events %r" % (client.sent, client.received,
                                                                client.events)
        return out

    def assertExit(self, t, code, timeout=10):
        rc = t.wait(timeout)
        self.assertEqual(rc, code, "s6-tlsd-io exit %r, expected %r; %s"
                         % (rc, code, t.describe()))
        return rc

    def assertFatal(self, t, *words):
        """stderr has a `s6-tlsd-io: fatal:` line, containing each word."""
        err = t.stderr()
        lines = [l for l in err.splitlines() if l.startswith("s6-tlsd-io: fatal:")]
        self.assertTrue(lines, "no 's6-tlsd-io: fatal:' line on stderr: %r" % err)
        for w in words:
            self.assertTrue(any(w in l for l in lines),
                            "fatal line does not mention %r: %r" % (w, lines))
        return lines


def main():
    faulthandler.enable()
    unittest.main(verbosity=2)
