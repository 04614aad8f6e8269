// SC§8.3 dual-stack ping: every client generation stays connected while idle for longer
// than 2 x pingTimeout, answering only its own ping form, without any reconnect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, connectClient, connectPython, sleep, SOCKET_ID_RE } from '../lib/harness.mjs';

const PING_INTERVAL = 400;
const PING_TIMEOUT = 1200;
const IDLE_MS = 2 * PING_TIMEOUT + 1000;

function assertNoFlap(c) {
  const bad = c.lifecycle.filter((e) => e.type !== 'connect');
  assert.deepEqual(bad, [], `${c.label}: disconnect/close/error while idle`);
  assert.equal(c.connectCount(), 1, `${c.label}: reconnected`);
  assert.equal(c.socket.id, c.id, `${c.label}: socket id changed`);
}

for (const gen of ['scc14', 'scc20', 'scc20v1']) {
  test(`keep-alive: ${gen} stays connected idle > 2 x pingTimeout`, async (t) => {
    const relay = await startRelay(t, { pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT });
    const c = await connectClient(t, relay, gen);
    assert.match(c.id, SOCKET_ID_RE, 'socket id is 20 url-safe chars');
    assert.equal(c.pingTimeout, PING_TIMEOUT, 'handshake pingTimeout equals the server pong timeout');
    await sleep(IDLE_MS);
    assertNoFlap(c);

    const own = gen === 'scc20' ? '' : '#1';
    const foreign = gen === 'scc20' ? '#1' : '';
    const ownPings = c.raw.filter((m) => m === own).length;
    const foreignPings = c.raw.filter((m) => m === foreign).length;
    const expectedMin = Math.floor(IDLE_MS / PING_INTERVAL) - 2;
    assert.ok(ownPings >= expectedMin, `${gen}: expected >= ${expectedMin} pings of its own form, got ${ownPings}`);
    // dual ping until the first pong locks the socket: the foreign form appears at most once
    assert.ok(foreignPings <= 1, `${gen}: foreign ping form received ${foreignPings} times (lock-in missing)`);
    assert.deepEqual(c.arraysReceived(), [], 'relay never sends JSON arrays');

    // the connection is still usable
    assert.equal(await c.invoke('login', {}), 'log');
    assertNoFlap(c);
  });
}

test('keep-alive: Python socketclusterclient 1.3.6 stays connected idle > 2 x pingTimeout', async (t) => {
  const relay = await startRelay(t, { pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT });
  const py = await connectPython(t, relay);
  assert.match(py.id, SOCKET_ID_RE);
  await sleep(IDLE_MS);
  const opens = py.events.filter((e) => e.ev === 'open');
  const drops = py.events.filter((e) => e.ev === 'disconnected' || e.ev === 'exit' || e.ev === 'exit-loop');
  assert.equal(opens.length, 1, 'python client opened exactly one WebSocket');
  assert.deepEqual(drops, [], 'python client was disconnected while idle');
  const auths = py.events.filter((e) => e.ev === 'authenticated');
  assert.deepEqual(auths.map((e) => e.id), [py.id], 'exactly one handshake, id unchanged');
  const raws = py.events.filter((e) => e.ev === 'raw').map((e) => e.text);
  const emptyPings = raws.filter((x) => x === '').length;
  assert.ok(emptyPings >= Math.floor(IDLE_MS / PING_INTERVAL) - 2, `python got ${emptyPings} v2 pings`);
  assert.ok(raws.filter((x) => x === '#1').length <= 1, 'v1 ping sent to a v2-locked python socket more than once');
  // still usable after the idle period
  const ack = await py.emitack('login', 'master');
  assert.ok(!ack.error, `login error: ${JSON.stringify(ack.error)}`);
  assert.equal(ack.data, 'respond');
});
