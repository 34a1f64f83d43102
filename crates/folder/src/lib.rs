//! The migrations folder, defined once. `migrate`, `status`, `verify`, `rollback`, `lint` and `new`
//! all read the folder through [`Folder::read`], so they agree by construction on what a migration
//! file is called, what may live beside it, what text is checksummed, which directives it carries,
//! and which statements it holds. No database and no C code: this crate is the offline half.
//!
//! Every problem a folder can have is a [`Problem`], found in one pass; a folder with any problem
//! is refused by every command that runs migrations, and reported in full by lint.

pub mod checksum;
pub mod directive;
pub mod folder;
pub mod name;
pub mod position;
pub mod problem;
pub mod sql;
pub mod template;

pub use checksum::{Checksum, normalise};
pub use directive::NO_TRANSACTION;
pub use folder::{Folder, SqlFile};
pub use name::FileName;
pub use problem::{Problem, ProblemKind};

/// `verify`'s reference: what the migrations create, written by `cargo xtask snapshot`.
pub const SNAPSHOT_FILE: &str = "schema.snapshot";
/// lint's record of every migration file's checksum.
pub const LOCK_FILE: &str = "migrations.lock";
/// The schema as a picture (Mermaid), written with the snapshot.
pub const PICTURE_FILE: &str = "schema.md";

/// The files that may live beside the migrations without being migrations.
pub const COMPANIONS: &[&str] = &[SNAPSHOT_FILE, LOCK_FILE, PICTURE_FILE];
