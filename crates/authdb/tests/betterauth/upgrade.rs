//! A database the service has used, at the version before the BetterAuth migrations, with users
//! in it, migrated forward by the repository's folder: every user keeps signing in (through the
//! verify hook docs/betterauth.md gives, their hashes being argon2id), addresses stored with
//! capitals are lowercased and found, and the copy can be run again for users the old service
//! adds later.

use argon2::password_hash::{PasswordHasher, SaltString};
use tokio_postgres::Client;
use uuid::Uuid;

use crate::adapter::{CREDENTIAL_ISSUER, CREDENTIAL_PROVIDER};
use crate::credential::verify_with_hook;
use crate::flows::{SignUp, sign_in, sign_in_verified_by, sign_up};

/// An argon2id hash as the service writes it.
fn argon2id(password: &str) -> String {
    let salt = SaltString::encode_b64(b"authdb-upgrade-salt").unwrap();
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// Users as the old service writes them: the address as typed, a password_hash.
async fn add_user(client: &Client, email: &str, password: &str) -> Uuid {
    client
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id",
            &[&email, &argon2id(password)],
        )
        .await
        .unwrap()
        .get(0)
}

/// The statement of the migration that copies passwords into accounts and lowercases the
/// addresses, from the folder.
fn copy_statement() -> String {
    crate::repository()
        .list
        .into_iter()
        .find(|m| m.name == "copy_passwords_and_lowercase_addresses")
        .expect("the repository copies passwords into accounts")
        .sql
}

async fn credential_accounts(client: &Client) -> Vec<(Uuid, String, String, String, String)> {
    client
        .query(
            "SELECT user_id, issuer, provider_id, account_id, password FROM accounts
              ORDER BY user_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

#[tokio::test]
async fn users_of_the_old_schema_keep_signing_in_after_the_migrations() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    crate::migrate(&mut client, Some(crate::before_betterauth())).await;
    let ada = add_user(&client, "ada@example.com", "ada's password").await;
    let grace = add_user(&client, "Grace@Example.COM", "grace's password").await;
    client
        .execute(
            "INSERT INTO sessions (user_id, token, expires_at) VALUES ($1, 'old-session', now() + interval '1 day')",
            &[&ada],
        )
        .await
        .unwrap();
    let hashes: Vec<(Uuid, String)> = client
        .query("SELECT id, password_hash FROM users ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();

    crate::migrate(&mut client, None).await;

    // One credential account per user, holding the user's hash as it was.
    let expected: Vec<(Uuid, String, String, String, String)> = hashes
        .into_iter()
        .map(|(id, hash)| {
            (
                id,
                CREDENTIAL_ISSUER.to_string(),
                CREDENTIAL_PROVIDER.to_string(),
                id.to_string(),
                hash,
            )
        })
        .collect();
    assert_eq!(credential_accounts(&client).await, expected);

    // The address stored with capitals is now the one BetterAuth looks up.
    let email: String = client
        .query_one("SELECT email FROM users WHERE id = $1", &[&grace])
        .await
        .unwrap()
        .get(0);
    assert_eq!(email, "grace@example.com");

    // BetterAuth's default verifier cannot read argon2id; the documented hook can.
    assert!(
        sign_in(&client, "ada@example.com", "ada's password")
            .await
            .is_none()
    );
    for (email, password) in [
        ("ada@example.com", "ada's password"),
        ("Grace@Example.COM", "grace's password"),
    ] {
        assert!(
            sign_in_verified_by(&client, email, password, verify_with_hook)
                .await
                .is_some(),
            "{email}"
        );
        assert!(
            sign_in_verified_by(&client, email, "wrong", verify_with_hook)
                .await
                .is_none(),
            "{email}"
        );
    }
    // Signing up again with that address finds the user instead of failing on the index.
    let again = sign_up(&client, "Grace", "grace@example.com", "x")
        .await
        .unwrap();
    assert!(matches!(again, SignUp::AlreadyExists), "{again:?}");
    // The service's session is still there, with no address or user agent.
    let old: (Uuid, Option<String>) = client
        .query_one(
            "SELECT user_id, ip_address FROM sessions WHERE token = 'old-session'",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(old, (ada, None));
}

/// A user the old service adds after the migrations (its INSERT still works: name and
/// email_verified have defaults), with the address as typed, gets a credential account and a
/// lowercased address when the copy runs again, and the accounts already copied are left as they
/// are.
#[tokio::test]
async fn the_copy_runs_again_for_users_added_since() {
    let db = testdb::empty_database().await;
    let mut client = db.connect().await;
    crate::migrate(&mut client, Some(crate::before_betterauth())).await;
    add_user(&client, "ada@example.com", "a").await;
    crate::migrate(&mut client, None).await;
    let before = credential_accounts(&client).await;
    let linus = add_user(&client, "Linus@Example.com", "l").await;
    let copy = copy_statement();
    assert_eq!(client.execute(copy.as_str(), &[]).await.unwrap(), 1);
    assert_eq!(client.execute(copy.as_str(), &[]).await.unwrap(), 0);
    let after = credential_accounts(&client).await;
    assert_eq!(after.len(), 2);
    assert!(before.iter().all(|account| after.contains(account)));
    assert!(after.iter().any(|account| account.0 == linus));
    let email: String = client
        .query_one("SELECT email FROM users WHERE id = $1", &[&linus])
        .await
        .unwrap()
        .get(0);
    assert_eq!(email, "linus@example.com");
    assert!(
        sign_in_verified_by(&client, "linus@example.com", "l", verify_with_hook)
            .await
            .is_some()
    );
}
