// The interactive parts as people use them: live search and the Back button,
// keyboard focus after htmx actions, counts that follow owner changes, the
// confirmation that names the user, Ctrl-click on tabs, copy buttons, and the
// version-aware package page. On the demo data run.sh seeds (alice owns json).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, open, signIn, shot, acceptInvitation, BASE } from "../lib/browser.js";

let browser;
const problems = [];

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const params = (page) => new URL(page.url()).searchParams;

test("live search adds one history entry per search, and Back restores the box", async () => {
  const { context, page } = await open(browser, problems);
  await page.goto("/search");
  const start = await page.evaluate(() => history.length);
  const box = page.locator("#q");
  await box.click();
  // Slower than the 250 ms debounce: one request per keystroke, as a slow typist makes.
  await box.pressSequentially("logging", { delay: 320 });
  await page.waitForURL((u) => u.searchParams.get("q") === "logging");
  await page.locator("#results .summary", { hasText: "“logging”" }).waitFor();
  assert.equal(await page.evaluate(() => history.length), start + 1, "typing 'logging' added one entry");
  assert.ok(!page.url().includes("sort="), `no empty sort in ${page.url()}`);
  // A second search, after leaving the box, is a second entry.
  await page.locator("h1, main").first().click();
  await box.fill("");
  await box.pressSequentially("json", { delay: 320 });
  await page.waitForURL((u) => u.searchParams.get("q") === "json");
  await page.locator("#results .summary", { hasText: "“json”" }).waitFor();
  assert.equal(await page.evaluate(() => history.length), start + 2);
  // Back: the box, the URL and the results agree.
  await page.goBack();
  await page.waitForURL((u) => u.searchParams.get("q") === "logging");
  await page.locator("#results .summary", { hasText: "“logging”" }).waitFor();
  assert.equal(await box.inputValue(), "logging");
  await page.goBack();
  await page.waitForURL((u) => !u.searchParams.get("q"));
  await page.locator("#results .summary").filter({ hasNotText: "“" }).waitFor();
  assert.equal(await box.inputValue(), "");
  await page.goForward();
  await page.waitForURL((u) => u.searchParams.get("q") === "logging");
  await page.locator("#results .summary", { hasText: "“logging”" }).waitFor();
  assert.equal(await box.inputValue(), "logging");
  // The sort joins the URL only when chosen.
  await page.locator("select[name=sort]").selectOption("downloads");
  await page.waitForURL((u) => u.searchParams.get("sort") === "downloads");
  await page.goBack();
  await page.waitForURL((u) => !u.searchParams.has("sort"));
  assert.equal(await page.locator("select[name=sort]").inputValue(), "");
  await context.close();
});

/** The id of the row (tr or li with an id) holding the focused element. */
const focusedRow = (page) => page.evaluate(() => document.activeElement?.closest("[data-row]")?.id ?? document.activeElement?.tagName);

/** Focus is placed just after htmx's swap: wait for it to land in row `id` (or fail). */
const focusSettles = async (page, id) => {
  await page
    .waitForFunction((want) => document.activeElement?.closest("[data-row]")?.id === want, id, { timeout: 5000 })
    .catch(() => {});
  assert.equal(await focusedRow(page), id);
};

test("focus stays on the changed row after yank and unyank", async () => {
  const { context, page } = await open(browser, problems);
  await signIn(context, "alice");
  page.on("dialog", (d) => d.accept());
  await page.goto("/packages/json/versions");
  // 1.0.0 is not yanked in the demo (1.1.0 is); exact names, or "Yank" would match "Unyank".
  const row = page.locator("#v-1-0-0");
  await row.getByRole("button", { name: "Yank 1.0.0", exact: true }).focus();
  await page.keyboard.press("Enter");
  await row.getByRole("button", { name: "Unyank 1.0.0", exact: true }).waitFor();
  await focusSettles(page, "v-1-0-0");
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Unyank/);
  // Enter again on the focused button undoes it, without touching the mouse.
  await page.keyboard.press("Enter");
  await row.getByRole("button", { name: "Yank 1.0.0", exact: true }).waitFor();
  await focusSettles(page, "v-1-0-0");
  await context.close();
});

test("owner changes refresh the counts, name the user, and keep focus", async () => {
  const { context, page } = await open(browser, problems);
  await signIn(context, "alice");
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.accept();
  });
  page.expectedErrors = ["status of 404"];
  await page.goto("/packages/json/owners");
  assert.equal(await page.locator("#n-owners").textContent(), "1");
  await page.locator("#new-owner").fill("bob");
  await page.locator("#new-owner").press("Enter");
  await page.locator("#owners-panel .ok", { hasText: "bob is invited" }).waitFor();
  assert.match(dialogs.pop(), /^Add bob as an owner of json\?/);
  // Invited is not yet an owner: counted once bob accepts.
  assert.equal(await page.locator("#n-owners").textContent(), "1");
  await acceptInvitation("bob", "json");
  await page.reload();
  assert.equal(await page.locator("#n-owners").textContent(), "2");
  assert.match(await page.locator("#side-owners").textContent(), /alice.*bob|bob.*alice/);
  // An error replaces the last notice instead of standing beside it.
  await page.locator("#new-owner").fill("nobody-at-all");
  await page.getByRole("button", { name: "Add owner" }).click();
  await page.locator("#flash .error", { hasText: "not found" }).waitFor();
  assert.equal(await page.locator("#owners-panel .ok").count(), 0);
  await page.locator("#owner-bob").getByRole("button", { name: "Remove bob" }).focus();
  await page.keyboard.press("Enter");
  await page.locator("#owners-panel .ok", { hasText: "bob is no longer an owner" }).waitFor();
  assert.match(dialogs.pop(), /Remove bob as an owner of json/);
  assert.equal(await page.locator("#n-owners").textContent(), "1");
  assert.doesNotMatch(await page.locator("#side-owners").textContent(), /bob/);
  assert.equal(await focusedRow(page), "owner-alice");
  await context.close();
});

test("revoking a token moves focus to the next token", async () => {
  const { context, page } = await open(browser, problems);
  await signIn(context, "bob");
  page.on("dialog", (d) => d.accept());
  await page.goto("/account");
  const tag = Date.now().toString(36);
  const [first, second] = [`first-${tag}`, `second-${tag}`];
  for (const name of [first, second]) {
    await page.locator("form.token-form").getByLabel("Name").fill(name);
    await page.locator("form.token-form").getByRole("button", { name: "Create token" }).click();
    await page.locator("#token-rows tr", { hasText: name }).waitFor();
  }
  const row = page.locator("#token-rows tr", { hasText: second });
  const firstId = await page.locator("#token-rows tr", { hasText: first }).getAttribute("id");
  await row.getByRole("button", { name: /Revoke/ }).focus();
  await page.keyboard.press("Enter");
  await row.waitFor({ state: "detached" });
  assert.equal(await focusedRow(page), firstId);
  await context.close();
});

test("Ctrl-click on a package tab opens it in a new tab", async () => {
  const { context, page } = await open(browser, problems);
  await page.goto("/packages/json");
  const opened = context.waitForEvent("page");
  await page.locator(".tabs a", { hasText: "Versions" }).click({ modifiers: ["Control"] });
  const tab = await opened;
  await tab.waitForLoadState();
  assert.match(tab.url(), /\/packages\/json\/versions$/);
  assert.match(page.url(), /\/packages\/json$/, "the page itself stayed");
  assert.equal(await page.locator(".tabs a.current").textContent(), "README");
  await context.close();
});

test("the version page is about its version; copy is announced", async () => {
  const { context, page } = await open(browser, problems);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  await page.goto("/packages/json/1.1.0");
  assert.equal(await page.locator("#install-cmd").textContent(), "sema pkg add json@1.1.0");
  assert.equal(await page.locator("#toml-line").textContent(), 'json = "1.1.0"');
  await page.locator(".badges", { hasText: "of 1.1.0" }).waitFor();
  await page.locator(".side-links a[download]", { hasText: "1.1.0" }).waitFor();
  // The selector keeps the tab.
  await page.goto("/packages/json/stats");
  await page.locator(".version-picker summary").click();
  await page.locator(".version-picker a", { hasText: "1.0.0" }).click();
  await page.waitForURL("**/packages/json/1.0.0/stats");
  // The chart's numbers are there without hovering.
  await page.locator(".chart-table summary").click();
  assert.ok((await page.locator(".chart-table tbody tr").count()) >= 30);
  await page.goto("/packages/json");
  await page.getByRole("button", { name: "Copy the install command" }).click();
  await page.locator("#announce", { hasText: /Copied|Selected/ }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "sema pkg add json");
  // README: one h1 on the page, headings with anchors, copy on code blocks.
  assert.equal(await page.locator("h1").count(), 1);
  const ids = await page.locator(".readme h2[id], .readme h3[id]").evaluateAll((hs) => hs.map((h) => h.id));
  assert.ok(ids.length >= 2, `README headings with ids: ${ids}`);
  for (const id of ids) assert.equal(await page.locator(`.readme a.anchor[href="#${id}"]`).count(), 1);
  assert.ok((await page.locator(".readme .code-block button.copy").count()) >= 1);
  await page.locator(".readme .code-block button.copy").first().click();
  await page.locator("#announce", { hasText: /Copied|Selected/ }).waitFor();
  await shot(page, "package-desktop");
  await context.close();
});

test("on a phone the README comes first, and taps land on targets of 24 px or more", async () => {
  const { context, page } = await open(browser, problems, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await signIn(context, "alice");
  await page.goto("/packages/json");
  const readme = await page.locator(".readme").boundingBox();
  const side = await page.locator(".pkg-side").boundingBox();
  assert.ok(readme.y < side.y, "the README is above the package facts");
  assert.ok(readme.y < 844, "the README starts on the first screen");
  // Keyboard order follows: keywords, then the tabs, then (after the README) Copy.
  const order = await page.evaluate(() => [...document.querySelectorAll(".kw, .tabs a, .install .copy")].map((e) => e.className || e.tagName));
  assert.ok(order.indexOf("copy") > order.lastIndexOf("kw"), `focus order: ${order}`);
  const small = [];
  for (const [path, selector] of [
    ["/packages/json", ".facts dd a"],
    ["/packages/json", ".tabs a"],
    ["/packages/json", "footer a"],
    ["/account", "label.check input"],
    ["/account", "#token-rows button"],
  ]) {
    await page.goto(path);
    for (const box of await page.locator(selector).evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return [e.textContent.trim() || e.outerHTML.slice(0, 40), r.width, r.height]; }))) {
      if (box[1] < 24 || box[2] < 24) small.push(`${path} ${selector} "${box[0]}" is ${Math.round(box[1])}×${Math.round(box[2])}`);
    }
  }
  assert.deepEqual(small, []);
  await context.close();
});

test("no console errors, no external requests", () => {
  assert.deepEqual(problems, []);
});
