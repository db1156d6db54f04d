import * as fs from 'fs';
import * as path from 'path';
import { UnsafeDeleteError } from '../errors';

/**
 * The one way grasplab deletes files and folders: `target` is removed (recursively, like `rm -rf`) only when it lies
 * strictly inside `root`, checked twice: on the resolved paths (`..`, `.`) and on the real paths of `root` and of
 * `target`'s parent (a symlinked parent cannot lead outside). A symlink as `target` itself is removed as a link, its
 * destination untouched. A missing `target` is not an error. Anything else throws UnsafeDeleteError and deletes
 * nothing — e.g. a run named `..` would otherwise take every run and metric with it.
 */
export function removeInside(root: string, target: string): void {
  const rootAbs = path.resolve(root);
  const targetAbs = path.resolve(target);
  if (!isStrictlyInside(rootAbs, targetAbs)) {
    throw new UnsafeDeleteError(`refusing to delete ${targetAbs}: it is not inside ${rootAbs}`);
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(targetAbs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const rootReal = fs.realpathSync(rootAbs);
  const parentReal = fs.realpathSync(path.dirname(targetAbs));
  const targetReal = path.join(parentReal, path.basename(targetAbs));
  if (!isStrictlyInside(rootReal, targetReal)) {
    throw new UnsafeDeleteError(`refusing to delete ${targetAbs}: it resolves to ${targetReal}, outside ${rootReal}`);
  }
  if (st.isDirectory()) fs.rmSync(targetAbs, { recursive: true, force: true });
  else fs.rmSync(targetAbs, { force: true });
}

/** True when `inner` is below `outer` (not equal to it); both absolute and normalised. */
export function isStrictlyInside(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel !== '' && !rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel);
}
