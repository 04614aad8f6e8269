// Preloaded with `node -r ./loopback.cjs` by benches/run.sh.
// @redux-devtools/cli@5.0.0 calls httpServer.listen(port) and ignores
// --hostname, i.e. it would listen on every interface. The benchmark must only
// use loopback, so a listen() given just a port is bound to 127.0.0.1 here.
'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1');
  } else if (args[0] && typeof args[0] === 'object' && !('path' in args[0]) && !args[0].host) {
    args[0] = Object.assign({}, args[0], { host: '127.0.0.1' });
  }
  return listen.apply(this, args);
};
