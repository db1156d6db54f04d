import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

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
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1:`port` (0 = any free port). GET/HEAD only; paths cannot leave `root`. */
export function startServer(root: string, port = 8080): Promise<RunningServer> {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = path.join(base, path.normalize(rel.endsWith('/') ? rel + 'index.html' : rel));
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}\n`);
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-cache',
        // Cross-origin isolation lets the page use SharedArrayBuffer, so tfjs can run its multi-threaded wasm binary.
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        url: `http://127.0.0.1:${p}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
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
