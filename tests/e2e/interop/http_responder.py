"""A one-request HTTP/1.1 responder for tests/e2e/test_interop.py, run as
the app behind s6-tlsd (stdin: the request, stdout: the answer).

  GET /bytes/N/SEED   N bytes of random.Random(SEED).randbytes(N)
  POST /echo          the request body (Content-Length) echoed back

Every answer carries X-SSL-Protocol and X-SSL-Cipher (from the environment
s6-tlsd gives the app), X-Body-SHA256 and X-Body-Length (of the body sent
for GET, of the body received for POST), Connection: close.
"""

import hashlib
import os
import random
import sys


def main():
    rd = sys.stdin.buffer
    wr = sys.stdout.buffer
    line = rd.readline(8192).decode("latin-1").rstrip("\r\n")
    headers = {}
    while True:
        h = rd.readline(8192)
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    method, path, _ = (line.split(" ") + ["", "", ""])[:3]
    status = "200 OK"
    if method == "GET" and path.startswith("/bytes/"):
        n, seed = (int(x) for x in path.split("/")[2:4])
        body = random.Random(seed).randbytes(n)
        info = body
    elif method == "POST" and path == "/echo":
        if headers.get("expect", "").lower() == "100-continue":
            wr.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            wr.flush()
        n = int(headers.get("content-length", "0"))
        body = rd.read(n)
        info = body
    else:
        status = "404 Not Found"
        body = info = b"no such thing\n"
    head = ["HTTP/1.1 " + status,
            "Content-Type: application/octet-stream",
            "Content-Length: %d" % len(body),
            "X-SSL-Protocol: %s" % os.environ.get("SSL_PROTOCOL", "-"),
            "X-SSL-Cipher: %s" % os.environ.get("SSL_CIPHER", "-"),
            "X-Body-Length: %d" % len(info),
            "X-Body-SHA256: %s" % hashlib.sha256(info).hexdigest(),
            "Connection: close"]
    wr.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    wr.write(body)
    wr.flush()


if __name__ == "__main__":
    main()
