/**
 * SIGINT (Ctrl-C) and SIGTERM during training. `fit` watches both while it runs: the first signal asks it to stop
 * after the current step (it then saves the step reached, writes run.json `interrupted` and throws
 * TrainingInterruptedError). The watcher then removes its listeners, so a second signal gets whatever the process
 * would do without it: the default (exit at once) in a CLI, the notebook's own interrupt in tslab.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

const SIGNALS: StopSignal[] = ['SIGINT', 'SIGTERM'];

/** The shell's exit status for a process ended by `signal`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function exitCodeFor(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

export interface InterruptWatch {
  /** the first signal received, if any */
  readonly signal: StopSignal | undefined;
  /** stops listening (idempotent) */
  dispose(): void;
}

/** Starts listening; `onSignal` runs once, synchronously, when the first signal arrives. */
export function watchInterrupts(onSignal: (signal: StopSignal) => void = () => {}): InterruptWatch {
  let received: StopSignal | undefined;
  const handlers = new Map<StopSignal, () => void>();
  const dispose = () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
    handlers.clear();
  };
  for (const sig of SIGNALS) {
    const h = () => {
      if (received) return;
      received = sig;
      dispose();
      onSignal(sig);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return {
    get signal() {
      return received;
    },
    dispose,
  };
}

/**
 * The command that resumes an interrupted `grasplab` CLI run: the same arguments without `--fresh` (which would
 * delete what was just saved). `argv` is the CLI's argument list, starting with the command.
 */
export function resumeCommandHint(argv: readonly string[]): string {
  const quote = (a: string) => (/^[\w./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = argv.filter((a) => a !== '--fresh' && a !== '--fresh=true');
  return `resume with: npx grasplab ${args.map(quote).join(' ')}`;
}
