// Shared by the Node suites: the Node (CommonJS) build, the repository paths, the build data.
import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
export const here = dirname(fileURLToPath(import.meta.url));
export const pkgDir = resolve(here, "..");
export const root = resolve(pkgDir, "..");
export const build = join(pkgDir, "build");
/** The Node build of the package (pkg/node, CommonJS). */
export const wangge = require(join(pkgDir, "pkg/node/wangge_wasm.js"));

export const text = (path) => readFileSync(path, "utf8");
export const json = (path) => JSON.parse(text(path));
export const bytes = (path) => new Uint8Array(readFileSync(path));

/** Every tests/conformance/*.json document, with its file stem. */
export function conformanceFiles() {
  const dir = join(root, "tests/conformance");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ""), doc: json(join(dir, f)) }));
}

/** The Wuhan city and its dispatcher, as the demo builds them. */
export function wuhanDispatcher() {
  const city = wangge.City.fromBytes(bytes(join(build, "data/wuhan.wgg")));
  const d = wangge.Dispatcher.fromManifest(city, text(join(build, "data/wuhan.toml")), {
    "wuhan/departments.toml": text(join(build, "data/wuhan/departments.toml")),
  });
  return { city, d };
}
