/**
 * Notebooks are committed with outputs cleared (an executed one carries the ~5 MB plotly bundle and makes diffs
 * unreadable). Without flags: fails listing every notebook that has outputs or execution counts. `--fix` clears them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../lib/config/paths';

interface Cell {
  cell_type: string;
  outputs?: unknown[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

const fix = process.argv.includes('--fix');
const dir = path.join(PROJECT_ROOT, 'notebooks');
const dirty: string[] = [];
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort()) {
  const file = path.join(dir, f);
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] };
  const bad = nb.cells.filter((c) => c.cell_type === 'code' && ((c.outputs?.length ?? 0) > 0 || (c.execution_count ?? null) !== null));
  if (!bad.length) continue;
  if (fix) {
    for (const c of nb.cells) {
      if (c.cell_type !== 'code') continue;
      c.outputs = [];
      c.execution_count = null;
      if (c.metadata) delete c.metadata.execution;
    }
    fs.writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
    console.log(`cleared outputs of notebooks/${f}`);
  } else {
    dirty.push(`notebooks/${f} (${bad.length} code cell(s) with outputs)`);
  }
}
if (dirty.length) {
  console.error(`notebooks must be committed with outputs cleared; run \`npm run nb:clean\`:\n  ${dirty.join('\n  ')}`);
  process.exit(1);
}
if (!fix) console.log('notebooks: outputs cleared ok');
