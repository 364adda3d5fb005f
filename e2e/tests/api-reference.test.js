// The API reference at /api: reached from the footer, it shows every operation
// of /api/openapi.json (method, path, each documented status) and every schema,
// under the site's CSP with no console error, no outside request and no serious
// axe violation; nothing scrolls sideways on a phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, open, axeViolations, overflow, shot, BASE } from "../lib/browser.js";

let browser;
const problems = [];

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
  assert.deepEqual(problems, [], problems.join("\n"));
});

const METHODS = ["get", "head", "post", "put", "patch", "delete", "options", "trace"];

test("the footer leads to a reference of every operation and schema", async () => {
  const doc = await (await fetch(`${BASE}/api/openapi.json`)).json();
  const { page } = await open(browser, problems);
  await page.goto("/");
  await page.getByRole("contentinfo").getByRole("link", { name: "API" }).click();
  await page.waitForURL(`${BASE}/api`);
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "API reference");
  const csp = (await page.request.get("/api")).headers()["content-security-policy"];
  assert.match(csp, /script-src 'self'/);

  let operations = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS.filter((m) => item[m])) {
      const op = item[method];
      const card = page.locator(`[data-operation="${op.operationId}"]`);
      assert.equal(await card.count(), 1, `${op.operationId} is shown once`);
      const heading = (await card.getByRole("heading", { level: 3 }).textContent()).replace(/\s+/g, " ").trim();
      assert.equal(heading, `${method.toUpperCase()} ${path}`);
      const statuses = await card.locator(".api-status").allTextContents();
      assert.deepEqual(statuses.sort(), Object.keys(op.responses).sort(), `${op.operationId} statuses`);
      // The table of contents links to it.
      assert.equal(await page.locator(`nav a[href="#op-${op.operationId}"]`).count(), 1);
      operations += 1;
    }
  }
  assert.ok(operations >= 25, `${operations} operations`);
  for (const name of Object.keys(doc.components.schemas)) {
    assert.equal(await page.locator(`#schema-${name}`).count(), 1, `schema ${name}`);
  }
  // Links between operations and schemas land somewhere.
  await page.locator('[data-operation="packages_show"] a[href="#schema-PackageDetail"]').first().click();
  assert.ok(await page.locator("#schema-PackageDetail").isVisible());

  assert.deepEqual(await axeViolations(page), []);
  await page.setViewportSize({ width: 390, height: 900 });
  assert.equal(await overflow(page), 0, "no sideways scrolling at 390 px");
  await shot(page, "390-api-reference");
});
