//! authdb: the schema of the auth service's PostgreSQL database and everything around it.
//!
//! The flow of a migrate call: [`Migrations::load`] reads and checksums the folder,
//! [`Environment`] and [`ConnInfo`] find and parse the database URL, [`connect`] opens a session,
//! and [`migrate`] compares the folder with the tracking table and applies what is pending in one
//! transaction. The `xtask` crate is a thin command line over these.

pub mod adopt;
mod attempt;
pub mod backfill;
pub mod baseline;
mod batch;
pub mod connect;
pub mod conninfo;
pub mod connstring;
pub mod dev;
mod dotenv;
pub mod effects;
pub mod envfile;
pub mod environment;
pub mod error;
pub mod expand;
mod hosts;
mod identify;
pub mod limit;
pub mod live;
mod lock;
pub mod migrations;
pub mod notice;
pub mod plan;
pub mod probe;
mod quote;
mod recording;
pub mod redact;
pub mod rehearse;
pub mod retry;
pub mod rollback;
pub mod runner;
pub mod seed;
pub mod snapshot;
mod socket;
pub mod status;
pub mod timings;
pub mod tracking;
mod transaction;
pub mod unfinished;
pub mod verify;
mod wire;

pub use adopt::{AdoptOptions, AdoptPlan, Adopted, apply_adopt, plan_adopt};
pub use baseline::{Baseline, baseline};
pub use connect::{Connection, Retry, connect, open};
pub use conninfo::{ConnInfo, DEFAULT_CONNECT_TIMEOUT, Tls};
pub use environment::{Environment, Setting};
pub use error::{Error, Result};
pub use limit::{Limit, LimitError};
pub use migrations::{Checksum, Migration, Migrations};
pub use notice::{Notice, Notify};
pub use plan::{Entry, State};
pub use redact::{looks_like_connection_string, redact};
pub use rollback::{RollbackOptions, RollbackPlan, RollbackTo, plan_rollback, rollback};
pub use runner::{
    DEFAULT_LOCK_TIMEOUT, DEFAULT_LOCK_WAIT, DEFAULT_STATEMENT_TIMEOUT, Held, MigrateOptions,
    MigrateReport, Step, migrate,
};
pub use snapshot::{Difference, Snapshot};
pub use status::{Status, status};
pub use verify::{VerifyReport, verify};
