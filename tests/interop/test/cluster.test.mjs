// Cluster mode (issue 15): three relays on one real redis-server behave as one relay to
// real peers: a @redux-devtools/remote@1.0.0 app on relay A, a socketcluster-client@20
// monitor on B (what @redux-devtools/app sends: targeted START / JUMP_TO_ACTION) and a
// socketcluster-client@14 monitor on C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startClusterRelay, connectMonitor, startApp, safeJson, sleep, waitFor } from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 400, pingTimeout: 1500 };
/** README "Cluster mode": a relay that dies is noticed within 10 s (plus slack: loaded CI). */
const DEAD_BOUND_MS = 15000;

const parse = (s) => (typeof s === 'string' ? JSON.parse(s) : s);
const instanceKey = (msg) => msg.instanceId || msg.id;

async function appIdentity(monitor, name) {
  const start = await monitor.log.waitFor((d) => d.type === 'START' && d.name === name, { what: `START of ${name}`, timeout: 10000 });
  return { id: start.id, instanceId: instanceKey(start), startInstanceId: start.instanceId };
}

const fromApp = (monitor, id, type) => monitor.log.filter((d) => d.id === id && (!type || d.type === type));

/** A targeted MARK round trip: afterwards everything sent to the app before it was handled. */
async function sentinel(monitors, sender, app, target, mark) {
  sender.transmit(`sc-${target.id}`, { type: 'ACTION', action: `{ type: 'MARK', mark: '${mark}' }`, instanceId: target.instanceId });
  await app.msgs.waitFor((m) => m.type === 'lifted' && m.action && m.action.type === 'PERFORM_ACTION' &&
    m.action.action && m.action.action.mark === mark, { what: `MARK ${mark} dispatched`, timeout: 10000 });
  for (const monitor of monitors) {
    await monitor.log.waitFor((d) => d.id === target.id && d.type === 'ACTION' && String(d.action).includes(mark),
      { what: `ACTION MARK ${mark} on ${monitor.label || monitor.gen}`, timeout: 10000 });
  }
}

test('three relays on one Redis: actions reach both monitors once, targeted JUMP and respond broadcast reach the app once, a killed relay is DISCONNECTED', async (t) => {
  const redis = await startRedis(t);
  const A = await startClusterRelay(t, redis, TIMINGS);
  const B = await startClusterRelay(t, redis, TIMINGS);
  const C = await startClusterRelay(t, redis, TIMINGS);
  const monB = await connectMonitor(t, B, 'scc20', { broadcastStart: false, answerStart: true, label: 'monitorB' });
  const monC = await connectMonitor(t, C, 'scc14', { broadcastStart: false, answerStart: false, label: 'monitorC' });
  const app = startApp(t, A, 'rem1', { name: 'cluster-app' });
  const me = await appIdentity(monB, app.name);
  assert.equal((await appIdentity(monC, app.name)).id, me.id);
  // B's targeted START went through Redis to A: the app answers with one STATE, seen on B and C
  for (const m of [monB, monC]) await m.log.waitFor((d) => d.id === me.id && d.type === 'STATE', { what: 'STATE', timeout: 10000 });

  app.dispatch({ type: 'INCREMENT' });
  app.dispatch({ type: 'INCREMENT' });
  app.dispatch({ type: 'INCREMENT' });
  await app.waitState((s) => s.count === 3);
  for (const m of [monB, monC]) {
    const actions = await m.log.waitForAll((d) => d.id === me.id && d.type === 'ACTION', { count: 3, what: '3 ACTIONs', timeout: 10000 });
    assert.deepEqual(actions.map((d) => parse(d.payload).count), [1, 2, 3]);
  }

  // time travel from B: exactly one frame on A's app, state changes once
  const jump = { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 1 }, instanceId: me.instanceId };
  monB.transmit(`sc-${me.id}`, jump);
  await app.waitState((s) => s.count === 1, 'app jumped to action 1 (count 1)', 10000);
  await sentinel([monB, monC], monB, app, me, 'after-jump');
  const jumpFrames = app.inbound((x) => JSON.stringify(x.frame).includes('JUMP_TO_ACTION')).map((x) => x.frame);
  assert.deepEqual(jumpFrames, [{ event: '#publish', data: { channel: 'respond', data: jump } }]);
  assert.equal(app.liftedCount('JUMP_TO_ACTION'), 1, 'the targeted DISPATCH was handled once');

  // a respond broadcast from C reaches the app on A once
  monC.transmit('respond', { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 2 } });
  await app.waitState((s) => s.count === 2, 'app jumped to action 2 (count 2)', 10000);
  await sentinel([monB, monC], monC, app, me, 'after-broadcast');
  assert.equal(app.liftedCount('JUMP_TO_ACTION'), 2, `broadcast handled once: ${safeJson(app.msgs.filter((m) => m.type === 'lifted'))}`);
  for (const m of [monB, monC]) {
    // the app answers the START and each JUMP_TO_ACTION with a STATE
    assert.equal(fromApp(m, me.id, 'STATE').length, 3, `${m.label}: STATE after START + 2 jumps, each once`);
    assert.equal(fromApp(m, me.id, 'ACTION').length, 3 + 2, `${m.label}: every ACTION once`);
  }

  // kill -9 relay A: B's and C's monitors learn that A's app is gone
  const killed = Date.now();
  A.proc.kill('SIGKILL');
  for (const m of [monB, monC]) {
    const d = await m.log.waitFor((x) => x.type === 'DISCONNECTED', { what: `DISCONNECTED on ${m.label}`, timeout: DEAD_BOUND_MS });
    assert.deepEqual(d, { id: me.id, type: 'DISCONNECTED' });
  }
  console.log(`# relay A's death noticed after ${Date.now() - killed} ms`);
  await sleep(1500);
  for (const m of [monB, monC]) assert.equal(m.log.filter((x) => x.type === 'DISCONNECTED').length, 1);
});

test('targeted START sent before the app on another relay subscribed is queued there and delivered once', async (t) => {
  const redis = await startRedis(t);
  const A = await startClusterRelay(t, redis, TIMINGS);
  const B = await startClusterRelay(t, redis, TIMINGS);
  const monB = await connectMonitor(t, B, 'scc20', { broadcastStart: false, answerStart: true, label: 'monitorB' });
  // the app's uplink is held from its #subscribe on for 800 ms (< 2 s grace): B's targeted
  // START reaches A while the app is logged in but not subscribed
  const app = startApp(t, A, 'rem1', { name: 'race-cluster', holdSubscribeMs: 800 });
  const me = await appIdentity(monB, app.name);
  await app.msgs.waitFor((m) => m.type === 'hold', { what: 'app subscribe held' });
  assert.ok(monB.startAnswered.includes(me.id), 'monitor answered the START with a targeted START');
  const released = await app.msgs.waitFor((m) => m.type === 'released', { timeout: 8000 });
  await monB.log.waitFor((d) => d.id === me.id && d.type === 'STATE', { what: 'STATE', timeout: 10000 });
  await sentinel([monB], monB, app, me, 'race-done');
  const startFrames = app.inbound((x) => x.frame && x.frame.data && JSON.stringify(x.frame).includes('"START"'));
  assert.deepEqual(startFrames.map((x) => x.frame), [{ event: '#publish', data: { channel: 'respond', data: JSON.parse(JSON.stringify({ type: 'START', instanceId: me.startInstanceId })) } }]);
  assert.ok(startFrames[0].t >= released.t, 'START delivered only after the app subscribed');
  assert.equal(fromApp(monB, me.id, 'STATE').length, 1, 'exactly one STATE');
});

test('Redis restart: cross-relay traffic resumes', async (t) => {
  const redis = await startRedis(t);
  const A = await startClusterRelay(t, redis, TIMINGS);
  const B = await startClusterRelay(t, redis, TIMINGS);
  const monB = await connectMonitor(t, B, 'scc20', { broadcastStart: false, answerStart: true, label: 'monitorB' });
  const monA = await connectMonitor(t, A, 'scc14', { broadcastStart: false, answerStart: false, label: 'monitorA' });
  const app = startApp(t, A, 'rem1', { name: 'restart-app' });
  const me = await appIdentity(monB, app.name);
  await monB.log.waitFor((d) => d.id === me.id && d.type === 'STATE', { what: 'STATE', timeout: 10000 });

  await redis.kill();
  await waitFor(() => A.log().includes('lost Redis') && B.log().includes('lost Redis'), { timeout: 15000, message: 'both relays noticed the outage' });
  // local delivery on A goes on
  app.dispatch({ type: 'INCREMENT' });
  await monA.log.waitFor((d) => d.id === me.id && d.type === 'ACTION' && parse(d.payload).count === 1, { what: 'local ACTION during the outage' });

  await redis.start();
  await waitFor(() => A.log().includes('delivery resumed') && B.log().includes('delivery resumed'), { timeout: 20000, message: 'both relays reconnected' });
  assert.equal((A.log().match(/lost Redis|cannot reach Redis/g) || []).length, 1, `one outage line: ${A.log()}`);
  assert.equal((A.log().match(/delivery resumed/g) || []).length, 1, `one recovery line: ${A.log()}`);
  app.dispatch({ type: 'INCREMENT' });
  await monB.log.waitFor((d) => d.id === me.id && d.type === 'ACTION' && parse(d.payload).count === 2, { what: 'ACTION after Redis returned', timeout: 10000 })
    .catch((e) => { throw new Error(`${e.message}\nmonA: ${safeJson(monA.log.items.map((d) => [d.type, d.payload && d.type === "ACTION" ? parse(d.payload).count : null]))}\napp: ${safeJson(app.msgs.items.filter((m) => m.type !== "in").map((m) => m.type + (m.state ? m.state.count : "")))}\nA: ${A.log()}\nB: ${B.log()}`); });
  // targeted delivery resumed too
  await sentinel([monB], monB, app, me, 'after-restart');
  assert.equal(fromApp(monB, me.id, 'ACTION').filter((d) => String(d.action).includes('INCREMENT') && parse(d.payload).count === 2).length, 1,
    'the ACTION after the restart arrived once');
});
