/**
 * The `grasplab` dispatcher: help, usage errors and exit codes for every command, from the table in
 * lib/cli/commands.ts. The command bodies (lib/cli.ts, which load tfjs) are loaded only for a valid command line,
 * through `loadRunners`, so `--help` and usage errors never start a backend.
 *
 * Exit codes: 0 ok (and help), 1 failed (a named error: the file and the problem, no stack trace), 2 bad usage.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GrasplabError, TrainingInterruptedError } from '../errors';
import { exitCodeFor, resumeCommandHint } from '../train/interrupt';
import { COMMANDS, findCommand } from './commands';
import { commandHelp, parseCommand, programHelp, synopsis, UsageError, type OptionTable, type Parsed } from './spec';

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
}

export const STD_IO: CliIO = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
};

/** A command body: parsed options in, exit code out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Runner = (parsed: Parsed<any>, io: CliIO) => Promise<number>;
export type Runners = Record<string, Runner>;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Runs one CLI invocation and returns its exit code; `loadRunners` is called only for a valid command line. */
export async function runCli(argv: readonly string[], io: CliIO, loadRunners: () => Runners | Promise<Runners>): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.err(programHelp(COMMANDS));
    return EXIT_USAGE;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const topic = cmd === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.out(programHelp(COMMANDS));
      return EXIT_OK;
    }
    const spec = findCommand(topic);
    if (!spec) return unknownCommand(topic, io);
    io.out(commandHelp(spec));
    return EXIT_OK;
  }
  if (cmd === '--version' || cmd === '-V') {
    io.out(packageVersion());
    return EXIT_OK;
  }
  const spec = findCommand(cmd);
  if (!spec) return unknownCommand(cmd, io);

  try {
    const parsed = parseCommand(spec, rest);
    if (parsed.help) {
      io.out(commandHelp(spec));
      return EXIT_OK;
    }
    const runners = await loadRunners();
    const run = runners[cmd];
    if (!run) throw new Error(`no runner for command '${cmd}'`);
    // (narrowed by `parsed.help` above; tslab's non-strict compile does not narrow the union)
    return await run(parsed as Parsed<OptionTable>, io);
  } catch (e) {
    // Ctrl-C / SIGTERM during training: the step was saved; say how to resume, exit 128 + signal number
    if (e instanceof TrainingInterruptedError) {
      io.err(`grasplab ${cmd}: ${e.message}\n${resumeCommandHint(argv)}`);
      return exitCodeFor(e.signal);
    }
    return reportError(cmd, e, io);
  }
}

function unknownCommand(cmd: string, io: CliIO): number {
  const near = COMMANDS.find((c) => c.name.startsWith(cmd.slice(0, 2)) && cmd.length > 1);
  io.err(`grasplab: unknown command '${cmd}'${near ? ` (did you mean '${near.name}'?)` : ''}\n\n${programHelp(COMMANDS)}`);
  return EXIT_USAGE;
}

/** Prints an error as one or two lines naming what went wrong, and returns its exit code. */
export function reportError(cmd: string, e: unknown, io: CliIO): number {
  if (e instanceof UsageError) {
    const spec = findCommand(e.command ?? cmd);
    io.err(`grasplab ${cmd}: ${e.message}` + (spec ? `\n${synopsis(spec)}\nRun 'grasplab ${spec.name} --help' for every option.` : ''));
    return EXIT_USAGE;
  }
  if (e instanceof GrasplabError) {
    io.err(`grasplab ${cmd}: ${e.name}: ${e.message}`);
    return EXIT_FAILED;
  }
  const sys = systemErrorMessage(e);
  if (sys) {
    io.err(`grasplab ${cmd}: ${sys}`);
    return EXIT_FAILED;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const debug = !!process.env.GRASPLAB_DEBUG;
  io.err(
    `grasplab ${cmd}: unexpected error: ${err.message.split('\n')[0]}` +
      (debug ? `\n${err.stack ?? ''}` : '\n(this is a bug in grasplab: run again with GRASPLAB_DEBUG=1 for the stack trace and report it)'),
  );
  return EXIT_FAILED;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
};

/** "cannot open X: no such file or folder" for Node's file-system errors, else undefined. */
function systemErrorMessage(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException | null;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || !(err.code in SYSTEM_ERRORS)) return undefined;
  const what = err.path ? `${err.syscall ?? 'access'} ${err.path}` : (err.syscall ?? 'file operation');
  return `cannot ${what}: ${SYSTEM_ERRORS[err.code]}`;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return `grasplab ${pkg.version ?? '?'}`;
  } catch {
    return 'grasplab';
  }
}
