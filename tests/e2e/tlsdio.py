"""End-to-end test harness for s6-tlsd and s6-tlsd-io (Python 3 stdlib
only), under the one name the test files import: this module only
re-exports the modules the harness is made of, one job each:

  tlsd_env        the binaries and certificates under test: bin_path,
                  Certs, certs(), base_env (TLSD_BIN_DIR, TLSD_CERTS)
  tlsd_io         deadlines and polling waits (Deadline, wait_until,
                  wait_still), test data (Pattern, Sink, sha256), fd reads
                  and writes with deadlines (fd_*), threads (Worker, spawn)
  tlsd_procs      processes: Proc, stop_tree, and what /proc says
                  (proc_status, proc_cpu_seconds, MemoryMonitor,
                  proc_table, descendants)
  tlsd_clients    the in-process TLS client: client_context, BioClient,
                  RecordScanner, the suite names tests offer
  tlsd_tunnel     one s6-tlsd-io under test (Tunnel), its -d block
                  (NOTIF_NAMES, parse_notif, notif_entries), the unittest
                  glue (TunnelTestCase, main); how a test looks
  tlsd_tcpserver  ucspi-tcp's tcpserver in front of s6-tlsd (TcpServer)

A test file puts this directory on sys.path, imports tlsdio and uses
tlsdio.NAME (or `from tlsdio import NAME`) for any of them. Every blocking
operation takes a timeout; every process and fd is cleaned up.
"""

import ssl  # noqa: F401  (test files use tlsdio.ssl)
import warnings

from tlsd_env import *  # noqa: F401,F403
from tlsd_io import *  # noqa: F401,F403
from tlsd_io import _close_quietly  # noqa: F401
from tlsd_procs import *  # noqa: F401,F403
from tlsd_clients import *  # noqa: F401,F403
from tlsd_tunnel import *  # noqa: F401,F403
from tlsd_tcpserver import *  # noqa: F401,F403

warnings.filterwarnings("ignore", category=DeprecationWarning)
