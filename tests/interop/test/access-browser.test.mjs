// Issue 12 in a real browser (headless Debian Chromium driven by playwright-core): a
// page of another origin (http://127.0.0.2:PORT2/) can neither open the relay's
// WebSocket nor POST to its report API nor read its auth token; the relay's own pages
// and a http://localhost:PORT dev-server page can, and a relay page gets its token from
// /auth-token.js so the monitor works with --authKey without typing anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { startRelay } from '../lib/harness.mjs';

const KEY = 'browser-key-0123456789';
const CHROMIUM = process.env.CHROMIUM_BIN
  || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

let browser;
before(async () => {
  assert.ok(CHROMIUM, 'Chromium not found: run tests/interop/setup.sh (installs Debian chromium) or set CHROMIUM_BIN');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});
after(async () => {
  if (browser) await browser.close();
});

/** A browser context whose requests never leave 127.0.0.1 / 127.0.0.2 / localhost. */
async function localContext(t) {
  const context = await browser.newContext();
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return ['127.0.0.1', '127.0.0.2', 'localhost'].includes(host) ? route.continue() : route.abort();
  });
  t.after(() => context.close());
  return context;
}

/** A tiny static server of one empty HTML page on `host`; closed after the test. */
async function staticServer(t, host) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>page</title><body>page</body>');
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return server.address().port;
}

/** In the page: opens a WebSocket to `url`, sends a handshake with `token` (or the
 * localStorage one of socketcluster-client when `fromStorage`), and reports
 * {opened, handshake?, error?}. */
async function tryWebSocket(page, url, { fromStorage = false } = {}) {
  return page.evaluate(({ url, fromStorage }) => new Promise((resolve) => {
    let opened = false;
    const u = new URL(url);
    const name = `socketcluster.authToken.${u.hostname}:${u.port}`;
    const token = fromStorage ? localStorage.getItem(name) : null;
    const ws = new WebSocket(url);
    const done = (r) => { try { ws.close(); } catch (e) { /* closed */ } resolve(r); };
    ws.onopen = () => {
      opened = true;
      ws.send(JSON.stringify({ event: '#handshake', data: { authToken: token }, cid: 1 }));
    };
    ws.onmessage = (m) => {
      if (m.data === '#1' || m.data === '') return;
      const f = JSON.parse(m.data);
      if (f.rid === 1) done({ opened, handshake: f.data });
    };
    ws.onerror = () => done({ opened, error: true });
    ws.onclose = () => done({ opened, closed: true });
    setTimeout(() => done({ opened, timeout: true }), 5000);
  }), { url, fromStorage });
}

async function tryPost(page, base) {
  return page.evaluate(async (base) => {
    try {
      const r = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"op":"list"}' });
      return { status: r.status };
    } catch (e) {
      return { error: String(e) };
    }
  }, base);
}

test('cross-origin page refused, own-origin and localhost dev-server pages accepted', async (t) => {
  const relay = await startRelay(t, { logLevel: 2 });
  const base = `http://127.0.0.1:${relay.port}/`;
  const evilPort = await staticServer(t, '127.0.0.2');
  const devPort = await staticServer(t, '127.0.0.1');
  const context = await localContext(t);

  // another origin: WebSocket and fetch POST refused
  const evil = await context.newPage();
  await evil.goto(`http://127.0.0.2:${evilPort}/`);
  const ws = await tryWebSocket(evil, relay.url);
  assert.equal(ws.opened, false, JSON.stringify(ws));
  const post = await tryPost(evil, base);
  assert.ok(post.error, `fetch from another origin must fail: ${JSON.stringify(post)}`);
  assert.match(relay.log(), new RegExp(`Origin http://127\\.0\\.0\\.2:${evilPort} refused`));

  // a http://localhost:PORT dev server: accepted
  const dev = await context.newPage();
  await dev.goto(`http://localhost:${devPort}/`);
  const devWs = await tryWebSocket(dev, `ws://127.0.0.1:${relay.port}/socketcluster/`);
  assert.equal(devWs.opened, true, JSON.stringify(devWs));
  assert.equal(typeof devWs.handshake.id, 'string');
  assert.deepEqual(await tryPost(dev, base), { status: 200 });

  // a page the relay serves (/port.js, shown as a document): its own origin, accepted
  const own = await context.newPage();
  await own.goto(`${base}port.js`);
  const ownWs = await tryWebSocket(own, relay.url);
  assert.equal(ownWs.opened, true, JSON.stringify(ownWs));
  assert.deepEqual(await tryPost(own, base), { status: 200 });
});

test('with --authKey the relay\'s own page gets a token from /auth-token.js; another origin does not', async (t) => {
  const relay = await startRelay(t, { logLevel: 2, extraArgs: ['--authKey', KEY] });
  const base = `http://127.0.0.1:${relay.port}/`;
  const evilPort = await staticServer(t, '127.0.0.2');
  const context = await localContext(t);

  const loadScript = (page, src) => page.evaluate((src) => new Promise((resolve) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve({ loaded: true, auth: window.remotedevAuth || null });
    s.onerror = () => resolve({ loaded: false, auth: window.remotedevAuth || null });
    document.head.appendChild(s);
  }), src);

  // the relay's own page: the script stores the token where socketcluster-client reads it
  const own = await context.newPage();
  await own.goto(`${base}port.js`);
  const got = await loadScript(own, '/auth-token.js');
  assert.deepEqual(got, { loaded: true, auth: { required: true, token: true } });
  const ws = await tryWebSocket(own, relay.url, { fromStorage: true });
  assert.equal(ws.handshake && ws.handshake.isAuthenticated, true, JSON.stringify(ws));

  // without the token the handshake is unauthenticated
  const fresh = await (await localContext(t)).newPage();
  await fresh.goto(`${base}port.js`);
  const anon = await tryWebSocket(fresh, relay.url, { fromStorage: true });
  assert.equal(anon.handshake && anon.handshake.isAuthenticated, false, JSON.stringify(anon));

  // another origin including the script gets no token (blocked or token-less)
  const evil = await context.newPage();
  await evil.goto(`http://127.0.0.2:${evilPort}/`);
  const stolen = await loadScript(evil, `${base}auth-token.js`);
  assert.ok(!stolen.auth || stolen.auth.token === false, JSON.stringify(stolen));
  const leaked = await evil.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('authToken')));
  assert.deepEqual(leaked, []);
});
