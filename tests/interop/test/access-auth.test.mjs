// Issue 12: token authentication with the real socketcluster-client@14 and @20, the
// report API's bearer token, and --readOnly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { RELAY_BIN, startRelay, connectClient, sleep } from '../lib/harness.mjs';

const KEY = 'interop-key-0123456789';
const TIMINGS = { pingInterval: 400, pingTimeout: 1500 };

/** `remotedev token --authKey KEY [--exp …]`: the CLI prints the token. */
function cliToken(key = KEY, exp) {
  const args = ['token', '--authKey', key];
  if (exp) args.push('--exp', exp);
  return execFileSync(RELAY_BIN, args, { encoding: 'utf8' }).trim();
}

/** An HS256 JWT of `claims` signed with `key` (for expired tokens). */
function signJwt(claims, key = KEY) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const sig = crypto.createHmac('sha256', key).update(input).digest('base64url');
  return `${input}.${sig}`;
}

async function authenticate(c, token) {
  if (c.gen === 'scc14') {
    return new Promise((resolve, reject) => {
      c.socket.authenticate(token, (err, status) => (err ? reject(err) : resolve(status)));
    });
  }
  return c.socket.authenticate(token);
}

async function refused(promise, what) {
  await assert.rejects(promise, (e) => {
    assert.equal(e && e.name, 'AuthError', `${what}: ${e && e.name} ${e && e.message}`);
    return true;
  }, what);
}

test('a valid token (authenticate / ?token= query / RN hostname form): login, log and a targeted jump work; without, expired or foreign tokens nothing does', async (t) => {
  const relay = await startRelay(t, { ...TIMINGS, extraArgs: ['--authKey', KEY] });
  const token = cliToken(KEY, '30d');
  assert.match(token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/);

  // monitor: scc20 authenticated with #authenticate
  const monitor = await connectClient(t, relay, 'scc20', { label: 'monitor20' });
  const status = await authenticate(monitor, token);
  assert.equal(status.isAuthenticated, true);
  assert.equal(await monitor.invoke('login', {}), 'log');
  const log = await monitor.subscribe('log');

  // app: scc14 authenticated through the query form of the URL
  const app14 = await connectClient(t, relay, 'scc14', { label: 'app14', clientOptions: { query: { token } } });
  assert.equal(app14.socket.authState, 'authenticated');
  assert.equal(await app14.invoke('login', 'master'), 'respond');
  const respond14 = await app14.subscribe('respond');

  // app: scc20 with the React Native recipe (@redux-devtools/remote passes only
  // hostname/port/secure: the token rides in the hostname)
  const rnHost = `${relay.hostname}:${relay.port}/socketcluster/?token=${token}&_=`;
  const app20 = await connectClient(t, relay, 'scc20', { label: 'app20', clientOptions: { hostname: rnHost } });
  assert.equal(app20.socket.authState, 'authenticated');
  assert.equal(await app20.invoke('login', 'master'), 'respond');
  const respond20 = await app20.subscribe('respond');

  // the unauthenticated, expired and foreign-token clients, both generations
  const expired = signJwt({ exp: Math.floor(Date.now() / 1000) - 3600 });
  const foreign = cliToken('another-key');
  const outsiders = [];
  for (const gen of ['scc14', 'scc20']) {
    const none = await connectClient(t, relay, gen, { label: `${gen}-none` });
    outsiders.push(none);
    assert.equal(none.socket.authState, 'unauthenticated');
    const old = await connectClient(t, relay, gen, { label: `${gen}-expired`, clientOptions: { query: { token: expired } } });
    outsiders.push(old);
    const bad = await connectClient(t, relay, gen, { label: `${gen}-foreign` });
    await assert.rejects(authenticate(bad, foreign), /invalid/i, `${gen} authenticate with a foreign token`);
    outsiders.push(bad);
    const late = await connectClient(t, relay, gen, { label: `${gen}-late-expired` });
    await assert.rejects(authenticate(late, expired), /expired/i, `${gen} authenticate with an expired token`);
    outsiders.push(late);
  }
  for (const c of outsiders) {
    await refused(c.invoke('login', {}), `${c.label} login`);
    await refused(c.invoke('login', 'master'), `${c.label} login master`);
    await assert.rejects(c.subscribe('log', 3000), (e) => e && e.name === 'AuthError', `${c.label} subscribe log`);
    await assert.rejects(c.subscribe('respond', 3000), (e) => e && e.name === 'AuthError', `${c.label} subscribe respond`);
    c.transmit('log', { type: 'ACTION', id: 'forged', payload: '{}' });
  }

  // log from the authenticated apps reaches the monitor; the outsiders' forged logs don't
  for (const app of [app14, app20]) {
    app.transmit('log', { type: 'STATE', id: app.id, payload: '{"count":1}' });
    await log.waitFor((d) => d && d.id === app.id && d.type === 'STATE', { what: `STATE from ${app.label}` });
  }
  // targeted jump to each app, once
  for (const [app, inbox] of [[app14, respond14], [app20, respond20]]) {
    const jump = { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 1 }, id: app.id };
    monitor.transmit(`sc-${app.id}`, jump);
    const got = await inbox.waitFor((d) => d && d.type === 'DISPATCH', { what: `jump to ${app.label}` });
    assert.deepEqual(got, jump);
  }
  await sleep(300);
  assert.equal(log.filter((d) => d && d.id === 'forged').length, 0, 'forged logs were dropped');
  for (const c of outsiders) {
    const published = c.raw.filter((m) => typeof m === 'string' && m.includes('#publish'));
    assert.deepEqual(published, [], `${c.label} got nothing`);
  }
  assert.equal(respond14.filter((d) => d && d.type === 'DISPATCH').length, 1);
  assert.equal(respond20.filter((d) => d && d.type === 'DISPATCH').length, 1);
});

test('report API: 401 without a bearer token, 200 with one', async (t) => {
  const relay = await startRelay(t, { ...TIMINGS, extraArgs: ['--authKey', KEY] });
  const base = `http://${relay.hostname}:${relay.port}/`;
  const body = JSON.stringify({ op: 'list' });
  const headers = { 'content-type': 'application/json' };
  let r = await fetch(base, { method: 'POST', headers, body });
  assert.equal(r.status, 401);
  assert.match((await r.json()).error, /Bearer/);
  r = await fetch(base, { method: 'POST', headers: { ...headers, authorization: `Bearer ${cliToken()}` }, body });
  assert.equal(r.status, 200);
  r = await fetch(base, { method: 'POST', headers: { ...headers, authorization: `Bearer ${cliToken('another-key')}` }, body });
  assert.equal(r.status, 401);
});

test('--readOnly: a monitor\'s targeted DISPATCH never reaches the app; logs still flow', async (t) => {
  const relay = await startRelay(t, { ...TIMINGS, extraArgs: ['--readOnly'] });
  for (const gen of ['scc14', 'scc20']) {
    const monitor = await connectClient(t, relay, gen, { label: `monitor-${gen}` });
    assert.equal(await monitor.invoke('login', {}), 'log');
    const log = await monitor.subscribe('log');
    const app = await connectClient(t, relay, gen, { label: `app-${gen}` });
    assert.equal(await app.invoke('login', 'master'), 'respond');
    const respond = await app.subscribe('respond');
    await assert.rejects(
      monitor.invoke(`sc-${app.id}`, { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 0 } }),
      /read-only/,
    );
    monitor.transmit(`sc-${app.id}`, { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 0 } });
    monitor.transmit('respond', { type: 'IMPORT', state: '{}' });
    monitor.transmit(`sc-${app.id}`, { type: 'START' });
    await respond.waitFor((d) => d && d.type === 'START', { what: 'START still reaches the app' });
    app.transmit('log', { type: 'ACTION', id: app.id, payload: '{}' });
    await log.waitFor((d) => d && d.id === app.id, { what: 'log from the app' });
    await sleep(200);
    assert.deepEqual(respond.filter((d) => d && d.type !== 'START'), [], `${gen}: only START reached the app`);
  }
});
