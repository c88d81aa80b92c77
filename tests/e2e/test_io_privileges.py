"""s6-tlsd-io's least privilege, seen from outside on a live process:
TLS_UID/TLS_GID dropped (with the supplementary groups) after the keys
are read, no_new_privs, the seccomp filter (off only in sanitizer
builds), not dumpable; and it still does its job."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402
from tlsdio import client_context  # noqa: E402

SANITIZED = os.environ.get("TLSD_SANITIZED") == "1"
NOBODY = "65534"


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


class Privileges(tlsdio.TunnelTestCase):
    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("TLS_UID/TLS_GID apply only when run as root")

    def live_status(self, t, want_seccomp):
        """Waits until the process has entered its sandbox (it does so
        before reading the network), then returns its status."""
        deadline = time.monotonic() + 5
        while True:
            st = status(t.proc.p.pid)
            if st.get("Seccomp") == [want_seccomp] and st["NoNewPrivs"] == ["1"]:
                return st
            self.assertLess(time.monotonic(), deadline, "status: %r" % st)
            time.sleep(0.02)

    def test_dropped_and_sandboxed(self):
        t = self.tunnel(app=["cat"], env={"TLS_UID": NOBODY, "TLS_GID": NOBODY})
        raw = t.connect()
        t.start()
        st = self.live_status(t, "0" if SANITIZED else "2")
        self.assertEqual(st["Uid"], [NOBODY] * 4)
        self.assertEqual(st["Gid"], [NOBODY] * 4)
        self.assertEqual(st.get("Groups", []), [])
        self.assertEqual(st["NoNewPrivs"], ["1"])
        # not dumpable: its /proc files stay root's although it runs as
        # nobody (and no core file, no ptrace by uid nobody)
        self.assertEqual(os.stat("/proc/%d/environ" % t.proc.p.pid).st_uid, 0)
        # and it works
        s = client_context().wrap_socket(raw)
        s.sendall(b"ping\n")
        self.assertEqual(s.recv(16), b"ping\n")
        s.close()
        self.assertExit(t, 0)

    def test_without_ids_stays_root_but_sandboxed(self):
        t = self.tunnel(app=["cat"])
        t.connect()
        t.start()
        st = self.live_status(t, "0" if SANITIZED else "2")
        self.assertEqual(st["Uid"], ["0"] * 4)

    def test_bad_ids(self):
        for env in ({"TLS_UID": "nobody"}, {"TLS_GID": "-1"}, {"TLS_UID": "1x"}):
            with self.subTest(env=env):
                t = self.tunnel(app=["cat"], env=env)
                t.connect()
                t.start()
                self.assertExit(t, 100)
                self.assertFatal(t, "TLS_")


if __name__ == "__main__":
    tlsdio.main()
