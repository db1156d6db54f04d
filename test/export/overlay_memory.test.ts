import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v8 from 'v8';
import * as vm from 'vm';
import { createImage } from '../../lib/data/image';
import { renderOverlayPng } from '../../lib/export/overlay';

/**
 * `predict --overlay` in a loop (issue 16, item 9): each PNG encoding used to keep a 1.2 MB RGBA buffer (640x480)
 * alive until the event loop turned, through pngjs's PNG stream object, so a loop of calls grew by ~1.2 MB per
 * call. 40 calls in one synchronous loop must now leave the process's external memory where it was, after GC.
 * (bench/overlay_memory.ts measures the whole predict + overlay path.)
 */

/** node's gc(), without --expose-gc on the command line. */
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

test('renderOverlayPng keeps no memory across calls (external memory after GC, 40 calls at 640x480)', () => {
  const gc = getGc();
  const depth = createImage(480, 640, 0.7);
  for (let i = 0; i < depth.data.length; i++) depth.data[i] = 0.6 + 0.1 * Math.sin(i / 1000);
  const grasps = [{ center: [240, 320] as [number, number], angle: 0.3, length: 60, width: 30 }];
  const png = renderOverlayPng(depth, grasps);
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  const external = () => {
    gc();
    gc();
    return process.memoryUsage().external;
  };
  const before = external();
  for (let i = 0; i < 40; i++) renderOverlayPng(depth, grasps);
  const grown = external() - before;
  // the leak was 40 × 1.2 MB = 49 MB; one frame's RGBA is 1.2 MB
  assert.ok(grown < 4e6, `external memory grew by ${(grown / 1e6).toFixed(1)} MB over 40 calls`);
});
