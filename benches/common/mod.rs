//! Medians for the benchmarks' summary mode: each case runs in rounds of a fixed number
//! of calls, and the median of the rounds' per-call times is what is reported, so a round
//! disturbed by another process on a shared machine does not move the figure. Ratios are
//! taken between medians.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

/// Medians measured so far, in order.
#[derive(Default)]
pub struct Medians {
    rows: Vec<(String, f64)>,
    rounds: usize,
}

impl Medians {
    /// Summaries of `rounds` rounds per case.
    pub fn new(rounds: usize) -> Medians {
        Medians {
            rows: Vec::new(),
            rounds: rounds.max(3),
        }
    }

    /// Measures `f`: calls per round chosen so a round lasts about 20 ms, then the median
    /// over the rounds of the time per call, in nanoseconds.
    pub fn measure(&mut self, name: &str, mut f: impl FnMut()) -> f64 {
        let mut calls = 1u64;
        loop {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            if start.elapsed() >= Duration::from_millis(20) || calls >= 1 << 24 {
                break;
            }
            calls *= 2;
        }
        let mut per_call: Vec<f64> = (0..self.rounds)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..calls {
                    f();
                }
                start.elapsed().as_nanos() as f64 / calls as f64
            })
            .collect();
        per_call.sort_by(f64::total_cmp);
        let median = per_call[per_call.len() / 2];
        self.rows.push((name.to_owned(), median));
        median
    }

    /// The median measured under `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.rows.iter().find(|(n, _)| n == name).map(|(_, m)| *m)
    }

    /// Prints every median, then `name / base` for each pair of `ratios`.
    pub fn print(&self, ratios: &[(&str, &str)]) {
        println!("{:<48} {:>12}", "case", "median");
        for (name, median) in &self.rows {
            println!("{name:<48} {:>9.0} ns", median);
        }
        for (name, base) in ratios {
            if let (Some(a), Some(b)) = (self.get(name), self.get(base)) {
                println!("{:<64} {:>6.2}x", format!("{name} / {base}"), a / b);
            }
        }
    }
}
