import * as fs from 'fs';
import * as path from 'path';
import * as esbuild from 'esbuild';
import { makeExample } from './make_example';

/**
 * Builds the static web demo into `outDir` (default web/dist, git-ignored):
 * main.js (esbuild bundle of web/main.ts with tfjs, ONNX Runtime Web and the shared lib code), index.html, style.css,
 * the tfjs wasm binaries (wasm/), ONNX Runtime Web's wasm runtime (ort/), and the bundled example (example/: exported
 * model in the tfjs format and as model.onnx, + depth image), made by make_example.ts
 * unless it already exists (`--example` remakes it).
 * Usage: tsx web/build.ts [--out DIR] [--example] [--from-run DIR]
 */

export const WEB_DIR = __dirname;
export const DEFAULT_OUT = path.join(WEB_DIR, 'dist');

export interface BuildOptions {
  outDir?: string;
  /** remake the example even if present */
  remakeExample?: boolean;
  /** exported model folder to bundle as the example instead of the automatic choice */
  fromModelDir?: string;
  minify?: boolean;
}

export async function buildWeb(opts: BuildOptions = {}): Promise<{ outDir: string; bundleBytes: number; exampleNote: string }> {
  const outDir = path.resolve(opts.outDir ?? DEFAULT_OUT);
  fs.mkdirSync(outDir, { recursive: true });
  const shims = path.join(WEB_DIR, 'shims');
  await esbuild.build({
    entryPoints: [path.join(WEB_DIR, 'main.ts')],
    outfile: path.join(outDir, 'main.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify: opts.minify ?? true,
    sourcemap: true,
    logLevel: 'warning',
    // lib code shared with Node: pngjs has a self-contained browser build; `Buffer` comes from the `buffer` package;
    // fs is imported by modules whose file-reading functions the page never calls.
    alias: { pngjs: 'pngjs/browser.js', fs: path.join(shims, 'fs.ts') },
    inject: [path.join(shims, 'buffer.ts')],
    // onnxruntime-web's build that loads its wasm runtime from `env.wasm.wasmPaths` (ort/, copied below) instead of
    // the variant that locates it through `import.meta.url`, which an IIFE bundle does not have
    conditions: ['onnxruntime-web-use-extern-wasm'],
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  });
  for (const f of ['index.html', 'style.css']) fs.copyFileSync(path.join(WEB_DIR, f), path.join(outDir, f));

  const wasmSrc = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  fs.mkdirSync(path.join(outDir, 'wasm'), { recursive: true });
  for (const f of fs.readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) {
    fs.copyFileSync(path.join(wasmSrc, f), path.join(outDir, 'wasm', f));
  }

  // ONNX Runtime Web's SIMD + threads runtime (JS glue and binary), loaded by web/ort_web.ts from ort/
  const ortSrc = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  fs.mkdirSync(path.join(outDir, 'ort'), { recursive: true });
  for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) fs.copyFileSync(path.join(ortSrc, f), path.join(outDir, 'ort', f));

  const exampleDir = path.join(outDir, 'example');
  let exampleNote: string;
  if (opts.remakeExample || opts.fromModelDir || !fs.existsSync(path.join(exampleDir, 'model', 'model.json'))) {
    exampleNote = (await makeExample(exampleDir, { fromModelDir: opts.fromModelDir })).note;
  } else {
    exampleNote = 'kept the existing example (pass --example to remake it)';
  }
  return { outDir, bundleBytes: fs.statSync(path.join(outDir, 'main.js')).size, exampleNote };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  buildWeb({ outDir: arg('--out'), remakeExample: args.includes('--example'), fromModelDir: arg('--from-run') }).then(
    (r) => console.log(`web demo built in ${r.outDir} (main.js ${(r.bundleBytes / 1e6).toFixed(2)} MB); example: ${r.exampleNote}`),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    },
  );
}
