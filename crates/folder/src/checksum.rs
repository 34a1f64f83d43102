//! What counts as an edit: the SHA-256 of a file's text after normalisation. A CRLF checkout or a
//! byte-order mark is not an edit, so they are removed before hashing; the same text is what is
//! sent to the server. migrate records this checksum and lint's lock file holds it, so the two can
//! never disagree about "edited".

use std::fmt;

use sha2::{Digest, Sha256};

/// SHA-256 of a normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    pub fn of(text: &str) -> Checksum {
        Checksum(Sha256::digest(text.as_bytes()).into())
    }

    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// The text that is sent and checksummed: no BOM, LF line endings.
pub fn normalise(text: &str) -> String {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n")
}

/// [`normalise`] of a text read whole, without a copy when there is nothing to change (the
/// usual case): a large migration is then held once, not twice.
pub fn normalise_owned(text: String) -> String {
    if text.starts_with('\u{feff}') || text.contains("\r\n") {
        normalise(&text)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_hex_sha256() {
        assert_eq!(
            Checksum::of("").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn crlf_and_bom_are_not_edits() {
        let lf = normalise("SELECT 1;\nSELECT 2;\n");
        assert_eq!(normalise("\u{feff}SELECT 1;\r\nSELECT 2;\r\n"), lf);
        assert_eq!(Checksum::of(&normalise("a\r\n")), Checksum::of("a\n"));
        for text in ["\u{feff}SELECT 1;\r\n", "SELECT 1;\r\n", "SELECT 1;\n", ""] {
            assert_eq!(normalise_owned(text.to_string()), normalise(text));
        }
    }
}
