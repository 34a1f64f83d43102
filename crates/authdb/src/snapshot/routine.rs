//! Functions, procedures and aggregates: what `CREATE FUNCTION` (or `PROCEDURE`, `AGGREGATE`)
//! says about them, their body verbatim, and who owns and may run them.

use serde::Serialize;

use super::difference::Object;
use super::privileges::{GrantKind, Privileged};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutineKind {
    #[default]
    Function,
    Procedure,
    Aggregate,
}

impl RoutineKind {
    /// How the snapshot and messages call it.
    pub fn word(self) -> &'static str {
        match self {
            RoutineKind::Function => "function",
            RoutineKind::Procedure => "procedure",
            RoutineKind::Aggregate => "aggregate",
        }
    }

    /// How differences and plans name a routine of this kind.
    pub fn object(self) -> Object {
        match self {
            RoutineKind::Function => Object::Function,
            RoutineKind::Procedure => Object::Procedure,
            RoutineKind::Aggregate => Object::Aggregate,
        }
    }

    pub fn sql_word(self) -> &'static str {
        match self {
            RoutineKind::Function => "FUNCTION",
            RoutineKind::Procedure => "PROCEDURE",
            RoutineKind::Aggregate => "AGGREGATE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    pub kind: RoutineKind,
    /// `pg_get_function_arguments` when it says more than the signature (defaults, OUT
    /// arguments): what `CREATE` must be given.
    pub arguments: Option<String>,
    /// `pg_get_function_result`; none for a procedure.
    pub returns: Option<String>,
    pub language: String,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: String,
    pub strict: bool,
    pub security_definer: bool,
    pub leakproof: bool,
    /// `safe` or `restricted`; none when unsafe (the default).
    pub parallel: Option<String>,
    /// COST, when it is not the language's default (100; 1 for C).
    pub cost: Option<String>,
    /// ROWS of a set-returning function, when it is not 1000.
    pub rows: Option<String>,
    /// `SET name = value` clauses, as `name=value`.
    pub settings: Vec<String>,
    /// The source text between the dollar quotes (or the SQL-standard body), exactly; for an
    /// aggregate, its options (`sfunc = int4pl, stype = integer`).
    pub body: String,
    pub privileged: Privileged,
}

impl Default for Function {
    /// A volatile SQL function of the migrator's, runnable by everyone: as `CREATE FUNCTION`
    /// leaves one when it is given nothing else.
    fn default() -> Function {
        Function {
            kind: RoutineKind::Function,
            arguments: None,
            returns: None,
            language: "sql".to_string(),
            volatility: "volatile".to_string(),
            strict: false,
            security_definer: false,
            leakproof: false,
            parallel: None,
            cost: None,
            rows: None,
            settings: Vec::new(),
            body: String::new(),
            privileged: Privileged::created(GrantKind::Function),
        }
    }
}
