// Child process: a real redux counter store enhanced by a real RemoteDev app library,
// connected to the relay. Controlled by the test over IPC.
//   env APP_LIB = 'rem1' (@redux-devtools/remote@1.0.0) | 'rrd' (remote-redux-devtools@0.5.16)
//   env APP_PORT, APP_HOST, APP_NAME, APP_HOLD_SUBSCRIBE_MS, APP_SEND_ON (comma-separated
//   action types for the library's `sendOn`; makes the app non-realtime)
// IPC out: {type:'ready'}, {type:'in', text, t}, {type:'hold'|'released', t}, {type:'state', state}, {type:'lifted', action} (every lifted
//          action the library feeds into its instrumented store), {type:'out', text}
//          (outbound frames when holding), {type:'error', message}
// IPC in:  {cmd:'dispatch', action}, {cmd:'getState'}, {cmd:'exit'}
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const lib = process.env.APP_LIB;
const port = Number(process.env.APP_PORT);
const hostname = process.env.APP_HOST || '127.0.0.1';
const name = process.env.APP_NAME || `app-${process.pid}`;
const holdMs = Number(process.env.APP_HOLD_SUBSCRIBE_MS || 0);

const send = (m) => {
  if (process.connected) process.send(m);
};
process.on('uncaughtException', (e) => {
  send({ type: 'error', message: String(e && e.stack || e) });
});

// Resolve the exact `ws` module instance the library's socketcluster-client uses.
const appPkgDir = lib === 'rrd'
  ? path.dirname(require.resolve('remote-redux-devtools/package.json'))
  : path.join(here, '..', 'node_modules', '@redux-devtools', 'remote');
const appRequire = createRequire(path.join(appPkgDir, 'package.json'));
const sccMain = appRequire.resolve('socketcluster-client');
const sccRequire = createRequire(sccMain);
const WS = sccRequire('ws');

// Observe the library's WebSocket without changing it: every inbound text frame except
// pings is reported as {type:'in', text, t}; optionally (holdMs > 0) simulate a slow
// uplink: from the app's first outbound `#subscribe` on, hold every outbound frame for
// holdMs, then send them unaltered in their original order.
const origSend = WS.prototype.send;
const observed = new WeakSet();
let armed = holdMs > 0;
let holding = false;
const queue = [];
WS.prototype.send = function (data, ...rest) {
  if (!observed.has(this)) {
    observed.add(this);
    this.on('message', (msg) => {
      const text = msg.toString();
      if (text === '' || text === '#1') return;
      send({ type: 'in', t: Date.now(), text: text.length > 4000 ? text.slice(0, 4000) : text });
    });
  }
  if (armed && typeof data === 'string' && data.includes('"#subscribe"')) {
    armed = false;
    holding = true;
    send({ type: 'hold', t: Date.now(), ms: holdMs });
    setTimeout(() => {
      holding = false;
      for (const [sock, d, r] of queue.splice(0)) if (sock.readyState === 1) origSend.call(sock, d, ...r);
      send({ type: 'released', t: Date.now() });
    }, holdMs);
  }
  if (holding) {
    queue.push([this, data, rest]);
    return undefined;
  }
  return origSend.call(this, data, ...rest);
};

const { createStore } = require('redux');

function counter(state = { count: 0, log: [] }, action) {
  switch (action.type) {
    case 'INCREMENT':
      return { ...state, count: state.count + 1 };
    case 'DECREMENT':
      return { ...state, count: state.count - 1 };
    case 'MARK':
      return { ...state, log: [...state.log, action.mark] };
    default:
      return state;
  }
}

let enhancer;
const options = { realtime: true, hostname, port, name };
// APP_SECURE=1: wss:// with the libraries' own `secure: true` (the test CA comes from
// NODE_EXTRA_CA_CERTS, as a user of a private CA would do).
if (process.env.APP_SECURE === '1') options.secure = true;
// APP_SEND_ON: action types that upload the lifted state as a report (`sendOn`), which
// the libraries do only while not started, so such an app is not realtime.
const sendOn = (process.env.APP_SEND_ON || '').split(',').filter(Boolean);
if (sendOn.length) {
  options.realtime = false;
  options.sendOn = sendOn;
}
if (lib === 'rem1') {
  const mod = await import('@redux-devtools/remote');
  enhancer = mod.devToolsEnhancer(options);
} else if (lib === 'rrd') {
  const mod = require('remote-redux-devtools');
  enhancer = (mod.default || mod)(options);
} else {
  throw new Error(`unknown APP_LIB ${lib}`);
}

const store = createStore(counter, enhancer);
const lifted = store.liftedStore;
const origLiftedDispatch = lifted.dispatch;
lifted.dispatch = function (action) {
  send({ type: 'lifted', action: JSON.parse(JSON.stringify(action ?? null)) });
  return origLiftedDispatch.apply(this, arguments);
};
store.subscribe(() => send({ type: 'state', state: store.getState() }));

process.on('message', (m) => {
  if (m.cmd === 'dispatch') store.dispatch(m.action);
  else if (m.cmd === 'getState') send({ type: 'state', state: store.getState(), requested: true });
  else if (m.cmd === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', state: store.getState() });
