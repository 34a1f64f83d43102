//! The results table: one row per claim, its baseline from the same run, the ratio between the
//! two (the part that holds on any machine), and whether the goal is met.

use std::fmt::Write;

use crate::measure::Sample;

#[derive(Debug, Clone, Copy)]
enum Goal {
    None,
    /// The median must be below this many milliseconds.
    UnderMs(f64),
    /// The ratio to the baseline must be at most this.
    AtMostTimes(f64),
    /// The median may exceed the baseline's by at most this many milliseconds.
    WithinMs(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Ms,
    MiB,
}

pub struct Row {
    name: String,
    sample: Sample,
    unit: Unit,
    baseline: Option<(String, Sample)>,
    goal: Goal,
    /// A second goal's verdict, where a row has two.
    also: Option<bool>,
    note: Option<String>,
}

impl Row {
    pub fn new(name: &str, sample: Sample) -> Row {
        Row {
            name: name.to_string(),
            sample,
            unit: Unit::Ms,
            baseline: None,
            goal: Goal::None,
            also: None,
            note: None,
        }
    }

    pub fn memory(name: &str, mib: f64) -> Row {
        Row {
            unit: Unit::MiB,
            ..Row::new(name, Sample { runs: vec![mib] })
        }
    }

    pub fn baseline(mut self, name: &str, sample: Sample) -> Row {
        self.baseline = Some((name.to_string(), sample));
        self
    }

    pub fn under_ms(mut self, ms: f64) -> Row {
        self.goal = Goal::UnderMs(ms);
        self
    }

    pub fn at_most_times(mut self, ratio: f64) -> Row {
        self.goal = Goal::AtMostTimes(ratio);
        self
    }

    pub fn within_ms_of_baseline(mut self, ms: f64) -> Row {
        self.goal = Goal::WithinMs(ms);
        self
    }

    /// The row's goal is met only if `also` holds too (a second goal, written in the note).
    pub fn and_goal(mut self, also: Option<bool>) -> Row {
        self.also = also;
        self
    }

    pub fn note(mut self, note: String) -> Row {
        self.note = Some(note);
        self
    }

    pub fn sample(&self) -> Sample {
        self.sample.clone()
    }

    fn ratio(&self) -> Option<f64> {
        let (_, baseline) = self.baseline.as_ref()?;
        Some(self.sample.median() / baseline.median())
    }

    /// Whether the goal is met; `None` when there is none.
    pub fn met(&self) -> Option<bool> {
        let first = match self.goal {
            Goal::None => None,
            Goal::UnderMs(ms) => Some(self.sample.median() < ms),
            Goal::AtMostTimes(ratio) => self.ratio().map(|r| r <= ratio),
            Goal::WithinMs(ms) => {
                let (_, baseline) = self.baseline.as_ref()?;
                Some(self.sample.median() - baseline.median() <= ms)
            }
        };
        match (first, self.also) {
            (Some(a), Some(b)) => Some(a && b),
            (a, b) => a.or(b),
        }
    }

    fn value(&self, v: f64) -> String {
        match self.unit {
            Unit::MiB => format!("{v:.1} MiB"),
            Unit::Ms if v >= 1000.0 => format!("{:.2} s", v / 1000.0),
            Unit::Ms if v >= 10.0 => format!("{v:.0} ms"),
            Unit::Ms => format!("{v:.2} ms"),
        }
    }
}

/// The markdown page: the machine, the server, then the table.
pub fn markdown(rows: &[Row], header: &str) -> String {
    let mut out = String::from(header);
    out.push_str(
        "\n| scenario | median | min–max | baseline (same run) | baseline median | ratio | goal | met |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let (baseline, baseline_median) = match &row.baseline {
            Some((name, sample)) => (name.clone(), row.value(sample.median())),
            None => ("-".into(), "-".into()),
        };
        let ratio = row.ratio().map_or("-".into(), |r| match r {
            r if r < 0.1 => format!("{r:.3}×"),
            r => format!("{r:.2}×"),
        });
        let goal = match row.goal {
            Goal::None => "-".to_string(),
            Goal::UnderMs(ms) => format!("< {}", row.value(ms)),
            Goal::AtMostTimes(r) => format!("ratio ≤ {r}"),
            Goal::WithinMs(ms) => format!("≤ baseline + {}", row.value(ms)),
        };
        let met = match row.met() {
            None => "-",
            Some(true) => "yes",
            Some(false) => "**no**",
        };
        let mut name = row.name.clone();
        if let Some(note) = &row.note {
            let _ = write!(name, " ({note})");
        }
        let _ = writeln!(
            out,
            "| {name} | {} | {}–{} | {baseline} | {baseline_median} | {ratio} | {goal} | {met} |",
            row.value(row.sample.median()),
            row.value(row.sample.min()),
            row.value(row.sample.max()),
        );
    }
    out
}
