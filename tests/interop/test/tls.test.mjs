// TLS (issue 11): the relay with --protocol https and a test PKI made now by
// tests/tls/make_test_pki.sh (root CA → intermediate → localhost/127.0.0.1 certificate),
// driven over wss:// by the real clients: socketcluster-client 14.3.2 and 20.0.2 with
// `secure: true` + `wsOptions.ca`, real @redux-devtools/remote@1.0.0 and
// remote-redux-devtools@0.5.16 apps with `secure: true` (CA via NODE_EXTRA_CA_CERTS),
// the PyPI socketclusterclient with `sslopt`, and https:// on the report API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import tls from 'node:tls';
import path from 'node:path';
import {
  REPO_DIR, startRelay, connectClient, connectMonitor, connectBareApp, connectPython, startApp, Scc20Client,
  waitFor, sleep, SOCKET_ID_RE,
} from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 1000, pingTimeout: 6000 };
let pki;

before(() => {
  pki = fs.mkdtempSync(path.join(os.tmpdir(), 'remotedev-pki-'));
  execFileSync('bash', [path.join(REPO_DIR, 'tests', 'tls', 'make_test_pki.sh'), pki]);
});
after(() => fs.rmSync(pki, { recursive: true, force: true }));

function startTlsRelay(t, extra = {}) {
  return startRelay(t, {
    ...TIMINGS,
    extraArgs: ['--protocol', 'https', '--key', path.join(pki, 'key-encrypted.pem'), '--cert', path.join(pki, 'chain.pem'),
      '--passphrase', 'test-passphrase'],
    tls: { caFile: path.join(pki, 'ca.pem') },
    ...extra,
  });
}

for (const gen of ['scc14', 'scc20']) {
  test(`wss: ${gen} app and monitor with secure: true and the CA: handshake, login, log reaches the monitor, targeted message`, async (t) => {
    const relay = await startTlsRelay(t);
    assert.match(relay.url, /^wss:\/\/127\.0\.0\.1:\d+\/socketcluster\/$/);
    const monitor = await connectMonitor(t, relay, gen);
    const app = await connectBareApp(t, relay, gen);
    assert.match(app.id, SOCKET_ID_RE);
    assert.equal(app.loginReply, 'respond');
    const msg = { type: 'ACTION', id: app.id, payload: '{"count":1}', action: '{"type":"INC"}' };
    app.transmit('log', msg);
    assert.deepEqual(await monitor.log.waitFor((d) => d.type === 'ACTION'), msg);
    monitor.transmit(`sc-${app.id}`, { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 0 } });
    const got = await app.respond.waitFor((d) => d.type === 'DISPATCH');
    assert.equal(got.action.type, 'JUMP_TO_ACTION');
  });
}

for (const [lib, pkg] of [['rem1', '@redux-devtools/remote@1.0.0'], ['rrd', 'remote-redux-devtools@0.5.16']]) {
  test(`wss: a real ${pkg} app with secure: true follows a targeted JUMP_TO_ACTION from a monitor`, async (t) => {
    const relay = await startTlsRelay(t);
    const monitor = await connectMonitor(t, relay, 'scc20', { broadcastStart: true, answerStart: true });
    const app = startApp(t, relay, lib, { name: `tls-${lib}` });
    const start = await monitor.log.waitFor((d) => d.type === 'START' && d.name === app.name, { what: 'START', timeout: 10000 });
    const instanceId = start.instanceId || start.id;
    await monitor.log.waitFor((d) => d.id === start.id && d.type === 'STATE', { what: 'STATE', timeout: 8000 });
    app.dispatch({ type: 'INCREMENT' });
    app.dispatch({ type: 'INCREMENT' });
    await app.waitState((s) => s.count === 2, 'count 2');
    await monitor.log.waitForAll((d) => d.id === start.id && d.type === 'ACTION', { count: 2, what: '2 ACTIONs', timeout: 8000 });
    monitor.transmit(`sc-${start.id}`, { type: 'DISPATCH', action: { type: 'JUMP_TO_ACTION', actionId: 1 }, instanceId });
    await app.waitState((s) => s.count === 1, 'the app jumped to action 1 (count 1)', 8000);
  });
}

test('wss: the PyPI socketclusterclient with sslopt logs in and its log reaches a monitor', async (t) => {
  const relay = await startTlsRelay(t);
  const monitor = await connectMonitor(t, relay, 'scc20');
  const py = await connectPython(t, relay);
  assert.match(py.id, SOCKET_ID_RE);
  const login = await py.emitack('login', 'master');
  assert.ok(!login.error, JSON.stringify(login.error));
  assert.equal(login.data, 'respond');
  py.emit('log', { type: 'INIT', id: py.id, payload: '{"count":0}' });
  assert.deepEqual(await monitor.log.waitFor((d) => d.type === 'INIT'), { type: 'INIT', id: py.id, payload: '{"count":0}' });
});

test('https: the report API (op:list, then an upload from a real app with sendOn) over TLS', async (t) => {
  const relay = await startTlsRelay(t);
  const post = (body) => new Promise((resolve, reject) => {
    const req = https.request({
      hostname: '127.0.0.1', port: relay.port, path: '/', method: 'POST',
      ca: fs.readFileSync(path.join(pki, 'ca.pem')), headers: { 'content-type': 'application/json' },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  assert.deepEqual(await post({ op: 'list' }), { status: 200, json: [] });
  const app = startApp(t, relay, 'rem1', { name: 'TlsReporter', sendOn: 'REPORT' });
  await app.msgs.waitFor((m) => m.type === 'ready', { what: 'app ready', timeout: 8000 });
  app.dispatch({ type: 'REPORT' });
  const rows = await waitFor(async () => {
    const { json } = await post({ op: 'list' });
    assert.equal(json.length, 1);
    return json;
  }, { timeout: 8000, interval: 200, message: 'the app uploaded its report over https' });
  assert.equal(typeof rows[0].id, 'string');
});

test('refusals: a client without the CA fails with a certificate error; a plain ws:// client fails cleanly; the relay keeps serving', async (t) => {
  const relay = await startTlsRelay(t);
  const untrusted = new Scc20Client(relay, { label: 'untrusted', clientOptions: { wsOptions: {}, autoReconnect: false } });
  t.after(() => untrusted.socket.disconnect());
  // socketcluster-client reports only "Socket hung up" (1006); the TLS layer under it names
  // the reason, as Node's tls does for the same relay and the same (missing) trust
  await untrusted.lifecycle.waitFor((e) => e.type === 'error', { what: 'TLS error', timeout: 8000 });
  assert.equal(untrusted.connectCount(), 0);
  const reason = await new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: relay.port, servername: 'localhost' });
    s.on('secureConnect', () => { resolve('connected'); s.destroy(); });
    s.on('error', (e) => resolve(e.code));
  });
  assert.equal(reason, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');

  const plain = new Scc20Client(relay, { label: 'plain', clientOptions: { secure: false, autoReconnect: false } });
  t.after(() => plain.socket.disconnect());
  await plain.lifecycle.waitFor((e) => e.type === 'error' || e.type === 'close', { what: 'plain refused', timeout: 8000 });
  assert.equal(plain.connectCount(), 0);

  await sleep(100);
  assert.equal(relay.exited, false);
  const ok = await connectClient(t, relay, 'scc20');
  assert.match(ok.id, SOCKET_ID_RE);
});
