// Payload integrity through the relay: a 5 MiB state, non-ASCII text, escapes, and
// byte-for-byte forwarding of the data's raw JSON (SC§2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startRelay, connectMonitor, connectBareApp, connectRaw } from '../lib/harness.mjs';

const TIMINGS = { pingInterval: 500, pingTimeout: 5000 };

function bigState(bytes) {
  // deterministic pseudo-random content with a mix of ASCII and multi-byte characters
  const rnd = crypto.createHash('sha256').update('seed').digest('hex');
  const chunk = `${rnd}-ÄÖÜ-漢字-😀-"quoted"-\\back\\-\n\t-`;
  const items = [];
  let size = 0;
  let i = 0;
  while (size < bytes) {
    const s = `${i}:${chunk}`;
    items.push({ i, s, n: i * 1.5, ok: i % 2 === 0 });
    size += Buffer.byteLength(JSON.stringify(items[items.length - 1]));
    i++;
  }
  return { items };
}

test('a 5 MiB state goes through the relay intact to v14 and v20 monitors', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const m14 = await connectMonitor(t, relay, 'scc14');
  const m20 = await connectMonitor(t, relay, 'scc20');
  const app = await connectBareApp(t, relay, 'scc20');
  const app14 = await connectBareApp(t, relay, 'scc14');
  const state = bigState(5 * 1024 * 1024);
  const payload = JSON.stringify(state);
  assert.ok(Buffer.byteLength(payload) >= 5 * 1024 * 1024);
  const msg = { type: 'STATE', id: app.id, name: 'Big', payload };
  app.transmit('log', msg);
  // and a large monitor -> app message the other way (IMPORT of a lifted state)
  const importMsg = { type: 'IMPORT', state: payload, instanceId: app14.id };
  m20.transmit(`sc-${app14.id}`, importMsg);
  for (const m of [m14, m20]) {
    const got = await m.log.waitFor((d) => d.type === 'STATE', { timeout: 20000, what: 'big STATE' });
    assert.equal(got.payload.length, payload.length, `${m.label}: payload length`);
    assert.ok(got.payload === payload, `${m.label}: payload identical`);
    assert.deepEqual(got, msg);
  }
  const imp = await app14.respond.waitFor((d) => d.type === 'IMPORT', { timeout: 20000 });
  assert.ok(imp.state === payload, 'targeted 5 MiB IMPORT intact');
  // the connection is still healthy afterwards
  app.transmit('log', { type: 'ACTION', id: app.id, after: true });
  await m20.log.waitFor((d) => d.after === true);
});

test('non-ASCII text, emoji, CJK, escapes and control characters survive the relay', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const m14 = await connectMonitor(t, relay, 'scc14');
  const m20 = await connectMonitor(t, relay, 'scc20');
  const app = await connectBareApp(t, relay, 'scc14');
  const text = {
    emoji: '😀👍🏽👨‍👩‍👧‍👦🇯🇵',
    cjk: '漢字かなカナ한국어中文',
    rtl: 'שלום مرحبا',
    accents: 'Ünïcödé façade naïve ß',
    escapes: 'quote " backslash \\ slash / newline \n tab \t cr \r',
    controls: '\u0000\u0001\u001f\u007f',
    separators: 'ls\u2028ps\u2029',
    bmpEdge: '\uffff\ue000',
    astral: '\u{10FFFF}\u{1D11E}',
    'key with "quotes" and ✓': 'v',
  };
  const msg = { type: 'ACTION', id: app.id, action: JSON.stringify({ type: 'SET_TEXT', text }), payload: JSON.stringify(text), text };
  app.transmit('log', msg);
  const noid = { type: 'ACTION', text };
  app.transmit('log-noid', noid);
  for (const m of [m14, m20]) {
    assert.deepEqual(await m.log.waitFor((d) => d.type === 'ACTION'), msg, `${m.label}: log`);
    assert.deepEqual(await m.log.waitFor((d) => d.data), { id: app.id, data: noid }, `${m.label}: log-noid`);
  }
  m14.transmit('respond', { type: 'IMPORT', state: JSON.stringify(text), text });
  assert.deepEqual(await app.respond.waitFor((d) => d.type === 'IMPORT'), { type: 'IMPORT', state: JSON.stringify(text), text });
});

test('relayed data is forwarded as its raw JSON text (numbers, key order, escapes byte-for-byte) [SC§2 SHOULD]', async (t) => {
  const relay = await startRelay(t, TIMINGS);
  const mon = await connectRaw(t, relay, 'rawMonitor');
  await mon.handshake();
  assert.equal((await mon.invoke('login', {})).data, 'log');
  await mon.invoke('#subscribe', { channel: 'log' });
  const app = await connectRaw(t, relay, 'rawApp');
  await app.handshake();
  assert.equal((await app.invoke('login', 'master')).data, 'respond');
  const rawData = '{"z":1,"a":[1.50,-0,1e2,12345678901234567890123],"s":"\\u00e9\\ud83d\\ude00 \\/ x","n":null,"t":true}';
  app.send(`{"event":"log","data":${rawData}}`);
  const frame = await mon.frames.waitFor((f) => f.text.includes('"#publish"') && f.text.includes('12345678901234567890123'));
  const parsed = JSON.parse(frame.text);
  assert.equal(parsed.event, '#publish');
  assert.equal(parsed.data.channel, 'log');
  assert.ok(frame.text.includes(rawData), `raw data not forwarded verbatim: ${frame.text}`);
  assert.equal(frame.isBinary, false, 'relay sends text frames');
});
