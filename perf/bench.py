#!/usr/bin/python3
"""The benchmark driver of perf/run.sh: runs every case against every server,
rounds alternating (A B C A B C ...), and writes the raw results as JSON.

    bench.py --mode quick|full --build DIR --tools DIR --certs DIR --out FILE
             [--only CASE,...]

--only runs only the cases whose names start with one of the CASEs (e.g.
--only connrate), to measure one thing quickly; the JSON then has only
those, which perf/report.py (it wants a whole run) does not take.

Servers: s6-tlsd-io with its default io_uring engine; the same with
S6_TLSD_IO_ENGINE=poll (only when that variable really selects another
engine: checked by looking for an io_uring descriptor in /proc/PID/fd);
stunnel4 in inetd mode. s6-networking itself is used as a reference peer
when an s6-tlsd-io other than ours is found (S6_NET_TLSD_IO or the PATH).
The connection-rate case also has a resumed variant (issue #16): the client
offers its previous session's ID (perf-client -R); ours run with a fresh
shared session cache (TLS_SESSION_CACHE), s6-networking as it is (it has
none: it does full handshakes for the same client).

Wiring of one bulk or ping-pong round (one TCP connection):
  perf-client --TCP--> this script accepts, sets TCP_NODELAY, then
  - ours:    s6-tlsd-io -- 3 4  (fd 0/1 the socket, fd 3/4 pipes) and
             perf-app MODE as a separate process on the other pipe ends;
  - stunnel: stunnel4 CONF (fd 0/1 the socket), CONF execs perf-app MODE.
The server's CPU time and ru_maxrss come from wait4; /proc/PID/status and
smaps_rollup are sampled every 50 ms while it runs. Syscall counts come
from separate untimed rounds under `perf stat --no-inherit -e
raw_syscalls:sys_enter` (the server process only, not the app stunnel
forks), at two sizes: the difference is the cost per MiB or per round
trip, without the start-up.
"""
import argparse
import ctypes
import fcntl
import json
import os
import platform
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

MiB = 1 << 20
GiB = 1 << 30
SUITE_EC = "ECDHE-ECDSA-AES128-GCM-SHA256"
SUITE_RSA = "ECDHE-RSA-AES128-GCM-SHA256"
# Servers without TLS (floors): the client talks plain TCP to them.
FLOOR_KINDS = ("relay", "direct", "spawn")
# The connection-rate case's resumed variant: which servers run it, and
# whether they get a session cache. s6-networking has none; its figure is
# its full handshake for the same resuming client, which is what a user
# comparing the two would see.
RESUME_SERVERS = {"uring": True, "fork": True, "ref": False}
RESUMED = "-resumed"  # the variant's server id: "uring-resumed", ...
# perf stat takes ~35 ms per event to exit: the total plus the calls the
# three servers make; what the rest add up to is "other".
SYSCALL_EVENTS = ["raw_syscalls:sys_enter"] + [
    "syscalls:sys_enter_" + n for n in (
        "io_uring_enter", "read", "write", "poll", "ppoll", "epoll_wait")]

MODES = {
    "quick": dict(rounds=3, bulk=128 * MiB, warm_bulk=16 * MiB,
                  sys_big=32 * MiB, sys_small=2 * MiB, pp=3000, warm_pp=300,
                  pp_sys_big=1000, pp_sys_small=100, conn_secs=0.8,
                  warm_conn=0.2, resume_secs=0.5, warm_resume=0.1,
                  records=dict(aes128gcm=128 * MiB, aes256gcm=128 * MiB,
                               chacha20=32 * MiB, aes128cbc=16 * MiB)),
    "full": dict(rounds=5, bulk=1 * GiB, warm_bulk=64 * MiB,
                 sys_big=256 * MiB, sys_small=4 * MiB, pp=20000, warm_pp=1000,
                 pp_sys_big=10000,
                 pp_sys_small=500, conn_secs=3.0, warm_conn=0.5,
                 resume_secs=3.0, warm_resume=0.5,
                 records=dict(aes128gcm=1 * GiB, aes256gcm=1 * GiB,
                              chacha20=256 * MiB, aes128cbc=128 * MiB)),
}


def log(*a):
    print("[perf]", *a, file=sys.stderr, flush=True)


def set_subreaper():
    """Orphans of the processes we start (stunnel's exec child when stunnel
    exits first) become our children, so we can reap and account them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except OSError:
        pass


def reap_orphans():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def high_dup(fd):
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)


def spawn(argv, fds, env, errfile):
    """posix_spawn argv with fds {target: source}; stderr to errfile."""
    hi = {t: high_dup(s) for t, s in fds.items()}
    err = os.open(errfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC)
    herr = high_dup(err)
    os.close(err)
    acts = [(os.POSIX_SPAWN_DUP2, h, t) for t, h in hi.items()]
    acts.append((os.POSIX_SPAWN_DUP2, herr, 2))
    try:
        return os.posix_spawn(argv[0], argv, env, file_actions=acts)
    finally:
        for h in hi.values():
            os.close(h)
        os.close(herr)


def tv(ru):
    return ru.ru_utime + ru.ru_stime


def proc_sample(pid):
    """VmHWM, VmRSS, Private (KiB), threads, and whether an io_uring fd is
    open, from /proc; None once the process is gone."""
    s = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "Threads", "State"):
                    s[k] = v.strip()
        with open(f"/proc/{pid}/smaps_rollup") as f:
            priv = {}
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    priv[line.split(":")[0]] = int(line.split()[1])
            s["private_kib"] = sum(priv.values())
            s["private_dirty_kib"] = priv.get("Private_Dirty", 0)
        uring = False
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if "io_uring" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                    uring = True
            except OSError:
                pass
        s["io_uring"] = uring
    except (OSError, ValueError):
        return None
    if s.get("State", "").startswith(("Z", "X")):
        return None
    s["t"] = time.monotonic()
    s["hwm_kib"] = int(s.get("VmHWM", "0 kB").split()[0])
    s["rss_kib"] = int(s.get("VmRSS", "0 kB").split()[0])
    s["threads"] = int(s.get("Threads", "1"))
    if s["rss_kib"] < 64:  # exiting: its memory is already released
        return None
    return s


def wait_pid(pid, deadline, sample=False, every=0.05):
    """wait4 with a deadline (SIGKILL past it); samples /proc meanwhile."""
    samples, next_s = [], 0.0
    while True:
        wpid, status, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            return status, ru, samples
        t = time.monotonic()
        if t > deadline:
            log(f"pid {pid} timed out: killed")
            os.kill(pid, signal.SIGKILL)
            deadline = t + 10
        if sample and t >= next_s:
            s = proc_sample(pid)
            if s:
                samples.append(s)
            next_s = t + every
        time.sleep(0.002 if not sample else 0.005)


def exit_code(status):
    return os.waitstatus_to_exitcode(status)


class Bench:
    def __init__(self, a):
        for k in ("build", "tools", "certs", "out"):
            setattr(a, k, os.path.abspath(getattr(a, k)))
        self.a = a
        self.p = MODES[a.mode]
        self.work = os.path.join(a.build, "perf-work")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.tools = a.tools
        self.app = os.path.join(a.tools, "perf-app")
        self.client = os.path.join(a.tools, "perf-client")
        self.acceptd = os.path.join(a.tools, "perf-acceptd")
        self.relay = os.path.join(a.tools, "perf-relay")
        self.records = os.path.join(a.tools, "perf-records")
        self.tlsdio = os.path.join(a.build, "src", "s6-tlsd-io")
        self.tlsd = os.path.join(a.build, "src", "s6-tlsd")
        self.stunnel = shutil.which("stunnel4") or shutil.which("stunnel")
        self.perf = shutil.which("perf")
        self.errlog = os.path.join(self.work, "stderr.log")
        self.seq = 0
        self.results = {"mode": a.mode, "notes": [], "cases": {},
                        "servers": {}, "machine": machine_facts()}
        self.certs = {
            "ec": (os.path.join(a.certs, "ec256.key.pem"),
                   os.path.join(a.certs, "ec256.chain.pem")),
            "rsa": (os.path.join(a.certs, "rsa2048.key.pem"),
                    os.path.join(a.certs, "rsa2048.chain.pem")),
        }

    def note(self, msg):
        log(msg)
        self.results["notes"].append(msg)

    # ---------------------------------------------------------- servers

    def servers_base(self):
        base = dict(os.environ)
        for k in list(base):
            if k.startswith(("KEYFILE", "CERTFILE", "S6_TLSD",
                             "TLS_SESSION")):
                del base[k]
        return base

    def servers(self):
        base = self.servers_base()
        srv = [dict(id="uring", label="s6-tlsd-io (io_uring)", kind="tlsdio",
                    bin=self.tlsdio, tlsd=self.tlsd, env=dict(base))]
        poll_env = dict(base, S6_TLSD_IO_ENGINE="poll")
        srv.append(dict(id="poll", label="s6-tlsd-io (poll)", kind="tlsdio",
                        bin=self.tlsdio, tlsd=self.tlsd, env=poll_env))
        ref = os.environ.get("S6_NET_TLSD_IO") or None
        if ref:
            # s6-networking's s6-tlsd finds its s6-tlsd-io through PATH.
            rdir = os.path.dirname(os.path.abspath(ref))
            renv = dict(base, PATH=rdir + os.pathsep + base.get("PATH", ""))
            srv.append(dict(id="ref", label="s6-networking s6-tlsd-io",
                            kind="tlsdio", bin=ref,
                            tlsd=os.path.join(rdir, "s6-tlsd"), env=renv))
        if self.stunnel:
            srv.append(dict(id="stunnel", label=stunnel_label(self.stunnel),
                            kind="stunnel", bin=self.stunnel, env=dict(base)))
        else:
            self.note("stunnel4 not found: no stunnel4 column")
        return srv

    def floors(self):
        """The ping-pong case's floors, without TLS: the same hop through a
        cleartext relay (perf-relay), and the app alone on the socket."""
        env = self.servers_base()
        return [dict(id="relay", label="floor: cleartext relay (no TLS)",
                     kind="relay", bin=self.relay, env=env),
                dict(id="direct", label="floor: direct echo (no relay)",
                     kind="direct", env=env)]

    def connrate_extras(self):
        """The connection-rate case's other servers: s6-tlsd's --fork-io
        path, and the floor (the super-server starting only the static
        app, no TLS: what process creation alone costs)."""
        base = self.servers_base()
        return [dict(id="fork", label="s6-tlsd --fork-io (io_uring)",
                     kind="tlsdio", bin=self.tlsdio, tlsd=self.tlsd,
                     tlsd_opts=["--fork-io"], env=dict(base)),
                dict(id="spawn", label="floor: the app alone (no TLS)",
                     kind="spawn", env=dict(base))]

    def connrate_resumed(self, servers, name):
        """The resumed variant of servers (those in RESUME_SERVERS): the
        client resumes (-R); those with a cache get a file of their own
        for this case, which s6-tlsd-io creates."""
        out = []
        for s in servers:
            if s["id"] not in RESUME_SERVERS:
                continue
            r = dict(s, id=s["id"] + RESUMED, base=s["id"], resume=True,
                     env=dict(s["env"]))
            if RESUME_SERVERS[s["id"]]:
                path = os.path.join(self.work, f"sessions-{name}-{s['id']}")
                if os.path.exists(path):
                    os.unlink(path)
                r["env"]["TLS_SESSION_CACHE"] = path
                r["label"] = s["label"] + ", session cache, resuming client"
            else:
                r["label"] = s["label"] + ", resuming client (no cache)"
            out.append(r)
        return out

    def probe_engine(self, s):
        """Does the server hold an io_uring fd while it waits for a
        ClientHello? Returns True/False, or None if it could not tell."""
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        c = socket.create_connection(ls.getsockname())
        conn, _ = ls.accept()
        a2s, s2a = os.pipe2(os.O_CLOEXEC), os.pipe2(os.O_CLOEXEC)
        env = self.tls_env(s, "ec")
        pid = spawn([s["bin"], "--", "3", "4"],
                    {0: conn.fileno(), 1: conn.fileno(), 3: a2s[0], 4: s2a[1]},
                    env, self.errlog)
        for fd in (*a2s, *s2a):
            os.close(fd)
        conn.close()
        seen = None
        for _ in range(40):
            time.sleep(0.025)
            smp = proc_sample(pid)
            if smp is None:
                break
            seen = smp["io_uring"]
            if seen:
                break
        c.close()
        wait_pid(pid, time.monotonic() + 10)
        ls.close()
        return seen

    def tls_env(self, s, cert):
        key, chain = self.certs[cert]
        return dict(s["env"], KEYFILE=key, CERTFILE=chain)

    def stunnel_conf(self, cert, suite, app_argv):
        key, chain = self.certs[cert]
        self.seq += 1
        path = os.path.join(self.work, f"stunnel-{self.seq % 50}.conf")
        lines = [
            "; generated by perf/bench.py: inetd mode (no service section)",
            "pid =", "syslog = no", "debug = 3",
            f"output = {os.path.join(self.work, 'stunnel.log')}",
            f"cert = {chain}", f"key = {key}",
        ]
        if suite:
            lines += ["sslVersion = TLSv1.2", f"ciphers = {suite}"]
        lines += [f"exec = {app_argv[0]}",
                  "execArgs = " + " ".join(["perf-app"] + app_argv[1:])]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    # ------------------------------------------------- one TCP connection

    def tunnel_round(self, s, mode, n, suite=SUITE_EC, cert="ec",
                     syscalls=False):
        """mode: download / upload (n bytes) or pingpong (n round trips)."""
        stats = os.path.join(self.work, "app-stats.json")
        if os.path.exists(stats):
            os.unlink(stats)
        app_argv = {"download": [self.app, "writer", str(n), stats],
                    "upload": [self.app, "discard", stats],
                    "pingpong": [self.app, "echo", stats]}[mode]
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(20)
        cargv = [self.client, "-p", str(ls.getsockname()[1])]
        if s["kind"] in FLOOR_KINDS:
            cargv += ["-P"]
        elif suite:
            cargv += ["-c", suite]
        cargv += [mode, str(n)]
        client = subprocess.Popen(cargv, stdout=subprocess.PIPE,
                                  stderr=open(self.errlog, "a"))
        conn, _ = ls.accept()
        ls.close()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        wrap = [self.app, "stopexec"] if syscalls else []
        app_pid = None
        if s["kind"] in ("tlsdio", "relay"):
            a2s, s2a = os.pipe2(os.O_CLOEXEC), os.pipe2(os.O_CLOEXEC)
            app_pid = spawn(app_argv, {0: s2a[0], 1: a2s[1]}, s["env"],
                            self.errlog)
            if s["kind"] == "tlsdio":
                argv, env = [s["bin"], "--", "3", "4"], self.tls_env(s, cert)
            else:
                argv, env = [s["bin"]], s["env"]
            pid = spawn(wrap + argv, {0: conn.fileno(), 1: conn.fileno(),
                                      3: a2s[0], 4: s2a[1]},
                        env, self.errlog)
            for fd in (*a2s, *s2a):
                os.close(fd)
        elif s["kind"] == "direct":
            # The app is the server: its CPU is the app's, not an engine's.
            pid = spawn(app_argv, {0: conn.fileno(), 1: conn.fileno()},
                        s["env"], self.errlog)
        else:
            conf = self.stunnel_conf(cert, suite, app_argv)
            pid = spawn(wrap + [s["bin"], conf],
                        {0: conn.fileno(), 1: conn.fileno()}, s["env"],
                        self.errlog)
        if syscalls:
            counter = self.attach_counter(pid)
        conn.close()
        t_end = time.monotonic() + 300
        status, ru, samples = wait_pid(pid, t_end, sample=not syscalls)
        try:
            out, _ = client.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            client.kill()
            out, _ = client.communicate()
        app_cpu, app_reaped_by_server = 0.0, False
        st = None
        for _ in range(500):
            if os.path.exists(stats):
                try:
                    with open(stats) as f:
                        st = json.loads(f.read())
                    break
                except ValueError:
                    pass
            time.sleep(0.01)
        if app_pid:
            wait_pid(app_pid, time.monotonic() + 30)
        elif st:
            # stunnel's child: if stunnel reaped it, its CPU is in stunnel's
            # wait4 figures; if stunnel exited first, it is our orphan.
            try:
                wait_pid(st["pid"], time.monotonic() + 30)
            except ChildProcessError:
                app_reaped_by_server = True
        if st:
            app_cpu = st["utime"] + st["stime"]
        reap_orphans()
        try:
            cres = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            cres = {"error": "no output from the client", "ok": False}
        r = {"server": s["id"], "exit": exit_code(status), "client": cres,
             "app": st}
        if syscalls:
            r["syscalls"] = self.collect_counter(counter)
            r["ok"] = r["exit"] == 0 and cres.get("ok") is True
            return r
        cpu = tv(ru) - (app_cpu if app_reaped_by_server else 0.0)
        if s["kind"] == "direct":
            cpu = None
        r.update(cpu_s=cpu, utime=ru.ru_utime, stime=ru.ru_stime,
                 maxrss_kib=ru.ru_maxrss,
                 app_cpu_subtracted=app_reaped_by_server)
        if samples:
            mid = samples[0]["t"] + (samples[-1]["t"] - samples[0]["t"]) / 2
            ms = min(samples, key=lambda x: abs(x["t"] - mid))
            r.update(hwm_kib=max(x["hwm_kib"] for x in samples),
                     private_kib_mid=ms["private_kib"],
                     private_kib_max=max(x["private_kib"] for x in samples),
                     private_dirty_kib_mid=ms["private_dirty_kib"],
                     rss_kib_mid=ms["rss_kib"],
                     threads=max(x["threads"] for x in samples),
                     io_uring_fd=any(x["io_uring"] for x in samples),
                     samples=len(samples))
        ok = cres.get("ok") is True and r["exit"] == 0
        if not ok:
            r["error"] = (f"client: {cres.get('error', '')} "
                          f"ok={cres.get('ok')} server exit={r['exit']}")
        r["ok"] = ok
        return r

    # ------------------------------------------------- syscall counting

    def attach_counter(self, pid):
        """pid is stopped in `perf-app stopexec`: attach perf stat to it
        (this process only, not what it forks), wait until perf says the
        counters are on, then let it exec the server. perf holds none of
        the server's descriptors (it would keep pipes and sockets open)."""
        os.waitpid(pid, os.WUNTRACED)
        ctl = os.path.join(self.work, "perf.ctl")
        ack = os.path.join(self.work, "perf.ack")
        out = os.path.join(self.work, "perf-stat.txt")
        for f in (ctl, ack, out):
            if os.path.exists(f):
                os.unlink(f)
        os.mkfifo(ctl)
        os.mkfifo(ack)
        cfd = os.open(ctl, os.O_RDWR | os.O_CLOEXEC)
        afd = os.open(ack, os.O_RDWR | os.O_CLOEXEC)
        p = subprocess.Popen([self.perf, "stat", "--no-inherit", "-x,", "-D",
                              "-1", "--control", f"fifo:{ctl},{ack}", "-e",
                              ",".join(SYSCALL_EVENTS), "-o", out, "-p",
                              str(pid)], stderr=open(self.errlog, "a"))
        t0 = time.monotonic()
        os.write(cfd, b"enable\n")
        r, _, _ = select.select([afd], [], [], 20)
        if r:
            os.read(afd, 64)
        else:
            log("perf stat did not acknowledge: counts may be missing")
        os.close(cfd)
        os.close(afd)
        self.results.setdefault("perf_attach_s", []).append(
            round(time.monotonic() - t0, 3))
        os.kill(pid, signal.SIGCONT)
        return (p, out)

    def collect_counter(self, counter):
        """Called once the server has exited: its counts are final. perf
        stat -p notices the exit only once a second; SIGINT makes it print
        them now."""
        p, out = counter
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=10)
        return parse_perf_stat(out)

    # ------------------------------------------------------------ cases

    def run_alternating(self, servers, rounds, fn, what):
        per = {s["id"]: [] for s in servers}
        for i in range(rounds):
            for s in servers:
                r = fn(s)
                r["round"] = i
                per[s["id"]].append(r)
                if not r.get("ok", True):
                    log(f"{what} {s['id']} round {i}: FAILED: {r.get('error')}")
            log(f"{what}: round {i + 1}/{rounds} done")
        return per

    def check_engine(self, s, rounds):
        """The poll server must not hold an io_uring fd (and ours must)."""
        for r in rounds:
            if "io_uring_fd" in r and s["id"] == "poll" and r["io_uring_fd"]:
                r["ok"] = False
                r["error"] = "poll engine requested but io_uring fd seen"

    def case_bulk(self, servers, mode, suite, name):
        p = self.p
        for s in servers:  # warm-up: page cache, CPU frequency
            self.tunnel_round(s, mode, p["warm_bulk"], suite=suite)

        def one(s):
            r = self.tunnel_round(s, mode, p["bulk"], suite=suite)
            c = r["client"]
            if r["ok"]:
                r["MBps"] = c["bytes"] / c["seconds"] / 1e6
                r["cpu_per_GiB"] = r["cpu_s"] / (c["bytes"] / GiB)
            return r
        per = self.run_alternating(servers, p["rounds"], one, name)
        for s in servers:
            self.check_engine(s, per[s["id"]])
        sysc = {}
        if self.perf_ok:
            for s in servers:
                big = self.tunnel_round(s, mode, p["sys_big"], suite=suite,
                                        syscalls=True)
                small = self.tunnel_round(s, mode, p["sys_small"],
                                          suite=suite, syscalls=True)
                sysc[s["id"]] = slope(big, small, p["sys_big"] / MiB,
                                      p["sys_small"] / MiB)
        self.results["cases"][name] = {"kind": "bulk", "mode": mode,
                                       "suite": suite or "client default",
                                       "bytes": p["bulk"], "rounds": per,
                                       "syscalls": sysc}

    def case_pingpong(self, servers):
        p = self.p
        servers = servers + self.floors()
        for s in servers:
            self.results["servers"].setdefault(s["id"], {
                "label": s["label"], "available": True, "kind": s["kind"],
                "floor": s["kind"] in FLOOR_KINDS})
        for s in servers:
            self.tunnel_round(s, "pingpong", p["warm_pp"])

        def one(s):
            return self.tunnel_round(s, "pingpong", p["pp"])
        per = self.run_alternating(servers, p["rounds"], one, "pingpong")
        for s in servers:
            self.check_engine(s, per[s["id"]])
        sysc = {}
        if self.perf_ok:
            for s in servers:
                if s["kind"] == "direct":
                    continue
                nb, ns = p["pp_sys_big"], p["pp_sys_small"]
                big = self.tunnel_round(s, "pingpong", nb, syscalls=True)
                small = self.tunnel_round(s, "pingpong", ns, syscalls=True)
                sysc[s["id"]] = slope(big, small, nb + min(nb // 10, 200),
                                      ns + min(ns // 10, 200))
        self.results["cases"]["pingpong"] = {
            "kind": "pingpong", "suite": SUITE_EC, "count": p["pp"],
            "size": 64, "rounds": per, "syscalls": sysc}

    def connrate_round(self, s, cert, threads, secs):
        portfile = os.path.join(self.work, "acceptd.port")
        if os.path.exists(portfile):
            os.unlink(portfile)
        suite = SUITE_EC if cert == "ec" else SUITE_RSA
        cargs = ["-c", suite] + (["-R"] if s.get("resume") else [])
        if s["kind"] == "tlsdio":
            cmd = [s["tlsd"], *s.get("tlsd_opts", []), "--", self.app,
                   "line"]
            env = self.tls_env(s, cert)
        elif s["kind"] == "spawn":
            cmd, env, cargs = [self.app, "line"], s["env"], ["-P"]
        else:
            cmd = [s["bin"], self.stunnel_conf(cert, suite, [self.app, "line"])]
            env = s["env"]
        d = subprocess.Popen([self.acceptd, portfile] + cmd, env=env,
                             stdout=subprocess.PIPE,
                             stderr=open(self.errlog, "a"))
        for _ in range(1000):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.005)
        port = open(portfile).read().strip()
        c = subprocess.run([self.client, "-p", port, *cargs, "connrate",
                            str(threads), str(secs)], capture_output=True,
                           timeout=secs + 60)
        d.send_signal(signal.SIGTERM)
        out, _ = d.communicate(timeout=60)
        try:
            cres = json.loads(c.stdout.decode().strip().splitlines()[-1])
            dres = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"server": s["id"], "ok": False,
                    "error": "no output from client or acceptd"}
        r = {"server": s["id"], "client": cres, "acceptd": dres,
             "rate": cres.get("rate", 0)}
        if s.get("resume"):
            r["resumed"] = cres.get("resumed", 0)
            r["resumed_frac"] = r["resumed"] / (cres.get("connections") or 1)
        n = dres.get("accepted") or 1
        r["cpu_per_conn_ms"] = (dres["utime"] + dres["stime"]) / n * 1e3
        r["cpu_by_program_ms"] = {k: v["cpu"] / n * 1e3 for k, v in
                                  dres.get("by_program", {}).items()}
        r["minflt_per_conn"] = dres.get("minflt", 0) / n
        r["minflt_by_program"] = {k: v.get("minflt", 0) / n for k, v in
                                  dres.get("by_program", {}).items()}
        r["ok"] = cres.get("ok") is True and dres.get("bad_exit", 1) == 0
        # s6-networking 2.8.0.1's s6-tlsd-io now and then exits 111 after
        # the client got everything ("unable to read from remote: Bad file
        # descriptor", 2 clients): its rate still counts, and the report
        # says how often.
        if (s.get("base", s["id"]) == "ref" and cres.get("ok") is True and
                dres.get("bad_exit", 1) <= 0.02 * dres.get("reaped", 0)):
            r["ok"] = True
            r["peer_bad_exits"] = dres.get("bad_exit", 0)
        if not r["ok"]:
            r["error"] = (f"failed={cres.get('failed')} "
                          f"exit codes={dres.get('exit_codes')}")
        return r

    def case_connrate(self, servers, cert, threads):
        """Full handshakes and the resumed variant alternate in the same
        rounds; the variant's rounds are shorter (resume_secs)."""
        p = self.p
        name = f"connrate-{cert}-{threads}"
        servers = servers + self.connrate_extras()
        servers += self.connrate_resumed(servers, name)
        for s in servers:
            self.results["servers"].setdefault(s["id"], {
                "label": s["label"], "available": True, "kind": s["kind"],
                "floor": s["kind"] in FLOOR_KINDS,
                "resume": s.get("resume", False),
                "base": s.get("base", s["id"]),
                "session_cache": "TLS_SESSION_CACHE" in s["env"]})

        def secs(s):
            """(a round, the warm-up) in seconds"""
            if s.get("resume"):
                return p["resume_secs"], p["warm_resume"]
            return p["conn_secs"], p["warm_conn"]
        for s in servers:
            self.connrate_round(s, cert, threads, secs(s)[1])
        per = self.run_alternating(
            servers, p["rounds"],
            lambda s: self.connrate_round(s, cert, threads, secs(s)[0]),
            name)
        self.results["cases"][name] = {
            "kind": "connrate", "cert": cert, "threads": threads,
            "suite": SUITE_EC if cert == "ec" else SUITE_RSA,
            "seconds": p["conn_secs"], "resume_seconds": p["resume_secs"],
            "rounds": per}

    def case_records(self):
        key, chain = self.certs["ec"]
        sizes = self.p["records"]
        per = {k: [] for k in sizes}
        for i in range(self.p["rounds"]):
            for suite, n in sizes.items():
                out = subprocess.run([self.records, key, chain, suite, str(n)],
                                     capture_output=True, timeout=300)
                try:
                    r = json.loads(out.stdout.decode().strip())
                except ValueError:
                    r = {"error": out.stdout.decode() + out.stderr.decode()}
                r["round"] = i
                per[suite].append(r)
        log("records: done")
        self.results["cases"]["records"] = {"kind": "records", "rounds": per}

    # -------------------------------------------------------------- all

    def run(self):
        set_subreaper()
        t0 = time.monotonic()
        self.perf_ok = perf_works(self.perf)
        if not self.perf_ok:
            self.note("perf stat with raw_syscalls:sys_enter does not work "
                      "here: no system call counts")
        servers = self.servers()
        usable = []
        for s in servers:
            if s["kind"] != "tlsdio":
                usable.append(s)
                continue
            seen = self.probe_engine(s)
            s["io_uring_fd"] = seen
            if s["id"] == "poll" and seen:
                self.note("poll engine: not available (S6_TLSD_IO_ENGINE="
                          "poll had no effect: the process still opened an "
                          "io_uring)")
                self.results["servers"]["poll"] = {
                    "label": s["label"], "available": False,
                    "why": "S6_TLSD_IO_ENGINE=poll had no effect"}
                continue
            if s["id"] == "uring" and not seen:
                self.note("warning: no io_uring fd seen in the default "
                          "engine; the engine check may not work")
            usable.append(s)
        if not any(s["id"] == "ref" for s in servers):
            self.results["servers"]["ref"] = {
                "label": "s6-networking 2.8.0.1 s6-tlsd-io", "available": False,
                "why": debian_s6_networking() + "; the issue's published "
                       "figures are used (set S6_NET_TLSD_IO to the path of "
                       "an s6-networking s6-tlsd-io, with its s6-tlsd beside "
                       "it, to measure it as a fourth server)"}
        for s in usable:
            self.results["servers"][s["id"]] = {
                "label": s["label"], "available": True, "kind": s["kind"],
                "io_uring_fd": s.get("io_uring_fd")}
        self.results["order"] = [s["id"] for s in usable]
        log("servers: " + ", ".join(s["label"] for s in usable))

        timing = self.results["case_seconds"] = {}

        def timed(name, fn, *args):
            if self.a.only and not name.startswith(tuple(self.a.only)):
                return
            t = time.monotonic()
            fn(*args)
            timing[name] = round(time.monotonic() - t, 1)
            log(f"{name}: {timing[name]} s")
        timed("records", self.case_records)
        timed("download", self.case_bulk, usable, "download", SUITE_EC,
              "download")
        timed("upload", self.case_bulk, usable, "upload", SUITE_EC, "upload")
        timed("download-default", self.case_bulk, usable, "download", None,
              "download-default")
        timed("pingpong", self.case_pingpong, usable)
        for cert in ("ec", "rsa"):
            for threads in (1, 2):
                timed(f"connrate-{cert}-{threads}", self.case_connrate,
                      usable, cert, threads)
        self.results["elapsed_s"] = time.monotonic() - t0
        self.results["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        self.results["params"] = {k: v for k, v in self.p.items()}
        with open(self.a.out, "w") as f:
            json.dump(self.results, f, indent=1)
        log(f"results: {self.a.out} ({self.results['elapsed_s']:.0f} s)")


def stunnel_label(path):
    try:
        out = subprocess.run([path, "-version"], capture_output=True,
                             timeout=10).stderr.decode()
        for line in out.splitlines():
            if line.startswith("stunnel "):
                return "stunnel4 " + line.split()[1] + " (inetd)"
    except (OSError, subprocess.SubprocessError):
        pass
    return "stunnel4 (inetd)"


def debian_s6_networking():
    """Does this system's Debian package s6-networking?"""
    try:
        out = subprocess.run(["apt-cache", "policy", "s6-networking"],
                             capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "s6-networking not found (no apt-cache)"
    for line in out.splitlines():
        if "Candidate:" in line and "(none)" not in line:
            return ("Debian offers s6-networking " + line.split()[-1] +
                    " but it is not installed")
    return ("Debian 12 does not package s6-networking "
            "(`apt-cache policy s6-networking`: no candidate)")


def perf_works(perf):
    if not perf:
        return False
    try:
        r = subprocess.run([perf, "stat", "-x,", "-e",
                            ",".join(SYSCALL_EVENTS), "--", "true"],
                           capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0 and "raw_syscalls:sys_enter" in r.stderr.decode()


def parse_perf_stat(path):
    counts = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) < 3 or not parts[0].strip().isdigit():
                    continue
                ev = parts[2]
                name = ("total" if ev == "raw_syscalls:sys_enter"
                        else ev.replace("syscalls:sys_enter_", ""))
                counts[name] = int(parts[0])
    except OSError:
        pass
    return counts


def slope(big, small, xb, xs):
    """Per-unit syscall cost between two runs, and the fixed part."""
    cb, cs = big.get("syscalls", {}), small.get("syscalls", {})
    if "total" not in cb or "total" not in cs:
        return {"error": "no counts", "big": cb, "small": cs}
    for c in (cb, cs):
        c["other"] = c["total"] - sum(v for k, v in c.items()
                                      if k not in ("total", "other"))
    per = {k: (cb.get(k, 0) - cs.get(k, 0)) / (xb - xs) for k in cb}
    fixed = cs["total"] - per["total"] * xs
    return {"per_unit": per["total"], "by_call": {k: v for k, v in per.items()
                                                  if k != "total" and v > 0.005},
            "fixed": fixed, "big": cb, "small": cs, "x_big": xb,
            "x_small": xs, "ok": big.get("exit") == 0 and small.get("exit") == 0}


def machine_facts():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        flags = open("/proc/cpuinfo").read()
    except OSError:
        flags = ""
    ver = lambda cmd: (subprocess.run(cmd, capture_output=True, text=True)
                       .stdout.strip() if shutil.which(cmd[0]) else "")
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "aes_ni": " aes " in flags, "pclmulqdq": "pclmulqdq" in flags,
            "openssl": ver(["openssl", "version"]),
            "bearssl": ver(["dpkg-query", "-W", "-f=${Version}",
                            "libbearssl0"]) or ver(["dpkg-query", "-W",
                                                     "-f=${Version}",
                                                     "libbearssl-dev"]),
            "liburing": ver(["dpkg-query", "-W", "-f=${Version}",
                             "liburing-dev"]),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=MODES, default="quick")
    ap.add_argument("--build", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--certs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", type=lambda v: v.split(","), default=None,
                    help="only the cases starting with one of these, "
                    "comma-separated (connrate, download, ...)")
    a = ap.parse_args()
    Bench(a).run()


if __name__ == "__main__":
    main()
