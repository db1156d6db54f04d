import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { pipeline } from 'stream';

/**
 * A tiny static file server for the built demo, bound to the loopback interface only.
 * Usage: tsx web/serve.ts [--port 8080] [--root web/dist]
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  // ONNX Runtime Web's module glue (ort/*.mjs), imported by the page and its worker threads
  '.mjs': 'text/javascript; charset=utf-8',
  '.onnx': 'application/octet-stream',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  // tfjs streams-compiles wasm only when served with this type
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.tiff': 'image/tiff',
  '.tif': 'image/tiff',
  '.png': 'image/png',
};

export interface RunningServer {
  url: string;
  /** what the server has done so far (for tests and diagnostics) */
  stats(): ServerStats;
  close(): Promise<void>;
}

export interface ServerStats {
  requests: number;
  /** answered 4xx/5xx because the request or the file system failed (not 404s) */
  errors: number;
  /** file streams currently open: back to 0 once every response has finished or its client has gone */
  openFiles: number;
  /** responses whose client went away before the file was sent */
  aborted: number;
}

/**
 * Serves `root` on 127.0.0.1:`port` (0 = any free port). GET/HEAD only; paths cannot leave `root`.
 * Hostile input never takes it down: any exception in a request answers 400/500 and the server keeps serving; a
 * file stream is destroyed when its client goes away (no descriptor leak on aborted downloads) and its errors,
 * including EMFILE when descriptors run out, answer 503/500 instead of crashing the process.
 */
export function startServer(root: string, port = 8080): Promise<RunningServer> {
  const base = path.resolve(root);
  const stats: ServerStats = { requests: 0, errors: 0, openFiles: 0, aborted: 0 };
  const server = http.createServer((req, res) => {
    stats.requests++;
    serveFile(base, req, res, stats).catch((e) => fail(res, stats, e));
  });
  // malformed HTTP (bad request line, oversized headers): answer 400 if the socket still can, never throw
  server.on('clientError', (_e, socket) => {
    stats.errors++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', reject);
      server.on('error', (e) => console.error(`web demo server: ${e.message}`));
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        url: `http://127.0.0.1:${p}/`,
        stats: () => ({ ...stats }),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

async function serveFile(base: string, req: http.IncomingMessage, res: http.ServerResponse, stats: ServerStats): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...COMMON_HEADERS, allow: 'GET, HEAD' }).end();
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return badRequest(res, stats, 'malformed URL');
  }
  // fs throws on NUL bytes (`/%00`); no file name holds one
  if (rel.includes('\0')) return badRequest(res, stats, 'NUL byte in path');
  const file = path.join(base, path.normalize(rel.endsWith('/') ? rel + 'index.html' : rel));
  if (file !== base && !file.startsWith(base + path.sep)) {
    res.writeHead(403, COMMON_HEADERS).end();
    return;
  }
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG') return notFound(res, rel);
    if (code === 'EMFILE' || code === 'ENFILE') {
      stats.errors++;
      res.writeHead(503, { ...COMMON_HEADERS, 'content-type': 'text/plain', 'retry-after': '1' }).end('server busy: too many open files\n');
      return;
    }
    throw e;
  }
  stats.openFiles++;
  let closed = false;
  const closeHandle = () => {
    if (closed) return;
    closed = true;
    stats.openFiles--;
    handle.close().catch(() => {});
  };
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      closeHandle();
      return notFound(res, rel);
    }
    if (res.destroyed) {
      closeHandle();
      stats.aborted++;
      return;
    }
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': st.size,
      // Cross-origin isolation lets the page use SharedArrayBuffer, so tfjs can run its multi-threaded wasm binary.
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    if (req.method === 'HEAD') {
      closeHandle();
      res.end();
      return;
    }
    const stream = handle.createReadStream({ autoClose: false });
    // pipeline destroys both streams when either ends early (client gone, read error); the handle closes either way
    pipeline(stream, res, (err) => {
      closeHandle();
      if (!err) return;
      if (res.headersSent && (res.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')) stats.aborted++;
      else stats.errors++;
    });
  } catch (e) {
    closeHandle();
    throw e;
  }
}

function notFound(res: http.ServerResponse, rel: string): void {
  res.writeHead(404, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${JSON.stringify(rel)}\n`);
}

function badRequest(res: http.ServerResponse, stats: ServerStats, why: string): void {
  stats.errors++;
  res.writeHead(400, { ...COMMON_HEADERS, 'content-type': 'text/plain' }).end(`bad request: ${why}\n`);
}

/** Last resort for an unexpected exception: 500 if nothing was sent yet, else cut the connection. Never rethrows. */
function fail(res: http.ServerResponse, stats: ServerStats, e: unknown): void {
  stats.errors++;
  console.error(`web demo server: ${e instanceof Error ? e.message : String(e)}`);
  try {
    if (!res.headersSent) res.writeHead(500, { ...COMMON_HEADERS, 'content-type': 'text/plain' }).end('internal error\n');
    else res.destroy();
  } catch {
    res.destroy();
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const root = arg('--root') ?? path.join(__dirname, 'dist');
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    console.error(`${root}/index.html not found: build the demo first (npm run web:build)`);
    process.exitCode = 1;
  } else {
    startServer(root, Number(arg('--port') ?? process.env.PORT ?? 8080)).then(
      (s) => console.log(`grasplab web demo at ${s.url} (Ctrl-C to stop)`),
      (e) => {
        console.error(`cannot serve: ${e instanceof Error ? e.message : e}`);
        process.exitCode = 1;
      },
    );
  }
}
