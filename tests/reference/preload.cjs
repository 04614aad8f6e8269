// Preloaded by start.mjs (`node -r ./preload.cjs <relay bin> ...`) into the reference relay
// and, through the inherited execArgv, into every process socketcluster@14 forks.
//
// 1. Loopback only. @redux-devtools/cli@5 ignores --hostname and calls
//    httpServer.listen(port); its get-port@7 check also binds the port briefly on every
//    local address. remotedev-server@0.3.1 honours --hostname, but its socketcluster
//    workers listen through the cluster primary. Here every TCP listen() of these
//    processes is rewritten to host 127.0.0.1, whatever host it asked for (Unix sockets,
//    handles and fds are left alone), so nothing ever listens on another interface.
//
// 2. Keep-alive timings (only when start.mjs sets the environment variables
//    LIBREMOTEDEV_REF_PING_INTERVAL / LIBREMOTEDEV_REF_PING_TIMEOUT, in ms). Neither
//    relay has a flag for them: both build their server options from a fixed list.
//    - cli5: the `attach(httpServer, options)` export of the socketcluster-server@20
//      module that the cli imports is wrapped so that `options` gets pingInterval /
//      pingTimeout. The module is required here first, so the cli's ESM `import` gets
//      this same (patched) CommonJS module object from the cache.
//    - rds03: `SocketCluster.prototype._init(options)` of socketcluster@14 (the master,
//      which remotedev-server constructs) is wrapped the same way, as soon as
//      remotedev-server has required that module (Module._load hook); the master hands its
//      options to the worker processes (env workerInitOptions), whose
//      socketcluster-server@14 instances then ping/timeout with these values.
//    The handshake reply's `pingTimeout` shows the value in force.
//
// 3. Orphan guard. start.mjs starts the relay as the leader of its own process group and
//    kills that group on SIGTERM/SIGINT. If start.mjs itself is killed with SIGKILL (e.g.
//    Rust's Child::kill), the relay notices that its parent changed and kills its own
//    group, so no relay, worker or broker outlives the test.
'use strict';
const net = require('net');
const path = require('path');

const LOOPBACK = '127.0.0.1';

function isPort(v) {
  return typeof v === 'number' || (typeof v === 'string' && /^[0-9]+$/.test(v));
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (isPort(first)) {
    // listen(port[, host][, backlog][, callback])
    const second = args[1];
    if (args.length === 1 || typeof second === 'function' || typeof second === 'number') {
      args.splice(1, 0, LOOPBACK);
    } else {
      args[1] = LOOPBACK;
    }
  } else if (first && typeof first === 'object' && first.port !== undefined && first.path === undefined) {
    // listen({ port, host, ... }[, callback])
    args[0] = Object.assign({}, first, { host: LOOPBACK });
  }
  return listen.apply(this, args);
};

// Only the process start.mjs launched (it has no IPC channel; every socketcluster child
// is forked with one) patches the relay libraries and watches its parent.
const isTopLevel = typeof process.send !== 'function';
const relay = process.env.LIBREMOTEDEV_REF_RELAY;

function msEnv(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${name} must be a positive integer (ms), got ${JSON.stringify(raw)}`);
  }
  return n;
}

if (isTopLevel) {
  const overrides = {};
  const pingInterval = msEnv('LIBREMOTEDEV_REF_PING_INTERVAL');
  const pingTimeout = msEnv('LIBREMOTEDEV_REF_PING_TIMEOUT');
  if (pingInterval !== undefined) overrides.pingInterval = pingInterval;
  if (pingTimeout !== undefined) overrides.pingTimeout = pingTimeout;

  if (Object.keys(overrides).length > 0) {
    const modules = path.join(__dirname, 'node_modules');
    if (relay === 'cli5') {
      const from = path.join(modules, '@redux-devtools', 'cli');
      const scServer = require(require.resolve('socketcluster-server', { paths: [from] }));
      const attach = scServer.attach;
      scServer.attach = function (server, options) {
        return attach.call(this, server, Object.assign({}, options, overrides));
      };
    } else if (relay === 'rds03') {
      // Not required here: socketcluster reads require.main, which is only set once the
      // main module runs. The module is patched when remotedev-server requires it.
      const from = path.join(modules, 'remotedev-server');
      const target = require.resolve('socketcluster', { paths: [from] });
      const Module = require('module');
      const load = Module._load;
      let patched = false;
      Module._load = function (...args) {
        const exported = load.apply(this, args);
        const cached = !patched && require.cache[target];
        if (cached && cached.loaded && exported === cached.exports) {
          patched = true;
          const init = exported.prototype._init;
          exported.prototype._init = function (options) {
            return init.call(this, Object.assign({}, options, overrides));
          };
        }
        return exported;
      };
    } else {
      throw new Error(`LIBREMOTEDEV_REF_RELAY must be cli5 or rds03, got ${JSON.stringify(relay)}`);
    }
  }

  const parent = Number(process.env.LIBREMOTEDEV_REF_PARENT_PID);
  if (parent > 0) {
    const timer = setInterval(() => {
      if (process.ppid !== parent) {
        try {
          process.kill(-process.pid, 'SIGKILL');
        } catch {
          process.exit(1);
        }
      }
    }, 250);
    timer.unref();
  }
}
