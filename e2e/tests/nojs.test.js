// With JavaScript off, every page still works: search, tabs, the version
// selector, owner changes (errors kept on the Owners tab with the name typed),
// and destructive actions that ask first on a page of their own. Copy buttons,
// which need JavaScript, are not shown. On the demo data (alice owns json).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, open, signIn, shot, acceptInvitation } from "../lib/browser.js";

let browser, context, page;
const problems = [];

before(async () => {
  browser = await launch();
  ({ context, page } = await open(browser, problems, { javaScriptEnabled: false }));
});
after(async () => {
  await browser?.close();
});

test("search, tabs and the version selector are plain links and forms", async () => {
  await page.goto("/");
  await page.locator("#home-q").fill("json");
  await page.locator("#home-q").press("Enter");
  await page.waitForURL((u) => u.pathname === "/search" && u.searchParams.get("q") === "json");
  await page.locator("#results .pkg-name", { hasText: "json-schema" }).waitFor();
  await page.locator("#results .pkg-name", { hasText: /^json$/ }).click();
  await page.waitForURL("**/packages/json");
  assert.equal(await page.locator("button.copy:visible").count(), 0, "no copy button that cannot copy");
  await page.locator(".tabs a", { hasText: "Dependents" }).click();
  await page.waitForURL("**/packages/json/dependents");
  await page.locator(".tab-panel a", { hasText: "json-schema" }).waitFor();
  await page.locator(".version-picker summary").click();
  await page.locator(".version-picker a", { hasText: "1.0.0" }).click();
  await page.waitForURL("**/packages/json/1.0.0/dependents");
  assert.equal(await page.locator("#install-cmd").textContent(), "sema pkg add json@1.0.0");
  await shot(page, "nojs-package");
});

test("owners: a refused name stays in the form with the reason; counts follow", async () => {
  await signIn(context, "alice");
  await page.goto("/packages/json/owners");
  await page.locator("#new-owner").fill("nobody-at-all");
  await page.getByRole("button", { name: "Add owner" }).click();
  await page.waitForURL("**/packages/json/owners");
  await page.locator("#owners-panel .error", { hasText: "not found" }).waitFor();
  assert.equal(await page.locator("#new-owner").inputValue(), "nobody-at-all");
  assert.equal(await page.locator("header.top nav a").first().textContent(), "alice");
  await page.locator("#new-owner").fill("bob");
  await page.getByRole("button", { name: "Add owner" }).click();
  await page.locator("#owners-panel .ok", { hasText: "bob is invited" }).waitFor();
  assert.equal(await page.locator("#n-owners").textContent(), "1");
  // The notice is shown once; bob counts once he accepts.
  await acceptInvitation("bob", "json");
  await page.reload();
  assert.equal(await page.locator("#owners-panel .ok").count(), 0);
  assert.equal(await page.locator("#n-owners").textContent(), "2");
  // Removing asks first, on its own page; Cancel changes nothing.
  await page.locator("#owner-bob").getByRole("button", { name: "Remove bob" }).click();
  await page.getByRole("heading", { name: "Remove bob as an owner of json?" }).waitFor();
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.waitForURL("**/packages/json/owners");
  assert.equal(await page.locator("#n-owners").textContent(), "2");
  await page.locator("#owner-bob").getByRole("button", { name: "Remove bob" }).click();
  await page.getByRole("button", { name: "Remove bob" }).click();
  await page.locator("#owners-panel .ok", { hasText: "bob is no longer an owner" }).waitFor();
  assert.equal(await page.locator("#n-owners").textContent(), "1");
});

test("yanking asks first; unyanking does not", async () => {
  // 1.0.0 is not yanked in the demo (1.1.0 is); exact names, or "Yank" would match "Unyank".
  await page.goto("/packages/json/versions");
  await page.locator("#v-1-0-0").getByRole("button", { name: "Yank 1.0.0", exact: true }).click();
  await page.getByRole("heading", { name: "Yank json 1.0.0?" }).waitFor();
  await shot(page, "nojs-confirm");
  await page.getByRole("button", { name: "Yank 1.0.0", exact: true }).click();
  await page.waitForURL("**/packages/json/versions");
  await page.locator("#v-1-0-0 .badge-yanked").waitFor();
  await page.locator("#v-1-0-0").getByRole("button", { name: "Unyank 1.0.0", exact: true }).click();
  await page.waitForURL("**/packages/json/versions");
  assert.equal(await page.locator("#v-1-0-0 .badge-yanked").count(), 0);
});

test("revoking a token asks first", async () => {
  await page.goto("/account");
  const name = `nojs-${Date.now().toString(36)}`;
  await page.locator("form.token-form").getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  await page.waitForURL("**/account");
  await page.locator("#token-value").waitFor();
  const row = page.locator("#token-rows tr", { hasText: name });
  await row.getByRole("button", { name: /Revoke/ }).click();
  await page.getByRole("heading", { name: `Revoke the token “${name}”?` }).waitFor();
  await page.getByRole("button", { name: `Revoke ${name}` }).click();
  await page.waitForURL("**/account");
  assert.equal(await row.count(), 0);
});

test("no console errors, no external requests", () => {
  assert.deepEqual(problems, []);
});
