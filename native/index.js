'use strict';
// The compiled addon (build/Release/grasplab_native.node, made by `node-gyp rebuild` at npm install).
// grasplab's lib/backend/native_conv.ts loads it and falls back to the wasm kernels when this throws.
module.exports = require('./build/Release/grasplab_native.node');
