"""What the end-to-end tests run and with which keys: where the binaries
under test are (bin_path), the test certificates (Certs, certs()), and the
environment that names a keypair to s6-tlsd(-io) (base_env).

Environment (set by ctest, see tests/CMakeLists.txt):
  TLSD_BIN_DIR  directory holding s6-tlsd-io (and s6-tlsd)
  TLSD_CERTS    output directory of tests/gen-certs.sh; when unset, the
                harness runs gen-certs.sh into a temporary directory.
"""

import os
import shutil
import subprocess
import tempfile
import threading
import unittest

__all__ = ["HERE", "SRCDIR", "bin_path", "Certs", "certs", "base_env"]

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))


def bin_path(name="s6-tlsd-io"):
    d = os.environ.get("TLSD_BIN_DIR")
    if not d:
        for cand in ("build-e2e/src", "build/src"):
            p = os.path.join(SRCDIR, cand)
            if os.path.exists(os.path.join(p, name)):
                d = p
                break
    if not d:
        raise unittest.SkipTest("TLSD_BIN_DIR is not set")
    p = os.path.join(d, name)
    if not os.access(p, os.X_OK):
        raise AssertionError("%s is not an executable" % p)
    return p


class Certs:
    """Paths into a gen-certs.sh output directory."""

    NAMES = ("ec256", "ec384", "ec521", "rsa2048")

    def __init__(self, directory):
        self.dir = directory

    def path(self, fname):
        return os.path.join(self.dir, fname)

    @property
    def ca(self):
        return self.path("ca.pem")

    def key(self, name="ec256", form="key.pem"):
        """form: key.pem (PKCS#8), key.der, key.trad.pem, key.trad.der"""
        return self.path("%s.%s" % (name, form))

    def chain(self, name="ec256"):
        return self.path("%s.chain.pem" % name)

    def crt(self, name="ec256", form="crt.pem"):
        return self.path("%s.%s" % (name, form))


_certs = None
_certs_lock = threading.Lock()


def certs():
    global _certs
    with _certs_lock:
        if _certs is None:
            d = os.environ.get("TLSD_CERTS")
            if not d or not os.path.exists(os.path.join(d, "ca.pem")):
                d = tempfile.mkdtemp(prefix="tlsdio-certs-")
                import atexit
                atexit.register(shutil.rmtree, d, True)
                subprocess.run(["sh", os.path.join(SRCDIR, "tests", "gen-certs.sh"), d],
                               check=True, timeout=60)
            _certs = Certs(d)
        return _certs


def base_env(cert="ec256"):
    """os.environ without any KEYFILE*/CERTFILE*/CADIR/CAFILE/TLS_* entry,
    plus KEYFILE/CERTFILE for `cert` (None: neither)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("KEYFILE") or k.startswith("CERTFILE")
                   or k in ("CADIR", "CAFILE", "TLS_UID", "TLS_GID"))}
    if cert:
        c = certs()
        env["KEYFILE"] = c.key(cert)
        env["CERTFILE"] = c.chain(cert)
    return env
