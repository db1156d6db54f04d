import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { readDepthTiff } from '../../lib/data/tiff';
import { detectGrasps } from '../../lib/eval/detect';
import { encodeDepthPng16, readDepthFile } from '../../lib/export/depth_file';
import { toSourceGrasp } from '../../lib/export/depth_input';
import { benchmarkDepth } from '../../lib/export/latency';
import { graspReport, predictGrasps } from '../../lib/export/predict';
import { loadModelFromDir, readModelJson } from '../../lib/export/save';
import { buildModel, loadTorchWeightsFile } from '../../lib/models/registry';
import type { Image2D } from '../../lib/types';
import { buildWeb } from '../../web/build';
import { exampleScene, makeExample } from '../../web/make_example';
import { startServer } from '../../web/serve';
import { sharedPath } from '../helpers/shared';

const CHROMIUM = '/usr/bin/chromium';

/**
 * The demo's model: a real GG-CNN (its custom InputSizeCheck layer included), exported as uint8 like a deployment.
 * With ../shared it carries the published Cornell weights and runs on a real Cornell depth image (480x640, so the
 * page crops it); without, seeded initial weights on the synthetic example scene.
 */
function demoModelAndDepth(): Promise<{ model: ReturnType<typeof buildModel>; depth: Image2D | undefined; note: string }> {
  const model = buildModel({ name: 'ggcnn', seed: 11 });
  const weights = sharedPath('weights', 'ggcnn_cornell_epoch23.npz');
  const depthFile = sharedPath('realdata', 'cornell', '01', 'pcd0100d.tiff');
  if (!weights || !depthFile) return Promise.resolve({ model, depth: undefined, note: 'e2e test model (GG-CNN, initial weights)' });
  loadTorchWeightsFile(model, weights);
  return readDepthTiff(depthFile).then((depth) => ({ model, depth, note: 'e2e test model (GG-CNN, published Cornell weights)' }));
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
    const { model, depth, note } = await demoModelAndDepth();
    const { chromium } = await import('playwright-core');
    const server = await (async () => {
      await makeExample(path.join(out, 'example'), { model, note, format: 'uint8', depth: depth ?? exampleScene() });
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
      assert.match((await page.textContent('#model-note')) ?? '', /e2e test model \(GG-CNN/);
      const exported = path.join(out, 'example', 'model');
      const meta = readModelJson(exported);
      assert.equal((meta.userDefinedMetadata?.grasplab as { weightFormat?: string }).weightFormat, 'uint8');
      assert.ok(JSON.stringify(meta.modelTopology).includes('InputSizeCheck'), 'the export holds the custom input-size layer');

      await page.click('#run-example');
      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
      assert.equal(await page.getAttribute('body', 'data-state'), 'done', `${await status()}\n${logs.join('\n')}`);
      const n = Number(await page.getAttribute('#result', 'data-grasps'));
      assert.ok(n >= 1, `grasps drawn: ${n}`);
      assert.match((await page.textContent('#timing')) ?? '', /Inference [\d.]+ ms/);

      // Node's predictGrasps on the same export and image, with the page's settings, gives the same grasps
      const rows = await page.$$eval('#grasps tbody tr', (trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent ?? '')));
      const topK = Number(await page.inputValue('#top-k'));
      const threshold = Number(await page.inputValue('#threshold'));
      const example = (await readDepthFile(path.join(out, 'example', 'depth.tiff'))).depth;
      const fit = example.height === 300 && example.width === 300 ? 'none' : 'center';
      const nodeModel = await loadModelFromDir(exported);
      const pred = await predictGrasps(nodeModel, example, { topK, fit, detect: { thresholdAbs: threshold } });
      // the page shows the best peaks even when none passes the threshold (an untrained model): so does this
      const nodeGrasps = pred.grasps.length
        ? pred.grasps
        : detectGrasps(pred.processed, { maxGrasps: topK, thresholdAbs: -Infinity }).map((g) => toSourceGrasp(g, pred.prepared.frame));
      nodeModel.dispose();
      assert.equal(rows.length, nodeGrasps.length, `browser grasps ${JSON.stringify(rows)} vs Node ${nodeGrasps.length}`);
      nodeGrasps.forEach((g, k) => {
        const want = graspReport(g, k + 1);
        const [rank, centre, angleDeg, opening, jaw, quality] = rows[k];
        const [r, c] = centre.split(',').map(Number);
        const msg = `grasp ${k + 1}: browser ${JSON.stringify(rows[k])}, Node ${JSON.stringify(want)}`;
        assert.equal(Number(rank), want.rank, msg);
        assert.ok(Math.abs(r - want.center[0]) <= 1 && Math.abs(c - want.center[1]) <= 1, msg);
        assert.ok(Math.abs(Number(angleDeg) - want.angleDeg) <= 1, msg);
        assert.ok(Math.abs(Number(opening) - want.opening) <= 1 && Math.abs(Number(jaw) - want.jaw) <= 1, msg);
        assert.ok(Math.abs(Number(quality) - want.quality) <= 1e-3, msg);
      });

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
