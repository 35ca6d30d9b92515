//! Text forms shared by the domain's value types: parsing, display, and JSON as strings.

use crate::Error;

/// `FromStr` through `$parse`, and JSON as the `Display` text (deserialised through `$parse`).
macro_rules! text_form {
    ($type:ty, $parse:expr) => {
        impl std::str::FromStr for $type {
            type Err = $crate::Error;
            fn from_str(text: &str) -> Result<Self, $crate::Error> {
                $parse(text)
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// [`text_form!`] plus `Display`, for a type named by `as_str` and parsed by `parse`.
macro_rules! named {
    ($type:ty) => {
        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::text::text_form!($type, <$type>::parse);
    };
}

pub(crate) use {named, text_form};

/// The member of a closed set whose name is `text`; the error lists the names there are.
pub(crate) fn parse_name<T: Copy>(
    what: &'static str,
    text: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, Error> {
    all.iter()
        .copied()
        .find(|member| name(*member) == text)
        .ok_or_else(|| Error::UnknownName {
            what,
            input: text.chars().take(64).collect(),
            expected: all
                .iter()
                .map(|member| name(*member))
                .collect::<Vec<_>>()
                .join(", "),
        })
}
