//! Deprecation: what an owner may say when marking a package deprecated.

use super::names::PackageName;
use super::{DomainError, DomainResult};

/// The longest message, in characters (after trimming).
pub const MESSAGE_MAX: usize = 500;

/// A checked deprecation: a message and, optionally, the package to use instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    pub message: String,
    pub successor: Option<PackageName>,
}

impl Deprecation {
    /// Checks an owner's request for `package` (its canonical name). The
    /// message has at most 500 characters as sent, something besides
    /// whitespace, and no control character but tab and line ends (it goes
    /// into pages and Atom feeds); it is kept trimmed, with `\n` line ends.
    /// The successor is a package name exactly as sent, and not this
    /// package; the API's schema says the same (`api::deprecation`). Whether
    /// it exists is the caller's question: it needs the database.
    pub fn parse(
        package: &str,
        message: &str,
        successor: Option<&str>,
    ) -> DomainResult<Deprecation> {
        let chars = message.chars().count();
        if chars > MESSAGE_MAX {
            return Err(DomainError::invalid(format!(
                "the deprecation message is {chars} characters; at most {MESSAGE_MAX} are allowed"
            )));
        }
        // A browser's textarea sends CRLF line ends.
        let message = message.trim().replace("\r\n", "\n").replace('\r', "\n");
        if message.is_empty() {
            return Err(DomainError::invalid("the deprecation message is empty"));
        }
        let refused = |c: char| {
            (c.is_control() && c != '\n' && c != '\t') || c == '\u{FFFE}' || c == '\u{FFFF}'
        };
        if message.chars().any(refused) {
            return Err(DomainError::invalid(
                "the deprecation message holds a control character",
            ));
        }
        let successor = match successor {
            None => None,
            Some(s) => Some(
                PackageName::parse(s)
                    .map_err(|e| DomainError::invalid(format!("successor: {e}")))?,
            ),
        };
        if successor.as_ref().is_some_and(|s| s.canonical == package) {
            return Err(DomainError::Unprocessable(
                "a package cannot be its own successor".into(),
            ));
        }
        Ok(Deprecation { message, successor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_trimmed_and_kept() {
        let d = Deprecation::parse("old", "  use new instead \n", Some("New_Pkg")).unwrap();
        assert_eq!(d.message, "use new instead");
        let s = d.successor.unwrap();
        assert_eq!(
            (s.name.as_str(), s.canonical.as_str()),
            ("New_Pkg", "new-pkg")
        );
    }

    #[test]
    fn the_message_has_one_to_five_hundred_characters() {
        assert!(matches!(
            Deprecation::parse("old", "   ", None),
            Err(DomainError::Invalid(_))
        ));
        // Characters, not bytes: 500 two-byte letters are allowed.
        assert!(Deprecation::parse("old", &"é".repeat(MESSAGE_MAX), None).is_ok());
        let e = Deprecation::parse("old", &"x".repeat(MESSAGE_MAX + 1), None).unwrap_err();
        assert!(e.to_string().contains("501"), "{e}");
    }

    #[test]
    fn control_characters_are_refused_but_newlines_are_not() {
        assert!(Deprecation::parse("old", "line one\nline\ttwo", None).is_ok());
        let d = Deprecation::parse("old", "from\r\na form", None).unwrap();
        assert_eq!(d.message, "from\na form");
        assert!(matches!(
            Deprecation::parse("old", "bell\u{7}", None),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn a_successor_is_a_name_as_sent() {
        for bad in ["", "  ", " json", "no spaces"] {
            assert!(
                matches!(
                    Deprecation::parse("old", "m", Some(bad)),
                    Err(DomainError::Invalid(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_length_is_counted_as_sent_and_lone_carriage_returns_are_line_ends() {
        let padded = format!("{} ", "x".repeat(MESSAGE_MAX));
        assert!(Deprecation::parse("old", &padded, None).is_err());
        let d = Deprecation::parse("old", "one\rtwo", None).unwrap();
        assert_eq!(d.message, "one\ntwo");
    }

    #[test]
    fn a_package_cannot_succeed_itself_in_any_spelling() {
        assert!(matches!(
            Deprecation::parse("my-pkg", "m", Some("My_Pkg")),
            Err(DomainError::Unprocessable(_))
        ));
        assert!(Deprecation::parse("my-pkg", "m", Some("my-pkg2")).is_ok());
    }
}
