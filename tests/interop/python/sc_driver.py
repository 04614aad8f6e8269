"""Drive the PyPI `socketclusterclient` 1.3.6 client from the interop tests.

Usage: sc_driver.py WS_URL   (env SC_CA_FILE: a CA to trust for wss://, via sslopt)
stdin:  one JSON command per line:
          {"cmd":"emitack","event":E,"data":D,"seq":N}
          {"cmd":"emit","event":E,"data":D,"seq":N}
          {"cmd":"subscribeack","channel":C,"seq":N}
          {"cmd":"disconnect","seq":N}
stdout: one JSON event per line:
          {"ev":"open","n":K}                     WebSocket opened (K-th time)
          {"ev":"authenticated","id":ID,"isAuthenticated":B}
          {"ev":"ack","seq":N,"key":K,"error":E,"data":D}
          {"ev":"message","key":C,"data":D}     a #publish on C or an event frame C
          {"ev":"raw","text":T}                    every inbound frame (before handling)
          {"ev":"disconnected"}
          {"ev":"connect-error","error":S}        (also raised for unparsable frames,
                                                   e.g. a v1 ping "#1")
Reconnection is left disabled (library default), so a dropped connection is final and
shows up as "disconnected".
"""
import json
import os
import sys
import threading

from socketclusterclient import Socketcluster

out_lock = threading.Lock()


def out(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


class ObservedSocket(Socketcluster.socket):
    """The unmodified library client; only reports each inbound frame before handling it.

    The library registers an ack callback *after* sending the invoke, so a fast reply
    could be handled before the callback exists; commands and inbound handling are
    therefore serialised with a lock (a test-driver concern, not a protocol change).
    """

    cmd_lock = threading.RLock()

    def on_message(self, ws, message):
        if len(message) <= 4096:
            out({"ev": "raw", "text": message})
        else:
            out({"ev": "raw", "len": len(message), "head": message[:200]})
        with self.cmd_lock:
            Socketcluster.socket.on_message(self, ws, message)


def main():
    url = sys.argv[1]
    sock = ObservedSocket(url)
    opens = {"n": 0}
    subscribed_handlers = set()

    def on_connect(s):
        opens["n"] += 1
        out({"ev": "open", "n": opens["n"]})

    def on_disconnect(s):
        out({"ev": "disconnected"})

    def on_connect_error(s, error):
        out({"ev": "connect-error", "error": repr(error)})

    def on_set_auth(s, token):
        out({"ev": "set-auth-token"})

    def on_auth(s, is_authenticated):
        out({"ev": "authenticated", "id": s.id, "isAuthenticated": is_authenticated})

    sock.setBasicListener(on_connect, on_disconnect, on_connect_error)
    sock.setAuthenticationListener(on_set_auth, on_auth)

    def make_handler(channel):
        # The library keeps channel and event handlers in one map, so a `#publish` on
        # channel C and an event frame named C both land here; "raw" events tell them apart.
        def handler(key, data):
            out({"ev": "message", "key": key, "data": data})
        return handler

    def make_ack(seq):
        def ack(key, error, data):
            out({"ev": "ack", "seq": seq, "key": key, "error": error, "data": data})
        return ack

    def reader():
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                c = cmd.get("cmd")
                seq = cmd.get("seq")
                sock.cmd_lock.acquire()
                try:
                    handle(c, seq, cmd)
                finally:
                    sock.cmd_lock.release()
                if c == "disconnect":
                    break
            except Exception as e:  # report and keep going
                out({"ev": "driver-error", "error": repr(e)})
        else:
            # stdin closed: the test process is gone
            try:
                sock.disconnect()
            except Exception:
                pass

    def handle(c, seq, cmd):
        if c == "emitack":
            sock.emitack(cmd["event"], cmd.get("data"), make_ack(seq))
        elif c == "emit":
            sock.emit(cmd["event"], cmd.get("data"))
        elif c == "subscribeack":
            ch = cmd["channel"]
            if ch not in subscribed_handlers:
                subscribed_handlers.add(ch)
                sock.onchannel(ch, make_handler(ch))
            sock.subscribeack(ch, make_ack(seq))
        elif c == "disconnect":
            sock.disconnect()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    # wss:// with a private CA: the library's sslopt (websocket-client's ssl options)
    ca_file = os.environ.get("SC_CA_FILE")
    sslopt = {"ca_certs": ca_file} if ca_file else None
    sock.connect(sslopt=sslopt)  # blocks until the WebSocket is closed
    out({"ev": "exit-loop"})


if __name__ == "__main__":
    main()
