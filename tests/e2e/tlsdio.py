"""End-to-end test harness for s6-tlsd-io (Python 3 stdlib only).

A test builds a Tunnel: a listening TCP socket on 127.0.0.1, a client
connection to it (a raw socket the test drives, or a client subprocess such
as `openssl s_client`), then the accepted socket handed to a real
s6-tlsd-io as its fd 0 and fd 1, with pipes for fdr/fdw (and optionally the
-d notification fd). The app side is either in-process (the test reads
Tunnel.app_read_fd and writes Tunnel.app_write_fd) or a subprocess (app=
['cat']).

Environment (set by ctest, see tests/CMakeLists.txt):
  TLSD_BIN_DIR  directory holding s6-tlsd-io (and s6-tlsd)
  TLSD_CERTS    output directory of tests/gen-certs.sh; when unset, the
                harness runs gen-certs.sh into a temporary directory.

Every blocking operation here takes a timeout; every child process and fd
is registered with the Tunnel and cleaned up by Tunnel.cleanup(), which
TunnelTestCase calls after each test. TunnelTestCase also puts a hard time
limit on each test (TEST_TIMEOUT seconds: SIGALRM raises in the main
thread; faulthandler kills the whole process 15 s later if that is not
enough).

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
import hashlib
import os
import random
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))

# Chunk sizes cycled by bulk transfers: tiny, odd, around a record size.
ODD_SIZES = (1, 7, 4093, 16385, 65537)

AEAD_SUITES_EC = ("ECDHE-ECDSA-AES128-GCM-SHA256",
                  "ECDHE-ECDSA-AES256-GCM-SHA384",
                  "ECDHE-ECDSA-CHACHA20-POLY1305")
AEAD_SUITES_RSA = ("ECDHE-RSA-AES128-GCM-SHA256",
                   "ECDHE-RSA-AES256-GCM-SHA384",
                   "ECDHE-RSA-CHACHA20-POLY1305")
CBC_SUITES_EC = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384")
CBC_SUITES_RSA = ("ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384")

NOTIF_NAMES = ("SSL_PROTOCOL", "SSL_CIPHER", "SSL_TLS_SNI_SERVERNAME",
               "SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT")

# ---------------------------------------------------------------------------
# Locations


def bin_path(name="s6-tlsd-io"):
    d = os.environ.get("TLSD_BIN_DIR")
    if not d:
        for cand in ("build-e2e/src", "build/src"):
            p = os.path.join(SRCDIR, cand)
            if os.path.exists(os.path.join(p, name)):
                d = p
                break
    if not d:
        raise unittest.SkipTest("TLSD_BIN_DIR is not set")
    p = os.path.join(d, name)
    if not os.access(p, os.X_OK):
        raise AssertionError("%s is not an executable" % p)
    return p


class Certs:
    """Paths into a gen-certs.sh output directory."""

    NAMES = ("ec256", "ec384", "ec521", "rsa2048")

    def __init__(self, directory):
        self.dir = directory

    def path(self, fname):
        return os.path.join(self.dir, fname)

    @property
    def ca(self):
        return self.path("ca.pem")

    def key(self, name="ec256", form="key.pem"):
        """form: key.pem (PKCS#8), key.der, key.trad.pem, key.trad.der"""
        return self.path("%s.%s" % (name, form))

    def chain(self, name="ec256"):
        return self.path("%s.chain.pem" % name)

    def crt(self, name="ec256", form="crt.pem"):
        return self.path("%s.%s" % (name, form))


_certs = None
_certs_lock = threading.Lock()


def certs():
    global _certs
    with _certs_lock:
        if _certs is None:
            d = os.environ.get("TLSD_CERTS")
            if not d or not os.path.exists(os.path.join(d, "ca.pem")):
                d = tempfile.mkdtemp(prefix="tlsdio-certs-")
                import atexit
                atexit.register(shutil.rmtree, d, True)
                subprocess.run(["sh", os.path.join(SRCDIR, "tests", "gen-certs.sh"), d],
                               check=True, timeout=60)
            _certs = Certs(d)
        return _certs


# ---------------------------------------------------------------------------
# Time


class Deadline:
    def __init__(self, timeout):
        self.timeout = timeout
        self.end = time.monotonic() + timeout

    def left(self, what="operation"):
        r = self.end - time.monotonic()
        if r <= 0:
            raise TimeoutError("%s timed out after %.1fs" % (what, self.timeout))
        return r

    def expired(self):
        return time.monotonic() >= self.end


def wait_until(pred, timeout, interval=0.02, what="condition"):
    """Polls pred() until true; returns its value or raises TimeoutError."""
    dl = Deadline(timeout)
    while True:
        v = pred()
        if v:
            return v
        time.sleep(min(interval, max(0.0, dl.left(what))))


def wait_still(get, limit, still=1.0, timeout=60, what="counter"):
    """Polls get() (a growing byte count) until it has not moved for
    `still` seconds, and returns it; fails once it reaches `limit` (what
    backpressure should have bounded) or after `timeout`. A pause of a
    busy machine may end the wait early: callers check a bound, never
    that a fixed window saw nothing move."""
    dl = Deadline(timeout)
    v, since = get(), time.monotonic()
    while True:
        if v >= limit:
            raise AssertionError("%s reached %d bytes: not held back" % (what, v))
        if time.monotonic() - since >= still:
            return v
        time.sleep(min(0.05, dl.left("wait for %s to stop" % what)))
        n = get()
        if n != v:
            v, since = n, time.monotonic()


# ---------------------------------------------------------------------------
# Data


_PERIOD = (4 << 20) + 4099          # not a multiple of any chunk or record size
_table = None


def _pattern_table():
    global _table
    with _certs_lock:
        if _table is None:
            b = random.Random(0x5EED).randbytes(_PERIOD)
            _table = memoryview(b + b)
        return _table


class Pattern:
    """A deterministic pseudo-random stream of `total` bytes, cut into chunks
    whose sizes cycle through `sizes`. Iterate it to get memoryview chunks;
    the SHA-256 of what was produced so far is digest(). Streams with
    different `start` differ."""

    def __init__(self, total, sizes=ODD_SIZES, start=0):
        self.total = total
        self.sizes = tuple(sizes)
        self.start = start % _PERIOD
        self.produced = 0
        self.sha = hashlib.sha256()

    def __iter__(self):
        t = _pattern_table()
        off = self.start
        i = 0
        while self.produced < self.total:
            n = min(self.sizes[i % len(self.sizes)], self.total - self.produced, _PERIOD)
            i += 1
            mv = t[off:off + n]
            self.sha.update(mv)
            off = (off + n) % _PERIOD
            self.produced += n
            yield mv

    def digest(self):
        return self.sha.hexdigest()

    def bytes(self):
        """The whole stream at once (small totals only)."""
        return b"".join(bytes(c) for c in Pattern(self.total, self.sizes, self.start))


class Sink:
    """Callable that hashes and counts what it is given (thread-safe enough:
    one writer, readers only look at count)."""

    def __init__(self, keep=False):
        self.sha = hashlib.sha256()
        self.count = 0
        self.keep = bytearray() if keep else None

    def __call__(self, data):
        self.sha.update(data)
        self.count += len(data)
        if self.keep is not None:
            self.keep += data

    def digest(self):
        return self.sha.hexdigest()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------
# Descriptors with deadlines


def _poll1(fd, events, timeout):
    p = select.poll()
    p.register(fd, events)
    return p.poll(max(0, int(timeout * 1000)) if timeout is not None else None)


def fd_write_all(fd, data, timeout=30, dl=None):
    """Writes all of data to fd (set non-blocking) before the deadline.
    Raises BrokenPipeError etc. as the write does, TimeoutError on timeout."""
    dl = dl or Deadline(timeout)
    os.set_blocking(fd, False)
    mv = memoryview(data)
    while mv:
        try:
            n = os.write(fd, mv)
            mv = mv[n:]
            continue
        except BlockingIOError:
            pass
        _poll1(fd, select.POLLOUT, min(dl.left("write to fd %d" % fd), 0.5))
    return len(data)


def fd_write_chunks(fd, chunks, timeout=60, close=True):
    """Writes every chunk of an iterable (e.g. a Pattern) to fd, then closes
    fd if `close`. Returns the number of bytes written."""
    dl = Deadline(timeout)
    total = 0
    try:
        for c in chunks:
            fd_write_all(fd, c, dl=dl)
            total += len(c)
    finally:
        if close:
            _close_quietly(fd)
    return total


def fd_read_some(fd, timeout=30, size=1 << 18):
    """One read: returns data, or b'' at EOF. TimeoutError if nothing comes."""
    dl = Deadline(timeout)
    os.set_blocking(fd, False)
    while True:
        try:
            return os.read(fd, size)
        except BlockingIOError:
            pass
        _poll1(fd, select.POLLIN, min(dl.left("read from fd %d" % fd), 0.5))


def fd_read_exact(fd, n, timeout=30):
    dl = Deadline(timeout)
    buf = bytearray()
    while len(buf) < n:
        d = fd_read_some(fd, dl.left("read_exact"), min(1 << 18, n - len(buf)))
        if not d:
            raise EOFError("EOF after %d of %d bytes on fd %d" % (len(buf), n, fd))
        buf += d
    return bytes(buf)


def fd_drain(fd, sink, timeout=60, close=True, limit=None):
    """Reads fd until EOF (or `limit` bytes), feeding sink (a callable).
    Returns the byte count."""
    dl = Deadline(timeout)
    n = 0
    try:
        while limit is None or n < limit:
            want = 1 << 18 if limit is None else min(1 << 18, limit - n)
            d = fd_read_some(fd, dl.left("drain fd %d" % fd), want)
            if not d:
                break
            sink(d)
            n += len(d)
    finally:
        if close:
            _close_quietly(fd)
    return n


def fd_read_all(fd, timeout=30, close=True):
    s = Sink(keep=True)
    fd_drain(fd, s, timeout, close)
    return bytes(s.keep)


def _close_quietly(fd):
    try:
        os.close(fd)
    except OSError:
        pass


# ---------------------------------------------------------------------------
# Threads


class Worker(threading.Thread):
    """A daemon thread that keeps its result or exception for get()."""

    def __init__(self, fn, *args, name=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "worker"), daemon=True)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.result = None
        self.exc = None
        self.tb = None

    def run(self):
        try:
            self.result = self.fn(*self.args, **self.kwargs)
        except BaseException as e:  # noqa
            self.exc = e
            self.tb = traceback.format_exc()

    def get(self, timeout=30):
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError("thread %s still running after %ss" % (self.name, timeout))
        if self.exc is not None:
            raise AssertionError("thread %s failed:\n%s" % (self.name, self.tb)) from self.exc
        return self.result


def spawn(fn, *args, **kwargs):
    w = Worker(fn, *args, **kwargs)
    w.start()
    return w


# ---------------------------------------------------------------------------
# /proc


def proc_status(pid):
    """VmHWM, VmRSS, ... (kB) and State of a live process, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    out = {}
    for line in lines:
        k, _, v = line.partition(":")
        v = v.strip()
        if k.startswith("Vm") and v.endswith(" kB"):
            out[k] = int(v[:-3])
        elif k in ("State", "Name"):
            out[k] = v
    return out


def proc_cpu_seconds(pid):
    """utime+stime of a live process in seconds, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    fields = s.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------
# Processes


class Proc:
    """A child process with its stderr collected in a temporary file."""

    def __init__(self, argv, name=None, stderr_to_file=True, **popen_kw):
        self.name = name or os.path.basename(argv[0])
        self.argv = argv
        self.errf = tempfile.TemporaryFile() if stderr_to_file else None
        if self.errf is not None:
            popen_kw.setdefault("stderr", self.errf)
        self.started = time.monotonic()
        self.p = subprocess.Popen(argv, **popen_kw)
        self.pid = self.p.pid
        self.ended = None

    def poll(self):
        rc = self.p.poll()
        if rc is not None and self.ended is None:
            self.ended = time.monotonic()
        return rc

    def alive(self):
        return self.poll() is None

    def wait(self, timeout):
        """Returns the exit code (negative: killed by that signal). On
        timeout kills the process and raises AssertionError."""
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            st = proc_status(self.pid)
            self.kill()
            raise AssertionError("%s (pid %d) still running after %.1fs, killed; "
                                 "status %s; stderr: %r"
                                 % (self.name, self.pid, timeout, st, self.stderr()))
        if self.ended is None:
            self.ended = time.monotonic()
        return rc

    def elapsed(self):
        return (self.ended or time.monotonic()) - self.started

    def stderr(self):
        if self.errf is None:
            return ""
        try:
            self.errf.seek(0)
            return self.errf.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def status(self):
        return proc_status(self.pid) if self.p.returncode is None else None

    def kill(self):
        if self.p.returncode is None:
            try:
                self.p.kill()
            except OSError:
                pass
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self):
        self.kill()
        for f in (self.p.stdin, self.p.stdout):
            if f:
                try:
                    f.close()
                except OSError:
                    pass
        if self.errf is not None:
            try:
                self.errf.close()
            except OSError:
                pass


class MemoryMonitor:
    """Samples VmHWM/VmRSS of a pid every `interval` seconds in a thread."""

    def __init__(self, pid, interval=0.05):
        self.pid = pid
        self.interval = interval
        self.max_hwm = 0
        self.max_rss = 0
        self.samples = 0
        self.last = None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="memmon")
        self.thread.start()

    def sample(self):
        st = proc_status(self.pid)
        if st and "VmHWM" in st:
            self.last = st
            self.max_hwm = max(self.max_hwm, st["VmHWM"])
            self.max_rss = max(self.max_rss, st.get("VmRSS", 0))
            self.samples += 1
        return st

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self.thread.join(5)


# ---------------------------------------------------------------------------
# The tunnel under test


def base_env(cert="ec256"):
    """os.environ without any KEYFILE*/CERTFILE*/CADIR/CAFILE/TLS_* entry,
    plus KEYFILE/CERTFILE for `cert` (None: neither)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("KEYFILE") or k.startswith("CERTFILE")
                   or k in ("CADIR", "CAFILE", "TLS_UID", "TLS_GID"))}
    if cert:
        c = certs()
        env["KEYFILE"] = c.key(cert)
        env["CERTFILE"] = c.chain(cert)
    return env


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
# TLS clients


def client_context(verify=True, ciphers=None, min_version=None, max_version=None,
                   check_hostname=False, cert=None, key=None):
    """An SSLContext for the Python client: trusts the test CA."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = check_hostname
    if min_version is not None or max_version is not None:
        with warnings.catch_warnings():     # TLSv1/TLSv1_1 are deprecated names
            warnings.simplefilter("ignore")
            if min_version is not None:
                ctx.minimum_version = min_version
            if max_version is not None:
                ctx.maximum_version = max_version
    if verify:
        ctx.load_verify_locations(certs().ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if ciphers:
        ctx.set_ciphers(ciphers)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


class RecordScanner:
    """Follows the TLS record framing of a byte stream (5-byte headers):
    counts records per content type and tells whether the stream so far
    ends on a record boundary."""

    def __init__(self):
        self.header = bytearray()
        self.left = 0                   # body bytes left in the current record
        self.types = {}                 # content type -> record count

    def feed(self, data):
        mv = memoryview(data)
        while mv:
            if self.left:
                n = min(self.left, len(mv))
                self.left -= n
                mv = mv[n:]
                continue
            n = min(5 - len(self.header), len(mv))
            self.header += mv[:n]
            mv = mv[n:]
            if len(self.header) == 5:
                t = self.header[0]
                self.types[t] = self.types.get(t, 0) + 1
                self.left = int.from_bytes(self.header[3:5], "big")
                self.header.clear()

    def at_boundary(self):
        return not self.header and not self.left

    def alerts(self):
        return self.types.get(21, 0)


class BioClient:
    """A TLS client over a raw socket through ssl.MemoryBIO: every byte on
    the wire is under the test's control. Records what it sees at the end
    of the stream in `events`: ('close_notify', n), ('eof', n),
    ('reset', n), ('ssl_error', n, msg), ('data_after_close_notify', k),
    where n is the cleartext byte count received so far."""

    def __init__(self, sock, ctx=None, server_hostname=None, session=None):
        self.sock = sock
        sock.setblocking(False)
        self.ctx = ctx or client_context()
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        # session: an ssl.SSLSession of an earlier connection with the same
        # ctx, to offer for resumption (obj.session_reused tells).
        self.obj = self.ctx.wrap_bio(self.inc, self.out, server_side=False,
                                     server_hostname=server_hostname,
                                     session=session)
        self.pending = bytearray()      # ciphertext not yet on the socket
        self.events = []
        self.got_close_notify = False
        self.tcp_eof = False
        self.reset = False
        self.ssl_error = None
        self.send_error = None
        self.shut_wr = False
        self.received = 0               # cleartext bytes received
        self.sent = 0                   # cleartext bytes handed to the engine
        self.wire_sent = 0              # ciphertext bytes given to the kernel
        self.handshake_bytes = []       # raw flights sent during the handshake
        self.scanner = RecordScanner()  # framing of what the server sent

    # -- low level
    def _collect(self):
        d = self.out.read()
        if d:
            self.pending += d
        return d

    def _send_some(self):
        if not self.pending or self.send_error:
            return 0
        try:
            n = self.sock.send(self.pending[:1 << 20])
        except BlockingIOError:
            return 0
        except OSError as e:
            self.send_error = e
            return 0
        del self.pending[:n]
        self.wire_sent += n
        return n

    def _flush(self, dl):
        while self.pending and not self.send_error:
            if not self._send_some():
                select.select([], [self.sock], [], min(dl.left("send"), 0.5))
        if self.send_error:
            raise self.send_error

    def _recv_raw(self):
        """Returns bytes, b'' at EOF, or None if nothing is available."""
        try:
            d = self.sock.recv(1 << 18)
        except BlockingIOError:
            return None
        except ConnectionResetError:
            self._end_of_stream("reset")
            return b""
        if not d:
            self._end_of_stream("eof")
        else:
            self.scanner.feed(d)
        return d

    def _end_of_stream(self, how):
        # The MemoryBIO is not told (no write_eof): OpenSSL 3 would make a
        # TCP EOF without close_notify a fatal error, and then refuse to
        # send anything more, while a half-closed peer may still read.
        # (Everything received so far was decrypted when it came in.)
        if how == "reset":
            self.reset = True
        else:
            self.tcp_eof = True
        self.events.append((how, self.received))
        if not self.scanner.at_boundary():
            self.events.append(("eof_mid_record", self.received))

    def _feed(self, d, sink):
        if d and self.got_close_notify:
            self.events.append(("data_after_close_notify", len(d)))
            return
        if d:
            self.inc.write(d)
        self._decrypt(sink)

    def _decrypt(self, sink):
        if self.got_close_notify or self.ssl_error:
            return
        while True:
            try:
                d = self.obj.read(1 << 18)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.got_close_notify = True
                self.events.append(("close_notify", self.received))
                break
            except ssl.SSLEOFError as e:
                # TCP EOF without close_notify: already recorded as 'eof'.
                if not (self.tcp_eof or self.reset):
                    self.ssl_error = e
                    self.events.append(("ssl_error", self.received, str(e)))
                break
            except ssl.SSLError as e:
                self.ssl_error = e
                self.events.append(("ssl_error", self.received, str(e)))
                break
            if not d:
                # _ssl returns b'' (rather than raising SSLZeroReturnError)
                # for a close_notify when we have not sent ours.
                self.got_close_notify = True
                self.events.append(("close_notify", self.received))
                break
            self.received += len(d)
            if sink:
                sink(d)
        self._collect()

    def recv_done(self):
        return self.tcp_eof or self.reset or self.ssl_error is not None

    # -- handshake
    def handshake(self, timeout=10):
        dl = Deadline(timeout)
        while True:
            try:
                self.obj.do_handshake()
                d = self._collect()
                if d:
                    self.handshake_bytes.append(bytes(d))
                self._flush(dl)
                return self
            except ssl.SSLWantReadError:
                d = self._collect()
                if d:
                    self.handshake_bytes.append(bytes(d))
                self._flush(dl)
                while True:
                    r, _, _ = select.select([self.sock], [], [], min(dl.left("handshake"), 0.5))
                    if r:
                        break
                d = self._recv_raw()
                if d:
                    self.inc.write(d)
                elif d == b"":
                    self.inc.write_eof()

    def cipher(self):
        return self.obj.cipher()[0]

    def version(self):
        return self.obj.version()

    # -- sending
    def encrypt(self, data):
        """Encrypts data into records and returns their bytes WITHOUT sending
        them (use raw_send)."""
        self._collect()
        before = bytes(self.pending)
        self.pending.clear()
        self.obj.write(data)
        self.sent += len(data)
        recs = self.out.read()
        self.pending += before
        return recs

    def raw_send(self, data, timeout=10):
        """Sends bytes as they are (after any pending ciphertext)."""
        self.pending += data
        self._flush(Deadline(timeout))

    def send(self, data, timeout=10):
        self.obj.write(data)
        self.sent += len(data)
        self._collect()
        self._flush(Deadline(timeout))

    def send_close_notify(self, timeout=10):
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        self._collect()
        self._flush(Deadline(timeout))

    def shutdown_wr(self):
        """TCP half-close (FIN), no close_notify."""
        self.sock.shutdown(socket.SHUT_WR)
        self.shut_wr = True

    def reset_connection(self):
        """SO_LINGER 0 + close: the peer gets an RST."""
        import struct
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    # -- receiving
    def recv(self, timeout=10, sink=None):
        """Waits for cleartext; returns it, or b'' when the stream ended
        (look at events for how). TimeoutError if nothing happens."""
        dl = Deadline(timeout)
        keep = Sink(keep=True)

        def both(d):
            keep(d)
            if sink:
                sink(d)
        while True:
            self._decrypt(both)
            if keep.count:
                return bytes(keep.keep)
            if self.recv_done() or self.got_close_notify:
                return b""
            r, _, _ = select.select([self.sock], [], [], min(dl.left("recv"), 0.5))
            if r:
                self._feed(self._recv_raw(), both)

    def recv_exact(self, n, timeout=10):
        dl = Deadline(timeout)
        buf = bytearray()
        while len(buf) < n:
            d = self.recv(dl.left("recv_exact"))
            if not d:
                raise EOFError("stream ended after %d of %d bytes: %r" % (len(buf), n, self.events))
            buf += d
        return bytes(buf)

    def wait_eof(self, timeout=10, sink=None):
        """Reads (into sink) until TCP EOF/reset; returns events."""
        self.pump(sink=sink, timeout=timeout)
        return self.events

    # -- both directions at once
    def pump(self, source=None, sink=None, after="none", timeout=60,
             until="eof", high_water=1 << 18, stop=None):
        """Single-threaded full-duplex loop: sends every chunk of `source`
        (an iterable), feeds received cleartext to `sink`, and stops when
        `until` holds:
          'eof'          the receive side ended (TCP EOF, reset or TLS
                         error) and sending is finished or impossible
          'close_notify' a close_notify arrived (or the stream ended)
          'sent'         everything is sent
        or when stop() (if given) returns true.
        `after` says what to do once source is exhausted: 'none',
        'shutdown' (TCP SHUT_WR), 'close_notify', 'close_notify+shutdown'.
        Returns self.events."""
        dl = Deadline(timeout)
        it = iter(source) if source is not None else None
        sending_done = it is None
        after_done = sending_done and after == "none"
        if it is None and after != "none":
            self._after(after)
            after_done = True
        while True:
            while it is not None and len(self.pending) < high_water and not self.send_error:
                try:
                    c = next(it)
                except StopIteration:
                    it = None
                    sending_done = True
                    break
                self.obj.write(c)
                self.sent += len(c)
                self._collect()
            if sending_done and not after_done and not self.pending:
                self._after(after)
                after_done = True
            send_finished = (sending_done and after_done and not self.pending) or \
                self.send_error is not None or self.reset
            if stop is not None and stop():
                return self.events
            if until == "sent" and send_finished:
                return self.events
            if until == "close_notify" and (self.got_close_notify or self.recv_done()):
                return self.events
            if until == "eof" and self.recv_done() and send_finished:
                return self.events
            rl = [] if self.recv_done() else [self.sock]
            wl = [self.sock] if self.pending and not self.send_error else []
            if not rl and not wl:
                # Nothing to wait on: the other loop conditions decide.
                if self.recv_done() and (self.send_error or not self.pending):
                    return self.events
            r, w, _ = select.select(rl, wl, [], min(dl.left("pump"), 0.5))
            if w:
                self._send_some()
            if r:
                d = self._recv_raw()
                if d is not None:
                    self._feed(d, sink)

    def _after(self, after):
        if after in ("close_notify", "close_notify+shutdown"):
            try:
                self.obj.unwrap()
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                pass
            self._collect()
            self._flush(Deadline(10))
        if after in ("shutdown", "close_notify+shutdown"):
            self.shutdown_wr()


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



def proc_table():
    """{pid: (comm, ppid, state)} for every process."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        rest = s[s.rindex(")") + 2:].split()
        table[int(d)] = (comm, int(rest[1]), rest[0])
    return table


def descendants(root, table=None):
    """{pid: (comm, ppid, state)} of every descendant of root."""
    table = table if table is not None else proc_table()
    kids = {}
    for pid, (_, ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, pending = {}, [root]
    while pending:
        for k in kids.get(pending.pop(), []):
            out[k] = table[k]
            pending.append(k)
    return out



def stop_tree(p, timeout=5):
    """Ends a Popen and everything below it (SIGKILL), reaps it and closes
    its pipes."""
    if p.poll() is None:
        for pid in list(descendants(p.pid)) + [p.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    for f in (p.stdin, p.stdout, p.stderr):
        try:
            if f:
                f.close()
        except OSError:
            pass

def main():
    faulthandler.enable()
    unittest.main(verbosity=2)
