"""s6-tlsd-io under valgrind memcheck, end to end: a handshake and 1 MiB
each way with Python's ssl (io_uring engine, then poll), and failed
handshakes (a client that is not TLS, a ClientHello cut short, a client
that offers nothing the server takes). Every run must end with no memcheck
error and no definite or indirect leak (valgrind --error-exitcode=42).

The release binary is run as it is, with one test-only change in its
environment. s6-tlsd-io installs a seccomp filter after set-up, and the
filter refuses mmap(2): valgrind runs in the same process and makes its
own system calls there, and it grows its shadow memory and translation
cache with mmap as the program runs, so the first new page after the
filter is fatal to it ("Valgrind's memory management: out of memory").
(With mmap allowed, and valgrind's --run-libc-freeres=no, which avoids a
futex call at exit, it runs fine under the filter.) Unless the filter lets
valgrind live (probed once, without the shim), the program is run with
an LD_PRELOAD shim that makes prctl(PR_SET_SECCOMP) a successful no-op:
everything else (no_new_privs, not dumpable) is as in production, and the
binary itself has no switch to skip its sandbox. The shim records that it
was called, so the test also checks that the sandbox step was reached.

valgrind 3.19 knows the io_uring system calls, so the io_uring engine is
checked too; but memcheck does not see the kernel read or write the
buffers an io_uring operation names (the engine's buffers are static, so
there are no false reports). The poll engine's reads and writes are plain
system calls that memcheck does check.

Not registered in sanitizer builds (valgrind cannot run an ASan binary).
Environment: TLSD_BIN_DIR, TLSD_CERTS (see tlsdio.py); TLSD_VALGRIND_IO, the
dynamically linked s6-tlsd-io to run (ctest sets it; the installed
programs are static, which memcheck cannot check)."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import BioClient, Pattern, Sink, client_context  # noqa: E402

MiB = 1 << 20
VALGRIND_OPTS = ["--error-exitcode=42", "--leak-check=full",
                 "--errors-for-leak-kinds=definite,indirect",
                 "--run-libc-freeres=no",  # it takes a futex the filter refuses
                 "--vgdb=no"]

SHIM_C = r"""
/* Test only (test_valgrind.py): prctl(PR_SET_SECCOMP) succeeds and does
 * nothing, so that valgrind may keep calling mmap. Other calls go on. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;
	int i;

	va_start(ap, option);
	for (i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_SECCOMP) {
		const char *log = getenv("TLSD_VG_SHIM_LOG");
		int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;

		if (fd >= 0) {
			(void)!write(fd, "seccomp skipped\n", 16);
			close(fd);
		}
		return 0;
	}
	return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}
"""


def is_asan(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


class Valgrind(tlsdio.TunnelTestCase):
    TEST_TIMEOUT = 150
    tmp = None
    shim = None          # path of the shim .so, when the filter kills valgrind
    probe_note = ""

    @classmethod
    def setUpClass(cls):
        if not shutil.which("valgrind"):
            if os.environ.get("CI"):
                raise AssertionError("valgrind is not installed (tests/deps.sh)")
            raise unittest.SkipTest("valgrind is not installed")
        # memcheck needs a dynamically linked program (to replace malloc,
        # and for the LD_PRELOAD shim): the build makes one for this test
        # when the installed programs are static (TLSD_STATIC_EXE).
        cls.binary = os.environ.get("TLSD_VALGRIND_IO") or tlsdio.bin_path()
        if is_asan(cls.binary):
            raise unittest.SkipTest("an ASan build: valgrind cannot run it")
        cls.tmp = tempfile.mkdtemp(prefix="tlsd-valgrind-")
        cls.probe()

    @classmethod
    def tearDownClass(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp, True)

    # -- set-up

    @classmethod
    def wrapper(cls, name, shim):
        """A script running s6-tlsd-io under valgrind (same pid), its log
        in DIR/vg.log, where DIR is returned with the script's path."""
        d = tempfile.mkdtemp(prefix=name + "-", dir=cls.tmp)
        path = os.path.join(d, "s6-tlsd-io")
        pre = ""
        if shim:
            pre = "LD_PRELOAD=%s TLSD_VG_SHIM_LOG=%s/shim.log " % (shim, d)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n%sexec valgrind %s --log-file=%s/vg.log %s \"$@\"\n"
                    % (pre, " ".join(VALGRIND_OPTS), d, cls.binary))
        os.chmod(path, stat.S_IRWXU)
        return path, d

    @classmethod
    def build_shim(cls):
        src = os.path.join(cls.tmp, "noseccomp.c")
        so = os.path.join(cls.tmp, "noseccomp.so")
        with open(src, "w") as f:
            f.write(SHIM_C)
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not cc:
            raise AssertionError("no C compiler to build the test's prctl shim")
        subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", so, src], check=True,
                       timeout=60)
        return so

    @classmethod
    def probe(cls):
        """A handshake under valgrind with the real filter: if valgrind
        dies of it, the tests use the shim."""
        w, d = cls.wrapper("probe", None)
        t = tlsdio.Tunnel(binary=w)
        try:
            c = BioClient(t.connect())
            t.start()
            try:
                c.handshake(timeout=60)
                c.send(b"x" * 100000)
                tlsdio.fd_read_exact(t.app_read_fd, 100000, 30)
                t.close_app_write()
                c.pump(after="close_notify+shutdown", timeout=30)
            except Exception:  # noqa
                pass
            rc = t.wait(60)
        finally:
            t.cleanup()
        with open(os.path.join(d, "vg.log"), errors="replace") as f:
            log = f.read()
        if rc == 0 and "ERROR SUMMARY: 0 errors" in log:
            cls.probe_note = "valgrind runs under the seccomp filter: no shim"
            return
        why = "out of memory" if "memory management: out of memory" in log else \
            "exit %r" % rc
        cls.probe_note = ("valgrind under the seccomp filter: %s; using the "
                          "prctl(PR_SET_SECCOMP) shim" % why)
        cls.shim = cls.build_shim()

    def vg_tunnel(self, name, **kw):
        w, d = self.wrapper(name, self.shim)
        t = self.tunnel(binary=w, **kw)
        t.vg_dir = d
        return t

    def check_valgrind(self, t, rc, expect_rc):
        """valgrind found nothing; the exit code is the program's."""
        with open(os.path.join(t.vg_dir, "vg.log"), errors="replace") as f:
            log = f.read()
        m = re.search(r"ERROR SUMMARY: (\d+) errors", log)
        leaks = {k: int(v.replace(",", "")) for k, v in
                 re.findall(r"(definitely|indirectly|possibly) lost: ([\d,]+) bytes", log)}
        self.assertTrue(m, "no valgrind summary (valgrind died?): %s" % log[-3000:])
        self.assertEqual(int(m.group(1)), 0, "memcheck errors:\n%s" % log)
        self.assertEqual(leaks.get("definitely", 0), 0, log)
        self.assertEqual(leaks.get("indirectly", 0), 0, log)
        self.assertNotEqual(rc, 42, log)
        self.assertEqual(rc, expect_rc, "exit %r; %s\n%s" % (rc, t.describe(), log[-3000:]))
        if self.shim:  # the sandbox comes before the first network byte
            self.assertTrue(os.path.exists(os.path.join(t.vg_dir, "shim.log")),
                            "the sandbox step was not reached")
        self.note("%s; exit %d, 0 errors, leaks %s, possibly lost %d bytes",
                  self.probe_note, rc, "none", leaks.get("possibly", 0))

    # -- the tests

    def test_session_1MiB_each_way(self):
        """Handshake, then 1 MiB client -> app and 1 MiB app -> client at
        once, byte-exact, TCP half-close; exit 0, nothing from memcheck."""
        for engine in ("uring", "poll"):
            with self.subTest(engine=engine):
                t = self.vg_tunnel("session-" + engine,
                                   env={"S6_TLSD_IO_ENGINE": engine})
                c = BioClient(t.connect())
                t.start()
                c.handshake(timeout=60)
                up = Pattern(MiB, start=5)
                down = Pattern(MiB, start=6)
                reader = t.app_reader(timeout=100)
                writer = t.app_writer(down, timeout=100)
                sink = Sink()
                c.pump(source=up, sink=sink, after="shutdown", timeout=100)
                reader.join(60)
                writer.join(60)
                self.assertIsNone(reader.exc, self.diag(t, c))
                self.assertIsNone(writer.exc, self.diag(t, c))
                self.assertEqual(reader.result, MiB, self.diag(t, c))
                self.assertEqual(reader.sink.digest(), up.digest(), "client -> app")
                self.assertEqual(sink.count, MiB, self.diag(t, c))
                self.assertEqual(sink.digest(), down.digest(), "app -> client")
                self.check_valgrind(t, t.wait(60), 0)

    def test_close_notify_both_ways(self):
        """-S: the app's EOF sends close_notify, the client answers."""
        t = self.vg_tunnel("close-notify", opts=["-S"], app=["cat"])
        s = client_context().wrap_socket(t.connect(timeout=60),
                                         do_handshake_on_connect=False)
        t.start()
        s.do_handshake()
        msg = os.urandom(300000)
        got = bytearray()
        # One SSLSocket must not be used by two threads at once: send a
        # chunk, read its echo back, repeat.
        for off in range(0, len(msg), 30000):
            s.sendall(msg[off:off + 30000])
            while len(got) < min(off + 30000, len(msg)):
                d = s.recv(65536)
                self.assertTrue(d, "EOF after %d bytes; %s" % (len(got), t.describe()))
                got += d
        self.assertEqual(bytes(got), msg)
        s.unwrap()
        s.close()
        self.check_valgrind(t, t.wait(60), 0)

    def test_failed_handshakes(self):
        """Clients that never complete a handshake: exit 98, no error."""
        def garbage(t):
            s = t.connect()
            t.start()
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n" + os.urandom(3000))

        def cut_hello(t):
            c = BioClient(t.connect())
            t.start()
            try:
                c.obj.do_handshake()
            except Exception:  # noqa
                pass
            hello = c.out.read()
            c.raw_send(hello[:len(hello) // 2])
            c.shutdown_wr()

        def no_common_suite(t):
            s = t.connect()
            t.start()
            ctx = client_context(ciphers="AES128-SHA256")  # RSA key exchange
            ctx.maximum_version = tlsdio.ssl.TLSVersion.TLSv1_2
            try:
                ctx.wrap_socket(s)
            except (OSError, tlsdio.ssl.SSLError):
                pass

        for name, fn in (("garbage", garbage), ("cut-hello", cut_hello),
                         ("no-common-suite", no_common_suite)):
            with self.subTest(client=name):
                t = self.vg_tunnel("fail-" + name)
                fn(t)
                rc = t.wait(60)
                self.assertFatal(t)
                self.assertEqual(t.app_read_all(10), b"")
                self.check_valgrind(t, rc, 98)


if __name__ == "__main__":
    tlsdio.main()
