import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { startServer, type RunningServer } from '../../web/serve';

/**
 * The demo server (web/serve.ts) under hostile clients, with node's real HTTP client: bad paths answer 4xx and the
 * server keeps serving; aborted downloads release their file descriptors; running out of descriptors answers 503
 * instead of crashing.
 */

const ROOT = path.resolve(__dirname, '..', '..');
let tmp = '';
const BIG = 8 * 2 ** 20;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-serve-'));
  fs.writeFileSync(path.join(tmp, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(tmp, 'main.js.map'), Buffer.alloc(BIG, 7));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, opts: { method?: string; rawPath?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: opts.rawPath ?? u.pathname, method: opts.method ?? 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes as the request (for request lines node's client refuses to send). */
function rawRequest(url: string, text: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock: net.Socket = net.connect(Number(u.port), u.hostname, () => sock.end(text));
    let out = '';
    sock.on('data', (d: Buffer) => (out += d.toString('latin1')));
    sock.on('end', () => resolve(out));
    sock.on('close', () => resolve(out));
    sock.on('error', reject);
  });
}

/** Starts a download and destroys it after its first chunk (a user closing the tab mid-download). */
function abortedDownload(url: string): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = http.get({ host: u.hostname, port: u.port, path: u.pathname, agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => resolve());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

test('hostile paths answer 4xx and the server keeps serving; every answer says nosniff', async () => {
  const server: RunningServer = await startServer(tmp, 0);
  try {
    const cases: [string, number][] = [
      ['/%00', 400], // crashed the server before (fs.stat threw inside the handler)
      ['/index.html%00.png', 400],
      ['/%E0%A4%A', 400], // malformed percent-encoding
      ['/../../../../etc/passwd', 404], // URL parsing removes the dot segments: stays inside the root
      ['/..%2f..%2f..%2fetc%2fpasswd', 404], // decoded and normalised: /etc/passwd below the root, which has none
      ['/nope.js', 404],
      ['/index.html/x', 404],
      [`/${'a'.repeat(5000)}`, 404],
    ];
    for (const [p, status] of cases) {
      const r = await get(server.url, { rawPath: p });
      assert.equal(r.status, status, `${p.slice(0, 40)} → ${r.status}`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', p.slice(0, 40));
      const ok = await get(server.url);
      assert.equal(ok.status, 200, `server still serves after ${p.slice(0, 40)}`);
    }
    assert.equal((await get(server.url, { method: 'POST' })).status, 405);
    const head = await get(new URL('main.js.map', server.url).href, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), BIG);
    const index = await get(server.url);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.match(String(index.headers['content-type']), /text\/html/);
    // a request line node's HTTP parser rejects: answered 400, server unaffected
    assert.match(await rawRequest(server.url, 'GET /\x01 HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.equal((await get(server.url)).status, 200);
    assert.ok(await until(() => server.stats().openFiles === 0, 5000));
  } finally {
    await server.close();
  }
});

test('aborted downloads release their file handles (server counters)', async () => {
  const server = await startServer(tmp, 0);
  try {
    const url = new URL('main.js.map', server.url).href;
    await Promise.all(Array.from({ length: 40 }, () => abortedDownload(url)));
    assert.ok(await until(() => server.stats().openFiles === 0, 5000), `open files after 40 aborted downloads: ${server.stats().openFiles}`);
    assert.ok(server.stats().aborted >= 1, 'aborts are counted');
    const full = await get(url);
    assert.equal(full.body.length, BIG);
    assert.ok(await until(() => server.stats().openFiles === 0, 5000), 'a finished download closes its file');
  } finally {
    await server.close();
  }
});

const procFd = fs.existsSync('/proc/self/fd');

/** Starts `tsx web/serve.ts` in a child, optionally with a descriptor limit; resolves with its URL. */
async function serveInChild(maxFiles?: number): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const cmd = `${maxFiles ? `ulimit -n ${maxFiles} && ` : ''}exec "${process.execPath}" --import tsx web/serve.ts --root "${tmp}" --port 0`;
  const child = spawn('sh', ['-c', cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
  return { child, url, stderr: () => err };
}

function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

test('a server process: 100 aborted downloads leave no open descriptors', { skip: !procFd && 'needs /proc', timeout: 60_000 }, async () => {
  const { child, url } = await serveInChild();
  try {
    await get(url); // warm up: lazily opened descriptors (e.g. the event loop's) are counted in the baseline
    const baseline = openFds(child.pid!);
    const big = new URL('main.js.map', url).href;
    for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 25 }, () => abortedDownload(big)));
    // sockets close asynchronously: give the server a moment, far less than the 45 s the leak lasted
    const settled = await until(() => openFds(child.pid!) <= baseline, 5000);
    assert.ok(settled, `descriptors: ${openFds(child.pid!)} after 100 aborted downloads, ${baseline} before`);
    assert.equal(child.exitCode, null, 'server still running');
  } finally {
    child.kill('SIGTERM');
  }
});

test('out of descriptors (ulimit -n 64): excess requests get 503, the server survives and recovers', { skip: !procFd && 'needs /proc', timeout: 60_000 }, async () => {
  const { child, url, stderr } = await serveInChild(64);
  const held: http.ClientRequest[] = [];
  try {
    const big = new URL('main.js.map', url).href;
    const u = new URL(big);
    // a slow reader keeps a socket and a file descriptor busy on the server until destroyed
    const slowDownload = () =>
      new Promise<number>((resolve) => {
        const req = http.get({ host: u.hostname, port: u.port, path: u.pathname, agent: false }, (res) => {
          res.pause();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(-1));
        held.push(req);
      });
    // a few downloads one after the other: each gets its file while descriptors are left
    const first: number[] = [];
    for (let i = 0; i < 4; i++) first.push(await slowDownload());
    assert.deepEqual(first, [200, 200, 200, 200]);
    // then a flood that needs more descriptors than the limit allows: refused (503) or not even accepted (-1)
    const statuses = await Promise.all(Array.from({ length: 60 }, slowDownload));
    assert.ok(statuses.some((s) => s === 503 || s === -1), `the limit is reached: ${statuses.join(',')}`);
    assert.equal(child.exitCode, null, `server crashed: ${stderr()}`);
    for (const r of held) r.destroy();
    const recovered = await until(() => child.exitCode === null, 200);
    assert.ok(recovered);
    let ok = 0;
    for (let i = 0; i < 20 && ok === 0; i++) {
      await sleep(100);
      ok = (await get(big).catch(() => ({ status: 0 }) as Reply)).status === 200 ? 1 : 0;
    }
    assert.equal(ok, 1, 'serves again once the clients are gone');
    assert.equal(child.exitCode, null, `server crashed: ${stderr()}`);
  } finally {
    for (const r of held) r.destroy();
    child.kill('SIGTERM');
  }
});
