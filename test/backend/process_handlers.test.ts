import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';

// Its own file: node --test runs each file in a fresh process, so the wasm module is initialised here, inside the test.
test('starting the wasm backend leaves no process handlers that rethrow uncaught errors (they kill a tslab kernel)', async () => {
  const count = () => process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;
  const before = count();
  const report = await selectBackend({ quiet: true, env: { ...process.env, GRASPLAB_BACKEND: 'wasm' } });
  assert.equal(report.choice, 'wasm');
  assert.equal(count(), before);
});
