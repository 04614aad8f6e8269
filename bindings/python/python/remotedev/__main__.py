"""`python -m remotedev`: the core's `remotedev` command line (the same parser, flags,
messages and exit statuses as the `remotedev` binary; `--help` lists them)."""

from __future__ import annotations

import signal
import sys
from typing import List, Optional

from . import _remotedev

PROGRAM = "python -m remotedev"


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the relay until Ctrl-C or SIGTERM; returns the exit status (0 after a clean
    shutdown, 1 when the relay cannot start, 2 for unusable arguments)."""
    args = sys.argv[1:] if argv is None else argv
    # The core handles Ctrl-C itself (and closes every socket with 1001), as the binary
    # does; Python's handler would only raise KeyboardInterrupt once it returns.
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return _remotedev.cli_main([PROGRAM, *args])
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
