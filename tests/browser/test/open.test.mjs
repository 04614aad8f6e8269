// `remotedev --open`: the system browser (here a fake one named by $BROWSER, as the
// `opener` crate honours it) is started with the UI's address once the relay listens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RELAY_BIN, startRelay, waitFor } from '../lib/harness.mjs';

function fakeBrowser(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remotedev-open-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'opened.txt');
  const script = path.join(dir, 'fake-browser.sh');
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n`, { mode: 0o755 });
  return { script, log };
}

for (const flag of ['--open', '--open=browser']) {
  test(`${flag} opens the browser at the UI's address`, async (t) => {
    const fake = fakeBrowser(t);
    const relay = await startRelay(t, { args: [flag], env: { BROWSER: fake.script } });
    const opened = await waitFor(() => fs.existsSync(fake.log) && fs.readFileSync(fake.log, 'utf8'), {
      message: 'the fake browser to be started',
    });
    assert.equal(opened, `http://127.0.0.1:${relay.port}/\n`);
    assert.equal(relay.uiUrl, `http://127.0.0.1:${relay.port}/`);
  });
}

test('without --open no browser is started', async (t) => {
  const fake = fakeBrowser(t);
  await startRelay(t, { env: { BROWSER: fake.script } });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(fs.existsSync(fake.log), false);
});

test('--open=electron is refused with a message', () => {
  const r = spawnSync(RELAY_BIN, ['--port', '0', '--db', ':memory:', '--open=electron'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Electron app is not supported/);
});
