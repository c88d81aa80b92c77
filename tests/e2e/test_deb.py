"""The Debian package: built with CPack from this source tree, inspected,
extracted into a scratch root and run from there. Nothing is installed
on the system.

Steps: cmake (Release, prefix /usr, no tests) and a build in a temporary
directory, `cpack -G DEB`, then `dpkg-deb -I` (control fields, computed
Depends), `dpkg-deb -c` (contents), `dpkg-deb -x` into a scratch root,
and the extracted programs: usage errors, and one TLS connection through
the extracted s6-tlsd (which must find the extracted s6-tlsd-io next to
itself) under tcpserver.

Environment: TLSD_CERTS (gen-certs.sh output), set by ctest. The source
tree is found from this file's path. A missing tool fails the test,
naming the Debian package to install (tests/deps.sh installs them all).
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("TLSD_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(HERE))
CERTS = os.environ.get("TLSD_CERTS", "")
PACKAGE = "s6-tlsd-uring"
TOOLS = {"cmake": "cmake", "cpack": "cmake", "dpkg-deb": "dpkg",
         "dpkg-shlibdeps": "dpkg-dev", "file": "file",
         "tcpserver": "ucspi-tcp"}


def run(argv, timeout=240, **kw):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, **kw)


class DebPackage(unittest.TestCase):
    """One package build for all the checks (setUpClass)."""

    @classmethod
    def setUpClass(cls):
        missing = ["%s (Debian package %s)" % (p, d)
                   for p, d in TOOLS.items() if not shutil.which(p)]
        if missing:
            raise AssertionError("missing: %s; install with: sh "
                                 "tests/deps.sh test" % ", ".join(missing))
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            cls.version = re.search(r"project\([^)]*VERSION ([0-9.]+)",
                                    f.read()).group(1)
        cls.tmp = tempfile.mkdtemp(prefix="tlsd-deb-")
        build, out = os.path.join(cls.tmp, "build"), os.path.join(cls.tmp,
                                                                 "out")
        steps = [
            ["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
             "-DCMAKE_INSTALL_PREFIX=/usr", "-DTLSD_TESTS=OFF"],
            ["cmake", "--build", build, "-j", str(os.cpu_count() or 2)],
            ["cpack", "-G", "DEB", "-B", out],
        ]
        for argv in steps:
            r = run(argv, cwd=build if argv[0] == "cpack" else None)
            if r.returncode:
                shutil.rmtree(cls.tmp, True)
                raise AssertionError("%s failed (%d):\n%s%s" % (
                    " ".join(argv), r.returncode, r.stdout[-4000:],
                    r.stderr[-4000:]))
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        if len(debs) != 1:
            shutil.rmtree(cls.tmp, True)
            raise AssertionError("expected one .deb in %s: %s"
                                 % (out, os.listdir(out)))
        cls.deb = os.path.join(out, debs[0])
        cls.root = os.path.join(cls.tmp, "root")
        r = run(["dpkg-deb", "-x", cls.deb, cls.root])
        if r.returncode:
            shutil.rmtree(cls.tmp, True)
            raise AssertionError("dpkg-deb -x: " + r.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def field(self, name):
        r = run(["dpkg-deb", "-f", self.deb, name])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_file_name(self):
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        self.assertEqual(os.path.basename(self.deb),
                         "%s_%s_%s.deb" % (PACKAGE, self.version, arch))

    def test_control(self):
        r = run(["dpkg-deb", "-I", self.deb])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.field("Package"), PACKAGE)
        self.assertEqual(self.field("Version"), self.version)
        self.assertRegex(self.field("Maintainer"), r"^[^<>]+ <[^<>@]+@[^<>]+>$")
        desc = self.field("Description")
        self.assertIn("s6-tlsd", desc.splitlines()[0])
        self.assertGreater(len(desc.splitlines()), 2, desc)
        # computed by dpkg-shlibdeps from the binaries: by default both
        # are fully static (TLSD_STATIC_EXE: BearSSL, liburing and libc
        # linked in), so they need no shared library at all
        deps = self.field("Depends")
        for lib in ("libc6", "liburing2", "libbearssl0"):
            self.assertNotIn(lib, deps)

    def test_contents(self):
        r = run(["dpkg-deb", "-c", self.deb])
        self.assertEqual(r.returncode, 0, r.stderr)
        entries = {}
        for line in r.stdout.splitlines():
            w = line.split()
            entries[w[5].lstrip(".")] = (w[0], w[1])
        for p in ("/usr/bin/s6-tlsd", "/usr/bin/s6-tlsd-io"):
            self.assertIn(p, entries)
            self.assertEqual(entries[p], ("-rwxr-xr-x", "root/root"))
        for p in ("/usr/share/man/man1/s6-tlsd.1.gz",
                  "/usr/share/man/man1/s6-tlsd-io.1.gz",
                  "/usr/share/doc/%s/copyright" % PACKAGE):
            self.assertIn(p, entries)
            self.assertEqual(entries[p], ("-rw-r--r--", "root/root"))
        outside = [p for p in entries if not p.startswith("/usr/")
                   and p != "/"]
        self.assertEqual(outside, [])
        self.assertFalse([p for p in entries if p.startswith("/usr/local")])

    def test_man_pages(self):
        man1 = os.path.join(self.root, "usr/share/man/man1")
        for page in ("s6-tlsd.1", "s6-tlsd-io.1"):
            r = run(["zcat", os.path.join(man1, page + ".gz")])
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(ROOT, "doc", page)) as f:
                self.assertEqual(r.stdout, f.read(), page)

    def extracted(self, prog):
        return os.path.join(self.root, "usr/bin", prog)

    def test_usage(self):
        for prog in ("s6-tlsd-io", "s6-tlsd"):
            r = run([self.extracted(prog)], stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 100, r.stderr)
            self.assertRegex(r.stderr, r"^%s: fatal: .*usage: %s "
                             % (prog, prog))

    def test_tls_connection(self):
        if not CERTS or not os.path.exists(os.path.join(CERTS, "ca.pem")):
            self.fail("TLSD_CERTS must hold gen-certs.sh output: %r" % CERTS)
        env = {k: v for k, v in os.environ.items()
               if k != "S6_TLSD_IO" and not k.startswith("SSL_")}
        env.update(KEYFILE=os.path.join(CERTS, "ec256.key.pem"),
                   CERTFILE=os.path.join(CERTS, "ec256.chain.pem"))
        p = subprocess.Popen(
            ["tcpserver", "-1", "-H", "-R", "-l", "0", "127.0.0.1", "0",
             self.extracted("s6-tlsd"), "-K", "10000", "--", "sh", "-c",
             'read l; echo "$l $SSL_PROTOCOL"'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, start_new_session=True)
        try:
            port = int(p.stdout.readline())
            ctx = ssl.create_default_context(
                cafile=os.path.join(CERTS, "ca.pem"))
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=20) as s:
                with ctx.wrap_socket(s, server_hostname="localhost") as t:
                    t.sendall(b"packaged\n")
                    out = b""
                    while True:
                        d = t.recv(1024)
                        if not d:
                            break
                        out += d
            self.assertEqual(out, b"packaged TLSv1.2\n")
        finally:
            os.killpg(p.pid, 9)
            p.wait(10)
            p.stdout.close()
            p.stderr.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
