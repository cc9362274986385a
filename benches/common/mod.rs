//! Medians for the benchmarks' summary mode. The cases run interleaved: each round runs
//! every case once, for a number of calls fixed per case so that it lasts about 40 ms (and
//! makes at least 32 calls, so that work a case does now and then, such as PVFS rescanning
//! a directory whose name index is due for a check, is spread as in a steady stream), so
//! the cases of one round see the same machine. A case's figure is the median over the
//! rounds of its time per call; a ratio is the median over the rounds of the two cases'
//! ratio in that round. A round disturbed by another process on a shared machine moves
//! neither.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

/// One case: a name and what one call does.
pub struct Case<'a> {
    name: String,
    run: Box<dyn FnMut() + 'a>,
    calls: u64,
    /// Time per call in each round, in nanoseconds.
    times: Vec<f64>,
}

impl<'a> Case<'a> {
    pub fn new(name: impl Into<String>, run: impl FnMut() + 'a) -> Case<'a> {
        Case {
            name: name.into(),
            run: Box::new(run),
            calls: 1,
            times: Vec::new(),
        }
    }

    fn round(&mut self) -> f64 {
        let start = Instant::now();
        for _ in 0..self.calls {
            (self.run)();
        }
        start.elapsed().as_nanos() as f64 / self.calls as f64
    }

    /// Doubles the calls per round until a round lasts `target`.
    fn calibrate(&mut self, target: Duration) {
        loop {
            let start = Instant::now();
            for _ in 0..self.calls {
                (self.run)();
            }
            if start.elapsed() >= target || self.calls >= 1 << 24 {
                return;
            }
            self.calls *= 2;
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs `cases` for `rounds` interleaved rounds and prints each case's median time per
/// call, then the median ratio `name / base` for each pair of `ratios`.
pub fn run(rounds: usize, mut cases: Vec<Case<'_>>, ratios: &[(&str, &str)]) {
    for case in &mut cases {
        case.calibrate(Duration::from_millis(40));
    }
    for _ in 0..rounds.max(3) {
        for case in &mut cases {
            let t = case.round();
            case.times.push(t);
        }
    }
    println!("{:<48} {:>12}", "case (median per call)", "");
    for case in &cases {
        println!("{:<48} {:>9.0} ns", case.name, median(case.times.clone()));
    }
    let find = |name: &str| cases.iter().find(|c| c.name == name);
    println!("{:<64} {:>7}", "ratio (median of the rounds' ratios)", "");
    for (name, base) in ratios {
        if let (Some(a), Some(b)) = (find(name), find(base)) {
            let per_round: Vec<f64> = a.times.iter().zip(&b.times).map(|(x, y)| x / y).collect();
            println!(
                "{:<64} {:>6.2}x",
                format!("{name} / {base}"),
                median(per_round)
            );
        }
    }
}
