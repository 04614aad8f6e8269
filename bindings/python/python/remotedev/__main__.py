"""`python -m remotedev`: run a relay with the `remotedev` binary's flags."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import List, Optional

from . import _remotedev
from ._errors import AddressInUseError, Error
from ._relay import Relay


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not in 1..")
    return value


def _level(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 3:
        raise argparse.ArgumentTypeError(f"{value} is not in 0..=3")
    return value


def _protocol(text: str) -> str:
    if text not in ("auto", "1", "2"):
        raise argparse.ArgumentTypeError(f"protocol version must be auto, 1 or 2, not {text!r}")
    return text


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m remotedev",
        description="A RemoteDev / Redux DevTools relay: point remote Redux DevTools apps "
        "and monitors at ws://HOSTNAME:PORT/socketcluster/.",
    )
    p.add_argument("--hostname", default="127.0.0.1",
                   help="interface to listen on (0.0.0.0 or :: for all; no authentication)")
    p.add_argument("--port", type=int, default=8000, help="TCP port; 0 picks a free one")
    p.add_argument("--logLevel", type=_level, default=3,
                   help="0 = silent, 1 = errors, 2 = warnings, 3 = info")
    p.add_argument("--pingInterval", type=_positive, default=8000,
                   help="milliseconds between keep-alive pings to each socket")
    p.add_argument("--pingTimeout", type=_positive, default=20000,
                   help="milliseconds of silence after which a socket is closed (4001)")
    p.add_argument("--maxPayload", type=int, default=100 * 1024 * 1024,
                   help="largest inbound message in bytes (larger: close 1009)")
    p.add_argument("--maxOutboundBytes", type=int, default=64 * 1024 * 1024,
                   help="bytes that may wait for one slow socket before it is closed (4100)")
    p.add_argument("--protocolVersion", type=_protocol, default="auto",
                   help="keep-alive form: auto, 1 (#1/#2) or 2 (empty frames)")
    p.add_argument("--subscribeGraceMs", type=int, default=2000,
                   help="milliseconds a logged-in socket may take to subscribe before "
                   "targeted messages go to it as plain events")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        print(f"remotedev: port {args.port} is not in 0..=65535", file=sys.stderr)
        return 2
    _remotedev.init_logging(args.logLevel)
    try:
        relay = Relay(
            args.hostname,
            args.port,
            ping_interval=args.pingInterval / 1000,
            ping_timeout=args.pingTimeout / 1000,
            max_payload=args.maxPayload,
            max_outbound_bytes=args.maxOutboundBytes,
            protocol_version=args.protocolVersion,
            subscribe_grace=args.subscribeGraceMs / 1000,
        )
    except AddressInUseError as e:
        print(f"remotedev: {e}; choose another with --port", file=sys.stderr)
        return 1
    except Error as e:
        print(f"remotedev: {e}", file=sys.stderr)
        return 1
    print(f"remotedev relay listening on {relay.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    relay.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
