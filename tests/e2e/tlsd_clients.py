"""The TLS client side of the tests, in process: Python ssl contexts that
trust the test CA (client_context), BioClient (a client over ssl.MemoryBIO,
every byte on the wire under the test's control), RecordScanner (the
record framing of what the server sent), and the suite names tests offer."""

import select
import socket
import ssl
import warnings

from tlsd_env import certs
from tlsd_io import Deadline, Sink

__all__ = ["AEAD_SUITES_EC", "AEAD_SUITES_RSA", "CBC_SUITES_EC", "CBC_SUITES_RSA",
           "client_context", "RecordScanner", "BioClient"]

# Suites (OpenSSL names) by kind and authentication; CBC needs --legacy-suites.
AEAD_SUITES_EC = ("ECDHE-ECDSA-AES128-GCM-SHA256",
                  "ECDHE-ECDSA-AES256-GCM-SHA384",
                  "ECDHE-ECDSA-CHACHA20-POLY1305")
AEAD_SUITES_RSA = ("ECDHE-RSA-AES128-GCM-SHA256",
                   "ECDHE-RSA-AES256-GCM-SHA384",
                   "ECDHE-RSA-CHACHA20-POLY1305")
CBC_SUITES_EC = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384")
CBC_SUITES_RSA = ("ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384")


def client_context(verify=True, ciphers=None, min_version=None, max_version=None,
                   check_hostname=False, cert=None, key=None):
    """An SSLContext for the Python client: trusts the test CA."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = check_hostname
    if min_version is not None or max_version is not None:
        with warnings.catch_warnings():     # TLSv1/TLSv1_1 are deprecated names
            warnings.simplefilter("ignore")
            if min_version is not None:
                ctx.minimum_version = min_version
            if max_version is not None:
                ctx.maximum_version = max_version
    if verify:
        ctx.load_verify_locations(certs().ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if ciphers:
        ctx.set_ciphers(ciphers)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


class RecordScanner:
    """Follows the TLS record framing of a byte stream (5-byte headers):
    counts records per content type and tells whether the stream so far
    ends on a record boundary."""

    def __init__(self):
        self.header = bytearray()
        self.left = 0                   # body bytes left in the current record
        self.types = {}                 # content type -> record count

    def feed(self, data):
        mv = memoryview(data)
        while mv:
            if self.left:
                n = min(self.left, len(mv))
                self.left -= n
                mv = mv[n:]
                continue
            n = min(5 - len(self.header), len(mv))
            self.header += mv[:n]
            mv = mv[n:]
            if len(self.header) == 5:
                t = self.header[0]
                self.types[t] = self.types.get(t, 0) + 1
                self.left = int.from_bytes(self.header[3:5], "big")
                self.header.clear()

    def at_boundary(self):
        return not self.header and not self.left

    def alerts(self):
        return self.types.get(21, 0)


class BioClient:
    """A TLS client over a raw socket through ssl.MemoryBIO: every byte on
    the wire is under the test's control. Records what it sees at the end
    of the stream in `events`: ('close_notify', n), ('eof', n),
    ('reset', n), ('ssl_error', n, msg), ('data_after_close_notify', k),
    where n is the cleartext byte count received so far."""

    def __init__(self, sock, ctx=None, server_hostname=None, session=None):
        self.sock = sock
        sock.setblocking(False)
        self.ctx = ctx or client_context()
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        # session: an ssl.SSLSession of an earlier connection with the same
        # ctx, to offer for resumption (obj.session_reused tells).
        self.obj = self.ctx.wrap_bio(self.inc, self.out, server_side=False,
                                     server_hostname=server_hostname,
                                     session=session)
        self.pending = bytearray()      # ciphertext not yet on the socket
        self.events = []
        self.got_close_notify = False
        self.tcp_eof = False
        self.reset = False
        self.ssl_error = None
        self.send_error = None
        self.shut_wr = False
        self.received = 0               # cleartext bytes received
        self.sent = 0                   # cleartext bytes handed to the engine
        self.wire_sent = 0              # ciphertext bytes given to the kernel
        self.handshake_bytes = []       # raw flights sent during the handshake
        self.scanner = RecordScanner()  # framing of what the server sent

    # -- low level
    def _collect(self):
        d = self.out.read()
        if d:
            self.pending += d
        return d

    SEND_MAX = 1 << 20  # bytes per send(); a subclass may cut it

    def _sent(self, n):
        """Called after each send() of n bytes (a hook for subclasses)."""

    def _send_some(self):
        if not self.pending or self.send_error:
            return 0
        try:
            n = self.sock.send(self.pending[:self.SEND_MAX])
        except BlockingIOError:
            return 0
        except OSError as e:
            self.send_error = e
            return 0
        del self.pending[:n]
        self.wire_sent += n
        self._sent(n)
        return n

    def _flush(self, dl):
        while self.pending and not self.send_error:
            if not self._send_some():
                select.select([], [self.sock], [], min(dl.left("send"), 0.5))
        if self.send_error:
            raise self.send_error

    def _recv_raw(self):
        """Returns bytes, b'' at EOF, or None if nothing is available."""
        try:
            d = self.sock.recv(1 << 18)
        except BlockingIOError:
            return None
        except ConnectionResetError:
            self._end_of_stream("reset")
            return b""
        if not d:
            self._end_of_stream("eof")
        else:
            self.scanner.feed(d)
        return d

    def _end_of_stream(self, how):
        # The MemoryBIO is not told (no write_eof): OpenSSL 3 would make a
        # TCP EOF without close_notify a fatal error, and then refuse to
        # send anything more, while a half-closed peer may still read.
        # (Everything received so far was decrypted when it came in.)
        if how == "reset":
            self.reset = True
        else:
            self.tcp_eof = True
        self.events.append((how, self.received))
        if not self.scanner.at_boundary():
            self.events.append(("eof_mid_record", self.received))

    def _feed(self, d, sink):
        if d and self.got_close_notify:
            self.events.append(("data_after_close_notify", len(d)))
            return
        if d:
            self.inc.write(d)
        self._decrypt(sink)

    def _decrypt(self, sink):
        if self.got_close_notify or self.ssl_error:
            return
        while True:
            try:
                d = self.obj.read(1 << 18)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.got_close_notify = True
                self.events.append(("close_notify", self.received))
                break
            except ssl.SSLEOFError as e:
                # TCP EOF without close_notify: already recorded as 'eof'.
                if not (self.tcp_eof or self.reset):
                    self.ssl_error = e
                    self.events.append(("ssl_error", self.received, str(e)))
                break
            except ssl.SSLError as e:
                self.ssl_error = e
                self.events.append(("ssl_error", self.received, str(e)))
                break
            if not d:
                # _ssl returns b'' (rather than raising SSLZeroReturnError)
                # for a close_notify when we have not sent ours.
                self.got_close_notify = True
                self.events.append(("close_notify", self.received))
                break
            self.received += len(d)
            if sink:
                sink(d)
        self._collect()

    def recv_done(self):
        return self.tcp_eof or self.reset or self.ssl_error is not None

    # -- handshake
    def handshake(self, timeout=10):
        dl = Deadline(timeout)
        while True:
            try:
                self.obj.do_handshake()
                d = self._collect()
                if d:
                    self.handshake_bytes.append(bytes(d))
                self._flush(dl)
                return self
            except ssl.SSLWantReadError:
                d = self._collect()
                if d:
                    self.handshake_bytes.append(bytes(d))
                self._flush(dl)
                while True:
                    r, _, _ = select.select([self.sock], [], [], min(dl.left("handshake"), 0.5))
                    if r:
                        break
                d = self._recv_raw()
                if d:
                    self.inc.write(d)
                elif d == b"":
                    self.inc.write_eof()

    def cipher(self):
        return self.obj.cipher()[0]

    def version(self):
        return self.obj.version()

    # -- sending
    def encrypt(self, data):
        """Encrypts data into records and returns their bytes WITHOUT sending
        them (use raw_send)."""
        self._collect()
        before = bytes(self.pending)
        self.pending.clear()
        self.obj.write(data)
        self.sent += len(data)
        recs = self.out.read()
        self.pending += before
        return recs

    def raw_send(self, data, timeout=10):
        """Sends bytes as they are (after any pending ciphertext)."""
        self.pending += data
        self._flush(Deadline(timeout))

    def send(self, data, timeout=10):
        self.obj.write(data)
        self.sent += len(data)
        self._collect()
        self._flush(Deadline(timeout))

    def send_close_notify(self, timeout=10):
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        self._collect()
        self._flush(Deadline(timeout))

    def shutdown_wr(self):
        """TCP half-close (FIN), no close_notify."""
        self.sock.shutdown(socket.SHUT_WR)
        self.shut_wr = True

    def reset_connection(self):
        """SO_LINGER 0 + close: the peer gets an RST."""
        import struct
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    # -- receiving
    def recv(self, timeout=10, sink=None):
        """Waits for cleartext; returns it, or b'' when the stream ended
        (look at events for how). TimeoutError if nothing happens."""
        dl = Deadline(timeout)
        keep = Sink(keep=True)

        def both(d):
            keep(d)
            if sink:
                sink(d)
        while True:
            self._decrypt(both)
            if keep.count:
                return bytes(keep.keep)
            if self.recv_done() or self.got_close_notify:
                return b""
            r, _, _ = select.select([self.sock], [], [], min(dl.left("recv"), 0.5))
            if r:
                self._feed(self._recv_raw(), both)

    def recv_exact(self, n, timeout=10):
        dl = Deadline(timeout)
        buf = bytearray()
        while len(buf) < n:
            d = self.recv(dl.left("recv_exact"))
            if not d:
                raise EOFError("stream ended after %d of %d bytes: %r" % (len(buf), n, self.events))
            buf += d
        return bytes(buf)

    def wait_eof(self, timeout=10, sink=None):
        """Reads (into sink) until TCP EOF/reset; returns events."""
        self.pump(sink=sink, timeout=timeout)
        return self.events

    # -- both directions at once
    def pump(self, source=None, sink=None, after="none", timeout=60,
             until="eof", high_water=1 << 18, stop=None):
        """Single-threaded full-duplex loop: sends every chunk of `source`
        (an iterable), feeds received cleartext to `sink`, and stops when
        `until` holds:
          'eof'          the receive side ended (TCP EOF, reset or TLS
                         error) and sending is finished or impossible
          'close_notify' a close_notify arrived (or the stream ended)
          'sent'         everything is sent
        or when stop() (if given) returns true.
        `after` says what to do once source is exhausted: 'none',
        'shutdown' (TCP SHUT_WR), 'close_notify', 'close_notify+shutdown'.
        Returns self.events."""
        dl = Deadline(timeout)
        it = iter(source) if source is not None else None
        sending_done = it is None
        after_done = sending_done and after == "none"
        if it is None and after != "none":
            self._after(after)
            after_done = True
        while True:
            while it is not None and len(self.pending) < high_water and not self.send_error:
                try:
                    c = next(it)
                except StopIteration:
                    it = None
                    sending_done = True
                    break
                self.obj.write(c)
                self.sent += len(c)
                self._collect()
            if sending_done and not after_done and not self.pending:
                self._after(after)
                after_done = True
            send_finished = (sending_done and after_done and not self.pending) or \
                self.send_error is not None or self.reset
            if stop is not None and stop():
                return self.events
            if until == "sent" and send_finished:
                return self.events
            if until == "close_notify" and (self.got_close_notify or self.recv_done()):
                return self.events
            if until == "eof" and self.recv_done() and send_finished:
                return self.events
            rl = [] if self.recv_done() else [self.sock]
            wl = [self.sock] if self.pending and not self.send_error else []
            if not rl and not wl:
                # Nothing to wait on: the other loop conditions decide.
                if self.recv_done() and (self.send_error or not self.pending):
                    return self.events
            r, w, _ = select.select(rl, wl, [], min(dl.left("pump"), 0.5))
            if w:
                self._send_some()
            if r:
                d = self._recv_raw()
                if d is not None:
                    self._feed(d, sink)

    def _after(self, after):
        if after in ("close_notify", "close_notify+shutdown"):
            try:
                self.obj.unwrap()
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                pass
            self._collect()
            self._flush(Deadline(10))
        if after in ("shutdown", "close_notify+shutdown"):
            self.shutdown_wr()
