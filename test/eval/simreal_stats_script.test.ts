import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { PROJECT_ROOT } from '../../lib/config/paths';

test('simreal-stats --threshold-mm refuses what is not a positive number, naming the option, before any work', () => {
  for (const bad of ['abc', '0', '-3']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/simreal-stats.ts', `--threshold-mm=${bad}`], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.notEqual(r.status, 0, bad);
    assert.match(r.stderr, new RegExp(`--threshold-mm ${bad}: need a positive number of millimetres`));
  }
});
