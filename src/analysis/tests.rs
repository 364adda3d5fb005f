//! Fixtures: each capability, dynamic forms, nesting, quoting, shadowing, the
//! API, files that do not parse, and hostile input.

use super::*;
use std::time::Duration;

/// The analysis runs on a thread with the stack the registry gives it.
fn run(files: &[(&str, &str)], limits: Limits) -> Report {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || analyze_sources(&files, &limits))
        .unwrap()
        .join()
        .unwrap()
}

fn one(text: &str) -> Report {
    run(&[("lib.sema", text)], Limits::default())
}

fn caps(text: &str) -> Vec<String> {
    one(text).capabilities
}

fn tarball(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, path, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

#[test]
fn each_capability_through_one_of_its_builtins() {
    let cases = [
        ("(file/read \"x\")", vec!["fs-read"]),
        ("(file/write \"x\" \"y\")", vec!["fs-write"]),
        ("(shell \"ls\")", vec!["shell", "process"]),
        ("(http/get \"https://example.com\")", vec!["network"]),
        ("(env \"HOME\")", vec!["env-read"]),
        ("(sys/set-env \"A\" \"b\")", vec!["env-write"]),
        ("(proc/run \"ls\" [])", vec!["process"]),
        ("(llm/complete \"hi\")", vec!["llm"]),
        ("(serial/open \"/dev/ttyUSB0\" 9600)", vec!["serial"]),
    ];
    for (code, want) in cases {
        assert_eq!(caps(code), want, "{code}");
    }
    assert!(caps("(println (+ 1 2))").is_empty());
}

#[test]
fn every_gated_builtin_of_the_table_is_found_by_name() {
    assert!(capability_table::GATED.len() > 100);
    for (name, want) in capability_table::GATED {
        let found = caps(&format!("({name} 1)"));
        assert_eq!(found, ordered(want.iter().copied()), "{name}");
        // Referred to as a value, it is still used.
        let passed = caps(&format!("(map {name} xs)"));
        assert_eq!(passed, found, "{name} as a value");
    }
}

#[test]
fn uses_say_where() {
    let r = one("(define (main)\n  (let ((x 1))\n    (http/get \"u\")))\n\n(shell \"ls\")\n");
    let at: Vec<(&str, usize, &str)> = r
        .uses
        .iter()
        .map(|u| (u.file.as_str(), u.line, u.builtin.as_str()))
        .collect();
    assert_eq!(at, [("lib.sema", 3, "http/get"), ("lib.sema", 5, "shell")]);
    assert_eq!(r.uses[1].capabilities, ["shell", "process"]);
}

#[test]
fn dynamic_forms_with_their_place() {
    let r = one(
        "(import \"sema/http\")\n(eval (read \"(+ 1 2)\"))\n(load \"extra.sema\")\n(load (str dir \"/x.sema\"))\n(import (str \"sema/\" name))\n(map eval forms)\n",
    );
    assert!(r.dynamic);
    let got: Vec<(&str, usize, &str)> = r
        .dynamic_uses
        .iter()
        .map(|d| (d.kind.as_str(), d.line, d.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("eval", 2, "evaluates a computed form"),
            ("eval", 6, "eval passed as a value"),
            ("import", 5, "imports a computed path"),
            ("load", 3, "loads \"extra.sema\""),
            ("load", 4, "loads a computed path"),
        ]
    );
    assert_eq!(r.imports, ["sema/http"]);
    let plain = one("(import \"sema/http\")\n(import \"./util.sema\" helper)\n(import \"json\")");
    assert!(!plain.dynamic);
    assert!(plain.dynamic_uses.is_empty());
    assert_eq!(plain.imports, ["json", "sema/http"]);
}

#[test]
fn nested_code_is_found() {
    let code = "(defn fetch-all (urls)
                  (when (not (empty? urls))
                    (let* ((n (length urls))
                           (results (map (fn (u) (try (http/get u) (catch e nil))) urls)))
                      {:n n :results (filter some? [results (env \"X\")])})))";
    assert_eq!(caps(code), ["network", "env-read"]);
    assert_eq!(
        caps("(cond ((> x 1) (file/delete \"a\")) (else nil))"),
        ["fs-write"]
    );
    assert_eq!(
        caps("(do ((i 0 (+ i 1))) ((= i 3) (shell \"x\")) (print i))"),
        ["shell", "process"]
    );
    assert_eq!(
        caps("(match x ((a b) (proc/run a b)) (_ nil))"),
        ["process"]
    );
    assert_eq!(
        caps("(case x ((shell) 1) (else (env \"A\")))"),
        ["env-read"]
    );
}

#[test]
fn quoted_data_is_not_a_call() {
    assert!(caps("'(http/get \"x\")").is_empty());
    assert!(caps("(quote (shell \"rm -rf /\"))").is_empty());
    assert!(caps("(define cmds '(shell file/write env))").is_empty());
    assert!(caps("`(shell \"ls\" ,x)").is_empty());
    // Unquoted parts of a quasi-quote are code.
    assert_eq!(caps("`(shell ,(env \"HOME\"))"), ["env-read"]);
    assert_eq!(caps("`(a ,@(map file/read paths))"), ["fs-read"]);
    // Nested: `,(c ,(x))` inside a second quasi-quote reaches level 0 again.
    assert_eq!(caps("`(a `(b ,(c ,(shell \"x\"))))"), ["shell", "process"]);
    assert!(caps("`(a `(b ,(shell \"x\")))").is_empty());
    // Strings, keywords and comments never are code.
    assert!(caps("(print \"(shell x)\" :shell) ; (http/get u)").is_empty());
}

#[test]
fn a_macro_template_is_code_to_be() {
    assert_eq!(
        caps("(defmacro sh! (cmd) `(shell ,cmd))"),
        ["shell", "process"]
    );
    assert_eq!(caps("(defmacro q () '(http/get \"u\"))"), ["network"]);
}

#[test]
fn shadowed_names_are_not_the_builtin() {
    assert!(caps("(defn run (shell) (shell \"x\"))").is_empty());
    assert!(caps("(fn (env) (env :a))").is_empty());
    assert!(caps("(let ((env {:a 1})) (env :a))").is_empty());
    assert!(caps("(let [env {:a 1}] (env :a))").is_empty());
    assert!(caps("(define (file/read p) p)\n(file/read \"x\")").is_empty());
    assert!(caps("(defun shell (x) x) (shell 1)").is_empty());
    assert!(caps("(import \"./local.sema\" shell)\n(shell 1)").is_empty());
    assert!(caps("(match x ((env) (env 1)))").is_empty());
    assert!(caps("(try (f) (catch shell (shell)))").is_empty());
    assert!(caps("(define-record-type env (make-env a) env? (a env-a)) (env)").is_empty());
    // The value of a binding is read before the name exists.
    assert_eq!(caps("(let ((env (env \"HOME\"))) env)"), ["env-read"]);
    assert_eq!(caps("(define env env)"), ["env-read"]);
    // A call before a later top-level definition reaches the builtin.
    assert_eq!(
        caps("(shell \"x\")\n(define (shell c) c)"),
        ["shell", "process"]
    );
    // A local binding ends with its scope.
    assert_eq!(caps("(let ((env 1)) env) (env \"A\")"), ["env-read"]);
    // Another file's definition does not hide the builtin here.
    let two = run(
        &[
            ("a.sema", "(define (shell c) c)"),
            ("b.sema", "(shell \"x\")"),
        ],
        Limits::default(),
    );
    assert_eq!(two.capabilities, ["shell", "process"]);
    assert_eq!(two.uses[0].file, "b.sema");
}

#[test]
fn the_public_api_with_arity() {
    let r = one("(define version \"1.0\")
         (define (get url . opts) url)
         (defun post (url body) url)
         (defn put [url] url)
         (define patch (fn (a b c) a))
         (defmacro with-retry (n . body) body)
         (define-record-type point (make-point x y) point? (x point-x) (y point-y))
         (defn outer () (define inner 1) inner)");
    let api: Vec<(&str, Option<u32>, bool, &str)> = r
        .api
        .iter()
        .map(|a| (a.name.as_str(), a.arity, a.variadic, a.kind.as_str()))
        .collect();
    assert_eq!(
        api,
        [
            ("get", Some(1), true, "function"),
            ("make-point", Some(2), false, "function"),
            ("outer", Some(0), false, "function"),
            ("patch", Some(3), false, "function"),
            ("point", None, false, "record"),
            ("point-x", Some(1), false, "function"),
            ("point-y", Some(1), false, "function"),
            ("point?", Some(1), false, "function"),
            ("post", Some(2), false, "function"),
            ("put", Some(1), false, "function"),
            ("version", None, false, "value"),
            ("with-retry", Some(1), true, "macro"),
        ]
    );
}

#[test]
fn module_exports_are_the_api_and_tests_are_not() {
    let module = "(module http (export get post)\n  (defn get (u) u)\n  (defn post (u b) u)\n  (defn helper () 1))";
    let r = run(
        &[
            ("src/http.sema", module),
            ("tests/http-test.sema", "(defn test-get () 1)"),
        ],
        Limits::default(),
    );
    let names: Vec<(&str, Option<u32>)> =
        r.api.iter().map(|a| (a.name.as_str(), a.arity)).collect();
    assert_eq!(names, [("get", Some(1)), ("post", Some(2))]);
    let plain = run(
        &[
            ("lib.sema", "(defn a () 1)"),
            ("examples/demo.sema", "(defn demo () 1)"),
        ],
        Limits::default(),
    );
    assert_eq!(plain.api.len(), 1);
    assert_eq!(plain.api[0].name, "a");
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_the_rest_analysed() {
    let r = run(
        &[
            ("bad.sema", "(defn broken (x)\n  (shell x)"),
            ("good.sema", "(http/get \"u\")"),
        ],
        Limits::default(),
    );
    assert_eq!(r.capabilities, ["network"]);
    assert_eq!(r.notes.len(), 1);
    assert!(
        r.notes[0].starts_with("could not read bad.sema: line "),
        "{:?}",
        r.notes
    );
    assert!(!r.complete);
    // Sema cannot run it either: not a reason to call the version dynamic.
    assert!(!r.dynamic);
}

#[test]
fn tarballs_are_read_for_sema_files_only() {
    let gz = tarball(&[
        (
            "sema.toml",
            b"[package]\nname = \"x\"\nversion = \"1.0.0\"\n",
        ),
        ("src/lib.sema", b"(defn get (u) (http/get u))"),
        ("README.md", b"(shell \"not code\")"),
        ("src/bad.sema", &[0xff, 0xfe, b'(']),
    ]);
    let r = analyze_tarball_bytes(gz, Limits::default());
    assert_eq!(r.capabilities, ["network"]);
    assert_eq!(r.files, 1);
    assert_eq!(r.notes, ["could not read src/bad.sema: not UTF-8"]);
    assert_eq!(r.api[0].name, "get");
    assert_eq!(r.analyzer, ANALYZER_VERSION);
    assert_eq!(r.sema, "2.0.0");
}

#[test]
fn deep_nesting_is_refused_by_the_reader() {
    let deep = format!("{}(shell 1){}", "(".repeat(50_000), ")".repeat(50_000));
    let r = one(&deep);
    assert!(r.capabilities.is_empty());
    assert!(r.notes[0].contains("nested too deeply"), "{:?}", r.notes);
    // Just under the reader's limit is walked in full.
    let ok = format!("{}(shell 1){}", "(f ".repeat(250), ")".repeat(250));
    assert_eq!(caps(&ok), ["shell", "process"]);
}

#[test]
fn too_many_tokens_are_not_read_and_make_the_version_dynamic() {
    let limits = Limits::default();
    let huge = "(a)".repeat(limits.file_tokens);
    let r = run(&[("big.sema", huge.as_str())], limits);
    assert!(r.dynamic);
    assert!(!r.complete);
    assert_eq!(
        r.notes,
        [format!(
            "did not read big.sema: more than {} tokens",
            limits.file_tokens
        )]
    );
}

#[test]
fn large_and_many_files_stay_within_the_limits() {
    let limits = Limits {
        files: 3,
        file_bytes: 64,
        total_bytes: 15,
        ..Limits::default()
    };
    let big = vec![b' '; 65];
    let env = b"(env \"A\")".to_vec(); // 9 bytes
    let files: Vec<(String, Vec<u8>)> = std::iter::once(("big.sema".to_string(), big))
        .chain((0..5).map(|i| (format!("f{i}.sema"), env.clone())))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    let r = analyze_tarball_bytes(tarball(&refs), limits);
    assert_eq!(r.files, 1);
    assert_eq!(r.capabilities, ["env-read"]);
    assert!(r.dynamic);
    assert_eq!(
        r.notes,
        [
            "did not read big.sema: larger than 64 bytes",
            "did not read f1.sema: the .sema files pass 15 bytes together",
            "did not read f2.sema: more than 3 .sema files",
            "did not read f3.sema: more than 3 .sema files",
            "did not read f4.sema: more than 3 .sema files",
        ]
    );
}

#[test]
fn the_node_budget_stops_the_walk() {
    let limits = Limits {
        nodes: 50,
        ..Limits::default()
    };
    let code = format!("{}(shell 1)", "(print 1 2 3)\n".repeat(100));
    let r = run(
        &[("a.sema", code.as_str()), ("b.sema", code.as_str())],
        limits,
    );
    assert!(r.capabilities.is_empty());
    assert!(r.dynamic);
    assert_eq!(
        r.notes,
        [
            "did not read a.sema: the analysis budget ran out in this file",
            "did not read b.sema: the analysis budget was spent on earlier files",
        ]
    );
}

#[test]
fn the_time_limit_gives_up_with_a_note() {
    let limits = Limits {
        time: Duration::from_millis(20),
        ..Limits::default()
    };
    let slow = move || {
        std::thread::sleep(Duration::from_secs(2));
        Ok(Report::default())
    };
    let r = run_bounded(limits, slow);
    assert_eq!(r.notes, ["analysis stopped after 20ms"]);
    assert!(r.dynamic);
    assert!(!r.complete);
    let panics = run_bounded(Limits::default(), || panic!("boom"));
    assert_eq!(panics.notes, ["analysis failed: the reader panicked"]);
}

#[test]
fn not_a_tarball_is_a_note() {
    let r = analyze_tarball_bytes(b"not gzip".to_vec(), Limits::default());
    assert!(!r.complete);
    assert!(
        r.notes[0].starts_with("could not read the tarball"),
        "{:?}",
        r.notes
    );
}
