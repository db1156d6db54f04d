#!/usr/bin/env node
'use strict';
// `npx grasplab ...`: runs the TypeScript CLI through tsx's CommonJS register API, so no build step. The dispatcher
// (lib/cli/run.ts) answers --help and usage errors from the command table alone; the command bodies (lib/cli.ts,
// which load tfjs) are required only for a valid command line.
const path = require('path');
const { register } = require('tsx/cjs/api');

register();
const lib = path.join(__dirname, '..', 'lib');
const { runCli, STD_IO } = require(path.join(lib, 'cli', 'run.ts'));
runCli(process.argv.slice(2), STD_IO, () => require(path.join(lib, 'cli.ts')).RUNNERS).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // runCli reports every error itself; this is a last resort (e.g. tsx failing to compile a file)
    console.error(`grasplab: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
