"""`cmake --install` and the documentation it installs.

- cmake --install of the build under test into a scratch prefix puts both
  programs and both man pages there; `man` finds and renders the pages
  from that prefix; the installed programs run.
- The man pages have no groff warnings, and do not drift from the code:
  every option of src/options.c, every exit code of src/exitcodes.h and
  every variable the programs read with getenv is documented, and the
  version in .TH is the project's.
- Every function that doc/design.md names still exists in the code.

Environment (set by ctest): TLSD_BIN_DIR, the build's src dir (its parent
is the build directory). A missing tool fails the test, naming the Debian
package to install (tests/deps.sh installs them all).
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.environ.get("TLSD_BIN_DIR", "")
WAIT = 60
PAGES = ("s6-tlsd.1", "s6-tlsd-io.1")


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def page_text(page):
    """The roff source with font escapes and \\- turned into plain text."""
    s = read("doc", page).replace("\\-", "-")
    return re.sub(r"\\f[BIRP]|\\e", "", s)


def require(test, program, package):
    if not shutil.which(program):
        test.fail("missing: %s (Debian package %s); install with: "
                  "sh tests/deps.sh test" % (program, package))


class Install(unittest.TestCase):
    def setUp(self):
        if not BIN_DIR or not os.path.isfile(os.path.join(BIN_DIR,
                                                          "s6-tlsd")):
            self.fail("TLSD_BIN_DIR must be the build's src directory: %r"
                      % BIN_DIR)
        self.build = os.path.dirname(BIN_DIR)
        self.tmp = tempfile.mkdtemp(prefix="tlsd-install-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_cmake_install_and_man(self):
        require(self, "cmake", "cmake")
        require(self, "man", "man-db")
        prefix = os.path.join(self.tmp, "prefix")
        r = subprocess.run(["cmake", "--install", self.build, "--prefix",
                            prefix], capture_output=True, text=True,
                           timeout=WAIT)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for prog in ("s6-tlsd", "s6-tlsd-io"):
            self.assertTrue(os.access(os.path.join(prefix, "bin", prog),
                                      os.X_OK), prog)
        man1 = os.path.join(prefix, "share", "man", "man1")
        env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man"),
                   MANWIDTH="80", MAN_KEEP_FORMATTING="0", PAGER="cat")
        for page in PAGES:
            name = page[:-2]
            found = glob.glob(os.path.join(man1, page + "*"))
            self.assertEqual(len(found), 1, os.listdir(man1))
            # what man(1) finds is the installed page
            r = subprocess.run(["man", "-w", name], env=env,
                               capture_output=True, text=True, timeout=WAIT)
            self.assertEqual(r.stdout.strip(), found[0], r.stderr)
            r = subprocess.run(["man", "-P", "cat", name], env=env,
                               capture_output=True, text=True, timeout=WAIT)
            self.assertEqual(r.returncode, 0, r.stderr)
            text = re.sub(".\x08", "", r.stdout)  # bold and underline
            self.assertIn("\nNAME\n       %s - " % name, text)
            self.assertIn("\nEXIT STATUS\n", text)
        # the installed programs run: no arguments is wrong usage
        for prog in ("s6-tlsd", "s6-tlsd-io"):
            r = subprocess.run([os.path.join(prefix, "bin", prog)],
                               stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=WAIT)
            self.assertEqual(r.returncode, 100, r.stderr)
            self.assertIn("usage: " + prog, r.stderr)


class ManPages(unittest.TestCase):
    def test_groff_no_warnings(self):
        require(self, "groff", "groff-base")
        for page in PAGES:
            r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z",
                                os.path.join(ROOT, "doc", page)],
                               capture_output=True, text=True, timeout=WAIT)
            self.assertEqual((r.returncode, r.stderr), (0, ""), page)

    def test_version(self):
        v = re.search(r"project\([^)]*VERSION ([0-9.]+)",
                      read("CMakeLists.txt")).group(1)
        for page in PAGES:
            th = read("doc", page).split("\n.TH ", 1)[1].split("\n", 1)[0]
            self.assertIn('"s6-tlsd-uring %s"' % v, th, page)

    def test_options_documented(self):
        src = read("src", "options.c")
        longs = re.findall(r'\{"([a-z-]+)", (?:no|required)_argument', src)
        self.assertIn("alpn-strict", longs)
        m = re.search(r'prog == OPTIONS_TLSD \? "\+:([^"]+)" : "\+:([^"]+)"',
                      src)
        self.assertTrue(m, "short options not found in src/options.c")
        shorts = {"s6-tlsd": m.group(1), "s6-tlsd-io": m.group(2)}
        own = {"s6-tlsd": {"notification-fd"},
               "s6-tlsd-io": {"keep", "no-keep", "fork-io"}}
        for prog, letters in shorts.items():
            text = page_text(prog + ".1")
            for c in letters.replace(":", ""):
                self.assertRegex(text, r"\.B[RI]? -%s\b" % c,
                                 "%s.1 lacks -%s" % (prog, c))
            for name in longs:
                if name in own[prog]:
                    continue
                self.assertIn("--" + name, text,
                              "%s.1 lacks --%s" % (prog, name))

    def test_exit_codes_documented(self):
        codes = re.findall(r"EXIT_TLS_\w+ = (\d+)",
                           read("src", "exitcodes.h"))
        self.assertIn("101", codes)
        for page in PAGES:
            text = page_text(page).split(".SH EXIT STATUS", 1)[1]
            for c in codes:
                if c == "101" and page == "s6-tlsd-io.1":
                    continue  # s6-tlsd's own
                self.assertRegex(text, r"\b%s\b" % c, "%s: %s" % (page, c))

    def test_environment_documented(self):
        names = set()
        for path in glob.glob(os.path.join(ROOT, "src", "*.c")):
            with open(path) as f:
                names |= set(re.findall(
                    r'(?:getenv|env_id)\("([A-Z0-9_]+)"', f.read()))
        self.assertIn("KEYFILE", names)
        both = page_text("s6-tlsd.1") + page_text("s6-tlsd-io.1")
        for n in sorted(names):
            self.assertIn(n, both, "%s is read but not documented" % n)
        for n in ("SSL_PROTOCOL", "SSL_CIPHER", "SSL_TLS_SNI_SERVERNAME",
                  "SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT", "SSL_ALPN",
                  "KEYFILE:", "CERTFILE:", "TLS_UID", "TLS_GID", "CADIR",
                  "CAFILE"):
            for page in PAGES:
                self.assertIn(n, page_text(page), "%s: %s" % (page, n))


class DesignNotes(unittest.TestCase):
    def test_named_functions_exist(self):
        code = ""
        for d in ("src", "ring", "crypto"):
            for path in glob.glob(os.path.join(ROOT, d, "*.[ch]")):
                with open(path) as f:
                    code += f.read()
        doc = read("doc", "design.md")
        names = set(re.findall(r"`([a-z_][a-z0-9_]*)\(\)`", doc))
        self.assertGreater(len(names), 10)
        for n in sorted(names):
            self.assertRegex(code, r"\b%s\(" % n,
                             "doc/design.md names %s(), not in the code" % n)
        for f in re.findall(r"`((?:src|ring|crypto)/[a-z_0-9.-]+)`", doc):
            self.assertTrue(os.path.exists(os.path.join(ROOT, f)),
                            "doc/design.md names %s, which is gone" % f)


if __name__ == "__main__":
    unittest.main(verbosity=2)
