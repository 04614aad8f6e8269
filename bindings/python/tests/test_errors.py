"""Bad arguments and failures raise the right exceptions, with the core's messages."""

from __future__ import annotations

import socket

import pytest

import remotedev


def test_hierarchy() -> None:
    for cls in (
        remotedev.ConnectionError,
        remotedev.TimeoutError,
        remotedev.ProtocolError,
        remotedev.InvalidArgumentError,
    ):
        assert issubclass(cls, remotedev.Error)
    assert issubclass(remotedev.ClosedError, remotedev.ConnectionError)
    assert issubclass(remotedev.AddressInUseError, remotedev.ConnectionError)
    assert issubclass(remotedev.ConnectionError, ConnectionError)
    assert issubclass(remotedev.TimeoutError, TimeoutError)
    assert issubclass(remotedev.InvalidArgumentError, ValueError)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"url": "http://127.0.0.1:1/x"}, "invalid URL"),
        ({"url": "not a url"}, "invalid URL"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "port": 1}, "either url or host/port"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "max_age": 0}, "max_age"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "instance_id": ""}, "instance_id"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "ack_timeout": -1.0}, "ack_timeout"),
    ],
)
def test_client_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(remotedev.InvalidArgumentError, match=message):
        remotedev.Client(**kwargs)


def test_client_type_errors() -> None:
    with pytest.raises(TypeError):
        remotedev.Client(url=123)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        remotedev.Client(port=70000)


def test_bad_payloads(relay: remotedev.Relay) -> None:
    with remotedev.Client(relay.url) as app:
        with pytest.raises(remotedev.InvalidArgumentError, match="invalid JSON"):
            app.init("{not json")
        with pytest.raises(remotedev.InvalidArgumentError, match="invalid JSON"):
            app.send('{"type":"X"}', "")
        with pytest.raises(remotedev.InvalidArgumentError, match="not JSON-serialisable"):
            app.send({"type": "X"}, {"f": object.__new__(type("Slotted", (), {"__slots__": ()}))})
        with pytest.raises(remotedev.InvalidArgumentError, match="not JSON-serialisable"):
            app.init({"x": float("nan")} if False else {1j: 1})
        with pytest.raises(remotedev.InvalidArgumentError, match="timeout"):
            app.recv(-1)
        with pytest.raises(remotedev.InvalidArgumentError, match="timeout"):
            app.connect(float("nan"))


def test_relay_bad_arguments() -> None:
    with pytest.raises(remotedev.InvalidArgumentError, match="protocol version"):
        remotedev.Relay(port=0, protocol_version="3")
    with pytest.raises(remotedev.InvalidArgumentError, match="ping_interval"):
        remotedev.Relay(port=0, ping_interval=0)
    with pytest.raises(remotedev.InvalidArgumentError, match="worker_threads"):
        remotedev.Relay(port=0, worker_threads=0)
    with pytest.raises(remotedev.ConnectionError, match="cannot listen"):
        remotedev.Relay(host="203.0.113.1", port=0)  # not an address of this machine


def test_connect_timeout_when_nobody_listens() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with remotedev.Client(port=port) as app:
        with pytest.raises(remotedev.TimeoutError, match="timed out after 300 ms"):
            app.connect(0.3)
    with remotedev.Monitor(port=port) as monitor:
        with pytest.raises(remotedev.TimeoutError):
            monitor.connect(0.3)


def test_closed_errors(relay: remotedev.Relay) -> None:
    app = remotedev.Client(relay.url)
    app.connect(5)
    app.close()
    with pytest.raises(remotedev.ClosedError, match="closed"):
        app.recv(0.5)
    with pytest.raises(remotedev.ClosedError):
        app.connect(0.5)
    monitor = remotedev.Monitor(relay.url)
    monitor.close()
    with pytest.raises(remotedev.ClosedError):
        monitor.recv(0.5)


def test_monitor_and_socket_bad_arguments(relay: remotedev.Relay) -> None:
    with remotedev.Monitor(relay.url) as monitor:
        with pytest.raises(remotedev.InvalidArgumentError, match="empty connection id"):
            monitor.send_to("", {"type": "START"})
        with pytest.raises(remotedev.InvalidArgumentError, match="invalid JSON"):
            monitor.broadcast("{oops")
    with remotedev.Socket(relay.url) as sock:
        sock.connect(5)
        with pytest.raises(remotedev.InvalidArgumentError):
            sock.emit("", 1)
        with pytest.raises(remotedev.InvalidArgumentError, match="empty channel"):
            sock.channel("")
        # the relay answers invokes of unknown events with an error
        with pytest.raises(remotedev.ProtocolError, match="remote error"):
            sock.invoke("no-such-event", {"a": 1})
