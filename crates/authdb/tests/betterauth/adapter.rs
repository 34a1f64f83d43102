//! The SQL BetterAuth sends, statement for statement: what its Kysely adapter's query builders
//! compile to (Kysely 0.28, PostgreSQL) under docs/betterauth.md's configuration (the tables and
//! columns of the manifest, `generateId: "uuid"`, joins off, the default), for the internal
//! adapter's operations the flows use. Each is noted with where BetterAuth builds it, in
//! better-auth/better-auth at the manifest's commit:
//!
//! - IA: `packages/better-auth/src/db/internal-adapter.ts` (the operation and its data),
//! - WH: `packages/better-auth/src/db/with-hooks.ts` (the reads before a delete),
//! - F: `packages/core/src/db/adapter/factory.ts` (field names, defaults, the default limit of
//!   100, joins done as a second query when `advanced.database.joins` is off),
//! - K: `packages/kysely-adapter/src/kysely-adapter.ts` (the query builder: `findOne` and
//!   `findMany` select from a subquery named "primary"; `create` and `update` return the row).
//!
//! An INSERT names the fields the operation passes, in the order of BetterAuth's table
//! (`packages/core/src/db/get-tables.ts`), and never the id: with `generateId: "uuid"` on
//! PostgreSQL the adapter leaves it to the column's default (`get-id-field.ts`). node-postgres
//! sends every parameter as text for the server to type from the statement; here they are bound
//! as the types the server infers from the same statement (uuid, text, timestamptz, boolean,
//! bigint for a LIMIT).

use std::time::SystemTime;

use tokio_postgres::{Client, Error, GenericClient, Row};
use uuid::Uuid;

/// `createLocalAccountIssuer("credential")` (packages/core/src/db/schema/account.ts:51).
pub const CREDENTIAL_ISSUER: &str = "local:credential";
/// The provider of an email-and-password account (sign-up.ts:389).
pub const CREDENTIAL_PROVIDER: &str = "credential";
/// F:1195: the limit of a `findMany` that names none; F:725, of a one-to-many join.
const DEFAULT_LIMIT: i64 = 100;

/// findUserByEmail (IA:1027) via findOne (F:1093, K:567); the address is lowercased by the
/// caller and again at IA:1038.
const USER_BY_EMAIL: &str =
    r#"select "primary".* from (select * from "users" where "users"."email" = $1) as "primary""#;
/// findUserById (IA:1053); also the user of a session, the join findSession asks for (IA:655)
/// done as a second query (F:747 handleFallbackJoin, one-to-one on users.id).
const USER_BY_ID: &str =
    r#"select "primary".* from (select * from "users" where "users"."id" = $1) as "primary""#;
/// The accounts of a user: the join of findUserByEmail with `includeAccounts` (IA:1043, as a
/// second query: F:747, one-to-many, limit 100), findAccounts (IA:1165) and the read before
/// deleting them (WH:351), all through findMany (F:1174, K:632).
const ACCOUNTS_OF_USER: &str = r#"select "primary".* from (select * from "accounts" where "accounts"."user_id" = $1 limit $2) as "primary""#;
/// createUser (IA:268) via createWithHooks (WH:70), create (F:858, K:562): the fields sign-up
/// passes (sign-up.ts:346; `image` only when given), `createdAt` and `updatedAt` set by IA:276.
const INSERT_USER: &str = r#"insert into "users" ("name", "email", "email_verified", "created_at", "updated_at") values ($1, $2, $3, $4, $5) returning *"#;
/// linkAccount (IA:1066) and createAccount (IA:312): a credential account (sign-up.ts:387,
/// password.ts:311).
const INSERT_ACCOUNT: &str = r#"insert into "accounts" ("issuer", "account_id", "provider_id", "user_id", "password", "created_at", "updated_at") values ($1, $2, $3, $4, $5, $6, $7) returning *"#;
/// createSession (IA:466): the data of IA:499 (address and user agent from the request's
/// headers, a 32-character token, seven days unless "remember me" is off).
const INSERT_SESSION: &str = r#"insert into "sessions" ("expires_at", "token", "created_at", "updated_at", "ip_address", "user_agent", "user_id") values ($1, $2, $3, $4, $5, $6, $7) returning *"#;
/// findSession (IA:602): the session by its token (IA:645), then its user (USER_BY_ID).
const SESSION_BY_TOKEN: &str = r#"select "primary".* from (select * from "sessions" where "sessions"."token" = $1) as "primary""#;
/// deleteSession (IA:849) via deleteWithHooks (IA:908): the row is read first (WH:267, limit 1)
/// and deleted only if found (WH:306, delete: F:1271, K:778).
const SESSION_BY_TOKEN_FOR_DELETE: &str = r#"select "primary".* from (select * from "sessions" where "sessions"."token" = $1 limit $2) as "primary""#;
const DELETE_SESSION: &str = r#"delete from "sessions" where "sessions"."token" = $1"#;
/// updateSession (IA:760) via updateWithHooks (WH:149), update (F:948, K:723): the sliding
/// expiry of get-session (session.ts:356).
const UPDATE_SESSION: &str = r#"update "sessions" set "expires_at" = $1, "updated_at" = $2 where "sessions"."token" = $3 returning *"#;
/// deleteUserSessions (IA:943) and deleteUser's first step (IA:430) via deleteManyWithHooks:
/// the rows are read (WH:351, findMany's default limit) and deleted (WH:387, deleteMany: F:1308,
/// K:790).
const SESSIONS_OF_USER: &str = r#"select "primary".* from (select * from "sessions" where "sessions"."user_id" = $1 limit $2) as "primary""#;
const DELETE_SESSIONS_OF_USER: &str = r#"delete from "sessions" where "sessions"."user_id" = $1"#;
/// deleteUser's second step (IA:441).
const DELETE_ACCOUNTS_OF_USER: &str = r#"delete from "accounts" where "accounts"."user_id" = $1"#;
/// deleteUser's last step (IA:452) via deleteWithHooks: read (WH:267, limit 1), then delete.
const USER_BY_ID_FOR_DELETE: &str = r#"select "primary".* from (select * from "users" where "users"."id" = $1 limit $2) as "primary""#;
const DELETE_USER: &str = r#"delete from "users" where "users"."id" = $1"#;
/// findCredentialAccount (IA:1179): four conditions, which Kysely's `and` puts in parentheses.
const CREDENTIAL_ACCOUNT: &str = r#"select "primary".* from (select * from "accounts" where ("accounts"."user_id" = $1 and "accounts"."provider_id" = $2 and "accounts"."issuer" = $3 and "accounts"."account_id" = $4)) as "primary""#;
/// updatePassword (IA:1138) via updateManyWithHooks (WH:224), updateMany (F:1023, K:743), which
/// adds `updatedAt` (its `onUpdate`: F:246, packages/core/src/db/adapter/utils.ts:10) and returns
/// no row.
const UPDATE_PASSWORD: &str = r#"update "accounts" set "password" = $1, "updated_at" = $2 where ("accounts"."user_id" = $3 and "accounts"."provider_id" = $4 and "accounts"."issuer" = $5 and "accounts"."account_id" = $6)"#;
/// updateUser (IA:1082) with a new address, lowercased (IA:1089), as changeEmail calls it
/// (update-user.ts:787).
const UPDATE_USER_EMAIL: &str =
    r#"update "users" set "email" = $1, "updated_at" = $2 where "users"."id" = $3 returning *"#;
/// createVerificationValue (IA:1234); the identifier is stored as given (no `storeIdentifier`).
const INSERT_VERIFICATION: &str = r#"insert into "verifications" ("identifier", "value", "expires_at", "created_at", "updated_at") values ($1, $2, $3, $4, $5) returning *"#;
/// consumeVerificationValue (IA:1385), in a transaction (IA:1445): the latest row of the
/// identifier (IA:1448, sorted in the subquery and again outside it, K:657 and K:711), consumed
/// by id (IA:1465, consumeOne: F:1346, K:804), then every other row of the identifier (IA:1470).
const LATEST_VERIFICATION: &str = r#"select "primary".* from (select * from "verifications" where "verifications"."identifier" = $1 order by "created_at" desc limit $2) as "primary" order by "created_at" desc"#;
const CONSUME_VERIFICATION: &str = r#"delete from "verifications" where "verifications"."id" in (select "verifications"."id" from "verifications" where "verifications"."id" = $1 limit $2) returning *"#;
const DELETE_VERIFICATIONS: &str =
    r#"delete from "verifications" where "verifications"."identifier" = $1"#;
/// What Kysely's PostgreSQL driver sends around a transaction (`kysely/src/dialect/postgres/
/// postgres-driver.ts`); BetterAuth opens one for sign-up (sign-up.ts:184) and for consuming a
/// verification, with a `pg` pool as the database (`transaction: true`).
const BEGIN: &str = "begin";
const COMMIT: &str = "commit";

/// BetterAuth's internal adapter on one connection.
pub struct Adapter<'a> {
    pub client: &'a Client,
}

fn first(rows: Vec<Row>) -> Option<Row> {
    rows.into_iter().next()
}

async fn delete_if_found(
    client: &impl GenericClient,
    read: &str,
    delete: &str,
    key: &(dyn tokio_postgres::types::ToSql + Sync),
    limit: i64,
) -> Result<u64, Error> {
    if client.query(read, &[key, &limit]).await?.is_empty() {
        return Ok(0);
    }
    client.execute(delete, &[key]).await
}

impl Adapter<'_> {
    pub async fn begin(&self) -> Result<(), Error> {
        self.client.batch_execute(BEGIN).await
    }

    pub async fn commit(&self) -> Result<(), Error> {
        self.client.batch_execute(COMMIT).await
    }

    /// The user and, with `include_accounts`, its accounts.
    pub async fn find_user_by_email(
        &self,
        email: &str,
        include_accounts: bool,
    ) -> Result<Option<(Row, Vec<Row>)>, Error> {
        let Some(user) = first(self.client.query(USER_BY_EMAIL, &[&email]).await?) else {
            return Ok(None);
        };
        let accounts = if include_accounts {
            self.find_accounts(user.get("id")).await?
        } else {
            Vec::new()
        };
        Ok(Some((user, accounts)))
    }

    pub async fn find_user_by_id(&self, id: Uuid) -> Result<Option<Row>, Error> {
        Ok(first(self.client.query(USER_BY_ID, &[&id]).await?))
    }

    pub async fn find_accounts(&self, user: Uuid) -> Result<Vec<Row>, Error> {
        self.client
            .query(ACCOUNTS_OF_USER, &[&user, &DEFAULT_LIMIT])
            .await
    }

    pub async fn create_user(&self, name: &str, email: &str) -> Result<Row, Error> {
        let now = SystemTime::now();
        self.client
            .query_one(INSERT_USER, &[&name, &email, &false, &now, &now])
            .await
    }

    /// A credential account for `user` holding `password` (a BetterAuth hash).
    pub async fn link_credential(&self, user: Uuid, password: &str) -> Result<Row, Error> {
        let now = SystemTime::now();
        self.client
            .query_one(
                INSERT_ACCOUNT,
                &[
                    &CREDENTIAL_ISSUER,
                    &user.to_string(),
                    &CREDENTIAL_PROVIDER,
                    &user,
                    &password,
                    &now,
                    &now,
                ],
            )
            .await
    }

    pub async fn create_session(
        &self,
        user: Uuid,
        token: &str,
        expires_at: SystemTime,
        ip_address: &str,
        user_agent: &str,
    ) -> Result<Row, Error> {
        let now = SystemTime::now();
        self.client
            .query_one(
                INSERT_SESSION,
                &[
                    &expires_at,
                    &token,
                    &now,
                    &now,
                    &ip_address,
                    &user_agent,
                    &user,
                ],
            )
            .await
    }

    /// The session and its user.
    pub async fn find_session(&self, token: &str) -> Result<Option<(Row, Option<Row>)>, Error> {
        let Some(session) = first(self.client.query(SESSION_BY_TOKEN, &[&token]).await?) else {
            return Ok(None);
        };
        let user = self.find_user_by_id(session.get("user_id")).await?;
        Ok(Some((session, user)))
    }

    pub async fn update_session(&self, token: &str, expires_at: SystemTime) -> Result<Row, Error> {
        self.client
            .query_one(UPDATE_SESSION, &[&expires_at, &SystemTime::now(), &token])
            .await
    }

    pub async fn delete_session(&self, token: &str) -> Result<u64, Error> {
        delete_if_found(
            self.client,
            SESSION_BY_TOKEN_FOR_DELETE,
            DELETE_SESSION,
            &token,
            1,
        )
        .await
    }

    pub async fn delete_user_sessions(&self, user: Uuid) -> Result<u64, Error> {
        self.client
            .query(SESSIONS_OF_USER, &[&user, &DEFAULT_LIMIT])
            .await?;
        self.client.execute(DELETE_SESSIONS_OF_USER, &[&user]).await
    }

    /// deleteUser: the sessions, the accounts, then the user.
    pub async fn delete_user(&self, user: Uuid) -> Result<u64, Error> {
        self.delete_user_sessions(user).await?;
        self.find_accounts(user).await?;
        self.client
            .execute(DELETE_ACCOUNTS_OF_USER, &[&user])
            .await?;
        delete_if_found(self.client, USER_BY_ID_FOR_DELETE, DELETE_USER, &user, 1).await
    }

    pub async fn find_credential_account(&self, user: Uuid) -> Result<Option<Row>, Error> {
        let rows = self
            .client
            .query(
                CREDENTIAL_ACCOUNT,
                &[
                    &user,
                    &CREDENTIAL_PROVIDER,
                    &CREDENTIAL_ISSUER,
                    &user.to_string(),
                ],
            )
            .await?;
        Ok(first(rows))
    }

    pub async fn update_password(&self, user: Uuid, password: &str) -> Result<u64, Error> {
        self.client
            .execute(
                UPDATE_PASSWORD,
                &[
                    &password,
                    &SystemTime::now(),
                    &user,
                    &CREDENTIAL_PROVIDER,
                    &CREDENTIAL_ISSUER,
                    &user.to_string(),
                ],
            )
            .await
    }

    pub async fn update_user_email(&self, user: Uuid, email: &str) -> Result<Row, Error> {
        self.client
            .query_one(UPDATE_USER_EMAIL, &[&email, &SystemTime::now(), &user])
            .await
    }

    pub async fn create_verification(
        &self,
        identifier: &str,
        value: &str,
        expires_at: SystemTime,
    ) -> Result<Row, Error> {
        let now = SystemTime::now();
        self.client
            .query_one(
                INSERT_VERIFICATION,
                &[&identifier, &value, &expires_at, &now, &now],
            )
            .await
    }

    /// The latest row of `identifier`, gone from the table with every other row of it; `None`
    /// when there was none. Whether it expired is the caller's test (IA:1497).
    pub async fn consume_verification(&self, identifier: &str) -> Result<Option<Row>, Error> {
        self.begin().await?;
        let latest = first(
            self.client
                .query(LATEST_VERIFICATION, &[&identifier, &1i64])
                .await?,
        );
        let consumed = match latest {
            None => None,
            Some(latest) => {
                let id: Uuid = latest.get("id");
                let row = first(
                    self.client
                        .query(CONSUME_VERIFICATION, &[&id, &1i64])
                        .await?,
                );
                if row.is_some() {
                    self.client
                        .execute(DELETE_VERIFICATIONS, &[&identifier])
                        .await?;
                }
                row
            }
        };
        self.commit().await?;
        Ok(consumed)
    }
}
