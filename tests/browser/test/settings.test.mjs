// Cold start offline and the connection preset: a fresh profile in a browser that can
// reach nothing but the relay opens the page, which connects to the relay that served
// it with no settings made (and its monitor gets the relay's report list); a connection
// the user then chooses in Settings is kept across reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, launchBrowser, openMonitor, screenshot, waitFor } from '../lib/harness.mjs';

async function connectionForm(page) {
  await page.getByText('Settings', { exact: true }).click();
  await page.getByText('Connection', { exact: true }).first().click();
  return page.evaluate(() => {
    const radio = [...document.querySelectorAll('input[type=radio]')].find((r) => r.checked);
    const text = [...document.querySelectorAll('input[type=text], input[type=number], input:not([type])')].map((i) => i.value);
    return { type: radio?.closest('label')?.textContent.trim() ?? radio?.parentElement?.textContent.trim(), fields: text };
  });
}

test('cold start offline: the page loads from the relay alone and connects to it', async (t) => {
  const relay = await startRelay(t);
  // A stored report: the page's monitor subscribes to `report` and gets the list.
  const upload = await fetch(`${relay.origin}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'STATE', title: 'cold-start report', payload: '{}' }),
  });
  const { id } = await upload.json();
  const browser = await launchBrowser(t);
  const mon = await openMonitor(t, browser, relay);
  await waitFor(() => mon.received.some((f) => f.includes('"channel":"report"') && f.includes(id)), {
    message: 'the report list on the page socket',
  });
  const ws = await waitFor(() => mon.requests.find((u) => u.startsWith('ws:')), { message: 'a WebSocket' });
  assert.equal(ws, `ws://127.0.0.1:${relay.port}/socketcluster/`);
  const form = await connectionForm(mon.page);
  assert.equal(form.type, 'custom');
  assert.ok(form.fields.includes('127.0.0.1'), JSON.stringify(form));
  assert.ok(form.fields.includes(String(relay.port)), JSON.stringify(form));
  await screenshot(mon.page, 'cold-start-connection-settings');
  assert.deepEqual(mon.errors, []);
  assert.deepEqual(mon.foreign, []);
  // The page, its script and stylesheet, /auth-token.js (README "Access control"),
  // and the socket: nothing else.
  const http = mon.requests.filter((u) => u.startsWith('http:'));
  assert.equal(http.length, 4, http.join('\n'));
});

test("a connection chosen in Settings is kept after a reload", async (t) => {
  const relay = await startRelay(t);
  const browser = await launchBrowser(t);
  const mon = await openMonitor(t, browser, relay);
  const { page } = mon;
  await waitFor(() => mon.requests.some((u) => u.startsWith('ws:')), { message: 'a WebSocket' });
  await connectionForm(page);
  await page.getByText('disabled', { exact: true }).click();
  await page.locator('button[type=submit]').click();
  // redux-persist writes after a short throttle.
  await page.waitForTimeout(1000);
  const before = mon.requests.length;
  await page.reload();
  await page.getByText('Settings', { exact: true }).waitFor();
  await page.waitForTimeout(1500);
  const after = mon.requests.slice(before);
  assert.ok(after.some((u) => u.startsWith('http:')), 'the page reloaded');
  assert.deepEqual(after.filter((u) => u.startsWith('ws:')), [], 'no socket once the user chose "disabled"');
  assert.equal((await connectionForm(page)).type, 'disabled');
  assert.deepEqual(mon.errors, []);
  assert.deepEqual(mon.foreign, []);
});
