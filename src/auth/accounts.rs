//! Account rules (usernames, emails, passwords) and argon2id hashing. No HTTP here.

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Argon2,
};

use crate::db::models::User;
use crate::error::{AppError, AppResult};

pub const PASSWORD_MIN: usize = 8;
/// Long enough for any passphrase, short enough that hashing stays cheap.
pub const PASSWORD_MAX: usize = 256;

/// 2–39 characters of letters, digits and single hyphens, no hyphen at either end.
/// The refusal when `REGISTRATION=closed` (the default in private mode).
pub const REGISTRATION_CLOSED: &str =
    "registration is closed on this registry; an administrator creates accounts with `sema-pkg admin create-user`";

/// Whether the account may act: not suspended. The one test of a ban, for
/// sessions, tokens, password and GitHub sign-in alike.
pub fn is_active(user: &User) -> bool {
    user.banned_at.is_none()
}

/// The account, if it may act; a suspended one is refused.
pub fn require_active(user: User) -> AppResult<User> {
    if !is_active(&user) {
        return Err(AppError::forbidden("this account is suspended"));
    }
    Ok(user)
}

pub fn validate_username(name: &str) -> AppResult<()> {
    let ok_len = (2..=39).contains(&name.chars().count());
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok_len || !ok_chars || name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Err(AppError::bad_request(
            "username must be 2-39 characters of letters, digits and single hyphens, not starting or ending with a hyphen",
        ));
    }
    Ok(())
}

pub fn validate_email(email: &str) -> AppResult<()> {
    let bad = || AppError::bad_request("email must look like name@example.com");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(bad());
    }
    Ok(())
}

pub fn validate_password(password: &str) -> AppResult<()> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(AppError::bad_request(format!(
            "password must be at least {PASSWORD_MIN} characters"
        )));
    }
    if n > PASSWORD_MAX {
        return Err(AppError::bad_request(format!(
            "password must be at most {PASSWORD_MAX} characters"
        )));
    }
    Ok(())
}

/// argon2id with the crate defaults (m=19 MiB, t=2, p=1: OWASP's recommendation).
/// CPU-heavy, so it runs on the blocking pool.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Verifies in constant time. With no stored hash it still does the work of one
/// verification, so a missing account takes as long as a wrong password.
pub async fn verify_password(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VtYS1wa2ctZHVtbXk$oVFbv8OcHtPwkBa0HqQIVD5gsOG2CRqaZvUsaqV9LYA";
    let password = password.to_string();
    let (stored, real) = match stored {
        Some(s) => (s.to_string(), true),
        None => (DUMMY.to_string(), false),
    };
    tokio::task::spawn_blocking(move || {
        let ok = PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && real
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["ab", "alice", "a-b-c", "A1", &"x".repeat(39)] {
            assert!(validate_username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a",
            "-ab",
            "ab-",
            "a--b",
            "a_b",
            "a b",
            "ä",
            &"x".repeat(40),
            "",
        ] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(validate_email("a@b.co").is_ok());
        for bad in [
            "", "a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@.b", "a@b.",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash_password("correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&h)).await);
        assert!(!verify_password("wrong horse", Some(&h)).await);
        assert!(!verify_password("correct horse", None).await);
    }
}
