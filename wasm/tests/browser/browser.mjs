// Headless Debian Chromium (playwright-core, no browser download) on the demo served from wasm/.
import { chromium } from "playwright-core";
import { serve } from "../../tools/serve.mjs";
import { pkgDir } from "../helpers.mjs";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

/** Starts the server and the browser; every request that is not to the local server is
 *  aborted and recorded in `offsite`. */
export async function openDemo({ width = 1280, height = 800 } = {}) {
  const server = await serve(pkgDir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = await browser.newPage({ viewport: { width, height } });
  const offsite = [], errors = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(server.url) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${server.url}/demo/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120_000 });
  const close = async () => { await browser.close(); await server.close(); };
  return { page, server, browser, offsite, errors, close };
}
