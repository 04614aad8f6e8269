// Which connection the monitor should use when the page starts: the relay that served
// the page, unless the user has chosen something else in the Settings tab since.
//
// The last preset this page applied is kept in localStorage. A stored connection
// that still equals it (or none at all, or the package's untouched default) was not
// the user's choice, so it follows the page's address; anything else was set in the
// UI and is kept.

export const PRESET_KEY = 'remotedev:connection-preset';

/** The connection for the relay at the page's own address. */
export function presetFor(location) {
  const secure = location.protocol === 'https:';
  const port = Number(location.port) || (secure ? 443 : 80);
  return { type: 'custom', hostname: location.hostname, port, secure };
}

function key(connection) {
  const o = connection.options || {};
  return JSON.stringify([connection.type, o.hostname, Number(o.port), !!o.secure]);
}

/** `{ apply: preset }` to switch to this page's relay, `{}` to keep the stored one. */
export function decide(connection, location, storage) {
  const preset = presetFor(location);
  let last = null;
  try {
    last = storage.getItem(PRESET_KEY);
  } catch {
    // Storage may be blocked; then every load follows the page's address.
  }
  const untouched = last === null || key(connection) === last;
  if (!untouched) return {};
  return { apply: preset };
}

export function remember(storage, connection) {
  try {
    storage.setItem(PRESET_KEY, key(connection));
  } catch {
    // See decide().
  }
}
