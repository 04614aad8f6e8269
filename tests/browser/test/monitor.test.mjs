// The relay's own monitor page in a real browser against real RemoteDev apps: the page
// connects itself (no settings), shows the instance, its actions, state and diff, and
// its Jump / Skip / Dispatch / Pause / Lock reach the app's own store. Every host but the
// relay is unreachable from the browser, and any request elsewhere fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, startApp, launchBrowser, openMonitor, screenshot, waitFor } from '../lib/harness.mjs';

const ROWS = '[data-testid=actionListRows] [data-id]';

/** The action names in the UI's action list, top to bottom. */
async function rows(page) {
  return page.$$eval(ROWS, (els) => els.map((e) => e.firstElementChild?.textContent ?? ''));
}

/** The names in the instance selector's menu. */
async function instances(page) {
  await page.getByRole('combobox').click({ force: true });
  const names = await waitFor(
    async () => {
      const o = await page.$$eval('[id*=react-select][id*=option]', (els) => els.map((e) => e.textContent));
      return o.length > 0 && o;
    },
    { message: 'the instance menu' },
  );
  await page.keyboard.press('Escape');
  return names;
}

async function inspectorText(page) {
  return page.locator('[data-testid=inspector]').innerText();
}

async function rowButton(page, actionId, label) {
  // A row's Jump / Skip buttons turn into view while the pointer is over the row (never on
  // @@INIT's row).
  const row = page.locator(`${ROWS}[data-id="${actionId}"]`);
  const button = row.getByText(label, { exact: true });
  const box = await row.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
  await waitFor(async () => ((await button.boundingBox())?.height ?? 0) > 0, { message: `the ${label} button of action ${actionId}` });
  await button.click();
}

const jump = (page, actionId) => rowButton(page, actionId, 'Jump');

async function dispatchFromUi(page, text) {
  const show = page.getByRole('button', { name: 'Show dispatcher' });
  if (await show.count()) await show.click();
  const editor = page.locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // insertText bypasses the editor's bracket auto-closing.
  await page.keyboard.insertText(text);
  await page.mouse.move(10, 400);
  await page.getByRole('button', { name: 'Dispatch', exact: true }).click({ force: true });
}

async function monitorFlow(t, { lib, uiFirst }) {
  const tag = `${lib}-${uiFirst ? 'ui-first' : 'app-first'}`;
  const name = `Counter-${tag}`;
  const relay = await startRelay(t);
  const browser = await launchBrowser(t);
  let app;
  let mon;
  if (uiFirst) {
    mon = await openMonitor(t, browser, relay);
    // The page has connected (its socket is up) before any app exists.
    await waitFor(() => mon.requests.some((u) => u.startsWith('ws:')), { message: 'the page to open its socket' });
    app = await startApp(t, lib, relay.port, name);
  } else {
    app = await startApp(t, lib, relay.port, name);
    app.dispatch({ type: 'INCREMENT' });
    mon = await openMonitor(t, browser, relay);
  }
  const { page } = mon;

  // The instance appears, with @@INIT and the app's actions.
  await page.getByText('@@INIT', { exact: true }).waitFor();
  if (uiFirst) app.dispatch({ type: 'INCREMENT' });
  app.dispatch({ type: 'INCREMENT' });
  await waitFor(async () => (await rows(page)).filter((r) => r === 'INCREMENT').length === 2, {
    message: 'two INCREMENT rows',
  });
  assert.deepEqual(await rows(page), ['@@INIT', 'INCREMENT', 'INCREMENT']);
  assert.ok((await instances(page)).includes(name), 'the instance is listed by name');
  assert.equal((await app.state()).count, 2);

  // Diff (the default tab) and State show the app's state.
  await waitFor(async () => /count[\s\S]*1[\s\S]*=>[\s\S]*2/.test(await inspectorText(page)), { message: 'the diff' });
  await page.locator('[data-testid=inspector]').getByText('State', { exact: true }).click();
  await waitFor(async () => /count\s*(\(pin\))?\s*:\s*2/.test(await inspectorText(page)), { message: 'count: 2 in the state tab' });
  await screenshot(page, `${tag}-1-state`);

  // Jump to the first INCREMENT: the app's own store goes back to that state; and
  // forward again.
  await jump(page, 1);
  await waitFor(async () => (await app.state()).count === 1, { message: "the app's count to become 1 after Jump" });
  assert.deepEqual((await app.state()).seen, ['INCREMENT']);
  await screenshot(page, `${tag}-2-jumped`);
  await jump(page, 2);
  await waitFor(async () => (await app.state()).count === 2, { message: "the app's count back at 2" });

  // Dispatch from the UI's dispatcher: the app's reducer runs it and a row appears.
  await dispatchFromUi(page, "{ type: 'ADD', amount: 5 }");
  await waitFor(async () => (await app.state()).count === 7, { message: "the app's count to become 7" });
  assert.deepEqual((await app.state()).seen, ['INCREMENT', 'INCREMENT', 'ADD']);
  await waitFor(async () => (await rows(page)).at(-1) === 'ADD', { message: 'an ADD row' });
  await screenshot(page, `${tag}-3-dispatched`);

  // Skip the first INCREMENT: the app recomputes its state without it; and back.
  await rowButton(page, 1, 'Skip');
  await waitFor(async () => (await app.state()).count === 6, { message: "the app's count to become 6 after Skip" });
  assert.deepEqual((await app.state()).seen, ['INCREMENT', 'ADD']);
  await rowButton(page, 1, 'Skip');
  await waitFor(async () => (await app.state()).count === 7, { message: "the app's count back at 7" });

  // Pause and Lock reach the app's instrumented store.
  await page.getByRole('button', { name: 'Pause recording' }).click();
  await waitFor(async () => (await app.snapshot()).lifted.isPaused, { message: 'the app to be paused' });
  await page.getByRole('button', { name: 'Lock changes' }).click();
  await waitFor(async () => (await app.snapshot()).lifted.isLocked, { message: 'the app to be locked' });
  await screenshot(page, `${tag}-4-paused-locked`);

  assert.deepEqual(mon.errors, [], 'no uncaught page errors');
  assert.deepEqual(mon.foreign, [], 'every request goes to the relay');
  assert.ok(mon.requests.length >= 3);
  assert.deepEqual(app.errors, []);
}

for (const lib of ['remote', 'rrd']) {
  const label = lib === 'remote' ? '@redux-devtools/remote@1.0.0' : 'remote-redux-devtools@0.5.16';
  test(`${label}: app first, then the monitor page`, (t) => monitorFlow(t, { lib, uiFirst: false }));
  test(`${label}: monitor page first, then the app`, (t) => monitorFlow(t, { lib, uiFirst: true }));
}

// Over the relay's 64 KiB threshold a published state is forwarded without a copy, as a
// fragmented WebSocket message: the browser reassembles it and the page shows it.
test('a state over 64 KiB reaches the page (a fragmented message) and shows', async (t) => {
  const relay = await startRelay(t);
  const browser = await launchBrowser(t);
  const app = await startApp(t, 'remote', relay.port, 'Big-state');
  const mon = await openMonitor(t, browser, relay);
  const { page } = mon;
  await page.getByText('@@INIT', { exact: true }).waitFor();
  const blob = `head-${'é😀x'.repeat(40 * 1024)}-tail`;
  app.dispatch({ type: 'LOAD', blob });
  await waitFor(async () => (await rows(page)).includes('LOAD'), { message: 'a LOAD row' });
  await page.locator('[data-testid=inspector]').getByText('State', { exact: true }).click();
  await waitFor(async () => /blob[\s\S]*head-/.test(await inspectorText(page)), { message: 'the blob in the state tab' });
  assert.equal((await app.state()).blob, blob);
  assert.deepEqual(mon.errors, [], 'no uncaught page errors');
  assert.deepEqual(app.errors, []);
});
