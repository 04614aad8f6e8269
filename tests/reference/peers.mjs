// Real JavaScript peers for the Rust client tests, driven over stdin/stdout (JSON lines).
// The packages come from the interop suite's pinned install (tests/interop/node_modules).
//
//   node peers.mjs monitor --gen 14|20 --url ws://127.0.0.1:P/socketcluster/
//     A monitor on the real socketcluster-client of that generation, following the
//     Redux DevTools app's flow: login {} -> subscribe "log" -> broadcast START.
//     stdout: {"ready":"<socket id>"} once subscribed, then {"log":<message>} per message
//     stdin:  {"event":"sc-<id>"|"respond","data":...} lines are transmitted as they are
//
//   node peers.mjs app --port P --name N --count C
//     A real redux counter store enhanced by @redux-devtools/remote@1 (realtime), which
//     dispatches C INCREMENTs once connected. stdout: {"count":N} on every state change.
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'interop', 'package.json'));

function args() {
  const out = { role: process.argv[2] };
  for (let i = 3; i < process.argv.length; i += 2) out[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  return out;
}
const print = (v) => process.stdout.write(JSON.stringify(v) + '\n');
const opts = args();

if (opts.role === 'monitor') {
  const url = new URL(opts.url);
  const socketOptions = { hostname: url.hostname, port: Number(url.port), path: url.pathname, autoReconnect: true };
  let transmit;
  if (opts.gen === '20') {
    const scc = require('scc20');
    const socket = scc.create(socketOptions);
    transmit = (e, d) => socket.transmit(e, d);
    (async () => {
      for await (const _ of socket.listener('connect')) {
        const channelName = await socket.invoke('login', {});
        const channel = socket.subscribe(channelName);
        await channel.listener('subscribe').once();
        print({ ready: socket.id });
        socket.transmit('respond', { type: 'START' });
        (async () => {
          for await (const data of channel) print({ log: data });
        })();
      }
    })();
  } else {
    const scc = require('scc14');
    const socket = scc.create(socketOptions);
    transmit = (e, d) => socket.emit(e, d);
    socket.on('connect', () => {
      socket.emit('login', {}, (err, channelName) => {
        if (err) return print({ error: String(err) });
        const channel = socket.subscribe(channelName);
        channel.on('subscribe', () => {
          print({ ready: socket.id });
          socket.emit('respond', { type: 'START' });
        });
        channel.watch((data) => print({ log: data }));
      });
    });
  }
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (!line.trim()) return;
    const { event, data } = JSON.parse(line);
    transmit(event, data);
  });
} else if (opts.role === 'app') {
  const { createStore } = require('redux');
  const remote = await import(require.resolve('@redux-devtools/remote'));
  const counter = (state = { count: 0 }, action) => (action.type === 'INCREMENT' ? { count: state.count + 1 } : state);
  const store = createStore(
    counter,
    remote.devToolsEnhancer({ realtime: true, hostname: '127.0.0.1', port: Number(opts.port), name: opts.name }),
  );
  let last = null;
  store.subscribe(() => {
    const s = JSON.stringify(store.getState());
    if (s !== last) process.stdout.write((last = s) + '\n');
  });
  for (let i = 0; i < Number(opts.count || 0); i++) store.dispatch({ type: 'INCREMENT' });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else {
  process.stderr.write('usage: peers.mjs monitor|app ...\n');
  process.exit(2);
}
