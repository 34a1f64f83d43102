//! What the benchmark runner and the by-hand timings share: the generated migrations.

pub mod generate;
