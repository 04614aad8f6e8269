// Real app libraries (@redux-devtools/remote@1.0.0 on socketcluster-client 20, and
// remote-redux-devtools@0.5.16 on socketcluster-client 14), each enhancing a real redux
// createStore in its own process, driven by a monitor that sends what
// @redux-devtools/app sends (remotedev-relay.md §4, §8.2, §9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, connectMonitor, startApp, safeJson } from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 400, pingTimeout: 1500 };
const LIBS = [['rem1', '@redux-devtools/remote@1.0.0'], ['rrd', 'remote-redux-devtools@0.5.16']];

const parse = (s) => (typeof s === 'string' ? JSON.parse(s) : s);

/** instance key as @redux-devtools/app computes it */
const instanceKey = (msg) => msg.instanceId || msg.id;

/** Wait until the monitor knows the app `name` (its START), return its socket id / instance. */
async function appIdentity(monitor, name) {
  const start = await monitor.log.waitFor((d) => d.type === 'START' && d.name === name, { what: `START of ${name}`, timeout: 8000 });
  return { id: start.id, instanceId: instanceKey(start), startInstanceId: start.instanceId };
}

/** Messages on `log` from app socket `id`. */
const fromApp = (monitor, id, type) => monitor.log.filter((d) => d.id === id && (!type || d.type === type));

/**
 * Sentinel: ask app `id` (targeted) to dispatch a MARK action (an `ACTION` command, which
 * the app library evaluates and dispatches); the app reports it on `log` as an ACTION.
 * The relay delivers in order per socket, so once this round trip completes, everything
 * targeted at the app before it has been handled and answered.
 */
async function sentinel(monitor, app, target, mark) {
  monitor.transmit(`sc-${target.id}`, {
    type: 'ACTION', action: `{ type: 'MARK', mark: '${mark}' }`, instanceId: target.instanceId,
  });
  await app.msgs.waitFor((m) => m.type === 'lifted' && m.action && m.action.type === 'PERFORM_ACTION' &&
    m.action.action && m.action.action.mark === mark, { what: `MARK ${mark} dispatched in ${app.name}`, timeout: 8000 });
  await monitor.log.waitFor((d) => d.id === target.id && d.type === 'ACTION' && String(d.action).includes(mark),
    { what: `ACTION MARK ${mark} from ${app.name}`, timeout: 8000 });
}

for (const [lib, pkg] of LIBS) {
  test(`time travel: targeted sc-<id> DISPATCH JUMP_TO_ACTION reaches exactly one ${pkg} app exactly once`, async (t) => {
    const relay = await startRelay(t, TIMINGS);
    // APP8-like monitor: broadcast START once subscribed, answer every app START with a targeted START
    const monitor = await connectMonitor(t, relay, 'scc20', { broadcastStart: true, answerStart: true });
    const appA = startApp(t, relay, lib, { name: `A-${lib}` });
    const appB = startApp(t, relay, lib, { name: `B-${lib}` });
    const A = await appIdentity(monitor, appA.name);
    const B = await appIdentity(monitor, appB.name);
    assert.notEqual(A.id, B.id);
    // each app answers the targeted START with a STATE (it is now monitored)
    await monitor.log.waitFor((d) => d.id === A.id && d.type === 'STATE', { what: 'STATE from A' });
    await monitor.log.waitFor((d) => d.id === B.id && d.type === 'STATE', { what: 'STATE from B' });

    for (const app of [appA, appB]) {
      app.dispatch({ type: 'INCREMENT' });
      app.dispatch({ type: 'INCREMENT' });
    }
    for (const [app, who] of [[appA, A], [appB, B]]) {
      await app.waitState((s) => s.count === 2, `${app.name} count 2`);
      const actions = await monitor.log.waitForAll((d) => d.id === who.id && d.type === 'ACTION', { count: 2, what: `2 ACTIONs from ${app.name}` });
      assert.deepEqual(actions.map((d) => parse(d.payload).count), [1, 2], `${app.name}: ACTION payloads`);
      assert.deepEqual(actions.map((d) => parse(d.action).action.type), ['INCREMENT', 'INCREMENT']);
    }

    // exactly what @redux-devtools/app sends for a "redux" instance (no `state`)
    const jump = { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 1 }, instanceId: A.instanceId };
    monitor.transmit(`sc-${A.id}`, jump);
    await appA.waitState((s) => s.count === 1, 'app A jumped to action 1 (count 1)');
    await sentinel(monitor, appA, A, 'after-jump-A');
    await sentinel(monitor, appB, B, 'after-jump-B');

    const jumpFrames = (app) => app.inbound((x) => JSON.stringify(x.frame).includes('JUMP_TO_ACTION')).map((x) => x.frame);
    assert.deepEqual(jumpFrames(appA), [{ event: '#publish', data: { channel: 'respond', data: jump } }],
      'app A received exactly one frame with the DISPATCH: a unicast #publish on its watched channel');
    assert.deepEqual(jumpFrames(appB), [], 'no frame with the DISPATCH reached app B');
    assert.equal(appA.liftedCount('JUMP_TO_ACTION'), 1, `app A got the DISPATCH exactly once: ${safeJson(appA.msgs.filter((m) => m.type === 'lifted'))}`);
    assert.equal(appB.liftedCount('JUMP_TO_ACTION'), 0, 'app B must not receive a message targeted at A');
    const countsB = appB.msgs.filter((m) => m.type === 'state').map((m) => m.state.count);
    assert.ok(countsB.slice(countsB.indexOf(2)).every((c) => c === 2), `app B's counter never went back: ${countsB}`);
    assert.equal(appB.state.count, 2, 'app B state unchanged');
    assert.equal(appA.state.count, 1, 'app A state changed');
  });

  test(`START race: targeted START before the ${pkg} app subscribed 'respond' is delivered once (queued, flushed after subscribe)`, async (t) => {
    const relay = await startRelay(t, TIMINGS);
    // no START broadcast: the app can only learn it is monitored from the targeted START
    const monitor = await connectMonitor(t, relay, 'scc20', { broadcastStart: false, answerStart: true });
    // hold the app's uplink from its #subscribe on for 600 ms (< 2 s grace): the monitor's
    // targeted START reaches the relay while the app is logged in but not yet subscribed
    const app = startApp(t, relay, lib, { name: `race-${lib}`, holdSubscribeMs: 600 });
    const other = startApp(t, relay, lib, { name: `bystander-${lib}` });
    const me = await appIdentity(monitor, app.name);
    const bystander = await appIdentity(monitor, other.name);
    await app.msgs.waitFor((m) => m.type === 'hold', { what: 'app subscribe held' });
    assert.ok(monitor.startAnswered.includes(me.id), 'monitor answered the START with a targeted START');
    const state = await monitor.log.waitFor((d) => d.id === me.id && d.type === 'STATE', { what: 'STATE answering the targeted START', timeout: 8000 });
    const lifted = parse(state.payload);
    assert.deepEqual(lifted.computedStates[lifted.currentStateIndex].state, { count: 0, log: [] });
    const released = await app.msgs.waitFor((m) => m.type === 'released');
    await sentinel(monitor, app, me, 'race-done');
    // §4 step 4: queued while the app had not subscribed, flushed (as #publish on the
    // watched channel) only after the relay received and acked its #subscribe
    const startFrames = app.inbound((x) => x.frame && x.frame.data && JSON.stringify(x.frame).includes('"START"'));
    assert.deepEqual(startFrames.map((x) => x.frame), [{ event: '#publish', data: { channel: 'respond', data: JSON.parse(JSON.stringify({ type: 'START', instanceId: me.startInstanceId })) } }],
      'exactly one START frame, a #publish on respond');
    assert.ok(startFrames[0].t >= released.t, `START delivered ${released.t - startFrames[0].t} ms before the app's #subscribe reached the relay`);
    const ackIdx = app.msgs.items.findIndex((m) => m.type === 'in' && /^\{"rid":\d+\}$/.test(m.text) && m.t >= released.t);
    const startIdx = app.msgs.items.findIndex((m) => m.type === 'in' && m.text.includes('"START"'));
    assert.ok(ackIdx >= 0 && startIdx > ackIdx, 'queued START flushed after the subscribe ack');
    assert.equal(fromApp(monitor, me.id, 'STATE').length, 1, `exactly one STATE (START delivered once): ${safeJson(fromApp(monitor, me.id))}`);
    // the bystander also got its own targeted START exactly once
    await sentinel(monitor, other, bystander, 'bystander-done');
    assert.equal(fromApp(monitor, bystander.id, 'STATE').length, 1, 'bystander: exactly one STATE');
  });

  test(`START race, natural timing: ${pkg} app started while an APP8-like monitor watches gets the targeted START once`, async (t) => {
    const relay = await startRelay(t, TIMINGS);
    const monitor = await connectMonitor(t, relay, 'scc20', { broadcastStart: false, answerStart: true });
    const app = startApp(t, relay, lib, { name: `natural-${lib}` });
    const me = await appIdentity(monitor, app.name);
    await monitor.log.waitFor((d) => d.id === me.id && d.type === 'STATE', { what: 'STATE', timeout: 8000 });
    await sentinel(monitor, app, me, 'natural-done');
    assert.equal(fromApp(monitor, me.id, 'STATE').length, 1, 'exactly one STATE');
  });
}

test('START race beyond the 2 s grace: remote-redux-devtools@0.5.16 gets the queued START as a `respond` event frame, once', async (t) => {
  // the app's uplink is held for 3 s, so the pong timeout must be longer than that
  const relay = await startRelay(t, { pingInterval: 1000, pingTimeout: 6000 });
  const monitor = await connectMonitor(t, relay, 'scc20', { broadcastStart: false, answerStart: true });
  const app = startApp(t, relay, 'rrd', { name: 'slow-rrd', holdSubscribeMs: 3000 });
  const me = await appIdentity(monitor, app.name);
  await app.msgs.waitFor((m) => m.type === 'hold');
  // RRD handles `respond` event frames too (socket.on(channel)), so it answers the START
  // while its own subscription is still held back
  const state = await monitor.log.waitFor((d) => d.id === me.id && d.type === 'STATE', { what: 'STATE', timeout: 8000 });
  assert.ok(state);
  const hold = app.msgs.filter((m) => m.type === 'hold')[0];
  const released = await app.msgs.waitFor((m) => m.type === 'released', { timeout: 8000 });
  await sentinel(monitor, app, me, 'slow-done');
  const startFrames = app.inbound((x) => JSON.stringify(x.frame).includes('"START"'));
  assert.deepEqual(startFrames.map((x) => x.frame), [{ event: 'respond', data: { type: 'START' } }],
    'exactly one START frame: an event frame named after the watched channel');
  assert.ok(startFrames[0].t < released.t, 'event-frame fallback happened before the app subscribed');
  assert.ok(startFrames[0].t - hold.t >= 1500, `fallback after the ~2 s grace (was ${startFrames[0].t - hold.t} ms after login)`);
  assert.equal(fromApp(monitor, me.id, 'STATE').length, 1, 'exactly one STATE');
});

for (const [lib, pkg] of LIBS) {
  test(`DISCONNECTED reaches the monitor when a ${pkg} app process is killed (TCP dropped)`, async (t) => {
    const relay = await startRelay(t, TIMINGS);
    const monitor = await connectMonitor(t, relay, 'scc14', { broadcastStart: true, answerStart: true });
    const app = startApp(t, relay, lib, { name: `doomed-${lib}` });
    const survivor = startApp(t, relay, lib, { name: `survivor-${lib}` });
    const me = await appIdentity(monitor, app.name);
    const other = await appIdentity(monitor, survivor.name);
    await monitor.log.waitFor((d) => d.id === me.id && d.type === 'STATE');
    app.kill('SIGKILL');
    const d = await monitor.log.waitFor((x) => x.type === 'DISCONNECTED', { what: 'DISCONNECTED' });
    assert.deepEqual(d, { id: me.id, type: 'DISCONNECTED' });
    // the surviving app is still connected and monitored
    await sentinel(monitor, survivor, other, 'still-alive');
    assert.equal(monitor.log.filter((x) => x.type === 'DISCONNECTED').length, 1);
  });
}

test('respond broadcast reaches all real apps (both libraries at once)', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const monitor = await connectMonitor(t, relay, 'scc14', { broadcastStart: false, answerStart: false });
  const apps = [startApp(t, relay, 'rem1', { name: 'bc-rem1' }), startApp(t, relay, 'rrd', { name: 'bc-rrd' })];
  const ids = [];
  for (const app of apps) ids.push(await appIdentity(monitor, app.name));
  // The apps subscribe `respond` only after their login reply, and a broadcast is never
  // replayed: probe with a harmless broadcast (a lifted action the instrumented store
  // ignores; the apps are not monitored yet, so they do not answer) until every app has
  // handled one.
  let probe = 0;
  const isProbe = (m) => m.type === 'lifted' && m.action && m.action.type === 'PROBE';
  while (!apps.every((a) => a.msgs.filter(isProbe).length > 0)) {
    assert.ok(probe < 40, 'apps never received a respond broadcast');
    monitor.transmit('respond', { type: 'DISPATCH', action: { type: 'PROBE', n: ++probe } });
    await Promise.all(apps.map((a) => a.msgs.waitFor((m) => isProbe(m) && m.action.n === probe, { timeout: 250 }).catch(() => {})));
  }
  monitor.transmit('respond', { type: 'START' });
  for (const who of ids) await monitor.log.waitFor((d) => d.id === who.id && d.type === 'STATE', { what: 'STATE after broadcast START', timeout: 8000 });
  // broadcast a time-travel DISPATCH to every app
  for (const app of apps) {
    app.dispatch({ type: 'INCREMENT' });
    app.dispatch({ type: 'INCREMENT' });
    app.dispatch({ type: 'INCREMENT' });
    await app.waitState((s) => s.count === 3);
  }
  monitor.transmit('respond', { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 2 } });
  for (const app of apps) {
    await app.waitState((s) => s.count === 2, `${app.name} jumped to action 2`);
  }
  for (const [i, app] of apps.entries()) {
    await sentinel(monitor, app, ids[i], `bc-${i}`);
    assert.equal(app.liftedCount('JUMP_TO_ACTION'), 1, `${app.name}: broadcast handled once`);
    assert.equal(fromApp(monitor, ids[i].id, 'STATE').length, 1 + 1, `${app.name}: STATE after START + after JUMP`);
  }
});
