// A small static server for dist/ (and, for tests and benchmarks, any folder) on 127.0.0.1.
// It sends COOP/COEP so the page is cross-origin isolated; the page works without it too.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.wav': 'audio/wav',
};

/** Serves `dir`; resolves to { server, url } once listening. Tries the next port if taken. */
export function startServer({ dir = path.join(root, 'dist'), port = 8080, tries = 20, isolate = true } = {}) {
  const server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    const file = path.join(dir, urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    let size;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${urlPath}`);
      return;
    }
    const headers = {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'no-store',
    };
    if (isolate) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
      headers['cross-origin-resource-policy'] = 'same-origin';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    let attempt = 0;
    server.on('error', (err) => {
      if (err.code === 'EADDRINUSE' && port !== 0 && attempt < tries) {
        attempt += 1;
        server.listen(port + attempt, '127.0.0.1');
      } else {
        reject(err);
      }
    });
    server.on('listening', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
    server.listen(port, '127.0.0.1');
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8080);
  startServer({ port }).then(({ url }) => {
    console.log(`\nQuaver is running at ${url}\n(Ctrl+C stops the server)`);
  }, (err) => {
    console.error(`[serve] could not start: ${err.message}`);
    process.exit(1);
  });
}
