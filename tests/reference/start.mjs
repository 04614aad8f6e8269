#!/usr/bin/env node
// Starts one pinned reference relay on an ephemeral 127.0.0.1 port for the Rust tests.
//
//   node tests/reference/start.mjs <cli5|rds03> [--pingInterval MS] [--pingTimeout MS]
//
//   cli5  = @redux-devtools/cli@5.0.0  (socketcluster-server 20, protocol v2, ping EMPTY)
//   rds03 = remotedev-server@0.3.1     (socketcluster 14 master + workers + broker,
//                                       protocol v1, ping "#1")
//
// Prints exactly one line, `ws://127.0.0.1:PORT/socketcluster/`, once that URL accepts a
// WebSocket handshake; everything the relay prints goes to stderr. Runs until SIGTERM or
// SIGINT, then kills the relay's whole process group and exits 0. Exits non-zero if the
// relay cannot be started or dies on its own.
//
// How the options reach the relays:
//   --port P          free port picked here, passed as the relays' own --port flag.
//   loopback          rds03 gets --hostname 127.0.0.1 (its own flag); cli5 ignores that
//                     flag, so preload.cjs (loaded with `node -r`) rewrites every TCP
//                     listen() of the relay processes to 127.0.0.1.
//   --logLevel 1      the relays' own flag (errors only).
//   --pingInterval / --pingTimeout
//                     no relay flag exists; they are handed to preload.cjs through
//                     LIBREMOTEDEV_REF_PING_INTERVAL / LIBREMOTEDEV_REF_PING_TIMEOUT,
//                     which patches them into the socketcluster(-server) options before the
//                     server is created (see preload.cjs). Defaults when not given:
//                     cli5 8000/30000, rds03 8000/20000.
// Environment: LIBREMOTEDEV_REF_READY_TIMEOUT_MS (default 30000).
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RELAYS = {
  cli5: path.join(HERE, 'node_modules', '@redux-devtools', 'cli', 'bin', 'redux-devtools.js'),
  rds03: path.join(HERE, 'node_modules', 'remotedev-server', 'bin', 'remotedev.js'),
};
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function die(msg, code = 2) {
  process.stderr.write(`[reference] ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const usage = 'usage: start.mjs <cli5|rds03> [--pingInterval MS] [--pingTimeout MS] [--port P]';
  const relay = argv[0];
  if (!Object.hasOwn(RELAYS, relay)) die(usage);
  const opts = {};
  for (let i = 1; i < argv.length; i++) {
    let [flag, value] = argv[i].split(/=(.*)/s);
    if (value === undefined) value = argv[++i];
    if (!['--pingInterval', '--pingTimeout', '--port'].includes(flag)) die(`unknown option ${flag}\n${usage}`);
    if (!/^[1-9][0-9]*$/.test(value ?? '')) die(`${flag} needs a positive integer (ms)`);
    opts[flag.slice(2)] = value;
  }
  const interval = Number(opts.pingInterval ?? 8000);
  const timeout = Number(opts.pingTimeout ?? (relay === 'cli5' ? 30000 : 20000));
  if (interval >= timeout) {
    process.stderr.write(`[reference] warning: pingInterval ${interval} >= pingTimeout ${timeout}: answering clients will still be dropped\n`);
  }
  // --port is ours (restart tests reuse a port), not a ping timing for the preload.
  const port = opts.port === undefined ? undefined : Number(opts.port);
  delete opts.port;
  return { relay, opts, port };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// One WebSocket opening handshake (RFC 6455 §4) against the relay; resolves true on a
// valid 101 answer. The connection is dropped straight after.
function wsHandshake(port) {
  return new Promise((resolve) => {
    const key = randomBytes(16).toString('base64');
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/socketcluster/',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
      },
      timeout: 2000,
    });
    const expect = createHash('sha1').update(key + WS_GUID).digest('base64');
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode === 101 && res.headers['sec-websocket-accept'] === expect);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(false);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// True while some process of the group is still running. Zombies do not count: orphaned
// workers are reaped by init, which may take a moment, but they no longer run.
function groupAlive(pgid) {
  let entries = null;
  try {
    entries = readdirSync('/proc');
  } catch {
    // no procfs: fall back to the signal probe (counts zombies too)
  }
  if (entries) {
    for (const name of entries) {
      if (!/^[0-9]+$/.test(name)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      } catch {
        continue; // exited meanwhile
      }
      // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function signalGroup(pgid, sig) {
  try {
    process.kill(-pgid, sig);
  } catch {
    // group already gone
  }
}

// SIGTERM the whole group, then SIGKILL whatever is left after a grace period, and wait
// until no member of the group runs any more and the leader has been reaped.
async function killGroup({ child, exited, tmp }) {
  const pgid = child.pid;
  signalGroup(pgid, 'SIGTERM');
  for (let t = 0; t < 3000 && groupAlive(pgid); t += 50) await sleep(50);
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  for (let t = 0; t < 5000 && groupAlive(pgid); t += 50) await sleep(50);
  await Promise.race([exited, sleep(1000)]);
  rmSync(tmp, { recursive: true, force: true });
}

async function launch(relay, opts, port) {
  const env = { ...process.env };
  env.LIBREMOTEDEV_REF_RELAY = relay;
  env.LIBREMOTEDEV_REF_PARENT_PID = String(process.pid);
  delete env.LIBREMOTEDEV_REF_PING_INTERVAL;
  delete env.LIBREMOTEDEV_REF_PING_TIMEOUT;
  if (opts.pingInterval) env.LIBREMOTEDEV_REF_PING_INTERVAL = opts.pingInterval;
  if (opts.pingTimeout) env.LIBREMOTEDEV_REF_PING_TIMEOUT = opts.pingTimeout;
  // socketcluster@14 puts its broker's Unix socket under os.tmpdir()/socketcluster/ and
  // leaves the directory behind: give the relay a private TMPDIR, removed on stop.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'libremotedev-ref-'));
  env.TMPDIR = tmp;
  const args = ['-r', path.join(HERE, 'preload.cjs'), RELAYS[relay], '--port', String(port), '--logLevel', '1'];
  if (relay === 'rds03') args.push('--hostname', '127.0.0.1');
  const child = spawn(process.execPath, args, {
    cwd: HERE,
    env,
    detached: true, // own session + process group: the group is killed as a whole
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.on('data', (chunk) => process.stderr.write(chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('error', (e) => process.stderr.write(`[reference] spawn failed: ${e.message}\n`));
  return { child, exited, tmp };
}

async function main() {
  const { relay, opts, port: fixedPort } = parseArgs(process.argv.slice(2));
  if (!existsSync(RELAYS[relay])) die(`${RELAYS[relay]} missing: run tests/reference/setup.sh first`);
  const readyTimeout = Number(process.env.LIBREMOTEDEV_REF_READY_TIMEOUT_MS) || 30000;

  let current = null;
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    if (current) await killGroup(current);
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.on('SIGHUP', () => stop(0));

  // The port is free when picked but could be taken before the relay binds it (both
  // relays then log "port ... is already used" and do not serve): retry on a new port.
  for (let attempt = 1; attempt <= 3 && !stopping; attempt++) {
    // A fixed port (restart tests) is retried as it is: the previous relay may still
    // be releasing it.
    const port = fixedPort ?? (await freePort());
    current = await launch(relay, opts, port);
    let dead = null;
    current.exited.then((r) => (dead = r));
    const deadline = Date.now() + readyTimeout;
    let ready = false;
    while (!dead && !stopping && Date.now() < deadline) {
      if (await wsHandshake(port)) {
        ready = true;
        break;
      }
      await sleep(100);
    }
    if (stopping) return;
    if (ready && !dead) {
      process.stdout.write(`ws://127.0.0.1:${port}/socketcluster/\n`);
      const r = await current.exited;
      if (stopping) return;
      process.stderr.write(`[reference] ${relay} exited unexpectedly (code ${r.code}, signal ${r.signal})\n`);
      return stop(1);
    }
    await killGroup(current);
    if (!dead) {
      process.stderr.write(`[reference] ${relay} not ready after ${readyTimeout} ms\n`);
      current = null;
      return stop(1);
    }
    process.stderr.write(`[reference] ${relay} exited before it was ready (code ${dead.code}, signal ${dead.signal}), attempt ${attempt}\n`);
  }
  current = null;
  return stop(1);
}

main().catch((e) => {
  process.stderr.write(`[reference] ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
