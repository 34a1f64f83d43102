//! BetterAuth's default password hash, so that the demo users' credential accounts are what a
//! BetterAuth server writes at sign-up and it signs them in with no `password.verify` of its own.
//!
//! The algorithm is `@better-auth/utils` 0.4.2, `src/password.node.ts` (commit b20329a3; the
//! version better-auth v1.7.1 pins): scrypt with N = 16384, r = 16, p = 1 and a 64-byte key, over
//! the password normalised to NFKC, stored as `salt:key` in lowercase hex. The salt is 16 random
//! bytes, and scrypt is given their 32-character *hex text* as its salt, not the bytes: BetterAuth
//! passes the string, which Node encodes as UTF-8. A verifier that decoded the hex would reject
//! every hash BetterAuth wrote.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// scrypt's cost: N = 2^14.
const LOG_N: u8 = 14;
/// scrypt's block size.
const R: u32 = 16;
/// scrypt's parallelism.
const P: u32 = 1;
/// The derived key, in bytes (128 hex characters).
const KEY_LEN: usize = 64;
/// The salt, in bytes before BetterAuth writes it as hex (32 characters).
const SALT_LEN: usize = 16;

/// The hash BetterAuth stores in `accounts.password` for `password`, with the salt taken from
/// `salt_source` instead of randomness, so that seeding twice writes the same rows.
pub fn betterauth_hash(password: &str, salt_source: &str) -> Result<String> {
    let digest = Sha256::digest(salt_source.as_bytes());
    let salt = hex(&digest[..SALT_LEN]);
    let key = derive(password, &salt)?;
    Ok(format!("{salt}:{}", hex(&key)))
}

/// scrypt over the NFKC form of `password`, salted with the salt's text.
fn derive(password: &str, salt: &str) -> Result<[u8; KEY_LEN]> {
    let normalised: String = password.nfkc().collect();
    let params = scrypt::Params::new(LOG_N, R, P, KEY_LEN).map_err(|e| Error::PasswordHash {
        reason: e.to_string(),
    })?;
    let mut key = [0u8; KEY_LEN];
    scrypt::scrypt(normalised.as_bytes(), salt.as_bytes(), &params, &mut key).map_err(|e| {
        Error::PasswordHash {
            reason: e.to_string(),
        }
    })?;
    Ok(key)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::betterauth_hash;

    #[test]
    fn the_hash_has_betterauth_s_shape_and_depends_on_password_and_salt_source() {
        let hash = betterauth_hash("authdb-demo-password", "ada@example.com").unwrap();
        let (salt, key) = hash.split_once(':').unwrap();
        assert_eq!(salt.len(), 32, "{hash}");
        assert_eq!(key.len(), 128, "{hash}");
        assert!(
            hash.chars()
                .all(|c| c == ':' || c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "{hash}"
        );
        assert_eq!(
            betterauth_hash("authdb-demo-password", "ada@example.com").unwrap(),
            hash
        );
        assert_ne!(
            betterauth_hash("authdb-demo-password", "grace@example.com").unwrap(),
            hash
        );
        let other = betterauth_hash("another password", "ada@example.com").unwrap();
        assert_eq!(other.split_once(':').unwrap().0, salt);
        assert_ne!(other, hash);
    }
}
