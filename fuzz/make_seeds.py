#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from the conformance transcripts and the spec
examples (tests/conformance/). Writes fuzz/corpus/<target>/seed-*; run by run.sh."""
import hashlib, json, os, pathlib, sys

root = pathlib.Path(__file__).resolve().parent
conf = root.parent / "tests" / "conformance"
out = root / "corpus"

def put(target, data: bytes):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)

frames = []          # every text frame
conns = {}           # (transcript, conn) -> client frames in order
for line in (conf / "spec-frames.jsonl").read_text().splitlines():
    if line.strip():
        frames.append(json.loads(line)["text"])
for path in sorted((conf / "transcripts").glob("*.jsonl")):
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("kind") != "text":
            continue
        frames.append(rec["data"])
        if rec.get("dir") == "c2s":
            conns.setdefault((path.name, rec["conn"]), []).append(rec["data"])

for f in set(frames):
    put("frame_codec", f.encode())

# relay_socket: a connection's client frames (handshake included: the harness sends
# its own first, a second one is answered too), paired with the next connection's.
keys = sorted(conns)
for i, key in enumerate(keys):
    mine = [f for f in conns[key] if "\n" not in f]
    other = [f for f in conns[keys[(i + 1) % len(keys)]] if "\n" not in f]
    lines = []
    for j in range(max(len(mine), len(other))):
        if j < len(mine):
            lines.append(b"0" + mine[j].encode())
        if j < len(other):
            lines.append(b"1" + other[j].encode())
    for k in range(0, len(lines), 64):
        put("relay_socket", b"\n".join(lines[k:k + 64]))
put("relay_socket", b"\n".join([
    b'1{"event":"login","data":{},"cid":1}',
    b'1{"event":"#subscribe","data":{"channel":"log"},"cid":2}',
    b'0{"event":"login","data":"master","cid":1}',
    b'0{"event":"#subscribe","data":{"channel":"respond"},"cid":2}',
    b'0{"event":"log","data":{"type":"ACTION","id":"a","action":"{}","payload":"{}"}}',
    b'1{"event":"sc-1","data":{"type":"DISPATCH"}}',
    b'1{"event":"getReport","data":"nope","cid":3}',
    b'0[{"event":"log-noid","data":{"type":"STATE"}},{"event":"respond","data":1,"cid":4}]',
]))

reports = [
    b'{"type":"STATE","payload":"{}","title":"t"}',
    b'{"type":"ACTION","payload":"{\\"type\\":\\"X\\"}","userAgent":"ua"}',
    b'{"type":"STATES","payload":"[]","preloadedState":"{}","exception":{"message":"m","stack":"s"}}',
    b'{"type":"ACTIONS","payload":"[]","user":{"id":7},"appId":"a","instanceId":"i"}',
    b'{"op":"get","id":"x"}',
    b'{"op":"list","query":{"type":"STATE","title":null},"fields":["id","title"]}',
    b'{"op":"delete"}',
]
for r in reports:
    put("report_api", b"\x00" + r)
    put("report_api", b"\x02" + r)
put("report_api", b"\x01type=ACTIONS&payload=x&user[id]=1&fields[]=id")
put("report_api", b"\x01op=list&fields[]=id&query[type]=STATE")
put("report_api", b'\x03{"query":"{ reports { id title type } }"}')
put("report_api", b'\x03{"query":"query($id: ID!) { report(id: $id) { payload } }","variables":{"id":"x"}}')
put("report_api", b'\x04{"client":"sqlite3","connection":{"filename":":memory:"},"useNullAsDefault":true,"migrate":true}')
put("report_api", b'\x04{"client":"pg","connection":"postgres://x/y"}')

put("c_api_strings", b'{"type":"JUMP_TO_ACTION","actionId":1}\xff{"count":1}\xffinstance-1')
put("c_api_strings", b'{"type":"TOGGLE_ACTION","id":2}')
put("c_api_strings", b'not json\xff\xff')
print("seeds in", out, file=sys.stderr)
