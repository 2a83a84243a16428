//! The pieces every row is made of: an XML element with a `<value>` kept as
//! `{"value": …}`, the footnote references an element carries, and the
//! dates and times in the record's text forms.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use time::{Date, PrimitiveDateTime};

use crate::filing::FootnoteIds;

/// A date as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub Date);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&DayText(self.0))
    }
}

/// A UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the service's timestamp form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcMillis(pub PrimitiveDateTime);

impl Serialize for UtcMillis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        s.collect_str(&format_args!(
            "{}T{:02}:{:02}:{:02}.{:03}Z",
            DayText(t.date()),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ))
    }
}

struct DayText(Date);

impl std::fmt::Display for DayText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), u8::from(self.0.month()), self.0.day())
    }
}

/// An element with a `<value>` and the footnotes on it. An element with
/// neither is absent from the XML's meaning and from the record
/// ([`element`] gives `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Element<'a, T> {
    pub value: Option<T>,
    #[serde(rename = "footnoteIds", skip_serializing_if = "Vec::is_empty")]
    pub footnote_ids: Vec<&'a str>,
}

pub fn element<T>(value: Option<T>, footnote_ids: Vec<&str>) -> Option<Element<'_, T>> {
    (value.is_some() || !footnote_ids.is_empty()).then_some(Element { value, footnote_ids })
}

/// An element known only by the footnotes on it: one that a newer schema
/// added and this record does not model, keyed by its XML name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FootnotedOnly<'a> {
    #[serde(rename = "footnoteIds")]
    pub footnote_ids: Vec<&'a str>,
}

/// A row's footnote references, handed out element by element. The model
/// keys them by its own field name (`shares`, `transaction_code`); each
/// element takes the keys it carries, and what is left is either on the
/// row itself (`row`) or on an element the model does not know.
pub struct Notes<'a> {
    left: Vec<(&'a str, &'a [String])>,
}

impl<'a> Notes<'a> {
    pub fn new(ids: &'a FootnoteIds) -> Self {
        Notes { left: ids.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect() }
    }

    /// The ids under any of `keys`, in the order of `keys`, each once.
    pub fn take(&mut self, keys: &[&str]) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = Vec::new();
        if self.left.is_empty() {
            return out;
        }
        for key in keys {
            if let Some(i) = self.left.iter().position(|(k, _)| k == key) {
                let (_, ids) = self.left.swap_remove(i);
                for id in ids {
                    if !out.contains(&id.as_str()) {
                        out.push(id);
                    }
                }
            }
        }
        out
    }

    /// The ids on the row itself, then those on elements not modelled, by
    /// their XML name (the model's key in camelCase).
    pub fn rest(mut self) -> (Vec<&'a str>, BTreeMap<String, FootnotedOnly<'a>>) {
        let row = self.take(&["row"]);
        let others = self
            .left
            .into_iter()
            .map(|(k, ids)| (camel_case(k), FootnotedOnly { footnote_ids: ids.iter().map(String::as_str).collect() }))
            .collect();
        (row, others)
    }
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn notes_go_to_their_elements_once_and_the_rest_is_kept() {
        let ids: FootnoteIds = [("shares", vec!["F2", "F1"]), ("row", vec!["F3"]), ("new_field", vec!["F4"])]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
            .collect();
        let mut notes = Notes::new(&ids);
        assert_eq!(notes.take(&["shares", "price_per_share"]), ["F2", "F1"]);
        assert!(notes.take(&["shares"]).is_empty(), "each key is taken once");
        let (row, others) = notes.rest();
        assert_eq!(row, ["F3"]);
        assert_eq!(serde_json::to_string(&others).unwrap(), r#"{"newField":{"footnoteIds":["F4"]}}"#);
    }

    #[test]
    fn text_forms() {
        let t = UtcMillis(datetime!(2025-01-08 21:05:09));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2025-01-08T21:05:09.000Z\"");
        let e = element(Some(Day(t.0.date())), vec!["F1"]);
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"value":"2025-01-08","footnoteIds":["F1"]}"#);
        assert!(element::<f64>(None, Vec::new()).is_none());
    }
}
