"""Worker processes of ``lottocrm serve --workers N`` die with their supervisor.

If only the supervisor is killed (kill -9, an OOM kill), uvicorn's workers would live on as orphans, still
bound to the port: the next start fails with "Address already in use" and requests reach an unsupervised
process. Linux can signal a child when its parent dies (``PR_SET_PDEATHSIG``); each worker asks for SIGTERM
(a graceful stop) as it builds the app. ``lottocrm serve`` passes its own pid, so a worker whose supervisor is
already gone by then exits at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

SUPERVISOR_PID_VARIABLE = "LOTTOCRM_SERVE_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1


def die_with_supervisor() -> None:
    supervisor = os.environ.get(SUPERVISOR_PID_VARIABLE)
    if supervisor is None or os.getpid() == int(supervisor) or not sys.platform.startswith("linux"):
        return  # not a worker of `lottocrm serve --workers N` (one process, tests, other systems)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(supervisor):
        os.kill(os.getpid(), signal.SIGTERM)  # the supervisor died before we asked
