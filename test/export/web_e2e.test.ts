import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { buildWeb } from '../../web/build';
import { makeExample } from '../../web/make_example';
import { startServer } from '../../web/serve';
import { encodeDepthPng16 } from '../../lib/export/depth_file';
import { benchmarkDepth } from '../../lib/export/latency';
import type { Image2D } from '../../lib/types';

const CHROMIUM = '/usr/bin/chromium';

/** A seeded fully-convolutional `[B,300,300,1] → [B,300,300,4]` model; its quality map has clear peaks. */
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [300, 300, 1] });
  const h = tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function benchmarkDepthRect(h: number, w: number): Image2D {
  const b = benchmarkDepth(Math.max(h, w));
  const data = new Float32Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) data[r * w + c] = b.data[r * b.width + c];
  return { height: h, width: w, data };
}

test(
  'web demo: the example model runs in headless Chromium on TensorFlow.js and ONNX Runtime Web, and a grasp is drawn',
  { skip: fs.existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (apt-get install -y chromium)`, timeout: 120_000 },
  async () => {
    await selectBackend({ quiet: true });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-web-'));
    const model = tinyModel();
    const { chromium } = await import('playwright-core');
    const server = await (async () => {
      await makeExample(path.join(out, 'example'), { model, note: 'e2e test model' });
      await buildWeb({ outDir: out, minify: false });
      return startServer(out, 0);
    })();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const logs: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 });
      const status = () => page.textContent('#status');
      assert.equal(await page.getAttribute('body', 'data-state'), 'ready', `${await status()}\n${logs.join('\n')}`);
      assert.match((await page.textContent('#model-note')) ?? '', /e2e test model/);

      await page.click('#run-example');
      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
      assert.equal(await page.getAttribute('body', 'data-state'), 'done', `${await status()}\n${logs.join('\n')}`);
      const n = Number(await page.getAttribute('#result', 'data-grasps'));
      assert.ok(n >= 1, `grasps drawn: ${n}`);
      assert.match((await page.textContent('#timing')) ?? '', /Inference [\d.]+ ms/);

      // The best grasp is drawn in green (GRASP_COLOURS[0]) on the overlay canvas.
      const green = await page.evaluate(() => {
        const c = document.getElementById('overlay') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let k = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 0 && d[i + 1] === 220 && d[i + 2] === 60) k++;
        return k;
      });
      assert.ok(green > 10, `green pixels: ${green}`);
      // and the four maps are painted
      const mapSizes = await page.evaluate(() => ['pos', 'cos', 'sin', 'width'].map((m) => (document.getElementById(`map-${m}`) as HTMLCanvasElement).width));
      assert.deepEqual(mapSizes, [300, 300, 300, 300]);

      // The same model as ONNX (example/model.onnx) on ONNX Runtime Web's wasm runtime, served from ort/: same grasps.
      const table = () => page.evaluate(() => Array.from((document.getElementById('grasps') as HTMLTableElement).tBodies[0].rows).map((r) => Array.from(r.cells).map((c) => c.textContent)));
      const viaTfjs = await table();
      await page.selectOption('#engine', 'onnx');
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 });
      assert.equal(await page.getAttribute('body', 'data-state'), 'ready', `${await status()}\n${logs.join('\n')}`);
      assert.match((await page.textContent('#engine-info')) ?? '', /ONNX Runtime Web .*\(wasm, \d threads?\)/);
      await page.click('#run-example');
      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
      assert.equal(await page.getAttribute('body', 'data-state'), 'done', `${await status()}\n${logs.join('\n')}`);
      assert.match((await page.textContent('#timing')) ?? '', /Engine ONNX Runtime Web .*Inference [\d.]+ ms/);
      assert.deepEqual(await table(), viaTfjs, 'ONNX Runtime Web finds the grasps TensorFlow.js found');
      assert.ok(requests.some((u) => /\/ort\/ort-wasm-simd-threaded\.wasm$/.test(u)), 'runtime loaded from the local server');
      const remote = requests.filter((u) => !u.startsWith(server.url) && !/^(blob|data):/.test(u));
      assert.deepEqual(remote, [], 'no request leaves the local server (no CDN)');
      await page.selectOption('#engine', 'tfjs');
      await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });

      // A user's 16-bit PNG in millimetres of another size goes through pngjs's browser build and the auto fit.
      const png = path.join(out, 'scene.png');
      fs.writeFileSync(png, encodeDepthPng16(benchmarkDepthRect(480, 640)));
      await page.setInputFiles('#image-file', png);
      await page.waitForFunction(() => /scene\.png/.test(document.getElementById('status')!.textContent ?? '') && document.body.dataset.state !== 'running', null, { timeout: 60_000 });
      assert.equal(await page.getAttribute('body', 'data-state'), 'done', `${await status()}\n${logs.join('\n')}`);
      assert.match((await status()) ?? '', /480×640, fit 'center'/);
      assert.deepEqual(await page.evaluate(() => [(document.getElementById('overlay') as HTMLCanvasElement).height, (document.getElementById('overlay') as HTMLCanvasElement).width]), [480, 640]);
    } finally {
      await browser.close();
      await server.close();
      model.dispose();
      fs.rmSync(out, { recursive: true, force: true });
    }
  },
);
