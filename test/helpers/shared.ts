import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../../lib/config/paths';

/**
 * `../shared` beside the checkout holds real Cornell/Jacquard samples and the published GG-CNN weights for
 * developers and CI. A user's fresh clone has none of it, so tests that read it skip with a message.
 * `GRASPLAB_SHARED_DIR` overrides the location (as for `sharedDir()` in lib/config/paths).
 */
export const SHARED_DIR = process.env.GRASPLAB_SHARED_DIR
  ? path.resolve(process.env.GRASPLAB_SHARED_DIR)
  : path.resolve(PROJECT_ROOT, '..', 'shared');

/** Absolute path inside shared/, or undefined when it is absent. */
export function sharedPath(...parts: string[]): string | undefined {
  const p = path.join(SHARED_DIR, ...parts);
  return fs.existsSync(p) ? p : undefined;
}

/** Skip message for node:test's `{ skip }` option, or false when the path exists. */
export function skipUnlessShared(...parts: string[]): string | false {
  return sharedPath(...parts) ? false : `needs ${path.join(SHARED_DIR, ...parts)} (absent on a fresh clone)`;
}
