//! What the benchmark runner and the by-hand timings share: the generated migrations and the
//! generated schema of the verify scenario.

pub mod generate;
pub mod schema;
