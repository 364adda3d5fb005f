//! Package search over Postgres full-text search and pg_trgm.
//!
//! Matching: every query word must occur in the package's weighted document
//! (name A, keywords B, description C, README D; stemmed or not), or the whole
//! query is a prefix of the name or of one of its `-`/`/` parts (`ht` finds
//! `http`), or, when nothing else matches, it is close to one of the name
//! parts in a small dictionary (`jsno` finds `json`).
//! Ranking: exact canonical name first, then `ts_rank_cd`, then a deprecated
//! package after the others of equal rank, then 90-day downloads, then name. Only candidates are ranked: the exact name, and for
//! the name-prefix path and the full-text path each, the most popular matches
//! up to a window (`RANK_WINDOW`, widened for deeper pages), taken by index
//! range scans (migration 000007: term postings of the popular packages,
//! filter terms beside the document), so a word that half the registry
//! contains costs the window and not half the registry.
//! Totals are exact up to `TOTAL_MAX`, then capped and flagged. `keyword:`,
//! `owner:` and `ns:` filter, in the query or as parameters. Input of any
//! shape is safe: query words are reduced to letters and digits and only ever
//! reach Postgres as bound parameters; the SQL text is assembled from fixed
//! fragments. One statement per search: no transaction, no settings.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::names;
pub use crate::domain::search_query::{Query, Request, SearchParams, Sort};
use crate::error::AppResult;
/// Typo matches kept per query; they are a fallback, not the result set.
const FUZZY_MAX: i64 = 50;
/// Nearest dictionary terms a typo looks at.
const FUZZY_TERMS: i64 = 4;
/// pg_trgm distance (1 - similarity) that still catches a swapped pair in a
/// four-letter name (`jsno`/`json` is 0.25 similar; the default 0.3 misses it).
const FUZZY_MAX_DISTANCE: &str = "0.75";
/// Results served per query, and where counting stops: past it `total` is
/// this number and `total_capped` is true. A registry search is read in its
/// first pages; counting a word that half the registry contains is not free.
pub const TOTAL_MAX: i64 = 1000;
/// Candidates ranked per matching path (name prefix, full text), taken in
/// popularity order (see migration 000005); a deeper page widens it.
const RANK_WINDOW: i64 = 50;
/// GIN matches (several words, filters, or a word rare among popular
/// packages) considered for the window (any beyond are not ranked): bounds
/// the work when the words are all common.
const MULTI_WORD_MAX: i64 = 2000;
/// How much of a README the search document reads (the rest adds no signal).
pub const README_EXCERPT_CHARS: usize = 4000;

/// One page of results.
#[derive(Debug)]
pub struct SearchResults {
    pub packages: Vec<Hit>,
    /// Matches, counted up to [`TOTAL_MAX`]; always an integer.
    pub total: i64,
    /// More than [`TOTAL_MAX`] packages match; only the first are served.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

/// One matching package.
#[derive(Debug)]
pub struct Hit {
    pub name: String,
    pub description: String,
    pub latest_version: Option<String>,
    pub downloads: i64,
    pub recent_downloads: i64,
    pub keywords: Vec<String>,
    pub updated_at: DateTime<Utc>,
    pub exact_match: bool,
    /// The upstream registry a mirrored package comes from; null for a local one.
    pub mirrored_from: Option<String>,
    /// Its owners deprecated it.
    pub deprecated: bool,
}

/// ORDER BY over the `hits` columns; fixed text, never from input.
fn order_by(sort: Sort) -> &'static str {
    match sort {
        // `deprecated` (false first) only breaks ties of rank: an exact name
        // or a better match still comes first.
        Sort::Relevance => {
            "exact_match DESC, rank DESC, deprecated, recent_downloads DESC, canonical_name"
        }
        Sort::Downloads => "downloads DESC, canonical_name",
        Sort::RecentDownloads => "recent_downloads DESC, canonical_name",
        Sort::Updated => "updated_at DESC, canonical_name",
        Sort::New => "created_at DESC, canonical_name",
        Sort::Name => "canonical_name",
    }
}

/// The same order for browsing straight off the indexes (no `hits` CTE).
fn browse_order_by(sort: Sort) -> &'static str {
    match sort {
        Sort::Relevance | Sort::Downloads => "s.downloads DESC, p.canonical_name",
        Sort::RecentDownloads => "s.recent_downloads DESC, p.canonical_name",
        Sort::Updated => "p.updated_at DESC, p.canonical_name",
        Sort::New => "p.created_at DESC, p.canonical_name",
        Sort::Name => "p.canonical_name",
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
    #[diesel(sql_type = Nullable<Text>)]
    mirrored_from: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    deprecated: Option<bool>,
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

impl Query {
    /// The filters as `package_search.filters` terms (migration 000007).
    fn filter_terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = self.keywords.iter().map(|k| format!("k:{k}")).collect();
        terms.extend(self.namespace.iter().map(|n| format!("n:{n}")));
        terms.extend(self.owner.iter().map(|o| format!("o:{o}")));
        terms.extend(self.caps.iter().map(|c| format!("c:{c}")));
        terms
    }
}

/// ` AND` the filters hold for `s` (a `package_search` row): GIN, so with
/// the document's GIN index it is a BitmapAnd of two posting lists.
fn filters_hold(sql: &mut Sql, q: &Query, s: &str) {
    let terms = q.filter_terms();
    if !terms.is_empty() {
        sql.push(&format!(" AND {s}.filters @> "))
            .bind(Bind::Texts(terms))
            .push("::text[]");
    }
    // `-cap:`: no index helps a negation; it narrows what the rest selected.
    if !q.without_caps.is_empty() {
        let terms = q.without_caps.iter().map(|c| format!("c:{c}")).collect();
        sql.push(&format!(" AND NOT {s}.filters && "))
            .bind(Bind::Texts(terms))
            .push("::text[]");
    }
}

/// ` AND` the filters hold for package `id`: a primary-key probe.
fn filter_probe(sql: &mut Sql, q: &Query, id: &str) {
    if q.has_filters() {
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM package_search fs WHERE fs.package_id = {id}"
        ));
        filters_hold(sql, q, "fs");
        sql.push(")");
    }
}

/// Each query word as stemmed English or as-is ('simple', which keeps stop
/// words such as names like `it`), all words required.
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
    sql.push("SELECT n.package_id AS id FROM package_name_parts n WHERE n.part LIKE ")
        .bind(Bind::Text(format!("{last}%")))
        .push(" AND ");
    name_like(sql, key, "n");
    filter_probe(sql, q, "n.package_id");
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
       ARRAY(SELECT v.version FROM versions v WHERE v.package_id = page.id AND NOT v.yanked) AS versions,
       (SELECT m.mirrored_from FROM packages m WHERE m.id = page.id) AS mirrored_from,
       (SELECT m.deprecated_at IS NOT NULL FROM packages m WHERE m.id = page.id) AS deprecated";

/// Browse (no text): straight off the order's index, counting up to
/// `TOTAL_MAX + 1`. Filters select through `package_search.filters` (GIN),
/// not by checking the packages rows one by one.
fn browse(sql: &mut Sql, q: &Query, sort: Sort, limit: i64, offset: i64) {
    let from = |sql: &mut Sql, page: bool| {
        let downloads = if page {
            " JOIN package_downloads s ON s.package_id = p.id"
        } else {
            ""
        };
        if q.has_filters() {
            // package_search has no rows for removed packages.
            sql.push(" FROM package_search ps JOIN packages p ON p.id = ps.package_id")
                .push(downloads)
                .push(" WHERE true");
            filters_hold(sql, q, "ps");
        } else {
            sql.push(" FROM packages p")
                .push(downloads)
                .push(" WHERE p.removed_at IS NULL");
        }
    };
    sql.push("SELECT t.total, ")
        .push(PAGE_COLUMNS)
        .push(" FROM (SELECT count(*) AS total FROM (SELECT 1");
    from(sql, false);
    sql.push(" LIMIT ").bind(Bind::Int(TOTAL_MAX + 1)).push(
        ") c) t LEFT JOIN LATERAL (
           SELECT p.id, p.name, p.description, s.downloads, s.recent_downloads, p.keywords,
                  p.updated_at, false AS exact_match",
    );
    from(sql, true);
    sql.push(" ORDER BY ")
        .push(browse_order_by(sort))
        .push(" LIMIT ")
        .bind(Bind::Int(limit))
        .push(" OFFSET ")
        .bind(Bind::Int(offset))
        .push(") page ON true");
}

/// One word, no filter: the hot postings (migration 000007) hold every
/// package at or above a popularity bucket, so a word's ranges there, most
/// popular first, give its `window` most popular matches whenever they hold
/// that many. `terms` is the word's lexemes (stemmed and as-is).
fn hot_words(sql: &mut Sql, word: &str, window: i64) {
    sql.push("), terms AS (SELECT DISTINCT t AS term FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, ")
        .bind(Bind::Text(word.to_string()))
        .push(") || to_tsvector('simple'::regconfig, ")
        .bind(Bind::Text(word.to_string()))
        .push(
            "))) t),
         walked AS (SELECT h.package_id AS id FROM terms CROSS JOIN LATERAL (
             SELECT package_id, popularity FROM search_hot_terms
             WHERE term = terms.term ORDER BY popularity DESC, package_id LIMIT ",
        )
        .bind(Bind::Int(window))
        .push(") h GROUP BY h.package_id ORDER BY max(h.popularity) DESC, h.package_id LIMIT ")
        .bind(Bind::Int(window));
    // More than TOTAL_MAX postings of one lexeme: the total is capped, and
    // no count of the documents is needed.
    sql.push("), hot_capped AS (SELECT coalesce(max(c.n), 0) > ")
        .bind(Bind::Int(TOTAL_MAX))
        .push(
            " AS capped FROM terms CROSS JOIN LATERAL (SELECT count(*) AS n FROM (
             SELECT 1 FROM search_hot_terms h WHERE h.term = terms.term LIMIT ",
        )
        .bind(Bind::Int(TOTAL_MAX + 1))
        .push(") x) c");
}

/// The full-text candidates (`by_text`): the hot ranges for one word without
/// filters (GIN when the word is rare among popular packages); otherwise GIN
/// (the words' AND, and the filters' BitmapAnd), at most MULTI_WORD_MAX of
/// its matches ordered by popularity.
fn by_text(sql: &mut Sql, q: &Query, window: i64) {
    sql.push("), by_text AS (");
    if q.words.is_empty() {
        sql.push("SELECT NULL::bigint AS id WHERE false");
        return;
    }
    let hot = q.words.len() == 1 && !q.has_filters();
    if hot {
        sql.push("SELECT id FROM walked WHERE (SELECT count(*) FROM walked) >= ")
            .bind(Bind::Int(window))
            .push(" UNION ALL (");
    }
    sql.push("SELECT id FROM (SELECT s.package_id AS id, s.popularity FROM package_search s WHERE s.document @@ ");
    tsquery(sql, &q.words);
    filters_hold(sql, q, "s");
    if hot {
        // Only when the hot ranges did not fill the window: the word is
        // rare among popular packages, and (almost always) rare.
        sql.push(" AND (SELECT count(*) FROM walked) < ")
            .bind(Bind::Int(window));
    }
    sql.push(" LIMIT ")
        .bind(Bind::Int(MULTI_WORD_MAX.max(window)))
        .push(") m ORDER BY popularity DESC LIMIT ")
        .bind(Bind::Int(window));
    if hot {
        sql.push(")");
    }
}

/// Typo candidates, only when nothing else matched: the name parts nearest
/// the key in the small dictionary (GiST trigram distance), and the most
/// popular packages with each. A fallback, not noise in good results.
fn typos(sql: &mut Sql, q: &Query, key: &str) {
    sql.push(
        " UNION (SELECT n.package_id FROM (SELECT d.term, d.term <-> ",
    )
    .bind(Bind::Text(key.to_string()))
    .push(" AS dist FROM search_dictionary d WHERE NOT EXISTS (SELECT 1 FROM found) ORDER BY d.term <-> ")
    .bind(Bind::Text(key.to_string()))
    .push(" LIMIT ")
    .bind(Bind::Int(FUZZY_TERMS))
    .push(") t CROSS JOIN LATERAL (SELECT n.package_id FROM package_name_parts n WHERE n.part = t.term");
    filter_probe(sql, q, "n.package_id");
    sql.push(" ORDER BY n.popularity DESC LIMIT ")
        .bind(Bind::Int(FUZZY_MAX))
        .push(") n WHERE t.dist <= ")
        .push(FUZZY_MAX_DISTANCE)
        .push(")");
}

/// The whole search as one statement: the total and one page, so totals are
/// honest even past the last page. Totals are counted up to `TOTAL_MAX + 1`.
fn statement(q: &Query, sort: Sort, limit: i64, offset: i64) -> Sql {
    let mut sql = Sql::default();
    if !q.has_text() {
        browse(&mut sql, q, sort, limit, offset);
        return sql;
    }
    // Candidates: the exact name, and per matching path (name prefix, full
    // text) its most popular matches up to a window. Only candidates are
    // ranked, so a word that matches half the registry costs the window, not
    // half the registry. The window covers at least the requested page.
    let window = RANK_WINDOW.max(offset + limit);
    let exact = names::canonical(&q.text);
    sql.push("WITH exact AS (SELECT p.id FROM packages p WHERE p.canonical_name = ")
        .bind(Bind::Text(exact.clone()))
        .push(" AND p.removed_at IS NULL");
    filter_probe(&mut sql, q, "p.id");
    sql.push("), by_name AS (");
    match &q.name_key {
        Some(key) => by_name(&mut sql, q, key, window, true),
        None => {
            sql.push("SELECT NULL::bigint AS id WHERE false");
        }
    }
    let hot = q.words.len() == 1 && !q.has_filters();
    if hot {
        hot_words(&mut sql, &q.words[0], window);
    }
    by_text(&mut sql, q, window);
    sql.push(
        "), found AS (SELECT id FROM exact UNION SELECT id FROM by_name UNION SELECT id FROM by_text),
         cand AS (SELECT id FROM found",
    );
    if let Some(key) = q
        .name_key
        .as_ref()
        .filter(|k| k.len() >= 3 && q.single_token)
    {
        typos(&mut sql, q, key);
    }
    hits(&mut sql, q, exact);
    total_and_page(&mut sql, q, sort, window, hot, limit, offset);
    sql
}

/// `hits`: the candidates with their rank and the columns a page shows.
fn hits(sql: &mut Sql, q: &Query, exact: String) {
    sql.push(
        "), hits AS (
           SELECT p.id, p.name, p.canonical_name, p.description, p.keywords, p.updated_at, p.created_at,
                  p.deprecated_at IS NOT NULL AS deprecated, p.canonical_name = ",
    )
    .bind(Bind::Text(exact))
    .push(" AS exact_match, ");
    match &q.name_key {
        // Name-only matches (prefix, then typo by closeness) rank below any
        // text match and above nothing, ties still going to popularity.
        Some(key) => {
            sql.push("CASE WHEN fts.r > 0 THEN fts.r WHEN ");
            name_like(sql, key, "p");
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
        tsquery(sql, &q.words);
        sql.push("), 0) AS r) fts");
    }
    sql.push(" LEFT JOIN package_downloads d ON d.package_id = p.id)");
}

/// The total and the page. The total is the candidates themselves when no
/// window filled up (then they are every match); capped outright when one
/// word's hot range passes the cap; else each path counted up to the cap
/// (their union reaches it exactly when the true total does).
fn total_and_page(
    sql: &mut Sql,
    q: &Query,
    sort: Sort,
    window: i64,
    hot: bool,
    limit: i64,
    offset: i64,
) {
    sql.push(" SELECT t.total, ")
        .push(PAGE_COLUMNS)
        .push(" FROM (SELECT CASE WHEN (SELECT count(*) FROM by_name) < ")
        .bind(Bind::Int(window))
        .push(" AND (SELECT count(*) FROM by_text) < ")
        .bind(Bind::Int(window))
        .push(" THEN (SELECT count(*) FROM hits)");
    if hot {
        sql.push(" WHEN (SELECT capped FROM hot_capped) THEN ")
            .bind(Bind::Int(TOTAL_MAX + 1));
    }
    sql.push(" ELSE (SELECT count(*) FROM (");
    match &q.name_key {
        Some(key) => {
            sql.push("(");
            // Counting needs no order: the range scan stops at the cap.
            by_name(sql, q, key, TOTAL_MAX + 1, false);
            sql.push(")");
        }
        None => {
            sql.push("SELECT NULL::bigint AS id WHERE false");
        }
    }
    if !q.words.is_empty() {
        sql.push(" UNION (SELECT s.package_id AS id FROM package_search s WHERE s.document @@ ");
        tsquery(sql, &q.words);
        filters_hold(sql, q, "s");
        sql.push(" LIMIT ").bind(Bind::Int(TOTAL_MAX + 1)).push(")");
    }
    sql.push(
        ") c) END AS total) t
             LEFT JOIN LATERAL (SELECT * FROM hits ORDER BY ",
    )
    .push(order_by(sort))
    .push(" LIMIT ")
    .bind(Bind::Int(limit))
    .push(" OFFSET ")
    .bind(Bind::Int(offset))
    .push(") page ON true");
}

pub async fn search(conn: &mut AsyncPgConnection, r: &Request) -> AppResult<SearchResults> {
    let (q, sort, page, per_page) = (&r.query, r.sort, r.page, r.per_page);
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
    // One statement, one round trip: no transaction, no per-request
    // settings (parallel workers are off per table, migration 000007).
    let rows: Vec<Row> = statement(q, sort, limit, offset).query().load(conn).await?;
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
                mirrored_from: r.mirrored_from,
                deprecated: r.deprecated.unwrap_or(false),
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

    #[test]
    fn filters_as_terms() {
        let q = Query::parse(&SearchParams {
            q: Some("http cap:none -cap:Shell keyword:Data_Format ns:Sema owner:al".into()),
            ..Default::default()
        });
        assert_eq!(
            q.filter_terms(),
            ["k:data-format", "n:sema", "o:al", "c:none"]
        );
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
