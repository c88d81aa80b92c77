"""Processes: child processes with their stderr kept (Proc), what /proc
says about a process (proc_status, proc_cpu_seconds, MemoryMonitor) and
about the process tree (proc_table, descendants), and ending a whole
subtree (stop_tree)."""

import os
import signal
import subprocess
import tempfile
import threading
import time

__all__ = ["proc_status", "proc_cpu_seconds", "proc_table", "descendants", "stop_tree",
           "Proc", "MemoryMonitor"]


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
