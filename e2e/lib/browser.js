// Shared by the browser suites: Debian's Chromium, a page whose console errors
// are collected, sign-in through the API, axe-core and the overflow probe.
import assert from "node:assert/strict";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export const BASE = process.env.E2E_BASE;
if (!BASE) throw new Error("E2E_BASE is not set; run e2e/run.sh");
export const ART = new URL("../artifacts/", import.meta.url).pathname;
mkdirSync(ART, { recursive: true });
// The demo data `sema-pkg seed` writes (run.sh seeds the e2e database).
export const DEMO_PASSWORD = "sema-demo-password";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/** A new context and page; console errors, page errors and outside requests land in `problems`. */
export async function open(browser, problems, options = {}) {
  const context = await browser.newContext({ baseURL: BASE, viewport: { width: 1280, height: 900 }, colorScheme: "dark", ...options });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !(page.expectedErrors || []).some((e) => m.text().includes(e))) {
      problems.push(`console: ${m.text().slice(0, 160)} (${page.url()})`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message} (${page.url()})`));
  page.on("request", (r) => {
    if (!r.url().startsWith(BASE) && !r.url().startsWith("data:")) problems.push(`external request: ${r.url()}`);
  });
  return { context, page };
}

/** Signs the context in as `username` (the session cookie of the JSON login). */
export async function signIn(context, username, password = DEMO_PASSWORD) {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(res.status, 200, `sign in ${username}: ${await res.text()}`);
  const cookies = res.headers.getSetCookie().map((c) => {
    const [pair] = c.split(";");
    const i = pair.indexOf("=");
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: BASE };
  });
  await context.addCookies(cookies);
}

/** `username` accepts the invitation to own `name` (owners join only by accepting). */
export async function acceptInvitation(username, name, password = DEMO_PASSWORD) {
  const login = await fetch(`${BASE}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(login.status, 200, `sign in ${username}: ${await login.text()}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const res = await fetch(`${BASE}/api/v1/me/invitations/${name}/accept`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: "{}",
  });
  assert.equal(res.status, 200, `${username} accepts ${name}: ${await res.text()}`);
}

/**
 * axe-core's serious and critical violations on the page, as "rule: target"
 * lines. It runs through the DevTools protocol, which the page's CSP does not
 * govern, so the page keeps its real policy.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}: ${v.help}) at ${v.targets.join(", ")}`);
}

/** How far the page scrolls sideways (0 when it fits the viewport). */
export function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export async function shot(page, name) {
  // caret "initial": hiding the caret leaves style="" on inputs, which htmx's
  // history snapshot would then replay into a CSP violation.
  await page.screenshot({ path: `${ART}${name}.png`, fullPage: true, caret: "initial" });
}
