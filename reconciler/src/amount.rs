//! Every amount reckon shows says where it came from; unknown dollars are never a zero.

use crate::text::{named, parse_name};
use crate::{Error, Usd};

/// Where an amount came from.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AmountLabel {
    /// From a provider's billing API: authoritative.
    Billed,
    /// The tool's own figure (e.g. Claude Code's `cost_usd`).
    Reported,
    /// Tokens priced with reckon's price catalogue.
    Estimated,
    /// Tokens of a model with no known price: the dollars are unknown.
    Unpriced,
}

impl AmountLabel {
    pub const ALL: [AmountLabel; 4] = [
        AmountLabel::Billed,
        AmountLabel::Reported,
        AmountLabel::Estimated,
        AmountLabel::Unpriced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AmountLabel::Billed => "billed",
            AmountLabel::Reported => "reported",
            AmountLabel::Estimated => "estimated",
            AmountLabel::Unpriced => "unpriced",
        }
    }

    pub fn parse(text: &str) -> Result<AmountLabel, Error> {
        parse_name("amount label", text, &AmountLabel::ALL, AmountLabel::as_str)
    }
}

named!(AmountLabel);

/// An amount with its label. An unpriced amount has no dollars at all, so it cannot be summed
/// into a total by mistake or shown as $0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Amount {
    Billed(Usd),
    Reported(Usd),
    Estimated(Usd),
    Unpriced,
}

impl Amount {
    pub fn label(self) -> AmountLabel {
        match self {
            Amount::Billed(_) => AmountLabel::Billed,
            Amount::Reported(_) => AmountLabel::Reported,
            Amount::Estimated(_) => AmountLabel::Estimated,
            Amount::Unpriced => AmountLabel::Unpriced,
        }
    }

    /// The dollars, or `None` when they are unknown.
    pub fn usd(self) -> Option<Usd> {
        match self {
            Amount::Billed(usd) | Amount::Reported(usd) | Amount::Estimated(usd) => Some(usd),
            Amount::Unpriced => None,
        }
    }

    /// Rebuilds an amount from its stored parts; dollars must be present exactly when priced.
    pub fn from_parts(label: AmountLabel, usd: Option<Usd>) -> Result<Amount, Error> {
        match (label, usd) {
            (AmountLabel::Billed, Some(usd)) => Ok(Amount::Billed(usd)),
            (AmountLabel::Reported, Some(usd)) => Ok(Amount::Reported(usd)),
            (AmountLabel::Estimated, Some(usd)) => Ok(Amount::Estimated(usd)),
            (AmountLabel::Unpriced, None) => Ok(Amount::Unpriced),
            (AmountLabel::Unpriced, Some(usd)) => Err(Error::InvalidAmount {
                input: usd.to_string(),
                reason: "an unpriced amount has no dollars",
            }),
            (label, None) => Err(Error::InvalidAmount {
                input: String::new(),
                reason: match label {
                    AmountLabel::Billed => "a billed amount needs dollars",
                    AmountLabel::Reported => "a reported amount needs dollars",
                    _ => "an estimated amount needs dollars",
                },
            }),
        }
    }
}

/// `{"label": "reported", "usd": "0.00663"}`; unpriced has `"usd": null`.
impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = serializer.serialize_struct("Amount", 2)?;
        fields.serialize_field("label", &self.label())?;
        fields.serialize_field("usd", &self.usd())?;
        fields.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpriced_has_no_dollars() {
        assert_eq!(Amount::Unpriced.usd(), None);
        let json = serde_json::to_string(&Amount::Unpriced).unwrap();
        assert_eq!(json, r#"{"label":"unpriced","usd":null}"#);
        assert!(Amount::from_parts(AmountLabel::Unpriced, Some(Usd::ZERO)).is_err());
        assert!(Amount::from_parts(AmountLabel::Billed, None).is_err());
    }

    #[test]
    fn parts_round_trip() {
        let reported = Amount::Reported("0.00663".parse().unwrap());
        assert_eq!(
            Amount::from_parts(reported.label(), reported.usd()).unwrap(),
            reported
        );
        let json = serde_json::to_string(&reported).unwrap();
        assert_eq!(json, r#"{"label":"reported","usd":"0.00663"}"#);
    }
}
