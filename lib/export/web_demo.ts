import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../config/paths';

/** What `buildWebDemo` produced. */
export interface WebDemoBuild {
  outDir: string;
  /** the build script's summary line (bundle size, which model the example holds) */
  summary: string;
  seconds: number;
}

/**
 * Builds the browser demo (web/build.ts: bundle, page, tfjs wasm binaries) into `outDir`, bundling the exported model
 * folder `modelDir` as its example, as `npm run web:build -- --out OUT --from-run DIR` does. The build runs in a child
 * process because web/ lies outside the folder tslab compiles for a notebook. Serve the result with
 * `npx tsx web/serve.ts --root OUT`. Throws with the build's output if it fails.
 */
export function buildWebDemo(outDir: string, modelDir: string): WebDemoBuild {
  if (!fs.existsSync(path.join(modelDir, 'model.json'))) throw new Error(`buildWebDemo: no model.json in ${modelDir}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'web', 'build.ts'), '--out', outDir, '--from-run', modelDir], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`buildWebDemo: web/build.ts failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stderr || r.stdout || '').trim()}`);
  }
  const summary = r.stdout.trim().split('\n').filter(Boolean).pop() ?? '';
  return { outDir, summary, seconds: (Date.now() - t0) / 1000 };
}
