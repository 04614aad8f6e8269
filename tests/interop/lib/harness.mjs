// Interop test harness: relay process management, waiting helpers, and adapters for the
// real client generations (socketcluster-client 14.3.2 / 20.0.2, raw `ws`, Python
// socketclusterclient 1.3.6, and real app libraries running in child processes).
import { spawn, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import readline from 'node:readline';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
const scc14 = require('scc14');
const scc20 = require('scc20');

export const INTEROP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(INTEROP_DIR, '..', '..');
export const RELAY_BIN = process.env.REMOTEDEV_BIN || path.join(REPO_DIR, 'target', 'debug', 'remotedev');
export const PYTHON = process.env.INTEROP_PYTHON || path.join(INTEROP_DIR, '.venv', 'bin', 'python');
export const SOCKET_ID_RE = /^[A-Za-z0-9_-]{20}$/;

const DEFAULT_WAIT = 5000;

// ---------------------------------------------------------------------------------------
// Waiting helpers (no blind sleeps where a condition can be awaited)
// ---------------------------------------------------------------------------------------

/** Poll `predicate` until it returns a truthy value; resolve with that value. */
export async function waitFor(predicate, { timeout = DEFAULT_WAIT, interval = 10, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastErr;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${lastErr ? ` (last error: ${lastErr.message})` : ''}`);
    }
    await sleep(interval);
  }
}

/** Only for deliberately observing a quiet period (e.g. "stays connected for N ms"). */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Promise with timeout. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** An append-only list of received items that can be awaited. */
export class Inbox {
  constructor(name = 'inbox') {
    this.name = name;
    this.items = [];
    this.waiters = [];
  }
  push(item) {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      const matches = this.items.filter(w.pred);
      if (matches.length >= w.count) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(matches);
      }
    }
  }
  filter(pred = () => true) {
    return this.items.filter(pred);
  }
  /** Resolve with the first `count` matching items (already received or future). */
  waitForAll(pred = () => true, { count = 1, timeout = DEFAULT_WAIT, what } = {}) {
    const matches = this.items.filter(pred);
    if (matches.length >= count) return Promise.resolve(matches);
    return new Promise((resolve, reject) => {
      const w = { pred, count, resolve };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        const desc = what || pred.toString().slice(0, 160);
        reject(new Error(`${this.name}: timed out after ${timeout} ms waiting for ${count} x ${desc}; ` +
          `got ${this.items.filter(pred).length}; last items: ${safeJson(this.items.slice(-6)).slice(0, 1500)}`));
      }, timeout);
      this.waiters.push(w);
    });
  }
  async waitFor(pred = () => true, opts = {}) {
    const all = await this.waitForAll(pred, { ...opts, count: 1 });
    return all[0];
  }
}

export function safeJson(v) {
  try {
    return JSON.stringify(v, (k, x) => (typeof x === 'string' && x.length > 300 ? x.slice(0, 300) + `…(${x.length} chars)` : x));
  } catch {
    return String(v);
  }
}

/**
 * Register cleanup for test `t`; cleanups run in reverse order of registration (clients
 * are closed before the relay they talk to is stopped).
 */
export function defer(t, fn) {
  if (!t) return;
  if (!t.__interopCleanups) {
    const list = (t.__interopCleanups = []);
    t.after(async () => {
      while (list.length) {
        const f = list.pop();
        try {
          await f();
        } catch {
          /* best effort */
        }
      }
    });
  }
  t.__interopCleanups.push(fn);
}

// ---------------------------------------------------------------------------------------
// Relay process
// ---------------------------------------------------------------------------------------

export function relayAvailable() {
  try {
    fs.accessSync(RELAY_BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Start the relay on an ephemeral port (report store in memory unless `db` says
 * otherwise). Registers a SIGTERM shutdown with `t.after` when a test context is given.
 */
export async function startRelay(t, opts = {}) {
  // INTEROP_SPLIT=1 runs a suite with apps and monitors on different relays: each
  // plain relay gets a private redis-server and a second relay of the same cluster,
  // which `connectMonitor` uses (issue 15).
  if (process.env.INTEROP_SPLIT === '1' && !opts.tls && !opts.noSplit) {
    const redis = await startRedis(t);
    const relay = await startClusterRelay(t, redis, { ...opts, noSplit: true });
    relay.monitorRelay = await startClusterRelay(t, redis, { ...opts, noSplit: true });
    return relay;
  }
  return startSingleRelay(t, opts);
}

async function startSingleRelay(t, { pingInterval = 400, pingTimeout = 1200, maxPayload, logLevel = 1, db = ':memory:', extraArgs = [], tls } = {}) {
  const args = ['--hostname', '127.0.0.1', '--port', '0', '--pingInterval', String(pingInterval),
    '--pingTimeout', String(pingTimeout), '--logLevel', String(logLevel)];
  if (maxPayload != null) args.push('--maxPayload', String(maxPayload));
  // The report store: in memory unless a test asks for a file (`db: path`), so tests
  // never write to the user's data directory (`db: null` leaves the relay's default).
  if (db != null) args.push('--db', db);
  args.push(...extraArgs);
  const proc = spawn(RELAY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  const relay = {
    proc, pingInterval, pingTimeout, output,
    log: () => output.join(''),
    exited: false,
    exitInfo: null,
  };
  const exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      relay.exited = true;
      relay.exitInfo = { code, signal };
      resolve(relay.exitInfo);
    });
  });
  const urlPromise = new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      const s = d.toString();
      output.push(s);
      buf += s;
      const m = buf.match(/wss?:\/\/\S+\/socketcluster\//);
      if (m) resolve(m[0]);
    });
    proc.stderr.on('data', (d) => output.push(d.toString()));
    proc.on('error', (e) => reject(new Error(`cannot start relay ${RELAY_BIN}: ${e.message}`)));
    exitPromise.then((info) => reject(new Error(`relay exited before printing its URL (${safeJson(info)}); output:\n${output.join('')}`)));
  });
  relay.stop = async () => {
    if (relay.exited) return relay.exitInfo;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    const info = await exitPromise;
    clearTimeout(timer);
    return info;
  };
  defer(t, () => relay.stop());
  relay.url = await withTimeout(urlPromise, 15000, 'relay URL line on stdout').catch(async (e) => {
    await relay.stop();
    throw e;
  });
  const u = new URL(relay.url);
  relay.hostname = u.hostname;
  relay.port = Number(u.port);
  // TLS (--protocol https): `tls` = { caFile } makes every client of this relay use
  // secure: true and trust that CA (socketcluster-client: wsOptions.ca; app children:
  // NODE_EXTRA_CA_CERTS; the Python driver: sslopt).
  relay.secure = u.protocol === 'wss:';
  if (tls) relay.caFile = tls.caFile;
  return relay;
}

// ---------------------------------------------------------------------------------------
// SocketCluster client adapters (one interface for both generations)
// ---------------------------------------------------------------------------------------

/**
 * Common shape:
 *   gen, id, pingTimeout, raw (Inbox of every inbound text), lifecycle (Inbox of
 *   {type:'connect'|'disconnect'|'close'|'error', ...}), channel(name) → Inbox of data,
 *   eventInbox(name) → Inbox of event-frame data, invoke(), transmit(), subscribe(),
 *   close(), destroy().
 */
class BaseClient {
  constructor(gen, label) {
    this.gen = gen;
    this.label = label || gen;
    this.raw = new Inbox(`${this.label}.raw`);
    this.lifecycle = new Inbox(`${this.label}.lifecycle`);
    this.channels = new Map();
    this.events = new Map();
  }
  channel(name) {
    if (!this.channels.has(name)) this.channels.set(name, new Inbox(`${this.label}.channel(${name})`));
    return this.channels.get(name);
  }
  eventInbox(name) {
    if (!this.events.has(name)) this.events.set(name, new Inbox(`${this.label}.event(${name})`));
    return this.events.get(name);
  }
  connectCount() {
    return this.lifecycle.filter((e) => e.type === 'connect').length;
  }
  /** texts received that are a JSON array (the relay must never batch) */
  arraysReceived() {
    return this.raw.filter((m) => /^\s*\[/.test(m));
  }
}

/** socketcluster-client options for a TLS relay: secure, trusting the test CA (v20 hands
 * `wsOptions` to `ws`; v14 hands its whole options object to `ws`, so `ca` goes on top). */
function secureOptions(relay, gen) {
  if (!relay.secure) return {};
  const ca = relay.caFile ? fs.readFileSync(relay.caFile) : undefined;
  if (gen === 14) return ca ? { secure: true, ca } : { secure: true };
  return { secure: true, wsOptions: ca ? { ca } : {} };
}

export class Scc14Client extends BaseClient {
  constructor(relay, opts = {}) {
    super('scc14', opts.label);
    this.socket = scc14.create({
      hostname: relay.hostname, port: relay.port, multiplex: false,
      autoReconnectOptions: { initialDelay: 100, randomness: 100 }, ...secureOptions(relay, 14), ...opts.clientOptions,
    });
    const s = this.socket;
    s.on('connect', (status) => {
      this.id = s.id;
      this.pingTimeout = status && status.pingTimeout;
      this.lifecycle.push({ type: 'connect', id: s.id, at: Date.now() });
    });
    s.on('disconnect', (code, reason) => this.lifecycle.push({ type: 'disconnect', code, reason, at: Date.now() }));
    s.on('close', (code, reason) => this.lifecycle.push({ type: 'close', code, reason, at: Date.now() }));
    s.on('error', (err) => this.lifecycle.push({ type: 'error', name: err && err.name, message: err && err.message, code: err && err.code }));
    s.on('message', (m) => this.raw.push(m));
  }
  async ready(timeout = 5000) {
    await this.lifecycle.waitFor((e) => e.type === 'connect', { timeout, what: 'connect' });
    return this;
  }
  invoke(event, data, timeout = 5000) {
    return withTimeout(new Promise((resolve, reject) => {
      this.socket.emit(event, data, (err, res) => (err ? reject(err) : resolve(res)));
    }), timeout, `${this.label} invoke ${event}`);
  }
  transmit(event, data) {
    // socketcluster-client 14 arms a 10 s "ack timeout" timer even for transmits (it only
    // detaches the buffer node when it fires); unref it so it cannot keep the test process
    // alive. The frame on the wire is unchanged.
    const realSetTimeout = globalThis.setTimeout;
    const timers = [];
    globalThis.setTimeout = (...args) => {
      const h = realSetTimeout(...args);
      timers.push(h);
      return h;
    };
    try {
      this.socket.emit(event, data);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    for (const h of timers) h.unref();
  }
  async subscribe(name, timeout = 5000) {
    const ch = this.socket.subscribe(name);
    const inbox = this.channel(name);
    ch.watch((d) => inbox.push(d));
    if (ch.getState() !== 'subscribed') {
      await withTimeout(new Promise((resolve, reject) => {
        ch.on('subscribe', () => resolve());
        ch.on('subscribeFail', (err) => reject(err));
      }), timeout, `${this.label} subscribe ${name}`);
    }
    return inbox;
  }
  listenEvent(name) {
    const inbox = this.eventInbox(name);
    this.socket.on(name, (d) => inbox.push(d));
    return inbox;
  }
  async close() {
    if (this.socket.getState() !== 'closed') {
      const closed = this.lifecycle.waitFor((e) => e.type === 'close', { timeout: 3000 }).catch(() => {});
      this.socket.disconnect();
      await closed;
    }
    this.socket.disconnect(); // when closed: cancels a pending reconnect
    this.socket.off();
  }
  /** Drop the TCP connection without a close handshake. */
  destroy() {
    this.socket.transport.socket._socket.destroy();
  }
}

export class Scc20Client extends BaseClient {
  constructor(relay, opts = {}) {
    const pv = opts.protocolVersion;
    super(pv === 1 ? 'scc20v1' : 'scc20', opts.label);
    const clientOptions = {
      hostname: relay.hostname, port: relay.port,
      autoReconnectOptions: { initialDelay: 100, randomness: 100 }, ...secureOptions(relay, 20), ...opts.clientOptions,
    };
    if (pv != null) clientOptions.protocolVersion = pv;
    this.socket = scc20.create(clientOptions);
    const s = this.socket;
    this.consume(s.listener('connect'), (status) => {
      this.id = s.id;
      this.pingTimeout = status && status.pingTimeout;
      this.lifecycle.push({ type: 'connect', id: s.id, at: Date.now() });
    });
    this.consume(s.listener('disconnect'), (p) => this.lifecycle.push({ type: 'disconnect', code: p.code, reason: p.reason, at: Date.now() }));
    this.consume(s.listener('close'), (p) => this.lifecycle.push({ type: 'close', code: p.code, reason: p.reason, at: Date.now() }));
    this.consume(s.listener('error'), (p) => this.lifecycle.push({ type: 'error', name: p.error && p.error.name, message: p.error && p.error.message }));
    this.consume(s.listener('message'), (p) => this.raw.push(p.message));
  }
  consume(iterable, fn) {
    (async () => {
      for await (const v of iterable) fn(v);
    })().catch(() => {});
  }
  async ready(timeout = 5000) {
    await this.lifecycle.waitFor((e) => e.type === 'connect', { timeout, what: 'connect' });
    return this;
  }
  invoke(event, data, timeout = 5000) {
    return withTimeout(this.socket.invoke(event, data), timeout, `${this.label} invoke ${event}`);
  }
  transmit(event, data) {
    void this.socket.transmit(event, data);
  }
  async subscribe(name, timeout = 5000) {
    const ch = this.socket.subscribe(name);
    const inbox = this.channel(name);
    this.consume(ch, (d) => inbox.push(d));
    if (ch.state !== ch.SUBSCRIBED) {
      await withTimeout(Promise.race([
        ch.listener('subscribe').once(),
        ch.listener('subscribeFail').once().then((p) => { throw p.error; }),
      ]), timeout, `${this.label} subscribe ${name}`);
    }
    return inbox;
  }
  listenEvent(name) {
    const inbox = this.eventInbox(name);
    this.consume(this.socket.receiver(name), (d) => inbox.push(d));
    return inbox;
  }
  async close() {
    if (this.socket.state !== this.socket.CLOSED) {
      const closed = this.lifecycle.waitFor((e) => e.type === 'close', { timeout: 3000 }).catch(() => {});
      this.socket.disconnect();
      await closed;
    }
    this.socket.disconnect(); // when closed: cancels a pending reconnect
    this.socket.closeAllListeners();
    this.socket.closeAllReceivers();
    this.socket.closeAllChannels();
    this.socket.killAllProcedures && this.socket.killAllProcedures();
  }
  destroy() {
    this.socket.transport.socket._socket.destroy();
  }
}

/** Create a connected client of generation `gen` ('scc14' | 'scc20' | 'scc20v1'). */
export async function connectClient(t, relay, gen, opts = {}) {
  let c;
  if (gen === 'scc14') c = new Scc14Client(relay, opts);
  else if (gen === 'scc20') c = new Scc20Client(relay, opts);
  else if (gen === 'scc20v1') c = new Scc20Client(relay, { ...opts, protocolVersion: 1 });
  else throw new Error(`unknown client generation ${gen}`);
  defer(t, () => c.close());
  await c.ready();
  return c;
}

/**
 * A monitor following what @redux-devtools/app (APP8) / remotedev-app do: login `{}`,
 * subscribe `log` (+ `report`), optionally broadcast START, and optionally answer every
 * app START with a targeted `sc-<id>` START.
 */
export async function connectMonitor(t, relay, gen, { broadcastStart = false, answerStart = false, label } = {}) {
  // INTEROP_SPLIT=1: monitors use the relay's cluster peer (see startRelay)
  const m = await connectClient(t, relay.monitorRelay || relay, gen, { label: label || `monitor(${gen})` });
  m.loginReply = await m.invoke('login', {});
  m.log = await m.subscribe(m.loginReply);
  if (answerStart) {
    m.startAnswered = [];
    m.answering = true;
    // answer synchronously as data arrives
    const origPush = m.log.push.bind(m.log);
    m.log.push = (d) => {
      origPush(d);
      if (m.answering && d && d.type === 'START' && d.id) {
        m.startAnswered.push(d.id);
        m.transmit(`sc-${d.id}`, { type: 'START', instanceId: d.instanceId });
      }
    };
  }
  if (broadcastStart) m.transmit('respond', { type: 'START' });
  return m;
}

/** An app-role client speaking the protocol directly (no app library). */
export async function connectBareApp(t, relay, gen, opts = {}) {
  const a = await connectClient(t, relay, gen, { label: opts.label || `app(${gen})` });
  a.loginReply = await a.invoke('login', 'master');
  a.respond = await a.subscribe(a.loginReply);
  return a;
}

// ---------------------------------------------------------------------------------------
// Raw WebSocket client (bad-input tests, byte-level checks)
// ---------------------------------------------------------------------------------------

export class RawClient {
  constructor(url, label = 'raw') {
    this.label = label;
    this.ws = new WebSocket(url, { maxPayload: 512 * 1024 * 1024 });
    this.frames = new Inbox(`${label}.frames`); // every inbound text
    this.json = new Inbox(`${label}.json`); // parsed JSON frames
    this.closed = null;
    this.closedPromise = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      });
    });
    this.ws.on('error', (e) => { this.error = e; });
    this.ws.on('message', (data, isBinary) => {
      const text = data.toString('utf8');
      this.frames.push({ text, isBinary });
      if (text === '#1') this.send('#2');
      else if (text === '' && this.answerEmptyPing) this.send('');
      else {
        try {
          this.json.push(JSON.parse(text));
        } catch {
          /* raw */
        }
      }
    });
    this.cid = 0;
  }
  open(timeout = 5000) {
    return withTimeout(new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    }), timeout, `${this.label} open`);
  }
  send(text) {
    this.ws.send(text);
  }
  sendJson(obj) {
    this.ws.send(JSON.stringify(obj));
  }
  /** Send an invoke and wait for the response frame with the same rid. */
  async invoke(event, data, timeout = 5000) {
    const cid = ++this.cid;
    const frame = { event, cid };
    if (data !== undefined) frame.data = data;
    this.sendJson(frame);
    return this.json.waitFor((f) => f && f.rid === cid, { timeout, what: `rid ${cid} (${event})` });
  }
  async handshake() {
    await this.open();
    const res = await this.invoke('#handshake', { authToken: null });
    this.id = res.data && res.data.id;
    this.handshakeResponse = res;
    return res;
  }
  waitClose(timeout = 5000) {
    return withTimeout(this.closedPromise, timeout, `${this.label} close`);
  }
  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
  destroy() {
    this.ws._socket && this.ws._socket.destroy();
  }
}

export async function connectRaw(t, relay, label) {
  const r = new RawClient(relay.url, label);
  defer(t, () => r.close());
  await r.open();
  return r;
}

// ---------------------------------------------------------------------------------------
// Python socketclusterclient 1.3.6 (driven over stdin/stdout JSON lines)
// ---------------------------------------------------------------------------------------

export class PyClient {
  constructor(relay, label = 'py') {
    this.label = label;
    this.events = new Inbox(`${label}.events`);
    this.stderr = [];
    this.proc = spawn(PYTHON, [path.join(INTEROP_DIR, 'python', 'sc_driver.py'), relay.url], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...(relay.caFile ? { SC_CA_FILE: relay.caFile } : {}) },
    });
    this.proc.on('error', (e) => this.events.push({ ev: 'spawn-error', message: e.message }));
    this.proc.on('exit', (code, signal) => this.events.push({ ev: 'exit', code, signal }));
    this.proc.stderr.on('data', (d) => this.stderr.push(d.toString()));
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line));
      } catch {
        this.events.push({ ev: 'stdout', line });
      }
    });
    this.seq = 0;
  }
  command(obj) {
    const id = ++this.seq;
    this.proc.stdin.write(JSON.stringify({ ...obj, seq: id }) + '\n');
    return id;
  }
  async emitack(event, data, timeout = 5000) {
    const seq = this.command({ cmd: 'emitack', event, data });
    const ack = await this.events.waitFor((e) => e.ev === 'ack' && e.seq === seq, { timeout, what: `ack of ${event}` });
    return ack;
  }
  emit(event, data) {
    this.command({ cmd: 'emit', event, data });
  }
  async subscribe(channel, timeout = 5000) {
    const seq = this.command({ cmd: 'subscribeack', channel });
    return this.events.waitFor((e) => e.ev === 'ack' && e.seq === seq, { timeout, what: `subscribe ack ${channel}` });
  }
  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.command({ cmd: 'disconnect' });
    const exited = this.events.waitFor((e) => e.ev === 'exit', { timeout: 3000 }).catch(() => null);
    if (!(await exited)) this.proc.kill('SIGKILL');
  }
}

export async function connectPython(t, relay, label) {
  const py = new PyClient(relay, label);
  defer(t, () => py.stop());
  const hs = await py.events.waitFor((e) => e.ev === 'authenticated' || e.ev === 'spawn-error' || e.ev === 'exit',
    { timeout: 10000, what: 'python handshake' });
  if (hs.ev !== 'authenticated') throw new Error(`python client failed: ${safeJson(hs)} ${py.stderr.join('')}`);
  py.id = hs.id;
  return py;
}

// ---------------------------------------------------------------------------------------
// Real app libraries in child processes
// ---------------------------------------------------------------------------------------

/**
 * Fork lib/app-child.mjs running a real redux store enhanced by `lib` ('rem1' =
 * @redux-devtools/remote@1.0.0, 'rrd' = remote-redux-devtools@0.5.16).
 * Options: name, holdSubscribeMs (delay the app's outbound frames from its first
 * `#subscribe` on, preserving order — simulates a slow link to force the relay's queue),
 * sendOn (action types that make the library upload a report with `POST /`; the app then
 * runs with `realtime: false`, as `sendOn` only acts while the app is not monitored).
 */
export function startApp(t, relay, lib, { name, holdSubscribeMs = 0, sendOn } = {}) {
  const child = fork(path.join(INTEROP_DIR, 'lib', 'app-child.mjs'), [], {
    env: {
      ...process.env,
      APP_LIB: lib, APP_PORT: String(relay.port), APP_HOST: relay.hostname, APP_NAME: name,
      APP_HOLD_SUBSCRIBE_MS: String(holdSubscribeMs),
      APP_SEND_ON: sendOn ? [].concat(sendOn).join(',') : '',
      APP_SECURE: relay.secure ? '1' : '',
      ...(relay.caFile ? { NODE_EXTRA_CA_CERTS: relay.caFile } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const app = {
    lib, name, child,
    msgs: new Inbox(`app(${lib}:${name})`),
    output: [],
    state: undefined,
    send(cmd) {
      child.send(cmd);
    },
    dispatch(action) {
      child.send({ cmd: 'dispatch', action });
    },
    /** how many times the app library fed a lifted action of `type` into its store */
    liftedCount(type, pred = () => true) {
      return this.msgs.filter((m) => m.type === 'lifted' && m.action && m.action.type === type && pred(m.action)).length;
    },
    /** inbound non-ping frames (parsed), optionally filtered */
    inbound(pred = () => true) {
      return this.msgs.filter((m) => m.type === 'in').map((m) => {
        let frame;
        try {
          frame = JSON.parse(m.text);
        } catch {
          frame = m.text;
        }
        return { t: m.t, frame };
      }).filter(pred);
    },
    kill(signal = 'SIGKILL') {
      this.killed = true;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitState(pred, what, timeout = 5000) {
      return this.msgs.waitFor((m) => m.type === 'state' && pred(m.state), { timeout, what: what || 'state' });
    },
  };
  child.stdout.on('data', (d) => app.output.push(d.toString()));
  child.stderr.on('data', (d) => app.output.push(d.toString()));
  child.on('message', (m) => {
    if (m.type === 'state') app.state = m.state;
    app.msgs.push(m);
  });
  child.on('exit', (code, signal) => {
    app.msgs.push({ type: 'exit', code, signal });
    if (!app.killed) console.error(`[${lib}:${name}] app process exited (${code ?? signal}); output:\n${app.output.join('')}`);
  });
  defer(t, () => app.kill());
  return app;
}

// ---------------------------------------------------------------------------------------
// Cluster mode (issue 15): a private redis-server and relays sharing it
// ---------------------------------------------------------------------------------------

export const REDIS_BIN = process.env.REDIS_SERVER || 'redis-server';

async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function portOpen(port) {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/**
 * A private redis-server on a free loopback port (no persistence, data dir in a temp
 * folder), killed when the test ends. `kill()` stops it (SIGKILL), `start()` starts it
 * again on the same port.
 */
export async function startRedis(t) {
  const os = await import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remotedev-redis-'));
  const port = await freePort();
  const redis = { port, url: `redis://127.0.0.1:${port}`, proc: null };
  redis.start = async () => {
    const proc = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.on('error', (e) => console.error(`cannot run ${REDIS_BIN} (tests/interop/setup.sh installs it): ${e.message}`));
    redis.proc = proc;
    redis.exited = new Promise((r) => proc.on('exit', r));
    await waitFor(() => portOpen(port), { timeout: 10000, message: `redis-server on port ${port}` });
  };
  redis.kill = async () => {
    if (!redis.proc || redis.proc.exitCode !== null || redis.proc.signalCode !== null) return;
    redis.proc.kill('SIGKILL');
    await redis.exited;
  };
  await redis.start();
  defer(t, async () => {
    await redis.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return redis;
}

/**
 * A relay in cluster mode on `redis` (info logging, so the test can see when it is
 * connected to Redis); resolves once it is.
 */
export async function startClusterRelay(t, redis, opts = {}) {
  const relay = await startRelay(t, {
    ...opts,
    logLevel: Number(process.env.CLUSTER_LOG_LEVEL || 3),
    extraArgs: ['--redis', redis.url, '--cluster', opts.cluster || 'interop', ...(opts.extraArgs || [])],
  });
  await waitFor(() => relay.log().includes('connected to Redis'), { timeout: 15000, message: 'relay connected to Redis' });
  return relay;
}
