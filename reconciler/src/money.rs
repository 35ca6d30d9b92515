//! Exact US-dollar amounts: parsing every unit the providers use, and the storage form.
//!
//! reckon keeps money to the nano-dollar (1e-9 USD). That is far below anything billed (providers
//! state at most 1e-7 USD: Anthropic's cost report gives cents with 5 decimals), yet coarse enough
//! to absorb binary-float noise in the values some providers and tools send as JSON numbers:
//! Cursor's `40.16699999999999` cents becomes exactly 0.40167 USD and Claude Code's
//! `0.007890349999999999` becomes 0.00789035 USD. Values with more decimals are rounded half to
//! even at the ninth place; nothing ever passes through `f64` arithmetic.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::Error;
use crate::text::text_form;

/// Decimal places reckon keeps: amounts are whole nano-dollars.
const SCALE: u32 = 9;

/// An exact amount of US dollars, held to the nano-dollar.
///
/// Invariant: at most 9 decimal places and a whole number of nano-dollars that fits an `i64`, so
/// [`Usd::to_nanos`] and [`Usd::from_nanos`] convert to and from storage without loss.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usd(Decimal);

impl Usd {
    pub const ZERO: Usd = Usd(Decimal::ZERO);

    /// The amount `nanos` × 1e-9 USD, as stored.
    pub fn from_nanos(nanos: i64) -> Usd {
        Usd(Decimal::from_i128_with_scale(i128::from(nanos), SCALE).normalize())
    }

    /// The amount in whole nano-dollars, the storage form. Exact by the type's invariant.
    pub fn to_nanos(self) -> i64 {
        let mut scaled = self.0;
        scaled.rescale(SCALE);
        i64::try_from(scaled.mantissa()).expect("Usd invariant: nano-dollars fit in i64")
    }

    /// An amount from a decimal, rounded half to even at the nano-dollar.
    pub fn from_decimal(value: Decimal) -> Result<Usd, Error> {
        let rounded = value.round_dp_with_strategy(SCALE, RoundingStrategy::MidpointNearestEven);
        let mut scaled = rounded;
        scaled.rescale(SCALE);
        if i64::try_from(scaled.mantissa()).is_err() {
            return Err(Error::AmountOutOfRange(value));
        }
        Ok(Usd(rounded.normalize()))
    }

    /// Dollars written as a decimal string (`"1.23"`, `"0.00663"`) or as the text of a JSON number
    /// (`"40.16699999999999"`, `"1.5e-7"`), as OpenAI, GitHub and Claude Code's `cost_usd` send them.
    pub fn parse_dollars(text: &str) -> Result<Usd, Error> {
        Usd::from_decimal(parse_number(text)?)
    }

    /// Cents (the lowest currency unit) written as a decimal string or JSON number text, as
    /// Anthropic's cost report (`"123.45"` = 1.2345 USD), Claude Code analytics and Cursor send them.
    pub fn parse_cents(text: &str) -> Result<Usd, Error> {
        let cents = parse_number(text)?;
        let dollars = cents
            .checked_div(Decimal::ONE_HUNDRED)
            .ok_or(Error::AmountOutOfRange(cents))?;
        Usd::from_decimal(dollars)
    }

    /// The exact value as a decimal.
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// Rounded to whole cents (half away from zero, as invoices round), for display only.
    pub fn round_to_cents(self) -> Decimal {
        self.0
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn checked_add(self, other: Usd) -> Option<Usd> {
        self.to_nanos()
            .checked_add(other.to_nanos())
            .map(Usd::from_nanos)
    }

    pub fn checked_sub(self, other: Usd) -> Option<Usd> {
        self.to_nanos()
            .checked_sub(other.to_nanos())
            .map(Usd::from_nanos)
    }

    /// The sum of `amounts`, or `None` when it leaves the stored range.
    pub fn checked_sum<I: IntoIterator<Item = Usd>>(amounts: I) -> Option<Usd> {
        amounts
            .into_iter()
            .try_fold(Usd::ZERO, |total, amount| total.checked_add(amount))
    }
}

/// Strict number grammar: an optional `-`, digits with an optional fraction, an optional exponent.
/// Rejects what `Decimal::from_str` would let through (`_` separators, `+`, blanks) and what is
/// not a number at all (`NaN`, `Infinity`, empty).
fn parse_number(text: &str) -> Result<Decimal, Error> {
    let invalid = |reason| Error::InvalidAmount {
        input: text.chars().take(64).collect(),
        reason,
    };
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) {
        return Err(invalid("expected digits, optionally with a leading `-`"));
    }
    if fraction.is_some_and(|f| f.is_empty() || !all_digits(f)) {
        return Err(invalid("expected digits after the decimal point"));
    }
    match exponent {
        None => Decimal::from_str(text).map_err(|_| invalid("too many digits")),
        Some(exp) => {
            let digits = exp.strip_prefix(['-', '+']).unwrap_or(exp);
            if digits.is_empty() || !all_digits(digits) {
                return Err(invalid("expected digits after the exponent marker"));
            }
            Decimal::from_scientific(text).map_err(|_| invalid("exponent out of range"))
        }
    }
}

// Parsing text (`FromStr`) means dollars; JSON money is a decimal string.
text_form!(Usd, Usd::parse_dollars);

/// The exact amount with at least two decimals: `5.00`, `0.00663`, `-1.2345`.
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.scale() < 2 {
            let mut padded = self.0;
            padded.rescale(2);
            fmt::Display::fmt(&padded, f)
        } else {
            fmt::Display::fmt(&self.0, f)
        }
    }
}

impl fmt::Debug for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Usd({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Usd {
        Usd::parse_dollars(text).unwrap()
    }

    #[test]
    fn provider_units_convert_exactly() {
        // Anthropic cost report: decimal string cents with 5 decimals.
        assert_eq!(Usd::parse_cents("123.78912").unwrap(), usd("1.2378912"));
        // Claude Code analytics: JSON number cents.
        assert_eq!(Usd::parse_cents("186").unwrap(), usd("1.86"));
        // Cursor: float cents with binary noise.
        assert_eq!(
            Usd::parse_cents("40.16699999999999").unwrap(),
            usd("0.40167")
        );
        // Claude Code cost_usd: float dollars with binary noise.
        assert_eq!(usd("0.007890349999999999"), usd("0.00789035"));
        // JSON numbers in exponent form.
        assert_eq!(usd("1e-7"), usd("0.0000001"));
        assert_eq!(usd("1.5E+3"), usd("1500"));
        assert_eq!(Usd::parse_cents("-799").unwrap(), usd("-7.99"));
    }

    #[test]
    fn rounds_half_to_even_at_the_nano_dollar() {
        assert_eq!(usd("0.0000000005").to_nanos(), 0);
        assert_eq!(usd("0.0000000015").to_nanos(), 2);
        assert_eq!(usd("0.0000000025").to_nanos(), 2);
    }

    #[test]
    fn rejects_what_is_not_a_plain_number() {
        for bad in [
            "", "-", ".5", "5.", "1_000", "+1", " 1", "1 ", "NaN", "Infinity", "1e", "1e+", "1,5",
            "0x10", "--1", "1.2.3",
        ] {
            let error = Usd::parse_dollars(bad).unwrap_err();
            assert!(
                matches!(error, Error::InvalidAmount { .. }),
                "{bad:?} gave {error:?}"
            );
        }
    }

    #[test]
    fn rejects_amounts_beyond_the_stored_range() {
        assert!(Usd::parse_dollars("9223372036.854775807").is_ok());
        assert_eq!(
            Usd::parse_dollars("9223372036.854775808"),
            Err(Error::AmountOutOfRange(
                "9223372036.854775808".parse().unwrap()
            ))
        );
        assert!(matches!(
            Usd::parse_dollars("1e40"),
            Err(Error::InvalidAmount { .. } | Error::AmountOutOfRange(_))
        ));
    }

    #[test]
    fn displays_exactly_with_at_least_cents() {
        assert_eq!(usd("5").to_string(), "5.00");
        assert_eq!(usd("0.1").to_string(), "0.10");
        assert_eq!(usd("0.00663").to_string(), "0.00663");
        assert_eq!(usd("-1.2345000").to_string(), "-1.2345");
        assert_eq!(usd("0.005").round_to_cents().to_string(), "0.01");
    }

    #[test]
    fn json_money_is_a_decimal_string() {
        let json = serde_json::to_string(&usd("0.00663")).unwrap();
        assert_eq!(json, "\"0.00663\"");
        let back: Usd = serde_json::from_str(&json).unwrap();
        assert_eq!(back, usd("0.00663"));
        assert!(serde_json::from_str::<Usd>("0.5").is_err());
    }

    #[test]
    fn sums_are_checked() {
        let max = Usd::from_nanos(i64::MAX);
        assert_eq!(max.checked_add(Usd::from_nanos(1)), None);
        assert_eq!(Usd::checked_sum([usd("0.1"), usd("0.2")]), Some(usd("0.3")));
    }
}
