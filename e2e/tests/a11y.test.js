// Every page, at a desktop and a phone width, signed out and signed in:
// axe-core finds no serious or critical violation, nothing scrolls sideways
// at 390 px, and each phone screenshot lands in artifacts/ (390-*.png).
// Runs on the demo data that run.sh seeds (alice owns json).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, open, signIn, axeViolations, overflow, shot, BASE } from "../lib/browser.js";

const PUBLIC = [
  ["home", "/"],
  ["search", "/search"],
  ["search-json", "/search?q=json"],
  ["package", "/packages/json"],
  ["package-version", "/packages/json/1.0.0"],
  ["versions", "/packages/json/versions"],
  ["dependencies", "/packages/json-schema/dependencies"],
  ["dependents", "/packages/json/dependents"],
  ["owners", "/packages/json/owners"],
  ["stats", "/packages/json/stats"],
  ["capabilities", "/packages/sema/http/capabilities"],
  ["namespaced", "/packages/sema/http"],
  ["user", "/users/alice"],
  ["login", "/login"],
  ["not-found", "/packages/no-such-package"],
];
const ADMIN = [
  ["admin", "/admin"],
  ["admin-users", "/admin/users"],
  ["admin-packages", "/admin/packages?q=json"],
  ["admin-package", "/admin/packages/json"],
  ["admin-audit", "/admin/audit"],
];
const PRIVATE = [
  ["account", "/account"],
  ["owner-versions", "/packages/json/versions"],
  ["owner-owners", "/packages/json/owners"],
  ["activity", "/packages/json/activity"],
  ["owner-package", "/packages/json"],
];

let browser;
const problems = [];

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Opens every <details> (version list, contents, chart table) so axe sees them too. */
async function openDetails(page) {
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
}

async function audit(pages, { width, signedIn, as = "alice" }) {
  const { context, page } = await open(browser, problems, { viewport: { width, height: 900 } });
  page.expectedErrors = ["status of 404"];
  if (signedIn) {
    await signIn(context, as);
    // A token row: the tokens table is where phones overflowed.
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const res = await fetch(`${BASE}/api/v1/tokens`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ name: `a11y-${width}-with-a-long-name`, expires_in_days: 30 }),
    });
    assert.equal(res.status, 201, await res.text());
  }
  const failures = [];
  for (const [label, path] of pages) {
    await page.goto(path);
    await page.waitForLoadState("load");
    for (const v of await axeViolations(page)) failures.push(`${path} at ${width} px${signedIn ? " signed in" : ""}: ${v}`);
    if (width <= 390) {
      const over = await overflow(page);
      if (over > 0) failures.push(`${path} scrolls ${over} px sideways at ${width} px`);
      await shot(page, `390-${signedIn ? `${as}-` : ""}${label}`);
    }
    await openDetails(page);
    for (const v of await axeViolations(page)) failures.push(`${path} (details open) at ${width} px: ${v}`);
    if (width <= 390) {
      const over = await overflow(page);
      if (over > 0) failures.push(`${path} with its details open scrolls ${over} px sideways at ${width} px`);
    }
  }
  await context.close();
  assert.deepEqual([...new Set(failures)], []);
}

for (const width of [1280, 390]) {
  test(`signed out at ${width} px: no serious axe violations${width === 390 ? ", no sideways scrolling" : ""}`, () =>
    audit(PUBLIC, { width, signedIn: false }));
  test(`signed in at ${width} px: no serious axe violations${width === 390 ? ", no sideways scrolling" : ""}`, () =>
    audit([...PRIVATE, ...PUBLIC.slice(0, 3)], { width, signedIn: true }));
  // run.sh makes the demo's `sema` an administrator.
  test(`administration at ${width} px: no serious axe violations${width === 390 ? ", no sideways scrolling" : ""}`, () =>
    audit(ADMIN, { width, signedIn: true, as: "sema" }));
}

test("the light theme passes too (prefers-color-scheme: light)", async () => {
  const { context, page } = await open(browser, problems, { colorScheme: "light" });
  const failures = [];
  for (const path of ["/", "/packages/json", "/packages/json/stats"]) {
    await page.goto(path);
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), "rgb(246, 243, 236)");
    for (const v of await axeViolations(page)) failures.push(`${path} (light): ${v}`);
  }
  await context.close();
  assert.deepEqual(failures, []);
});

test("no console errors, no external requests", () => {
  assert.deepEqual(problems, []);
});
