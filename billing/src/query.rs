//! Query strings the way providers document them: parameters in a fixed order, array names
//! with their brackets (`group_by[]=model`) as written, values percent-encoded.

/// Query parameters in the order sent. Names are written verbatim, so bracketed array names
/// (`group_by[]`) go out exactly as documented; values are percent-encoded.
#[derive(Clone, Debug, Default)]
pub(crate) struct Query(Vec<(&'static str, String)>);

impl Query {
    pub(crate) fn with(mut self, name: &'static str, value: impl ToString) -> Query {
        self.0.push((name, value.to_string()));
        self
    }

    /// The encoded query; the `page` cursor goes last, everything else identical per page.
    pub(crate) fn encode(&self, page: Option<&str>) -> String {
        let page = page.map(|cursor| ("page", cursor));
        self.0
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .chain(page)
            .map(|(name, value)| {
                let value: String =
                    url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
                format!("{name}={value}")
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_brackets_and_encode_values() {
        let query = Query::default()
            .with("starting_at", "2025-08-01T00:00:00Z")
            .with("group_by[]", "workspace_id")
            .with("group_by[]", "description");
        assert_eq!(
            query.encode(Some("page_MjAy+/=")),
            "starting_at=2025-08-01T00%3A00%3A00Z&group_by[]=workspace_id\
             &group_by[]=description&page=page_MjAy%2B%2F%3D"
        );
    }
}
