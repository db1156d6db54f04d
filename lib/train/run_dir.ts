import * as path from 'path';
import { resultsDir } from '../config/paths';
import { ConfigError } from '../errors';

/** Longest run name accepted (a folder name; keyed names add 9 characters). */
export const MAX_RUN_NAME = 100;

/**
 * Checks that `name` is a plain folder name: letters, digits, `-`, `_`, `.`, not starting with `.` (so never `.`,
 * `..` or a hidden folder) or `-` (it would read as an option), no path separators, at most 100 characters.
 * `what` names the source in the message (e.g. `--run-name`).
 */
export function checkRunName(name: string, what = 'run name'): string {
  if (typeof name !== 'string' || name.length === 0) throw new ConfigError(`${what} is empty`);
  if (name.length > MAX_RUN_NAME) throw new ConfigError(`${what} '${name.slice(0, 40)}…' is longer than ${MAX_RUN_NAME} characters`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) {
    throw new ConfigError(
      `${what} '${name}' is not a plain name: use letters, digits, '-', '_' and '.', not starting with '.' or '-', ` +
        'and no path separators (runs live in results/runs/<name>)',
    );
  }
  return name;
}

/** `<resultsDir()>/runs`: every run folder is a direct child of it. */
export function runsRoot(): string {
  return path.join(resultsDir(), 'runs');
}

/** `<resultsDir()>/runs/<name>`, after `checkRunName`. */
export function runDirFor(name: string, what?: string): string {
  return path.join(runsRoot(), checkRunName(name, what));
}
