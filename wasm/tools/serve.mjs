// A static file server for the demo and the browser tests: serves wasm/ on 127.0.0.1 only,
// ignores query strings (MapLibre asks for its worker as `…-worker.mjs?v=…`), sends .wasm as
// application/wasm. `node tools/serve.mjs [port]` prints the demo's address.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".toml": "text/plain; charset=utf-8",
  ".csv": "text/plain; charset=utf-8",
  ".png": "image/png",
};

/** Serves `dir` on 127.0.0.1 (port 0 = any free port); resolves to { url, close }. */
export function serve(dir, port = 0) {
  const rootDir = resolve(dir);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const file = normalize(join(rootDir, path.endsWith("/") ? `${path}index.html` : path));
    if (file !== rootDir && !file.startsWith(rootDir + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
    }
  });
  return new Promise((ok) => {
    server.listen(port, "127.0.0.1", () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      ok({ url, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  const { url } = await serve(resolve(here, ".."), Number(process.argv[2] ?? 8765));
  console.log(`wangge demo: ${url}/demo/`);
}
