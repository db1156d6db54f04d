import * as crypto from 'crypto';
import { checkRunName } from './run_dir';

/**
 * Runs are keyed by what defines them. A notebook's run folder is `<readable name>-<key>`, the key being a short
 * hash of the run's configuration (profile, dataset, model, seed, batch, loss, …): switching GRASPLAB_PROFILE,
 * GRASPLAB_SEEDS or the dataset gives other folders instead of a refused resume, the same configuration finds its
 * finished run (reloaded) or its interrupted one (resumed), and notebooks that ask for the same experiment share one.
 */

/** Hex digits of the key: 8 (32 bits) keep names short; a collision needs ~65k configurations under one name. */
const KEY_DIGITS = 8;

/** JSON with object keys sorted at every level, so equal configurations hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .filter((k) => o[k] !== undefined)
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

/** Short hash of a configuration (see `stableJson`). */
export function runKey(config: unknown): string {
  return crypto.createHash('sha256').update(stableJson(config)).digest('hex').slice(0, KEY_DIGITS);
}

/** `<name>-<runKey(config)>`: the folder name of a keyed run. */
export function keyedRunName(name: string, config: unknown): string {
  return `${checkRunName(name)}-${runKey(config)}`;
}

export interface ConfigChange {
  /** dotted path, e.g. `config.seed` */
  key: string;
  was: unknown;
  now: unknown;
}

/** The leaves that differ between two JSON-like values, as dotted paths (arrays compare whole). */
export function configChanges(was: unknown, now: unknown, prefix = ''): ConfigChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(was) && isObj(now)) {
    const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort();
    return keys.flatMap((k) => configChanges(was[k], now[k], prefix ? `${prefix}.${k}` : k));
  }
  return stableJson(was) === stableJson(now) ? [] : [{ key: prefix || '(value)', was, now }];
}

/** `config.seed: 1 → 2` lines for messages (long values shortened). */
export function describeChanges(changes: ConfigChange[], max = 6): string {
  const show = (v: unknown) => {
    const s = v === undefined ? '(absent)' : JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  };
  const lines = changes.slice(0, max).map((c) => `${c.key}: ${show(c.was)} → ${show(c.now)}`);
  if (changes.length > max) lines.push(`… and ${changes.length - max} more`);
  return lines.join('; ');
}
