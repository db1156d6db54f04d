import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { COMMANDS, CLI_HEAD_BIASES, CLI_MODEL_NAMES, ONNX_FORMAT_NAMES } from '../../lib/cli/commands';
import { parseCommand, UsageError } from '../../lib/cli/spec';
import { EVAL, PREDICT } from '../../lib/cli/commands';

/**
 * The real `grasplab` process (bin/grasplab.js), spawned: help exits 0, every kind of usage error exits 2 with a
 * message naming the option, failures exit 1 naming the file without a stack trace. None of these loads tfjs.
 */
const BIN = path.join(PROJECT_ROOT, 'bin', 'grasplab.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function grasplab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, GRASPLAB_DEBUG: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the cases a few at a time (each is a short-lived process). */
async function runAll<T>(items: T[], f: (t: T) => Promise<void>, width = 4): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await f(t);
  }));
}

test('help: grasplab --help, <cmd> --help, help <cmd> print usage on stdout and exit 0', async () => {
  const cases: [string[], RegExp][] = [
    [['--help'], /usage: grasplab <command>[\s\S]*eval[\s\S]*doctor[\s\S]*Exit codes: 0 ok, 1 failed/],
    [['-h'], /commands:/],
    [['help'], /commands:/],
    ...COMMANDS.flatMap((c): [string[], RegExp][] => [
      [[c.name, '--help'], new RegExp(`^usage: grasplab ${c.name}`)],
      [['help', c.name], new RegExp(`^usage: grasplab ${c.name}[\\s\\S]*options:`)],
    ]),
    [['predict', '-h'], /^usage: grasplab predict/],
    // --help wins over anything else on the line, even errors
    [['eval', '--top-k', '0', '--help'], /^usage: grasplab eval/],
  ];
  await runAll(cases, async ([args, re]) => {
    const r = await grasplab(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, re, args.join(' '));
    assert.equal(r.stderr, '', args.join(' '));
  });
});

test('usage errors exit 2 and name the problem (missing, malformed, out of range, unknown, conflicting, extra)', async () => {
  const model = path.join(os.tmpdir(), 'no-such-model-dir');
  const cases: [string[], RegExp][] = [
    [[], /usage: grasplab <command>/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['evl'], /unknown command 'evl' \(did you mean 'eval'\?\)/],
    [['help', 'frobnicate'], /unknown command 'frobnicate'/],
    // missing required option
    [['eval'], /--model is required/],
    [['export', '--model', model], /--out is required/],
    [['train'], /--model is required/],
    [['latency'], /--model is required/],
    // missing value
    [['eval', '--model'], /--model needs a value/],
    [['eval', '--model', '--top-k', '3'], /--model needs a value/],
    // malformed / out of range numbers
    [['eval', '--model', model, '--top-k', '0'], /--top-k: expected an integer ≥ 1, got '0'/],
    [['eval', '--model', model, '--top-k', '2.5'], /--top-k: expected an integer ≥ 1, got '2.5'/],
    [['eval', '--model', model, '--limit', 'all'], /--limit: expected an integer ≥ 1, got 'all'/],
    [['eval', '--model', model, '--iou-threshold', '1.5'], /--iou-threshold: expected a number in \[0, 1\], got '1.5'/],
    [['eval', '--model', model, '--angle-threshold', '-5'], /--angle-threshold: expected a number in \[0, 90\], got '-5'/],
    [['eval', '--model', model, '--batch-size='], /--batch-size: expected an integer ≥ 1, got ''/],
    [['latency', '--model', model, '--runs', 'x'], /--runs: expected an integer ≥ 1/],
    [['train', '--model', 'pspnet', '--depth', '20'], /--depth 20: use 18, 34, 50 or 101/],
    // bad choice
    [['eval', '--model', model, '--split', 'holdout'], /--split: expected one of all, train, val, test, got 'holdout'/],
    [['eval', '--model', model, '--dataset', 'imagenet'], /--dataset: expected one of cornell, jacquard, synthetic/],
    [['export', '--model', model, '--out', 'x', '--format', 'int4'], /--format: expected one of float32, float16, uint16, uint8, onnx, onnx-float16, onnx-int8, all/],
    [['train', '--model', 'resnet'], /--model: expected one of ggcnn, ggcnn2, pspnet, got 'resnet'/],
    [['train', '--model', 'ggcnn', '--profile', 'huge'], /--profile: expected one of smoke, cpu, paper, reference, got 'huge'/],
    // unknown option (with a suggestion for a near miss)
    [['eval', '--model', model, '--topk', '3'], /unknown option --topk \(did you mean --top-k\?\)/],
    [['eval', '--model', model, '-x'], /unknown option -x/],
    [['doctor', '--verbose'], /unknown option --verbose/],
    // given twice / twice through an alias
    [['eval', '--model', model, '--model', model], /--model given twice/],
    [['eval', '--model', model, '--model-dir', model], /--model and --model-dir are the same option; give one/],
    // a flag with a value
    [['train', '--model', 'ggcnn', '--fresh=yes'], /--fresh is a flag and takes no value/],
    // conflicting options
    [['predict', '--model', model, '--resize', '--crop', 'center', 'x.tiff'], /--resize and --crop center contradict each other/],
    [['train', '--model', 'ggcnn', '--aux-weight', '0.4', '--width-mult', '1'], /--width-mult, --aux-weight only apply to --model pspnet/],
    // positionals
    [['predict', '--model', model], /expected exactly 1 IMAGE, got 0/],
    [['predict', '--model', model, 'a.tiff', 'b.tiff'], /expected exactly 1 IMAGE, got 2 \(a.tiff b.tiff\)/],
    [['eval', '--model', model, 'extra'], /unexpected argument 'extra'/],
  ];
  await runAll(cases, async ([args, re]) => {
    const r = await grasplab(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '', 'nothing on stdout');
  });
});

test('a bad environment default is a usage error naming the variable', async () => {
  const r = await grasplab(['eval', '--model', 'x'], { GRASPLAB_DATASET: 'imagenet' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /GRASPLAB_DATASET=imagenet \(the default of --dataset\): expected one of cornell, jacquard, synthetic/);
});

test('failures exit 1 naming the file, without a stack trace', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-cli-fail-'));
  try {
    const emptyDir = path.join(tmp, 'empty');
    fs.mkdirSync(emptyDir);
    const notModel = path.join(tmp, 'notes.txt');
    fs.writeFileSync(notModel, 'hello');
    const badJsonDir = path.join(tmp, 'badmodel');
    fs.mkdirSync(badJsonDir);
    fs.writeFileSync(path.join(badJsonDir, 'model.json'), '{ not json');
    const cases: [string[], RegExp][] = [
      [['eval', '--model', path.join(tmp, 'missing')], new RegExp(`${escape(path.join(tmp, 'missing'))}: no such model folder`)],
      [['eval', '--model', emptyDir], new RegExp(`${escape(emptyDir)}: holds no model.json`)],
      [['predict', '--model', notModel, 'x.tiff'], /notes\.txt: is a file, not a model folder|x\.tiff/],
      [['export', '--model', path.join(tmp, 'w.npz'), '--out', path.join(tmp, 'o')], /w\.npz: PyTorch weights \(\.npz\), not a model folder; convert them first: grasplab import/],
      [['latency', '--model', badJsonDir], /badmodel\/model\.json: not valid JSON/],
      [['eval', '--model', badJsonDir, '--data-dir', emptyDir], /badmodel\/model\.json: not valid JSON|empty holds neither Cornell-format/],
    ];
    await runAll(cases, async ([args, re]) => {
      const r = await grasplab(args);
      assert.equal(r.code, 1, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace: ${r.stderr}`);
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('help and usage errors do not load tfjs (they answer before any backend starts)', () => {
  // In one process: dispatch a usage error and a help request, then list what was required.
  const script = `
    require('tsx/cjs/api').register();
    const { runCli } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'lib', 'cli', 'run.ts'))});
    const io = { out: () => {}, err: () => {} };
    const never = () => { throw new Error('runners loaded'); };
    (async () => {
      const codes = [await runCli(['eval', '--top-k', '0'], io, never), await runCli(['eval', '--help'], io, never), await runCli(['train', '--model', 'x'], io, never)];
      const heavy = Object.keys(require.cache).filter((f) => /@tensorflow|[\\\\/]lib[\\\\/]cli\\.ts$/.test(f));
      console.log(JSON.stringify({ codes, heavy }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { codes, heavy } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(codes, [2, 0, 2]);
  assert.deepEqual(heavy, [], 'no tfjs module and no command bodies were loaded');
});

test('parser: --name=value, numbers that look like options, --, environment defaults, the given set', () => {
  const p = parseCommand(EVAL, ['--model=m', '--iou-threshold', '0.3'], { GRASPLAB_DATA_DIR: '/data/x' });
  assert.ok(!p.help);
  if (p.help) return;
  assert.equal(p.values.model, 'm');
  assert.equal(p.values['iou-threshold'], 0.3);
  assert.equal(p.values['angle-threshold'], 30, 'default');
  assert.equal(p.values['data-dir'], '/data/x', 'from the environment');
  assert.equal(p.values.limit, undefined);
  assert.ok(!p.given.has('data-dir') && p.given.has('model') && p.given.has('iou-threshold'));
  const q = parseCommand(PREDICT, ['--model', 'm', '--', '-odd-name.tiff'], {});
  assert.ok(!q.help);
  if (q.help) return;
  assert.deepEqual(q.positionals, ['-odd-name.tiff']);
  assert.equal(q.values.crop, 'none');
  assert.equal(q.values.resize, false);
  // a negative number is read as the option's value (and then range-checked), not as an unknown option
  const neg = parseCommand(PREDICT, ['--model', 'm', '--threshold', '-0.5', 'a.tiff'], {});
  assert.ok(!neg.help && neg.values.threshold === -0.5 && neg.positionals[0] === 'a.tiff');
  assert.throws(
    () => parseCommand(PREDICT, ['--model', 'm', '--top-k', '-3', 'a.tiff'], {}),
    (e: unknown) => e instanceof UsageError && /--top-k: expected an integer ≥ 1, got '-3'/.test(e.message),
  );
});

test('the CLI table names the models the registry builds', async () => {
  const { MODEL_NAMES } = await import('../../lib/models/registry');
  assert.deepEqual([...CLI_MODEL_NAMES], [...MODEL_NAMES]);
});

test('the CLI table names the head biases the registry builds', async () => {
  const { HEAD_BIASES } = await import('../../lib/models/map_heads');
  assert.deepEqual([...CLI_HEAD_BIASES], [...HEAD_BIASES]);
});

test('the CLI table names the ONNX formats the exporter writes', async () => {
  const { ONNX_EXPORT_FORMATS } = await import('../../lib/export/onnx');
  assert.deepEqual([...ONNX_FORMAT_NAMES], Object.keys(ONNX_EXPORT_FORMATS));
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
