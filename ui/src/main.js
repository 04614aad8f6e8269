// Entry of the monitor page the relay serves at `/`: the Redux DevTools app of
// @redux-devtools/app, created with its connection preset to the relay that served
// the page. The package's own `Root` starts with the connection "disabled" and takes no
// props (reduxjs/redux-devtools #599), so this module builds the same tree around a
// store it creates itself.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'react-redux';
import { createStore, applyMiddleware } from 'redux';
import localForage from 'localforage';
import { persistReducer, persistStore } from 'redux-persist';
import { PersistGate } from 'redux-persist/integration/react';
import {
  App,
  middlewares,
  api,
  rootReducer,
  saveSocketSettings,
  CONNECT_REQUEST,
} from '@redux-devtools/app';
// The settings tab is not exported by the package; it is its own file in it.
import Connection from '../node_modules/@redux-devtools/app/lib/components/Settings/Connection.js';
import { decide, remember } from './preset.js';

// The package's own persistence key and storage, so settings a user made in the
// package's app (e.g. `redux-devtools --open=browser` on this same origin) are read.
const persistConfig = {
  key: 'redux-devtools',
  blacklist: ['instances', 'socket'],
  storage: localForage,
};

const store = createStore(
  persistReducer(persistConfig, rootReducer),
  applyMiddleware(...middlewares, api),
);

const persistor = persistStore(store, null, () => {
  const plan = decide(store.getState().connection, window.location, window.localStorage);
  if (plan.apply) {
    // RECONNECT sets (and persists) the connection and opens the socket.
    store.dispatch(saveSocketSettings(plan.apply));
    remember(window.localStorage, store.getState().connection);
  } else if (store.getState().connection.type !== 'disabled') {
    store.dispatch({ type: CONNECT_REQUEST });
  }
});

createRoot(document.getElementById('root')).render(
  React.createElement(
    Provider,
    { store },
    React.createElement(
      PersistGate,
      { loading: null, persistor },
      React.createElement(App, {
        extraSettingsTabs: [{ name: 'Connection', component: Connection }],
      }),
    ),
  ),
);
