// Child process: a real redux store enhanced by a real RemoteDev app library, connected
// to the relay, so the test can read the app's own state after the UI time-travels it.
//   env APP_LIB = 'remote' (@redux-devtools/remote@1.0.0) | 'rrd' (remote-redux-devtools@0.5.16)
//   env APP_PORT, APP_NAME
// IPC in: {cmd:'dispatch', action} | {cmd:'getState'} | {cmd:'exit'}
// IPC out: {type:'ready'} | {type:'state', id, state, lifted:{isPaused,isLocked}} |
//          {type:'error', message}
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createStore } = require('redux');
const lib = process.env.APP_LIB;
// remote-redux-devtools exports its enhancer as the module's default.
const devToolsEnhancer =
  lib === 'rrd' ? require('remote-redux-devtools').default : require('@redux-devtools/remote').devToolsEnhancer;

const send = (m) => process.connected && process.send(m);
process.on('uncaughtException', (e) => send({ type: 'error', message: String(e?.stack || e) }));

// Every action the store sees is recorded in `seen`, so a test can tell "the app's
// store received this action" (Dispatch) apart from "the app's state was replaced"
// (Jump), and Pause from neither.
function counter(state = { count: 0, seen: [] }, action) {
  switch (action.type) {
    case 'INCREMENT':
      return { count: state.count + 1, seen: [...state.seen, action.type] };
    case 'ADD':
      return { count: state.count + Number(action.amount || 0), seen: [...state.seen, action.type] };
    case 'LOAD':
      return { ...state, blob: String(action.blob), seen: [...state.seen, action.type] };
    default:
      return state;
  }
}

const store = createStore(
  counter,
  devToolsEnhancer({
    realtime: true,
    hostname: '127.0.0.1',
    port: Number(process.env.APP_PORT),
    name: process.env.APP_NAME || `app-${process.pid}`,
  }),
);

process.on('message', (m) => {
  if (m.cmd === 'dispatch') store.dispatch(m.action);
  if (m.cmd === 'getState') {
    const lifted = store.liftedStore?.getState() ?? {};
    send({
      type: 'state',
      id: m.id,
      state: store.getState(),
      lifted: { isPaused: !!lifted.isPaused, isLocked: !!lifted.isLocked },
    });
  }
  if (m.cmd === 'exit') process.exit(0);
});
send({ type: 'ready' });
