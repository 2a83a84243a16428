//! Reading fields out of the parsed tree. Every schema version nests a
//! field the same way, either as its own text (`<transactionCode>S<…>`) or
//! as a `<value>` child beside optional `<footnoteId>`s, so fields are found
//! by element name, once per parent, in one pass over it.

use std::borrow::Cow;
use std::fmt;

use insider_bulk_core::domain::Flag;
use roxmltree::Node;
use time::Date;

use super::values;
use super::ParseError;

/// Where a field sits, for error messages: the caller prints
/// `file: <place> <element>: <reason>`.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    Document,
    Issuer,
    Owner(usize),
    Signature(usize),
    Row { table: &'static str, row: usize, kind: &'static str, index: usize },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Place::Document => Ok(()),
            Place::Issuer => f.write_str("issuer"),
            Place::Owner(n) => write!(f, "reportingOwner {n}"),
            Place::Signature(n) => write!(f, "ownerSignature {n}"),
            Place::Row { table, row, kind, index } => write!(f, "{kind} {index} ({table} row {row})"),
        }
    }
}

impl Place {
    pub fn invalid(self, element: &str, reason: impl Into<String>) -> ParseError {
        let field = match self {
            Place::Document => element.to_owned(),
            _ => format!("{self} {element}"),
        };
        ParseError::Invalid { field, reason: reason.into() }
    }
}

/// All text below a node, as written (footnote and remark bodies).
pub fn all_text<'a>(node: Node<'a, '_>) -> Cow<'a, str> {
    concat(node.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()))
}

/// A field's value: the text of its `<value>` child when it has one, else
/// its own text; never the text of a nested element such as a footnote.
pub fn value_text<'a>(node: Node<'a, '_>) -> Cow<'a, str> {
    let value = node.children().find(|c| c.is_element() && c.tag_name().name() == "value");
    let holder = value.unwrap_or(node);
    concat(holder.children().filter(|n| n.is_text()).filter_map(|n| n.text()))
}

/// Joins text pieces, borrowing in the usual case of a single piece.
fn concat<'a>(mut pieces: impl Iterator<Item = &'a str>) -> Cow<'a, str> {
    let Some(first) = pieces.next() else { return Cow::Borrowed("") };
    match pieces.next() {
        None => Cow::Borrowed(first),
        Some(second) => {
            let mut joined = String::from(first);
            joined.push_str(second);
            pieces.for_each(|p| joined.push_str(p));
            Cow::Owned(joined)
        }
    }
}

/// The fields found under one parent (the document, an owner, a row),
/// each known element name at most once.
pub struct Fields<'a, 'i> {
    found: Vec<(&'static str, Node<'a, 'i>)>,
    pub place: Place,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(place: Place) -> Self {
        Fields { found: Vec::with_capacity(24), place }
    }

    /// Records `node` if its name is one of `known`. A field written twice
    /// is refused: keeping either copy would silently drop the other.
    pub fn offer(&mut self, node: Node<'a, 'i>, known: &[&'static str]) -> Result<bool, ParseError> {
        let name = node.tag_name().name();
        let Some(&name) = known.iter().find(|k| **k == name) else { return Ok(false) };
        if self.found.iter().any(|(n, _)| *n == name) {
            return Err(self.place.invalid(name, "appears more than once"));
        }
        self.found.push((name, node));
        Ok(true)
    }

    /// Gathers the known fields among `nodes`.
    pub fn gather(
        place: Place,
        nodes: impl Iterator<Item = Node<'a, 'i>>,
        known: &[&'static str],
    ) -> Result<Self, ParseError> {
        let mut fields = Fields::new(place);
        for node in nodes.filter(Node::is_element) {
            fields.offer(node, known)?;
        }
        Ok(fields)
    }

    pub fn node(&self, name: &str) -> Option<Node<'a, 'i>> {
        self.found.iter().find(|(n, _)| *n == name).map(|(_, node)| *node)
    }

    fn raw(&self, name: &str) -> Option<Cow<'a, str>> {
        self.node(name).map(value_text).filter(|t| !t.trim().is_empty())
    }

    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name).and_then(|t| values::clean_text(&t))
    }

    pub fn boolean(&self, name: &str) -> Result<Option<Flag>, ParseError> {
        self.read(name, values::boolean)
    }

    pub fn number(&self, name: &str) -> Result<Option<f64>, ParseError> {
        self.read(name, values::number)
    }

    pub fn date(&self, name: &str) -> Result<Option<Date>, ParseError> {
        self.read(name, values::date)
    }

    fn read<T>(&self, name: &str, parse: fn(&str) -> Result<T, String>) -> Result<Option<T>, ParseError> {
        self.raw(name).map(|t| parse(&t).map_err(|e| self.place.invalid(name, e))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_or_without_a_value_element() {
        let xml = r#"<r><a><value> 100 </value><footnoteId id="F1"/></a><b>100</b><c>Common <footnoteId id="F2"/>Stock</c>
            <d><footnoteId id="F3"/></d><e><value>x&amp;y<!-- c --> z</value></e><f><value/></f></r>"#;
        let doc = roxmltree::Document::parse(xml).unwrap();
        let known = ["a", "b", "c", "d", "e", "f"];
        let fields = Fields::gather(Place::Document, doc.root_element().children(), &known).unwrap();
        assert_eq!(fields.number("a"), Ok(Some(100.0)));
        assert_eq!(fields.number("b"), Ok(Some(100.0)));
        assert_eq!(fields.text("c").as_deref(), Some("Common Stock"));
        assert_eq!((fields.text("d"), fields.number("d")), (None, Ok(None)), "a footnote alone is no value");
        assert_eq!(fields.text("e").as_deref(), Some("x&y z"));
        assert_eq!((fields.text("f"), fields.text("missing")), (None, None));
        let twice = roxmltree::Document::parse("<r><a>1</a><a>2</a></r>").unwrap();
        let err = Fields::gather(Place::Owner(2), twice.root_element().children(), &known).err().unwrap();
        assert_eq!(err.to_string(), "reportingOwner 2 a: appears more than once");
    }
}
