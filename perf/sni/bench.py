#!/usr/bin/env python3
"""SNI start-up benchmark for s6-tlsd-io: the per-connection cost of having
1 or 200 server names configured (KEYFILE:x / CERTFILE:x).

Each measured connection is what a super-server does once per client:
spawn s6-tlsd-io on an accepted TCP socket (posix_spawn), the client (this
process, Python's ssl) does a full TLS 1.2 handshake with SNI, sends 1 byte,
the app side (this process, on the pipes) reads it and closes its output,
s6-tlsd-io sends close_notify (-S), the client closes, s6-tlsd-io exits.
  wall: from just before posix_spawn to wait4's return
  cpu:  ru_utime + ru_stime of s6-tlsd-io, from wait4 (the sum is exact;
        the user/sys split is tick-sampled, so it is kept in the JSON only)
Configurations are interleaved connection by connection, so that load from
other processes on the machine hits them alike.

Also, per configuration:
  - start-up only: the client connects and closes at once; s6-tlsd-io reads
    its configuration, starts, sees EOF in the handshake and exits 98.
    That is the fixed cost before the first network byte.
  - strace -f -c over a few connections: syscalls per connection.
  - an LD_PRELOAD shim (countdecode.so) counting BearSSL PEM / key / X.509
    decoders started: what was parsed, as opposed to only read.

Usage: bench.py --bin s6-tlsd-io --names DIR [--conns 200] [--preload
countdecode.so] [--json out.json]   (DIR from gen-names.sh)
"""

import argparse
import fcntl
import json
import os
import re
import select
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

WAIT = 10


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout("timed out")


def high_fd(fd):
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


class Config:
    def __init__(self, label, opts, env, names):
        self.label = label
        self.opts = opts
        self.env = env
        self.names = names          # SNI names the client cycles through
        self.wall = []
        self.cpu = []
        self.user = []
        self.sys = []
        self.start_wall = []
        self.start_cpu = []
        self.start_user = []
        self.start_sys = []
        self.strace = {}
        self.strace_conns = 0
        self.decoders = None


def make_configs(names_dir, n_many):
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("KEYFILE", "CERTFILE", "SSL_"))
            and k not in ("CADIR", "CAFILE", "TLS_UID", "TLS_GID", "LD_PRELOAD")}

    def key(i):
        return os.path.join(names_dir, "name%d.key" % i)

    def chain(i):
        return os.path.join(names_dir, "name%d.chain.pem" % i)

    def name(i):
        return "name%d.bench.test" % i

    cfgs = []
    e = dict(base, KEYFILE=key(0), CERTFILE=chain(0))
    cfgs.append(Config("k0 plain pair", ["-k", "0"], e, [name(0)]))
    e = dict(base, KEYFILE=key(0), CERTFILE=chain(0))
    for i in range(n_many):
        e["KEYFILE:" + name(i)] = key(i)
        e["CERTFILE:" + name(i)] = chain(i)
    cfgs.append(Config("k0 plain pair, %d KEYFILE:x ignored" % n_many, ["-k", "0"], e,
                       [name(0)]))
    e = dict(base)
    e["KEYFILE:" + name(0)] = key(0)
    e["CERTFILE:" + name(0)] = chain(0)
    cfgs.append(Config("k2 1 name", ["-k", "2"], e, [name(0)]))
    e = dict(base)
    for i in range(n_many):
        e["KEYFILE:" + name(i)] = key(i)
        e["CERTFILE:" + name(i)] = chain(i)
    cfgs.append(Config("k2 %d names, distinct files" % n_many, ["-k", "2"], e,
                       [name(i) for i in range(n_many)]))
    e = dict(base)
    for i in range(n_many):
        e["KEYFILE:" + name(i)] = key(0)
        e["CERTFILE:" + name(i)] = chain(0)
    cfgs.append(Config("k2 %d names, same 2 files" % n_many, ["-k", "2"], e,
                       [name(i) for i in range(n_many)]))
    return cfgs


class Bench:
    def __init__(self, binary, names_dir, preload):
        self.bin = binary
        self.preload = preload
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.check_hostname = False
        self.ctx.load_verify_locations(os.path.join(names_dir, "ca.pem"))
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.errf = tempfile.TemporaryFile()

    def spawn(self, cfg, sock, fdr, fdw, wrap=(), extra_env=None):
        env = cfg.env if not extra_env else dict(cfg.env, **extra_env)
        argv = list(wrap) + [self.bin, "-S"] + cfg.opts + ["--", "3", "4"]
        self.errf.seek(0)
        self.errf.truncate()
        s, r, w, e = (high_fd(x) for x in (sock, fdr, fdw, self.errf.fileno()))
        try:
            acts = [(os.POSIX_SPAWN_DUP2, s, 0), (os.POSIX_SPAWN_DUP2, s, 1),
                    (os.POSIX_SPAWN_DUP2, e, 2), (os.POSIX_SPAWN_DUP2, r, 3),
                    (os.POSIX_SPAWN_DUP2, w, 4)]
            return os.posix_spawnp(argv[0], argv, env, file_actions=acts)
        finally:
            for x in (s, r, w, e):
                os.close(x)

    def stderr(self):
        self.errf.seek(0)
        return self.errf.read().decode(errors="replace")

    def one(self, cfg, sni, startup_only=False, wrap=(), extra_env=None):
        """One connection; returns (rc, wall s, cpu s, (user s, sys s))."""
        signal.alarm(WAIT)
        try:
            c = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
            srv, _ = self.lsock.accept()
            fdr_r, fdr_w = os.pipe()
            fdw_r, fdw_w = os.pipe()
            t0 = time.perf_counter()
            pid = self.spawn(cfg, srv.fileno(), fdr_r, fdw_w, wrap, extra_env)
            srv.close()
            os.close(fdr_r)
            os.close(fdw_w)
            try:
                if startup_only:
                    c.close()
                else:
                    t = self.ctx.wrap_socket(c, server_hostname=sni)
                    t.sendall(b"x")
                    r, _, _ = select.select([fdw_r], [], [], WAIT)
                    if not r or os.read(fdw_r, 1) != b"x":
                        raise RuntimeError("the byte did not reach the app")
                    os.close(fdr_w)
                    fdr_w = None
                    while t.recv(4096):
                        pass
                    t.close()
            finally:
                if fdr_w is not None:
                    os.close(fdr_w)
                os.close(fdw_r)
                c.close()
            _, status, ru = os.wait4(pid, 0)
            t1 = time.perf_counter()
        finally:
            signal.alarm(0)
        rc = os.waitstatus_to_exitcode(status)
        return rc, t1 - t0, ru.ru_utime + ru.ru_stime, (ru.ru_utime, ru.ru_stime)


STRACE_LINE = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$")


def parse_strace(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = STRACE_LINE.match(line)
            if m and m.group(3) != "total":
                out[m.group(3)] = out.get(m.group(3), 0) + int(m.group(1))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--many", type=int, default=200)
    ap.add_argument("--conns", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--strace-conns", type=int, default=20)
    ap.add_argument("--preload")
    ap.add_argument("--json")
    a = ap.parse_args()
    signal.signal(signal.SIGALRM, on_alarm)
    b = Bench(a.bin, a.names, a.preload)
    cfgs = make_configs(a.names, a.many)

    # full connections, interleaved
    for i in range(a.warmup + a.conns):
        for cfg in cfgs:
            sni = cfg.names[i % len(cfg.names)]
            rc, wall, cpu, us = b.one(cfg, sni)
            if rc != 0:
                sys.exit("%s: exit %d: %s" % (cfg.label, rc, b.stderr()))
            if i >= a.warmup:
                cfg.wall.append(wall)
                cfg.cpu.append(cpu)
                cfg.user.append(us[0])
                cfg.sys.append(us[1])
    # start-up only (connect, close): exit 98 expected
    for i in range(a.warmup + a.conns):
        for cfg in cfgs:
            rc, wall, cpu, us = b.one(cfg, None, startup_only=True)
            if rc != 98:
                sys.exit("%s (startup only): exit %d: %s" % (cfg.label, rc, b.stderr()))
            if i >= a.warmup:
                cfg.start_wall.append(wall)
                cfg.start_cpu.append(cpu)
                cfg.start_user.append(us[0])
                cfg.start_sys.append(us[1])
    # syscalls
    with tempfile.TemporaryDirectory() as d:
        for cfg in cfgs:
            tot = {}
            for i in range(a.strace_conns):
                out = os.path.join(d, "strace.txt")
                rc, _, _, _ = b.one(cfg, cfg.names[i % len(cfg.names)],
                                    wrap=["strace", "-f", "-qq", "-c", "-o", out])
                if rc != 0:
                    sys.exit("%s under strace: exit %d: %s" % (cfg.label, rc, b.stderr()))
                for k, v in parse_strace(out).items():
                    tot[k] = tot.get(k, 0) + v
            cfg.strace = {k: v / a.strace_conns for k, v in tot.items()}
            cfg.strace_conns = a.strace_conns
    # decoders started
    if a.preload:
        for cfg in cfgs:
            rc, _, _, _ = b.one(cfg, cfg.names[-1], extra_env={"LD_PRELOAD": a.preload})
            m = re.search(r"countdecode: pem=(\d+) skey=(\d+) x509=(\d+)", b.stderr())
            cfg.decoders = tuple(int(x) for x in m.groups()) if m else None

    res = []
    for cfg in cfgs:
        env_bytes = sum(len(k) + len(v) + 2 for k, v in cfg.env.items())
        r = {
            "config": cfg.label, "conns": len(cfg.wall), "env_bytes": env_bytes,
            "wall_ms_median": statistics.median(cfg.wall) * 1e3,
            "wall_ms_p90": percentile(cfg.wall, 0.9) * 1e3,
            "cpu_ms_median": statistics.median(cfg.cpu) * 1e3,
            "cpu_ms_p90": percentile(cfg.cpu, 0.9) * 1e3,
            "cpu_ms_mean": statistics.fmean(cfg.cpu) * 1e3,
            "user_ms_median": statistics.median(cfg.user) * 1e3,
            "sys_ms_median": statistics.median(cfg.sys) * 1e3,
            "startup_user_ms_median": statistics.median(cfg.start_user) * 1e3,
            "startup_sys_ms_median": statistics.median(cfg.start_sys) * 1e3,
            "startup_wall_ms_median": statistics.median(cfg.start_wall) * 1e3,
            "startup_wall_ms_p90": percentile(cfg.start_wall, 0.9) * 1e3,
            "startup_cpu_ms_median": statistics.median(cfg.start_cpu) * 1e3,
            "startup_cpu_ms_p90": percentile(cfg.start_cpu, 0.9) * 1e3,
            "startup_cpu_ms_mean": statistics.fmean(cfg.start_cpu) * 1e3,
            "syscalls_per_conn": cfg.strace,
            "decoders_pem_skey_x509": cfg.decoders,
        }
        res.append(r)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)

    print("Full connection (handshake + 1 byte + close):")
    print()
    print("| configuration | wall ms median / p90 | CPU ms median / p90 (mean) "
          "| env bytes |")
    print("|---|---|---|---|")
    for r in res:
        print("| %s | %.2f / %.2f | %.2f / %.2f (%.2f) | %d |"
              % (r["config"], r["wall_ms_median"], r["wall_ms_p90"], r["cpu_ms_median"],
                 r["cpu_ms_p90"], r["cpu_ms_mean"], r["env_bytes"]))
    print()
    print("Start-up only (connect, close at once: exit 98):")
    print()
    print("| configuration | wall ms median / p90 | CPU ms median / p90 (mean) |")
    print("|---|---|---|")
    for r in res:
        print("| %s | %.2f / %.2f | %.2f / %.2f (%.2f) |"
              % (r["config"], r["startup_wall_ms_median"], r["startup_wall_ms_p90"],
                 r["startup_cpu_ms_median"], r["startup_cpu_ms_p90"],
                 r["startup_cpu_ms_mean"]))
    print()
    print("Syscalls per full connection (strace -f -c, %d connections each), and "
          "BearSSL decoders started in one connection (LD_PRELOAD countdecode.so):"
          % a.strace_conns)
    print()
    print("| configuration | syscalls/conn | openat | read | close | fstat+newfstatat "
          "| mmap | io_uring_enter | BearSSL decoders started (pem, skey, x509) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in res:
        s = r["syscalls_per_conn"]
        print("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %s |"
              % (r["config"], sum(s.values()), s.get("openat", 0), s.get("read", 0),
                 s.get("close", 0), s.get("fstat", 0) + s.get("newfstatat", 0),
                 s.get("mmap", 0), s.get("io_uring_enter", 0),
                 r["decoders_pem_skey_x509"]))


if __name__ == "__main__":
    main()
