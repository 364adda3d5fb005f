// The registry in a real browser: sign up, tokens, live search, a package
// published through the API, tabs, owner actions. Any console error fails it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const BASE = process.env.E2E_BASE;
if (!BASE) throw new Error("E2E_BASE is not set; run e2e/run.sh");
const ART = new URL("../artifacts/", import.meta.url).pathname;
mkdirSync(ART, { recursive: true });

const suffix = Date.now().toString(36).slice(-5);
const ME = `carol${suffix}`;
const HELPER = `dave${suffix}`;
const PKG = `e2e-demo-${suffix}`;
const PASSWORD = "correct-horse-battery";

let browser, context, page;
let helperCookie;
const problems = [];
// Console errors a step provokes on purpose (an error status the page shows).
const expected = new Set();

// ---- seeding through the API, as the CLI would ----

/** A gzipped tarball of `files` ({path: text}), ustar headers written by hand. */
function tarball(files) {
  const blocks = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write("0000644\0", 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, "0") + "\0", 136);
    h.write("        ", 148);
    h.write("0", 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

async function api(path, { method = "GET", cookie, token, json, form } = {}) {
  const headers = {};
  if (cookie) headers.cookie = cookie;
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  return fetch(`${BASE}/api/v1${path}`, { method, headers, body });
}

async function registerViaApi(username) {
  const res = await api("/auth/register", {
    method: "POST",
    json: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  assert.equal(res.status, 201, `register ${username}: ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

async function publish(token, name, version, readme, description = "A demo package the browser tests publish", keywords = '"demo", "e2e"') {
  const manifest = `[package]\nname = "${name}"\nversion = "${version}"\ndescription = "${description}"\nlicense = "MIT"\nkeywords = [${keywords}]\nrepository = "https://example.com/demo"\nentrypoint = "package.sema"\n\n[deps]\n`;
  const form = new FormData();
  form.append(
    "tarball",
    new Blob([tarball({ "sema.toml": manifest, "package.sema": '(define (hello) "hi")', "README.md": readme })], {
      type: "application/gzip",
    }),
    "package.tar.gz",
  );
  form.append("metadata", JSON.stringify({ description: "d", repository_url: null, sema_version_req: null }));
  const res = await api(`/packages/${name}/${version}`, { method: "PUT", token, form });
  assert.ok([200, 201].includes(res.status), `publish ${name}@${version}: ${res.status} ${await res.text()}`);
}

const README = (v) => `# ${PKG}

Version ${v} of a package published by the **browser tests**.

\`\`\`sema
; say hello
(define (greet name)
  (string-append "hello, " name))
\`\`\`

<script>window.__xss = 1</script>
`;

// ---- browser ----

before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: BASE });
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && ![...expected].some((e) => m.text().includes(e))) problems.push(`console: ${m.text().slice(0, 120)} (${page.url()} ${JSON.stringify(m.location())})`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message} (${page.url()})`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  // Anything not from the registry itself is a failure: no CDN, no third party.
  page.on("request", (r) => {
    if (!r.url().startsWith(BASE) && !r.url().startsWith("data:")) problems.push(`external request: ${r.url()}`);
  });
  // Every owner action asks first; the tests say yes.
  page.on("dialog", (d) => d.accept());
});

after(async () => {
  await browser?.close();
});

/** Set on the window: still there afterwards means no full page load happened. */
async function mark() {
  await page.evaluate(() => {
    window.__noReload = true;
  });
}
async function assertNoReload() {
  assert.equal(await page.evaluate(() => window.__noReload), true, "the page was not reloaded");
}

async function shot(name) {
  // caret "initial": hiding the caret leaves style="" on inputs, which htmx's
  // history snapshot would then replay into a CSP violation.
  await page.screenshot({ path: `${ART}${name}.png`, fullPage: true, caret: "initial" });
}

let token;

test("sign up in the browser", async () => {
  await page.goto("/login");
  const form = page.locator('form[action="/register"]');
  await form.getByLabel("Username").fill(ME);
  await form.getByLabel("Email").fill(`${ME}@example.com`);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/account");
  await page.getByRole("heading", { name: ME, level: 1 }).waitFor();
});

test("create a token and see it exactly once", async () => {
  await mark();
  const form = page.locator("form.token-form");
  await form.getByLabel("Name").fill("browser-ci");
  await form.getByRole("button", { name: "Create token" }).click();
  const secret = page.locator("#token-value");
  await secret.waitFor();
  token = (await secret.textContent()).trim();
  assert.match(token, /^sema_pat_[A-Za-z0-9_-]{43}$/);
  // The new row joined the table without a reload.
  await page.locator("#token-rows tr", { hasText: "browser-ci" }).waitFor();
  await assertNoReload();
  await shot("account-tokens");
  await page.reload();
  await page.locator("#token-rows tr", { hasText: "browser-ci" }).waitFor();
  assert.equal(await page.locator("#token-value").count(), 0, "the secret is not shown again");
  assert.ok(!(await page.content()).includes(token), "the secret is nowhere on the page");
});

test("publish through the API with that token, and a second owner exists", async () => {
  await publish(token, PKG, "0.1.0", README("0.1.0"));
  await publish(token, PKG, "0.2.0", README("0.2.0"));
  // Neighbours, so the lists look like a registry's.
  for (const [n, d, k] of [
    ["json", "Fast JSON encoding and decoding", '"json", "parser"'],
    ["http-client", "HTTP client with connection pooling", '"http", "net"'],
    ["strings", "String utilities: padding, splitting, case conversion", '"string", "text"'],
  ]) {
    await publish(token, `${n}-${suffix}`, "1.0.0", `# ${n}\n\n${d}.`, d, k);
  }
  helperCookie = await registerViaApi(HELPER);
});

test("home page", async () => {
  await page.goto("/");
  await page.getByRole("heading", { name: "Newest" }).waitFor();
  await page.locator(".home-lists a", { hasText: PKG }).first().waitFor();
  await shot("home");
});

test("search as you type", async () => {
  await page.goto("/search");
  await mark();
  await page.locator("#q").pressSequentially(PKG.slice(0, 12), { delay: 40 });
  await page.locator("#results .pkg-name", { hasText: PKG }).waitFor();
  await page.waitForURL((u) => u.searchParams.get("q") === PKG.slice(0, 12));
  await assertNoReload();
  await page.locator("#q").fill("");
  await page.locator("#q").pressSequentially("zzzz", { delay: 40 });
  await page.locator("#results .summary", { hasText: "No packages match “zzzz”" }).waitFor();
  await page.locator("#q").fill("");
  await page.locator("#q").pressSequentially("demo", { delay: 40 });
  await page.locator("#results .pkg-name", { hasText: PKG }).waitFor();
  await shot("search");
});

test("open the package and read its README", async () => {
  await page.locator("#results .pkg-name", { hasText: PKG }).click();
  await page.waitForURL(`**/packages/${PKG}`);
  await page.locator(".readme h2", { hasText: PKG }).waitFor();
  await page.locator(".readme .tok-form", { hasText: "define" }).first().waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined, "README script did not run");
  assert.equal(await page.locator("#install-cmd").textContent(), `sema pkg add ${PKG}`);
  await shot("package");
});

test("switch tabs without reloading", async () => {
  await mark();
  for (const [tab, path, probe] of [
    ["Versions", "/versions", "table.versions"],
    ["Dependencies", "/dependencies", ".tab-panel"],
    ["Capabilities", "/capabilities", ".cap-facts"],
    ["Stats", "/stats", ".chart svg"],
    ["Owners", "/owners", "#owners-panel"],
  ]) {
    await page.locator(".tabs a", { hasText: tab }).click();
    await page.waitForURL(`**/packages/${PKG}${path}`);
    await page.locator(probe).waitFor();
    assert.equal(await page.locator(".tabs a.current").textContent().then((t) => t.trim().startsWith(tab)), true);
  }
  await assertNoReload();
  await page.goBack();
  await page.waitForURL(`**/packages/${PKG}/stats`);
  await page.locator(".chart svg").waitFor();
});

test("add and remove an owner", async () => {
  await page.goto(`/packages/${PKG}/owners`);
  await mark();
  await page.locator("#new-owner").fill(HELPER);
  await page.getByRole("button", { name: "Add owner" }).click();
  await page.locator("#owners-panel .ok", { hasText: `${HELPER} is invited` }).waitFor();
  // Invited is not an owner: not listed until they accept.
  assert.equal(await page.locator("#owners-panel li", { hasText: HELPER }).count(), 0);
  // An unknown user is an error message on the page, not a silent failure.
  expected.add("status of 404");
  await page.locator("#new-owner").fill("nobody-at-all");
  await page.getByRole("button", { name: "Add owner" }).click();
  await page.locator("#flash .error", { hasText: "not found" }).waitFor();
  expected.clear();
  await assertNoReload();
  const accepted = await api(`/me/invitations/${PKG}/accept`, { method: "POST", cookie: helperCookie, json: {} });
  assert.equal(accepted.status, 200, await accepted.text());
  await page.goto(`/packages/${PKG}/owners`);
  await mark();
  await page.locator("#owners-panel li", { hasText: HELPER }).getByRole("button", { name: "Remove" }).click();
  await page.locator("#owners-panel .ok", { hasText: `${HELPER} is no longer an owner` }).waitFor();
  assert.equal(await page.locator("#owners-panel li", { hasText: HELPER }).count(), 0);
  await assertNoReload();
});

test("yank and unyank a version", async () => {
  await page.goto(`/packages/${PKG}/versions`);
  await mark();
  const row = page.locator("table.versions tbody tr", { hasText: "0.2.0" });
  await row.getByRole("button", { name: "Yank 0.2.0", exact: true }).click();
  await row.locator(".badge-yanked").waitFor();
  await row.getByRole("button", { name: "Unyank 0.2.0", exact: true }).click();
  await row.getByRole("button", { name: "Yank 0.2.0", exact: true }).waitFor();
  assert.equal(await row.locator(".badge-yanked").count(), 0);
  await assertNoReload();
  const api0 = await (await fetch(`${BASE}/api/v1/packages/${PKG}`)).json();
  assert.equal(api0.versions.find((v) => v.version === "0.2.0").yanked, false);
});

test("stored XSS payloads stay inert on every page that shows them", async () => {
  const xssPkg = `xss-${suffix}`;
  await publish(token, xssPkg, "1.0.0", "# x\n\n<img src=x onerror=window.__xss=1>\n", "<img src=x onerror=window.__xss=2>", '"<svg onload=window.__xss=3>"');
  await page.goto("/account");
  const form = page.locator("form.token-form");
  await form.getByLabel("Name").fill("<img src=x onerror=window.__xss=4>");
  await form.getByRole("button", { name: "Create token" }).click();
  await page.locator("#new-token code").waitFor();
  for (const path of [`/packages/${xssPkg}`, `/packages/${xssPkg}/versions`, `/search?q=${xssPkg}`, "/account", `/users/${ME}`, "/"]) {
    await page.goto(path);
    assert.equal(await page.evaluate(() => window.__xss), undefined, `a payload ran on ${path}`);
    assert.equal(await page.locator("img[src='x'], svg[onload]").count(), 0, `markup from user data on ${path}`);
  }
  assert.match(await page.content(), /xss-/);
});

test("revoke the token and see the row vanish", async () => {
  await page.goto("/account");
  await mark();
  const row = page.locator("#token-rows tr", { hasText: "browser-ci" });
  await row.getByRole("button", { name: "Revoke" }).click();
  await row.waitFor({ state: "detached" });
  await assertNoReload();
  const res = await api("/me", { token });
  assert.equal(res.status, 401, "the revoked token no longer works");
});

test("no console errors, no external requests", () => {
  assert.deepEqual(problems, []);
});
