#!/usr/bin/python3
"""Turns the JSON of perf/bench.py into doc/perf.md and the doc/perf-*.png
plots. Usage: report.py RESULTS.json DOCDIR"""
import json
import os
import statistics
import sys

# The issue's (#8) reference: s6-networking 2.8.0.1's s6-tlsd-io, measured
# by the author on this kind of machine. Debian 12 does not package
# s6-networking, so unless a run measured it these are the figures used.
REF = {
    "download": {"MBps": 1000, "cpu_per_GiB": 0.97, "sys": 256},
    "upload": {"MBps": 700, "sys": 320},
    "download-default": {"MBps": 260},
    "pingpong": {"p50_us": 73, "p99_us": 105, "sys": 10},
    "connrate-ec-1": {"rate": 240, "cpu_ms": 3.7},
    "connrate-ec-2": {"rate": 430, "cpu_ms": 3.7},
    "connrate-rsa-1": {"rate": 180},
    "connrate-rsa-2": {"rate": 330},
    "hwm_kib": 1900,
    "records": {"aes128gcm": 3500, "chacha20": 360},
}
OURS = ("uring", "poll")
# The connection-rate case's resumed variant (perf/bench.py RESUME_SERVERS):
# the server id of a base server's variant.
RESUMED = "-resumed"
RESUME_TARGET = 0.8  # issue #16: CPU per resumed connection / full one
# Measured once, side by side in one session (2026-12-07, this machine
# kind): the build before issue #17 (5534b02: dynamic libc, CPUID per
# connection, no --fork-io), the changed build and s6-networking, with the
# same super-server and client (perf-acceptd, perf-client connrate 1).
FAULTS_BEFORE = ("before (5534b02, libc shared, CPUID per connection) "
                 "181; s6-networking in the same session 183; after: 122 "
                 "by default, 118 with --fork-io.")


def med(v):
    return statistics.median(v) if v else None


def fmt(x, nd=0):
    if x is None:
        return "–"
    if abs(x) >= 100 and nd <= 1:
        return f"{x:,.0f}"
    return f"{x:,.{nd}f}"


def cell(vals, nd=0):
    """median (min–max)"""
    if not vals:
        return "–"
    m = med(vals)
    if len(vals) == 1:
        return fmt(m, nd)
    return f"{fmt(m, nd)} ({fmt(min(vals), nd)}–{fmt(max(vals), nd)})"


def ratio(a, b):
    if a is None or not b:
        return "–"
    return f"{a / b:.2f}×"


class Report:
    def __init__(self, res):
        self.r = res
        self.c = res["cases"]
        self.order = res["order"]
        self.labels = {k: v["label"] for k, v in res["servers"].items()}
        self.ref_measured = res["servers"].get("ref", {}).get("available")
        self.lines = []

    def w(self, s=""):
        self.lines.append(s)

    def vals(self, case, sid, key, sub=None):
        rs = self.c.get(case, {}).get("rounds", {}).get(sid, [])
        out = []
        for r in rs:
            if not r.get("ok", True):
                continue
            v = r.get(key) if sub is None else r.get(key, {}).get(sub)
            if v is not None:
                out.append(v)
        return out

    def nok(self, case, sid):
        rs = self.c.get(case, {}).get("rounds", {}).get(sid, [])
        return sum(1 for r in rs if r.get("ok", True)), len(rs)

    def refval(self, case, key):
        """The reference: measured in this run when it was, else the
        issue's figure. Returns (value, 'run'|'issue'|None)."""
        if self.ref_measured:
            v = med(self.vals(case, "ref", key))
            if v is not None:
                return v, "run"
        v = REF.get(case, {}).get(key)
        return (v, "issue") if v is not None else (None, None)

    def syscalls(self, case, sid):
        s = self.c.get(case, {}).get("syscalls", {}).get(sid)
        if not s or "per_unit" not in s:
            return None, {}
        return s["per_unit"], s.get("by_call", {})

    # ----------------------------------------------------------- tables

    def bulk_table(self, case, title):
        self.w(f"### {title}")
        self.w()
        cs = self.c[case]
        self.w(f"{cs['bytes'] // (1 << 20)} MiB per round, suite: "
               f"{cs['suite']}. Ratios: this server's median over "
               f"stunnel4's, and over the reference "
               f"({self.refsrc()}).")
        self.w()
        self.w("| server | MB/s | × stunnel4 | × ref | CPU s/GiB | × stunnel4 "
               "| × ref | syscalls/MiB | × ref | client CPU | suite | ok |")
        self.w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        st_mb = med(self.vals(case, "stunnel", "MBps"))
        st_cpu = med(self.vals(case, "stunnel", "cpu_per_GiB"))
        ref_mb, _ = self.refval(case, "MBps")
        ref_cpu, _ = self.refval(case, "cpu_per_GiB")
        ref_sys = REF.get(case, {}).get("sys")
        for sid in self.order:
            mb = self.vals(case, sid, "MBps")
            cpu = self.vals(case, sid, "cpu_per_GiB")
            sysc, _ = self.syscalls(case, sid)
            suites = sorted({r["client"].get("suite", "?") + " " +
                             r["client"].get("protocol", "")
                             for r in cs["rounds"][sid] if r.get("ok")})
            ok, n = self.nok(case, sid)
            share = [r["client"]["client_cpu"] / r["client"]["seconds"] * 100
                     for r in cs["rounds"][sid] if r.get("ok")]
            self.w(f"| {self.labels[sid]} | {cell(mb)} | "
                   f"{ratio(med(mb), st_mb) if sid != 'stunnel' else ''} | "
                   f"{ratio(med(mb), ref_mb)} | {cell(cpu, 2)} | "
                   f"{ratio(med(cpu), st_cpu) if sid != 'stunnel' else ''} | "
                   f"{ratio(med(cpu), ref_cpu)} | {fmt(sysc, 1)} | "
                   f"{ratio(sysc, ref_sys)} | "
                   f"{fmt(med(share)) if share else '–'}% | "
                   f"{', '.join(suites)} | {ok}/{n} |")
        if not self.ref_measured and case in REF:
            rr = REF[case]
            self.w(f"| *reference (issue figures)* | {fmt(rr.get('MBps'))} "
                   f"| | | {fmt(rr.get('cpu_per_GiB'), 2)} | | | "
                   f"{fmt(rr.get('sys'))} | | | | |")
        self.w()
        self.w("Client CPU: the client's CPU time over the transfer's wall "
               "time (100% = one of the 2 cores).")
        self.w()
        calls = []
        for sid in self.order:
            _, by = self.syscalls(case, sid)
            if by:
                calls.append(f"{self.labels[sid]}: " + ", ".join(
                    f"{k} {v:.1f}" for k, v in sorted(by.items(),
                                                      key=lambda x: -x[1])))
        if calls:
            self.w("System calls per MiB by call: " + "; ".join(calls) + ".")
            self.w()

    def pingpong_ref(self):
        """p50, p99 and syscalls per round trip of the reference: measured
        in this run when it was, else the issue's figures."""
        if self.ref_measured:
            p50 = med(self.vals("pingpong", "ref", "client", "p50_us"))
            p99 = med(self.vals("pingpong", "ref", "client", "p99_us"))
            if p50 is not None:
                return p50, p99, self.syscalls("pingpong", "ref")[0]
        r = REF["pingpong"]
        return r["p50_us"], r["p99_us"], r["sys"]

    def pingpong_table(self):
        case = "pingpong"
        cs = self.c[case]
        self.w("### Ping-pong (64-byte messages through an echo app)")
        self.w()
        self.w(f"{cs['count']} round trips per round (after a warm-up), "
               f"suite {cs['suite']}; latency as the client sees it "
               f"(write 64 bytes, read 64 bytes back), in µs.")
        self.w()
        self.w("| server | p50 µs | × stunnel4 | × ref | p99 µs | × ref | "
               "p99.9 µs | server CPU µs/round trip | syscalls/round trip | "
               "× ref | ok |")
        self.w("|---|---|---|---|---|---|---|---|---|---|---|")
        st50 = med(self.vals(case, "stunnel", "client", "p50_us"))
        r50, r99, rsys = self.pingpong_ref()
        floors = [f for f in ("relay", "direct") if f in cs["rounds"]]
        for sid in self.order + floors:
            p50 = self.vals(case, sid, "client", "p50_us")
            p99 = self.vals(case, sid, "client", "p99_us")
            p999 = self.vals(case, sid, "client", "p999_us")
            n = cs["count"] + min(cs["count"] // 10, 200)
            cpu = [v / n * 1e6 for v in self.vals(case, sid, "cpu_s")]
            sysc, _ = self.syscalls(case, sid)
            ok, nr = self.nok(case, sid)
            self.w(f"| {self.labels[sid]} | {cell(p50, 1)} | "
                   f"{ratio(med(p50), st50) if sid != 'stunnel' else ''} | "
                   f"{ratio(med(p50), r50)} | {cell(p99, 1)} | "
                   f"{ratio(med(p99), r99)} | {cell(p999, 1)} | "
                   f"{cell(cpu, 1)} | {fmt(sysc, 2)} | "
                   f"{ratio(sysc, rsys)} | {ok}/{nr} |")
        if not self.ref_measured:
            self.w(f"| *reference (issue figures)* | {r50} | | | ~{r99} | | "
                   f"| | {REF['pingpong']['sys']} | | |")
        self.w()
        if floors:
            self.w("The floors carry the same 64-byte messages without TLS "
                   "(the client on plain TCP): *cleartext relay* is "
                   "`perf-relay`, a poll(2) loop doing the same "
                   "socket-pipe-app-pipe-socket hop (its CPU is the relay's "
                   "own); *direct echo* is the app itself on the socket, no "
                   "relay at all (no server CPU to show). No relay can beat "
                   "the direct echo; what a TLS server adds over the "
                   "cleartext relay is what TLS and its engine cost.")
            self.w()
        calls = []
        for sid in self.order + floors:
            _, by = self.syscalls(case, sid)
            if by:
                calls.append(f"{self.labels[sid]}: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in sorted(by.items(),
                                                      key=lambda x: -x[1])))
        if calls:
            self.w("System calls per round trip by call: " +
                   "; ".join(calls) + ".")
            self.w()

    def connrate_table(self):
        self.w("### Connection rate (handshake, one line, close)")
        self.w()
        secs = next(v["seconds"] for k, v in self.c.items()
                    if v["kind"] == "connrate")
        self.w(f"{secs:g} s per round. Each connection: a new TCP connection "
               "from the client, a full handshake (no resumption), the app "
               "writes one line and exits, the client reads to EOF. CPU per "
               "connection is the CPU of every process the connection "
               "started (s6-tlsd, s6-tlsd-io and the app; stunnel4 and the "
               "app), from the super-server's wait4.")
        self.w()
        self.w("| case | server | conn/s | × stunnel4 | × ref | server CPU "
               "ms/conn | × stunnel4 | × ref | minor faults/conn | × ref | "
               "client CPU share | ok |")
        self.w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for cert in ("ec", "rsa"):
            for th in (1, 2):
                case = f"connrate-{cert}-{th}"
                if case not in self.c:
                    continue
                name = (f"{'EC P-256' if cert == 'ec' else 'RSA-2048'}, "
                        f"{th} client thread{'s' if th > 1 else ''}")
                st = med(self.vals(case, "stunnel", "rate"))
                stc = med(self.vals(case, "stunnel", "cpu_per_conn_ms"))
                rr, _ = self.refval(case, "rate")
                rc, _ = self.refval(case, "cpu_ms")
                if self.ref_measured:
                    rc = med(self.vals(case, "ref", "cpu_per_conn_ms")) or rc
                rf = med(self.vals(case, "ref", "minflt_per_conn"))
                extra = [x for x in ("fork", "spawn")
                         if x in self.c[case]["rounds"]]
                for sid in self.order + extra:
                    rate = self.vals(case, sid, "rate")
                    cpu = self.vals(case, sid, "cpu_per_conn_ms")
                    flt = self.vals(case, sid, "minflt_per_conn")
                    share = [r["client"]["client_cpu"] / r["client"]["seconds"]
                             for r in self.c[case]["rounds"][sid]
                             if r.get("ok") and "client_cpu" in r["client"]]
                    ok, n = self.nok(case, sid)
                    self.w(f"| {name} | {self.labels[sid]} | {cell(rate)} | "
                           f"{ratio(med(rate), st) if sid != 'stunnel' else ''}"
                           f" | {ratio(med(rate), rr)} | {cell(cpu, 2)} | "
                           f"{ratio(med(cpu), stc) if sid != 'stunnel' else ''}"
                           f" | {ratio(med(cpu), rc)} | {cell(flt)} | "
                           f"{ratio(med(flt), rf)} | "
                           f"{fmt(med(share) * 100 if share else None)}% | "
                           f"{ok}/{n} |")
                if not self.ref_measured:
                    self.w(f"| {name} | *reference (issue figures)* | "
                           f"{fmt(rr)} | | | {fmt(rc, 1) if rc else '–'} | | "
                           f"| | | | |")
        self.w()
        self.w("Client CPU share: CPU seconds the client used per second "
               "of the round (100% = one of the 2 cores busy). *s6-tlsd "
               "--fork-io*: the engine runs in a fork of s6-tlsd instead of "
               "an exec of s6-tlsd-io. *floor*: the same super-server "
               "starting only the static app per connection, with a plain "
               "TCP client: what creating a process costs here. Minor "
               "faults: every process of the connection, from wait4. The "
               "super-server spawns as s6-tcpserverd does (posix_spawn, "
               "which copies none of its memory): until 2026-12-07 it "
               "forked, and every server's figures then held about 21 "
               "more faults per connection for the copy.")
        self.w()
        self.w("Minor faults per connection, before and after issue #17's "
               "work (EC P-256, 1 client thread, every process of the "
               "connection): " + FAULTS_BEFORE + " After: the column above.")
        self.w()
        rows = []
        for case in ("connrate-ec-1", "connrate-rsa-1"):
            for sid in self.order + ["fork", "spawn"] + self.resumed_ids():
                rs = [r for r in self.c.get(case, {}).get("rounds", {})
                      .get(sid, []) if r.get("ok")]
                progs = sorted({k for r in rs
                                for k in r.get("cpu_by_program_ms", {})})
                parts = [f"{k} {med([r['cpu_by_program_ms'].get(k, 0) for r in rs]):.2f}"
                         f" ({med([r.get('minflt_by_program', {}).get(k, 0) for r in rs]):.0f} faults)"
                         for k in progs]
                if parts:
                    rows.append(f"| {case} | {self.labels[sid]} | "
                                + ", ".join(parts) + " |")
        if rows:
            self.w("Server CPU per connection by program (ms and minor "
                   "faults, median; the "
                   "name a process had when it exited: s6-tlsd execs the "
                   "app, so s6-tlsd's own work is under perf-app; "
                   "stunnel4's exec child is under stunnel4 when stunnel4 "
                   "reaped it):")
            self.w()
            self.w("| case | server | ms per connection by program |")
            self.w("|---|---|---|")
            for row in rows:
                self.w(row)
            self.w()

    def memory_table(self):
        self.w("### Memory")
        self.w()
        self.w("Of the server process (for stunnel4, the process holding "
               "the connection, not its exec child), from /proc/PID/status "
               "(VmHWM, the peak RSS) and /proc/PID/smaps_rollup "
               "(Private_Clean + Private_Dirty, sampled every 50 ms; the "
               "sample nearest the middle of the transfer), in KiB. One "
               "process per connection, so the private memory is also the "
               "memory per connection.")
        self.w()
        self.w("| server | VmHWM download | VmHWM upload | VmHWM ping-pong |"
               " private mid-download | private mid-upload | "
               "private mid-ping-pong | of which dirty, mid-download | "
               "× stunnel4 (private, download) |")
        self.w("|---|---|---|---|---|---|---|---|---|")
        stp = med(self.vals("download", "stunnel", "private_kib_mid"))
        for sid in self.order:
            row = [cell(self.vals(c, sid, "hwm_kib"))
                   for c in ("download", "upload", "pingpong")]
            row += [cell(self.vals(c, sid, "private_kib_mid"))
                    for c in ("download", "upload", "pingpong")]
            row.append(cell(self.vals("download", sid,
                                      "private_dirty_kib_mid")))
            pm = med(self.vals("download", sid, "private_kib_mid"))
            self.w(f"| {self.labels[sid]} | " + " | ".join(row) +
                   f" | {ratio(pm, stp) if sid != 'stunnel' else ''} |")
        if not self.ref_measured:
            self.w(f"| *reference (issue figures)* | {REF['hwm_kib']} | | | "
                   "| | | | |")
        self.w()
        self.w("Private = Private_Clean + Private_Dirty. The clean part is "
               "mostly program text (the binary, libbearssl): smaps counts "
               "a page as private while no other process maps it, so it "
               "moves to Shared_Clean as soon as a second connection (or "
               "anything else using libbearssl) runs; that is why it jumps "
               "between rounds. The dirty part (data, stack, heap, the "
               "buffers) is what each further connection really adds.")
        self.w()

    def records_table(self):
        cs = self.c.get("records")
        if not cs:
            return
        self.w("### Ceiling: BearSSL's record layer alone")
        self.w()
        self.w("perf-records: a BearSSL server engine and a BearSSL client "
               "engine in one process, in memory (Debian's libbearssl, "
               "ECDHE-ECDSA suites, 16 KiB records, the tunnel's copies "
               "included). Seal = the server engine's time (encrypt + MAC),"
               " open = the client engine's; pair = both on one core. Each "
               "run is timed in 4 MiB slices and gives its median slice "
               "(a ceiling should not count the moments another process "
               "had the core); the table is over runs as usual. Bytes per "
               "run: " + ", ".join(f"{k} {v >> 20} MiB" for k, v in
                                   self.r["params"]["records"].items())
               + ".")
        self.w()
        self.w("| suite | seal MB/s | × ref | open MB/s | pair MB/s |")
        self.w("|---|---|---|---|---|")
        for suite, rs in cs["rounds"].items():
            seal = [r["seal_MBps"] for r in rs if "seal_MBps" in r]
            opn = [r["open_MBps"] for r in rs if "open_MBps" in r]
            pair = [r["pair_MBps"] for r in rs if "pair_MBps" in r]
            self.w(f"| {suite} | {cell(seal)} | "
                   f"{ratio(med(seal), REF['records'].get(suite))} | "
                   f"{cell(opn)} | {cell(pair)} |")
        any_r = next((r for rs in cs["rounds"].values() for r in rs
                      if "aes_x86ni" in r), {})
        self.w()
        self.w("Reference (issue figures): AES-128-GCM ~3,500 MB/s, "
               "ChaCha20-Poly1305 ~360 MB/s. Implementations BearSSL "
               f"picked here: AES x86ni {any_r.get('aes_x86ni')}, GHASH "
               f"pclmul {any_r.get('ghash_pclmul')}, ChaCha20 sse2 "
               f"{any_r.get('chacha20_sse2')}, Poly1305 ctmulq "
               f"{any_r.get('poly1305_ctmulq')}.")
        self.w()

    def refsrc(self):
        return ("s6-networking measured in this run" if self.ref_measured
                else "s6-networking 2.8.0.1, the issue's published figures: "
                "not measured here, Debian 12 does not package it")

    # ---------------------------------------------------------- targets

    def targets(self):
        rows = []

        def add(what, thr, key, vals_fn, cmp, unit, nd=0):
            row = [what, thr]
            for sid in OURS:
                if sid not in self.order:
                    continue
                v = vals_fn(sid)
                if v is None:
                    row.append("–")
                    continue
                if isinstance(v, str):
                    row.append(v)
                    continue
                ok = cmp(v)
                row.append(f"{fmt(v, nd)}{unit} **{'pass' if ok else 'FAIL'}**")
            rows.append(row)

        def m(case, key, sub=None):
            return lambda sid: med(self.vals(case, sid, key, sub))

        def sysc(case):
            return lambda sid: self.syscalls(case, sid)[0]

        def suite_ok(sid):
            rs = [r for r in self.c["download-default"]["rounds"].get(sid, [])
                  if r.get("ok")]
            if not rs:
                return None
            s = rs[0]["client"].get("suite", "?")
            good = "GCM" in s if self.r["machine"].get("aes_ni") else True
            return f"{s} **{'pass' if good else 'FAIL'}**"

        add("suite a default client gets (AES-NI present: must be AES-GCM)",
            "AES-GCM", None, suite_ok, None, "")
        add("default client download ≥ 3.5 × 260 MB/s", "≥ 910 MB/s", None,
            m("download-default", "MBps"), lambda v: v >= 910, " MB/s")
        add("download ≥ 1.5 × 1000 MB/s", "≥ 1500 MB/s", None,
            m("download", "MBps"), lambda v: v >= 1500, " MB/s")
        add("upload ≥ 1.5 × 700 MB/s", "≥ 1050 MB/s", None,
            m("upload", "MBps"), lambda v: v >= 1050, " MB/s")
        add("download CPU ≤ 0.7 × 0.97 s/GiB", "≤ 0.68 s/GiB", None,
            m("download", "cpu_per_GiB"), lambda v: v <= 0.679, " s/GiB", 2)
        add("upload CPU ≤ 0.7 × reference", "no reference figure", None,
            lambda sid: (f"{fmt(med(self.vals('upload', sid, 'cpu_per_GiB')), 2)}"
                         " s/GiB (n/a)"), None, "")
        add("download syscalls ≤ 32/MiB", "≤ 32", None, sysc("download"),
            lambda v: v <= 32, "/MiB", 1)
        add("upload syscalls ≤ 32/MiB", "≤ 32", None, sysc("upload"),
            lambda v: v <= 32, "/MiB", 1)
        add("ping-pong p50 ≤ 0.75 × 73 µs", "≤ 54.8 µs", None,
            m("pingpong", "client", "p50_us"), lambda v: v <= 54.75, " µs", 1)
        add("ping-pong syscalls ≤ 4 per round trip", "≤ 4", None,
            sysc("pingpong"), lambda v: v <= 4.005, "", 2)
        for case, ref, name in (("connrate-ec-1", 240, "EC, 1 thread"),
                                ("connrate-ec-2", 430, "EC, 2 threads"),
                                ("connrate-rsa-1", 180, "RSA-2048, 1 thread"),
                                ("connrate-rsa-2", 330, "RSA-2048, 2 threads")):
            if case in self.c:
                add(f"connections/s ≥ 1.5 × {ref} ({name})",
                    f"≥ {1.5 * ref:g}/s", None, m(case, "rate"),
                    lambda v, t=1.5 * ref: v >= t, "/s")
        for case, name in (("connrate-ec-1", "EC, 1 thread"),
                           ("connrate-ec-2", "EC, 2 threads")):
            if case in self.c:
                add(f"server CPU per connection ≤ 0.66 × 3.7 ms ({name})",
                    "≤ 2.44 ms", None, m(case, "cpu_per_conn_ms"),
                    lambda v: v <= 0.66 * 3.7, " ms", 2)

        def peak(sid):
            v = [x for c in ("download", "upload", "pingpong")
                 for x in self.vals(c, sid, "hwm_kib")]
            return max(v) if v else None

        def priv(sid):
            v = [x for c in ("download", "upload")
                 for x in self.vals(c, sid, "private_kib_mid")]
            return max(v) if v else None
        add("peak RSS (VmHWM, largest of all rounds) ≤ reference 1.9 MB",
            "≤ 1900 KiB", None, peak, lambda v: v <= 1900, " KiB")
        add("private memory per connection (Private_Clean + Private_Dirty, "
            "largest mid-transfer sample)",
            "≤ 256 KiB", None, priv, lambda v: v <= 256, " KiB")

        def dirty(sid):
            v = [x for c in ("download", "upload")
                 for x in self.vals(c, sid, "private_dirty_kib_mid")]
            return max(v) if v else None
        add("… of which Private_Dirty (what one more connection adds; see "
            "Memory)", "≤ 256 KiB", None, dirty, lambda v: v <= 256, " KiB")
        hdr = ["target (issue #8)", "threshold"] + [
            self.labels[s] for s in OURS if s in self.order]
        self.w("| " + " | ".join(hdr) + " |")
        self.w("|" + "---|" * len(hdr))
        for row in rows:
            self.w("| " + " | ".join(row) + " |")
        self.w()
        if "poll" not in self.order:
            self.w("poll engine: not available (S6_TLSD_IO_ENGINE=poll had "
                   "no effect in this build: the process still opened an "
                   "io_uring), so it has no column.")
            self.w()

    def latency_targets(self):
        """Issue #12's targets: ratios to s6-networking measured in the
        same run (nothing to show without it)."""
        if not self.ref_measured:
            return
        pp = "pingpong"
        n = self.c[pp]["count"] + min(self.c[pp]["count"] // 10, 200)

        def cpu_rt(sid):
            v = med(self.vals(pp, sid, "cpu_s"))
            return v / n * 1e6 if v is not None else None

        def p(key):
            return lambda sid: med(self.vals(pp, sid, "client", key))

        def bulk(case):
            return lambda sid: med(self.vals(case, sid, "MBps"))
        rows = [("ping-pong p50 ≤ 0.75×", p("p50_us"), 0.75, -1),
                ("ping-pong p99 ≤ 0.75×", p("p99_us"), 0.75, -1),
                ("engine CPU per round trip ≤ 0.6×", cpu_rt, 0.6, -1),
                ("download ≥ 1.5×", bulk("download"), 1.5, 1),
                ("upload ≥ 1.5×", bulk("upload"), 1.5, 1)]
        self.w("### Latency targets (issue #12), against s6-networking "
               "measured in this run")
        self.w()
        self.w("| target | s6-networking | io_uring | × ref | poll | × ref |")
        self.w("|---|---|---|---|---|---|")
        for what, fn, thr, sign in rows:
            ref = fn("ref")
            cells = []
            for sid in OURS:
                v = fn(sid) if sid in self.order else None
                if v is None or not ref:
                    cells += ["–", "–"]
                    continue
                ok = v / ref <= thr if sign < 0 else v / ref >= thr
                cells += [fmt(v, 1), f"{v / ref:.2f}× "
                          f"**{'pass' if ok else 'FAIL'}**"]
            self.w(f"| {what} | {fmt(ref, 1)} | " + " | ".join(cells) + " |")
        sysc = self.syscalls(pp, "uring")[0]
        if sysc is not None:
            self.w(f"| ≤ 2 system calls per round trip | "
                   f"{fmt(self.syscalls(pp, 'ref')[0], 2)} | {fmt(sysc, 2)} | "
                   f"**{'pass' if sysc <= 2.005 else 'FAIL'}** | | |")
        self.w()
        fl = []
        for sid in ("relay", "direct"):
            f50, f99 = p("p50_us")(sid), p("p99_us")(sid)
            r50, r99 = p("p50_us")("ref"), p("p99_us")("ref")
            if f50 is not None and r50:
                fl.append(f"{self.labels[sid]}: p50 {fmt(f50, 1)} µs "
                          f"({f50 / r50:.2f}×), p99 {fmt(f99, 1)} µs "
                          f"({f99 / r99:.2f}×)")
        if fl:
            self.w("The same run's floors, as ratios to s6-networking: " +
                   "; ".join(fl) + ".")
            self.w()
        better = []
        for case, key, sub, sign in (
                ("download", "MBps", None, 1), ("upload", "MBps", None, 1),
                ("pingpong", "client", "p50_us", -1),
                ("connrate-ec-1", "rate", None, 1),
                ("connrate-ec-2", "rate", None, 1),
                ("connrate-rsa-1", "rate", None, 1),
                ("connrate-rsa-2", "rate", None, 1)):
            u = med(self.vals(case, "uring", key, sub))
            q = med(self.vals(case, "poll", key, sub))
            if u is None or q is None:
                continue
            ok = u >= q if sign > 0 else u <= q
            better.append(f"{case} {fmt(u, 1)} vs {fmt(q, 1)} "
                          f"**{'pass' if ok else 'FAIL'}**")
        if better:
            self.w("io_uring at least as fast as poll (medians; noise of a "
                   "few percent decides close cases): " +
                   "; ".join(better) + ".")
            self.w()

    def connrate_targets(self):
        """Issue #17's targets, against s6-networking in this run."""
        if not self.ref_measured:
            return
        self.w("### Connection-rate targets (issue #17), against "
               "s6-networking measured in this run")
        self.w()
        self.w("| case | conn/s ≥ 1.5× (--fork-io) | conn/s ≥ 1.2× (default) "
               "| CPU/conn ≤ 0.66× (--fork-io) | faults/conn ≤ 0.5× "
               "(--fork-io) | faults/conn ≤ 0.5× (default) |")
        self.w("|---|---|---|---|---|---|")
        for case in ("connrate-ec-1", "connrate-ec-2", "connrate-rsa-1",
                     "connrate-rsa-2"):
            if case not in self.c:
                continue

            def r(sid, key, thr, le):
                v = med(self.vals(case, sid, key))
                ref = med(self.vals(case, "ref", key))
                if v is None or not ref:
                    return "–"
                x = v / ref
                ok = x <= thr if le else x >= thr
                return f"{x:.2f}× **{'pass' if ok else 'FAIL'}**"
            self.w(f"| {case} | {r('fork', 'rate', 1.5, False)} | "
                   f"{r('uring', 'rate', 1.2, False)} | "
                   f"{r('fork', 'cpu_per_conn_ms', 0.66, True)} | "
                   f"{r('fork', 'minflt_per_conn', 0.5, True)} | "
                   f"{r('uring', 'minflt_per_conn', 0.5, True)} |")
        self.w()

    def resumed_ids(self):
        """The resumed variant's servers, in the order of their base."""
        return [b + RESUMED for b in self.order + ["fork"]
                if b + RESUMED in self.r["servers"]]

    def resume_targets(self):
        """Issue #16: resumed connections beside full handshakes of the
        same server in the same rounds, and against s6-networking (no
        session cache: the same resuming client gets full handshakes)."""
        ids = self.resumed_ids()
        cases = [f"connrate-{c}-{t}" for c in ("ec", "rsa") for t in (1, 2)]
        cases = [c for c in cases if c in self.c]
        if not ids or not cases:
            return
        rsecs = self.c[cases[0]].get("resume_seconds")
        self.w("### Session resumption (issue #16): resumed connections "
               "beside full handshakes")
        self.w()
        self.w("The connection-rate case again, with a client that resumes "
               "(`perf-client -R`: each thread offers the session ID of its "
               "previous connection; TLS 1.2, no tickets). Ours run with "
               "`TLS_SESSION_CACHE` set (a fresh file per case and server, "
               "which s6-tlsd-io creates); s6-networking has no session "
               "cache, so for the same client it does a full handshake, "
               "which is the comparison a user would make. The resumed "
               f"rounds ({rsecs:g} s each) alternate with the full ones. "
               "*Resumed fraction*: connections the client saw resumed "
               "(each thread's first one cannot be). × s6-networking: over "
               "s6-networking's figure for the same client (full: the "
               "plain client; resumed: the resuming one). Target: server "
               f"CPU per resumed connection ≤ {RESUME_TARGET}× a full one, "
               "the same server in the same run (medians).")
        self.w()
        self.w("| case | server | full conn/s | × s6-networking | full CPU "
               "ms/conn | × s6-networking | resumed conn/s | × "
               "s6-networking | resumed CPU ms/conn | × s6-networking | "
               "resumed faults/conn | resumed fraction | CPU resumed ÷ "
               f"full (≤ {RESUME_TARGET}×) | ok |")
        self.w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        low = []
        for case in cases:
            cert, th = case.split("-")[1:]
            name = (f"{'EC P-256' if cert == 'ec' else 'RSA-2048'}, {th} "
                    f"thread{'s' if th != '1' else ''}")
            for sid in ids:
                if not self.c[case]["rounds"].get(sid):
                    continue
                base = self.r["servers"][sid].get("base",
                                                  sid[:-len(RESUMED)])
                row = self.resume_row(case, base, sid)
                self.w(f"| {name} | {self.labels[base]} | " +
                       " | ".join(row) + " |")
                frac = med(self.vals(case, sid, "resumed_frac"))
                if (self.r["servers"][sid].get("session_cache") and
                        (frac is None or frac < 0.9)):
                    low.append(f"{case} {self.labels[base]} "
                               f"({fmt(frac, 2)})")
        self.w()
        if low:
            self.w("**Resumed fraction below 0.9** with a session cache: " +
                   "; ".join(low) + ". Is `TLS_SESSION_CACHE` supported by "
                   "this build (`strings s6-tlsd-io | grep "
                   "TLS_SESSION_CACHE`)? Is the file writable?")
            self.w()

    def resume_row(self, case, base, sid):
        """A row's cells after the server's name: base's full handshakes,
        its resumed variant sid, the ratios."""
        ref = "ref" + RESUMED

        def m(s, key):
            return med(self.vals(case, s, key))

        def vs(s, key, other):
            if s.startswith("ref") or not self.ref_measured:
                return ""
            return ratio(m(s, key), m(other, key))
        cells = [cell(self.vals(case, base, "rate")),
                 vs(base, "rate", "ref"),
                 cell(self.vals(case, base, "cpu_per_conn_ms"), 2),
                 vs(base, "cpu_per_conn_ms", "ref"),
                 cell(self.vals(case, sid, "rate")), vs(sid, "rate", ref),
                 cell(self.vals(case, sid, "cpu_per_conn_ms"), 2),
                 vs(sid, "cpu_per_conn_ms", ref),
                 cell(self.vals(case, sid, "minflt_per_conn")),
                 cell(self.vals(case, sid, "resumed_frac"), 2)]
        full, res = m(base, "cpu_per_conn_ms"), m(sid, "cpu_per_conn_ms")
        if not self.r["servers"][sid].get("session_cache"):
            cells.append(f"{ratio(res, full)} (no session cache)")
        elif full and res is not None:
            met = res / full <= RESUME_TARGET
            cells.append(f"{ratio(res, full)} "
                         f"**{'met' if met else 'unmet'}**")
        else:
            cells.append("–")
        ok, n = self.nok(case, sid)
        return cells + [f"{ok}/{n}"]

    # ------------------------------------------------------------- all

    def markdown(self, docdir):
        r, mc = self.r, self.r["machine"]
        cmd = "sh perf/run.sh --" + r["mode"]
        self.w("# Performance")
        self.w()
        self.w(f"Generated by `{cmd}` on {mc['date']} (this file and "
               "doc/perf-*.png are rewritten by every run; the raw results "
               "are in build-perf/perf-results.json). "
               f"{r['params']['rounds']} rounds per case.")
        self.w()
        la0, la1 = mc.get("loadavg_start"), r.get("loadavg_end")
        if la0 and float(la0[0]) > 0.5:
            self.w(f"**The machine was not idle** (load average "
                   f"{' '.join(la0)} at the start, {' '.join(la1 or [])} at "
                   "the end): other work shared the 2 cores, so take the "
                   "numbers as rough, and the ratios measured side by side "
                   "as the more reliable part.")
            self.w()
        self.w("## Machine")
        self.w()
        self.w(f"- `nproc`: {mc['nproc']}; CPU: {mc['cpu']} (AES-NI "
               f"{'yes' if mc.get('aes_ni') else 'no'}, PCLMULQDQ "
               f"{'yes' if mc.get('pclmulqdq') else 'no'})")
        self.w(f"- kernel: {mc['kernel']}")
        self.w(f"- {mc.get('openssl', '')}, libbearssl {mc.get('bearssl')}, "
               f"liburing {mc.get('liburing')}")
        self.w(f"- run took {r['elapsed_s']:.0f} s (" + ", ".join(
            f"{k} {v:g} s" for k, v in r.get("case_seconds", {}).items())
            + ")")
        self.w()
        self.w("## Servers")
        self.w()
        for sid, s in r["servers"].items():
            state = "measured" if s.get("available") else (
                "**not measured**: " + s.get("why", ""))
            self.w(f"- {s['label']}: {state}")
        self.w()
        self.w("## Targets")
        self.w()
        self.w("Thresholds from the issue: ratios to s6-networking 2.8.0.1's "
               "s6-tlsd-io (" + self.refsrc() + "). Pass/fail computed from "
               "this run's medians.")
        self.w()
        self.targets()
        self.latency_targets()
        self.connrate_targets()
        self.resume_targets()
        self.w("For each target not met: what was tried, what was measured, "
               "and what limits it, in [perf-analysis.md](perf-analysis.md).")
        self.w()
        self.w("## Results")
        self.w()
        self.w("Each cell: median over the rounds (min–max). MB = 10^6 "
               "bytes. \"× stunnel4\": this server's median divided by "
               "stunnel4's (for MB/s and conn/s higher is better; for CPU, "
               "syscalls, latency and memory lower is better). \"× ref\": "
               "divided by the reference figure.")
        self.w()
        self.w("![bulk](perf-bulk.png)")
        self.w()
        self.bulk_table("download", "Bulk download (app → client)")
        self.bulk_table("upload", "Bulk upload (client → app, counted)")
        self.bulk_table("download-default",
                        "Bulk download, default OpenSSL client (no suite "
                        "restriction; TLS 1.3 allowed)")
        self.w("![latency](perf-latency.png)")
        self.w()
        self.pingpong_table()
        self.w("![connection rate](perf-connrate.png)")
        self.w()
        self.connrate_table()
        self.memory_table()
        self.records_table()
        self.method()
        self.notes()
        with open(os.path.join(docdir, "perf.md"), "w") as f:
            f.write("\n".join(self.lines).rstrip() + "\n")

    def method(self):
        p = self.r["params"]
        self.w("## Method")
        self.w()
        self.w(f"""One command builds and runs everything: `sh perf/run.sh
[--quick|--full]` (quick: {MODE_TEXT['quick']}; full: {MODE_TEXT['full']}).
It builds the project in `build-perf/` (Release), the benchmark's own
programs (perf/CMakeLists.txt, a separate CMake project) in
`build-perf/perf-tools/`, makes fresh certificates with
`tests/gen-certs.sh`, runs `perf/bench.py`, then this report
(`perf/report.py`). Everything runs on loopback, on this machine.

- **Rounds alternate**: for each case, round 1 runs every server once
  (A B C), then round 2 (A B C), and so on; each case starts with one
  untimed warm-up per server. Tables give the median, min–max.
- **Client**: `perf-client` (perf/client.c), C on libssl
  ({self.r['machine'].get('openssl', '').split(' (')[0]}), read-ahead with a 256 KiB buffer, no certificate
  verification, no session tickets. It restricts the suite to
  ECDHE-ECDSA-AES128-GCM-SHA256 (ECDHE-RSA-AES128-GCM-SHA256 with the RSA
  certificate) and TLS 1.2, except in the default-client case. Its CPU is
  reported so one can see it is not the bottleneck.
- **Our s6-tlsd-io** (bulk and ping-pong): the driver accepts one TCP
  connection, sets TCP_NODELAY, and spawns `s6-tlsd-io -- 3 4` with fd 0/1
  the socket, fd 3/4 two pipes, KEYFILE/CERTFILE in the environment; the
  app (`perf-app writer|discard|echo`, perf/app.c) is a separate process
  on the other ends of the pipes. The poll engine is the same binary with
  `S6_TLSD_IO_ENGINE=poll`, used only when that really changes the engine
  (the driver looks for an `anon_inode:[io_uring]` link in /proc/PID/fd
  while the server waits for a ClientHello, and in every round).
- **stunnel4** in inetd mode: `stunnel4 CONF` with fd 0/1 the socket; CONF
  has no service section, `exec`/`execArgs` run the same perf-app (on
  stunnel's socketpair), the same certificate and key, `sslVersion =
  TLSv1.2` and `ciphers` = the same single suite (none of these two in
  the default-client case).
- **Bulk**: download, the app writes N bytes in 64 KiB writes, the client
  reads to EOF; upload, the client writes N bytes, half-closes TCP (no
  close_notify), the app reads to EOF and answers with the count, which the
  client checks. MB/s = N / (time from the end of the handshake to the
  last byte, or to the app's count).
- **CPU**: user + system seconds of the server process from wait4,
  start-up and handshake included (a few ms, i.e. about 0.02 s/GiB at
  128 MiB, less at 1 GiB) (for
  stunnel4 less its exec child's own CPU, which the app reports, when
  stunnel4 reaped it; the driver is a child subreaper, so when stunnel
  exits first the app is reaped, and not counted, by the driver).
- **System calls**: separate untimed rounds. The server is started stopped
  (`perf-app stopexec`), `perf stat --no-inherit -e
  raw_syscalls:sys_enter,syscalls:sys_enter_*` is attached to it with `-p`
  (the server process only: not the app stunnel forks; and perf holds none
  of its descriptors), then it is continued. Each is run at two sizes
  ({p['sys_big'] >> 20} and {p['sys_small'] >> 20} MiB; {p['pp_sys_big']}
  and {p['pp_sys_small']} round trips): the difference divided by the
  difference in MiB (or round trips) is the marginal cost, free of the
  start-up (which is reported in the JSON as "fixed").
- **Ping-pong**: the client writes 64 bytes and waits for the 64 bytes
  echoed by `perf-app echo`, {p['pp']} times after a warm-up; quantiles of
  the per-round-trip latency.
- **Connection rate**: `perf-acceptd` (perf/acceptd.c), an s6-tcpserverd-like
  accept loop (posix_spawn per connection, as s6-tcpserverd's cspawn does;
  `-f` forks and execs like ucspi-tcp's tcpserver; TCP_NODELAY) that is a child
  subreaper and sums the wait4 rusage of every process a connection starts.
  Ours: `s6-tlsd -- perf-app line`; stunnel4: `stunnel4 CONF` with `exec`
  perf-app line. The client runs 1 or 2 threads for {p['conn_secs']:g} s.
  The resumed variant (issue #16), in the same rounds: `perf-client -R`
  ({p.get('resume_secs', 0):g} s rounds) against ours with
  `TLS_SESSION_CACHE` (a fresh file per case) and s6-networking as it is;
  the client counts the connections libssl reports resumed.
- **Memory**: /proc/PID/status VmHWM and /proc/PID/smaps_rollup
  Private_Clean + Private_Dirty of the server process, sampled every 50 ms
  during the bulk and ping-pong rounds (wait4's ru_maxrss is not used: a
  process spawned from the Python driver inherits the driver's peak there).
- **Ceiling**: `perf-records` (perf/records.c), see above.
- **Reference peer**: Debian 12 has no s6-networking package, so the
  reference is the issue's published figures. With
  `S6_NET_TLSD_IO=/path/to/s6-networking/s6-tlsd-io` (its s6-tlsd beside
  it) the run measures it as one more server and every "× ref" uses it.
- **Tools**: perf-client measures MB/s, latency and conn/s (wall clock,
  CLOCK_MONOTONIC); wait4 (driver, perf-acceptd) measures CPU;
  `perf stat` (tracepoints) counts system calls; /proc measures memory and
  tells the engines apart; perf-records measures the ceiling.
""")

    def notes(self):
        self.w("## Notes from this run")
        self.w()
        notes = list(self.r.get("notes", []))
        for case, cs in self.c.items():
            if case == "records":
                continue
            for sid, rs in cs.get("rounds", {}).items():
                bad = [r for r in rs if not r.get("ok", True)]
                if bad:
                    notes.append(f"{case}, {self.labels.get(sid, sid)}: "
                                 f"{len(bad)} failed round(s): "
                                 f"{bad[0].get('error')}")
            peer = [r for sid in ("ref", "ref" + RESUMED)
                    for r in cs.get("rounds", {}).get(sid, [])
                    if r.get("peer_bad_exits")]
            if peer:
                notes.append(
                    f"{case}, {self.labels.get('ref')}: exited 111 in "
                    f"{sum(r['peer_bad_exits'] for r in peer)} of "
                    f"{sum(r['acceptd']['accepted'] for r in peer)} "
                    "connections after the client had its line (its own "
                    "error: \"unable to read from remote: Bad file "
                    "descriptor\"); the rounds count.")
        dd = self.c.get("download-default", {}).get("rounds", {})
        for sid in self.order:
            rs = [r for r in dd.get(sid, []) if r.get("ok")]
            if rs:
                c = rs[0]["client"]
                notes.append(f"A default OpenSSL client gets "
                             f"{c.get('suite')} ({c.get('protocol')}, key "
                             f"exchange {c.get('group')}) from "
                             f"{self.labels[sid]}.")
        for n in notes:
            self.w(f"- {n}")
        self.w()


MODE_TEXT = {
    "quick": "3 rounds, 128 MiB bulk, 3000 round trips, 0.8 s connection "
             "rounds (0.5 s resumed), about two minutes",
    "full": "5 rounds, 1 GiB bulk, 20000 round trips, 3 s connection "
            "rounds, a few minutes",
}


# ------------------------------------------------------------------ plots

def plots(rep, docdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = rep.order
    labels = [rep.labels[s] for s in order]
    colors = {"uring": "#1f77b4", "poll": "#2ca02c", "stunnel": "#d62728",
              "ref": "#7f7f7f", "relay": "#9467bd", "direct": "#8c564b"}

    def bars(ax, cases, key, title, ylabel, refs=None, sub=None,
             names=None):
        n = len(order)
        width = 0.8 / n
        for i, sid in enumerate(order):
            meds, lo, hi = [], [], []
            for c in cases:
                v = rep.vals(c, sid, key, sub) if not callable(key) else key(c, sid)
                m = med(v) if v else 0
                meds.append(m or 0)
                lo.append((m - min(v)) if v else 0)
                hi.append((max(v) - m) if v else 0)
            xs = [j + (i - (n - 1) / 2) * width for j in range(len(cases))]
            ax.bar(xs, meds, width, yerr=[lo, hi], capsize=3,
                   label=rep.labels[sid], color=colors.get(sid))
        if refs:
            for j, rv in enumerate(refs):
                if rv:
                    ax.hlines(rv, j - 0.45, j + 0.45, colors="k",
                              linestyles="dashed",
                              label="reference (issue)" if j == 0 or not
                              refs[0] else None)
        ax.set_xticks(range(len(cases)))
        ax.set_xticklabels(names or cases)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)

    # bulk
    fig, axs = plt.subplots(1, 4, figsize=(17, 4.6))
    cases = ["download", "upload", "download-default"]
    names = ["download", "upload", "download\n(default client)"]
    bars(axs[0], cases, "MBps", "Throughput (median, min–max)", "MB/s",
         [REF[c]["MBps"] for c in cases], names=names)
    bars(axs[1], cases, "cpu_per_GiB", "Server CPU per GiB", "CPU s / GiB",
         [REF["download"]["cpu_per_GiB"], None, None], names=names)

    def sysv(c, sid):
        v, _ = rep.syscalls(c, sid)
        return [v] if v is not None else []
    bars(axs[2], ["download", "upload"], sysv, "Server system calls per MiB",
         "syscalls / MiB", [256, 320])
    axs[2].axhline(32, color="g", linestyle=":", label="target ≤ 32")
    rc = rep.c.get("records")
    if rc:
        suites = list(rc["rounds"])
        seal = [med([r["seal_MBps"] for r in rc["rounds"][s]
                     if "seal_MBps" in r]) or 0 for s in suites]
        axs[3].bar(suites, seal, color="#9467bd", label="BearSSL seal")
        for j, s in enumerate(suites):
            if s in REF["records"]:
                axs[3].hlines(REF["records"][s], j - 0.4, j + 0.4, colors="k",
                              linestyles="dashed")
        axs[3].tick_params(axis="x", labelsize=8, labelrotation=20)
        axs[3].set_title("Ceiling: BearSSL record layer (seal)")
        axs[3].set_ylabel("MB/s")
        axs[3].grid(axis="y", alpha=0.3)
    axs[0].legend(fontsize=8)
    axs[2].legend(fontsize=8)
    fig.suptitle(f"Bulk transfer over loopback ({rep.r['mode']} run, "
                 f"{rep.r['machine']['date']})")
    fig.tight_layout()
    fig.savefig(os.path.join(docdir, "perf-bulk.png"), dpi=90)
    plt.close(fig)

    # latency: CDF of the median round (by p50) of each server
    fig, ax = plt.subplots(figsize=(8, 4.8))
    pp_rounds = rep.c["pingpong"]["rounds"]
    for sid in order + [f for f in ("relay", "direct") if f in pp_rounds]:
        rs = [r for r in pp_rounds[sid]
              if r.get("ok") and "quantiles_us" in r["client"]]
        if not rs:
            continue
        rs.sort(key=lambda r: r["client"]["p50_us"])
        q = rs[len(rs) // 2]["client"]["quantiles_us"]
        ys = [i / (len(q) - 1) for i in range(len(q))]
        ax.plot(q, ys, label=f"{rep.labels[sid]} (p50 "
                f"{rs[len(rs) // 2]['client']['p50_us']:.0f} µs)",
                color=colors.get(sid),
                linestyle="--" if sid in ("relay", "direct") else "-")
    r50, r99, _ = rep.pingpong_ref()
    src = "s6-networking, this run" if rep.ref_measured else "reference"
    ax.axvline(r50, color="k", linestyle="dashed",
               label=f"{src}: p50 {r50:.0f} µs")
    ax.axvline(r99, color="k", linestyle=":",
               label=f"{src}: p99 {r99:.0f} µs")
    ax.axvline(0.75 * r50, color="g", linestyle=":",
               label=f"target p50 ≤ 0.75× = {0.75 * r50:.1f} µs")
    ax.set_xscale("log")
    ax.set_xlabel("round-trip latency, 64-byte messages (µs, log)")
    ax.set_ylabel("fraction of round trips")
    ax.set_title("Ping-pong latency CDF (median round)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(os.path.join(docdir, "perf-latency.png"), dpi=90)
    plt.close(fig)

    # connection rate
    cases = [c for c in ("connrate-ec-1", "connrate-ec-2", "connrate-rsa-1",
                         "connrate-rsa-2") if c in rep.c]
    names = [c.replace("connrate-", "").replace("-1", ", 1 thr")
             .replace("-2", ", 2 thr").replace("ec", "EC").replace("rsa", "RSA")
             for c in cases]
    fig, axs = plt.subplots(1, 2, figsize=(13, 4.6))
    bars(axs[0], cases, "rate", "Connections per second", "conn/s",
         [REF[c]["rate"] for c in cases], names=names)
    bars(axs[1], cases, "cpu_per_conn_ms", "Server CPU per connection",
         "ms / connection", [REF[c].get("cpu_ms") for c in cases],
         names=names)
    axs[0].legend(fontsize=8)
    fig.suptitle("Connection rate: handshake, one line, close")
    fig.tight_layout()
    fig.savefig(os.path.join(docdir, "perf-connrate.png"), dpi=90)
    plt.close(fig)


def main():
    src, docdir = sys.argv[1], sys.argv[2]
    with open(src) as f:
        res = json.load(f)
    rep = Report(res)
    rep.markdown(docdir)
    try:
        plots(rep, docdir)
    except ImportError as e:
        print(f"report: no plots ({e}); install python3-matplotlib",
              file=sys.stderr)
    # the quick summary for the terminal
    print("\n".join(l for l in rep.lines
                    if l.startswith("| ") and ("**" in l or "target" in l)))


if __name__ == "__main__":
    main()
