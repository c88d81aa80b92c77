"""ucspi-tcp's tcpserver as the superserver in front of s6-tlsd in a test:
TcpServer starts `tcpserver -v` on 127.0.0.1 (port chosen by the kernel),
collects its stderr (its own log and that of every program it runs) in a
thread, and answers from it: connections started and ended, their exit
codes, whether it is ready; and from /proc, its descriptors.

tcpserver -v logs, among others:
  tcpserver: status: N/MAX             N connections running, MAX the -c limit
  tcpserver: pid PID from IP           a connection accepted, PID running it
  tcpserver: end PID status STATUS     it ended (STATUS: a raw wait status)
"""

import os
import subprocess
import threading

from tlsd_io import Deadline, fd_read_some
from tlsd_procs import stop_tree

__all__ = ["TcpServer"]


class TcpServer:
    """tcpserver -v -1 -H -R -l 0 -c CONNS [-b BACKLOG] 127.0.0.1 0 CMD...

    cmd      what runs per connection (argv)
    env      tcpserver's environment, which CMD inherits
    conns    -c: connections at once
    backlog  -b: the listen backlog (None: tcpserver's default)
    program  the tcpserver to run (a name on PATH, or a path)
    popen    what starts it: subprocess.Popen, or a test's own wrapper
             that registers the process for its tearDown
    timeout  bound on the wait for the port (-1 prints it on stdout)

    The test stops it in tearDown (stop()), unless `popen` handed the
    process to something that does. If it never says its port, it is
    stopped and the constructor raises AssertionError with its log."""

    def __init__(self, cmd, env, conns=100, backlog=None, program="tcpserver",
                 popen=subprocess.Popen, timeout=20):
        argv = [program, "-v", "-1", "-H", "-R", "-l", "0", "-c", str(conns)]
        if backlog is not None:
            argv += ["-b", str(backlog)]
        self.argv = argv + ["127.0.0.1", "0"] + list(cmd)
        self.lines = []                 # its stderr, one entry per line
        self.cond = threading.Condition()
        self.p = popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env)
        self.thread = threading.Thread(target=self._log, daemon=True, name="tcpserver-log")
        self.thread.start()
        self.port = self._read_port(timeout)

    def _log(self):
        try:
            for line in self.p.stderr:
                with self.cond:
                    self.lines.append(line.decode("utf-8", "replace").rstrip("\n"))
                    self.cond.notify_all()
        except (OSError, ValueError):   # closed under us by stop()
            pass

    def _read_port(self, timeout):
        dl = Deadline(timeout)
        buf = b""
        try:
            while not buf.endswith(b"\n"):
                d = fd_read_some(self.p.stdout.fileno(), dl.left("tcpserver's port"), 64)
                if not d:
                    break
                buf += d
        except TimeoutError:
            pass
        if not buf.strip().isdigit():
            self.stop()
            raise AssertionError("tcpserver did not say its port: %r; its log: %r"
                                 % (buf, self.lines[-20:]))
        return int(buf)

    # -- the log

    def wait_for(self, pred, timeout=20, what="tcpserver lines", check=True):
        """Waits until pred(lines) holds; returns a copy of the lines. On
        timeout raises AssertionError, or with check=False returns the
        lines as they are (the caller's assertions then tell)."""
        with self.cond:
            if not self.cond.wait_for(lambda: pred(self.lines), timeout) and check:
                raise AssertionError("timed out after %ss waiting for %s; lines: %r"
                                     % (timeout, what, self.lines[-40:]))
            return list(self.lines)

    def wait_ready(self, timeout=20):
        """Waits for tcpserver's first idle status line (it is listening
        and holds only the descriptors it keeps)."""
        self.wait_for(lambda ls: any(l.startswith("tcpserver: status: 0/") for l in ls),
                      timeout, "tcpserver to be ready")

    def _ends(self):
        out = []
        with self.cond:
            lines = list(self.lines)
        for line in lines:
            w = line.split()
            if len(w) >= 5 and w[1] == "end" and w[3] == "status":
                st = int(w[4])
                out.append((int(w[2]), st >> 8 if not st & 0x7f else -(st & 0x7f)))
        return out

    def ends(self):
        """{pid: exit code} of the connections tcpserver saw end (a signal
        shows as -signo). Pids may be reused over many connections: count
        with exit_codes()."""
        return dict(self._ends())

    def exit_codes(self):
        """[exit code] of every connection that ended, in order."""
        return [code for _, code in self._ends()]

    def wait_ends(self, n, timeout=20):
        """Waits until n connections have ended; returns ends()."""
        self.wait_for(lambda ls: len(self._ends()) >= n, timeout,
                      "%d connections to end" % n)
        return self.ends()

    def pids(self):
        """The pids of the connections tcpserver started, in order."""
        with self.cond:
            return [int(line.split()[2]) for line in self.lines
                    if line.startswith("tcpserver: pid ")]

    def last_status(self):
        """N/MAX of tcpserver's latest status line, or None."""
        with self.cond:
            for line in reversed(self.lines):
                if line.startswith("tcpserver: status: "):
                    return line.split()[2]
        return None

    # -- the process

    def fds(self):
        """{fd: target} of tcpserver's open descriptors."""
        out = {}
        for n in os.listdir("/proc/%d/fd" % self.p.pid):
            try:
                out[int(n)] = os.readlink("/proc/%d/fd/%s" % (self.p.pid, n))
            except OSError:
                pass
        return out

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.p.pid))

    def stop(self, timeout=5):
        """Kills tcpserver and everything below it, reaps it, closes its
        pipes; the log thread ends with them."""
        stop_tree(self.p, timeout)
        self.thread.join(timeout)
