//! The analytics formulas without I/O (spec §14, §15): period-over-period change, KPI bands,
//! MOH-3, SLA compliance, complaint rate, linear mean, and the physician rating statistics
//! (mean, 95 % confidence interval, stars, 0–100, sentiment bands, the minimum number of
//! responses and competition ranking). Every ratio with an empty denominator is `None`.
//! (The survey formulas — NPS, CSAT, top-box, response rate — are in `surveys::rules`.)

use serde::Serialize;

use crate::domains::surveys::rules::round2;

/// Responses a physician needs in the window before they are ranked (spec §14).
pub const MIN_RESPONSES: u64 = 30;

/// `part ÷ whole × 100`, none when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 / whole as f64 * 100.0))
}

/// The change of `current` against the previous equal period, in % (none when the previous
/// value is zero or missing).
pub fn change(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    match (current, previous) {
        (Some(c), Some(p)) if p != 0.0 => Some(round2((c - p) / p.abs() * 100.0)),
        _ => None,
    }
}

/// Where a KPI value stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    OnTarget,
    Warning,
    Critical,
}

/// The band of `value`: at or past the target → on target; at or past the critical threshold →
/// warning; else critical. `higher_is_better` turns the comparisons around for "lower is better"
/// KPIs (e.g. complaint rate).
pub fn band(value: f64, target: f64, critical: f64, higher_is_better: bool) -> Band {
    let at_least = |a: f64, b: f64| if higher_is_better { a >= b } else { a <= b };
    if at_least(value, target) {
        Band::OnTarget
    } else if at_least(value, critical) {
        Band::Warning
    } else {
        Band::Critical
    }
}

/// MOH-3: complaints received in the period whose resolution survey rates the overall question
/// ≥ 4 of 5, ÷ complaints received (not cancelled) × 100.
pub fn moh3(satisfied: u64, received_not_cancelled: u64) -> Option<f64> {
    percent(satisfied, received_not_cancelled)
}

/// SLA compliance: complaints resolved by their due date ÷ complaints due in the period that are
/// resolved or overdue × 100.
pub fn sla_compliance(resolved_on_time: u64, due_resolved_or_overdue: u64) -> Option<f64> {
    percent(resolved_on_time, due_resolved_or_overdue)
}

/// Complaints per 1,000 encounters.
pub fn complaint_rate(complaints: u64, encounters: u64) -> Option<f64> {
    (encounters > 0).then(|| round2(complaints as f64 / encounters as f64 * 1000.0))
}

/// The mean of (v − min) / (max − min) × 100.
pub fn linear_mean(values: &[f64], min: f64, max: f64) -> Option<f64> {
    if values.is_empty() || max <= min {
        return None;
    }
    let sum: f64 = values.iter().map(|v| (v - min) / (max - min) * 100.0).sum();
    Some(round2(sum / values.len() as f64))
}

/// A physician's sentiment band of one survey's physician score.
pub fn sentiment(score: f64) -> &'static str {
    if score >= 4.0 {
        "positive"
    } else if score >= 3.0 {
        "neutral"
    } else {
        "negative"
    }
}

/// A physician's rating over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    pub n: u64,
    pub mean: f64,
    /// Stars: the mean rounded to 0.1.
    pub stars: f64,
    /// (mean − 1) / 4 × 100.
    pub score_100: f64,
    /// mean ± 1.96·s/√n (sample standard deviation); none below 2 responses.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    /// Enough responses to be ranked ([`MIN_RESPONSES`]).
    pub rankable: bool,
}

/// The rating of 1–5 physician scores (one per survey); none without scores.
pub fn rating(scores: &[f64]) -> Option<Rating> {
    let count = |band: &str| scores.iter().filter(|s| sentiment(**s) == band).count() as u64;
    rating_from_sums(&Sums {
        n: scores.len() as u64,
        sum: scores.iter().sum(),
        sq_sum: scores.iter().map(|s| s * s).sum(),
        positive: count("positive"),
        neutral: count("neutral"),
        negative: count("negative"),
    })
}

/// What a rating is computed from, so months combine into a window: Σ 1, Σ s, Σ s² and the
/// sentiment split.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    pub n: u64,
    pub sum: f64,
    pub sq_sum: f64,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
}

impl std::ops::AddAssign for Sums {
    fn add_assign(&mut self, o: Sums) {
        self.n += o.n;
        self.sum += o.sum;
        self.sq_sum += o.sq_sum;
        self.positive += o.positive;
        self.neutral += o.neutral;
        self.negative += o.negative;
    }
}

/// The rating of scores given by their sums; none without scores.
pub fn rating_from_sums(s: &Sums) -> Option<Rating> {
    if s.n == 0 {
        return None;
    }
    let n = s.n as f64;
    let mean = s.sum / n;
    let (ci_low, ci_high) = if s.n >= 2 {
        // Sample variance from the sums; never below 0 through rounding.
        let variance = ((s.sq_sum - n * mean * mean) / (n - 1.0)).max(0.0);
        let half = 1.96 * variance.sqrt() / n.sqrt();
        (Some(round2((mean - half).max(1.0))), Some(round2((mean + half).min(5.0))))
    } else {
        (None, None)
    };
    Some(Rating {
        n: s.n,
        mean: round2(mean),
        stars: (mean * 10.0).round() / 10.0,
        score_100: round2((mean - 1.0) / 4.0 * 100.0),
        ci_low,
        ci_high,
        positive: s.positive,
        neutral: s.neutral,
        negative: s.negative,
        rankable: s.n >= MIN_RESPONSES,
    })
}

/// Competition ranking (1, 2, 2, 4) by mean, then by number of responses, both descending.
/// `entries` are (mean, n); the result holds each entry's rank in the same order. Entries below
/// the minimum number of responses are left unranked by the caller (pass only rankable ones).
pub fn competition_ranks(entries: &[(f64, u64)]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let key = |i: usize| entries[i];
    order.sort_by(|a, b| {
        let (ma, na) = key(*a);
        let (mb, nb) = key(*b);
        mb.partial_cmp(&ma).unwrap_or(std::cmp::Ordering::Equal).then(nb.cmp(&na))
    });
    let mut ranks = vec![0u32; entries.len()];
    for (pos, &i) in order.iter().enumerate() {
        let tied = pos > 0 && entries[order[pos - 1]] == entries[i];
        ranks[i] = if tied { ranks[order[pos - 1]] } else { pos as u32 + 1 };
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_with_an_empty_denominator_are_none() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(moh3(336, 682), Some(49.27), "the spec's example: 336/682 ≈ 49.3 %");
        assert_eq!(moh3(0, 0), None);
        assert_eq!(sla_compliance(45, 60), Some(75.0));
        assert_eq!(sla_compliance(0, 0), None);
        assert_eq!(complaint_rate(3, 1500), Some(2.0));
        assert_eq!(complaint_rate(3, 0), None);
        assert_eq!(linear_mean(&[1.0, 5.0, 3.0], 1.0, 5.0), Some(50.0));
        assert_eq!(linear_mean(&[0.0, 10.0], 0.0, 10.0), Some(50.0));
        assert_eq!(linear_mean(&[], 1.0, 5.0), None);
    }

    #[test]
    fn period_over_period_change() {
        for (current, previous, expected) in [
            (Some(120.0), Some(100.0), Some(20.0)),
            (Some(80.0), Some(100.0), Some(-20.0)),
            (Some(5.0), Some(0.0), None),
            (None, Some(3.0), None),
            (Some(3.0), None, None),
            (Some(-10.0), Some(-20.0), Some(50.0)),
            (Some(1.0), Some(3.0), Some(-66.67)),
        ] {
            assert_eq!(change(current, previous), expected, "{current:?} vs {previous:?}");
        }
    }

    #[test]
    fn kpi_bands_both_ways() {
        // MOH-3: target 80 %, critical below 70 %.
        for (value, expected) in [
            (80.0, Band::OnTarget),
            (85.0, Band::OnTarget),
            (79.9, Band::Warning),
            (70.0, Band::Warning),
            (69.9, Band::Critical),
        ] {
            assert_eq!(band(value, 80.0, 70.0, true), expected, "{value}");
        }
        // Complaint rate: lower is better; target 2 per 1,000, critical above 4.
        for (value, expected) in [
            (1.5, Band::OnTarget),
            (2.0, Band::OnTarget),
            (3.0, Band::Warning),
            (4.0, Band::Warning),
            (4.1, Band::Critical),
        ] {
            assert_eq!(band(value, 2.0, 4.0, false), expected, "{value}");
        }
    }

    #[test]
    fn physician_ratings_with_confidence_intervals_and_the_minimum_n() {
        assert_eq!(rating(&[]), None);
        let one = rating(&[4.0]).unwrap();
        assert_eq!((one.n, one.mean, one.stars, one.score_100, one.ci_low), (1, 4.0, 4.0, 75.0, None));
        assert!(!one.rankable);
        // 4, 4, 5, 3, 2 → mean 3.6, s = 1.14, half-width 1.96·1.14/√5 = 1.0.
        let r = rating(&[4.0, 4.0, 5.0, 3.0, 2.0]).unwrap();
        assert_eq!((r.mean, r.stars, r.score_100), (3.6, 3.6, 65.0));
        assert_eq!((r.ci_low, r.ci_high), (Some(2.6), Some(4.6)));
        assert_eq!((r.positive, r.neutral, r.negative), (3, 1, 1));
        // The interval is clamped to the scale.
        let top = rating(&[5.0, 5.0, 4.0]).unwrap();
        assert_eq!(top.ci_high, Some(5.0));
        // 30 responses make a physician rankable; 29 do not.
        assert!(rating(&[4.0; 30]).unwrap().rankable);
        // Months combine through their sums into the same rating as all scores at once.
        let (a, b) = ([5.0, 4.0, 4.0, 2.0], [3.0, 5.0, 1.0]);
        let sums = |v: &[f64]| {
            let r = rating(v).unwrap();
            Sums {
                n: r.n,
                sum: v.iter().sum(),
                sq_sum: v.iter().map(|x| x * x).sum(),
                positive: r.positive,
                neutral: r.neutral,
                negative: r.negative,
            }
        };
        let mut window = sums(&a);
        window += sums(&b);
        assert_eq!(rating_from_sums(&window), rating(&[5.0, 4.0, 4.0, 2.0, 3.0, 5.0, 1.0]));
        assert!(!rating(&[4.0; 29]).unwrap().rankable);
        for (score, band) in [(4.0, "positive"), (3.99, "neutral"), (3.0, "neutral"), (2.99, "negative")] {
            assert_eq!(sentiment(score), band, "{score}");
        }
    }

    #[test]
    fn competition_ranking_by_mean_then_n() {
        // Means 4.5 (n 40), 4.2 (n 50), 4.2 (n 50), 4.2 (n 31), 3.9 → 1, 2, 2, 4, 5.
        let entries = [(4.2, 50), (4.5, 40), (3.9, 60), (4.2, 50), (4.2, 31)];
        assert_eq!(competition_ranks(&entries), vec![2, 1, 5, 2, 4]);
        assert_eq!(competition_ranks(&[]), Vec::<u32>::new());
    }
}
