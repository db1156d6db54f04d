import { after, before } from 'node:test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Registers before/after hooks that give the test file a fresh temp folder and point GRASPLAB_RESULTS_DIR at
 * `<temp>/<sub>` (training runs write there), then restore the variable and delete the folder.
 * Returns the temp folder's path (valid once the `before` hook has run).
 */
export function useTempResultsDir(prefix: string, sub = ''): () => string {
  let tmp = '';
  const saved = process.env.GRASPLAB_RESULTS_DIR;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    process.env.GRASPLAB_RESULTS_DIR = path.join(tmp, sub);
  });
  after(() => {
    if (saved === undefined) delete process.env.GRASPLAB_RESULTS_DIR;
    else process.env.GRASPLAB_RESULTS_DIR = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return () => tmp;
}
