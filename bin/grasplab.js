#!/usr/bin/env node
'use strict';
// `npx grasplab ...`: runs the TypeScript CLI (lib/cli.ts) through tsx's CommonJS register API, so no build step.
const path = require('path');
const { register } = require('tsx/cjs/api');

register();
const { main } = require(path.join(__dirname, '..', 'lib', 'cli.ts'));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exitCode = 1;
  },
);
