"""The README's example: a counter app that follows time travel from Redux DevTools."""

import remotedev

with remotedev.Relay(port=0, db=":memory:") as relay, remotedev.Client(relay.url, name="Counter") as app:
    app.connect(timeout=5)
    state = {"count": 0}
    app.init(state)
    for _ in range(3):
        state = {"count": state["count"] + 1}
        app.send({"type": "INCREMENT"}, state)
    try:
        for command in app:  # typed commands from monitors (Ctrl-C to stop)
            if isinstance(command, remotedev.Dispatch) and command.state is not None:
                state = command.state  # JUMP_TO_ACTION / JUMP_TO_STATE: show that state
                print("time travel to", state)
    except KeyboardInterrupt:
        pass
