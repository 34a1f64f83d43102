//! The optional Neon preview. Neon and GitHub cannot be reached from here, so what is checked
//! instead: the switch job runs for real (off without NEON_API_KEY, an error naming the missing
//! NEON_PROJECT_ID, on with both), the branch is migrated through the direct endpoint by the
//! same action as production (whose steps `deploy` runs against PostgreSQL), and the branch the
//! pull request's close deletes is the one its pushes create.

use crate::runner::{self, Context};
use crate::yaml::Node;

fn switch(secret: Option<&str>, project: Option<&str>) -> runner::Job {
    let workspace = runner::workspace();
    let mut ctx = Context::new(workspace.path(), "pull_request");
    if let Some(key) = secret {
        ctx.secrets.insert("NEON_API_KEY".into(), key.into());
    }
    if let Some(id) = project {
        ctx.vars.insert("NEON_PROJECT_ID".into(), id.into());
    }
    runner::run(&crate::workflow("neon-preview.yml"), "enabled", &ctx)
}

#[test]
fn the_preview_is_off_without_the_api_key_and_on_with_it() {
    let off = switch(None, Some("cool-project-123"));
    assert!(!off.failed(), "{}", off.log());
    assert_eq!(off.outputs["check"]["neon"], "false");
    assert!(
        off.summary
            .contains("Neon preview: off (the repository has no NEON_API_KEY secret)."),
        "{}",
        off.summary
    );

    let on = switch(Some("neon-key-never-printed"), Some("cool-project-123"));
    assert!(!on.failed(), "{}", on.log());
    assert_eq!(on.outputs["check"]["neon"], "true");
    assert!(!on.everything().contains("neon-key-never-printed"));

    let half = switch(Some("neon-key-never-printed"), None);
    let check = half.step("Check for NEON_API_KEY and NEON_PROJECT_ID");
    assert_eq!(check.code, 1);
    assert!(
        check.stdout.contains(
            "::error title=Neon preview::the NEON_API_KEY secret is set but the NEON_PROJECT_ID variable is not"
        ),
        "{}",
        check.stdout
    );
}

fn step<'a>(job: &'a Node, uses: &str) -> &'a Node {
    job.value
        .get("steps")
        .unwrap()
        .value
        .items()
        .iter()
        .find(|s| {
            s.value
                .get("uses")
                .and_then(|u| u.value.str())
                .is_some_and(|u| u.starts_with(uses))
        })
        .unwrap_or_else(|| panic!("no step uses {uses}"))
}

fn text<'a>(node: &'a Node, keys: &[&str]) -> &'a str {
    node.value
        .at(keys)
        .and_then(|n| n.value.str())
        .unwrap_or_else(|| panic!("no {keys:?}"))
}

#[test]
fn the_branch_is_migrated_direct_by_the_production_action_and_deleted_on_close() {
    let file = crate::workflow("neon-preview.yml");
    let migrate = file.root.value.at(&["jobs", "migrate"]).unwrap();
    let delete = file.root.value.at(&["jobs", "delete"]).unwrap();
    assert_eq!(
        text(migrate, &["if"]),
        "needs.enabled.outputs.neon == 'true' && github.event.action != 'closed'"
    );
    assert_eq!(
        text(delete, &["if"]),
        "needs.enabled.outputs.neon == 'true' && github.event.action == 'closed'"
    );
    let create = step(migrate, "neondatabase/create-branch-action@");
    let id = text(create, &["id"]);
    let shared = step(migrate, "./.github/actions/migrate-and-verify");
    // The direct endpoint: db_url, not db_url_pooled.
    assert_eq!(
        text(shared, &["env", "DATABASE_URL"]),
        format!("${{{{ steps.{id}.outputs.db_url }}}}")
    );
    let deploy = crate::workflow("deploy-migrations.yml");
    let production = deploy.root.value.at(&["jobs", "migrate"]).unwrap();
    step(production, "./.github/actions/migrate-and-verify");
    let removed = step(delete, "neondatabase/delete-branch-action@");
    assert_eq!(
        text(create, &["with", "branch_name"]),
        text(removed, &["with", "branch"])
    );
    let reset = step(migrate, "neondatabase/reset-branch-action@");
    assert_eq!(
        text(create, &["with", "branch_name"]),
        text(reset, &["with", "branch"])
    );
    assert_eq!(
        text(reset, &["if"]),
        format!("steps.{id}.outputs.created == 'false'")
    );
}
