//! The walk over one file's forms: which gated builtins its code refers to,
//! what it defines at the top level, what it imports, and where it is dynamic.
//!
//! Code is what Sema would evaluate. Quoted data is not; in a quasi-quote only
//! the unquoted parts are. A macro's body is code-to-be, so inside `defmacro`
//! and `define-syntax` quoted templates count too (over-reporting there beats
//! missing a `shell` hidden in an expansion). A name bound by a parameter,
//! `let`, `do`, a pattern, a selective import or a definition hides the builtin
//! of that name from where it is bound on; a reference before a later
//! top-level definition still counts (it would reach the builtin at load).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use sema_core::{SemaError, SpanMap, Spur, Value, ValueViewRef};

use super::report::{self, ApiItem, DynamicUse, Limits, Report, Use};

/// Everything found so far, over all files of a version.
pub(crate) struct Findings<'l> {
    limits: &'l Limits,
    caps: BTreeSet<&'static str>,
    uses: BTreeSet<Use>,
    dynamic: BTreeSet<DynamicUse>,
    any_dynamic: bool,
    /// Top-level definitions by name, first one wins.
    defs: BTreeMap<String, ApiItem>,
    /// `(module name (export …))` exports as (name, file).
    exports: Vec<(String, String)>,
    imports: BTreeSet<String>,
    notes: Vec<String>,
    files: usize,
    complete: bool,
    nodes_left: usize,
}

impl<'l> Findings<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        Findings {
            limits,
            caps: BTreeSet::new(),
            uses: BTreeSet::new(),
            dynamic: BTreeSet::new(),
            any_dynamic: false,
            defs: BTreeMap::new(),
            exports: Vec::new(),
            imports: BTreeSet::new(),
            notes: Vec::new(),
            files: 0,
            complete: true,
            nodes_left: limits.nodes,
        }
    }

    pub(crate) fn note(&mut self, note: String) {
        self.complete = false;
        if self.notes.len() < self.limits.listed {
            self.notes.push(note);
        }
    }

    /// A file the registry did not read although Sema could run it: its
    /// capabilities are unknown, which makes the version dynamic.
    pub(crate) fn skipped(&mut self, path: &str, why: &str) {
        self.any_dynamic = true;
        self.note(format!("did not read {path}: {why}"));
    }

    /// A file Sema could not read either (it cannot run it).
    pub(crate) fn unreadable(&mut self, path: &str, why: &str) {
        let why: String = why.lines().next().unwrap_or("").chars().take(200).collect();
        self.note(format!("could not read {path}: {why}"));
    }

    pub(crate) fn read_file(&mut self, path: &str, text: &str) {
        self.files += 1;
        if estimated_tokens(text) > self.limits.file_tokens {
            let why = format!("more than {} tokens", self.limits.file_tokens);
            return self.skipped(path, &why);
        }
        if self.nodes_left == 0 {
            return self.skipped(path, "the analysis budget was spent on earlier files");
        }
        let (forms, spans) = match sema_reader::read_many_with_spans(text) {
            Ok(read) => read,
            Err(e) => return self.unreadable(path, &reader_error(&e)),
        };
        let mut walk = FileWalk {
            file: path.to_string(),
            api_file: !is_test_or_example(path),
            spans: &spans,
            line: 1,
            scopes: Vec::new(),
            globals: HashSet::new(),
            heads: HashMap::new(),
            toplevel: true,
            in_macro: false,
            acc: self,
        };
        for form in &forms {
            walk.expr(form);
        }
        if self.nodes_left == 0 {
            self.skipped(path, "the analysis budget ran out in this file");
        }
    }

    pub(crate) fn finish(self) -> Report {
        let listed = self.limits.listed;
        let api = public_api(&self.defs, &self.exports);
        Report {
            analyzer: report::ANALYZER_VERSION,
            sema: super::capability_table::SEMA_VERSION.into(),
            capabilities: report::ordered(self.caps.iter().copied()),
            dynamic: self.any_dynamic,
            dynamic_uses: self.dynamic.into_iter().take(listed).collect(),
            api: api.into_iter().take(listed).collect(),
            imports: self.imports.into_iter().take(listed).collect(),
            uses: self.uses.into_iter().take(listed).collect(),
            files: self.files,
            notes: self.notes,
            complete: self.complete,
        }
    }
}

/// With `module` exports, the exports (with what their definitions say);
/// without, every top-level definition outside tests and examples.
fn public_api(defs: &BTreeMap<String, ApiItem>, exports: &[(String, String)]) -> Vec<ApiItem> {
    if exports.is_empty() {
        return defs.values().cloned().collect();
    }
    let mut out: BTreeMap<&str, ApiItem> = BTreeMap::new();
    for (name, file) in exports {
        out.entry(name).or_insert_with(|| match defs.get(name) {
            Some(d) => d.clone(),
            None => ApiItem {
                name: name.clone(),
                arity: None,
                variadic: false,
                kind: "value".into(),
                file: file.clone(),
            },
        });
    }
    out.into_values().collect()
}

fn reader_error(e: &SemaError) -> String {
    match e.inner() {
        SemaError::Reader { message, span } => format!("line {}: {message}", span.line),
        other => other.user_message(),
    }
}

/// Tests and examples ship in the tarball but are nobody's API.
fn is_test_or_example(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.split('/').any(|part| {
        matches!(
            part,
            "test" | "tests" | "example" | "examples" | "bench" | "benches"
        )
    }) || lower.ends_with("-test.sema")
        || lower.ends_with("_test.sema")
}

/// An upper bound on the reader's tokens, counted without reading: every
/// bracket or quote mark, and every run of other non-space bytes.
fn estimated_tokens(text: &str) -> usize {
    let (mut n, mut in_word) = (0usize, false);
    for b in text.bytes() {
        match b {
            b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'\'' | b'`' | b',' => {
                n += 1;
                in_word = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' => in_word = false,
            _ if !in_word => {
                n += 1;
                in_word = true;
            }
            _ => {}
        }
    }
    n
}

/// What a list's head symbol means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Head {
    Form(Form),
    Gated(&'static [&'static str]),
    Other,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Form {
    Quote,
    Quasiquote,
    Unquote,
    Begin,
    Define,
    Defun,
    Lambda,
    Let,
    Do,
    Defmacro,
    DefineSyntax,
    DefineRecordType,
    DefineValues,
    Defmulti,
    Defmethod,
    Deftool,
    Module,
    Import,
    Load,
    Eval,
    Try,
    Match,
    Case,
    Set,
}

fn form_named(name: &str) -> Option<Form> {
    use Form::*;
    Some(match name {
        "quote" => Quote,
        "quasiquote" => Quasiquote,
        "unquote" | "unquote-splicing" => Unquote,
        "begin" | "progn" => Begin,
        "define" | "def" => Define,
        "defun" | "defn" => Defun,
        "lambda" | "fn" => Lambda,
        "let" | "let*" | "letrec" | "let-values" | "let*-values" => Let,
        "do" => Do,
        "defmacro" => Defmacro,
        "define-syntax" => DefineSyntax,
        "define-record-type" => DefineRecordType,
        "define-values" => DefineValues,
        "defmulti" => Defmulti,
        "defmethod" => Defmethod,
        "deftool" | "defagent" => Deftool,
        "module" => Module,
        "import" => Import,
        "load" => Load,
        "eval" => Eval,
        "try" => Try,
        "match" | "match*" => Match,
        "case" => Case,
        "set!" => Set,
        _ => return None,
    })
}

/// Parameters as the walk needs them.
struct Params {
    bound: Vec<Spur>,
    arity: u32,
    variadic: bool,
}

struct FileWalk<'a, 'l> {
    acc: &'a mut Findings<'l>,
    file: String,
    api_file: bool,
    spans: &'a SpanMap,
    /// The line of the innermost list with a known position.
    line: usize,
    scopes: Vec<HashSet<Spur>>,
    /// Names the file defined at its top level so far.
    globals: HashSet<Spur>,
    heads: HashMap<Spur, Head>,
    /// Directly in the file, a `begin` or a `module` body: definitions here are API.
    toplevel: bool,
    in_macro: bool,
}

impl FileWalk<'_, '_> {
    fn spend(&mut self) -> bool {
        if self.acc.nodes_left == 0 {
            return false;
        }
        self.acc.nodes_left -= 1;
        true
    }

    fn head(&mut self, s: Spur) -> Head {
        *self.heads.entry(s).or_insert_with(|| {
            let name = sema_core::resolve(s);
            match (form_named(&name), report::gated(&name)) {
                (Some(f), _) => Head::Form(f),
                (None, Some(caps)) => Head::Gated(caps),
                (None, None) => Head::Other,
            }
        })
    }

    fn shadowed(&self, s: Spur) -> bool {
        self.globals.contains(&s) || self.scopes.iter().any(|scope| scope.contains(&s))
    }

    fn bind(&mut self, s: Spur) {
        match self.scopes.last_mut() {
            Some(scope) => scope.insert(s),
            None => self.globals.insert(s),
        };
    }

    /// Runs `f` below the top level.
    fn inner(&mut self, f: impl FnOnce(&mut Self)) {
        let top = std::mem::replace(&mut self.toplevel, false);
        f(self);
        self.toplevel = top;
    }

    /// Runs `f` in a new scope holding `bound`.
    fn scoped(&mut self, bound: Vec<Spur>, f: impl FnOnce(&mut Self)) {
        self.scopes.push(bound.into_iter().collect());
        self.inner(f);
        self.scopes.pop();
    }

    fn exprs(&mut self, items: &[Value]) {
        for item in items {
            self.expr(item);
        }
    }

    fn expr(&mut self, v: &Value) {
        if !self.spend() {
            return;
        }
        match v.view_ref() {
            ValueViewRef::Symbol(s) => self.reference(s),
            ValueViewRef::List(_) => self.list(v),
            ValueViewRef::Vector(items) => self.inner(|w| w.exprs(items)),
            ValueViewRef::Map(m) => self.inner(|w| {
                for (k, val) in m {
                    w.expr(k);
                    w.expr(val);
                }
            }),
            ValueViewRef::HashMap(m) => self.inner(|w| {
                for (k, val) in m {
                    w.expr(k);
                    w.expr(val);
                }
            }),
            _ => {}
        }
    }

    fn reference(&mut self, s: Spur) {
        if self.shadowed(s) {
            return;
        }
        match self.head(s) {
            Head::Gated(_) => self.builtin(s),
            Head::Form(Form::Eval) => self.dynamic("eval", "eval passed as a value".into()),
            Head::Form(Form::Load) => {
                self.builtin(s);
                self.dynamic("load", "load passed as a value".into());
            }
            _ => {}
        }
    }

    /// A use of the gated builtin named `s` (a special form may be one too: `load`).
    fn builtin(&mut self, s: Spur) {
        let name = sema_core::resolve(s);
        let Some(caps) = report::gated(&name) else {
            return;
        };
        self.acc.caps.extend(caps.iter().copied());
        self.acc.uses.insert(Use {
            file: self.file.clone(),
            line: self.line,
            builtin: name,
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
        });
    }

    fn dynamic(&mut self, kind: &str, detail: String) {
        self.acc.any_dynamic = true;
        self.acc.dynamic.insert(DynamicUse {
            kind: kind.into(),
            file: self.file.clone(),
            line: self.line,
            detail,
        });
    }

    /// Where the list starts, when the reader recorded it.
    fn line_of(&self, v: &Value) -> Option<usize> {
        let rc = v.as_list_rc().or_else(|| v.as_vector_rc())?;
        self.spans
            .get(&(Rc::as_ptr(&rc) as usize))
            .map(|span| span.line)
    }

    fn list(&mut self, v: &Value) {
        let Some(items) = v.as_list_rc() else { return };
        let saved = self.line;
        if let Some(line) = self.line_of(v) {
            self.line = line;
        }
        let form = match items.first().and_then(Value::as_symbol_spur) {
            Some(s) => match self.head(s) {
                Head::Form(f) => Some(f),
                _ => None,
            },
            None => None,
        };
        match form {
            Some(f) => self.form(f, &items),
            None => self.inner(|w| w.exprs(&items)),
        }
        self.line = saved;
    }

    fn form(&mut self, form: Form, items: &[Value]) {
        let args = &items[1..];
        match form {
            // In a macro body, templates are the code it will expand to.
            Form::Quote | Form::Quasiquote | Form::Unquote if self.in_macro => {
                self.inner(|w| w.exprs(args))
            }
            Form::Quote => {}
            Form::Quasiquote => self.inner(|w| w.quasi_all(args, 1)),
            Form::Unquote => self.inner(|w| w.exprs(args)),
            Form::Begin => self.exprs(args),
            Form::Define => self.define(args),
            Form::Defun => self.defun(args),
            Form::Lambda => self.inner(|w| w.lambda(args)),
            Form::Let => self.inner(|w| w.let_form(args)),
            Form::Do => self.inner(|w| w.do_form(args)),
            Form::Defmacro | Form::DefineSyntax => self.macro_form(form, args),
            Form::DefineRecordType => self.record(args),
            Form::DefineValues => self.define_values(args),
            Form::Defmulti | Form::Deftool => self.named_thing(form, args),
            Form::Defmethod => self.inner(|w| w.defmethod(args)),
            Form::Module => self.module(args),
            Form::Import => self.import(args),
            Form::Load => {
                if let Some(s) = items[0].as_symbol_spur().filter(|s| !self.shadowed(*s)) {
                    self.builtin(s);
                }
                self.load(args);
            }
            Form::Eval => {
                self.dynamic("eval", "evaluates a computed form".into());
                self.inner(|w| w.exprs(args));
            }
            Form::Try => self.inner(|w| w.try_form(args)),
            Form::Match => self.inner(|w| w.clauses(args, true)),
            Form::Case => self.inner(|w| w.clauses(args, false)),
            Form::Set => self.inner(|w| w.exprs(args.get(1..).unwrap_or(&[]))),
        }
    }
}

mod forms;
