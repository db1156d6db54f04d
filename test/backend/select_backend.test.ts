import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { ConfigError } from '../../lib/errors';
import { wasmMissing } from './backend_compare';

// Its own file: node --test runs each file in a fresh process, so the backend chosen here stays contained.
test('a forced backend replaces the one already active instead of returning it', { skip: wasmMissing() }, async () => {
  const first = await selectBackend({ quiet: true, env: { GRASPLAB_BACKEND: 'wasm' } });
  assert.equal(first.choice, 'wasm');
  const second = await selectBackend({ quiet: true, env: { GRASPLAB_BACKEND: 'cpu' } });
  assert.equal(second.choice, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  // unforced, the active backend is kept (no re-initialisation per call)
  assert.equal(await selectBackend({ quiet: true, env: {} }), second);
});

test('an unknown GRASPLAB_BACKEND is a ConfigError naming it', async () => {
  await assert.rejects(selectBackend({ quiet: true, env: { GRASPLAB_BACKEND: 'cuda' } }), (e: Error) => e instanceof ConfigError && /GRASPLAB_BACKEND=cuda/.test(e.message));
});
