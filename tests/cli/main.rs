//! The CLI contract (`../shared/sema-cli-protocol.md` §7), driven with the real
//! `sema` 2.0.0 binary against the registry started by the test. `make test`
//! installs it (SEMA_BIN); a missing binary fails the suite rather than skipping.
#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod admin;
mod analyze;
mod cluster;
mod deprecation;
mod instances;
mod mirror;
#[path = "../common/proxy.rs"]
mod proxy;
mod replica;
mod s3;
mod seed;
mod serve;

use common::{json, TestApp};

fn sema_bin() -> PathBuf {
    let p =
        PathBuf::from(std::env::var("SEMA_BIN").unwrap_or_else(|_| "/opt/sema/bin/sema".into()));
    assert!(
        p.exists(),
        "the real sema 2.0.0 CLI is required at {} (run `make sema`)",
        p.display()
    );
    p
}

/// One person's shell: their own SEMA_HOME, pointed at the registry.
struct Shell {
    home: tempfile::TempDir,
    reg: String,
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Shell {
    fn new(app: &TestApp) -> Shell {
        Shell {
            home: tempfile::tempdir().unwrap(),
            reg: app.base.clone(),
        }
    }

    fn sema(&self, dir: &Path, args: &[&str]) -> Run {
        let out: Output = Command::new(sema_bin())
            .args(args)
            .current_dir(dir)
            .env("SEMA_HOME", self.home.path())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("NO_COLOR", "1")
            .env_remove("SEMA_REGISTRY_URL")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .output()
            .expect("run sema");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `sema pkg …` with `--registry` where the command takes it.
    fn pkg(&self, dir: &Path, args: &[&str]) -> Run {
        let mut all = vec!["pkg"];
        all.extend_from_slice(args);
        if !matches!(args[0], "install" | "update") && !args.contains(&"--token") {
            all.extend_from_slice(&["--registry", &self.reg]);
        }
        self.sema(dir, &all)
    }

    fn login_token(&self, token: &str) {
        let r = self.sema(
            self.home.path(),
            &["pkg", "login", "--token", token, "--registry", &self.reg],
        );
        assert!(r.ok, "{}", r.stderr);
    }
}

fn ok(r: &Run) -> &str {
    assert!(
        r.ok,
        "expected success\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    &r.stdout
}

fn fails(r: &Run) -> &str {
    assert!(!r.ok, "expected failure\nstdout: {}", r.stdout);
    &r.stderr
}

/// A package directory as a Sema author has it, with `.git/` and `target/`.
fn package_dir(name: &str, version: &str, code: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write_package(d.path(), name, version, code);
    std::fs::create_dir_all(d.path().join(".git")).unwrap();
    std::fs::write(d.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir_all(d.path().join("target")).unwrap();
    std::fs::write(d.path().join("target/junk"), vec![0u8; 4096]).unwrap();
    d
}

fn write_package(dir: &Path, name: &str, version: &str, code: &str) {
    std::fs::write(
        dir.join("sema.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"Friendly greetings\"\nrepository = \"https://example.com/{name}\"\nentrypoint = \"package.sema\"\n\n[deps]\n"),
    )
    .unwrap();
    std::fs::write(dir.join("package.sema"), code).unwrap();
    std::fs::write(dir.join("README.md"), format!("# {name}\n\nSays hello.\n")).unwrap();
}

fn project_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sema.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[deps]\n",
    )
    .unwrap();
    d
}

fn lock(dir: &Path) -> toml::Table {
    std::fs::read_to_string(dir.join("sema.lock"))
        .unwrap()
        .parse()
        .unwrap()
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

const V1: &str = "(define (greet name) (string-append \"hello, \" name))\n";
const V2: &str = "(define (greet name) (string-append \"hi again, \" name))\n";

#[tokio::test]
async fn password_login_token_login_and_whoami() {
    let app = TestApp::spawn().await;
    let browser = app.register("alice").await;
    let sh = Shell::new(&app);
    // 1. Password login: POST /auth/login, then POST /tokens with the session cookie.
    let r = sh.sema(
        sh.home.path(),
        &[
            "pkg",
            "login",
            "--username",
            "alice",
            "--password",
            "correct-horse",
            "--registry",
            &sh.reg,
        ],
    );
    ok(&r);
    let creds: toml::Table = std::fs::read_to_string(sh.home.path().join("credentials.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let token = creds["registry"]["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("sema_pat_"));
    let listed = json(
        browser.get(app.url("/api/v1/tokens")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(listed["tokens"][0]["name"], "sema-cli login");
    let who = sh.sema(sh.home.path(), &["pkg", "whoami"]);
    let out = ok(&who);
    assert_eq!(out.lines().next().unwrap(), "alice");
    assert!(out.contains("  email: alice@example.com"));
    assert_eq!(
        out.lines().last().unwrap(),
        format!("  registry: {}", sh.reg)
    );
    let r = sh.sema(
        sh.home.path(),
        &[
            "pkg",
            "login",
            "--username",
            "alice",
            "--password",
            "wrong-horse",
            "--registry",
            &sh.reg,
        ],
    );
    assert!(
        fails(&r).contains("Error: Invalid username or password"),
        "{}",
        r.stderr
    );

    // 2. Token login (no HTTP) and whoami; a revoked token is rejected.
    let other = Shell::new(&app);
    let v = json(
        browser
            .post(app.url("/api/v1/tokens"))
            .json(&serde_json::json!({"name": "ci"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    other.login_token(v["token"].as_str().unwrap());
    let r = other.pkg(other.home.path(), &["whoami"]);
    assert_eq!(ok(&r).lines().next().unwrap(), "alice");
    let r = other.pkg(other.home.path(), &["--json", "whoami"]);
    let parsed: serde_json::Value = serde_json::from_str(ok(&r)).unwrap();
    assert_eq!(parsed["username"], "alice");
    json(
        browser
            .delete(app.url(&format!("/api/v1/tokens/{}", v["id"])))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let r = other.pkg(other.home.path(), &["whoami"]);
    assert!(fails(&r).contains("Token rejected by"), "{}", r.stderr);
}

#[tokio::test]
async fn publish_search_info_add_lock_yank_and_errors() {
    let app = TestApp::spawn().await;
    let (_, alice_token) = app.user_with_token("alice").await;
    let (_, bob_token) = app.user_with_token("bob").await;
    let alice = Shell::new(&app);
    alice.login_token(&alice_token);
    let bob = Shell::new(&app);
    bob.login_token(&bob_token);

    // 3. Publish; the stored blob is what the CLI reported; .git and target stay out.
    let pkg = package_dir("greet", "0.1.0", V1);
    let r = alice.pkg(pkg.path(), &["publish"]);
    let out = ok(&r);
    let line = out
        .lines()
        .find(|l| l.starts_with("✓ Published greet@0.1.0 ("))
        .unwrap_or_else(|| panic!("{out}"));
    let hex = line.rsplit("sha256:").next().unwrap().trim_end_matches(')');
    let blob = app
        .blob_dir
        .path()
        .join(format!("sha256/{}/{hex}.tar.gz", &hex[..2]));
    assert_eq!(sha256_file(&blob), hex);
    let files = app
        .sql_count("SELECT count(*) FROM versions WHERE readme LIKE '# greet%'")
        .await;
    assert_eq!(files, 1);
    let tar = flate2::read::GzDecoder::new(std::fs::File::open(&blob).unwrap());
    let names: Vec<String> = tar::Archive::new(tar)
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with(".git") || n.starts_with("target")),
        "{names:?}"
    );
    // Same version, changed content: 409. Bumped version: success.
    std::fs::write(pkg.path().join("package.sema"), V2).unwrap();
    let r = alice.pkg(pkg.path(), &["publish"]);
    assert!(fails(&r).contains("409"), "{}", r.stderr);
    write_package(pkg.path(), "greet", "0.2.0", V2);
    ok(&alice.pkg(pkg.path(), &["publish"]));

    // 4. Search.
    let r = alice.pkg(pkg.path(), &["search", "greet"]);
    let out = ok(&r);
    assert!(out.contains("Found 1 package:"), "{out}");
    assert!(out.contains("  greet — Friendly greetings"), "{out}");
    let r = alice.pkg(pkg.path(), &["search", "zzz-nothing"]);
    assert!(ok(&r).contains("No packages found for 'zzz-nothing'."));
    let r = alice.pkg(pkg.path(), &["--json", "search", "greet"]);
    let v: serde_json::Value = serde_json::from_str(ok(&r)).unwrap();
    assert_eq!(v["total"], 1);

    // 5. Info: every version, newest first; unknown → 404 text.
    let r = alice.pkg(pkg.path(), &["info", "greet"]);
    let out = ok(&r).to_string();
    assert!(out.starts_with("greet\n"), "{out}");
    assert!(out.contains("  Friendly greetings"));
    assert!(out.contains("  repo: https://example.com/greet"));
    assert!(out.contains("  owners: alice"));
    let (p2, p1) = (out.find("0.2.0 — ").unwrap(), out.find("0.1.0 — ").unwrap());
    assert!(p2 < p1, "{out}");
    let r = alice.pkg(pkg.path(), &["info", "nope"]);
    assert!(
        fails(&r).contains("Error: Fetch package failed (404 Not Found):"),
        "{}",
        r.stderr
    );
    let r = alice.pkg(pkg.path(), &["--json", "info", "greet"]);
    let v: serde_json::Value = serde_json::from_str(ok(&r)).unwrap();
    assert_eq!(v["versions"][0]["version"], "0.2.0");
    assert_eq!(v["owners"][0], "alice");

    // 6. Add latest, import and run.
    let user = Shell::new(&app);
    let proj = project_dir();
    ok(&user.pkg(proj.path(), &["add", "greet"]));
    let l = lock(proj.path());
    let entry = &l["packages"]["greet"];
    assert_eq!(entry["source"].as_str(), Some("registry"));
    assert_eq!(entry["version"].as_str(), Some("0.2.0"));
    assert_eq!(entry["registry"].as_str(), Some(user.reg.as_str()));
    assert_eq!(entry["direct"].as_bool(), Some(true));
    std::fs::write(
        proj.path().join("main.sema"),
        "(import \"greet\")\n(println (greet \"world\"))\n",
    )
    .unwrap();
    let r = user.sema(proj.path(), &["main.sema"]);
    assert_eq!(ok(&r).trim(), "hi again, world");

    // 7. Pinned add.
    let pinned = project_dir();
    ok(&user.pkg(pinned.path(), &["add", "greet@0.1.0"]));
    assert_eq!(
        lock(pinned.path())["packages"]["greet"]["version"].as_str(),
        Some("0.1.0")
    );
    let sum = lock(pinned.path())["packages"]["greet"]["checksum"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(
        pinned.path().join("main.sema"),
        "(import \"greet\")\n(println (greet \"you\"))\n",
    )
    .unwrap();
    assert_eq!(
        ok(&user.sema(pinned.path(), &["main.sema"])).trim(),
        "hello, you"
    );

    // 9. Yank: JSON reply, info marks it, a fresh add skips it, another user's token is 403.
    let r = bob.pkg(pkg.path(), &["yank", "greet@0.1.0"]);
    assert!(fails(&r).contains("403"), "{}", r.stderr);
    let r = alice.pkg(pkg.path(), &["yank", "greet@0.2.0"]);
    assert!(ok(&r).contains("✓ Yanked greet@0.2.0"));
    let r = alice.pkg(pkg.path(), &["info", "greet"]);
    assert!(
        ok(&r)
            .lines()
            .any(|l| l.contains("0.2.0 — ") && l.ends_with("(yanked)")),
        "{}",
        r.stdout
    );
    let fresh = project_dir();
    ok(&user.pkg(fresh.path(), &["add", "greet"]));
    assert_eq!(
        lock(fresh.path())["packages"]["greet"]["version"].as_str(),
        Some("0.1.0")
    );

    // 8. Locked reinstall still works for the yanked 0.2.0 (the first project's lock).
    std::fs::remove_dir_all(user.home.path().join("packages")).unwrap();
    ok(&user.pkg(proj.path(), &["install", "--locked"]));
    assert_eq!(
        ok(&user.sema(proj.path(), &["main.sema"])).trim(),
        "hi again, world"
    );
    // A tampered checksum is caught.
    let text = std::fs::read_to_string(pinned.path().join("sema.lock")).unwrap();
    let flipped = format!(
        "{}{}",
        if sum.starts_with('0') { '1' } else { '0' },
        &sum[1..]
    );
    std::fs::write(
        pinned.path().join("sema.lock"),
        text.replace(&sum, &flipped),
    )
    .unwrap();
    let r = user.pkg(pinned.path(), &["install", "--locked"]);
    assert!(fails(&r).contains("Lock integrity error"), "{}", r.stderr);

    // 10. Someone else's package → 403; a bad name → 400 with the server's reason.
    let theirs = package_dir("greet", "0.3.0", V1);
    let r = bob.pkg(theirs.path(), &["publish"]);
    let e = fails(&r);
    assert!(e.contains("Publish failed (403"), "{e}");
    assert!(e.contains("owner"), "{e}");
    let bad = package_dir("Bad Name!", "0.1.0", V1);
    let r = bob.pkg(bad.path(), &["publish"]);
    let e = fails(&r);
    assert!(e.contains("Publish failed (400"), "{e}");
    assert!(e.contains("invalid package name"), "{e}");
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 2);
}
