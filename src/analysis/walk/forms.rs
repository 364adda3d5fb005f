//! The special forms that bind names, define things or hold data.

use sema_core::{Spur, Value, ValueViewRef};

use super::{FileWalk, Form, Head, Params};
use crate::analysis::ApiItem;

/// `name`, when `v` is a symbol.
fn symbol(v: Option<&Value>) -> Option<Spur> {
    v.and_then(Value::as_symbol_spur)
}

/// The elements of a list or vector.
fn seq(v: &Value) -> Option<&[Value]> {
    match v.view_ref() {
        ValueViewRef::List(items) | ValueViewRef::Vector(items) => Some(items),
        _ => None,
    }
}

fn is_symbol(v: &Value, name: &str) -> bool {
    v.as_symbol().is_some_and(|s| s == name)
}

impl FileWalk<'_, '_> {
    /// Records a top-level definition as API (outside tests and examples).
    fn api(&mut self, name: Spur, kind: &str, arity: Option<(u32, bool)>) {
        if !self.toplevel || !self.api_file {
            return;
        }
        let name = sema_core::resolve(name);
        let file = self.file.clone();
        self.acc.defs.entry(name.clone()).or_insert(ApiItem {
            name,
            arity: arity.map(|a| a.0),
            variadic: arity.is_some_and(|a| a.1),
            kind: kind.into(),
            file,
        });
    }

    /// Every symbol a binding pattern binds (`x`, `[a b]`, `{:keys [x y]}`).
    fn pattern_symbols(&mut self, v: &Value, out: &mut Vec<Spur>) {
        if !self.spend() {
            return;
        }
        match v.view_ref() {
            ValueViewRef::Symbol(s)
                if !matches!(sema_core::resolve(s).as_str(), "." | "_" | "&") =>
            {
                out.push(s)
            }
            ValueViewRef::List(items) | ValueViewRef::Vector(items) => {
                for item in items {
                    self.pattern_symbols(item, out);
                }
            }
            ValueViewRef::Map(m) => {
                for (k, val) in m {
                    self.pattern_symbols(k, out);
                    self.pattern_symbols(val, out);
                }
            }
            _ => {}
        }
    }

    /// `(a b . rest)` or `[a b]`; a lone symbol takes every argument.
    fn params(&mut self, items: &[Value]) -> Params {
        let mut p = Params {
            bound: Vec::new(),
            arity: 0,
            variadic: false,
        };
        for item in items {
            if is_symbol(item, ".") || is_symbol(item, "&") {
                p.variadic = true;
                continue;
            }
            if !p.variadic {
                p.arity += 1;
            }
            self.pattern_symbols(item, &mut p.bound);
        }
        p
    }

    /// The arity of `(lambda (params) …)` / `(fn [params] …)`.
    fn lambda_arity(&mut self, v: &Value) -> Option<(u32, bool)> {
        let items = v.as_list_rc()?;
        let head = symbol(items.first())?;
        if self.head(head) != Head::Form(Form::Lambda) {
            return None;
        }
        let p = self.params(seq(items.get(1)?)?);
        Some((p.arity, p.variadic))
    }

    /// `(lambda (params) body…)`.
    pub(super) fn lambda(&mut self, args: &[Value]) {
        match args.first().and_then(seq) {
            Some(params) => {
                let p = self.params(params);
                self.scoped(p.bound, |w| w.exprs(&args[1..]));
            }
            None => self.exprs(args),
        }
    }

    /// `(define name value)`, `(define (name params) body…)`, `(define [a b] value)`.
    pub(super) fn define(&mut self, args: &[Value]) {
        let Some(target) = args.first() else { return };
        if let Some(name) = target.as_symbol_spur() {
            let arity = args.get(1).and_then(|v| self.lambda_arity(v));
            // The value is read before the name exists: `(define env env)` is the builtin.
            self.inner(|w| w.exprs(&args[1..]));
            self.bind(name);
            let kind = if arity.is_some() { "function" } else { "value" };
            return self.api(name, kind, arity);
        }
        let signature = match target.view_ref() {
            ValueViewRef::List(sig) => Some(sig),
            _ => None,
        };
        match signature.map(|sig| (symbol(sig.first()), sig)) {
            Some((Some(name), sig)) => {
                self.bind(name);
                let p = self.params(&sig[1..]);
                self.api(name, "function", Some((p.arity, p.variadic)));
                self.scoped(p.bound, |w| w.exprs(&args[1..]));
            }
            _ => {
                self.inner(|w| w.exprs(&args[1..]));
                let mut bound = Vec::new();
                self.pattern_symbols(target, &mut bound);
                for name in bound {
                    self.bind(name);
                    self.api(name, "value", None);
                }
            }
        }
    }

    /// `(defun name (params) body…)`.
    pub(super) fn defun(&mut self, args: &[Value]) {
        let Some(name) = symbol(args.first()) else {
            return self.inner(|w| w.exprs(args));
        };
        self.bind(name);
        let params = args.get(1).and_then(seq).unwrap_or(&[]);
        let p = self.params(params);
        self.api(name, "function", Some((p.arity, p.variadic)));
        self.scoped(p.bound, |w| w.exprs(args.get(2..).unwrap_or(&[])));
    }

    /// `(defmacro name (params) body…)`, `(define-syntax name transformer)`.
    pub(super) fn macro_form(&mut self, form: Form, args: &[Value]) {
        let name = symbol(args.first());
        let (p, body) = match (form, args.get(1).and_then(seq)) {
            (Form::Defmacro, Some(params)) => (Some(self.params(params)), args.get(2..)),
            _ => (None, args.get(1..)),
        };
        if let Some(name) = name {
            self.bind(name);
            self.api(name, "macro", p.as_ref().map(|p| (p.arity, p.variadic)));
        }
        let bound = p.map(|p| p.bound).unwrap_or_default();
        let outer = std::mem::replace(&mut self.in_macro, true);
        self.scoped(bound, |w| w.exprs(body.unwrap_or(&[])));
        self.in_macro = outer;
    }

    /// `(let ((x v) …) body…)`, named `(let loop (…) body…)`, `(let [x v …] body…)`.
    pub(super) fn let_form(&mut self, args: &[Value]) {
        let named = symbol(args.first());
        let skip = usize::from(named.is_some());
        let Some(bindings) = args.get(skip) else {
            return;
        };
        self.scopes.push(named.into_iter().collect());
        let items = seq(bindings).unwrap_or(&[]);
        // Clojure style, `[x 1 y 2]`: name, value, name, value.
        let flat = matches!(bindings.view_ref(), ValueViewRef::Vector(_))
            && items.first().is_some_and(|b| seq(b).is_none());
        let pairs: Vec<(&Value, &[Value])> = if flat {
            items
                .chunks(2)
                .map(|c| (&c[0], c.get(1..).unwrap_or(&[])))
                .collect()
        } else {
            items
                .iter()
                .filter_map(|b| seq(b).and_then(|b| Some((b.first()?, &b[1..]))))
                .collect()
        };
        for (pattern, init) in pairs {
            // Each value is read before its name is bound (`(let ((env (env "X"))) …)`).
            self.exprs(init);
            let mut bound = Vec::new();
            self.pattern_symbols(pattern, &mut bound);
            for s in bound {
                self.bind(s);
            }
        }
        self.exprs(args.get(skip + 1..).unwrap_or(&[]));
        self.scopes.pop();
    }

    /// `(do ((var init step) …) (test result…) body…)`.
    pub(super) fn do_form(&mut self, args: &[Value]) {
        let specs: Vec<&[Value]> = args
            .first()
            .and_then(seq)
            .map(|s| s.iter().filter_map(seq).collect())
            .unwrap_or_default();
        self.scopes.push(Default::default());
        for spec in &specs {
            self.exprs(spec.get(1..2).unwrap_or(&[]));
        }
        for spec in &specs {
            if let Some(s) = symbol(spec.first()) {
                self.bind(s);
            }
        }
        for spec in &specs {
            self.exprs(spec.get(2..).unwrap_or(&[]));
        }
        self.exprs(args.get(1..).unwrap_or(&[]));
        self.scopes.pop();
    }

    /// `(define-record-type T (make-t field…) t? (field accessor)…)`: only names.
    pub(super) fn record(&mut self, args: &[Value]) {
        if let Some(t) = symbol(args.first()) {
            self.bind(t);
            self.api(t, "record", None);
        }
        if let Some(ctor) = args.get(1).and_then(seq) {
            if let Some(name) = symbol(ctor.first()) {
                self.bind(name);
                self.api(name, "function", Some((ctor.len() as u32 - 1, false)));
            }
        }
        if let Some(pred) = symbol(args.get(2)) {
            self.bind(pred);
            self.api(pred, "function", Some((1, false)));
        }
        for field in args.get(3..).unwrap_or(&[]).iter().filter_map(seq) {
            if let Some(accessor) = symbol(field.get(1)) {
                self.bind(accessor);
                self.api(accessor, "function", Some((1, false)));
            }
        }
    }

    /// `(define-values (a b) expr)`.
    pub(super) fn define_values(&mut self, args: &[Value]) {
        self.inner(|w| w.exprs(args.get(1..).unwrap_or(&[])));
        let mut bound = Vec::new();
        if let Some(target) = args.first() {
            self.pattern_symbols(target, &mut bound);
        }
        for name in bound {
            self.bind(name);
            self.api(name, "value", None);
        }
    }

    /// `(defmulti name dispatch)`, `(deftool name …)`, `(defagent name …)`.
    pub(super) fn named_thing(&mut self, form: Form, args: &[Value]) {
        self.inner(|w| w.exprs(args.get(1..).unwrap_or(&[])));
        if let Some(name) = symbol(args.first()) {
            self.bind(name);
            let kind = match form {
                Form::Defmulti => "multimethod",
                _ => "tool",
            };
            self.api(name, kind, None);
        }
    }

    /// `(defmethod name dispatch-value (params) body…)`.
    pub(super) fn defmethod(&mut self, args: &[Value]) {
        self.exprs(args.get(1..2).unwrap_or(&[]));
        match args.get(2).and_then(seq) {
            Some(params) => {
                let p = self.params(params);
                self.scoped(p.bound, |w| w.exprs(args.get(3..).unwrap_or(&[])));
            }
            None => self.exprs(args.get(2..).unwrap_or(&[])),
        }
    }

    /// `(module name (export a b …) body…)`: the exports are the API.
    pub(super) fn module(&mut self, args: &[Value]) {
        if let Some(export) = args.get(1).and_then(seq) {
            if export.first().is_some_and(|h| is_symbol(h, "export")) {
                for name in export[1..].iter().filter_map(Value::as_symbol) {
                    self.acc.exports.push((name, self.file.clone()));
                }
            }
        }
        // The body is the module's top level.
        self.exprs(args.get(2..).unwrap_or(&[]));
    }

    /// `(import "pkg" names…)`: a literal names a package or a file; anything
    /// else is computed at run time.
    pub(super) fn import(&mut self, args: &[Value]) {
        let Some(path) = args.first() else { return };
        match path.as_str() {
            Some(spec) => {
                if is_package(spec) {
                    let spec: String = spec.chars().take(200).collect();
                    self.acc.imports.insert(spec);
                }
                for name in args[1..].iter().filter_map(Value::as_symbol_spur) {
                    self.bind(name);
                }
            }
            None => {
                self.dynamic("import", "imports a computed path".into());
                self.inner(|w| w.exprs(args));
            }
        }
    }

    /// `(load path)`: always dynamic (it evaluates a file as it is at run time).
    pub(super) fn load(&mut self, args: &[Value]) {
        let detail = match args.first().and_then(Value::as_str) {
            Some(p) => format!("loads {:?}", p.chars().take(200).collect::<String>()),
            None => "loads a computed path".into(),
        };
        self.dynamic("load", detail);
        self.inner(|w| w.exprs(args));
    }

    /// `(try body… (catch e handler…))`.
    pub(super) fn try_form(&mut self, args: &[Value]) {
        for (i, item) in args.iter().enumerate() {
            let catch = seq(item).filter(|c| {
                i + 1 == args.len() && c.first().is_some_and(|h| is_symbol(h, "catch"))
            });
            match catch {
                Some(c) => {
                    let bound = symbol(c.get(1)).into_iter().collect();
                    self.scoped(bound, |w| w.exprs(c.get(2..).unwrap_or(&[])));
                }
                None => self.expr(item),
            }
        }
    }

    /// `(match x (pattern body…)…)` binds the pattern's names; `(case x
    /// ((datum…) body…)…)` holds data.
    pub(super) fn clauses(&mut self, args: &[Value], patterns: bool) {
        self.exprs(args.get(..1).unwrap_or(&[]));
        for clause in args.get(1..).unwrap_or(&[]) {
            let Some(items) = seq(clause).filter(|c| !c.is_empty()) else {
                self.expr(clause);
                continue;
            };
            let mut bound = Vec::new();
            if patterns {
                self.pattern_symbols(&items[0], &mut bound);
            }
            self.scoped(bound, |w| w.exprs(&items[1..]));
        }
    }

    pub(super) fn quasi_all(&mut self, items: &[Value], level: usize) {
        for item in items {
            self.quasi(item, level);
        }
    }

    /// Quasi-quoted data: only what is unquoted at this level is code.
    fn quasi(&mut self, v: &Value, level: usize) {
        if !self.spend() {
            return;
        }
        match v.view_ref() {
            ValueViewRef::List(items) => {
                let head = symbol(items.first()).map(|s| self.head(s));
                let saved = self.line;
                if let Some(line) = self.line_of(v) {
                    self.line = line;
                }
                match head {
                    Some(Head::Form(Form::Unquote)) if level == 1 => self.exprs(&items[1..]),
                    Some(Head::Form(Form::Unquote)) => self.quasi_all(&items[1..], level - 1),
                    Some(Head::Form(Form::Quasiquote)) => self.quasi_all(&items[1..], level + 1),
                    _ => self.quasi_all(items, level),
                }
                self.line = saved;
            }
            ValueViewRef::Vector(items) => self.quasi_all(items, level),
            ValueViewRef::Map(m) => {
                for (k, val) in m {
                    self.quasi(k, level);
                    self.quasi(val, level);
                }
            }
            _ => {}
        }
    }
}

/// A package import, as sema-core's `is_package_import` tells them from files
/// (it also looks at the local packages folder for bare names; a registry
/// reading a tarball takes every bare name as a package).
fn is_package(spec: &str) -> bool {
    !(spec.is_empty()
        || spec.starts_with("./")
        || spec.starts_with("../")
        || spec.ends_with(".sema")
        || spec.starts_with('/')
        || spec.contains(':')
        || spec.contains('\\'))
}
