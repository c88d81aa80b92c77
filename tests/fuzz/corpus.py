"""Seed corpus for the fuzz targets (Python 3 stdlib only); make-corpus.sh
runs it. Usage:

    corpus.py OUTDIR --certs DIR --client-certs DIR [--no-clients]

OUTDIR/server   what real clients send: the first flight (ClientHello) of
                `openssl s_client`, `gnutls-cli` and Python's ssl, taken by a
                bare TCP server that records what it receives; and the client
                side of whole sessions against the real s6-tlsd-io (TLSD_BIN_DIR)
                through a recording proxy. Each file is two configuration
                bytes (fuzz_tls.h) and the client's bytes.
OUTDIR/notif    the -d blocks those sessions produced, and made-up ones
OUTDIR/keys     gen-certs.sh keys and chains, packed for fuzz_keys
OUTDIR/anchors  CA files: PEM, DER, TRUSTED CERTIFICATE, CRLF, bundles
OUTDIR/pem      every PEM file, and CRLF, comments, trailing blanks
OUTDIR/dn       every certificate's subject and issuer, and made-up Names
OUTDIR/options  command lines, NUL-separated
OUTDIR/rt       the same command lines, for fuzz_rt
OUTDIR/ec       X25519 points and scalars (RFC 7748's vector, edge values)
"""

import argparse
import hashlib
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

# fuzz_tls.h, byte 0
FZ_ALPN, FZ_SNI1, FZ_CLOSE_NOTIFY, FZ_AUTH_Y = 0x04, 0x10, 0x40, 0x01
# Byte 1's FZA_LEGACY (--legacy-suites), carried in bits 8-15 of the
# configuration numbers below: seed = bytes([cfg & 0xff, cfg >> 8]) + data.
FZA_LEGACY = 0x10 << 8
TIMEOUT = 10


def log(msg):
    sys.stderr.write("corpus: %s\n" % msg)
    sys.stderr.flush()


def put(outdir, sub, name, data):
    d = os.path.join(outdir, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def put_unique(outdir, sub, prefix, data):
    put(outdir, sub, "%s-%s" % (prefix, hashlib.sha1(data).hexdigest()[:12]), data)


# ---------------------------------------------------------------------------
# Clients


def openssl_argv(*extra):
    return lambda port: ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                         "-no_ign_eof"] + list(extra)


def gnutls_argv(*extra):
    return lambda port: ["gnutls-cli", "--insecure", "-p", str(port)] + list(extra) + \
        ["127.0.0.1"]


# (name, argv builder, config byte 0) for client programs
PROGRAMS = [
    ("openssl", openssl_argv(), 0),
    ("openssl-tls12", openssl_argv("-tls1_2"), 0),
    ("openssl-sni-alpn", openssl_argv("-servername", "www.example.com", "-alpn",
                                      "h2,http/1.1"), FZ_ALPN | FZ_SNI1),
    ("openssl-chacha", openssl_argv("-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"), 0),
    ("openssl-cbc", openssl_argv("-tls1_2", "-cipher",
                                 "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384"),
     FZA_LEGACY),
    ("openssl-p384", openssl_argv("-groups", "P-384:P-521"), 0),
    ("openssl-tls11", openssl_argv("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"), 0),
    ("openssl-tls13", openssl_argv("-tls1_3"), 0),
    ("gnutls", gnutls_argv(), 0),
    ("gnutls-tls12", gnutls_argv("--priority", "NORMAL:-VERS-TLS1.3"), 0),
    ("gnutls-alpn", gnutls_argv("--alpn", "h2", "--alpn", "http/1.1",
                                "--sni-hostname", "localhost"), FZ_ALPN | FZ_SNI1),
    ("gnutls-secure256", gnutls_argv("--priority", "SECURE256:-VERS-TLS1.3"), 0),
]


def python_client(ctx_kw=None, server_hostname=None, alpn=None, payload=b"hello\n",
                  cert=None):
    """A client function (port) -> None using Python's ssl module."""
    def run(port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for k, v in (ctx_kw or {}).items():
            setattr(ctx, k, v)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        if cert:
            ctx.load_cert_chain(*cert)
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        try:
            t = ctx.wrap_socket(s, server_hostname=server_hostname)
            t.sendall(payload)
            got = b""
            while len(got) < len(payload):
                d = t.recv(4096)
                if not d:
                    break
                got += d
            t.unwrap()
        except (OSError, ssl.SSLError):
            pass
        finally:
            s.close()
    return run


PYTHON_CLIENTS = [
    ("python", lambda: python_client(), 0),
    ("python-tls12", lambda: python_client({"maximum_version": ssl.TLSVersion.TLSv1_2}), 0),
    ("python-sni-alpn", lambda: python_client(server_hostname="localhost",
                                              alpn=["h2", "http/1.1"]), FZ_ALPN | FZ_SNI1),
]


class Client:
    """A client program against port (argv_fn(port)); stdin_data is written
    to its stdin, which stays open until close_stdin()."""

    def __init__(self, argv_fn, port, stdin_data=None):
        self.p = subprocess.Popen(argv_fn(port), stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if stdin_data:
            try:
                self.p.stdin.write(stdin_data)
                self.p.stdin.flush()
            except OSError:
                pass

    def close_stdin(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass

    def __call__(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.close_stdin()


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.settimeout(TIMEOUT)
    return s


def read_flight(conn, idle=0.7, limit=1 << 16):
    """What the client sends before it waits for an answer."""
    data = b""
    end = time.monotonic() + TIMEOUT
    while len(data) < limit and time.monotonic() < end:
        r, _, _ = select.select([conn], [], [], idle if data else end - time.monotonic())
        if not r:
            break
        d = conn.recv(65536)
        if not d:
            break
        data += d
    return data


def first_flight(name, spec, pyfn=None):
    lst = listener()
    port = lst.getsockname()[1]
    th = stop = None
    try:
        if pyfn:
            th = threading.Thread(target=pyfn, args=(port,), daemon=True)
            th.start()
        else:
            stop = Client(spec, port)
        conn, _ = lst.accept()
        data = read_flight(conn)
        conn.close()
    finally:
        lst.close()
        if stop:
            stop()
        if th:
            th.join(TIMEOUT)
    return data


def proxy(client, server, deadline):
    """Forwards both ways until both directions ended; returns what the
    client sent."""
    sent = bytearray()
    open_ = {client: server, server: client}
    while open_ and time.monotonic() < deadline:
        r, _, _ = select.select(list(open_), [], [], 0.5)
        for s in r:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            peer = open_[s]
            if d:
                if s is client:
                    sent += d
                try:
                    peer.sendall(d)
                except OSError:
                    pass
            else:
                del open_[s]
                try:
                    peer.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
    return bytes(sent)


def session(name, spec=None, pyfn=None, opts=(), env=None, stdin_data=b"hello\n"):
    """A whole session: the client talks to the real s6-tlsd-io (app: cat)
    through a recording proxy. Returns (client bytes, notification block)."""
    import tlsdio
    t = tlsdio.Tunnel(opts=list(opts), notif=True, app=["cat"], env=env)
    lst = listener()
    port = lst.getsockname()[1]
    th = stop = None
    try:
        up = t.connect()
        t.start()
        if pyfn:
            th = threading.Thread(target=pyfn, args=(port,), daemon=True)
            th.start()
        else:
            stop = Client(spec, port, stdin_data)
        conn, _ = lst.accept()
        deadline = time.monotonic() + TIMEOUT
        if stop:
            # the program's stdin ends after the echo had time to come back
            threading.Timer(1.0, stop.close_stdin).start()
        data = proxy(conn, up, deadline)
        conn.close()
        up.close()
        try:
            block = t.read_notif(2)
        except Exception:  # noqa
            block = b""
        try:
            t.wait(5)
        except AssertionError:
            pass
    finally:
        lst.close()
        if stop:
            stop()
        if th:
            th.join(TIMEOUT)
        t.cleanup()
    return data, block


def record_clients(outdir, client_certs):
    n = 0
    for name, spec, c0 in PROGRAMS:
        try:
            d = first_flight(name, spec)
        except Exception as e:  # noqa
            log("%s: first flight failed: %r" % (name, e))
            continue
        if d:
            put(outdir, "server", "hello-" + name, bytes([c0 & 0xff, c0 >> 8]) + d)
            n += 1
    for name, mk, c0 in PYTHON_CLIENTS:
        try:
            d = first_flight(name, None, mk())
        except Exception as e:  # noqa
            log("%s: first flight failed: %r" % (name, e))
            continue
        if d:
            put(outdir, "server", "hello-" + name, bytes([c0 & 0xff, c0 >> 8]) + d)
            n += 1
    log("%d first flights" % n)

    sessions = [(name, spec, None, c0) for name, spec, c0 in PROGRAMS
                if name in ("openssl", "openssl-sni-alpn", "openssl-chacha", "openssl-cbc",
                            "gnutls", "gnutls-tls12", "gnutls-alpn")]
    sessions += [(name, None, mk(), c0) for name, mk, c0 in PYTHON_CLIENTS]
    m = 0
    for name, spec, pyfn, c0 in sessions:
        opts = ["--alpn=h2,http/1.1", "-k", "1"] if c0 & FZ_ALPN else []
        opts += ["--legacy-suites"] if c0 & FZA_LEGACY else []
        try:
            d, block = session(name, spec, pyfn, opts)
        except Exception as e:  # noqa
            log("%s: session failed: %r" % (name, e))
            continue
        if d:
            put(outdir, "server", "session-real-" + name, bytes([c0 & 0xff, c0 >> 8]) + d)
            m += 1
        if block:
            put_unique(outdir, "notif", "real", block)
    # with a client certificate (-Y, CAFILE): a notification with the
    # certificate's hash and subject
    if client_certs:
        cc = lambda n: os.path.join(client_certs, n)  # noqa
        for cn in ("ec", "rsa", "bigdn"):
            try:
                d, block = session("python-cert-" + cn, None, python_client(
                    cert=(cc(cn + ".chain.pem"), cc(cn + ".key"))), ["-Y"],
                    env={"CAFILE": cc("cas.pem")})
            except Exception as e:  # noqa
                log("client cert %s: session failed: %r" % (cn, e))
                continue
            if d:
                put(outdir, "server", "session-real-cert-" + cn, bytes([FZ_AUTH_Y, 0]) + d)
                m += 1
            if block:
                put_unique(outdir, "notif", "real-cert", block)
    log("%d sessions through s6-tlsd-io" % m)


# ---------------------------------------------------------------------------
# Files


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pem_to_der(pem):
    import base64
    lines = pem.decode().splitlines()
    body = [l for l in lines if l and not l.startswith("-----")]
    return base64.b64decode("".join(body))


def keys_corpus(outdir, certs):
    n = 0
    for name in ("ec256", "ec384", "ec521", "rsa2048"):
        for kf in ("key.pem", "key.der", "key.trad.pem", "key.trad.der"):
            for cf in ("chain.pem", "crt.pem", "crt.der"):
                k = read(os.path.join(certs, "%s.%s" % (name, kf)))
                c = read(os.path.join(certs, "%s.%s" % (name, cf)))
                put(outdir, "keys", "%s-%s-%s" % (name, kf, cf),
                    len(k).to_bytes(2, "big") + k + c)
                n += 1
    # mismatched pairs, a key given as the chain, CRLF lines
    k = read(os.path.join(certs, "ec256.key.pem"))
    c = read(os.path.join(certs, "ec384.chain.pem"))
    put(outdir, "keys", "mismatch", len(k).to_bytes(2, "big") + k + c)
    put(outdir, "keys", "key-as-chain", len(k).to_bytes(2, "big") + k + k)
    kc = k.replace(b"\n", b"\r\n")
    cc = read(os.path.join(certs, "ec256.chain.pem")).replace(b"\n", b"\r\n")
    put(outdir, "keys", "crlf", len(kc).to_bytes(2, "big") + kc + cc)
    log("%d key seeds" % (n + 3))


def anchors_corpus(outdir, certs, client_certs):
    files = [os.path.join(certs, f) for f in ("ca.pem", "int.pem", "ec256.chain.pem",
                                              "ec256.crt.der", "rsa2048.crt.pem")]
    if client_certs:
        files += [os.path.join(client_certs, f) for f in ("cas.pem", "ca2.der", "self.pem",
                                                         "bigdn.pem", "chained.chain.pem")]
    for f in files:
        if os.path.exists(f):
            put(outdir, "anchors", os.path.basename(f), read(f))
    ca = read(os.path.join(certs, "ca.pem"))
    put(outdir, "anchors", "ca-crlf.pem", ca.replace(b"\n", b"\r\n"))
    put(outdir, "anchors", "key-and-cert.pem",
        read(os.path.join(certs, "ec256.key.pem")) + ca)
    try:
        t = subprocess.run(["openssl", "x509", "-in", os.path.join(certs, "ca.pem"),
                            "-trustout", "-addtrust", "clientAuth"],
                           capture_output=True, check=True, timeout=TIMEOUT).stdout
        put(outdir, "anchors", "trusted.pem", t)
    except (OSError, subprocess.SubprocessError):
        pass


def pem_corpus(outdir, certs, client_certs):
    """PEM files as they come: keys, chains, bundles, CRLF, comments."""
    n = 0
    for d in (certs, client_certs):
        if not d:
            continue
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            data = read(p)
            if b"-----BEGIN" in data:
                put(outdir, "pem", "%s-%s" % (os.path.basename(d), f), data)
                n += 1
    ca = read(os.path.join(certs, "ca.pem"))
    put(outdir, "pem", "made-crlf", ca.replace(b"\n", b"\r\n"))
    put(outdir, "pem", "made-comments", b"Bag Attributes\n    friendlyName: x\n" + ca +
        b"\ntext between\n" + read(os.path.join(certs, "int.pem")))
    put(outdir, "pem", "made-blanks", ca.replace(b"\n", b" \t\n"))
    log("%d PEM seeds" % (n + 3))


def der_tlv(b, i):
    """(tag, content start, content end) of the TLV at b[i]."""
    tag, ln = b[i], b[i + 1]
    i += 2
    if ln & 0x80:
        n = ln & 0x7f
        ln = int.from_bytes(b[i:i + n], "big")
        i += n
    return tag, i, i + ln


def cert_names(der):
    """(issuer, subject) DER Names of a certificate."""
    _, cs, _ = der_tlv(der, 0)
    _, ts, _ = der_tlv(der, cs)
    i = ts
    if der[i] == 0xa0:          # version
        i = der_tlv(der, i)[2]
    i = der_tlv(der, i)[2]      # serial
    i = der_tlv(der, i)[2]      # signature algorithm
    _, _, e = der_tlv(der, i)
    issuer = der[i:e]
    i = der_tlv(der, e)[2]      # validity
    _, _, e2 = der_tlv(der, i)
    return issuer, der[i:e2]


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        h = bytes([tag, n])
    elif n < 0x100:
        h = bytes([tag, 0x81, n])
    else:
        h = bytes([tag, 0x82, n >> 8, n & 0xff])
    return h + content


def name(*rdns):
    """rdns: lists of (oid last byte, string tag, value bytes)."""
    return tlv(0x30, b"".join(
        tlv(0x31, b"".join(tlv(0x30, tlv(0x06, bytes([0x55, 4, o])) + tlv(t, v))
                           for o, t, v in rdn)) for rdn in rdns))


def dn_corpus(outdir, certs, client_certs):
    ders = []
    for d in (certs, client_certs):
        if not d:
            continue
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            if f.endswith(".der") and "key" not in f:
                ders.append(read(p))
            elif f.endswith(".pem") and not f.endswith("chain.pem") and f != "cas.pem":
                try:
                    ders.append(pem_to_der(read(p)))
                except Exception:  # noqa
                    pass
    n = 0
    for der in ders:
        try:
            for nm in cert_names(der):
                put_unique(outdir, "dn", "cert", nm)
                n += 1
        except (IndexError, ValueError):
            pass
    made = [
        name(),
        name([(3, 0x0c, "café, \"x\" + <y>#;\\=".encode())]),
        name([(6, 0x13, b"FR")], [(10, 0x0c, b"O"), (11, 0x0c, b"OU1")],
             [(11, 0x16, b"OU2")], [(3, 0x0c, b" lead and trail ")]),
        name([(3, 0x1e, "Ωmega 😀".encode("utf-16-be"))]),
        name([(3, 0x1c, "UCS4 ✓".encode("utf-32-be"))]),
        name([(3, 0x14, bytes(range(0xa0, 0xb0)))]),
        name([(3, 0x0c, b"nul\x00tab\tnl\ndel\x7f")]),
        name([(7, 0x0c, b"L"), (8, 0x0c, b"ST"), (9, 0x0c, b"street, not shown")]),
        name([(3, 0x04, b"octet string, left out")]),
    ]
    for m in made:
        put_unique(outdir, "dn", "made", m)
    log("%d DN seeds" % (n + len(made)))


def notif_corpus(outdir):
    def block(entries):
        return b"".join(e.encode() + b"\0" for e in entries) + b"\0"
    full = ["SSL_PROTOCOL=TLSv1.2", "SSL_CIPHER=ECDHE-ECDSA-AES128-GCM-SHA256",
            "SSL_TLS_SNI_SERVERNAME=localhost", "SSL_PEER_CERT_HASH=SHA256:" + "ab" * 32,
            "SSL_PEER_CERT_SUBJECT=C=FR, O=x\\, y, CN=a=b", "SSL_ALPN=h2"]
    for i, entries in enumerate([
            full, full[:5], ["SSL_PROTOCOL=TLSv1.2", "SSL_CIPHER=X", "SSL_TLS_SNI_SERVERNAME",
                             "SSL_PEER_CERT_HASH", "SSL_PEER_CERT_SUBJECT"],
            full[:2] + ["SSL_ALPN"], []]):
        put(outdir, "notif", "made-%d" % i, block(entries))


def options_corpus(outdir):
    lines = [
        (0, ["-S", "-J", "-Y", "-v", "2", "-K", "5000", "-k", "1", "-d", "3", "--", "3", "4"]),
        (0, ["--close-notify", "--alpn=h2,http/1.1", "--alpn-strict", "--sni", "0", "1"]),
        (0, ["--handshake-timeout", "100", "--notification-fd=5", "-y", "3", "4"]),
        (0, ["-sjvK1", "2000", "4", "5"]),
        (1, ["-Z", "-z", "--keep", "--mandatory-sni", "--alpn", "http/1.1", "--", "prog", "-x"]),
        (1, ["-SJ", "-k2", "--", "cat"]),
        (0, ["--alpn=a,,b", "3", "4"]),
        (0, ["-d", "99999999999", "3", "4"]),
    ]
    for i, (prog, argv) in enumerate(lines):
        put(outdir, "options", "argv-%d" % i,
            bytes([prog]) + b"\0".join(a.encode() for a in argv))
        # fuzz_rt: the same command lines, without the program byte
        put(outdir, "rt", "argv-%d" % i, b"\0".join(a.encode() for a in argv))


def ec_corpus(outdir):
    u = bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
    k = bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    seeds = [u + k, bytes([9]) + bytes(31) + bytes([9]) + bytes(31),
             bytes([0xff]) * 32 + k, bytes(32) + k[:5], bytes([0xed]) + bytes([0xff]) * 30 + bytes([0x7f]) + k]
    for i, s in enumerate(seeds):
        put(outdir, "ec", "seed-%d" % i, s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--certs", required=True)
    ap.add_argument("--client-certs")
    ap.add_argument("--no-clients", action="store_true")
    a = ap.parse_args()
    os.environ["TLSD_CERTS"] = a.certs
    for sub in ("server", "notif", "keys", "anchors", "pem", "dn", "options",
                "rt", "ec"):
        os.makedirs(os.path.join(a.outdir, sub), exist_ok=True)
    keys_corpus(a.outdir, a.certs)
    anchors_corpus(a.outdir, a.certs, a.client_certs)
    pem_corpus(a.outdir, a.certs, a.client_certs)
    dn_corpus(a.outdir, a.certs, a.client_certs)
    notif_corpus(a.outdir)
    options_corpus(a.outdir)
    ec_corpus(a.outdir)
    if not a.no_clients:
        record_clients(a.outdir, a.client_certs)


if __name__ == "__main__":
    main()
