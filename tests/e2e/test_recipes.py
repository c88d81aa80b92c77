"""The service recipes of doc/recipes/, run for real on loopback.

Each test reads the files shipped in doc/recipes/ (not a copy of their
contents), replaces the placeholders the recipes' README lists, runs the
result with the build's s6-tlsd first in PATH, and talks to it with
Python's TLS client:

- tcpserver.md: the shell command in the block marked as tested, run with
  sh under ucspi-tcp's tcpserver;
- systemd/: the units are checked (Accept=yes, socket stdin/stdout) and the
  ExecStart= line of s6-tlsd@.service, with its Environment=, is run by
  systemd-socket-activate -a --inetd, which does what the socket unit does;
- s6/: the service directory, copied, supervised by s6-supervise, then
  stopped with s6-svc -d and -x; the execline run script of its README too.

The recipes start the server as nobody. Run as root, the tests keep that
and check that the server really runs as uid 65534; otherwise they leave
the privilege-dropping wrapper out (and say so).

Environment (set by ctest): TLSD_BIN_DIR (the build's src dir), TLSD_CERTS
(gen-certs.sh output). A missing tool fails the test, naming the Debian
package to install (tests/deps.sh installs them all).
"""

import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RECIPES = os.path.join(ROOT, "doc", "recipes")
BIN_DIR = os.environ.get("TLSD_BIN_DIR", "")
CERTS = os.environ.get("TLSD_CERTS", "")

WAIT = 20  # seconds: upper bound for any single wait
TEST_TIMEOUT = 90

# Placeholders in the recipes (see doc/recipes/README.md).
KEY_PATH = "/etc/ssl/s6-tlsd/key.pem"
CHAIN_PATH = "/etc/ssl/s6-tlsd/chain.pem"
APP_PATH = "/usr/local/bin/myserver"
PRIVDROP = ("setpriv --reuid=nobody --regid=nogroup --clear-groups",
            "s6-setuidgid nobody")
IS_ROOT = os.geteuid() == 0

APP = r"""#!/bin/sh
# The test's server: one line in, a few facts out.
IFS= read -r line || exit 0
printf 'hello %s\n' "$line"
printf 'uid=%s\n' "$(id -u)"
printf 'SSL_PROTOCOL=%s\n' "${SSL_PROTOCOL-}"
printf 'SSL_CIPHER=%s\n' "${SSL_CIPHER-}"
printf 'KEYFILE=%s\n' "${KEYFILE-unset}"
"""

TOOLS = {  # program: Debian package
    "tcpserver": "ucspi-tcp",
    "systemd-socket-activate": "systemd",
    "s6-supervise": "s6",
    "s6-svc": "s6",
    "s6-svstat": "s6",
    "s6-svwait": "s6",
    "s6-setuidgid": "s6",
    "execlineb": "execline",
    "setpriv": "util-linux",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def client_ctx():
    ctx = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))
    return ctx


def exchange(port, line):
    """One TLS connection: sends line, reads to EOF. Returns (answer,
    cipher, version)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        with client_ctx().wrap_socket(s, server_hostname="localhost") as t:
            cipher, version = t.cipher()[0], t.version()
            t.sendall(line + b"\n")
            out = b""
            while True:
                d = t.recv(65536)
                if not d:
                    break
                out += d
            return out.decode(), cipher, version


def unit_file(path):
    """A systemd unit as {section: [(key, value), ...]}: comments skipped,
    backslash continuations joined."""
    sections, cur, pending = {}, None, ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not pending and line.lstrip().startswith(("#", ";")):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = (pending + line).strip(), ""
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                cur = sections.setdefault(line[1:-1], [])
            else:
                k, _, v = line.partition("=")
                cur.append((k.strip(), v.strip()))
    return sections


def values(section, key):
    return [v for k, v in section if k == key]


class Recipes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN_DIR or not os.access(os.path.join(BIN_DIR, "s6-tlsd"),
                                        os.X_OK):
            raise AssertionError("TLSD_BIN_DIR must be the build's src "
                                 "directory, with s6-tlsd: %r" % BIN_DIR)
        if not CERTS or not os.path.exists(os.path.join(CERTS, "ca.pem")):
            raise AssertionError("TLSD_CERTS must hold gen-certs.sh output: "
                                 "%r" % CERTS)

    def setUp(self):
        self.procs = []  # (Popen, kill the process group too)
        self.cleanups = []
        self.tmp = tempfile.mkdtemp(prefix="tlsd-recipes-")
        # the server runs as nobody: it must reach its script
        os.chmod(self.tmp, 0o755)
        self.app = os.path.join(self.tmp, "myserver")
        with open(self.app, "w") as f:
            f.write(APP)
        os.chmod(self.app, 0o755)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("S6_TLSD_IO",) and
                    not k.startswith(("SSL_", "KEYFILE", "CERTFILE"))}
        self.env["PATH"] = BIN_DIR + os.pathsep + os.environ.get(
            "PATH", "/usr/bin:/bin")
        signal.signal(signal.SIGALRM, self._timeout)
        signal.alarm(TEST_TIMEOUT)

    def _timeout(self, *_):
        raise TimeoutError("test exceeded %ss" % TEST_TIMEOUT)

    def tearDown(self):
        signal.alarm(0)
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # noqa: keep cleaning up
                sys.stderr.write("cleanup: %r\n" % e)
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait(5)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers

    def require(self, *programs):
        missing = ["%s (Debian package %s)" % (p, TOOLS[p])
                   for p in programs if not shutil.which(p, path=self.env["PATH"])]
        if missing:
            self.fail("missing: %s; install with: sh tests/deps.sh test"
                      % ", ".join(missing))

    def spawn(self, argv, name):
        log = open(os.path.join(self.tmp, name + ".log"), "wb")
        self.cleanups.append(log.close)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, env=self.env,
                             cwd=self.tmp, start_new_session=True)
        p.logname = log.name
        self.procs.append(p)
        return p

    def log(self, p):
        with open(p.logname, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_listening(self, port, p, what):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if port_open(port):
                return
            if p.poll() is not None:
                self.fail("%s exited with %s before listening on %d:\n%s"
                          % (what, p.returncode, port, self.log(p)))
            time.sleep(0.05)
        self.fail("%s not listening on %d after %ss:\n%s"
                  % (what, port, WAIT, self.log(p)))

    def adapt(self, text, port, listen=True):
        """The recipe's text with the placeholders replaced; listen: it
        has the address and port too."""
        subst = [(KEY_PATH, os.path.join(CERTS, "ec256.key.pem")),
                 (CHAIN_PATH, os.path.join(CERTS, "ec256.chain.pem")),
                 (APP_PATH, self.app)]
        if listen:
            subst.append(("0.0.0.0 443", "127.0.0.1 %d" % port))
        for a, b in subst:
            self.assertIn(a, text, "placeholder %s not in the recipe" % a)
            text = text.replace(a, b)
        if not IS_ROOT:
            for w in PRIVDROP:
                text = re.sub(re.escape(w) + r"[ \t]*(\\\n[ \t]*)?", "", text)
        return text

    def check_server(self, port, tries=2):
        """Connections through the recipe reach the app as they should."""
        want_uid = "65534" if IS_ROOT else str(os.getuid())
        for i in range(tries):
            line = "recipe %d" % i
            ans, cipher, version = exchange(port, line.encode())
            lines = ans.splitlines()
            self.assertEqual(version, "TLSv1.2")
            self.assertEqual(lines[:1], ["hello " + line], ans)
            self.assertIn("uid=" + want_uid, lines, ans)
            self.assertIn("SSL_PROTOCOL=TLSv1.2", lines, ans)
            self.assertIn("SSL_CIPHER=" + cipher, lines, ans)
            # -z, the default: the app never sees where the key is
            self.assertIn("KEYFILE=unset", lines, ans)
        if not IS_ROOT:
            sys.stderr.write("  (not root: ran without %s)\n"
                             % " / ".join(PRIVDROP))

    # -- the recipes

    def test_tcpserver(self):
        self.require("tcpserver", "setpriv")
        with open(os.path.join(RECIPES, "tcpserver.md")) as f:
            md = f.read()
        m = re.search(r"<!-- tested[^>]*-->\s*```sh\n(.*?)```", md, re.S)
        self.assertTrue(m, "no tested ```sh block in tcpserver.md")
        cmd = m.group(1)
        self.assertIn("s6-tlsd", cmd)
        port = free_port()
        p = self.spawn(["sh", "-c", self.adapt(cmd, port)], "tcpserver")
        self.wait_listening(port, p, "tcpserver")
        self.check_server(port)

    def test_systemd_socket_activation(self):
        self.require("systemd-socket-activate", "setpriv")
        d = os.path.join(RECIPES, "systemd")
        sock = unit_file(os.path.join(d, "s6-tlsd.socket"))
        svc = unit_file(os.path.join(d, "s6-tlsd@.service"))
        # the socket unit: one service instance per connection
        self.assertEqual(values(sock["Socket"], "Accept"), ["yes"])
        self.assertEqual(values(sock["Socket"], "ListenStream"), ["443"])
        self.assertIn("sockets.target", values(sock["Install"], "WantedBy"))
        s = svc["Service"]
        self.assertEqual(values(s, "StandardInput"), ["socket"])
        self.assertIn(values(s, "StandardOutput"), ([], ["socket"]))
        execs = values(s, "ExecStart")
        self.assertEqual(len(execs), 1, execs)
        self.assertEqual(shlex.split(execs[0])[0], "s6-tlsd")
        self.assertNotIn("%", execs[0])
        port = free_port()
        lines = self.adapt("\n".join(values(s, "Environment") + execs),
                           port, listen=False).split("\n")
        argv = shlex.split(lines.pop().lstrip("@-:+!"))
        env = [x for v in lines for a in shlex.split(v) for x in ("-E", a)]
        p = self.spawn(["systemd-socket-activate", "-l",
                        "127.0.0.1:%d" % port, "-a", "--inetd", *env, *argv],
                       "socket-activate")
        self.wait_listening(port, p, "systemd-socket-activate")
        self.check_server(port)

    def supervise(self, svdir, port, what):
        """Runs svdir under s6-supervise, checks the server, stops it."""
        sup = self.spawn(["s6-supervise", svdir], "s6-supervise")

        def stop():
            if sup.poll() is None:
                subprocess.run(["s6-svc", "-dx", svdir], env=self.env,
                               timeout=WAIT)
                sup.wait(WAIT)
        self.cleanups.append(stop)
        self.wait_listening(port, sup, what)
        # The service can be listening before s6-supervise has written
        # its "up" state (a busy machine): the state is polled.
        deadline = time.monotonic() + WAIT
        while True:
            st = subprocess.run(["s6-svstat", svdir], env=self.env,
                                timeout=WAIT, capture_output=True, text=True)
            if st.stdout.startswith("up ") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertTrue(st.stdout.startswith("up "), st.stdout + st.stderr)
        self.check_server(port)
        # s6-svc -d: tcpserver gets SIGTERM, the service is down
        subprocess.run(["s6-svc", "-d", svdir], env=self.env, timeout=WAIT,
                       check=True)
        r = subprocess.run(["s6-svwait", "-d", "-t", "10000", svdir],
                           env=self.env, timeout=WAIT)
        self.assertEqual(r.returncode, 0, "service not down:\n" + self.log(sup))
        self.assertFalse(port_open(port), "still listening after s6-svc -d")
        # s6-svc -x: s6-supervise exits
        subprocess.run(["s6-svc", "-x", svdir], env=self.env, timeout=WAIT,
                       check=True)
        self.assertEqual(sup.wait(WAIT), 0, self.log(sup))

    def s6_copy(self, run_text=None):
        src = os.path.join(RECIPES, "s6", "myserver-tls")
        for f in ("run", "log/run"):
            mode = os.stat(os.path.join(src, f)).st_mode
            self.assertTrue(mode & stat.S_IXUSR, "%s is not executable" % f)
        svdir = os.path.join(self.tmp, "sv", "myserver-tls")
        shutil.copytree(src, svdir)
        port = free_port()
        run = os.path.join(svdir, "run")
        if run_text is None:
            with open(run) as f:
                run_text = f.read()
        with open(run, "w") as f:
            f.write(self.adapt(run_text, port))
        os.chmod(run, 0o755)
        return svdir, port

    def test_s6_service_directory(self):
        self.require("tcpserver", "s6-supervise", "s6-svc", "s6-svstat",
                     "s6-svwait", "s6-setuidgid")
        self.supervise(*self.s6_copy(), "s6-supervise (run)")

    def test_s6_execline_run_script(self):
        self.require("tcpserver", "s6-supervise", "s6-svc", "s6-svstat",
                     "s6-svwait", "s6-setuidgid", "execlineb")
        with open(os.path.join(RECIPES, "s6", "README.md")) as f:
            md = f.read()
        m = re.search(r"\n(    #!/usr/bin/execlineb -P\n(?:    .*\n)+)", md)
        self.assertTrue(m, "no execline run script in s6/README.md")
        script = "".join(l[4:] + "\n" for l in m.group(1).splitlines())
        self.supervise(*self.s6_copy(script),
                       "s6-supervise (execline run)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
