// Lighthouse (npm) in Debian's Chromium on the pages people use most, signed
// out and (for /account) signed in; prints a table and fails when
// Accessibility or Best Practices falls under MIN (98). Reports land in
// ../artifacts/lighthouse/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";

const BASE = process.env.E2E_BASE;
if (!BASE) throw new Error("E2E_BASE is not set; run e2e/lighthouse/run.sh");
const MIN = Number(process.env.LIGHTHOUSE_MIN || 98);
const OUT = new URL("../artifacts/lighthouse/", import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

async function sessionCookie(username, password) {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign in: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

const cookie = await sessionCookie("alice", "sema-demo-password");
const pages = [
  ["home", "/", null],
  ["search", "/search?q=json", null],
  ["package", "/packages/json", null],
  ["account", "/account", cookie],
];
const categories = ["performance", "accessibility", "best-practices", "seo"];
const rows = [];
let failed = false;
for (const [label, path, cookieHeader] of pages) {
  for (const preset of ["mobile", "desktop"]) {
    const report = `${OUT}${label}-${preset}.json`;
    const args = [
      `${BASE}${path}`,
      "--quiet",
      "--output=json",
      `--output-path=${report}`,
      `--only-categories=${categories.join(",")}`,
      "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking",
    ];
    if (preset === "desktop") args.push("--preset=desktop");
    if (cookieHeader) args.push(`--extra-headers=${JSON.stringify({ Cookie: cookieHeader })}`);
    execFileSync(new URL("node_modules/.bin/lighthouse", import.meta.url).pathname, args, {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, CHROME_PATH: process.env.CHROME_PATH || "/usr/bin/chromium" },
    });
    const lhr = JSON.parse(readFileSync(report, "utf8"));
    const score = (c) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
    const row = { page: path, preset, ...Object.fromEntries(categories.map((c) => [c, score(c)])) };
    rows.push(row);
    for (const c of ["accessibility", "best-practices"]) {
      if (row[c] < MIN) {
        failed = true;
        const audits = Object.values(lhr.audits).filter((a) => a.score !== null && a.score < 1 && lhr.categories[c].auditRefs.some((r) => r.id === a.id && r.weight > 0));
        console.error(`${path} (${preset}): ${c} ${row[c]} < ${MIN}: ${audits.map((a) => a.id).join(", ")}`);
      }
    }
  }
}
console.log("| page | form factor | Performance | Accessibility | Best Practices | SEO |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) console.log(`| \`${r.page}\` | ${r.preset} | ${r.performance} | ${r.accessibility} | ${r["best-practices"]} | ${r.seo} |`);
process.exit(failed ? 1 : 0);
