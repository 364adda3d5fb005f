// Sign in with GitHub in a real browser, against the stand-in GitHub that
// run.sh starts: a new account, the username-collision form, connect and
// disconnect from the account page. Any console error fails it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const BASE = process.env.E2E_BASE;
const GITHUB = process.env.E2E_GITHUB;
if (!BASE || !GITHUB) throw new Error("E2E_BASE and E2E_GITHUB must be set; run e2e/run.sh");
const suffix = Date.now().toString(36).slice(-5);
const problems = [];
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser profile whose console errors fail the suite. */
async function freshPage() {
  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text().slice(0, 160)} (${page.url()})`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  return page;
}

async function githubUser(id, login) {
  const res = await fetch(`${GITHUB}/__as`, { method: "POST", body: JSON.stringify({ id, login, email: `${login}@users.example.com` }) });
  assert.equal(res.status, 200);
}

async function signInWithGithub(page) {
  await page.goto("/login");
  await page.getByRole("link", { name: "Sign in with GitHub" }).click();
}

test("a new GitHub user signs in and gets an account", async () => {
  const login = `octo${suffix}`;
  await githubUser(1000, login);
  const page = await freshPage();
  await signInWithGithub(page);
  await page.waitForURL("**/account");
  await page.getByRole("heading", { name: login, level: 1 }).waitFor();
  assert.match(await page.content(), new RegExp(`Connected to GitHub as <strong>${login}</strong>`));
  await page.screenshot({ path: new URL("../artifacts/account-github.png", import.meta.url).pathname, fullPage: true });
});

test("a taken username asks for another one", async () => {
  const taken = `taken${suffix}`;
  const res = await fetch(`${BASE}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: taken, email: `${taken}@example.com`, password: "correct-horse-battery" }),
  });
  assert.equal(res.status, 201);
  await githubUser(1001, taken);
  const page = await freshPage();
  await signInWithGithub(page);
  await page.waitForURL("**/auth/github/username");
  await page.getByRole("heading", { name: "Choose a username" }).waitFor();
  await page.getByLabel("Username").fill(`fresh${suffix}`);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/account");
  await page.getByRole("heading", { name: `fresh${suffix}`, level: 1 }).waitFor();
});

test("connect and disconnect GitHub from the account page", async () => {
  const me = `pw${suffix}`;
  const page = await freshPage();
  await page.goto("/login");
  const form = page.locator('form[action="/register"]');
  await form.getByLabel("Username").fill(me);
  await form.getByLabel("Email").fill(`${me}@example.com`);
  await form.getByLabel("Password").fill("correct-horse-battery");
  await form.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/account");
  await githubUser(1002, `gh${suffix}`);
  await page.getByRole("link", { name: "Connect GitHub" }).click();
  await page.waitForURL("**/account");
  await page.getByText(`Connected to GitHub as gh${suffix}`).waitFor();
  await page.getByRole("button", { name: "Disconnect GitHub" }).click();
  await page.waitForURL("**/account");
  await page.getByRole("link", { name: "Connect GitHub" }).waitFor();
});

test("no console errors", () => {
  assert.deepEqual(problems, []);
});
