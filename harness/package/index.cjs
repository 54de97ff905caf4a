// `require('chainsoak')`, e.g. from a TypeScript scenario file in a CommonJS project (tsx loads it as
// CommonJS): the instance already running in this process, else the implementation's own (Node >= 20.19
// can require an ES module). See implementation.js.
const { fileURLToPath } = require('node:url');
const { implementation, SHARED_API } = require('./implementation.js');

module.exports = globalThis[SHARED_API] ??= require(fileURLToPath(implementation('index')));
