// Relay semantics (remotedev-relay.md §2, §3, §5) with both client generations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, connectClient, connectMonitor, connectBareApp, safeJson } from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 400, pingTimeout: 1500 };

test('login roles: "master" -> "respond", {} / other values -> "log" (v14 and v20)', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  for (const gen of ['scc14', 'scc20']) {
    const c = await connectClient(t, relay, gen);
    assert.equal(await c.invoke('login', 'master'), 'respond', `${gen} login master`);
    assert.equal(await c.invoke('login', {}), 'log', `${gen} login {}`);
    assert.equal(await c.invoke('login', 'monitor'), 'log', `${gen} login "monitor"`);
    assert.equal(await c.invoke('login', null), 'log', `${gen} login null`);
    // last login wins
    assert.equal(await c.invoke('login', 'master'), 'respond', `${gen} re-login master`);
  }
});

test('log and log-noid from v14 and v20 apps reach v14 and v20 monitors intact', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const m14 = await connectMonitor(t, relay, 'scc14');
  const m20 = await connectMonitor(t, relay, 'scc20');
  assert.equal(m14.loginReply, 'log');
  assert.equal(m20.loginReply, 'log');
  const a14 = await connectBareApp(t, relay, 'scc14');
  const a20 = await connectBareApp(t, relay, 'scc20');
  assert.equal(a14.loginReply, 'respond');
  assert.equal(a20.loginReply, 'respond');

  const sent = [];
  for (const app of [a14, a20]) {
    const logMsg = {
      type: 'ACTION', id: app.id, instanceId: `inst-${app.gen}`, name: `App ${app.gen}`,
      action: JSON.stringify({ type: 'PERFORM_ACTION', action: { type: 'INCREMENT', by: 1 }, timestamp: 1700000000000 }),
      payload: JSON.stringify({ count: 1, nested: { list: [1, 2.5, -3, null, true, 'x'] } }),
      nextActionId: 2, isExcess: false,
    };
    const noidMsg = { type: 'INIT', id: null, name: `NoId ${app.gen}`, payload: '{"count":0}', libConfig: { name: 'x' } };
    // one as a transmit, one as an invoke (relay events with a cid are acked {"rid":N})
    app.transmit('log', logMsg);
    assert.equal(await app.invoke('log-noid', noidMsg), undefined, 'log-noid invoke acked without data');
    sent.push({ app, logMsg, noidMsg });
  }

  for (const m of [m14, m20]) {
    for (const { app, logMsg, noidMsg } of sent) {
      const got = await m.log.waitFor((d) => d && d.id === app.id && d.type === 'ACTION', { what: `ACTION from ${app.gen}` });
      assert.deepEqual(got, logMsg, `${m.label}: log from ${app.gen} intact`);
      const wrapped = await m.log.waitFor((d) => d && d.id === app.id && d.data, { what: `log-noid from ${app.gen}` });
      assert.deepEqual(wrapped, { id: app.id, data: noidMsg }, `${m.label}: log-noid from ${app.gen} wrapped {id,data}`);
    }
  }
  // exactly one copy of each
  for (const m of [m14, m20]) {
    assert.equal(m.log.filter((d) => d && d.type === 'ACTION').length, 2, `${m.label}: ACTION count`);
    assert.equal(m.log.filter((d) => d && d.data).length, 2, `${m.label}: log-noid count`);
    assert.deepEqual(m.arraysReceived(), []);
  }
  // apps do not receive log traffic
  assert.deepEqual(a14.respond.items, []);
  assert.deepEqual(a20.respond.items, []);
});

test('log sent as invoke is relayed and acked {"rid":N}', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const m = await connectMonitor(t, relay, 'scc20');
  const a = await connectBareApp(t, relay, 'scc14');
  const msg = { type: 'STATE', id: a.id, payload: '{"x":1}' };
  const res = await a.invoke('log', msg);
  assert.equal(res, undefined);
  assert.deepEqual(await m.log.waitFor((d) => d.type === 'STATE'), msg);
});

test('respond broadcast from a monitor reaches every app (v14, v20, v20 protocolVersion 1)', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const apps = [
    await connectBareApp(t, relay, 'scc14'),
    await connectBareApp(t, relay, 'scc20'),
    await connectBareApp(t, relay, 'scc20v1'),
  ];
  const m14 = await connectMonitor(t, relay, 'scc14');
  const m20 = await connectMonitor(t, relay, 'scc20');
  const msg = { type: 'DISPATCH', action: { type: 'JUMP_TO_STATE', index: 1 }, state: '{"count":1}', instanceId: 'abc' };
  m14.transmit('respond', msg);
  assert.equal(await m20.invoke('respond', { type: 'START' }), undefined, 'respond invoke acked');
  for (const a of apps) {
    await a.respond.waitForAll(() => true, { count: 2, what: `2 respond messages at ${a.label}` });
    const dispatches = a.respond.filter((d) => d.type === 'DISPATCH');
    const starts = a.respond.filter((d) => d.type === 'START');
    assert.deepEqual(dispatches, [msg], `${a.label}: DISPATCH broadcast`);
    assert.deepEqual(starts, [{ type: 'START' }], `${a.label}: START broadcast`);
  }
  // monitors do not get respond traffic
  assert.deepEqual(m14.log.items, []);
  assert.deepEqual(m20.log.items, []);
});

test('two monitors both receive every app message, once each', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const mA = await connectMonitor(t, relay, 'scc20', { label: 'monitorA' });
  const mB = await connectMonitor(t, relay, 'scc20', { label: 'monitorB' });
  const app = await connectBareApp(t, relay, 'scc20');
  for (let i = 1; i <= 5; i++) app.transmit('log', { type: 'ACTION', id: app.id, seq: i, payload: `{"count":${i}}` });
  for (const m of [mA, mB]) {
    const all = await m.log.waitForAll((d) => d.type === 'ACTION', { count: 5 });
    assert.deepEqual(all.map((d) => d.seq), [1, 2, 3, 4, 5], `${m.label}: in order`);
  }
  // sentinel: once it arrives, any duplicate of the earlier messages would have arrived too
  app.transmit('log', { type: 'SENTINEL', id: app.id });
  for (const m of [mA, mB]) {
    await m.log.waitFor((d) => d.type === 'SENTINEL');
    assert.equal(m.log.filter((d) => d.type === 'ACTION').length, 5, `${m.label}: no duplicates ${safeJson(m.log.items)}`);
  }
});

for (const [how, gen] of [['clean close (v20)', 'scc20'], ['clean close with #disconnect (v14)', 'scc14'], ['dropped TCP connection', 'scc20']]) {
  test(`DISCONNECTED on log when an app goes: ${how}`, async (t) => {
    const relay = await startRelay(t, TIMINGS);
    const m14 = await connectMonitor(t, relay, 'scc14');
    const m20 = await connectMonitor(t, relay, 'scc20');
    const app = await connectBareApp(t, relay, gen);
    const other = await connectBareApp(t, relay, 'scc14', { label: 'otherApp' });
    const appId = app.id;
    if (how.startsWith('dropped')) app.destroy();
    else await app.close();
    for (const m of [m14, m20]) {
      const d = await m.log.waitFor((x) => x.type === 'DISCONNECTED', { what: 'DISCONNECTED' });
      assert.deepEqual(d, { id: appId, type: 'DISCONNECTED' }, `${m.label}`);
    }
    // other app unaffected: it got nothing on respond, and it can still log
    other.transmit('log', { type: 'ACTION', id: other.id, n: 1 });
    for (const m of [m14, m20]) {
      await m.log.waitFor((x) => x.type === 'ACTION' && x.id === other.id);
      assert.equal(m.log.filter((x) => x.type === 'DISCONNECTED').length, 1);
    }
    assert.deepEqual(other.respond.items, []);
  });
}

test('subscribing to report yields a unicast #publish {type:"list"} after the subscribe ack (APP8 flow, §6.1)', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const first = await connectMonitor(t, relay, 'scc20', { label: 'firstMonitor' });
  const firstReport = await first.subscribe('report');
  const list = await firstReport.waitFor((d) => d.type === 'list');
  assert.deepEqual(list, { type: 'list', data: [] });
  for (const gen of ['scc14', 'scc20']) {
    const m = await connectMonitor(t, relay, gen);
    const inbox = await m.subscribe('report');
    assert.deepEqual(await inbox.waitFor((d) => d.type === 'list'), { type: 'list', data: [] }, m.label);
    // the raw frame is a #publish on report, after the subscribe ack
    const idx = m.raw.items.findIndex((x) => x.includes('"report"') && x.includes('"list"'));
    assert.deepEqual(JSON.parse(m.raw.items[idx]), { event: '#publish', data: { channel: 'report', data: { type: 'list', data: [] } } });
  }
  // only the subscribing socket gets the list: the first monitor saw exactly one
  first.transmit('respond', { type: 'SENTINEL' });
  const app = await connectBareApp(t, relay, 'scc20');
  app.transmit('log', { type: 'SENTINEL', id: app.id });
  await first.log.waitFor((d) => d.type === 'SENTINEL');
  assert.equal(firstReport.filter((d) => d.type === 'list').length, 1, 'report list is unicast to the subscriber');
});

test('DISCONNECTED on respond when a monitor goes; nothing for sockets that never logged in', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const a14 = await connectBareApp(t, relay, 'scc14');
  const a20 = await connectBareApp(t, relay, 'scc20');
  const stayingMonitor = await connectMonitor(t, relay, 'scc20', { label: 'stayingMonitor' });
  // a socket that never logs in, then leaves: must not produce any DISCONNECTED
  const anon = await connectClient(t, relay, 'scc20', { label: 'anon' });
  const anonId = anon.id;
  await anon.close();
  const mon = await connectMonitor(t, relay, 'scc14', { label: 'leavingMonitor' });
  const monId = mon.id;
  await mon.close();
  for (const a of [a14, a20]) {
    const d = await a.respond.waitFor((x) => x.type === 'DISCONNECTED');
    assert.deepEqual(d, { id: monId, type: 'DISCONNECTED' }, a.label);
    assert.equal(a.respond.filter((x) => x.type === 'DISCONNECTED').length, 1, `${a.label}: only the monitor's DISCONNECTED`);
  }
  // the anonymous socket closed before the monitor did: nothing about it anywhere
  assert.equal(stayingMonitor.log.filter((x) => x.id === anonId).length, 0);
  assert.equal(a14.respond.filter((x) => x.id === anonId).length, 0);
  // a monitor's departure is not published on log
  a20.transmit('log', { type: 'SENTINEL', id: a20.id });
  await stayingMonitor.log.waitFor((x) => x.type === 'SENTINEL');
  assert.equal(stayingMonitor.log.filter((x) => x.type === 'DISCONNECTED').length, 0);
});
