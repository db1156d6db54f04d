import { escapeHtml, inNotebook, newLiveDisplay } from '../notebook/display';

/** What the notebook progress writes to (a tslab display) */
export interface LiveDisplay {
  html(s: string): void;
}
import { formatNumber, formatParts, type StepParts } from './step';

/** Summary of one finished epoch, as stored in run.json / state.json. */
export interface EpochRecord {
  /** 1-based epoch number */
  epoch: number;
  /** global step count at the end of this epoch */
  step: number;
  /** mean total loss over the epoch's steps */
  loss: number;
  /** mean of each loss part over the epoch's steps */
  parts: Record<string, number>;
  /** learning rate of the epoch's last step */
  lr: number;
  /** numeric fields of the validation result (accuracy, correct, total, ...), if validated this epoch */
  val?: Record<string, number>;
  trainSeconds: number;
  valSeconds: number;
  /** seconds spent recomputing BatchNorm statistics (precise BN) after the epoch, when enabled */
  bnSeconds?: number;
  /** total loss of each step of the epoch, in order (for loss curves) */
  stepLoss: number[];
}

/** Events `fit` reports; `onProgress` receives every one. */
export type ProgressEvent =
  | {
      type: 'step';
      /** 1-based epoch and step within it */
      epoch: number;
      epochs: number;
      stepInEpoch: number;
      stepsPerEpoch: number;
      /** global steps done (over the run, including resumed epochs) */
      step: number;
      totalSteps: number;
      loss: number;
      parts: StepParts;
      lr: number;
      /** seconds since this `fit` call started */
      elapsed: number;
      /** estimated seconds to the end of the run (training + validation), from this call's average speed */
      eta: number;
    }
  | { type: 'validate'; epoch: number; epochs: number }
  | { type: 'epoch'; record: EpochRecord; epochs: number; bestAccuracy?: number; eta: number }
  | {
      type: 'start';
      runDir: string;
      /** epochs already complete (0-based index of the next epoch) */
      startEpoch: number;
      epochs: number;
      resumed: boolean;
      /** steps already done (more than `startEpoch` epochs' worth when an interrupted epoch is resumed) */
      startStep?: number;
      totalSteps?: number;
    }
  /** SIGINT/SIGTERM received: training stops after the step in progress */
  | { type: 'interrupt'; signal: string; step: number }
  | { type: 'end'; status: 'completed' | 'stopped' | 'diverged' | 'failed' | 'interrupted'; epochsDone: number; elapsed: number; message?: string };

export type ProgressCallback = (e: ProgressEvent) => void;

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One human-readable line per event (undefined for events not worth a line). */
export function describeEvent(e: ProgressEvent): string | undefined {
  switch (e.type) {
    case 'step':
      return (
        `epoch ${e.epoch}/${e.epochs} step ${e.stepInEpoch}/${e.stepsPerEpoch} ` +
        `loss ${formatNumber(e.loss)} (${formatParts(e.parts)}) lr ${e.lr.toExponential(1)} ETA ${formatDuration(e.eta)}`
      );
    case 'validate':
      return `epoch ${e.epoch}/${e.epochs} validating…`;
    case 'epoch': {
      const r = e.record;
      const val = r.val ? ` val acc ${(r.val.accuracy * 100).toFixed(1)}%` : '';
      const best = e.bestAccuracy !== undefined ? ` (best ${(e.bestAccuracy * 100).toFixed(1)}%)` : '';
      return (
        `epoch ${r.epoch}/${e.epochs} done: loss ${formatNumber(r.loss)}${val}${best}, ` +
        `${formatDuration(r.trainSeconds + r.valSeconds)}, ETA ${formatDuration(e.eta)}`
      );
    }
    case 'start': {
      if (e.resumed && e.startEpoch >= e.epochs) return `${e.runDir}: already finished at epoch ${e.startEpoch}/${e.epochs}; reloading it`;
      const midEpoch = e.startStep !== undefined && e.totalSteps !== undefined && e.startStep > (e.startEpoch * e.totalSteps) / e.epochs;
      if (e.resumed) return `resuming ${e.runDir} at epoch ${e.startEpoch + 1}/${e.epochs}${midEpoch ? `, step ${e.startStep! + 1}/${e.totalSteps}` : ''}`;
      return `training ${e.runDir}: ${e.epochs} epochs`;
    }
    case 'interrupt':
      return `${e.signal} received at step ${e.step}: stopping after the current step (send it again to stop at once, unsaved)`;
    case 'end':
      return `${e.status} after ${e.epochsDone} epochs in ${formatDuration(e.elapsed)}${e.message ? `: ${e.message}` : ''}`;
  }
}

export interface ConsoleProgressOptions {
  /** default process.stdout */
  stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  /** non-TTY: print a step line at most this often (seconds); default 30 */
  intervalSec?: number;
}

/**
 * Terminal progress: on a TTY one line rewritten in place per step, and a permanent line per epoch; otherwise
 * (logs, CI) a step line every ~10 % of an epoch or `intervalSec`, whichever comes first, plus the epoch lines.
 */
export function consoleProgress(opts: ConsoleProgressOptions = {}): ProgressCallback {
  const stream = opts.stream ?? process.stdout;
  const tty = !!stream.isTTY;
  const interval = (opts.intervalSec ?? 30) * 1000;
  let lastPrint = 0;
  let live = false;
  return (e) => {
    const line = describeEvent(e);
    if (line === undefined) return;
    if (e.type === 'step' || e.type === 'validate') {
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        live = true;
        return;
      }
      const now = Date.now();
      const every = e.type === 'step' ? Math.max(1, Math.round(e.stepsPerEpoch / 10)) : 1;
      const due = e.type === 'validate' || e.stepInEpoch % every === 0 || e.stepInEpoch === 1 || now - lastPrint >= interval;
      if (!due) return;
      lastPrint = now;
      stream.write(line + '\n');
      return;
    }
    stream.write((live ? '\r\x1b[2K' : '') + line + '\n');
    live = false;
  };
}

/** consecutive failed renders of the notebook progress display retried before updates wait for the next event */
const MAX_RENDER_RETRIES = 20;

/**
 * Notebook progress: one live output area showing the current step and the finished epochs, updated at most every
 * `minIntervalMs` (default 500 ms; the last event of each epoch is always shown). `display` defaults to a new tslab
 * display (outside tslab: the terminal progress).
 */
export function notebookProgress(minIntervalMs = 500, display: LiveDisplay | null = newLiveDisplay()): ProgressCallback {
  if (!display) return consoleProgress();
  const done: string[] = [];
  let current = '';
  let last = 0;
  let retries = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const render = (): void => {
    try {
      display.html(`<pre style="margin:0">${[...done, current].filter(Boolean).map(escapeHtml).join('\n')}</pre>`);
      retries = 0;
    } catch {
      // tslab sends on its zeromq socket without waiting, and zeromq 6 refuses a send while the previous one is in
      // flight ("Socket is busy writing"), as when an epoch's last step, validation and epoch line render within a
      // millisecond. Progress is only a display: retry shortly (a bounded number of times) instead of failing the run.
      if (retryTimer === undefined && retries < MAX_RENDER_RETRIES) {
        retries++;
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          render();
        }, 50);
        retryTimer.unref?.();
      }
    }
  };
  return (e) => {
    const line = describeEvent(e);
    if (line === undefined) return;
    if (e.type === 'step' || e.type === 'validate') {
      current = line;
      const now = Date.now();
      const endOfEpoch = e.type === 'step' && e.stepInEpoch === e.stepsPerEpoch;
      if (now - last < minIntervalMs && !endOfEpoch) return;
      last = now;
    } else {
      done.push(line);
      current = '';
    }
    render();
  };
}

/** The progress display for where we run: a live notebook output inside tslab, else the terminal. */
export function defaultProgress(): ProgressCallback {
  return inNotebook() ? notebookProgress() : consoleProgress();
}
