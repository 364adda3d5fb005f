//! Package search over Postgres full-text search and pg_trgm.
//!
//! Matching: every query word must occur in the package's weighted document
//! (name A, keywords B, description C, README D; stemmed or not), or the whole
//! query is a prefix of the name or of one of its `-`/`/` parts (`ht` finds
//! `http`), or it is a close trigram match of the name (`jsno` finds `json`).
//! Ranking: exact canonical name first, then `ts_rank_cd`, then 90-day
//! downloads, then name. Only candidates are ranked: the exact name, and for
//! the name-prefix path and the full-text path each, the most popular matches
//! up to a window (`RANK_WINDOW`, widened for deeper pages), so a word that
//! half the registry contains costs the window and not half the registry.
//! Totals are exact up to `TOTAL_MAX`, then capped and flagged. `keyword:`,
//! `owner:` and `ns:` filter, in the query or as parameters. Input of any shape is safe: query words are reduced to
//! letters and digits and only ever reach Postgres as bound parameters; the SQL
//! text is assembled from fixed fragments.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde::{Deserialize, Serialize};

use super::names;
use crate::error::{AppError, AppResult};

pub const PER_PAGE_MAX: i64 = 100;
pub const PER_PAGE_DEFAULT: i64 = 20;
/// Longer queries are cut here: nothing longer is a useful search, and it
/// bounds the work a request can ask for.
const QUERY_MAX_CHARS: usize = 512;
const WORDS_MAX: usize = 16;
const WORD_MAX_CHARS: usize = 64;
/// Typo matches kept per query; they are a fallback, not the result set.
const FUZZY_MAX: i64 = 50;
/// pg_trgm similarity that still catches a swapped pair in a four-letter name
/// (`jsno`/`json` is 0.25; the default 0.3 misses it).
const FUZZY_THRESHOLD: &str = "0.25";
/// Results served per query, and where counting stops: past it `total` is
/// this number and `total_capped` is true. A registry search is read in its
/// first pages; counting a word that half the registry contains is not free.
pub const TOTAL_MAX: i64 = 1000;
/// Candidates ranked per matching path (name prefix, full text), taken in
/// popularity order (see migration 000005); a deeper page widens it.
const RANK_WINDOW: i64 = 50;
/// Most popular packages a one-word query looks through before it asks GIN
/// for every match instead.
const WALK_MAX: i64 = 4000;
/// Matches of a several-word query considered for its window (any beyond
/// are not ranked): bounds the work when the words are all common.
const MULTI_WORD_MAX: i64 = 2000;
/// How much of a README the search document reads (the rest adds no signal).
pub const README_EXCERPT_CHARS: usize = 4000;

/// Query string of `GET /api/v1/search` and the web search page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub sort: Option<String>,
    /// Same as `keyword:x` in `q`.
    pub keyword: Option<String>,
    /// Same as `owner:x` in `q`.
    pub owner: Option<String>,
    /// Same as `ns:x` in `q`.
    pub ns: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub packages: Vec<Hit>,
    /// Matches, counted up to [`TOTAL_MAX`]; always an integer.
    pub total: i64,
    /// More than [`TOTAL_MAX`] packages match; only the first are served.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub name: String,
    pub description: String,
    pub latest_version: Option<String>,
    pub downloads: i64,
    pub recent_downloads: i64,
    pub keywords: Vec<String>,
    pub updated_at: DateTime<Utc>,
    pub exact_match: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    Downloads,
    RecentDownloads,
    Updated,
    New,
    Name,
}

impl Sort {
    pub fn parse(raw: Option<&str>, has_text: bool) -> AppResult<Sort> {
        Ok(match raw.map(str::trim).unwrap_or("") {
            "" if has_text => Sort::Relevance,
            "" => Sort::Downloads,
            "relevance" => Sort::Relevance,
            "downloads" => Sort::Downloads,
            "recent-downloads" => Sort::RecentDownloads,
            "updated" => Sort::Updated,
            "new" => Sort::New,
            "name" => Sort::Name,
            other => {
                let shown: String = other.chars().take(40).collect();
                return Err(AppError::bad_request(format!(
                    "unknown sort {shown:?}; use relevance, downloads, recent-downloads, updated, new or name"
                )));
            }
        })
    }

    /// ORDER BY over the `hits` columns; fixed text, never from input.
    fn order_by(self) -> &'static str {
        match self {
            Sort::Relevance => "exact_match DESC, rank DESC, recent_downloads DESC, canonical_name",
            Sort::Downloads => "downloads DESC, canonical_name",
            Sort::RecentDownloads => "recent_downloads DESC, canonical_name",
            Sort::Updated => "updated_at DESC, canonical_name",
            Sort::New => "created_at DESC, canonical_name",
            Sort::Name => "canonical_name",
        }
    }

    /// The same order for browsing straight off the indexes (no `hits` CTE).
    fn browse_order_by(self) -> &'static str {
        match self {
            Sort::Relevance | Sort::Downloads => "s.downloads DESC, p.canonical_name",
            Sort::RecentDownloads => "s.recent_downloads DESC, p.canonical_name",
            Sort::Updated => "p.updated_at DESC, p.canonical_name",
            Sort::New => "p.created_at DESC, p.canonical_name",
            Sort::Name => "p.canonical_name",
        }
    }
}

/// A query string taken apart: free text, its words, and filters.
#[derive(Debug, Default, PartialEq)]
pub struct Query {
    /// The free text (filters removed), whitespace collapsed, lowercase.
    pub text: String,
    /// Letters-and-digits words of `text`; each must match.
    pub words: Vec<String>,
    /// `text` as a name fragment (`json sch` -> `json-sch`), when it can be one.
    pub name_key: Option<String>,
    pub keywords: Vec<String>,
    pub owner: Option<String>,
    pub namespace: Option<String>,
    /// One token (`jsno`, `json-shema`): the only shape typo matching tries,
    /// as several words almost always have a trigram neighbour.
    pub single_token: bool,
}

impl Query {
    pub fn parse(p: &SearchParams) -> Query {
        // Control characters (NUL above all, which Postgres text refuses) are spaces.
        let mut raw: String =
            p.q.as_deref()
                .unwrap_or("")
                .chars()
                .take(QUERY_MAX_CHARS + 1)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
        if raw.chars().count() > QUERY_MAX_CHARS {
            // Cut at a word boundary: a half word would have to match too.
            match raw.trim_end().rfind(char::is_whitespace) {
                Some(cut) => raw.truncate(cut),
                None => raw = raw.chars().take(QUERY_MAX_CHARS).collect(),
            }
        }
        let mut q = Query::default();
        let mut text = Vec::new();
        for token in raw.split_whitespace() {
            let lower = token.to_lowercase();
            match lower.split_once(':') {
                Some(("keyword" | "keywords", v)) if !v.is_empty() => {
                    q.keywords.push(names::canonical(v))
                }
                Some(("owner" | "user", v)) if !v.is_empty() => q.owner = Some(v.to_string()),
                Some(("ns" | "namespace", v)) if !v.is_empty() => {
                    q.namespace = Some(names::canonical(v))
                }
                _ => text.push(lower),
            }
        }
        let param = |v: &Option<String>| {
            let v: String = v
                .as_deref()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_control())
                .take(WORD_MAX_CHARS * 2)
                .collect();
            let v = v.trim().to_lowercase();
            (!v.is_empty()).then_some(v)
        };
        if let Some(k) = param(&p.keyword) {
            q.keywords.push(names::canonical(&k));
        }
        if let Some(o) = param(&p.owner) {
            q.owner = Some(o);
        }
        if let Some(n) = param(&p.ns) {
            q.namespace = Some(names::canonical(&n));
        }
        q.text = text.join(" ");
        for word in q.text.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() || q.words.len() == WORDS_MAX {
                continue;
            }
            let word: String = word.chars().take(WORD_MAX_CHARS).collect();
            if !q.words.contains(&word) {
                q.words.push(word);
            }
        }
        let key = names::canonical(&q.text.replace(' ', "-"));
        let name_like = key.len() >= 2
            && key.len() <= 130
            && key.starts_with(|c: char| c.is_ascii_alphanumeric())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/');
        q.name_key = name_like.then_some(key);
        q.single_token = !q.text.contains(' ');
        q
    }

    fn has_text(&self) -> bool {
        !self.text.is_empty()
    }
}

/// What `packages.readme` keeps of a README: all that search reads.
pub fn readme_excerpt(readme: Option<&str>) -> String {
    readme
        .unwrap_or("")
        .chars()
        .take(README_EXCERPT_CHARS)
        .collect()
}

fn int_param(raw: &Option<String>, name: &str, default: i64) -> AppResult<i64> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| AppError::bad_request(format!("{name} must be a positive integer"))),
    }
}

/// One page row, plus the total (the row with no package when past the end).
#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    downloads: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    recent_downloads: Option<i64>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    keywords: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    updated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    exact_match: Option<bool>,
    /// Unyanked versions; the highest by semver precedence is "latest".
    #[diesel(sql_type = Nullable<Array<Text>>)]
    versions: Option<Vec<String>>,
}

enum Bind {
    Text(String),
    Texts(Vec<String>),
    Int(i64),
}

/// SQL text with numbered parameters, assembled from fixed fragments.
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, b: Bind) -> &mut Self {
        self.binds.push(b);
        let n = self.binds.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    fn query(self) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
        let mut q = diesel::sql_query(self.text).into_boxed::<Pg>();
        for b in self.binds {
            q = match b {
                Bind::Text(s) => q.bind::<Text, _>(s),
                Bind::Texts(v) => q.bind::<Array<Text>, _>(v),
                Bind::Int(n) => q.bind::<BigInt, _>(n),
            };
        }
        q
    }
}

/// `AND …` conditions on `packages p` for the filters.
fn filters(sql: &mut Sql, q: &Query) {
    // Removed packages keep their name as a tombstone but are not found.
    sql.push(" AND p.removed_at IS NULL");
    if !q.keywords.is_empty() {
        sql.push(" AND p.keywords @> ")
            .bind(Bind::Texts(q.keywords.clone()))
            .push("::text[]");
    }
    if let Some(ns) = &q.namespace {
        sql.push(" AND p.namespace = ").bind(Bind::Text(ns.clone()));
    }
    if let Some(owner) = &q.owner {
        sql.push(
            " AND EXISTS (SELECT 1 FROM package_owners po JOIN users u ON u.id = po.user_id
                          WHERE po.package_id = p.id AND lower(u.username) = ",
        )
        .bind(Bind::Text(owner.clone()))
        .push(")");
    }
}

impl Query {
    fn has_filters(&self) -> bool {
        !self.keywords.is_empty() || self.namespace.is_some() || self.owner.is_some()
    }
}

/// `FROM package_search s` for a candidate walk: joined to `packages p` only
/// when a filter needs its columns (the join doubles the cost of each step).
/// package_search has no rows for removed packages.
fn search_from(sql: &mut Sql, q: &Query) {
    if q.has_filters() {
        sql.push(" FROM package_search s JOIN packages p ON p.id = s.package_id WHERE true");
        filters(sql, q);
    } else {
        sql.push(" FROM package_search s WHERE true");
    }
}

/// Each query word as stemmed English or as-is ('simple', which keeps stop
/// words such as names like `it`), all words required. Plain expressions over
/// parameters, so the planner sees the value and estimates how common the
/// words are (a rare word takes the GIN index, a common one the popularity walk).
fn tsquery(sql: &mut Sql, words: &[String]) {
    sql.push("(");
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            sql.push(" && ");
        }
        sql.push("(plainto_tsquery('english'::regconfig, ")
            .bind(Bind::Text(w.clone()))
            .push(") || plainto_tsquery('simple'::regconfig, ")
            .bind(Bind::Text(w.clone()))
            .push("))");
    }
    sql.push(")");
}

/// Name-prefix matches (`key` a prefix of the name or of a part after `-` or
/// `/`), most popular first, off package_name_parts' index: the range of parts
/// starting with the key's last part, and LIKE on the name (in the index too)
/// for the exact meaning. A name key has no LIKE wildcards.
fn by_name(sql: &mut Sql, q: &Query, key: &str, limit: i64, most_popular: bool) {
    let last = key
        .rsplit(['-', '/'])
        .find(|s| !s.is_empty())
        .unwrap_or(key);
    sql.push("SELECT n.package_id AS id FROM package_name_parts n");
    if q.has_filters() {
        sql.push(" JOIN packages p ON p.id = n.package_id WHERE true");
        filters(sql, q);
    } else {
        sql.push(" WHERE true");
    }
    sql.push(" AND n.part LIKE ")
        .bind(Bind::Text(format!("{last}%")))
        .push(" AND ");
    name_like(sql, key, "n");
    if most_popular {
        sql.push(" ORDER BY n.popularity DESC");
    }
    sql.push(" LIMIT ").bind(Bind::Int(limit));
}

fn name_like(sql: &mut Sql, key: &str, table: &str) {
    sql.push(&format!("({table}.canonical_name LIKE "))
        .bind(Bind::Text(format!("{key}%")))
        .push(&format!(" OR {table}.canonical_name LIKE "))
        .bind(Bind::Text(format!("%-{key}%")))
        .push(&format!(" OR {table}.canonical_name LIKE "))
        .bind(Bind::Text(format!("%/{key}%")))
        .push(")");
}

const PAGE_COLUMNS: &str = "page.name, page.description, page.downloads, page.recent_downloads,
       page.keywords, page.updated_at, page.exact_match,
       ARRAY(SELECT v.version FROM versions v WHERE v.package_id = page.id AND NOT v.yanked) AS versions";

/// The whole search as one statement: the total and one page, so totals are
/// honest even past the last page. Totals are counted up to `TOTAL_MAX + 1`.
fn statement(q: &Query, sort: Sort, limit: i64, offset: i64) -> Sql {
    let mut sql = Sql::default();
    if !q.has_text() {
        // Browse: straight off the order's index, counting only what the filters keep.
        sql.push("SELECT t.total, ")
            .push(PAGE_COLUMNS)
            .push(" FROM (SELECT count(*) AS total FROM (SELECT 1 FROM packages p WHERE true");
        filters(&mut sql, q);
        sql.push(" LIMIT ").bind(Bind::Int(TOTAL_MAX + 1)).push(
            ") c) t LEFT JOIN LATERAL (
               SELECT p.id, p.name, p.description, s.downloads, s.recent_downloads, p.keywords,
                      p.updated_at, false AS exact_match
               FROM packages p JOIN package_downloads s ON s.package_id = p.id WHERE true",
        );
        filters(&mut sql, q);
        sql.push(" ORDER BY ")
            .push(sort.browse_order_by())
            .push(" LIMIT ")
            .bind(Bind::Int(limit))
            .push(" OFFSET ")
            .bind(Bind::Int(offset))
            .push(") page ON true");
        return sql;
    }
    // Candidates: the exact name, and per matching path (name prefix, full
    // text) its most popular matches up to a window. Only candidates are
    // ranked, so a word that matches half the registry costs the window, not
    // half the registry. The window covers at least the requested page.
    let window = RANK_WINDOW.max(offset + limit);
    let exact = names::canonical(&q.text);
    sql.push("WITH exact AS (SELECT p.id FROM packages p WHERE p.canonical_name = ")
        .bind(Bind::Text(exact.clone()));
    filters(&mut sql, q);
    sql.push("), by_name AS (");
    match &q.name_key {
        Some(key) => by_name(&mut sql, q, key, window, true),
        None => {
            sql.push("SELECT NULL::bigint AS id WHERE false");
        }
    }
    if q.words.len() == 1 {
        // One word: walk the WALK_MAX most popular packages and keep the
        // matches. A common word fills the window there, and those are
        // exactly its most popular matches. Bounded either way: the planner's
        // guess at how common a word is can be far off (a word it has no
        // statistics for looks common), and an unbounded walk on a bad guess
        // reads the whole table.
        sql.push("), walked AS (SELECT id FROM (SELECT s.package_id AS id, s.document");
        search_from(&mut sql, q);
        sql.push(" ORDER BY s.popularity DESC LIMIT ")
            .bind(Bind::Int(WALK_MAX))
            .push(") top WHERE top.document @@ ");
        tsquery(&mut sql, &q.words);
        sql.push(" LIMIT ").bind(Bind::Int(window));
    }
    sql.push("), by_text AS (");
    if q.words.is_empty() {
        sql.push("SELECT NULL::bigint AS id WHERE false");
    } else if q.words.len() == 1 {
        // Otherwise the word is rare among popular packages, so (almost
        // always) rare: GIN finds all its matches, the window takes the most
        // popular (`+ 0`: not by walking the popularity index).
        sql.push("SELECT id FROM walked WHERE (SELECT count(*) FROM walked) >= ")
            .bind(Bind::Int(window))
            .push(" UNION ALL (SELECT s.package_id AS id");
        search_from(&mut sql, q);
        sql.push(" AND (SELECT count(*) FROM walked) < ")
            .bind(Bind::Int(window))
            .push(" AND s.document @@ ");
        tsquery(&mut sql, &q.words);
        sql.push(" ORDER BY s.popularity + 0 DESC LIMIT ")
            .bind(Bind::Int(window))
            .push(")");
    } else {
        // Several words: the planner multiplies their frequencies and can be
        // far off too. The AND of words is usually small; GIN finds it, and
        // at most MULTI_WORD_MAX of its matches are ordered by popularity.
        sql.push("SELECT id FROM (SELECT s.package_id AS id, s.popularity");
        search_from(&mut sql, q);
        sql.push(" AND s.document @@ ");
        tsquery(&mut sql, &q.words);
        sql.push(" LIMIT ")
            .bind(Bind::Int(MULTI_WORD_MAX.max(window)))
            .push(") m ORDER BY popularity DESC LIMIT ")
            .bind(Bind::Int(window));
    }
    sql.push(
        "), found AS (SELECT id FROM exact UNION SELECT id FROM by_name UNION SELECT id FROM by_text),
         cand AS (SELECT id FROM found",
    );
    if let Some(key) = q
        .name_key
        .as_ref()
        .filter(|k| k.len() >= 3 && q.single_token)
    {
        // Typo matches only when nothing else matched (a one-time check), and
        // at most FUZZY_MAX of them: a fallback, not noise in good results.
        sql.push(
            " UNION (SELECT p.id FROM packages p WHERE NOT EXISTS (SELECT 1 FROM found)
                     AND p.canonical_name % ",
        )
        .bind(Bind::Text(key.clone()));
        filters(&mut sql, q);
        sql.push(" ORDER BY similarity(p.canonical_name, ")
            .bind(Bind::Text(key.clone()))
            .push(") DESC, p.canonical_name LIMIT ")
            .bind(Bind::Int(FUZZY_MAX))
            .push(")");
    }
    sql.push(
        "), hits AS (
           SELECT p.id, p.name, p.canonical_name, p.description, p.keywords, p.updated_at, p.created_at,
                  p.canonical_name = ",
    )
    .bind(Bind::Text(exact))
    .push(" AS exact_match, ");
    match &q.name_key {
        // Name-only matches (prefix, then typo by closeness) rank below any
        // text match and above nothing, ties still going to popularity.
        Some(key) => {
            sql.push("CASE WHEN fts.r > 0 THEN fts.r WHEN ");
            name_like(&mut sql, key, "p");
            sql.push(" THEN 0.01 ELSE 0.01 * similarity(p.canonical_name, ")
                .bind(Bind::Text(key.clone()))
                .push(") END AS rank,");
        }
        None => {
            sql.push("fts.r AS rank,");
        }
    }
    sql.push(
        "
                  COALESCE(d.downloads, 0) AS downloads,
                  COALESCE(d.recent_downloads, 0) AS recent_downloads
           FROM cand JOIN packages p ON p.id = cand.id JOIN package_search s ON s.package_id = cand.id
           CROSS JOIN LATERAL (SELECT ",
    );
    if q.words.is_empty() {
        sql.push("0::real AS r) fts");
    } else {
        sql.push("COALESCE(ts_rank_cd('{0.05, 0.2, 0.4, 1.0}', s.document, ");
        tsquery(&mut sql, &q.words);
        sql.push("), 0) AS r) fts");
    }
    sql.push(" LEFT JOIN package_downloads d ON d.package_id = p.id)");
    // The total: the candidates themselves when no window filled up (then
    // they are every match), else a count that stops at TOTAL_MAX + 1.
    sql.push(" SELECT t.total, ")
        .push(PAGE_COLUMNS)
        .push(" FROM (SELECT CASE WHEN (SELECT count(*) FROM by_name) < ")
        .bind(Bind::Int(window))
        .push(" AND (SELECT count(*) FROM by_text) < ")
        .bind(Bind::Int(window))
        .push(" THEN (SELECT count(*) FROM hits) ELSE (SELECT count(*) FROM (");
    // Each path counted up to the cap: their union reaches it exactly when
    // the true total does.
    match &q.name_key {
        Some(key) => {
            sql.push("(");
            // Counting needs no order: the range scan stops at the cap.
            by_name(&mut sql, q, key, TOTAL_MAX + 1, false);
            sql.push(")");
        }
        None => {
            sql.push("SELECT NULL::bigint AS id WHERE false");
        }
    }
    if !q.words.is_empty() {
        sql.push(" UNION (SELECT s.package_id AS id");
        search_from(&mut sql, q);
        sql.push(" AND s.document @@ ");
        tsquery(&mut sql, &q.words);
        sql.push(" LIMIT ").bind(Bind::Int(TOTAL_MAX + 1)).push(")");
    }
    sql.push(
        ") c) END AS total) t
             LEFT JOIN LATERAL (SELECT * FROM hits ORDER BY ",
    )
    .push(sort.order_by())
    .push(" LIMIT ")
    .bind(Bind::Int(limit))
    .push(" OFFSET ")
    .bind(Bind::Int(offset))
    .push(") page ON true");
    sql
}

pub async fn search(conn: &mut AsyncPgConnection, p: &SearchParams) -> AppResult<SearchResults> {
    let page = int_param(&p.page, "page", 1)?;
    if page < 1 {
        return Err(AppError::bad_request("page must be a positive integer"));
    }
    let per_page = int_param(&p.per_page, "per_page", PER_PAGE_DEFAULT)?.clamp(1, PER_PAGE_MAX);
    let q = Query::parse(p);
    let sort = Sort::parse(p.sort.as_deref(), q.has_text())?;
    // At most TOTAL_MAX results are served: past them a page is empty (the
    // total still counted), which keeps OFFSET and ranking work bounded.
    let start = (page - 1).saturating_mul(per_page);
    let (limit, offset) = if start >= TOTAL_MAX {
        (0, 0)
    } else {
        (per_page.min(TOTAL_MAX - start), start)
    };
    if q.has_text() && q.words.is_empty() && q.name_key.is_none() {
        // Only punctuation: nothing can match but an exact (impossible) name.
        return Ok(SearchResults {
            packages: Vec::new(),
            total: 0,
            total_capped: false,
            page,
            per_page,
        });
    }
    let fuzzy = q.single_token && q.name_key.as_ref().is_some_and(|k| k.len() >= 3);
    let sql = statement(&q, sort, limit, offset);
    let rows: Vec<Row> = conn
        .transaction::<_, AppError, _>(async move |conn| {
            // Settings for this statement only (SET LOCAL). No parallel
            // workers: starting them costs more than these bounded plans, on
            // two cores under concurrent requests. The `%` operator reads the
            // threshold.
            let mut set = String::from("SET LOCAL max_parallel_workers_per_gather = 0");
            if fuzzy {
                set.push_str(&format!(
                    "; SET LOCAL pg_trgm.similarity_threshold = {FUZZY_THRESHOLD}"
                ));
            }
            conn.batch_execute(&set).await?;
            Ok(sql.query().load(conn).await?)
        })
        .await?;
    let counted = rows.as_slice().first().map(|r| r.total).unwrap_or(0);
    let packages = rows
        .into_iter()
        .filter_map(|r| {
            Some(Hit {
                name: r.name?,
                description: r.description.unwrap_or_default(),
                latest_version: latest(r.versions.unwrap_or_default()),
                downloads: r.downloads.unwrap_or(0),
                recent_downloads: r.recent_downloads.unwrap_or(0),
                keywords: r.keywords.unwrap_or_default(),
                updated_at: r.updated_at?,
                exact_match: r.exact_match.unwrap_or(false),
            })
        })
        .collect();
    Ok(SearchResults {
        packages,
        total: counted.min(TOTAL_MAX),
        total_capped: counted > TOTAL_MAX,
        page,
        per_page,
    })
}

/// Semver precedence is not an SQL order.
fn latest(versions: Vec<String>) -> Option<String> {
    versions
        .into_iter()
        .filter_map(|v| semver::Version::parse(&v).ok().map(|s| (s, v)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Query {
        Query::parse(&SearchParams {
            q: Some(q.into()),
            ..Default::default()
        })
    }

    #[test]
    fn words_filters_and_name_keys() {
        let q = parse("  JSON   Schema keyword:Data_Format owner:Alice ns:Sema ");
        assert_eq!(q.text, "json schema");
        assert_eq!(q.words, ["json", "schema"]);
        assert_eq!(q.name_key.as_deref(), Some("json-schema"));
        assert_eq!(q.keywords, ["data-format"]);
        assert_eq!(q.owner.as_deref(), Some("alice"));
        assert_eq!(q.namespace.as_deref(), Some("sema"));
        assert_eq!(parse("sema/ht").name_key.as_deref(), Some("sema/ht"));
        assert_eq!(parse("a&b|!c:(d)").words, ["a", "b", "c", "d"]);
        assert_eq!(parse("a&b").name_key, None);
        assert_eq!(parse("x").name_key, None);
        assert_eq!(parse("'\"%_").words, Vec::<String>::new());
        assert_eq!(parse("ünïcode ✓").words, ["ünïcode"]);
        assert_eq!(parse(&"w ".repeat(500)).words, ["w"]);
        assert_eq!(parse(&"json ".repeat(300)).words, ["json"]);
        assert!(parse(&"x".repeat(5000)).words[0].len() <= WORD_MAX_CHARS);
    }

    #[test]
    fn latest_is_semver_highest() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            latest(v(&["1.10.0", "1.9.0", "2.0.0-rc.1"])).as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(latest(v(&["0.9.0", "0.10.0"])).as_deref(), Some("0.10.0"));
        assert_eq!(latest(vec![]), None);
    }
}
