"""End-to-end tests for s6-tlsd (Python 3 stdlib only).

Two kinds of tests:
- FakeIoTests run s6-tlsd with S6_TLSD_IO pointing to a fake s6-tlsd-io
  (a Python script written at run time) that records how it was started
  and sends a notification block chosen by the test. They check s6-tlsd
  alone: the command line it builds, descriptor hygiene, the environment
  given to prog, error handling, exit codes.
- RealIoTests run the real s6-tlsd-io under ucspi-tcp's tcpserver and talk
  to it with Python's ssl module.

With S6_TLSD_FORK_IO=1 in the environment (ctest's e2e_s6_tlsd_fork) every
RealIoTests test runs on the --fork-io path: the child is a fork of
s6-tlsd, not an exec of s6-tlsd-io. FakeIoTests need an s6-tlsd-io to fake
and are skipped then.

Environment (set by ctest): TLSD_BIN_DIR (the build's src dir, with both
binaries), TLSD_CERTS (output of tests/gen-certs.sh).

Every wait has a timeout; every process is killed in tearDown. The test
process makes itself a child subreaper, so s6-tlsd-io processes orphaned
when prog exits are reparented to it and can be found and reaped.
"""

import concurrent.futures
import ctypes
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402

BIN_DIR = os.environ.get("TLSD_BIN_DIR", "")
CERTS = os.environ.get("TLSD_CERTS", "")
S6_TLSD = os.path.join(BIN_DIR, "s6-tlsd")
CA = os.path.join(CERTS, "ca.pem")
KEY = os.path.join(CERTS, "ec256.key.pem")
CHAIN = os.path.join(CERTS, "ec256.chain.pem")
LEAF = os.path.join(CERTS, "ec256.crt.pem")

WAIT = 20  # seconds: upper bound for any single wait
FORK = os.environ.get("S6_TLSD_FORK_IO", "") not in ("", "0")
CONFIG_VARS = ("CADIR", "CAFILE", "KEYFILE", "CERTFILE", "KEYFILE:foo.test",
               "CERTFILE:foo.test", "TLS_UID", "TLS_GID")
NOTIF_NAMES = ("SSL_PROTOCOL", "SSL_CIPHER", "SSL_TLS_SNI_SERVERNAME",
               "SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT")


def set_subreaper():
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def base_env(**extra):
    """The test's environment without anything s6-tlsd looks at."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SSL_", "KEYFILE", "CERTFILE", "FAKE_"))
           and k not in CONFIG_VARS and k != "S6_TLSD_IO"}
    env.update(extra)
    return env


proc_table = tlsdio.proc_table
descendants = tlsdio.descendants


def reap_orphans(known):
    """Reaps zombie children of ours that are not our Popen children."""
    me = os.getpid()
    for pid, (_, ppid, state) in proc_table().items():
        if ppid == me and state == "Z" and pid not in known:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def leftover_tlsd(known, timeout=10):
    """s6-tlsd / s6-tlsd-io processes under us still alive after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        reap_orphans(known)
        left = {p: c for p, (c, _, st) in descendants(os.getpid()).items()
                if c in ("s6-tlsd", "s6-tlsd-io") and st != "Z"}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def open_fds():
    """This process's open fds, as {fd: target} (the listing's own fd,
    closed by the time we look, is dropped)."""
    out = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            out[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            pass
    return out


FAKE_IO = r'''
import json, os, signal, sys, threading, time
args = sys.argv[1:]
fds = {}
for name in os.listdir("/proc/self/fd"):
    try:
        fds[int(name)] = os.readlink("/proc/self/fd/" + name)
    except OSError:
        pass
rec = {"argv": args, "pid": os.getpid(), "fds": fds,
       "env": {k: v for k, v in os.environ.items()
               if k.startswith(("KEYFILE", "CERTFILE", "SSL_"))}}
out = os.environ.get("FAKE_OUT")
if out:
    with open(out + ".tmp", "w") as f:
        json.dump(rec, f)
    os.rename(out + ".tmp", out)
if "FAKE_EXIT" in os.environ:
    os._exit(int(os.environ["FAKE_EXIT"]))
if "FAKE_SIGNAL" in os.environ:
    os.kill(os.getpid(), int(os.environ["FAKE_SIGNAL"]))
i = args.index("--")
fdr, fdw = int(args[i + 1]), int(args[i + 2])
notif = int(args[args.index("-d") + 1])
block = bytes.fromhex(os.environ.get("FAKE_BLOCK", ""))
try:
    os.write(notif, block)  # a pipe: one write is enough for a few KiB
except OSError:
    pass
os.close(notif)
if "FAKE_HANG" in os.environ:  # s6-tlsd must kill us
    time.sleep(600)

def relay(src, dst):
    try:
        while True:
            b = os.read(src, 65536)
            if not b:
                break
            os.write(dst, b)
    except OSError:
        pass
    os.close(dst)

t = threading.Thread(target=relay, args=(0, fdw), daemon=True)
t.start()
relay(fdr, 1)
t.join(30)
'''

# prog for most tests: reports what it was given as one JSON line.
PROG = r'''
import json, os, sys
line = sys.stdin.readline()
fds = {}
for name in os.listdir("/proc/self/fd"):
    try:
        fds[int(name)] = os.readlink("/proc/self/fd/" + name)
    except OSError:
        pass
sys.stdout.write(json.dumps({"pid": os.getpid(), "line": line,
                             "env": dict(os.environ), "fds": fds,
                             "argv": sys.argv[1:]}) + "\n")
'''


def block(*entries):
    return b"".join(e.encode() + b"\0" for e in entries) + b"\0"


GOOD_BLOCK = block("SSL_PROTOCOL=TLSv1.2",
                   "SSL_CIPHER=ECDHE-ECDSA-AES128-GCM-SHA256",
                   "SSL_TLS_SNI_SERVERNAME", "SSL_PEER_CERT_HASH",
                   "SSL_PEER_CERT_SUBJECT")


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(S6_TLSD, os.X_OK):
            raise unittest.SkipTest("TLSD_BIN_DIR/s6-tlsd not built")
        set_subreaper()
        cls.tmp = tempfile.mkdtemp(prefix="test_s6_tlsd.")
        cls.fake = os.path.join(cls.tmp, "fake-io")
        with open(cls.fake, "w") as f:
            f.write(f"#!{sys.executable}\n" + FAKE_IO)
        os.chmod(cls.fake, 0o755)
        cls.prog = os.path.join(cls.tmp, "prog.py")
        with open(cls.prog, "w") as f:
            f.write(PROG)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(WAIT)
            except subprocess.TimeoutExpired:
                pass
            for f in (p.stdin, p.stdout, p.stderr):
                if f:
                    f.close()
        known = {p.pid for p in self.procs}
        for pid, (comm, _, st) in descendants(os.getpid()).items():
            if comm in ("s6-tlsd", "s6-tlsd-io", "fake-io") and st != "Z":
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        time.sleep(0.05)
        reap_orphans(known)

    def popen(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def prog_cmd(self):
        return [sys.executable, self.prog]


class FakeIoTests(Base):
    """s6-tlsd against a fake s6-tlsd-io: no TLS involved."""

    @classmethod
    def setUpClass(cls):
        if FORK:
            raise unittest.SkipTest("--fork-io: no s6-tlsd-io is exec'd")
        super().setUpClass()

    def run_tlsd(self, opts=(), prog=None, blk=GOOD_BLOCK, data=b"hi\n",
                 env=None, **fake):
        """Runs s6-tlsd with fd 0/1 on pipes; returns (rc, out, err, rec)
        where rec is what the fake recorded (None if it did not run)."""
        out = os.path.join(self.tmp, f"io-{self.id()}.json")
        if os.path.exists(out):
            os.unlink(out)
        e = base_env(S6_TLSD_IO=self.fake, FAKE_OUT=out,
                     FAKE_BLOCK=blk.hex())
        e.update({k: str(v) for k, v in fake.items()})
        e.update(env or {})
        cmd = [S6_TLSD, *opts, "--", *(prog or self.prog_cmd())]
        p = self.popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e)
        o, err = p.communicate(data, timeout=WAIT)
        rec = None
        if os.path.exists(out):
            with open(out) as f:
                rec = json.load(f)
        return p.returncode, o, err.decode(errors="replace"), rec, p

    def report(self, o):
        self.assertTrue(o.endswith(b"\n"), o)
        return json.loads(o)

    def test_io_command_line_defaults(self):
        rc, o, err, rec, _ = self.run_tlsd()
        self.assertEqual(rc, 0, err)
        a = rec["argv"]
        self.assertEqual(a[:8], ["-s", "-j", "-v", "1", "-K", "0", "-k", "0"])
        self.assertEqual(a[8], "-d")
        self.assertEqual(a[10], "--")
        self.assertEqual(len(a), 13)

    def test_io_command_line_all_options(self):
        rc, o, err, rec, _ = self.run_tlsd(
            opts=["-S", "-J", "-y", "-v", "2", "-K", "500", "-k", "1",
                  "--alpn=h2,http/1.1", "--alpn-strict", "--legacy-suites", "-Z"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(rec["argv"][:13],
                         ["-S", "-J", "-y", "-v", "2", "-K", "500", "-k", "1",
                          "--alpn=h2,http/1.1", "--alpn-strict", "--legacy-suites", "-d"])
        rc, o, err, rec, _ = self.run_tlsd(
            opts=["--close-notify", "--no-close-notify", "-Y",
                  "--verbosity=3", "--handshake-timeout=7", "--mandatory-sni",
                  "-J", "-j"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(rec["argv"][:9],
                         ["-s", "-j", "-Y", "-v", "3", "-K", "7", "-k", "2"])

    def test_io_descriptors(self):
        rc, o, err, rec, _ = self.run_tlsd()
        self.assertEqual(rc, 0, err)
        a = rec["argv"]
        notif, fdr, fdw = int(a[9]), int(a[11]), int(a[12])
        fds = {int(k): v for k, v in rec["fds"].items()}
        # exactly the network, stderr and its three pipe ends
        self.assertEqual(sorted(fds), sorted({0, 1, 2, notif, fdr, fdw}))
        for fd in (notif, fdr, fdw):
            self.assertTrue(fds[fd].startswith("pipe:"), fds)
        self.assertEqual(len({fds[notif], fds[fdr], fds[fdw]}), 3)

    def test_prog_descriptors_pid_and_data(self):
        rc, o, err, rec, p = self.run_tlsd(prog=[*self.prog_cmd(), "x", "-v"])
        self.assertEqual(rc, 0, err)
        r = self.report(o)
        self.assertEqual(r["pid"], p.pid)  # exec, not fork
        self.assertEqual(r["line"], "hi\n")
        self.assertEqual(r["argv"], ["x", "-v"])
        fds = {int(k): v for k, v in r["fds"].items()}
        self.assertEqual(sorted(fds), [0, 1, 2])
        self.assertTrue(fds[0].startswith("pipe:"))
        self.assertTrue(fds[1].startswith("pipe:"))
        # prog's pipes are the fake's fdw and fdr, not the network
        io = {int(k): v for k, v in rec["fds"].items()}
        a = rec["argv"]
        self.assertEqual(fds[0], io[int(a[12])])
        self.assertEqual(fds[1], io[int(a[11])])
        self.assertNotEqual(fds[0], io[0])

    def test_environment_default_no_keep(self):
        env = {k: "/secret/" + k for k in CONFIG_VARS}
        env.update(SSL_TLS_SNI_SERVERNAME="stale", SSL_PEER_CERT_HASH="stale",
                   SSL_PEER_CERT_SUBJECT="stale", SSL_CIPHER="stale",
                   KEYFILEX="kept", MY_KEYFILE="kept", FOO="bar=baz")
        rc, o, err, rec, _ = self.run_tlsd(env=env)
        self.assertEqual(rc, 0, err)
        # s6-tlsd-io itself sees the configuration
        self.assertEqual(rec["env"]["KEYFILE:foo.test"],
                         "/secret/KEYFILE:foo.test")
        e = self.report(o)["env"]
        for k in CONFIG_VARS:
            self.assertNotIn(k, e)
        self.assertEqual(e["SSL_PROTOCOL"], "TLSv1.2")
        self.assertEqual(e["SSL_CIPHER"], "ECDHE-ECDSA-AES128-GCM-SHA256")
        for k in NOTIF_NAMES[2:]:
            self.assertNotIn(k, e)  # bare entries remove stale values
        self.assertEqual(e["KEYFILEX"], "kept")
        self.assertEqual(e["MY_KEYFILE"], "kept")
        self.assertEqual(e["FOO"], "bar=baz")

    def test_environment_keep(self):
        env = {k: "/secret/" + k for k in CONFIG_VARS}
        for opts in (["-Z"], ["--keep"], ["-z", "-Z"]):
            rc, o, err, rec, _ = self.run_tlsd(opts=opts, env=env)
            self.assertEqual(rc, 0, err)
            e = self.report(o)["env"]
            for k in CONFIG_VARS:
                self.assertEqual(e.get(k), "/secret/" + k, opts)
        rc, o, err, rec, _ = self.run_tlsd(opts=["-Z", "--no-keep"], env=env)
        for k in CONFIG_VARS:
            self.assertNotIn(k, self.report(o)["env"])

    def test_environment_values(self):
        blk = block("SSL_PROTOCOL=TLSv1.2", "SSL_CIPHER=C",
                    "SSL_TLS_SNI_SERVERNAME=www.example.com",
                    "SSL_PEER_CERT_HASH=SHA256:" + "ab" * 32,
                    "SSL_PEER_CERT_SUBJECT=O=A\\, B=C, CN=x y",
                    "SSL_ALPN=h2")
        rc, o, err, rec, _ = self.run_tlsd(blk=blk)
        self.assertEqual(rc, 0, err)
        e = self.report(o)["env"]
        self.assertEqual(e["SSL_TLS_SNI_SERVERNAME"], "www.example.com")
        self.assertEqual(e["SSL_PEER_CERT_HASH"], "SHA256:" + "ab" * 32)
        self.assertEqual(e["SSL_PEER_CERT_SUBJECT"], "O=A\\, B=C, CN=x y")
        self.assertEqual(e["SSL_ALPN"], "h2")

    def test_stale_values_never_reach_prog(self):
        # The block has no SSL_ALPN entry (no --alpn): an inherited value
        # must still not reach prog, nor any other stale SSL_* value.
        stale = {"SSL_ALPN": "stale", "SSL_PEER_CERT_HASH": "stale",
                 "SSL_TLS_SNI_SERVERNAME": "stale"}
        blk = block("SSL_PROTOCOL=TLSv1.2", "SSL_CIPHER=C",
                    "SSL_TLS_SNI_SERVERNAME", "SSL_PEER_CERT_HASH",
                    "SSL_PEER_CERT_SUBJECT")
        rc, o, err, rec, _ = self.run_tlsd(blk=blk, env=stale)
        self.assertEqual(rc, 0, err)
        e = self.report(o)["env"]
        for k in stale:
            self.assertNotIn(k, e)
        self.assertEqual(e["SSL_CIPHER"], "C")

    def test_sigpipe_default_in_prog(self):
        # Popen restores SIGPIPE for s6-tlsd; prog must get it unchanged
        prog = ["sh", "-c", "read x; grep ^SigIgn /proc/$$/status"]
        rc, o, err, rec, _ = self.run_tlsd(prog=prog)
        self.assertEqual(rc, 0, err)
        mask = int(o.split()[1], 16)
        self.assertFalse(mask & (1 << (signal.SIGPIPE - 1)), o)

    def test_handshake_failure_exit_codes(self):
        marker = os.path.join(self.tmp, "prog-ran")
        for code in (96, 97, 98, 100, 111, 3):
            rc, o, err, rec, _ = self.run_tlsd(
                prog=["touch", marker], FAKE_EXIT=code, blk=b"")
            self.assertEqual(rc, code, err)
            self.assertFalse(os.path.exists(marker))
            self.assertEqual(err, "")  # s6-tlsd-io speaks for itself

    def test_io_killed_by_signal(self):
        rc, o, err, rec, _ = self.run_tlsd(FAKE_SIGNAL=int(signal.SIGTERM))
        self.assertEqual(rc, 111)
        self.assertRegex(err, r"^s6-tlsd: fatal: .*signal 15.*\n$")

    def check_malformed(self, blk, what):
        marker = os.path.join(self.tmp, "prog-ran")
        # The fake s6-tlsd-io hangs: s6-tlsd must not wait for it (else
        # run_tlsd's own timeout fails the test).
        rc, o, err, rec, _ = self.run_tlsd(prog=["touch", marker], blk=blk,
                                           FAKE_HANG=1)
        self.assertEqual(rc, 101, (what, err))
        self.assertRegex(err, r"^s6-tlsd: fatal: [^\n]+\n$")
        self.assertFalse(os.path.exists(marker))
        # the fake was killed and reaped, not left behind
        with self.assertRaises(ProcessLookupError):
            os.kill(rec["pid"], 0)

    def test_malformed_blocks(self):
        ok = GOOD_BLOCK
        cases = {
            "no terminator": ok[:-1],
            "missing final NUL": ok[:-2],
            "oversize": block("SSL_CIPHER=" + "x" * 5000),
            "far too big": b"A" * 60000,
            "empty name": block("=x"),
            "bad name": block("ssl_cipher=x"),
            "unknown name": block("SSL_PROTOCOL=TLSv1.2", "LD_PRELOAD=/x.so"),
            "garbage after": ok + b"junk",
            "binary": bytes(range(1, 256)) + b"\0\0",
            "lone NUL": b"\0",
        }
        for what, blk in cases.items():
            with self.subTest(what):
                self.check_malformed(blk, what)

    def test_value_with_equals_and_exact_limit(self):
        # the largest accepted block: 4096 bytes
        pad = 4096 - len("SSL_CIPHER=") - 2
        rc, o, err, rec, _ = self.run_tlsd(
            blk=block("SSL_CIPHER=" + "=" * pad))
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.report(o)["env"]["SSL_CIPHER"], "=" * pad)

    def test_usage(self):
        e = base_env(S6_TLSD_IO=self.fake)
        for args, pat in (([], "usage"), (["--"], "usage"),
                          (["-Z"], "usage"), (["-x", "true"], "-x"),
                          (["-d", "3", "true"], "-d"),
                          (["-v", "nope", "true"], "-v"),
                          (["--frobnicate", "true"], "frobnicate")):
            with self.subTest(args=args):
                p = self.popen([S6_TLSD, *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=e)
                err = p.communicate(timeout=WAIT)[1].decode()
                self.assertEqual(p.returncode, 100)
                self.assertRegex(err, r"^s6-tlsd: fatal: [^\n]*\n$")
                self.assertIn(pat, err)
                self.assertIn("usage: s6-tlsd", err)

    def test_prog_options_untouched(self):
        rc, o, err, rec, _ = self.run_tlsd(
            opts=["-v", "1"], prog=[*self.prog_cmd(), "-S", "--keep", "--"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.report(o)["argv"], ["-S", "--keep", "--"])

    def test_exec_prog_fails(self):
        rc, o, err, rec, _ = self.run_tlsd(prog=["/nonexistent/prog"])
        self.assertEqual(rc, 111)
        self.assertRegex(err, r"^s6-tlsd: fatal: unable to exec "
                         r"/nonexistent/prog: [^\n]+\n$")

    def test_quiet(self):
        rc, o, err, rec, _ = self.run_tlsd(opts=["-v", "0"],
                                           prog=["/nonexistent/prog"])
        self.assertEqual((rc, err), (111, ""))

    def test_io_not_found(self):
        p = self.popen([S6_TLSD, "true"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env=base_env(S6_TLSD_IO="/nonexistent/s6-tlsd-io"))
        err = p.communicate(timeout=WAIT)[1].decode()
        self.assertEqual(p.returncode, 111)
        self.assertRegex(err, r"^s6-tlsd: fatal: unable to spawn "
                         r"/nonexistent/s6-tlsd-io: [^\n]+\n$")

    def test_finds_io_next_to_itself(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        shutil.copy2(S6_TLSD, d)
        shutil.copy2(self.fake, os.path.join(d, "s6-tlsd-io"))
        out = os.path.join(self.tmp, "self-dir.json")
        p = self.popen([os.path.join(d, "s6-tlsd"), *self.prog_cmd()],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE,
                       env=base_env(FAKE_OUT=out, FAKE_BLOCK=GOOD_BLOCK.hex()))
        o, err = p.communicate(b"x\n", timeout=WAIT)
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue(os.path.exists(out))
        # alone, it falls back to the install directory
        os.unlink(os.path.join(d, "s6-tlsd-io"))
        p = self.popen([os.path.join(d, "s6-tlsd"), "true"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=base_env())
        err = p.communicate(timeout=WAIT)[1].decode()
        if p.returncode == 111:
            self.assertIn(d + "/s6-tlsd-io or /", err)


def read_text(path):
    with open(path) as f:
        return f.read()


def client_ctx(cert=False):
    ctx = ssl.create_default_context(cafile=CA)
    if cert:
        ctx.load_cert_chain(CHAIN, KEY)
    return ctx


def tls_exchange(port, request, host="127.0.0.1", cert=False):
    """Connects, sends request, reads to EOF; returns (answer, cipher)."""
    ctx = client_ctx(cert)
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        with ctx.wrap_socket(s, server_hostname=host) as t:
            t.sendall(request)
            chunks = []
            while True:
                b = t.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks), t.cipher()[0]


class RealIoTests(Base):
    """s6-tlsd with the real s6-tlsd-io, behind tcpserver."""

    def server(self, opts=(), prog=None, env=None, conns=100):
        e = base_env(KEYFILE=KEY, CERTFILE=CHAIN)
        e.update(env or {})
        cmd = [S6_TLSD, *opts, "--", *(prog or self.prog_cmd())]
        return tlsdio.TcpServer(cmd, e, conns, popen=self.popen)

    def test_environment_and_pid(self):
        stale = {k: "stale" for k in NOTIF_NAMES}
        srv = self.server(env={**stale, "CAFILE": CA, "TLS_UID": "12345"})
        ans, cipher = tls_exchange(srv.port, b"GET /\n")
        r = json.loads(ans)
        e = r["env"]
        self.assertEqual(r["line"], "GET /\n")
        self.assertEqual(e.get("SSL_PROTOCOL"), "TLSv1.2")
        self.assertEqual(e.get("SSL_CIPHER"), cipher)
        # no SNI for an IP address, no client certificate: all removed
        for k in NOTIF_NAMES[2:]:
            self.assertNotIn(k, e)
        for k in ("KEYFILE", "CERTFILE", "CAFILE", "TLS_UID"):
            self.assertNotIn(k, e)
        self.assertEqual(sorted(int(k) for k in r["fds"]), [0, 1, 2])
        lines = srv.wait_for(lambda ls: any(" end " in x for x in ls), check=False)
        self.assertEqual(srv.pids(), [r["pid"]], lines)
        self.assertEqual(srv.ends(), {r["pid"]: 0})

    def child_while_open(self, srv):
        """Opens a connection to a prog that says its pid and then echoes;
        returns (prog's pid, its child's pid, comm, exe, fds) while the
        connection is still open."""
        ctx = client_ctx()
        with socket.create_connection(("127.0.0.1", srv.port),
                                      timeout=WAIT) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                pid = int(t.recv(64).split(b"\n")[0])
                kids = read_text(f"/proc/{pid}/task/{pid}/children").split()
                self.assertEqual(len(kids), 1, kids)
                kid = int(kids[0])
                comm = read_text(f"/proc/{kid}/comm").strip()
                exe = os.path.basename(os.readlink(f"/proc/{kid}/exe"))
                fds = sorted(int(f) for f in os.listdir(f"/proc/{kid}/fd"))
                status = dict(line.split(":", 1) for line in
                              read_text(f"/proc/{kid}/status").splitlines())
                status = {k: v.split() for k, v in status.items()}
                t.sendall(b"ping\n")
                self.assertEqual(t.recv(64), b"ping\n")
        return pid, kid, comm, exe, fds, status

    def test_child_identity(self):
        """The child is named s6-tlsd-io on both paths; by default it is
        the s6-tlsd-io program (its /proc exe), with --fork-io or
        S6_TLSD_FORK_IO=1 a fork of s6-tlsd. Either way it holds only the
        network, its two pipes, stderr and its ring: no notification fd
        after the handshake, nothing else of s6-tlsd's. Both paths drop
        privileges (TLS_UID/TLS_GID, when root) and run sandboxed
        (no_new_privs, a seccomp filter)."""
        prog = ["/bin/sh", "-c", "echo $$; exec cat"]
        root = os.geteuid() == 0
        ids = {"TLS_UID": "12345", "TLS_GID": "12346"} if root else {}
        cases = [("default", [], {"S6_TLSD_FORK_IO": "0"}, "s6-tlsd-io"),
                 ("--fork-io", ["--fork-io"], {}, "s6-tlsd"),
                 ("env", [], {"S6_TLSD_FORK_IO": "1"}, "s6-tlsd")]
        for name, opts, env, exe_want in cases:
            with self.subTest(path=name):
                srv = self.server(opts=opts, prog=prog, env={**env, **ids})
                _, _, comm, exe, fds, st = self.child_while_open(srv)
                self.assertEqual(comm, "s6-tlsd-io")
                self.assertEqual(exe, exe_want)
                if root:
                    self.assertEqual(st["Uid"], ["12345"] * 4, st["Uid"])
                    self.assertEqual(st["Gid"], ["12346"] * 4, st["Gid"])
                self.assertEqual(st["NoNewPrivs"], ["1"])
                # no filter in sanitizer builds (TLSD_NO_SECCOMP)
                sanitized = os.environ.get("TLSD_SANITIZED") == "1"
                self.assertEqual(st["Seccomp"], ["0" if sanitized else "2"])
                # 0, 1, 2, fdr, fdw and the io_uring (or poll: none)
                self.assertIn(len(fds), (5, 6), fds)
                lines = srv.wait_for(lambda ls: any(" end " in x
                                                    for x in ls), check=False)
                self.assertTrue(all(c == 0 for c in srv.ends().values()),
                                lines)

    def test_sni(self):
        srv = self.server(env={"SSL_TLS_SNI_SERVERNAME": "stale"})
        ans, _ = tls_exchange(srv.port, b"x\n", host="localhost")
        e = json.loads(ans)["env"]
        self.assertEqual(e.get("SSL_TLS_SNI_SERVERNAME"), "localhost")

    def test_unusable_sni_entries(self):
        """A run script written for s6-networking may hold SNI entries that
        can never match (a top-level wildcard, a misplaced '*', an empty
        name): they are ignored, the good name is served, every connection
        exits 0, and at -v 2 a warning names each ignored entry."""
        bad = {"KEYFILE:*.com": "/nonexistent/a", "CERTFILE:*.com": "/nonexistent/b",
               "KEYFILE:www.*": "/nonexistent/c", "KEYFILE:": "/nonexistent/d"}
        for lvl in ("1", "2"):
            with self.subTest(k=lvl):
                srv = self.server(opts=["-k", lvl, "-v", "2"],
                                  env={**bad, "KEYFILE:localhost": KEY,
                                       "CERTFILE:localhost": CHAIN})
                for _ in range(2):
                    e = json.loads(tls_exchange(srv.port, b"x\n", host="localhost")[0])["env"]
                    self.assertEqual(e.get("SSL_TLS_SNI_SERVERNAME"), "localhost")
                lines = srv.wait_for(lambda ls: len(srv.ends()) == 2, check=False)
                self.assertEqual(sorted(srv.ends().values()), [0, 0], lines)
                for name in ("*.com", "www.*", ""):
                    self.assertTrue(any("warning: ignoring KEYFILE:%s:" % name in x
                                        for x in lines), lines)
                self.assertFalse(any("/nonexistent" in x for x in lines), lines)

    def test_keep(self):
        srv = self.server(opts=["-Z"], env={"KEYFILE:foo.test": "/k"})
        e = json.loads(tls_exchange(srv.port, b"x\n")[0])["env"]
        self.assertEqual(e.get("KEYFILE"), KEY)
        self.assertEqual(e.get("CERTFILE"), CHAIN)
        self.assertEqual(e.get("KEYFILE:foo.test"), "/k")

    def test_client_certificate(self):
        with open(LEAF) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        srv = self.server(opts=["-Y"], env={"CAFILE": CA})
        e = json.loads(tls_exchange(srv.port, b"x\n", cert=True)[0])["env"]
        self.assertEqual(e.get("SSL_PEER_CERT_HASH"),
                         "SHA256:" + hashlib.sha256(der).hexdigest())
        self.assertEqual(e.get("SSL_PEER_CERT_SUBJECT"),
                         "O=s6-tlsd tests, CN=localhost")

    def run_direct(self, env, client, opts=(), timeout=WAIT):
        """s6-tlsd on one end of a socketpair; client(sock) drives the
        other. Returns (rc, stderr, whether prog ran)."""
        marker = os.path.join(self.tmp, f"ran-{time.monotonic_ns()}")
        a, b = socket.socketpair()
        with a, b:
            p = self.popen([S6_TLSD, *opts, "touch", marker], stdin=a,
                           stdout=a, stderr=subprocess.PIPE, env=env)
            a.close()
            b.settimeout(timeout)
            client(b)
            err = p.communicate(timeout=timeout)[1].decode()
        return p.returncode, err, os.path.exists(marker)

    def test_not_tls_client(self):
        def client(s):
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
        env = base_env(KEYFILE=KEY, CERTFILE=CHAIN)
        rc, err, ran = self.run_direct(env, client)
        self.assertEqual(rc, 98, err)
        self.assertFalse(ran)
        self.assertRegex(err, r"^s6-tlsd-io: fatal: ")

    def test_handshake_timeout(self):
        env = base_env(KEYFILE=KEY, CERTFILE=CHAIN)
        t0 = time.monotonic()
        rc, err, ran = self.run_direct(env, lambda s: None,
                                       opts=["-K", "300"])
        self.assertEqual(rc, 98, err)
        self.assertFalse(ran)
        # not before the timeout; the upper bound is run_direct's wait
        self.assertGreaterEqual(time.monotonic() - t0, 0.25)

    def test_no_keyfile(self):
        rc, err, ran = self.run_direct(base_env(CERTFILE=CHAIN),
                                       lambda s: None)
        self.assertEqual(rc, 100, err)
        self.assertFalse(ran)
        self.assertIn("KEYFILE", err)

    def test_mandatory_client_cert_missing(self):
        srv = self.server(opts=["-y"], env={"CAFILE": CA})
        with self.assertRaises((ssl.SSLError, OSError)):
            ans, _ = tls_exchange(srv.port, b"x\n")
            if not ans:  # TLS 1.2: the failure may show only on read
                raise OSError("no answer")
        srv.wait_for(lambda ls: srv.ends(), check=False)
        self.assertEqual(list(srv.ends().values()), [98])

    def test_many_connections(self):
        prog = ["sh", "-c", 'read n && exec head -c "$n"']
        srv = self.server(prog=prog)
        # the baseline, once tcpserver is idle: it says so when it is ready
        # (just after start it may still hold a descriptor or two)
        srv.wait_for(lambda ls: any(l.startswith("tcpserver: status: 0/")
                                    for l in ls), check=False)
        before = srv.nfds()
        rnd = random.Random(1234)
        sizes = [rnd.choice((0, 1, 7, 4093, 16384, 16385, 49999))
                 if i % 3 == 0 else rnd.randrange(0, 50000)
                 for i in range(100)]

        def one(i):
            data = os.urandom(sizes[i])
            try:
                ans, _ = tls_exchange(srv.port, b"%d\n" % len(data) + data)
            except (OSError, ssl.SSLError) as e:
                return f"#{i}: sent {len(data)} bytes: {e!r}"
            if ans != data:
                return f"#{i}: sent {len(data)} bytes, got {len(ans)} back" \
                    + (" (different)" if len(ans) == len(data) else "")
            return None

        with concurrent.futures.ThreadPoolExecutor(20) as ex:
            results = list(ex.map(one, range(100), timeout=150))
        self.assertEqual([r for r in results if r], [])
        srv.wait_for(lambda ls: len(srv.ends()) >= 100, timeout=60, check=False)
        ends = srv.ends()
        self.assertEqual(len(ends), 100)
        self.assertEqual(set(ends.values()), {0})
        self.assertEqual(leftover_tlsd({p.pid for p in self.procs}), {})
        # tcpserver is back to its idle descriptors: nothing leaked
        srv.wait_for(lambda ls: ls and ls[-1].startswith("tcpserver: status: 0/"),
                     check=False)
        self.assertEqual(srv.nfds(), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
