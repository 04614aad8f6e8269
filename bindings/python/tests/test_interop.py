"""Against real peers: a socketcluster-client@20 monitor (node) time-travels a Python
app; the seed doc's Python flow with our Socket and with the PyPI socketclusterclient."""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, List

import pytest

import remotedev
from conftest import recv_until


def test_python_app_follows_jump_to_action_from_a_real_v20_monitor(
    relay: remotedev.Relay, node_monitor_factory: Any
) -> None:
    monitor = node_monitor_factory(relay.url, "20")
    ready = monitor.next(20)
    assert "ready" in ready, ready
    states = [{"count": 0}, {"count": 1}, {"count": 2}]
    current = dict(states[0])
    with remotedev.Client(relay.url, name="py-counter") as app:
        app_id = app.connect(5)
        app.init(states[0])
        app.send({"type": "INCREMENT"}, states[1])
        app.send({"type": "INCREMENT"}, states[2])
        current = dict(states[2])
        # the monitor sees the app's messages, sent with our connection id
        seen: Dict[str, List[Any]] = {}
        while len(seen.get("ACTION", [])) < 2:
            msg = monitor.next(10)
            log = msg.get("log")
            if isinstance(log, dict):
                seen.setdefault(log.get("type"), []).append(log)
        action = seen["ACTION"][-1]
        assert action["id"] == app_id and action["name"] == "py-counter"
        assert json.loads(action["payload"]) == {"count": 2}
        # the DevTools app's time travel: a targeted DISPATCH with the state to show
        monitor.send(
            f"sc-{app_id}",
            {
                "type": "DISPATCH",
                "action": {"type": "JUMP_TO_ACTION", "actionId": 1},
                "state": json.dumps(states[1]),
                "instanceId": app.instance_id,
            },
        )
        while True:
            command = app.recv(10)
            if isinstance(command, remotedev.Dispatch):
                break
        assert command.type == "JUMP_TO_ACTION"
        assert command.action["actionId"] == 1
        current = command.state
        assert current == {"count": 1}


class Message:
    """The seed doc's Python `Message`."""

    def __init__(self, action: Any, state: Any) -> None:
        self.type = "ACTION"
        self.action = action
        self.payload = state


def _seed_flow(socket_cls: Any, run_in_thread: bool, relay: remotedev.Relay, to_wire: Any) -> None:
    """Steps 1-5 of the seed doc, then a monitor time-travels the app."""
    store: Dict[str, Any] = {"state": {"count": 2}}
    jumped = threading.Event()
    logged_in = threading.Event()
    errors: List[Any] = []

    monitor = remotedev.Monitor(relay.url, answer_start=False)
    monitor.connect(5)
    socket = socket_cls("ws://127.0.0.1:%d/socketcluster/" % relay.port)

    def handleMessages(key: str, message: Any) -> None:
        if message["type"] == "DISPATCH" and message["payload"]["type"] == "JUMP_TO_STATE":
            store["state"] = json.loads(message["state"])
            jumped.set()

    def login(key: str, error: Any, channelName: str) -> None:
        if error:
            errors.append(error)
            return
        socket.subscribe(channelName)
        socket.onchannel(channelName, handleMessages)
        socket.on(channelName, handleMessages)
        state = store["state"]
        # the seed doc: `log` with the socket id when known, else `log-noid`
        socket.emit("log" if socket.id else "log-noid", to_wire(Message({"type": "INCREMENT"}, state), socket.id))
        logged_in.set()

    def onconnect(socket: Any) -> None:
        socket.emitack("login", "master", login)

    def ondisconnect(socket: Any) -> None:
        pass

    def onConnectError(socket: Any, error: Any) -> None:
        errors.append(error)

    socket.setBasicListener(onconnect, ondisconnect, onConnectError)
    runner = None
    if run_in_thread:  # socketclusterclient's connect() runs the socket until it closes
        runner = threading.Thread(target=socket.connect, daemon=True)
        runner.start()
    else:
        socket.connect()
    try:
        with monitor:
            assert logged_in.wait(10), errors
            msg = recv_until(monitor, "ACTION")
            assert msg.payload == {"count": 2}
            assert msg.connection_id and msg.connection_id == (socket.id or msg.connection_id)
            monitor.send_to(
                msg.connection_id,
                {"type": "DISPATCH", "payload": {"type": "JUMP_TO_STATE", "index": 0},
                 "state": json.dumps({"count": 0})},
            )
            assert jumped.wait(10), errors
            assert store["state"] == {"count": 0}
            assert not errors
    finally:
        socket.disconnect()
        if runner is not None:
            runner.join(5)


def test_seed_doc_python_flow_with_our_socket(relay: remotedev.Relay) -> None:
    def to_wire(message: Message, socket_id: Any) -> Any:
        if socket_id:
            message.id = socket_id  # type: ignore[attr-defined]
        return message  # objects go as their attributes

    _seed_flow(remotedev.Socket, False, relay, to_wire)


def test_seed_doc_python_flow_with_real_socketclusterclient(relay: remotedev.Relay) -> None:
    Socketcluster = pytest.importorskip("socketclusterclient.Socketcluster")

    def to_wire(message: Message, socket_id: Any) -> Any:
        d = dict(vars(message))  # that library only sends plain JSON values
        if socket_id:  # it knows its id only with an authentication listener
            d["id"] = socket_id
        return d

    _seed_flow(Socketcluster.socket, True, relay, to_wire)


def test_socket_pull_api_and_invoke(relay: remotedev.Relay) -> None:
    with remotedev.Socket(relay.url) as app, remotedev.Socket(relay.url) as mon:
        app_id = app.connect(5)
        mon.connect(5)
        assert app.state == "open" and app.id == app_id
        assert app.invoke("login", "master") == "respond"
        assert mon.invoke("login", {}) == "log"
        log = mon.channel("log")
        mon.wait_subscribed("log", 5)
        app.emit("log", {"type": "INIT", "payload": "{}", "id": app_id})
        got = log.recv(5)
        assert got["type"] == "INIT" and got["id"] == app_id
        respond = app.channel("respond")
        app.wait_subscribed("respond", 5)
        mon.emit("respond", {"type": "START"})
        assert respond.recv(5) == {"type": "START"}
        with pytest.raises(remotedev.TimeoutError):
            respond.recv(0.1)
        app.emit("log-noid", remotedev.RawJSON('{"type":"STATE","payload":"{}"}'))
        wrapped = log.recv(5)
        assert wrapped["id"] == app_id and wrapped["data"]["type"] == "STATE"
        acks: List[Any] = []
        done = threading.Event()
        mon.subscribeack("report", lambda key, err, data: (acks.append((key, err)), done.set()))
        assert done.wait(5) and acks == [("report", None)]
    assert app.closed and app.state == "closed"
