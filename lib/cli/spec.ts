/**
 * The command line's grammar as data: a command is a `CommandSpec` (options with their types, ranges, choices,
 * defaults, aliases, environment-variable defaults; positionals; conflicts), and one parser, one help formatter and
 * one set of usage errors serve every command. Adding a flag is one entry in a table (lib/cli/commands.ts).
 *
 * This module imports nothing heavy (no tfjs): help and usage errors are answered before any backend loads.
 */

/** A bad command line: exit code 2. The message names the option and what was expected. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** the command whose usage applies (undefined: the top level) */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionType = 'string' | 'int' | 'number' | 'boolean';

export interface OptionSpec {
  type: OptionType;
  /** one-line help */
  help: string;
  /** placeholder shown in usage, e.g. `DIR`, `FILE.json`, `N` (default: from the type) */
  value?: string;
  /** allowed values (string options) */
  choices?: readonly string[];
  /** inclusive bounds (numeric options) */
  min?: number;
  max?: number;
  /** a usage error when absent (after environment defaults) */
  required?: boolean;
  /** value when absent; shown in help */
  default?: string | number | boolean;
  /** environment variable read when the option is absent (before `default`); shown in help */
  env?: string;
  /** other spellings of the same option (e.g. `model-dir` for `model`), kept for old scripts */
  aliases?: readonly string[];
  /** hidden from the usage line (still listed under options) */
  advanced?: boolean;
}

export interface PositionalSpec {
  /** placeholder, e.g. `IMAGE` */
  name: string;
  help: string;
  min: number;
  max: number;
}

export type OptionTable = Record<string, OptionSpec>;

/** Parsed value type of one option: numbers for int/number, boolean for flags (false when absent), else string. */
type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S['type'] extends 'int' | 'number' ? number : string;
type Defined<S extends OptionSpec> = S extends { required: true } ? true : S extends { default: string | number | boolean } ? true : S['type'] extends 'boolean' ? true : false;

/** The parsed options of a command: options with a default, required options and flags are always defined. */
export type Values<O extends OptionTable> = { [K in keyof O]: Defined<O[K]> extends true ? ValueOf<O[K]> : ValueOf<O[K]> | undefined };

export interface Parsed<O extends OptionTable> {
  values: Values<O>;
  positionals: string[];
  /** options the user gave explicitly (not from a default or the environment) */
  given: Set<string>;
}

export interface CommandSpec<O extends OptionTable = OptionTable> {
  name: string;
  /** one line for the command list */
  summary: string;
  /** what the command does, a few lines (printed by `--help`) */
  description: string;
  options: O;
  positionals?: PositionalSpec;
  /** pairs of options that cannot be given together */
  conflicts?: readonly (readonly [string, string])[];
  /** further checks across options; throw `UsageError` (use `usageError`) */
  check?(p: Parsed<O>): void;
  examples?: readonly string[];
}

/** Declares a command, keeping its option table's literal types (so parsed values are typed). */
export function defineCommand<O extends OptionTable>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** The outcome of reading argv for one command: parsed values, or a request for its help. */
export type ParseResult<O extends OptionTable> = { help: true } | ({ help: false } & Parsed<O>);

/**
 * Parses `args` (argv after the command name) against `spec`. Accepts `--name value`, `--name=value`, flags, `--`
 * (the rest are positionals) and `-h`/`--help` anywhere.
 * @throws UsageError for an unknown option, a missing or malformed value, an option given twice, a missing required
 *         option, a wrong number of positionals, conflicting options or a failed `check`.
 */
export function parseCommand<O extends OptionTable>(spec: CommandSpec<O>, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ParseResult<O> {
  const byName = new Map<string, string>();
  for (const [name, o] of Object.entries(spec.options)) {
    byName.set(name, name);
    for (const a of o.aliases ?? []) byName.set(a, name);
  }
  const raw = new Map<string, { value: string | true; spelled: string }>();
  const positionals: string[] = [];
  const fail = (msg: string) => new UsageError(msg, spec.name);

  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') return { help: true };
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const spelled = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const name = byName.get(spelled);
      if (name === undefined) throw fail(`unknown option --${spelled}${suggest(spelled, [...byName.keys()])}`);
      const o = spec.options[name];
      const prev = raw.get(name);
      if (prev) {
        throw fail(prev.spelled === spelled ? `--${spelled} given twice` : `--${prev.spelled} and --${spelled} are the same option; give one`);
      }
      let value: string | true;
      if (o.type === 'boolean') {
        if (eq >= 0) throw fail(`--${spelled} is a flag and takes no value (got '${a.slice(eq + 1)}')`);
        value = true;
      } else if (eq >= 0) {
        value = a.slice(eq + 1);
      } else {
        const next = args[i + 1];
        // a value may start with '-' only when it is a number (e.g. --threshold -0.5)
        if (next === undefined || (next.startsWith('-') && next.length > 1 && !isNumberLike(next))) {
          throw fail(`--${spelled} needs a value (${placeholder(name, o)})`);
        }
        value = next;
        i++;
      }
      raw.set(name, { value, spelled });
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !isNumberLike(a)) throw fail(`unknown option ${a}${suggest(a.replace(/^-+/, ''), [...byName.keys()])}`);
    positionals.push(a);
  }

  const values: Record<string, string | number | boolean | undefined> = {};
  const given = new Set<string>();
  for (const [name, o] of Object.entries(spec.options)) {
    const r = raw.get(name);
    if (r) {
      given.add(name);
      values[name] = r.value === true ? true : convert(name, r.spelled, o, r.value, spec.name, `--${r.spelled}`);
      continue;
    }
    const fromEnv = o.env !== undefined ? env[o.env]?.trim() : undefined;
    if (fromEnv) values[name] = convert(name, name, o, fromEnv, spec.name, `${o.env}=${fromEnv} (the default of --${name})`);
    else if (o.default !== undefined) values[name] = o.default;
    else if (o.type === 'boolean') values[name] = false;
    else if (o.required) throw fail(`--${name} is required (${placeholder(name, o)}: ${o.help})`);
    else values[name] = undefined;
  }

  const pos = spec.positionals;
  if (!pos && positionals.length > 0) throw fail(`unexpected argument '${positionals[0]}' (${spec.name} takes options only)`);
  if (pos && (positionals.length < pos.min || positionals.length > pos.max)) {
    const want = pos.min === pos.max ? `exactly ${pos.min}` : pos.max === Infinity ? `at least ${pos.min}` : `${pos.min}–${pos.max}`;
    throw fail(`expected ${want} ${pos.name}, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}`);
  }
  for (const [a, b] of spec.conflicts ?? []) {
    if (given.has(a) && given.has(b)) throw fail(`--${a} and --${b} cannot be used together`);
  }
  const parsed = { values: values as Values<O>, positionals, given };
  spec.check?.(parsed);
  return { help: false, ...parsed };
}

/** A usage error for `cmd` (for `check` functions). */
export function usageError(cmd: string, message: string): UsageError {
  return new UsageError(message, cmd);
}

function convert(name: string, spelled: string, o: OptionSpec, v: string, cmd: string, where: string): string | number {
  const fail = (expected: string) => new UsageError(`${where}: expected ${expected}, got '${v}'`, cmd);
  if (o.type === 'int' || o.type === 'number') {
    const n = v.trim() === '' ? NaN : Number(v);
    const range = o.min !== undefined && o.max !== undefined ? ` in [${o.min}, ${o.max}]` : o.min !== undefined ? ` ≥ ${o.min}` : o.max !== undefined ? ` ≤ ${o.max}` : '';
    const kind = o.type === 'int' ? 'an integer' : 'a number';
    if (!Number.isFinite(n) || (o.type === 'int' && !Number.isInteger(n))) throw fail(kind + range);
    if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) throw fail(kind + range);
    return n;
  }
  if (o.choices && !o.choices.includes(v)) throw fail(`one of ${o.choices.join(', ')}`);
  if (v === '') throw fail(`a value for --${spelled === name ? name : spelled}`);
  return v;
}

function isNumberLike(s: string): boolean {
  return /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s);
}

/** " (did you mean --x?)" for a near miss, else "". */
function suggest(spelled: string, names: string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(spelled, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(spelled.length / 3)) ? ` (did you mean --${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

// ---- help ------------------------------------------------------------------------------------------------------

function placeholder(name: string, o: OptionSpec): string {
  if (o.value) return o.value;
  if (o.choices) return o.choices.join('|');
  return o.type === 'int' ? 'N' : o.type === 'number' ? 'X' : name.toUpperCase().replace(/-/g, '_');
}

function optionToken(name: string, o: OptionSpec): string {
  return o.type === 'boolean' ? `--${name}` : `--${name} ${placeholder(name, o)}`;
}

/** The one-line synopsis: required options first, then the optional ones in brackets, then positionals. */
export function synopsis(spec: CommandSpec): string {
  const entries = Object.entries(spec.options);
  const req = entries.filter(([, o]) => o.required).map(([n, o]) => optionToken(n, o));
  const opt = entries.filter(([, o]) => !o.required && !o.advanced).map(([n, o]) => `[${optionToken(n, o)}]`);
  const pos = spec.positionals ? [spec.positionals.min === 0 ? `[${spec.positionals.name}]` : spec.positionals.name] : [];
  return wrap(['grasplab', spec.name, ...req, ...pos, ...opt], 'usage: ', 18);
}

/** Full help of one command: synopsis, description, every option with its default, examples. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [synopsis(spec), '', spec.description.trim(), ''];
  const rows: [string, string][] = [];
  if (spec.positionals) rows.push([spec.positionals.name, spec.positionals.help]);
  for (const [name, o] of Object.entries(spec.options)) {
    const notes: string[] = [];
    if (o.required) notes.push('required');
    if (o.env) notes.push(`when absent: $${o.env}` + (o.default !== undefined ? `, else ${o.default}` : ''));
    else if (o.default !== undefined && o.type !== 'boolean') notes.push(`default ${o.default}`);
    if (o.aliases?.length) notes.push(`alias ${o.aliases.map((a) => `--${a}`).join(', ')}`);
    rows.push([optionToken(name, o), o.help + (notes.length ? ` (${notes.join('; ')})` : '')]);
  }
  if (rows.length) {
    lines.push('options:');
    const w = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
    for (const [left, right] of rows) {
      const text = wrapText(right, 118 - w - 2);
      if (left.length + 2 > w) {
        lines.push(`  ${left}`);
        for (const t of text) lines.push(' '.repeat(w + 2) + t);
      } else {
        text.forEach((t, i) => lines.push(i === 0 ? `  ${left.padEnd(w)}${t}` : ' '.repeat(w + 2) + t));
      }
    }
    lines.push('  -h, --help'.padEnd(w + 2) + 'this help');
  }
  if (spec.examples?.length) lines.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** The top-level help: every command with its summary, and the exit codes. */
export function programHelp(specs: readonly CommandSpec[]): string {
  const w = Math.max(...specs.map((s) => s.name.length)) + 2;
  return [
    'usage: grasplab <command> [options]      grasplab <command> --help      grasplab help <command>',
    '',
    'commands:',
    ...specs.map((s) => `  ${s.name.padEnd(w)}${s.summary}`),
    '',
    'Every command prints its result as JSON on stdout and messages on stderr.',
    'Exit codes: 0 ok, 1 failed (the message names the file and the problem), 2 bad usage.',
  ].join('\n');
}

function wrap(tokens: string[], first: string, indent: number): string {
  const lines: string[] = [];
  let cur = first;
  for (const t of tokens) {
    if (cur.length + t.length + 1 > 118 && cur.trim() !== first.trim()) {
      lines.push(cur.trimEnd());
      cur = ' '.repeat(indent);
    }
    cur += (cur.endsWith(' ') || cur === '' ? '' : ' ') + t;
  }
  lines.push(cur);
  return lines.join('\n');
}

function wrapText(s: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of s.split(/\s+/)) {
    if (cur && cur.length + word.length + 1 > width) {
      out.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  return out;
}
