"""Fault injection for the crash tests: stop the process at named points of a build.

``LABELING_FAULT=<point>`` kills the process with SIGKILL when it reaches ``<point>``;
``LABELING_FAULT=<point>:enospc`` raises ``OSError(ENOSPC)`` there instead (a full disk);
``LABELING_PAUSE=<point>:<seconds>`` makes it wait there (to start a second build, or a reader,
at that moment), after printing ``labeling: paused at <point>`` to stderr; with
``LABELING_RESUME=<file>`` the pause ends as soon as that file exists (the test has acted).
Outside the tests none of them is set and ``fault`` does nothing.

Points, in the order a build reaches them (see ``publish`` for what each step does):
``copy:database`` (copying the published database into the build's private copy),
``export:copying`` (between the CSV and the Parquet writes), ``publish:version`` (the export
files became a version), ``publish:checkpoint`` (before the build copy's checkpoint),
``publish:start``, ``publish:checkpointed``, ``publish:generation``, ``publish:switched`` (just
after the commit point), ``publish:linked``.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import time

POINTS = (
    "copy:database", "export:copying", "publish:version", "publish:checkpoint", "publish:start",
    "publish:checkpointed", "publish:generation", "publish:switched", "publish:linked",
)


def fault(point: str) -> bool:
    """At ``point``: kill this process, raise a full-disk error, or pause, as the environment
    asks; otherwise do nothing. Returns True (so SQL can call it in a ``select``)."""
    wanted = os.environ.get("LABELING_FAULT", "")
    full_disk = wanted.endswith(":enospc")
    if full_disk:
        wanted = wanted.removesuffix(":enospc")
    if wanted == point:
        if full_disk:
            raise OSError(errno.ENOSPC, f"No space left on device (LABELING_FAULT at {point})")
        os.kill(os.getpid(), signal.SIGKILL)
    pause_point, _, seconds = os.environ.get("LABELING_PAUSE", "").rpartition(":")
    if pause_point == point:
        # Tests wait for this line to act at the paused moment (not after a guessed delay).
        print(f"labeling: paused at {point} for {seconds} s", file=sys.stderr, flush=True)
        resume = os.environ.get("LABELING_RESUME", "")
        deadline = time.monotonic() + float(seconds)
        while time.monotonic() < deadline and not (resume and os.path.exists(resume)):
            time.sleep(0.05)
    return True
