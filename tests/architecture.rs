//! The code's shape, checked: no cycles between top-level modules or between
//! files, and no function body over 80 lines. Reads `src/**/*.rs` with `syn`
//! (the `crate::`, `super::` and `self::` paths of every `use` and expression),
//! so a new cycle fails `make lint` with the cycle printed.
//!
//! cargo-modules would need rust-analyzer's crates, too slow to build in CI.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_FN_LINES: usize = 80;

/// One source file: its module path (`pages::admin`) and text.
struct File {
    rel: String,
    module: Vec<String>,
    is_mod_file: bool,
    syntax: syn::File,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn load() -> Vec<File> {
    let src = src_dir();
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "main.rs"))
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_string)
                .collect();
            let is_mod_file = matches!(module.last().map(String::as_str), Some("mod" | "lib"));
            if is_mod_file {
                module.pop();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
            File {
                rel,
                module,
                is_mod_file,
                syntax,
            }
        })
        .collect()
}

/// The paths a file names, each as written (`crate::a::b`, `super::c`).
#[derive(Default)]
struct Paths {
    found: Vec<Vec<String>>,
    /// Inline modules entered (`mod x { … }`), so `super` is resolved right.
    depth: usize,
}

impl Paths {
    fn add(&mut self, segments: Vec<String>) {
        // `self.x`, a local `user`, `pub(crate)`: no module is named by one word.
        if segments.len() < 2 {
            return;
        }
        let mut s = segments;
        // Inside an inline module, `super` first climbs out of it.
        for _ in 0..self.depth {
            if s.first().map(String::as_str) == Some("super") {
                s.remove(0);
                s.insert(0, "self".into());
            }
        }
        self.found.push(s);
    }

    fn use_tree(&mut self, prefix: Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                let mut next = prefix;
                next.push(p.ident.to_string());
                self.use_tree(next, &p.tree);
            }
            syn::UseTree::Name(n) => {
                let mut next = prefix;
                next.push(n.ident.to_string());
                self.add(next);
            }
            syn::UseTree::Rename(r) => {
                let mut next = prefix;
                next.push(r.ident.to_string());
                self.add(next);
            }
            syn::UseTree::Glob(_) => {
                let mut next = prefix;
                next.push("*".into());
                self.add(next);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix.clone(), t);
                }
            }
        }
    }
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.add(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_test_only(&m.attrs) {
            return;
        }
        self.depth += 1;
        syn::visit::visit_item_mod(self, m);
        self.depth -= 1;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test_only(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }
}

/// The file a path leads to: the longest module prefix that is a file.
fn resolve(file: &File, path: &[String], modules: &BTreeMap<Vec<String>, usize>) -> Option<usize> {
    let mut here = file.module.clone();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            here.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                here.pop()?;
                rest = &rest[1..];
            }
        }
        Some("self") => rest = &rest[1..],
        // A child module named without `self::` (2018 paths: `use extract::X` in mod.rs).
        Some(first) if file.is_mod_file || file.module.is_empty() => {
            let mut child = here.clone();
            child.push(first.to_string());
            modules.get(&child)?;
        }
        _ => return None,
    }
    let mut best = modules.get(&here).copied();
    for seg in rest {
        here.push(seg.clone());
        match modules.get(&here) {
            Some(&i) => best = Some(i),
            None => break,
        }
    }
    best
}

type Graph = BTreeMap<String, BTreeSet<String>>;

fn graphs(files: &[File]) -> (Graph, Graph) {
    let modules: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect();
    let top = |f: &File| f.module.first().cloned().unwrap_or_else(|| "(lib)".into());
    let (mut by_file, mut by_module) = (Graph::new(), Graph::new());
    for f in files {
        let mut paths = Paths::default();
        paths.visit_file(&f.syntax);
        by_file.entry(f.rel.clone()).or_default();
        by_module.entry(top(f)).or_default();
        for p in paths.found {
            let Some(to) = resolve(f, &p, &modules) else {
                continue;
            };
            let to = &files[to];
            if to.rel != f.rel {
                by_file.get_mut(&f.rel).unwrap().insert(to.rel.clone());
            }
            if top(to) != top(f) {
                by_module.get_mut(&top(f)).unwrap().insert(top(to));
            }
        }
    }
    (by_file, by_module)
}

/// One cycle per strongly connected component with more than one node.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    for start in g.keys() {
        if done.contains(start) {
            continue;
        }
        if let Some(c) = cycle_through(g, start) {
            done.extend(c.iter().cloned());
            out.push(c);
        }
    }
    out
}

/// The shortest path from `start` back to itself (breadth first), if any.
fn cycle_through(g: &Graph, start: &str) -> Option<Vec<String>> {
    let mut prev: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_string()]);
    while let Some(n) = queue.pop_front() {
        for m in g.get(&n).into_iter().flatten() {
            if m == start {
                let mut path = vec![n.clone()];
                while let Some(p) = prev.get(path.last().unwrap()) {
                    path.push(p.clone());
                }
                path.reverse();
                path.push(start.to_string());
                return Some(path);
            }
            if !prev.contains_key(m) && m != start {
                prev.insert(m.clone(), n.clone());
                queue.push_back(m.clone());
            }
        }
    }
    None
}

fn report(what: &str, found: Vec<Vec<String>>) {
    let shown: Vec<String> = found.iter().map(|c| c.join(" -> ")).collect();
    assert!(
        shown.is_empty(),
        "{} cycle(s) between {what}:\n  {}",
        shown.len(),
        shown.join("\n  ")
    );
}

#[test]
fn no_cycles_between_top_level_modules() {
    let (_, by_module) = graphs(&load());
    // The graph is real: the API reaches the database through the registry.
    assert!(by_module["api"].contains("registry"), "{by_module:?}");
    report("top-level modules", cycles(&by_module));
}

#[test]
fn no_cycles_between_files() {
    let (by_file, _) = graphs(&load());
    assert!(by_file["routes.rs"].contains("api/mod.rs"), "{by_file:?}");
    report("files", cycles(&by_file));
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let g: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a", "d"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.into(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c", "a"]]);
}

/// Every function and method body, with its length in lines.
#[derive(Default)]
struct Lengths {
    found: Vec<(String, usize, usize)>,
}

impl Lengths {
    fn body(&mut self, name: String, block: &syn::Block) {
        let span = block.span();
        let lines = span.end().line + 1 - span.start().line;
        self.found.push((name, span.start().line, lines));
    }
}

impl<'ast> Visit<'ast> for Lengths {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.body(f.sig.ident.to_string(), &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.body(f.sig.ident.to_string(), &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(b) = &f.default {
            self.body(f.sig.ident.to_string(), b);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

#[test]
fn no_function_over_80_lines() {
    let mut long = Vec::new();
    let (mut measured, mut longest) = (0, 0);
    for f in load() {
        let mut l = Lengths::default();
        l.visit_file(&f.syntax);
        measured += l.found.len();
        longest = longest.max(l.found.iter().map(|f| f.2).max().unwrap_or(0));
        for (name, line, lines) in l.found {
            if lines > MAX_FN_LINES {
                long.push(format!("src/{}:{line} {name}: {lines} lines", f.rel));
            }
        }
    }
    // Spans carry lines (proc-macro2's `span-locations`), or every body would be one line.
    assert!(measured > 100, "only {measured} functions measured");
    assert!(longest > 40, "the longest body has {longest} lines");
    assert!(
        long.is_empty(),
        "{} function(s) over {MAX_FN_LINES} lines; split them:\n  {}",
        long.len(),
        long.join("\n  ")
    );
}
