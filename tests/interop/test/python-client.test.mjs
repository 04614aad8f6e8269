// PyPI socketclusterclient 1.3.6 (v2 pings, sorted-key JSON with spaces) against the relay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, connectPython, connectMonitor, connectBareApp, SOCKET_ID_RE } from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 400, pingTimeout: 1500 };

test('python client: handshake, login master, subscribe respond, log reaches JS monitors, respond broadcast arrives', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const m20 = await connectMonitor(t, relay, 'scc20');
  const m14 = await connectMonitor(t, relay, 'scc14');
  const py = await connectPython(t, relay);
  assert.match(py.id, SOCKET_ID_RE);
  const hsRaw = py.events.filter((e) => e.ev === 'raw' && e.text && e.text.includes('"rid"'))[0];
  assert.ok(hsRaw, 'handshake response seen');
  assert.deepEqual(JSON.parse(hsRaw.text).data, { id: py.id, pingTimeout: TIMINGS.pingTimeout, isAuthenticated: false });

  const login = await py.emitack('login', 'master');
  assert.ok(!login.error, `login error ${JSON.stringify(login.error)}`);
  assert.equal(login.data, 'respond');
  const sub = await py.subscribe('respond');
  assert.ok(!sub.error, `subscribe error ${JSON.stringify(sub.error)}`);

  const msg = { type: 'INIT', id: py.id, name: 'python app ✓', instanceId: 'py-1', payload: JSON.stringify({ count: 0, text: 'héllo 😀' }) };
  py.emit('log', msg);
  for (const m of [m20, m14]) assert.deepEqual(await m.log.waitFor((d) => d.type === 'INIT'), msg, m.label);

  // log-noid from python: wrapped with its socket id
  py.emit('log-noid', { type: 'ACTION', payload: '{"count":1}' });
  assert.deepEqual(await m20.log.waitFor((d) => d.data), { id: py.id, data: { type: 'ACTION', payload: '{"count":1}' } });

  // log as an invoke (emitack) is relayed too and acked
  const logAck = await py.emitack('log', { type: 'ACTION', id: py.id, n: 2 });
  assert.ok(!logAck.error, JSON.stringify(logAck));
  await m14.log.waitFor((d) => d.n === 2);

  // broadcast from a monitor reaches the python app as a #publish on `respond`
  m14.transmit('respond', { type: 'START' });
  const got = await py.events.waitFor((e) => e.ev === 'message' && e.key === 'respond' && e.data.type === 'START');
  assert.deepEqual(got.data, { type: 'START' });
  const rawPub = py.events.filter((e) => e.ev === 'raw' && e.text && e.text.includes('"START"'));
  assert.equal(rawPub.length, 1);
  assert.deepEqual(JSON.parse(rawPub[0].text), { event: '#publish', data: { channel: 'respond', data: { type: 'START' } } });

  // targeted message from a monitor
  m20.transmit(`sc-${py.id}`, { type: 'DISPATCH', action: { type: 'JUMP_TO_STATE', index: 0 }, state: '{"count":0}', instanceId: 'py-1' });
  const tgt = await py.events.waitFor((e) => e.ev === 'message' && e.data && e.data.type === 'DISPATCH');
  assert.equal(tgt.key, 'respond');

  // python never got a JSON array (it would crash on one)
  assert.deepEqual(py.events.filter((e) => e.ev === 'raw' && e.text && /^\s*\[/.test(e.text)), []);
  assert.deepEqual(py.events.filter((e) => e.ev === 'driver-error'), []);

  // the python app leaving is announced to the monitors
  await py.stop();
  for (const m of [m20, m14]) assert.deepEqual(await m.log.waitFor((d) => d.type === 'DISCONNECTED'), { id: py.id, type: 'DISCONNECTED' });
});

test('python client as monitor receives a JS app log via #publish on log', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const py = await connectPython(t, relay);
  const login = await py.emitack('login', {});
  assert.equal(login.data, 'log');
  await py.subscribe('log');
  const app = await connectBareApp(t, relay, 'scc20');
  const msg = { type: 'ACTION', id: app.id, payload: '{"a":[1,2,3]}', action: '{"type":"PERFORM_ACTION","action":{"type":"A"}}' };
  app.transmit('log', msg);
  const got = await py.events.waitFor((e) => e.ev === 'message' && e.key === 'log');
  assert.deepEqual(got.data, msg);
  await app.close();
  const d = await py.events.waitFor((e) => e.ev === 'message' && e.data && e.data.type === 'DISCONNECTED');
  assert.deepEqual(d.data, { id: app.id, type: 'DISCONNECTED' });
});

test('python client as monitor receives a 1 MiB state (sent as a fragmented message) intact', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const py = await connectPython(t, relay);
  await py.emitack('login', {});
  await py.subscribe('log');
  const app = await connectBareApp(t, relay, 'scc20');
  // Over the relay's 64 KiB threshold: the payload is forwarded without a copy as the
  // middle frame of a fragmented text message, which websocket-client reassembles.
  const payload = JSON.stringify({ text: 'é😀 "q" \\ '.repeat(80 * 1024) });
  assert.ok(Buffer.byteLength(payload) > 1024 * 1024);
  const msg = { type: 'STATE', id: app.id, payload };
  app.transmit('log', msg);
  const got = await py.events.waitFor((e) => e.ev === 'message' && e.key === 'log', { timeout: 20000, what: 'big STATE' });
  assert.ok(got.data.payload === payload, 'payload identical');
  assert.deepEqual(got.data, msg);
});
