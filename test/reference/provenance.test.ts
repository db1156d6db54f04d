import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { currentCommit } from '../../lib/reference/provenance';

test('currentCommit: +dirty for changed code, not for the results and models the runs write', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-commit-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  try {
    assert.equal(currentCommit(dir), 'unknown', 'not a repository');
    git('init', '-q');
    for (const f of ['lib/a.ts', 'results/reference/claims.json', 'models/m/card.json']) {
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '1\n');
    }
    git('add', '.');
    git('commit', '-qm', 'c');
    const sha = git('rev-parse', 'HEAD');
    assert.equal(currentCommit(dir), sha);
    fs.writeFileSync(path.join(dir, 'results/reference/claims.json'), '2\n');
    fs.writeFileSync(path.join(dir, 'models/m/card.json'), '2\n');
    fs.writeFileSync(path.join(dir, 'lib/new.ts'), 'untracked\n');
    assert.equal(currentCommit(dir), sha, 'run outputs and untracked files leave it clean');
    fs.writeFileSync(path.join(dir, 'lib/a.ts'), '2\n');
    assert.equal(currentCommit(dir), `${sha}+dirty`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
