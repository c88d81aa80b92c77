"""Load: many TLS connections through ucspi-tcp's tcpserver and s6-tlsd.

`tcpserver -c 200` runs `s6-tlsd -- APP` per connection, APP being `cat`
under a name unique to this run (a symlink in a temporary directory), so
that its processes can be told apart from anybody else's. 2000 connections
are made, 200 at a time (a pool of 200 threads using Python's ssl), each a
full handshake, then 1-4 KiB of random bytes sent and the same bytes read
back (the app echoes them), then a close. Zero failures allowed.

Afterwards, within a grace period:
  - tcpserver saw every connection end, with status 0;
  - every s6-tlsd-io exited 0 (this process is a child subreaper: each
    s6-tlsd-io, left behind when APP exits, is reparented here and reaped
    by a reaper thread, which records its exit status);
  - no s6-tlsd, s6-tlsd-io or APP process is left (processes below this
    one whose command line names those binaries);
  - tcpserver holds as many descriptors as before the run, and has no
    zombie child.
A summary line (connections, elapsed, connections/s, failures, leftovers)
is printed on stderr.
"""

import concurrent.futures
import ctypes
import os
import random
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402

CONNS = 2000
PARALLEL = 200
SIZES = (1024, 4096)        # bytes each connection sends (and gets back)
SOCK_TIMEOUT = 60           # per socket operation
RUN_TIMEOUT = 170           # the whole client phase
GRACE = 15                  # for processes to end after the run


def set_subreaper():
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


proc_table = tlsdio.proc_table
descendants = tlsdio.descendants


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class Reaper(threading.Thread):
    """Reaps this process's children other than `keep` (orphans reparented
    to us as a subreaper), recording {comm: [exit codes]}."""

    def __init__(self, keep):
        super().__init__(daemon=True, name="reaper")
        self.keep = set(keep)
        self.codes = {}
        self.lock = threading.Lock()
        self._halt = threading.Event()

    def reap_once(self):
        n = 0
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return n
            if info is None or info.si_pid in self.keep:
                return n
            pid = info.si_pid
            try:
                with open("/proc/%d/stat" % pid) as f:
                    s = f.read()
                comm = s[s.index("(") + 1:s.rindex(")")]
            except OSError:
                comm = "?"
            try:
                _, st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            with self.lock:
                self.codes.setdefault(comm, []).append(os.waitstatus_to_exitcode(st))
            n += 1

    def run(self):
        while not self._halt.is_set():
            self.reap_once()
            self._halt.wait(0.05)

    def stop(self):
        self._halt.set()
        self.join(5)
        self.reap_once()

    def count(self, comm):
        with self.lock:
            return len(self.codes.get(comm, []))


class Load(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 240

    def setUp(self):
        super().setUp()
        if not shutil.which("tcpserver"):
            self.fail("tcpserver not found on PATH: install Debian's ucspi-tcp "
                      "(sh tests/deps.sh test)")
        set_subreaper()
        self.tmp = tempfile.mkdtemp(prefix="tlsd-load-")
        self.app = os.path.join(self.tmp, "echo-app")
        os.symlink(shutil.which("cat"), self.app)
        self.tlsd = tlsdio.bin_path("s6-tlsd")
        self.tlsdio = tlsdio.bin_path("s6-tlsd-io")
        self.srv = None
        self.reaper = None

    def tearDown(self):
        if self.srv:
            self.srv.stop()
        # Anything of ours still running below us: killed, then reaped.
        for pid in self.ours():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.reaper:
            time.sleep(0.1)
            self.reaper.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def ours(self, table=None):
        """{pid: cmdline} of live processes below us (tcpserver aside)
        running s6-tlsd, s6-tlsd-io or the app."""
        out = {}
        for pid, (comm, _, st) in descendants(os.getpid(), table).items():
            if st == "Z" or (self.srv and pid == self.srv.p.pid):
                continue
            cl = cmdline(pid)
            if any(p in cl for p in (self.tlsd, self.tlsdio, self.app)):
                out[pid] = cl
        return out

    def test_2000_connections_200_at_a_time(self):
        env = tlsdio.base_env("ec256")
        self.srv = srv = tlsdio.TcpServer([self.tlsd, "--", self.app], env, PARALLEL, 1024)
        self.reaper = Reaper({srv.p.pid})
        self.reaper.start()
        # the baseline once tcpserver says it is ready (just after start
        # it may still hold a descriptor or two)
        srv.wait_ready(30)
        fds_before = srv.fds()
        ctx = ssl.create_default_context(cafile=tlsdio.certs().ca)
        rnd = random.Random(0x10AD)
        sizes = [rnd.randint(*SIZES) for _ in range(CONNS)]
        port = srv.port
        done = [0]
        lock = threading.Lock()

        def one(i):
            data = os.urandom(sizes[i])
            stage = "connect"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=SOCK_TIMEOUT) as s:
                    stage = "handshake"
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                        if t.version() != "TLSv1.2":
                            return "#%d: protocol %s" % (i, t.version())
                        stage = "send"
                        t.sendall(data)
                        stage = "echo"
                        got = bytearray()
                        while len(got) < len(data):
                            b = t.recv(65536)
                            if not b:
                                return "#%d: EOF after %d of %d echoed bytes" % (
                                    i, len(got), len(data))
                            got += b
                        if got != data:
                            return "#%d: %d bytes echoed differ" % (i, len(data))
            except (OSError, ssl.SSLError) as e:
                return "#%d: %s: %r" % (i, stage, e)
            with lock:
                done[0] += 1
            return None

        t0 = time.monotonic()
        failures = []
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as ex:
            futs = [ex.submit(one, i) for i in range(CONNS)]
            try:
                for f in concurrent.futures.as_completed(futs, timeout=RUN_TIMEOUT):
                    r = f.result()
                    if r:
                        failures.append(r)
            except concurrent.futures.TimeoutError:
                failures.append("run not finished after %ds: %d of %d done"
                                % (RUN_TIMEOUT, done[0], CONNS))
                for f in futs:
                    f.cancel()
        elapsed = time.monotonic() - t0

        # Grace period: every connection's processes end and are reaped.
        dl = tlsdio.Deadline(GRACE)
        while not dl.expired():
            if len(srv.exit_codes()) >= CONNS and self.reaper.count("s6-tlsd-io") >= CONNS \
                    and not self.ours() and srv.last_status() == "0/%d" % PARALLEL:
                break
            time.sleep(0.1)
        table = proc_table()
        leftovers = self.ours(table)
        zombies = {pid: comm for pid, (comm, ppid, st) in table.items()
                   if ppid == srv.p.pid and st == "Z"}
        fds_after = srv.fds()
        ends = srv.exit_codes()
        bad_ends = [c for c in ends if c != 0]
        io_codes = list(self.reaper.codes.get("s6-tlsd-io", []))
        bad_io = [c for c in io_codes if c != 0]
        sys.stderr.write(
            "load: %d connections, %d at a time, %d-%d bytes echoed each: %.2fs, "
            "%.0f conn/s, %d failures; tcpserver: %d ends (%d nonzero), fds %d -> %d, "
            "%d zombies; s6-tlsd-io: %d reaped (%d nonzero); %d leftover processes\n"
            % (CONNS, PARALLEL, SIZES[0], SIZES[1], elapsed, CONNS / elapsed, len(failures),
               len(ends), len(bad_ends), len(fds_before), len(fds_after), len(zombies),
               len(io_codes), len(bad_io), len(leftovers)))
        sys.stderr.flush()

        self.assertEqual(failures[:20], [], "%d failures (first 20 shown)" % len(failures))
        self.assertEqual(done[0], CONNS)
        self.assertEqual(leftovers, {}, "processes left after %ds" % GRACE)
        self.assertEqual(zombies, {}, "zombie children of tcpserver")
        self.assertEqual(fds_after, fds_before, "tcpserver's descriptors")
        self.assertEqual(len(ends), CONNS, "connections tcpserver saw end: %r"
                         % srv.lines[-10:])
        self.assertEqual(bad_ends, [], "nonzero exits of the app")
        self.assertEqual(len(io_codes), CONNS, "s6-tlsd-io processes reaped: %r"
                         % self.reaper.codes)
        self.assertEqual(bad_io, [], "nonzero exits of s6-tlsd-io")


if __name__ == "__main__":
    tlsdio.main()
