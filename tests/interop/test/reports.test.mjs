// The report store with real clients (remotedev-relay.md §6): a real
// @redux-devtools/remote@1.0.0 app configured with `sendOn` uploads its lifted state
// with `POST /`; a real socketcluster-client@20 monitor subscribed to `report` (as
// @redux-devtools/app does) gets the list, then the `add`, then fetches the report with
// `getReport` and finds the app's state in its payload. Also: a file store keeps reports
// across a relay restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRelay, connectMonitor, startApp } from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 1000, pingTimeout: 6000 };

test('a real @redux-devtools/remote app with sendOn uploads a report that a real scc20 monitor gets as add and fetches with getReport', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const monitor = await connectMonitor(t, relay, 'scc20');
  const reports = await monitor.subscribe('report');
  const list = await reports.waitFor((d) => d && d.type === 'list', { what: 'report list' });
  assert.deepEqual(list, { type: 'list', data: [] });

  const app = startApp(t, relay, 'rem1', { name: 'Reporter', sendOn: 'REPORT' });
  await app.msgs.waitFor((m) => m.type === 'ready', { what: 'app ready', timeout: 8000 });
  app.dispatch({ type: 'INCREMENT' });
  app.dispatch({ type: 'INCREMENT' });
  app.dispatch({ type: 'REPORT' });

  const add = await reports.waitFor((d) => d && d.type === 'add', { what: 'add on report', timeout: 8000 });
  assert.equal(typeof add.data.id, 'string');
  assert.match(add.data.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(add.data.added, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const row = await monitor.invoke('getReport', add.data.id);
  assert.equal(row.id, add.data.id);
  assert.equal(row.type, 'STATE');
  assert.equal(row.added, add.data.added);
  const lifted = JSON.parse(row.payload);
  const states = lifted.computedStates;
  assert.deepEqual(states[states.length - 1].state, { count: 2, log: [] });

  // unknown ids answer without data; a missing id with the reference's error
  assert.equal(await monitor.invoke('getReport', '00000000-0000-4000-8000-000000000000'), undefined);
  assert.deepEqual(await monitor.invoke('getReport', null), { error: 'No id specified.' });

  // the list a newly subscribing monitor gets contains it
  const late = await connectMonitor(t, relay, 'scc20', { label: 'late monitor' });
  const lateReports = await late.subscribe('report');
  const lateList = await lateReports.waitFor((d) => d && d.type === 'list', { what: 'late list' });
  assert.deepEqual(lateList.data, [{ id: add.data.id, title: null, added: add.data.added }]);
});

test('reports on a file store survive a relay restart', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remotedev-interop-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'reports.sqlite3');
  const first = await startRelay(t, { ...TIMINGS, db });
  const res = await fetch(`http://${first.hostname}:${first.port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'ACTIONS', payload: '[]', title: 'kept' }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const { id } = await res.json();
  await first.stop();

  const second = await startRelay(t, { ...TIMINGS, db });
  const monitor = await connectMonitor(t, second, 'scc20');
  const reports = await monitor.subscribe('report');
  const list = await reports.waitFor((d) => d && d.type === 'list', { what: 'report list' });
  assert.deepEqual(list.data.map((r) => [r.id, r.title]), [[id, 'kept']]);
  const row = await monitor.invoke('getReport', id);
  assert.equal(row.payload, '[]');
});
