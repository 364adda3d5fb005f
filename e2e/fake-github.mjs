// A stand-in for GitHub's OAuth endpoints and user API, for the browser suite.
// Strict like GitHub: client secret, one-use codes, PKCE (S256). POST /__as
// {id, login, email} chooses who approves the next authorisation.
// Prints its port on stdout once listening.
import http from "node:http";
import crypto from "node:crypto";

export const CLIENT_ID = "e2e-client";
export const CLIENT_SECRET = "e2e-secret";
const codes = new Map();
const tokens = new Map();
let account = { id: 1, login: "octo", email: "octo@users.example.com" };

const body = (req) => new Promise((ok) => { let b = ""; req.on("data", (c) => (b += c)); req.on("end", () => ok(b)); });
const json = (res, status, v) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(v)); };

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname === "/__as" && req.method === "POST") {
    account = JSON.parse(await body(req));
    return json(res, 200, { ok: true });
  }
  if (url.pathname === "/login/oauth/authorize") {
    const p = url.searchParams;
    if (p.get("client_id") !== CLIENT_ID || p.get("code_challenge_method") !== "S256") return json(res, 400, { error: "bad request" });
    const code = crypto.randomBytes(16).toString("hex");
    codes.set(code, { challenge: p.get("code_challenge"), redirect: p.get("redirect_uri"), account: { ...account } });
    res.writeHead(302, { location: `${p.get("redirect_uri")}?code=${code}&state=${encodeURIComponent(p.get("state"))}` });
    return res.end();
  }
  if (url.pathname === "/login/oauth/access_token" && req.method === "POST") {
    const form = new URLSearchParams(await body(req));
    const basic = Buffer.from((req.headers.authorization || "").replace(/^Basic /, ""), "base64").toString();
    if (basic !== `${CLIENT_ID}:${CLIENT_SECRET}`) return json(res, 401, { error: "invalid_client" });
    const grant = codes.get(form.get("code"));
    codes.delete(form.get("code"));
    if (!grant) return json(res, 400, { error: "bad_verification_code" });
    const computed = crypto.createHash("sha256").update(form.get("code_verifier") || "").digest("base64url");
    if (computed !== grant.challenge || form.get("redirect_uri") !== grant.redirect) return json(res, 400, { error: "invalid_grant" });
    const token = `gho_${crypto.randomBytes(16).toString("hex")}`;
    tokens.set(token, grant.account);
    return json(res, 200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
  }
  const who = tokens.get((req.headers.authorization || "").replace(/^Bearer /, ""));
  if (url.pathname === "/user") return who ? json(res, 200, { id: who.id, login: who.login, name: null }) : json(res, 401, { message: "Bad credentials" });
  if (url.pathname === "/user/emails") {
    return who ? json(res, 200, [{ email: who.email, primary: true, verified: true }]) : json(res, 401, { message: "Bad credentials" });
  }
  json(res, 404, { message: "Not Found" });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
