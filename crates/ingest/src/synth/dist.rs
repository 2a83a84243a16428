//! Sampling helpers: weighted choices built once per run, log-normal
//! amounts rounded so that they survive a JSON round trip, and dates.

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, Weekday};

pub type Rng8 = ChaCha8Rng;

/// A weighted choice. Built once per run because building the index is the
/// costly part; a draw is a binary search.
pub struct Pick<T> {
    items: Vec<T>,
    index: WeightedIndex<f64>,
}

impl<T: Copy> Pick<T> {
    pub fn new(pairs: impl IntoIterator<Item = (T, f64)>) -> Self {
        let (items, weights): (Vec<T>, Vec<f64>) = pairs.into_iter().unzip();
        let index = WeightedIndex::new(weights).expect("measured weights are positive");
        Pick { items, index }
    }

    pub fn counted(pairs: &[(T, u32)]) -> Self {
        Self::new(pairs.iter().map(|&(t, w)| (t, f64::from(w))))
    }

    pub fn pick(&self, r: &mut Rng8) -> T {
        self.items[self.index.sample(r)]
    }
}

impl Pick<usize> {
    /// From counts of filings with 1, 2, 3, ... rows.
    pub fn rows(counts: &[u32]) -> Self {
        Self::new(counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, &c)| (i + 1, f64::from(c))))
    }
}

/// An approximately standard normal draw: 12 uniforms minus 6 (Irwin-Hall,
/// tails cut at 6 sd). Only additions, unlike Box-Muller's ln and cos,
/// whose last bit may differ between platforms' libm: a seed must make the
/// same filings on every machine.
pub fn normal(r: &mut Rng8) -> f64 {
    (0..12).map(|_| r.random::<f64>()).sum::<f64>() - 6.0
}

/// e^x from basic arithmetic only, for the reason given at `normal`:
/// 2^k * e^f with f in [0, ln 2) and a Taylor series (error below 1e-13).
pub fn exp(x: f64) -> f64 {
    let y = x * std::f64::consts::LOG2_E;
    let k = y.floor().clamp(-1000.0, 1000.0);
    let f = (y - k) * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 1..=13 {
        term *= f / f64::from(n);
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

/// A log-normal draw with the given mean and sd of ln x, kept in `lo..=hi`.
pub fn lognormal(r: &mut Rng8, (mu, sd): (f64, f64), lo: f64, hi: f64) -> f64 {
    exp(mu + sd * normal(r)).clamp(lo, hi)
}

/// Rounds to `decimals` places as `n / 10^d`, one correctly rounded
/// division: the shortest decimal that serde_json prints parses back to the
/// very same f64, so a filing round-trips through JSON unchanged.
pub fn round(x: f64, decimals: u32) -> f64 {
    let scale = [1.0, 10.0, 100.0, 1000.0, 10000.0][decimals as usize];
    (x * scale).round() / scale
}

/// A value between the measured quartiles: a quarter at random, then a
/// uniform point in it (the outer quarters run to `lo` and to twice `q3`).
pub fn between_quartiles(r: &mut Rng8, lo: f64, q: [f64; 3]) -> f64 {
    let edges = [lo, q[0], q[1], q[2], 2.0 * q[2]];
    let k = r.random_range(0..4);
    edges[k] + (edges[k + 1] - edges[k]) * r.random::<f64>()
}

pub fn add_days(date: Date, days: i64) -> Date {
    date + Duration::days(days)
}

/// `n` business days after `date` (weekends skipped; holidays are not
/// modelled).
pub fn add_business_days(mut date: Date, n: i64) -> Date {
    let mut left = n;
    while left > 0 {
        date = add_days(date, 1);
        if !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    date
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn exp_matches_the_library_closely() {
        for i in -400..=400 {
            let x = f64::from(i) / 10.0;
            let (got, want) = (exp(x), x.exp());
            assert!(((got - want) / want).abs() < 1e-12, "exp({x}) = {got}, not {want}");
        }
    }

    #[test]
    fn normal_has_mean_0_and_sd_1() {
        let mut r = Rng8::seed_from_u64(1);
        let draws: Vec<f64> = (0..100_000).map(|_| normal(&mut r)).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.01 && (var.sqrt() - 1.0).abs() < 0.01, "mean {mean}, sd {}", var.sqrt());
    }

    #[test]
    fn rounded_values_survive_json() {
        let mut r = Rng8::seed_from_u64(2);
        for _ in 0..100_000 {
            let x = round(lognormal(&mut r, (8.0, 3.0), 0.01, 5e9), r.random_range(0..=4));
            let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{x}");
        }
    }
}
