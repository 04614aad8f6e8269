"""Reconnect settings (`remotedev.Backoff`, README "Reconnect"): checked by the core,
and the default brings an app back within two seconds after a relay restart."""

from __future__ import annotations

import time

import pytest

import remotedev
from conftest import recv_until


def test_backoff_is_checked_by_the_core() -> None:
    url = "ws://127.0.0.1:1/socketcluster/"
    with pytest.raises(
        remotedev.InvalidOptionError,
        match=r"^invalid option backoff.multiplier: must be a finite number >= 1, got 0.5$",
    ):
        remotedev.Client(url, backoff=remotedev.Backoff(multiplier=0.5))
    with pytest.raises(remotedev.InvalidOptionError, match="backoff.schedule"):
        remotedev.Monitor(url, backoff=remotedev.Backoff(schedule="bogus"))  # type: ignore[arg-type]
    with pytest.raises(remotedev.InvalidOptionError, match="backoff.max_delay"):
        remotedev.Socket(url, backoff=remotedev.Backoff(initial_delay=5, max_delay=1))
    with pytest.raises(remotedev.InvalidOptionError, match="backoff.randomness"):
        remotedev.Client(url, backoff=remotedev.Backoff(randomness=float("nan")))
    # accepted: the reference schedule, and partial settings over the default
    remotedev.Client(url, backoff=remotedev.Backoff.reference()).close()
    remotedev.Client(url, backoff=remotedev.Backoff(max_delay=5.0)).close()


def test_an_app_is_back_within_two_seconds_after_a_relay_restart() -> None:
    relay = remotedev.Relay(port=0, db=":memory:")
    port = relay.port
    with remotedev.Client(relay.url, name="Restarted") as app:
        app.connect(5)
        app.init({"n": 0})
        for round in range(3):
            relay.close()
            time.sleep(0.5)
            relay = remotedev.Relay(port=port, db=":memory:")
            up = time.monotonic()
            with remotedev.Monitor(relay.url) as monitor:
                monitor.connect(5)
                app.send({"type": "TICK"}, {"n": round + 1})
                recv_until(monitor, "ACTION", timeout=2.0)
                assert time.monotonic() - up < 2.0, f"round {round}"
    relay.close()
