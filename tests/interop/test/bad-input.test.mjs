// Bad input from a raw WebSocket client, answered per spec, while other clients keep working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defer, startRelay, connectMonitor, connectBareApp, connectRaw, RawClient, SOCKET_ID_RE } from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 400, pingTimeout: 1500 };

/** A v20 monitor and a v14 app that must stay unaffected by the misbehaving client. */
async function bystanders(t, relay) {
  const monitor = await connectMonitor(t, relay, 'scc20', { label: 'bystanderMonitor' });
  const app = await connectBareApp(t, relay, 'scc14', { label: 'bystanderApp' });
  let n = 0;
  return {
    monitor, app,
    async assertWorking() {
      const seq = ++n;
      app.transmit('log', { type: 'ACTION', id: app.id, seq });
      await monitor.log.waitFor((d) => d.type === 'ACTION' && d.seq === seq, { what: `bystander log #${seq}` });
      monitor.transmit('respond', { type: 'PING_TEST', seq });
      await app.respond.waitFor((d) => d.type === 'PING_TEST' && d.seq === seq, { what: `bystander respond #${seq}` });
      for (const c of [monitor, app]) {
        assert.equal(c.connectCount(), 1, `${c.label} reconnected`);
        assert.deepEqual(c.lifecycle.filter((e) => e.type !== 'connect'), [], `${c.label} lifecycle`);
      }
    },
  };
}

test('handshake response shape', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const raw = await connectRaw(t, relay);
  const res = await raw.handshake();
  assert.deepEqual(Object.keys(res).sort(), ['data', 'rid']);
  assert.deepEqual(Object.keys(res.data), ['id', 'pingTimeout', 'isAuthenticated']);
  assert.match(res.data.id, SOCKET_ID_RE);
  assert.equal(res.data.pingTimeout, TIMINGS.pingTimeout);
  assert.equal(res.data.isAuthenticated, false);
});

test('malformed JSON is ignored; the socket and other clients keep working', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const others = await bystanders(t, relay);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  for (const junk of ['{"event":', '{not json}', '[1,2', 'hello', '{"event":"log","data":}', '\u0000\u0001']) raw.send(junk);
  const res = await raw.invoke('login', 'master');
  assert.deepEqual(res, { rid: res.rid, data: 'respond' }, 'socket still answers after junk');
  assert.equal(raw.closed, null, 'socket not closed');
  await others.assertWorking();
});

test('wrong types: #subscribe with data 5 gets an error ack; string channel is accepted', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const others = await bystanders(t, relay);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  const bad = await raw.invoke('#subscribe', 5);
  assert.equal(typeof bad.error, 'object', `expected an error response, got ${JSON.stringify(bad)}`);
  assert.ok(bad.error && typeof bad.error.message === 'string' && typeof bad.error.name === 'string', `error {message,name}: ${JSON.stringify(bad)}`);
  const bad2 = await raw.invoke('#subscribe', { channel: 42 });
  assert.ok(bad2.error && typeof bad2.error.message === 'string' && typeof bad2.error.name === 'string', `channel 42: ${JSON.stringify(bad2)}`);
  // v14 bare-string form is accepted (SC§6.1 MUST)
  assert.equal((await raw.invoke('login', {})).data, 'log');
  const ok = await raw.invoke('#subscribe', 'log');
  assert.equal(ok.error ?? null, null, `bare string subscribe: ${JSON.stringify(ok)}`);
  others.app.transmit('log', { type: 'ACTION', id: others.app.id, viaRaw: true });
  const pub = await raw.json.waitFor((f) => f.event === '#publish');
  assert.deepEqual(pub.data, { channel: 'log', data: { type: 'ACTION', id: others.app.id, viaRaw: true } });
  assert.equal(raw.closed, null);
  await others.assertWorking();
});

test('unknown event with cid: InvalidActionError ack; without cid: ignored', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const others = await bystanders(t, relay);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  raw.sendJson({ event: 'noSuchProc', data: 1 }); // transmit: nothing to answer
  const res = await raw.invoke('noSuchProc', { x: 1 });
  assert.equal(res.data, undefined);
  assert.equal(res.error && res.error.name, 'InvalidActionError', JSON.stringify(res));
  assert.equal(typeof res.error.message, 'string');
  // private events other than the allow-list are not relayed and get an error when invoked
  const priv = await raw.invoke('#bogus', {});
  assert.ok(priv.error && typeof priv.error.message === 'string', JSON.stringify(priv));
  // string cid echoed unchanged (SC§3 SHOULD)
  raw.sendJson({ event: 'login', data: 'master', cid: 'abc' });
  const sres = await raw.json.waitFor((f) => f.rid === 'abc');
  assert.equal(sres.data, 'respond');
  assert.equal(raw.closed, null);
  await others.assertWorking();
});

test('client #publish invoke is refused with InvalidActionError "Client publish feature is disabled"', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const others = await bystanders(t, relay);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  await raw.invoke('login', {});
  const res = await raw.invoke('#publish', { channel: 'respond', data: { type: 'EVIL' } });
  assert.deepEqual(res.error, { message: 'Client publish feature is disabled', name: 'InvalidActionError' });
  // a transmit #publish is dropped silently: nothing reaches the app
  raw.sendJson({ event: '#publish', data: { channel: 'respond', data: { type: 'EVIL2' } } });
  await others.assertWorking();
  assert.deepEqual(others.app.respond.filter((d) => String(d.type).startsWith('EVIL')), []);
  assert.equal(raw.closed, null);
});

test('frames before the handshake close the socket with 4009', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const others = await bystanders(t, relay);
  for (const first of [
    JSON.stringify({ event: 'login', data: 'master', cid: 1 }),
    JSON.stringify({ event: '#subscribe', data: { channel: 'respond' }, cid: 1 }),
    JSON.stringify({ event: 'log', data: { type: 'X' } }),
  ]) {
    const raw = new RawClient(relay.url, 'early');
    defer(t, () => raw.close());
    await raw.open();
    raw.send(first);
    const closed = await raw.waitClose();
    assert.equal(closed.code, 4009, `first frame ${first} -> close ${JSON.stringify(closed)}`);
  }
  await others.assertWorking();
});

test('a JSON array is processed as a batch and answered unbatched', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const others = await bystanders(t, relay);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  raw.send(JSON.stringify([
    { event: 'login', data: {}, cid: 10 },
    { event: '#subscribe', data: { channel: 'log' }, cid: 11 },
  ]));
  const r10 = await raw.json.waitFor((f) => f.rid === 10);
  const r11 = await raw.json.waitFor((f) => f.rid === 11);
  assert.equal(r10.data, 'log');
  assert.equal(r11.error ?? null, null);
  others.app.transmit('log', { type: 'ACTION', id: others.app.id, batchCheck: 1 });
  await raw.json.waitFor((f) => f.event === '#publish' && f.data.data.batchCheck === 1);
  assert.deepEqual(raw.frames.filter((f) => /^\s*\[/.test(f.text)), [], 'relay never sends arrays');
  await others.assertWorking();
});

test('oversize message closes the socket with 1009 (--maxPayload)', async (t) => {
  const relay = await startRelay(t, { ...TIMINGS, maxPayload: 64 * 1024 });
  const others = await bystanders(t, relay);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  await raw.invoke('login', 'master');
  // just under the limit is fine
  raw.sendJson({ event: 'log', data: { type: 'ACTION', id: raw.id, pad: 'x'.repeat(60 * 1024) } });
  await others.monitor.log.waitFor((d) => d.id === raw.id && d.pad && d.pad.length === 60 * 1024);
  raw.sendJson({ event: 'log', data: { type: 'ACTION', id: raw.id, pad: 'y'.repeat(70 * 1024) } });
  const closed = await raw.waitClose();
  assert.equal(closed.code, 1009, `close ${JSON.stringify(closed)}`);
  // the oversize message was not relayed; the app's departure is announced
  const d = await others.monitor.log.waitFor((x) => x.type === 'DISCONNECTED' && x.id === raw.id);
  assert.ok(d);
  assert.deepEqual(others.monitor.log.filter((x) => x.pad && x.pad[0] === 'y'), []);
  await others.assertWorking();
});

test('inbound #disconnect closes with the given code', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const others = await bystanders(t, relay);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  raw.sendJson({ event: '#disconnect', data: { code: 4321, data: 'bye' } });
  const closed = await raw.waitClose();
  assert.equal(closed.code, 4321);
  await others.assertWorking();
});

test('a silent client is closed with 4001 after pingTimeout', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const raw = await connectRaw(t, relay);
  await raw.handshake();
  // stop answering pings
  raw.send = () => {};
  const started = Date.now();
  const closed = await raw.waitClose(TIMINGS.pingTimeout * 4);
  const elapsed = Date.now() - started;
  assert.equal(closed.code, 4001);
  assert.ok(elapsed >= TIMINGS.pingTimeout * 0.8, `closed too early (${elapsed} ms)`);
});
