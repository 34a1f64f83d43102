//! What a user goes through, as BetterAuth's routes do it (better-auth/better-auth at the
//! manifest's commit, `packages/better-auth/src/api/routes/`): the route's decisions in Rust,
//! every database step the SQL of `adapter.rs`, on a database migrated by the repository's
//! folder. Each test asserts what the user would see.

use std::time::{Duration, SystemTime};

use tokio_postgres::{Client, Row};
use uuid::Uuid;

use crate::adapter::Adapter;
use crate::credential;

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);
const HOUR: Duration = Duration::from_secs(3600);

/// `generateId(n)` (packages/core/src/utils/id.ts): letters and digits.
fn generate_id(n: usize) -> String {
    (0..n).map(|_| fastrand::alphanumeric()).collect()
}

/// What sign-up answered.
#[derive(Debug)]
pub enum SignUp {
    /// The user and the session token it is signed in with.
    Created { user: Uuid, token: String },
    /// 422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL (sign-up.ts:330): the look-up found the address.
    AlreadyExists,
}

/// POST /sign-up/email (sign-up.ts:183-457), default options: in one transaction (184), the
/// lowercased address (248) looked up (308), then the user (346), the credential account (387)
/// and a session (433). An INSERT the database refuses ends the transaction with that error
/// (the route answers 422 FAILED_TO_CREATE_USER, 376).
pub async fn sign_up(
    client: &Client,
    name: &str,
    email: &str,
    password: &str,
) -> Result<SignUp, tokio_postgres::Error> {
    let adapter = Adapter { client };
    let email = email.to_lowercase();
    adapter.begin().await?;
    let result: Result<SignUp, tokio_postgres::Error> = async {
        if adapter.find_user_by_email(&email, false).await?.is_some() {
            return Ok(SignUp::AlreadyExists);
        }
        let hash = credential::hash(password);
        let user: Uuid = adapter.create_user(name, &email).await?.get("id");
        adapter.link_credential(user, &hash).await?;
        let token = generate_id(32);
        adapter
            .create_session(user, &token, SystemTime::now() + WEEK, "", "")
            .await?;
        Ok(SignUp::Created { user, token })
    }
    .await;
    match &result {
        Ok(_) => adapter.commit().await?,
        Err(_) => client.batch_execute("rollback").await?,
    }
    result
}

/// POST /sign-in/email (sign-in.ts:506-641): the lowercased address with its accounts (528),
/// the credential account's password verified (533-571), then a session carrying the client's
/// address and user agent (607). `None`: 401 INVALID_EMAIL_OR_PASSWORD.
pub async fn sign_in(client: &Client, email: &str, password: &str) -> Option<String> {
    sign_in_verified_by(client, email, password, credential::verify).await
}

/// Sign-in with another `emailAndPassword.password.verify`.
pub async fn sign_in_verified_by(
    client: &Client,
    email: &str,
    password: &str,
    verify: fn(&str, &str) -> Result<bool, credential::InvalidHash>,
) -> Option<String> {
    let adapter = Adapter { client };
    let (user, accounts) = adapter
        .find_user_by_email(&email.to_lowercase(), true)
        .await
        .unwrap()?;
    let id: Uuid = user.get("id");
    if !credential::signs_in(id, &accounts, password, verify) {
        return None;
    }
    let token = generate_id(32);
    adapter
        .create_session(
            id,
            &token,
            SystemTime::now() + WEEK,
            "203.0.113.7",
            "Mozilla/5.0 (authdb test)",
        )
        .await
        .unwrap();
    Some(token)
}

/// GET /get-session (session.ts:274-291): the session and its user by token; an expired one is
/// deleted and the answer is null.
async fn get_session(client: &Client, token: &str) -> Option<(Row, Row)> {
    let adapter = Adapter { client };
    let (session, user) = adapter.find_session(token).await.unwrap()?;
    let user = user?;
    if session.get::<_, SystemTime>("expires_at") < SystemTime::now() {
        adapter.delete_session(token).await.unwrap();
        return None;
    }
    Some((session, user))
}

/// A sign-up that must succeed: the user and its session token.
async fn signed_up(client: &Client, name: &str, email: &str, password: &str) -> (Uuid, String) {
    match sign_up(client, name, email, password).await.unwrap() {
        SignUp::Created { user, token } => (user, token),
        SignUp::AlreadyExists => panic!("{email}: sign-up refused"),
    }
}

/// The database refused the address as taken: 23505 from one of the two unique rules on it
/// (users_email_key, users_email_lower_key); the server names the first it checks.
fn assert_address_taken(error: &tokio_postgres::Error) {
    let db_error = error.as_db_error().expect("a server error");
    assert_eq!(db_error.code().code(), "23505", "{db_error}");
    assert!(
        matches!(
            db_error.constraint(),
            Some("users_email_key" | "users_email_lower_key")
        ),
        "{db_error:?}"
    );
}

async fn count(client: &Client, sql: &str, user: Uuid) -> i64 {
    client.query_one(sql, &[&user]).await.unwrap().get(0)
}

#[tokio::test]
async fn sign_up_creates_the_user_its_credential_account_and_a_session() {
    let (_db, client) = crate::migrated().await;
    let (user, token) = signed_up(
        &client,
        "Ada Lovelace",
        "Ada@Example.com",
        "analytical engine",
    )
    .await;
    let (session, signed_in) = get_session(&client, &token).await.expect("signed in");
    assert_eq!(signed_in.get::<_, Uuid>("id"), user);
    assert_eq!(signed_in.get::<_, String>("email"), "ada@example.com");
    assert_eq!(signed_in.get::<_, String>("name"), "Ada Lovelace");
    assert!(!signed_in.get::<_, bool>("email_verified"));
    assert_eq!(signed_in.get::<_, Option<String>>("password_hash"), None);
    assert_eq!(session.get::<_, Uuid>("user_id"), user);
    // The id came from the column's default: BetterAuth sent none.
    assert_eq!(user.get_version_num(), 4);
}

/// A second sign-up with the same address, in any case, is refused by the look-up; two at once,
/// where both look-ups find nothing, are told apart by the database: the second INSERT waits for
/// the first transaction and is refused with 23505 by the address's unique index.
#[tokio::test]
async fn a_second_sign_up_with_the_same_address_is_refused() {
    let (db, client) = crate::migrated().await;
    let first = sign_up(&client, "Grace", "grace@example.com", "cobol")
        .await
        .unwrap();
    assert!(matches!(first, SignUp::Created { .. }), "{first:?}");
    let again = sign_up(&client, "Grace", "GRACE@example.com", "fortran")
        .await
        .unwrap();
    assert!(matches!(again, SignUp::AlreadyExists), "{again:?}");

    let other = db.connect().await;
    let (one, two) = (Adapter { client: &client }, Adapter { client: &other });
    for adapter in [&one, &two] {
        adapter.begin().await.unwrap();
        let found = adapter
            .find_user_by_email("linus@example.com", false)
            .await
            .unwrap();
        assert!(found.is_none());
    }
    one.create_user("Linus", "linus@example.com").await.unwrap();
    let (second, ()) = tokio::join!(two.create_user("Linus", "linus@example.com"), async {
        // The second INSERT now waits on the first transaction's row; let it see the COMMIT.
        tokio::time::sleep(Duration::from_millis(200)).await;
        one.commit().await.unwrap();
    });
    let error = second.expect_err("the second sign-up inserted a user");
    assert_address_taken(&error);
    other.batch_execute("rollback").await.unwrap();
    let users: i64 = client
        .query_one(
            "SELECT count(*) FROM users WHERE email = 'linus@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 1);
}

#[tokio::test]
async fn sign_in_checks_the_password_and_records_the_client() {
    let (_db, client) = crate::migrated().await;
    sign_up(&client, "Linus", "linus@example.com", "just for fun")
        .await
        .unwrap();
    assert_eq!(
        sign_in(&client, "linus@example.com", "just for fun!").await,
        None
    );
    assert_eq!(
        sign_in(&client, "nobody@example.com", "just for fun").await,
        None
    );
    let token = sign_in(&client, "Linus@Example.com", "just for fun")
        .await
        .expect("the right password signs in");
    let (session, user) = get_session(&client, &token).await.expect("a session");
    assert_eq!(user.get::<_, String>("email"), "linus@example.com");
    assert_eq!(
        session.get::<_, Option<String>>("ip_address").as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        session.get::<_, Option<String>>("user_agent").as_deref(),
        Some("Mozilla/5.0 (authdb test)")
    );
}

/// An expired session is not returned, and get-session deletes it; a live one is refreshed
/// (session.ts:356) and the trigger moves updated_at.
#[tokio::test]
async fn get_session_returns_a_live_session_and_deletes_an_expired_one() {
    let (_db, client) = crate::migrated().await;
    let (user, token) = signed_up(&client, "Ada", "ada@example.com", "engine").await;
    let adapter = Adapter { client: &client };
    adapter
        .create_session(user, "expired-token", SystemTime::now() - HOUR, "", "")
        .await
        .unwrap();
    assert!(get_session(&client, "expired-token").await.is_none());
    assert!(
        adapter
            .find_session("expired-token")
            .await
            .unwrap()
            .is_none()
    );
    assert!(get_session(&client, "no-such-token").await.is_none());

    let (before, _) = get_session(&client, &token).await.unwrap();
    let refreshed = adapter
        .update_session(&token, SystemTime::now() + 2 * WEEK)
        .await
        .unwrap();
    assert!(
        refreshed.get::<_, SystemTime>("expires_at") > before.get::<_, SystemTime>("expires_at")
    );
    assert!(
        refreshed.get::<_, SystemTime>("updated_at") >= before.get::<_, SystemTime>("updated_at")
    );
}

/// POST /sign-out (sign-out.ts:77-106): the session is read, deleted, and the user's accounts
/// read for provider logout. The other sessions stay.
#[tokio::test]
async fn sign_out_ends_only_that_session() {
    let (_db, client) = crate::migrated().await;
    sign_up(&client, "Ada", "ada@example.com", "engine")
        .await
        .unwrap();
    let laptop = sign_in(&client, "ada@example.com", "engine").await.unwrap();
    let phone = sign_in(&client, "ada@example.com", "engine").await.unwrap();
    let adapter = Adapter { client: &client };
    let (_, user) = adapter.find_session(&laptop).await.unwrap().unwrap();
    assert_eq!(adapter.delete_session(&laptop).await.unwrap(), 1);
    let accounts = adapter
        .find_accounts(user.unwrap().get("id"))
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    assert!(get_session(&client, &laptop).await.is_none());
    assert!(get_session(&client, &phone).await.is_some());
    // Signing out twice finds nothing to delete.
    assert_eq!(adapter.delete_session(&laptop).await.unwrap(), 0);
}

/// POST /revoke-sessions (session.ts:744-778): every session of the user goes, nobody else's.
#[tokio::test]
async fn revoking_every_session_of_a_user_leaves_other_users_signed_in() {
    let (_db, client) = crate::migrated().await;
    let (user, token) = signed_up(&client, "Ada", "ada@example.com", "engine").await;
    let second = sign_in(&client, "ada@example.com", "engine").await.unwrap();
    sign_up(&client, "Grace", "grace@example.com", "cobol")
        .await
        .unwrap();
    let grace = sign_in(&client, "grace@example.com", "cobol")
        .await
        .unwrap();
    let adapter = Adapter { client: &client };
    assert_eq!(adapter.delete_user_sessions(user).await.unwrap(), 2);
    assert!(get_session(&client, &token).await.is_none());
    assert!(get_session(&client, &second).await.is_none());
    assert!(get_session(&client, &grace).await.is_some());
}

/// POST /request-password-reset (password.ts:100-131) and POST /reset-password (292-320): the
/// token is a verification row, consumed once; the new password signs in, the old one no
/// longer; the used token is gone, and a second use is refused (400 INVALID_TOKEN).
#[tokio::test]
async fn a_password_reset_token_works_once() {
    let (_db, client) = crate::migrated().await;
    sign_up(&client, "Ada", "ada@example.com", "old password")
        .await
        .unwrap();
    let adapter = Adapter { client: &client };

    // Request: the user with its accounts, then the token.
    let (user, _) = adapter
        .find_user_by_email("ada@example.com", true)
        .await
        .unwrap()
        .unwrap();
    let id: Uuid = user.get("id");
    let token = generate_id(24);
    let identifier = format!("reset-password:{token}");
    adapter
        .create_verification(&identifier, &id.to_string(), SystemTime::now() + HOUR)
        .await
        .unwrap();

    // Reset: consume the token, then set the password on the credential account.
    let reset = |password: &'static str| {
        let adapter = Adapter { client: &client };
        let identifier = identifier.clone();
        async move {
            let verification = adapter.consume_verification(&identifier).await.unwrap()?;
            if verification.get::<_, SystemTime>("expires_at") < SystemTime::now() {
                return None;
            }
            let user: Uuid = verification
                .get::<_, String>("value")
                .parse()
                .expect("the value is the user's id");
            adapter.find_user_by_id(user).await.unwrap()?;
            let hash = credential::hash(password);
            assert!(
                adapter
                    .find_credential_account(user)
                    .await
                    .unwrap()
                    .is_some()
            );
            assert_eq!(adapter.update_password(user, &hash).await.unwrap(), 1);
            Some(())
        }
    };
    assert_eq!(reset("new password").await, Some(()));
    assert!(
        sign_in(&client, "ada@example.com", "new password")
            .await
            .is_some()
    );
    assert!(
        sign_in(&client, "ada@example.com", "old password")
            .await
            .is_none()
    );
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM verifications WHERE identifier = $1",
            &[&identifier],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the used token is gone");
    assert_eq!(
        reset("third password").await,
        None,
        "a used token works again"
    );
    assert!(
        sign_in(&client, "ada@example.com", "third password")
            .await
            .is_none()
    );

    // An expired token is consumed (so it cannot be tried again) and refused.
    adapter
        .create_verification(&identifier, &id.to_string(), SystemTime::now() - HOUR)
        .await
        .unwrap();
    assert_eq!(reset("third password").await, None);
    assert_eq!(
        adapter
            .consume_verification(&identifier)
            .await
            .unwrap()
            .map(|_| ()),
        None
    );
}

/// POST /change-email (update-user.ts:731-790) with `updateEmailWithoutVerification`: the new
/// address, lowercased, is looked up, then written. One another user holds is found by the
/// look-up and nothing changes; one taken between the look-up and the UPDATE is refused by the
/// database (23505).
#[tokio::test]
async fn changing_the_address_moves_sign_in_to_the_new_one() {
    let (_db, client) = crate::migrated().await;
    let (user, _) = signed_up(&client, "Ada", "ada@example.com", "engine").await;
    sign_up(&client, "Grace", "grace@example.com", "cobol")
        .await
        .unwrap();
    let adapter = Adapter { client: &client };
    let new = "Countess@Example.org".to_lowercase();
    assert!(
        adapter
            .find_user_by_email(&new, false)
            .await
            .unwrap()
            .is_none()
    );
    let changed = adapter.update_user_email(user, &new).await.unwrap();
    assert_eq!(changed.get::<_, String>("email"), "countess@example.org");
    assert!(
        sign_in(&client, "countess@example.org", "engine")
            .await
            .is_some()
    );
    assert!(
        sign_in(&client, "ada@example.com", "engine")
            .await
            .is_none()
    );

    assert!(
        adapter
            .find_user_by_email("grace@example.com", false)
            .await
            .unwrap()
            .is_some()
    );
    let error = adapter
        .update_user_email(user, "grace@example.com")
        .await
        .unwrap_err();
    assert_address_taken(&error);
}

/// POST /delete-user (update-user.ts:553-554): sessions, accounts, then the user; the service's
/// software and hardware background rows go with the user (ON DELETE CASCADE), and nothing of
/// another user does.
#[tokio::test]
async fn deleting_a_user_takes_sessions_accounts_and_both_backgrounds() {
    let (_db, client) = crate::migrated().await;
    let mut users = Vec::new();
    for (name, email) in [("Ada", "ada@example.com"), ("Grace", "grace@example.com")] {
        let (user, _) = signed_up(&client, name, email, "pw").await;
        sign_in(&client, email, "pw").await.unwrap();
        client
            .execute(
                "INSERT INTO software_background (user_id, experience_level) VALUES ($1, 'expert')",
                &[&user],
            )
            .await
            .unwrap();
        client
            .execute(
                "INSERT INTO hardware_background (user_id, experience_level) VALUES ($1, 'beginner')",
                &[&user],
            )
            .await
            .unwrap();
        users.push(user);
    }
    let adapter = Adapter { client: &client };
    assert_eq!(adapter.delete_user(users[0]).await.unwrap(), 1);
    adapter.delete_user_sessions(users[0]).await.unwrap();
    let tables = [
        ("SELECT count(*) FROM users WHERE id = $1", 1),
        ("SELECT count(*) FROM sessions WHERE user_id = $1", 2),
        ("SELECT count(*) FROM accounts WHERE user_id = $1", 1),
        (
            "SELECT count(*) FROM software_background WHERE user_id = $1",
            1,
        ),
        (
            "SELECT count(*) FROM hardware_background WHERE user_id = $1",
            1,
        ),
    ];
    for (sql, grace_has) in tables {
        assert_eq!(count(&client, sql, users[0]).await, 0, "{sql}");
        assert_eq!(count(&client, sql, users[1]).await, grace_has, "{sql}");
    }
    assert!(sign_in(&client, "ada@example.com", "pw").await.is_none());
}
