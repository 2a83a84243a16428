//! Footnote references inside a table row. A `<footnoteId id="F1"/>` may
//! sit in any element of a row; it is recorded under the JSON name of the
//! field it annotates, which is what the bundle writer looks up to fill
//! SEC's `*_FN` columns.

use insider_bulk_core::filing::FootnoteIds;
use roxmltree::Node;

use super::xml::Place;
use super::ParseError;

/// How far above a `<footnoteId>` its field may be (real rows nest it at
/// most three deep); bounds the walk on adversarial nesting.
const MAX_FIELD_DEPTH: usize = 8;

/// Which family of row the footnote is in: a footnote on `<transactionCoding>`
/// belongs to the transaction code in a transaction, but a holding's coding
/// only carries the form type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Transaction,
    Holding,
}

/// Adds one `<footnoteId>` of `row` to `ids`, in document order, once per field.
pub fn record(ids: &mut FootnoteIds, note: Node, row: Node, kind: RowKind, place: Place) -> Result<(), ParseError> {
    let Some(id) = note.attribute("id").map(str::trim).filter(|id| !id.is_empty()) else { return Ok(()) };
    let key = field_of(note, row, kind).ok_or_else(|| place.invalid("footnoteId", "nested implausibly deep"))?;
    let list = ids.entry(key.into_owned()).or_default();
    if !list.iter().any(|existing| existing == id) {
        list.push(id.to_owned());
    }
    Ok(())
}

/// The nearest enclosing element that names a field; an unknown element
/// (a newer schema's) keys by its own name in snake_case so the link is kept.
fn field_of<'a>(note: Node<'a, '_>, row: Node, kind: RowKind) -> Option<std::borrow::Cow<'static, str>> {
    let mut outermost_unknown = None;
    for ancestor in note.ancestors().skip(1).take(MAX_FIELD_DEPTH + 1) {
        if ancestor == row {
            return Some(match outermost_unknown {
                Some(name) => snake_case(name).into(),
                None => "row".into(),
            });
        }
        let name = ancestor.tag_name().name();
        if let Some(field) = known_field(name, ancestor, kind) {
            return Some(field.into());
        }
        outermost_unknown = Some(name);
    }
    None
}

fn known_field(element: &str, node: Node, kind: RowKind) -> Option<&'static str> {
    Some(match element {
        "securityTitle" => "security_title",
        "conversionOrExercisePrice" => "conversion_or_exercise_price",
        "transactionDate" => "transaction_date",
        "deemedExecutionDate" => "deemed_execution_date",
        "transactionFormType" => "transaction_form_type",
        "transactionCode" => "transaction_code",
        "transactionCoding" if kind == RowKind::Transaction => "transaction_code",
        "transactionCoding" => "transaction_form_type",
        "equitySwapInvolved" => "equity_swap_involved",
        "transactionTimeliness" => "transaction_timeliness",
        "transactionShares" => "shares",
        "transactionTotalValue" => "total_value",
        "transactionPricePerShare" => "price_per_share",
        "transactionAcquiredDisposedCode" => "acquired_disposed_code",
        // A footnote on a whole group goes to the group's main amount, or to
        // the value-based one when that is what the group holds.
        "transactionAmounts" if only_has(node, "transactionTotalValue", "transactionShares") => "total_value",
        "transactionAmounts" => "shares",
        "exerciseDate" => "exercise_date",
        "expirationDate" => "expiration_date",
        "underlyingSecurity" | "underlyingSecurityTitle" => "underlying_security_title",
        "underlyingSecurityShares" => "underlying_security_shares",
        "underlyingSecurityValue" => "underlying_security_value",
        "postTransactionAmounts"
            if only_has(node, "valueOwnedFollowingTransaction", "sharesOwnedFollowingTransaction") =>
        {
            "value_owned_following_transaction"
        }
        "postTransactionAmounts" | "sharesOwnedFollowingTransaction" => "shares_owned_following_transaction",
        "valueOwnedFollowingTransaction" => "value_owned_following_transaction",
        "ownershipNature" | "directOrIndirectOwnership" => "direct_or_indirect_ownership",
        "natureOfOwnership" => "nature_of_ownership",
        _ => return None,
    })
}

/// Whether `group` has a `present` child and no `absent` one.
fn only_has(group: Node, present: &str, absent: &str) -> bool {
    let has = |name: &str| group.children().any(|c| c.tag_name().name() == name);
    has(present) && !has(absent)
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(row_xml: &str, kind: RowKind) -> FootnoteIds {
        let doc = roxmltree::Document::parse(row_xml).unwrap();
        let row = doc.root_element();
        let mut ids = FootnoteIds::new();
        let place = Place::Row { table: "t", row: 1, kind: "r", index: 1 };
        for note in row.descendants().filter(|n| n.has_tag_name("footnoteId")) {
            record(&mut ids, note, row, kind, place).unwrap();
        }
        ids
    }

    #[test]
    fn keyed_by_the_enclosing_field_in_order_without_repeats() {
        let ids = keys(
            r#"<r><transactionAmounts><transactionShares><value>1</value><footnoteId id="F2"/><footnoteId id="F1"/>
            <footnoteId id="F2"/></transactionShares></transactionAmounts>
            <transactionCoding><transactionCode>S</transactionCode><footnoteId id="F3"/></transactionCoding>
            <ownershipNature><natureOfOwnership><value>By trust</value><footnoteId id=" F4 "/></natureOfOwnership>
            </ownershipNature><newField><deeper><footnoteId id="F5"/></deeper></newField><footnoteId id="F6"/>
            <footnoteId id=""/></r>"#,
            RowKind::Transaction,
        );
        let expect = [
            ("shares", vec!["F2", "F1"]),
            ("transaction_code", vec!["F3"]),
            ("nature_of_ownership", vec!["F4"]),
            ("new_field", vec!["F5"]),
            ("row", vec!["F6"]),
        ];
        let expect: FootnoteIds =
            expect.into_iter().map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect())).collect();
        assert_eq!(ids, expect);
    }

    #[test]
    fn groups_and_holdings() {
        let ids = keys(
            r#"<h><transactionCoding><transactionFormType>3</transactionFormType><footnoteId id="F1"/></transactionCoding>
            <postTransactionAmounts><valueOwnedFollowingTransaction><value>5</value></valueOwnedFollowingTransaction>
            <footnoteId id="F2"/></postTransactionAmounts></h>"#,
            RowKind::Holding,
        );
        assert_eq!(ids["transaction_form_type"], ["F1"]);
        assert_eq!(ids["value_owned_following_transaction"], ["F2"]);
    }
}
