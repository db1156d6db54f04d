import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { removeInside } from '../config/safe_remove';
import { DataFormatError, RunInUseError } from '../errors';

/**
 * One writer per run folder: `fit` holds `<runDir>/run.lock` while it trains, so a second `train --run-name dup`
 * (another process, or a second fit in this one) is refused instead of mixing two runs' checkpoints.
 *
 * The lock file holds the owner's pid, host, start time and a random token. It is created atomically with its content
 * (written to a temp file, then hard-linked to `run.lock`: link fails if the name exists). A lock is stale, and is
 * taken over, when its owner is on this host and its pid is gone (kill -9, a crash), when it was written before
 * this machine booted (pids repeat after a reboot), or when it names this process but this process does not hold it.
 * A lock from another host cannot be checked: the message says which file to delete if that process is gone.
 */

export const LOCK_FILE = 'run.lock';

export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken */
  started: string;
  token: string;
}

/** Lock files this process holds (absolute path → token), released on exit if a caller could not. */
const held = new Map<string, string>();
let exitHook = false;

/** Takes the run folder's lock (creating the folder); returns the function that releases it. */
export function acquireRunLock(runDir: string): () => void {
  try {
    fs.mkdirSync(runDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way of the run folder' : `cannot create the run folder (${code ?? (e as Error).message})`;
    throw new DataFormatError(runDir, why);
  }
  if (!fs.statSync(runDir).isDirectory()) throw new DataFormatError(runDir, 'is a file, expected the run folder');
  const file = path.resolve(runDir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), token: crypto.randomBytes(8).toString('hex') };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file, mine)) {
      held.set(file, mine.token);
      installExitHook();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        releaseLock(runDir, file, mine.token);
      };
    }
    const other = readLock(file);
    if (other === 'missing') continue; // released between our attempt and the read: try again
    const stale = other === 'unreadable' ? unreadableIsStale(file) : staleReason(file, other);
    if (stale === undefined) throw inUse(runDir, file, other);
    takeOverStale(runDir, file, other);
  }
  throw new RunInUseError(`could not take the lock ${file} after 5 attempts: other processes keep taking it`);
}

/** Why the lock in `file` is stale, or undefined when its owner may still be running. */
export function staleReason(file: string, info: LockInfo): string | undefined {
  if (info.host !== os.hostname()) return undefined;
  if (info.pid === process.pid) return held.get(file) === info.token ? undefined : 'left by an earlier run in this process';
  const startedMs = Date.parse(info.started);
  if (Number.isFinite(startedMs) && startedMs < Date.now() - os.uptime() * 1000) return 'written before this machine booted';
  return pidAlive(info.pid) ? undefined : `its process ${info.pid} is gone`;
}

/** True when process `pid` exists (signal 0 probes without signalling). */
export function pidAlive(pid: number): boolean {
  if (!(Number.isInteger(pid) && pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(file: string, info: LockInfo): boolean {
  const tmp = `${file}.${info.pid}.${info.token}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(info) + '\n');
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function readLock(file: string): LockInfo | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const j = JSON.parse(text) as LockInfo;
    return typeof j.pid === 'number' && typeof j.host === 'string' ? j : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** A lock file that is not ours and not JSON (hand-made, or a disk error): stale after a minute. */
function unreadableIsStale(file: string): string | undefined {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 60_000 ? 'unreadable and older than a minute' : undefined;
  } catch {
    return 'gone';
  }
}

/**
 * Removes a stale lock without removing a fresh one another process took meanwhile: move it aside under a unique
 * name, check it is the stale one we read, else put it back.
 */
function takeOverStale(runDir: string, file: string, seen: LockInfo | 'unreadable'): void {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readLock(aside);
  const same = seen === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.token === seen.token && moved.pid === seen.pid;
  if (!same) {
    try {
      fs.linkSync(aside, file);
    } catch {
      /* a third process holds it now: theirs stands */
    }
  }
  removeInside(runDir, aside);
}

function releaseLock(runDir: string, file: string, token: string): void {
  held.delete(file);
  const now = readLock(file);
  if (typeof now === 'object' && now.token === token) removeInside(runDir, file);
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const [file, token] of held) {
      try {
        releaseLock(path.dirname(file), file, token);
      } catch {
        /* exiting anyway */
      }
    }
  });
}

function inUse(runDir: string, file: string, other: LockInfo | 'unreadable'): RunInUseError {
  if (other === 'unreadable') {
    return new RunInUseError(`${runDir} is locked by ${file}, which is not a grasplab lock file; if no training uses this run, delete it`);
  }
  const who = other.pid === process.pid && other.host === os.hostname() ? 'this process (another fit of the same run is still going)' : `process ${other.pid} on ${other.host}`;
  const remote = other.host !== os.hostname() ? ` If that process is gone, delete ${file}.` : '';
  return new RunInUseError(
    `run ${runDir} is in use: ${who} has been training it since ${other.started}. ` +
      `Wait for it to finish, or use another run name.${remote}`,
  );
}
