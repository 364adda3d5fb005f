//! How actix's extractors answer bad input: our 400 (or 404 for a path that
//! does not parse) instead of their plain-text errors.

use actix_web::{http::StatusCode, web};

use crate::error::{extractor_error, AppError};

/// The largest form body a page accepts.
const FORM_LIMIT: usize = 64 * 1024;

pub fn query() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| {
        extractor_error(
            format!("invalid query string: {e}"),
            StatusCode::BAD_REQUEST,
        )
    })
}

pub fn path() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|e, _| AppError::not_found(format!("no such page ({e})")).into())
}

pub fn form() -> web::FormConfig {
    web::FormConfig::default()
        .limit(FORM_LIMIT)
        .error_handler(|e, _| {
            extractor_error(format!("invalid form: {e}"), StatusCode::BAD_REQUEST)
        })
}
