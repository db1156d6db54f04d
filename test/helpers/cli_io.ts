import type { CliIO } from '../../lib/cli';

/** A CLI io that keeps what `main` prints: stdout and stderr lines, and stderr as one text. */
export function captureIO(): CliIO & { stdout: string[]; stderr: string[]; text: () => string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), text: () => stderr.join('\n') };
}
