"""Blocking operations with deadlines, and the bytes they move: Deadline and
the polling waits (wait_until, wait_still), deterministic test data
(Pattern) and its hashing counterpart (Sink), reads and writes on file
descriptors that give up at a deadline (fd_*), and threads that hand back
their result or exception (Worker, spawn). Every wait here takes a
timeout."""

import hashlib
import os
import random
import select
import threading
import time
import traceback

__all__ = ["ODD_SIZES", "Deadline", "wait_until", "wait_still", "Pattern", "Sink",
           "sha256", "fd_write_all", "fd_write_chunks", "fd_read_some", "fd_read_exact",
           "fd_drain", "fd_read_all", "Worker", "spawn"]

# Chunk sizes cycled by bulk transfers: tiny, odd, around a record size.
ODD_SIZES = (1, 7, 4093, 16385, 65537)


# ---------------------------------------------------------------------------
# Time


class Deadline:
    def __init__(self, timeout):
        self.timeout = timeout
        self.end = time.monotonic() + timeout

    def left(self, what="operation"):
        r = self.end - time.monotonic()
        if r <= 0:
            raise TimeoutError("%s timed out after %.1fs" % (what, self.timeout))
        return r

    def expired(self):
        return time.monotonic() >= self.end


def wait_until(pred, timeout, interval=0.02, what="condition"):
    """Polls pred() until true; returns its value or raises TimeoutError."""
    dl = Deadline(timeout)
    while True:
        v = pred()
        if v:
            return v
        time.sleep(min(interval, max(0.0, dl.left(what))))


def wait_still(get, limit, still=1.0, timeout=60, what="counter"):
    """Polls get() (a growing byte count) until it has not moved for
    `still` seconds, and returns it; fails once it reaches `limit` (what
    backpressure should have bounded) or after `timeout`. A pause of a
    busy machine may end the wait early: callers check a bound, never
    that a fixed window saw nothing move."""
    dl = Deadline(timeout)
    v, since = get(), time.monotonic()
    while True:
        if v >= limit:
            raise AssertionError("%s reached %d bytes: not held back" % (what, v))
        if time.monotonic() - since >= still:
            return v
        time.sleep(min(0.05, dl.left("wait for %s to stop" % what)))
        n = get()
        if n != v:
            v, since = n, time.monotonic()


# ---------------------------------------------------------------------------
# Data


_PERIOD = (4 << 20) + 4099          # not a multiple of any chunk or record size
_table = None
_table_lock = threading.Lock()


def _pattern_table():
    global _table
    with _table_lock:
        if _table is None:
            b = random.Random(0x5EED).randbytes(_PERIOD)
            _table = memoryview(b + b)
        return _table


class Pattern:
    """A deterministic pseudo-random stream of `total` bytes, cut into chunks
    whose sizes cycle through `sizes`. Iterate it to get memoryview chunks;
    the SHA-256 of what was produced so far is digest(). Streams with
    different `start` differ."""

    def __init__(self, total, sizes=ODD_SIZES, start=0):
        self.total = total
        self.sizes = tuple(sizes)
        self.start = start % _PERIOD
        self.produced = 0
        self.sha = hashlib.sha256()

    def __iter__(self):
        t = _pattern_table()
        off = self.start
        i = 0
        while self.produced < self.total:
            n = min(self.sizes[i % len(self.sizes)], self.total - self.produced, _PERIOD)
            i += 1
            mv = t[off:off + n]
            self.sha.update(mv)
            off = (off + n) % _PERIOD
            self.produced += n
            yield mv

    def digest(self):
        return self.sha.hexdigest()

    def bytes(self):
        """The whole stream at once (small totals only)."""
        return b"".join(bytes(c) for c in Pattern(self.total, self.sizes, self.start))


class Sink:
    """Callable that hashes and counts what it is given (thread-safe enough:
    one writer, readers only look at count)."""

    def __init__(self, keep=False):
        self.sha = hashlib.sha256()
        self.count = 0
        self.keep = bytearray() if keep else None

    def __call__(self, data):
        self.sha.update(data)
        self.count += len(data)
        if self.keep is not None:
            self.keep += data

    def digest(self):
        return self.sha.hexdigest()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------
# Descriptors with deadlines


def _poll1(fd, events, timeout):
    p = select.poll()
    p.register(fd, events)
    return p.poll(max(0, int(timeout * 1000)) if timeout is not None else None)


def fd_write_all(fd, data, timeout=30, dl=None):
    """Writes all of data to fd (set non-blocking) before the deadline.
    Raises BrokenPipeError etc. as the write does, TimeoutError on timeout."""
    dl = dl or Deadline(timeout)
    os.set_blocking(fd, False)
    mv = memoryview(data)
    while mv:
        try:
            n = os.write(fd, mv)
            mv = mv[n:]
            continue
        except BlockingIOError:
            pass
        _poll1(fd, select.POLLOUT, min(dl.left("write to fd %d" % fd), 0.5))
    return len(data)


def fd_write_chunks(fd, chunks, timeout=60, close=True):
    """Writes every chunk of an iterable (e.g. a Pattern) to fd, then closes
    fd if `close`. Returns the number of bytes written."""
    dl = Deadline(timeout)
    total = 0
    try:
        for c in chunks:
            fd_write_all(fd, c, dl=dl)
            total += len(c)
    finally:
        if close:
            _close_quietly(fd)
    return total


def fd_read_some(fd, timeout=30, size=1 << 18):
    """One read: returns data, or b'' at EOF. TimeoutError if nothing comes."""
    dl = Deadline(timeout)
    os.set_blocking(fd, False)
    while True:
        try:
            return os.read(fd, size)
        except BlockingIOError:
            pass
        _poll1(fd, select.POLLIN, min(dl.left("read from fd %d" % fd), 0.5))


def fd_read_exact(fd, n, timeout=30):
    dl = Deadline(timeout)
    buf = bytearray()
    while len(buf) < n:
        d = fd_read_some(fd, dl.left("read_exact"), min(1 << 18, n - len(buf)))
        if not d:
            raise EOFError("EOF after %d of %d bytes on fd %d" % (len(buf), n, fd))
        buf += d
    return bytes(buf)


def fd_drain(fd, sink, timeout=60, close=True, limit=None):
    """Reads fd until EOF (or `limit` bytes), feeding sink (a callable).
    Returns the byte count."""
    dl = Deadline(timeout)
    n = 0
    try:
        while limit is None or n < limit:
            want = 1 << 18 if limit is None else min(1 << 18, limit - n)
            d = fd_read_some(fd, dl.left("drain fd %d" % fd), want)
            if not d:
                break
            sink(d)
            n += len(d)
    finally:
        if close:
            _close_quietly(fd)
    return n


def fd_read_all(fd, timeout=30, close=True):
    s = Sink(keep=True)
    fd_drain(fd, s, timeout, close)
    return bytes(s.keep)


def _close_quietly(fd):
    try:
        os.close(fd)
    except OSError:
        pass


# ---------------------------------------------------------------------------
# Threads


class Worker(threading.Thread):
    """A daemon thread that keeps its result or exception for get()."""

    def __init__(self, fn, *args, name=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "worker"), daemon=True)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.result = None
        self.exc = None
        self.tb = None

    def run(self):
        try:
            self.result = self.fn(*self.args, **self.kwargs)
        except BaseException as e:  # noqa
            self.exc = e
            self.tb = traceback.format_exc()

    def get(self, timeout=30):
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError("thread %s still running after %ss" % (self.name, timeout))
        if self.exc is not None:
            raise AssertionError("thread %s failed:\n%s" % (self.name, self.tb)) from self.exc
        return self.result


def spawn(fn, *args, **kwargs):
    w = Worker(fn, *args, **kwargs)
    w.start()
    return w
