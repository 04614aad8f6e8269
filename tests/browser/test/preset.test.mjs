// ui/src/preset.js: when the page sets its connection to its own address and when it
// keeps a connection the user chose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, remember, presetFor } from '../../../ui/src/preset.js';

class Storage {
  constructor() {
    this.map = new Map();
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
}

const at = (href) => new URL(href);
const DEFAULT = { options: { hostname: 'localhost', port: 8000, secure: false }, type: 'disabled' };
const conn = ({ type, ...options }) => ({ type, options });

test('the page address gives the preset', () => {
  assert.deepEqual(presetFor(at('http://127.0.0.1:8000/')), { type: 'custom', hostname: '127.0.0.1', port: 8000, secure: false });
  assert.deepEqual(presetFor(at('https://relay.example/')), { type: 'custom', hostname: 'relay.example', port: 443, secure: true });
  assert.deepEqual(presetFor(at('http://[::1]/x')), { type: 'custom', hostname: '[::1]', port: 80, secure: false });
});

test('first visit: the preset replaces whatever is stored', () => {
  const s = new Storage();
  assert.deepEqual(decide(DEFAULT, at('http://localhost:8000/'), s).apply, presetFor(at('http://localhost:8000/')));
  const other = conn({ type: 'custom', hostname: 'h', port: 1, secure: false });
  assert.ok(decide(other, at('http://localhost:8000/'), s).apply);
});

test('a stored preset follows the page; a user choice is kept', () => {
  const s = new Storage();
  const first = conn(presetFor(at('http://localhost:8000/')));
  remember(s, first);
  // Unchanged by the user, the relay moved: follow the page.
  assert.deepEqual(decide(first, at('http://localhost:9000/'), s).apply, presetFor(at('http://localhost:9000/')));
  // The user chose another relay or "disabled": keep it.
  assert.deepEqual(decide(conn({ type: 'custom', hostname: 'phone.lan', port: 8000, secure: false }), at('http://localhost:8000/'), s), {});
  assert.deepEqual(decide({ ...first, type: 'disabled' }, at('http://localhost:8000/'), s), {});
});

test('blocked storage: every load follows the page', () => {
  const blocked = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); } };
  assert.ok(decide(DEFAULT, at('http://localhost:8000/'), blocked).apply);
  remember(blocked, DEFAULT);
});
