//! The password never reaches the output, whatever its spelling, wherever the user puts it: in
//! the URL's user information, under a percent-encoded or capitalised key, in a key=value
//! connection string (also one that contains `://`), in an argument clap did not expect, in JSON.

use crate::{state, text, xtask};

/// A role of its own, with a password that appears nowhere else.
const USER: &str = "authdb_secret_tester";
const SECRET: &str = "Qv7-secret-Kx9";

#[tokio::test]
async fn the_password_is_hidden_in_every_spelling_on_success_and_failure() {
    let db = testdb::migrated_database().await;
    let admin = db.connect().await;
    let _ = admin
        .batch_execute(&format!(
            "CREATE ROLE {USER} LOGIN SUPERUSER PASSWORD '{SECRET}'"
        ))
        .await;
    let server = testdb::server();
    let (host, port, name) = (&server.host, server.port, &db.name);
    let repo = testdb::migrations_dir();
    let repo = repo.to_str().unwrap();
    // Each connects (status exits 0) as the user, with the password spelled another way.
    let working = [
        format!("postgres://{USER}:{SECRET}@{host}:{port}/{name}"),
        format!("postgres://{USER}@{host}:{port}/{name}?pass%77ord={SECRET}"),
        format!("postgres://{USER}@{host}:{port}/{name}?password={SECRET}&application_name=x"),
        format!("host={host} port={port} user={USER} password={SECRET} dbname={name}"),
        format!(
            "host={host} port={port} user={USER} password='{SECRET}' dbname={name} application_name=a://b"
        ),
    ];
    // Each fails, and says why without the password.
    let failing = [
        format!("postgres://{USER}@{host}:{port}/{name}?sslpassword={SECRET}"),
        format!("postgres://{USER}@{host}:{port}/{name}?PASSWORD={SECRET}"),
        format!("postgres://{USER}@{host}:{port}/{name}?mystery={SECRET}"),
        format!("postgres://{USER}:{SECRET}@{host}:{port}/{name}?options=-c%20x=1&bad"),
        format!("host={host} port={port} user={USER} password='{SECRET} dbname={name}"),
        format!("postgres://{host}:{port}/{name}?password={SECRET}@x"),
        format!("postgres://{USER}:{SECRET}@{host}:{port}/no_such_database"),
    ];
    let before = state(&db).await;
    let cwd = tempfile::tempdir().unwrap();
    for (url, code) in working
        .iter()
        .map(|u| (u, 0))
        .chain(failing.iter().map(|u| (u, 1)))
    {
        for json in [false, true] {
            let mut command = xtask(cwd.path());
            command.args(["status", "--database-url", url, "--migrations", repo]);
            if json {
                command.arg("--json");
            }
            let output = command.output().unwrap();
            let (stdout, stderr) = text(&output);
            assert_eq!(output.status.code(), Some(code), "{url}: {stdout}{stderr}");
            assert!(
                !stdout.contains(SECRET) && !stderr.contains(SECRET),
                "{url} json={json} leaked:\n{stdout}{stderr}"
            );
            assert!(
                !stdout.is_empty() || !stderr.is_empty(),
                "{url}: nothing said"
            );
            if json {
                serde_json::from_str::<serde_json::Value>(&stdout)
                    .unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {stdout}"));
            }
        }
    }
    assert_eq!(state(&db).await, before);
}

/// A URL given without `--database-url`, or with a mistyped flag, is quoted by clap's usage
/// error: it is shown redacted.
#[test]
fn a_url_in_the_wrong_place_is_redacted_in_the_usage_error() {
    let cwd = tempfile::tempdir().unwrap();
    let url = format!("postgres://app:{SECRET}@db.example/app");
    let keys = format!("host=db.example password={SECRET}");
    let cases = [
        vec!["migrate".to_string(), url.clone()],
        vec!["migrate".to_string(), format!("--databse-url={url}")],
        vec!["status".to_string(), keys.clone(), "--json".to_string()],
    ];
    for args in cases {
        let output = xtask(cwd.path()).args(&args).output().unwrap();
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{args:?} leaked:\n{stdout}{stderr}"
        );
        assert!(stderr.contains("unexpected argument"), "{stderr}");
    }
    let output = xtask(cwd.path()).args(["migrate", &url]).output().unwrap();
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("'postgres://app:***@db.example/app'"),
        "{stderr}"
    );
}
