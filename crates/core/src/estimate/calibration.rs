//! Per-user calibration of the card estimate, learnt from actual generations.
//!
//! The structure-based estimate ([`super::cards`]) is right for an average user; a user
//! whose prompt or model makes twice as many cards, or cards twice as long, is not
//! average. After each generation the host reports what really happened
//! ([`CalibrationState::observe`]); the state keeps a running ratio of actual to predicted
//! cards, how much that ratio scatters, and the output tokens per card. It is a small
//! JSON object (decimal strings) the host saves next to its settings and passes back
//! with each estimate.
//!
//! Learning rate: the running mean of the first observations (weight 1/n), then an
//! exponential average with weight 1/5 so the estimate follows a user whose habits
//! change. Ratios are clamped to 1/20…20 so one odd generation cannot wreck it.

use super::cards::CountRange;
use crate::decimal_ops::{add, ceil, div, mul, sub};
use credit_meter_base::quote::quoted;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// Observations after which the learning weight stops shrinking (1/5).
const WINDOW: u32 = 5;
/// Observations before the scatter of the ratio sets the range instead of the defaults.
const MIN_SAMPLES_FOR_SPREAD: u32 = 5;

fn dec(n: u64) -> Decimal {
    Decimal::from(n)
}

fn min_ratio() -> Decimal {
    Decimal::new(5, 2)
}

fn max_ratio() -> Decimal {
    Decimal::from(20)
}

/// What one user's generations have taught the estimator. Serialises to JSON with
/// decimal strings; `CalibrationState::default()` is the uncalibrated state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrationState {
    /// Format version (1).
    pub v: u32,
    /// Generations observed with a card prediction.
    pub samples: u32,
    /// Actual cards ÷ predicted cards, averaged.
    pub card_ratio: Decimal,
    /// Mean absolute deviation of the per-generation ratio from `card_ratio`, relative.
    pub card_deviation: Decimal,
    /// Generations observed with output tokens.
    pub token_samples: u32,
    /// Output tokens per card, averaged (absent until observed).
    pub output_tokens_per_card: Option<Decimal>,
}

impl Default for CalibrationState {
    fn default() -> Self {
        CalibrationState {
            v: 1,
            samples: 0,
            card_ratio: Decimal::ONE,
            card_deviation: Decimal::ZERO,
            token_samples: 0,
            output_tokens_per_card: None,
        }
    }
}

/// What really happened in one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Cards the structure-based model predicted (uncalibrated expected), if a note was
    /// estimated.
    pub predicted_cards: Option<u64>,
    /// Cards actually generated.
    pub actual_cards: u64,
    /// Output tokens actually used, if known.
    pub output_tokens: Option<u64>,
}

fn weight(n: u32) -> Decimal {
    // 1/n for the first WINDOW observations, then 1/WINDOW.
    div(Decimal::ONE, Decimal::from(n.clamp(1, WINDOW))).unwrap_or(Decimal::ONE)
}

/// `old + (new − old) × w`, to 6 places. (Checked arithmetic, one shared copy of each
/// operation; validated ratios and token rates keep every step far from overflow.)
fn blend(old: Decimal, new: Decimal, w: Decimal) -> Decimal {
    sub(new, old).and_then(|d| mul(d, w)).and_then(|d| add(old, d)).unwrap_or(new).round_dp(6)
}

impl CalibrationState {
    /// Checks a state that came from the host: known version, ratios in range.
    pub fn validate(&self) -> Result<(), String> {
        if self.v != 1 {
            return Err(format!("calibration format {} is not supported (expected 1)", self.v));
        }
        if self.card_ratio < min_ratio() || self.card_ratio > max_ratio() {
            return Err(format!("calibration cardRatio {} is outside 0.05…20", self.card_ratio));
        }
        if self.card_deviation.is_sign_negative() || self.card_deviation > max_ratio() {
            return Err(format!("calibration cardDeviation {} is outside 0…20", self.card_deviation));
        }
        if self.output_tokens_per_card.is_some_and(|t| t.is_sign_negative() || t > dec(10_000_000)) {
            return Err("calibration outputTokensPerCard is outside 0…10,000,000".into());
        }
        Ok(())
    }

    /// Learns from one generation.
    pub fn observe(&mut self, o: &Observation) {
        if let Some(predicted) = o.predicted_cards.filter(|&p| p > 0) {
            let r = div(dec(o.actual_cards), dec(predicted)).unwrap_or(max_ratio()).clamp(min_ratio(), max_ratio());
            self.samples = self.samples.saturating_add(1);
            let w = weight(self.samples);
            let dev = sub(r, self.card_ratio).and_then(|d| div(d.abs(), self.card_ratio)).unwrap_or(max_ratio()).min(max_ratio());
            if self.samples > 1 {
                self.card_deviation = blend(self.card_deviation, dev, w);
            }
            self.card_ratio = blend(self.card_ratio, r, w).clamp(min_ratio(), max_ratio());
        }
        if let Some(tokens) = o.output_tokens.filter(|_| o.actual_cards > 0) {
            let per = div(dec(tokens.min(1 << 53)), dec(o.actual_cards)).unwrap_or(dec(10_000_000)).min(dec(10_000_000));
            self.token_samples = self.token_samples.saturating_add(1);
            let w = weight(self.token_samples);
            self.output_tokens_per_card = Some(match self.output_tokens_per_card {
                None => per.round_dp(6),
                Some(old) => blend(old, per, w),
            });
        }
    }

    /// The calibrated card range for a structure-based `raw` range.
    pub fn apply(&self, raw: CountRange, default_low_milli: u64, default_high_milli: u64) -> CountRange {
        if raw.high == 0 {
            return raw;
        }
        if self.samples == 0 {
            return raw;
        }
        let scale = |n: u64, f: Decimal| -> u64 {
            mul(dec(n), f).and_then(|v| v.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).to_u64()).unwrap_or(u64::MAX)
        };
        let expected = scale(raw.expected, self.card_ratio).max(1);
        let (low_f, high_f) = if self.samples >= MIN_SAMPLES_FOR_SPREAD {
            let spread = mul(self.card_deviation, Decimal::TWO).unwrap_or(Decimal::ONE).clamp(Decimal::new(1, 1), Decimal::new(5, 1));
            (sub(Decimal::ONE, spread).unwrap_or_default(), add(Decimal::ONE, spread).unwrap_or(Decimal::TWO))
        } else {
            (Decimal::new(default_low_milli as i64, 3), Decimal::new(default_high_milli as i64, 3))
        };
        let low = scale(expected, low_f).min(expected);
        let high = mul(dec(expected), high_f).and_then(|v| ceil(v).to_u64()).unwrap_or(u64::MAX).saturating_add(1).max(expected);
        CountRange { low, expected, high }
    }

    /// Output tokens per card: learnt, or `default`.
    pub fn output_tokens_per_card(&self, default: u64) -> u64 {
        self.output_tokens_per_card.and_then(|t| ceil(t).to_u64()).unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(predicted: u64, actual: u64, tokens: u64) -> Observation {
        Observation { predicted_cards: Some(predicted), actual_cards: actual, output_tokens: Some(tokens) }
    }

    #[test]
    fn uncalibrated_state_changes_nothing() {
        let raw = CountRange { low: 6, expected: 10, high: 16 };
        assert_eq!(CalibrationState::default().apply(raw, 600, 1500), raw);
        assert_eq!(CalibrationState::default().output_tokens_per_card(60), 60);
    }

    #[test]
    fn converges_on_a_user_far_from_the_default() {
        // This user's prompt yields 2.6× the predicted cards at 140 tokens a card.
        let mut s = CalibrationState::default();
        let predicted = [8u64, 12, 5, 20, 9, 14, 7, 11, 16, 10];
        let mut errors = Vec::new();
        for (i, &p) in predicted.iter().cycle().take(20).enumerate() {
            let wobble = [0u64, 1, 2, 1, 0][i % 5]; // real runs scatter a little
            let actual = (p * 26).div_ceil(10) + wobble - 1;
            let calibrated = s.apply(CountRange { low: p * 6 / 10, expected: p, high: p * 3 / 2 + 1 }, 600, 1500);
            errors.push((calibrated.expected as f64 - actual as f64).abs() / actual as f64);
            s.observe(&obs(p, actual, actual * 140));
        }
        assert!(errors[0] > 0.5, "uncalibrated is far off: {errors:?}");
        let late: f64 = errors[10..].iter().sum::<f64>() / 10.0;
        assert!(late < 0.12, "calibrated error {late:.3}: {errors:?}");
        assert!((Decimal::new(24, 1)..=Decimal::new(28, 1)).contains(&s.card_ratio), "{s:?}");
        assert!((135..=145).contains(&s.output_tokens_per_card(60)), "{s:?}");
        // The range tightens once the scatter is known, and still contains the truth.
        let r = s.apply(CountRange { low: 6, expected: 10, high: 16 }, 600, 1500);
        assert!(r.low <= 26 && 26 <= r.high && r.high - r.low < 20, "{r:?}");
    }

    #[test]
    fn converges_downwards_too_and_follows_a_change() {
        let mut s = CalibrationState::default();
        for _ in 0..10 {
            s.observe(&obs(20, 6, 300));
        }
        assert_eq!(s.apply(CountRange::exact(20), 600, 1500).expected, 6);
        for _ in 0..15 {
            s.observe(&obs(20, 20, 1200));
        }
        let e = s.apply(CountRange::exact(20), 600, 1500).expected;
        assert!((19..=21).contains(&e), "{e} after the user's habits changed: {s:?}");
    }

    #[test]
    fn outliers_are_clamped_and_state_round_trips() {
        let mut s = CalibrationState::default();
        s.observe(&obs(1, 10_000, u64::MAX));
        assert_eq!(s.card_ratio, Decimal::from(20));
        s.validate().unwrap();
        let json = crate::json::to_string(&s);
        assert!(json.contains("\"cardRatio\":\"20\""), "{json}");
        let back: CalibrationState = crate::json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let bad: CalibrationState = crate::json::from_str(&json.replace("\"20\"", "\"500\"")).unwrap();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn zero_predictions_teach_only_tokens() {
        let mut s = CalibrationState::default();
        s.observe(&Observation { predicted_cards: Some(0), actual_cards: 5, output_tokens: Some(500) });
        assert_eq!(s.samples, 0);
        assert_eq!(s.output_tokens_per_card(60), 100);
    }
}

/// A report of one generation, as the host sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrateRequest {
    /// The state so far (`null`/absent: uncalibrated).
    pub state: Option<CalibrationState>,
    /// The estimate made before the generation (from `estimate`).
    pub estimate: super::operation::Estimate,
    /// Cards actually generated.
    pub cards: crate::money::Count,
    /// Output tokens actually used.
    pub output_tokens: Option<crate::money::Count>,
}

/// Learns from one generation and returns the new state (the input is not changed).
pub fn calibrate(req: &CalibrateRequest, model: &super::cards::CardModel) -> Result<CalibrationState, String> {
    let mut state = req.state.clone().unwrap_or_default();
    state.validate()?;
    if req.estimate.charge != "perCard" {
        return Err(format!(
            "calibration learns from per-card operations; {} is {}",
            quoted(&req.estimate.operation),
            quoted(&req.estimate.charge)
        ));
    }
    // What the uncalibrated model predicted for this note (the estimate itself may already
    // be calibrated), so that learning does not compound.
    let predicted = req.estimate.note.as_ref().map(|n| model.estimate(&n.structure).expected);
    state.observe(&Observation {
        predicted_cards: predicted,
        actual_cards: req.cards.get(),
        output_tokens: req.output_tokens.map(crate::money::Count::get),
    });
    Ok(state)
}

json_struct!(CalibrationState [deny] {
    v: "v",
    samples: "samples",
    card_ratio: "cardRatio",
    card_deviation: "cardDeviation",
    token_samples: "tokenSamples",
    output_tokens_per_card: "outputTokensPerCard" = default,
});
json_from!(CalibrateRequest [deny] {
    state: "state" = default,
    estimate: "estimate",
    cards: "cards",
    output_tokens: "outputTokens" = default,
});
