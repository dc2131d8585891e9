//! The recency boost: score = bm25 * (1 + weight * 0.5^(age_days / half_life_days)).

/// A recency boost anchored at `as_of` (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recency {
    pub weight: f32,
    pub half_life_days: f32,
    pub as_of_days: i64,
}

impl Recency {
    /// The factor applied to BM25: 1 for undated papers, in (1, 1 + weight] otherwise.
    /// Papers dated after `as_of` count as age 0, so the factor never exceeds 1 + weight.
    #[inline]
    pub fn boost(&self, date_days: Option<i64>) -> f32 {
        match date_days {
            None => 1.0,
            Some(d) => {
                let age = (self.as_of_days - d).max(0) as f32;
                1.0 + self.weight * 0.5f32.powf(age / self.half_life_days)
            }
        }
    }

    /// Age in days of a paper dated `date_days` (never negative).
    pub fn age_days(&self, date_days: i64) -> i64 {
        (self.as_of_days - date_days).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(weight: f32, half_life_days: f32) -> Recency {
        Recency {
            weight,
            half_life_days,
            as_of_days: 20_000,
        }
    }

    #[test]
    fn known_values() {
        let rec = r(0.5, 100.0);
        assert_eq!(rec.boost(None), 1.0);
        assert_eq!(rec.boost(Some(20_000)), 1.5);
        assert!(
            (rec.boost(Some(19_900)) - 1.25).abs() < 1e-6,
            "one half-life halves the bonus"
        );
        assert!((rec.boost(Some(19_800)) - 1.125).abs() < 1e-6);
        assert_eq!(
            rec.boost(Some(20_050)),
            1.5,
            "future dates are capped at age 0"
        );
        assert_eq!(
            r(0.0, 100.0).boost(Some(20_000)),
            1.0,
            "weight 0 is plain BM25"
        );
    }

    proptest! {
        #[test]
        fn bounded_by_one_plus_weight(w in 0.0f32..10.0, h in 1.0f32..5000.0, d in 0i64..40_000) {
            let b = r(w, h).boost(Some(d));
            prop_assert!((1.0..=1.0 + w).contains(&b), "{b}");
        }

        #[test]
        fn monotone_in_date(w in 0.0f32..10.0, h in 1.0f32..5000.0, d in 0i64..40_000, step in 0i64..5000) {
            let rec = r(w, h);
            prop_assert!(rec.boost(Some(d)) <= rec.boost(Some(d + step)));
        }
    }
}
