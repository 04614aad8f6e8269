// Browser test harness: the relay binary, real RemoteDev apps in child processes, and
// Debian's chromium driven by playwright-core with every host but the relay unreachable.
import { spawn, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

export const BROWSER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(BROWSER_DIR, '..', '..');
export const RELAY_BIN = process.env.REMOTEDEV_BIN || path.join(REPO_DIR, 'target', 'debug', 'remotedev');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const ARTIFACTS = process.env.BROWSER_ARTIFACTS || path.join(REPO_DIR, 'target', 'browser-artifacts');

/** Poll `predicate` until it returns a truthy value; resolve with that value. */
export async function waitFor(predicate, { timeout = 10000, interval = 50, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Cleanups run in reverse order after test `t`. */
export function defer(t, fn) {
  if (!t.__cleanups) {
    const list = (t.__cleanups = []);
    t.after(async () => {
      for (const f of list.reverse()) {
        try {
          await f();
        } catch (e) {
          console.error('cleanup failed:', e);
        }
      }
    });
  }
  t.__cleanups.push(fn);
}

/**
 * Starts the relay on a free port; resolves with `{ port, origin, uiLine, proc }` once
 * it prints its listening line (and the UI line after it).
 */
export async function startRelay(t, { args = [], env = {} } = {}) {
  const proc = spawn(RELAY_BIN, ['--port', '0', '--db', ':memory:', '--logLevel', '1', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  defer(t, () => stop(proc));
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const lines = readline.createInterface({ input: proc.stdout });
  const seen = [];
  const ready = new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      seen.push(line);
      const m = /^remotedev monitor UI at (http:\/\/[^ ]+)$/.exec(line);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`relay exited (${code}) before listening: ${seen.join('\n')}\n${stderr}`)));
  });
  const uiUrl = await ready;
  const url = new URL(uiUrl);
  return { proc, port: Number(url.port), origin: url.origin, uiUrl, lines: seen, stderr: () => stderr };
}

export async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * A real redux store enhanced by `lib` ('remote' = @redux-devtools/remote@1.0.0, 'rrd'
 * = remote-redux-devtools@0.5.16) in a child process. `state()` reads the app's own
 * `store.getState()` and its instrumented lifted state's pause / lock flags.
 */
export async function startApp(t, lib, port, name) {
  const child = fork(path.join(BROWSER_DIR, 'lib', 'app.mjs'), {
    env: { ...process.env, APP_LIB: lib, APP_PORT: String(port), APP_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  defer(t, () => stop(child));
  const errors = [];
  let next = 0;
  const pending = new Map();
  child.on('message', (m) => {
    if (m.type === 'error') errors.push(m.message);
    if (m.type === 'state' && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
  });
  await new Promise((resolve, reject) => {
    child.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error(JSON.stringify(m)))));
    child.once('exit', (code) => reject(new Error(`app exited (${code})`)));
  });
  return {
    errors,
    dispatch: (action) => child.send({ cmd: 'dispatch', action }),
    snapshot: () =>
      new Promise((resolve) => {
        const id = ++next;
        pending.set(id, resolve);
        child.send({ cmd: 'getState', id });
      }),
    async state() {
      return (await this.snapshot()).state;
    },
  };
}

/** Debian's chromium, headless, with every host name but 127.0.0.1 unresolvable. */
export async function launchBrowser(t) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run tests/browser/setup.sh`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  defer(t, () => browser.close());
  return browser;
}

/**
 * A fresh browser profile with a page on the relay's UI. Requests to any other origin
 * are aborted and recorded in `foreign`; page errors in `errors`; text frames the
 * page's sockets receive in `received`.
 */
export async function openMonitor(t, browser, relay) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  defer(t, () => context.close());
  const foreign = [];
  const requests = [];
  const errors = [];
  const received = [];
  const sameOrigin = (url) => {
    const u = new URL(url);
    return u.host === new URL(relay.origin).host && ['http:', 'ws:'].includes(u.protocol);
  };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || sameOrigin(url)) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('request', (r) => {
    requests.push(r.url());
    if (!r.url().startsWith('data:') && !sameOrigin(r.url())) foreign.push(r.url());
  });
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => typeof f.payload === 'string' && received.push(f.payload));
    requests.push(ws.url());
    if (!sameOrigin(ws.url())) foreign.push(ws.url());
  });
  page.on('pageerror', (e) => errors.push(String(e?.stack || e)));
  await page.goto(relay.uiUrl);
  return { context, page, foreign, requests, errors, received };
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
