"""Scanners nobody here wrote, against the demo's setup: tcpserver +
s6-tlsd + doc/demo/hello-http.sh on 127.0.0.1, once with an EC (ec256)
and once with an RSA (rsa2048) key.

testssl.sh (Debian: testssl.sh, command `testssl`):
  - only TLS 1.2 is offered, with a server cipher order: by default the
    AEAD suites only (AES-GCM, ChaCha20-Poly1305), ECDHE, signed with the
    certificate's key type;
  - no finding of severity LOW or higher (its --jsonfile), except
    OCSP_stapling (not offered: s6-tlsd staples no OCSP response);
  - client simulation: every simulated client able to speak TLS 1.2 with
    one of the offered suites connects with TLS 1.2; the others (TLS 1.0
    and older only) do not connect. Which client can do what comes from
    testssl's own client data (/etc/testssl/client-simulation.txt: the
    protocol range and cipher list of each client), since its JSON output
    only says what happened.
sslscan (second opinion): no null, anonymous, weak or medium suite
accepted, TLS 1.2 only, no renegotiation, not vulnerable to Heartbleed.

The keys are gen-certs.sh's; the leaf certificates are issued again here
(same intermediate) for 365 days with CRL and OCSP URIs, like a real
server's: gen-certs.sh's 30-day certificates without revocation info would
otherwise give testssl HIGH findings about the certificate itself, which
say nothing about s6-tlsd (see doc/scan.md).

TLSD_SCAN_REPORT=DIR keeps testssl's and sslscan's outputs there.
"""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsdio  # noqa: E402

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
SSLSCAN = shutil.which("sslscan")
TCPSERVER = shutil.which("tcpserver")
CLIENT_DATA = "/etc/testssl/client-simulation.txt"
HELLO = os.path.join(tlsdio.SRCDIR, "doc", "demo", "hello-http.sh")
BAD_SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
# The one finding above INFO that says nothing wrong about what is offered.
ALLOWED_FINDINGS = {"OCSP_stapling"}
# The default offer: ECDHE with an AEAD cipher only (no CBC, 3DES, RC4, NULL).
AEAD = re.compile(r"^ECDHE-(ECDSA|RSA)-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)$")
TESTSSL_CHECKS = ["-p", "-s", "-f", "-P", "-S", "-U", "-c"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sh(argv, timeout=60):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("%s failed: %s" % (" ".join(argv), r.stdout.decode(errors="replace")))
    return r.stdout


def issue_leaf(name, out):
    """A 365-day leaf for gen-certs.sh's key `name`, with CRL and OCSP
    URIs, signed by its intermediate; returns (key, chain) paths."""
    c = tlsdio.certs()
    ext = os.path.join(out, "leaf.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "crlDistributionPoints=URI:http://127.0.0.1:9/int.crl\n"
                "authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\n")
    key = c.key(name)
    csr = os.path.join(out, name + ".csr")
    crt = os.path.join(out, name + ".crt.pem")
    sh(["openssl", "req", "-new", "-key", key, "-subj", "/O=s6-tlsd tests/CN=localhost",
        "-out", csr])
    sh(["openssl", "x509", "-req", "-in", csr, "-CA", c.path("int.pem"),
        "-CAkey", c.path("int.key"), "-CAcreateserial", "-CAserial",
        os.path.join(out, "int.srl"), "-days", "365", "-sha256", "-extfile", ext,
        "-out", crt])
    chain = os.path.join(out, name + ".chain.pem")
    with open(chain, "wb") as f:
        for p in (crt, c.path("int.pem")):
            with open(p, "rb") as g:
                f.write(g.read())
    return key, chain


class DemoServer:
    """tcpserver + s6-tlsd + hello-http.sh, as doc/demo/run-demo.sh runs
    them, on 127.0.0.1 and a free port."""

    def __init__(self, key, chain, logdir):
        self.port = free_port()
        self.log = open(os.path.join(logdir, "tcpserver.log"), "wb")
        env = tlsdio.base_env(None)
        env.pop("S6_TLSD_IO_ENGINE", None)
        argv = [TCPSERVER, "-v", "-c", "100", "127.0.0.1", str(self.port),
                "env", "KEYFILE=" + key, "CERTFILE=" + chain,
                tlsdio.bin_path("s6-tlsd"), "--", "sh", HELLO]
        # Own session and process group: stop() ends the whole group.
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=self.log, env=env, start_new_session=True)
        self.wait_ready()

    def get(self, timeout=10):
        ctx = tlsdio.client_context()
        with socket.create_connection(("127.0.0.1", self.port), timeout) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                t.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                out = b""
                while True:
                    d = t.recv(65536)
                    if not d:
                        break
                    out += d
        return out

    def wait_ready(self, timeout=15):
        dl = tlsdio.Deadline(timeout)
        while True:
            if self.p.poll() is not None:
                raise AssertionError("tcpserver exited %d" % self.p.returncode)
            try:
                out = self.get()
                if b"Hello over TLS" in out:
                    return
            except (OSError, ssl.SSLError):
                pass
            time.sleep(min(0.1, dl.left("demo server start")))

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(10)
        self.log.close()


def client_capabilities(path=CLIENT_DATA):
    """testssl's simulated clients: short name -> dict(name, lowest,
    highest (protocol numbers), ciphers (OpenSSL names))."""
    clients = {}
    cur = None
    with open(path) as f:
        for line in f:
            m = re.match(r'\s*(\w+)\+=\((.*)\)\s*$', line)
            if not m:
                continue
            k, v = m.group(1), m.group(2).strip('"')
            if k == "names":
                cur = {"name": v}
            elif cur is None:
                continue
            elif k == "short":
                clients[v] = cur
            elif k == "lowest_protocol":
                cur["lowest"] = int(v, 16)
            elif k == "highest_protocol":
                cur["highest"] = int(v, 16)
            elif k == "ciphers":
                cur["ciphers"] = set(v.split(":")) if v else set()
    return clients


class Scan(unittest.TestCase):
    KEYS = {"ec256": "ECDSA", "rsa2048": "RSA"}

    @classmethod
    def setUpClass(cls):
        missing = [n for n, p in (("testssl (Debian package testssl.sh)", TESTSSL),
                                  ("sslscan", SSLSCAN), ("tcpserver (ucspi-tcp)", TCPSERVER))
                   if not p]
        if missing:
            raise AssertionError("not installed: %s (sh tests/deps.sh test installs them)"
                                 % ", ".join(missing))
        cls.report = os.environ.get("TLSD_SCAN_REPORT")
        cls.tmp = tempfile.mkdtemp(prefix="tlsd-scan-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def note(self, fmt, *args):
        sys.stderr.write("  [%s] %s\n" % (self.id().rsplit(".", 1)[-1], fmt % args))
        sys.stderr.flush()

    def outdir(self, name):
        d = os.path.join(self.report or self.tmp, name)
        os.makedirs(d, exist_ok=True)
        return d

    def server(self, name):
        d = self.outdir(name)
        key, chain = issue_leaf(name, d)
        srv = DemoServer(key, chain, d)
        self.addCleanup(srv.stop)
        return srv, d

    # -- testssl

    def run_testssl(self, srv, d):
        jf = os.path.join(d, "testssl.json")
        if os.path.exists(jf):
            os.unlink(jf)
        argv = [TESTSSL, "--quiet", "--color", "0", "--warnings", "off",
                "--openssl", shutil.which("openssl"), "--nodns", "none",
                "--connect-timeout", "10", "--openssl-timeout", "10",
                "--add-ca", tlsdio.certs().ca, "--ip", "127.0.0.1",
                "--jsonfile", jf] + TESTSSL_CHECKS + ["https://localhost:%d/" % srv.port]
        t0 = time.monotonic()
        with open(os.path.join(d, "testssl.txt"), "wb") as out:
            r = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=400)
        dt = time.monotonic() - t0
        self.assertTrue(os.path.exists(jf), "testssl exit %d, no JSON" % r.returncode)
        with open(jf) as f:
            findings = json.load(f)
        return findings, dt, r.returncode

    def check_testssl(self, name):
        kind = self.KEYS[name]
        srv, d = self.server(name)
        findings, dt, rc = self.run_testssl(srv, d)
        by_id = {f["id"]: f for f in findings}
        self.note("testssl %s in %.0f s (exit %d): %d findings", " ".join(TESTSSL_CHECKS),
                  dt, rc, len(findings))
        sev = {}
        for f in findings:
            sev[f["severity"]] = sev.get(f["severity"], 0) + 1
        self.note("severities: %r", sev)
        for f in findings:
            if f["severity"] not in ("OK", "INFO"):
                self.note("  %s %s: %s", f["severity"], f["id"], f["finding"])

        # The scan ran: no scanner error, every section there.
        self.assertFalse([f for f in findings if f["severity"] == "FATAL"],
                         "testssl could not scan")
        for fid in ("TLS1_2", "cipher_order", "heartbleed", "clientsimulation-openssl_303"):
            self.assertIn(fid, by_id, "testssl did not report %s" % fid)

        # Zero findings of severity LOW or above but OCSP stapling.
        bad = [(f["severity"], f["id"], f["finding"]) for f in findings
               if f["severity"] in BAD_SEVERITIES and f["id"] not in ALLOWED_FINDINGS]
        self.assertEqual(bad, [], "testssl findings of severity LOW or above")
        self.assertEqual(by_id["LUCKY13"]["severity"], "OK", by_id["LUCKY13"])

        # Only TLS 1.2.
        self.assertEqual(by_id["TLS1_2"]["finding"], "offered")
        for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_3"):
            self.assertTrue(by_id[p]["finding"].startswith("not offered"),
                            "%s: %r" % (p, by_id[p]["finding"]))
        # Server cipher order: AEAD only, ECDHE signed with the key's kind.
        self.assertEqual(by_id["cipher_order"]["finding"], "server")
        order = by_id["cipherorder_TLSv1_2"]["finding"].split()
        self.note("server order: %s", " ".join(order))
        self.assertTrue(order)
        for s in order:
            m = AEAD.match(s)
            self.assertTrue(m, "suite %s not in the default offer" % s)
            self.assertEqual(m.group(1), kind, s)
        aead = {"ECDHE-%s-%s" % (kind, s) for s in
                ("AES128-GCM-SHA256", "AES256-GCM-SHA384", "CHACHA20-POLY1305")}
        self.assertEqual(aead, set(order), "the AEAD suites, each once")
        for c in ("NULL", "aNULL", "EXPORT", "LOW", "3DES_IDEA", "AVERAGE"):
            self.assertEqual(by_id["cipherlist_" + c]["finding"], "not offered", c)

        # Client simulation.
        caps = client_capabilities()
        sims = {f["id"][len("clientsimulation-"):]: f["finding"] for f in findings
                if f["id"].startswith("clientsimulation-")}
        self.assertGreater(len(sims), 20)
        connect, refuse, rows = [], [], []
        for short, result in sorted(sims.items()):
            cap = caps.get(short)
            self.assertIsNotNone(cap, "client %s is not in %s" % (short, CLIENT_DATA))
            tls12 = cap["lowest"] <= 0x0303 <= cap["highest"]
            shared = bool(cap["ciphers"] & set(order))
            expect = tls12 and shared
            rows.append((cap["name"], "%04x-%04x" % (cap["lowest"], cap["highest"]),
                         expect, result))
            if expect:
                connect.append(short)
                self.assertTrue(result.startswith("TLSv1.2 "),
                                "%s (%s) can speak TLS 1.2 but got: %r"
                                % (cap["name"], short, result))
                self.assertIn(result.split()[1], order, result)
            else:
                refuse.append(short)
                self.assertEqual(result, "No connection",
                                 "%s (%s) should not connect: %r" % (cap["name"], short, result))
        self.note("client simulation: %d of %d clients are TLS 1.2-capable with a shared "
                  "suite and connected; %d (no TLS 1.2, or no suite in common) did not: %s",
                  len(connect), len(sims), len(refuse), ", ".join(refuse))
        self.assertGreater(len(connect), 20)
        if self.report:
            with open(os.path.join(d, "clients.json"), "w") as f:
                json.dump(rows, f, indent=1)
        # And the demo still serves.
        self.assertIn(b"Hello over TLS", srv.get())

    def test_testssl_ec256(self):
        self.check_testssl("ec256")

    def test_testssl_rsa2048(self):
        self.check_testssl("rsa2048")

    # -- sslscan

    def check_sslscan(self, name):
        srv, d = self.server(name)
        t0 = time.monotonic()
        r = subprocess.run([SSLSCAN, "--xml=-", "--no-colour", "--sni-name=localhost",
                            "127.0.0.1:%d" % srv.port], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
        dt = time.monotonic() - t0
        out = r.stdout.decode(errors="replace")
        with open(os.path.join(d, "sslscan.xml"), "w") as f:
            f.write(out)
        self.assertEqual(r.returncode, 0, out)
        root = ET.fromstring(out[out.index("<?xml"):].encode())
        test = root.find("ssltest")
        self.assertIsNotNone(test, out)
        protos = {"%s%s" % (p.get("type"), p.get("version")): p.get("enabled")
                  for p in test.findall("protocol")}
        self.assertEqual({k for k, v in protos.items() if v == "1"}, {"tls1.2"}, protos)
        ciphers = [(c.get("cipher"), c.get("strength"), c.get("sslversion"), c.get("bits"),
                    c.get("status")) for c in test.findall("cipher")]
        self.note("sslscan in %.0f s: %s", dt,
                  ", ".join("%s=%s" % (c[0], c[1]) for c in ciphers))
        self.assertTrue(ciphers)
        for cipher, strength, ver, bits, status in ciphers:
            self.assertNotIn(strength, ("null", "anonymous", "weak", "medium"),
                             "%s accepted, strength %s" % (cipher, strength))
            self.assertIn(strength, ("strong", "acceptable"), cipher)
            self.assertEqual(ver, "TLSv1.2", cipher)
            self.assertGreaterEqual(int(bits), 128, cipher)
            self.assertTrue(AEAD.match(cipher), cipher)
        self.assertTrue(AEAD.match(ciphers[0][0]) and ciphers[0][4] == "preferred", ciphers[0])
        reneg = test.find("renegotiation")
        if reneg is not None:
            self.assertEqual(reneg.get("supported"), "0", "renegotiation is refused")
        for hb in test.findall("heartbleed"):
            self.assertEqual(hb.get("vulnerable"), "0")
        comp = test.find("compression")
        if comp is not None:
            self.assertEqual(comp.get("supported"), "0")

    def test_sslscan_ec256(self):
        self.check_sslscan("ec256")

    def test_sslscan_rsa2048(self):
        self.check_sslscan("rsa2048")


if __name__ == "__main__":
    unittest.main(verbosity=2)
