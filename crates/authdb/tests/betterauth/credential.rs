//! BetterAuth's password check, reimplemented here from its source and independently of the
//! seed's code: `@better-auth/utils` 0.4.2 (`src/password.node.ts`, commit b20329a3), which
//! better-auth v1.7.1 pins. `verifyPassword(hash, password)` splits the hash at ':' into salt and
//! key (throwing "Invalid password hash" when either is missing), runs scrypt (N 16384, r 16, p 1,
//! 64 bytes) over the password in NFKC with the salt *text* as the salt, and compares the hex.
//! The vectors below were made with OpenSSL's scrypt, the one Node's `crypto.scrypt` calls:
//!
//! ```text
//! python3 -c 'import hashlib; print(hashlib.scrypt(b"authdb-demo-password",
//!   salt=b"0123456789abcdef0123456789abcdef", n=16384, r=16, p=1, maxmem=2**26, dklen=64).hex())'
//! ```

use unicode_normalization::UnicodeNormalization;

use crate::adapter::{Adapter, CREDENTIAL_ISSUER, CREDENTIAL_PROVIDER};

/// What `verifyPassword` does with a hash it cannot read: it throws, and the sign-in fails.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidHash;

fn scrypt_hex(password: &str, salt: &str) -> String {
    let normalised: String = password.nfkc().collect();
    let params = scrypt::Params::new(14, 16, 1, 64).unwrap();
    let mut key = [0u8; 64];
    scrypt::scrypt(normalised.as_bytes(), salt.as_bytes(), &params, &mut key).unwrap();
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hashPassword`: 16 random bytes of salt, written as hex.
pub fn hash(password: &str) -> String {
    let salt: String = (0..16)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect();
    format!("{salt}:{}", scrypt_hex(password, &salt))
}

/// `verifyPassword`.
pub fn verify(hash: &str, password: &str) -> Result<bool, InvalidHash> {
    let mut parts = hash.split(':');
    let (Some(salt), Some(key)) = (parts.next(), parts.next()) else {
        return Err(InvalidHash);
    };
    if salt.is_empty() || key.is_empty() {
        return Err(InvalidHash);
    }
    Ok(scrypt_hex(password, salt) == key)
}

/// The `emailAndPassword.password.verify` docs/betterauth.md configures for the service's
/// argon2id hashes: argon2 for a PHC `$argon2` string, BetterAuth's own check for the rest.
pub fn verify_with_hook(hash: &str, password: &str) -> Result<bool, InvalidHash> {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    if hash.starts_with("$argon2") {
        let parsed = PasswordHash::new(hash).map_err(|_| InvalidHash)?;
        return Ok(argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok());
    }
    verify(hash, password)
}

/// What sign-in does once the user is found (sign-in.ts:532-571): the credential account is the
/// one with provider `credential`, issuer `local:credential` and the user's id as account id, and
/// its password must pass `verify` (BetterAuth's, or the one configured).
pub fn signs_in(
    user_id: uuid::Uuid,
    accounts: &[tokio_postgres::Row],
    password: &str,
    verify: fn(&str, &str) -> Result<bool, InvalidHash>,
) -> bool {
    let credential = accounts.iter().find(|a| {
        a.get::<_, String>("provider_id") == CREDENTIAL_PROVIDER
            && a.get::<_, String>("issuer") == CREDENTIAL_ISSUER
            && a.get::<_, String>("account_id") == user_id.to_string()
    });
    let Some(stored) = credential.and_then(|a| a.get::<_, Option<String>>("password")) else {
        return false;
    };
    verify(&stored, password) == Ok(true)
}

#[test]
fn the_reimplementation_verifies_hashes_made_by_openssl_s_scrypt() {
    let demo = "0123456789abcdef0123456789abcdef:7a92b2d16d1354d18153f3058c3b2c6cb2fb725e671d40da71ddb\
                b0debbc32d048ec1562219384bd955804d3c2c4f38b832047a34542dca3c6766eaed94be7b4";
    assert_eq!(verify(demo, "authdb-demo-password"), Ok(true));
    assert_eq!(verify(demo, "authdb-demo-passwore"), Ok(false));
    // Made from "fi café", the NFKC form of the ligature U+FB01 and a decomposed é: BetterAuth
    // normalises before hashing, so both spellings sign in.
    let unicode = "fedcba9876543210fedcba9876543210:a472d16dee782c946a9723075ca931e3e1175cf0f85c27c21\
                   de25380478b9685601557740ffd8690d39a99cf86b072c57ab097b53ed8e5125d2f103988e1367e";
    assert_eq!(verify(unicode, "fi café"), Ok(true));
    assert_eq!(verify(unicode, "\u{FB01} cafe\u{301}"), Ok(true));
    assert_eq!(verify(unicode, "fi cafe"), Ok(false));
    // The salt is the hex text, not the bytes it spells.
    let fresh = hash("correct horse");
    assert_eq!(verify(&fresh, "correct horse"), Ok(true));
    assert_ne!(fresh, hash("correct horse"), "a new salt each time");
}

/// An argon2id hash (the service's, and what migration 012 copies) is not BetterAuth's format:
/// its default verifier throws on it, which is why docs/betterauth.md configures
/// `emailAndPassword.password.verify`.
#[test]
fn an_argon2id_hash_is_not_a_betterauth_hash() {
    assert_eq!(
        verify("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "x"),
        Err(InvalidHash)
    );
}

/// The seed's hash is BetterAuth's: what the library writes, the reimplementation accepts.
#[test]
fn the_seed_writes_betterauth_s_hash() {
    let stored =
        authdb::seed::betterauth_hash(authdb::seed::DEMO_PASSWORD, "ada@example.com").unwrap();
    assert_eq!(verify(&stored, authdb::seed::DEMO_PASSWORD), Ok(true));
    assert_eq!(verify(&stored, "authdb-demo-passworD"), Ok(false));
}

/// Every demo user signs in through BetterAuth's own queries with the demo password, and with
/// nothing else.
#[tokio::test]
async fn the_demo_users_sign_in_through_betterauth() {
    let (_db, mut client) = crate::migrated().await;
    let counts = authdb::seed::seed_demo(&mut client).await.unwrap();
    assert_eq!(counts.accounts, 3);
    let adapter = Adapter { client: &client };
    for email in ["ada@example.com", "Grace@Example.com", "LINUS@example.com"] {
        let (user, accounts) = adapter
            .find_user_by_email(&email.to_lowercase(), true)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email}: not found"));
        let id: uuid::Uuid = user.get("id");
        assert!(!user.get::<_, String>("name").is_empty(), "{email}");
        assert!(user.get::<_, bool>("email_verified"), "{email}");
        assert!(
            signs_in(id, &accounts, authdb::seed::DEMO_PASSWORD, verify),
            "{email}"
        );
        assert!(
            !signs_in(id, &accounts, "wrong password", verify),
            "{email}"
        );
    }
}
