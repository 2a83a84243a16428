//! Field formats of SEC's data-set TSVs, and a reusable line buffer so that
//! writing a row allocates nothing in the steady state.

use std::fmt::Write as _;
use std::io::{self, Write};

use insider_bulk_core::domain::Flag;
use insider_bulk_core::filing::{FootnoteIds, ReportingOwner};
use insider_bulk_core::sec_format::{self, ROLES};
use time::Date;

/// One TSV row being built: fields are appended, then the row is written.
#[derive(Default)]
pub struct Line {
    buf: String,
    fields: usize,
}

impl Line {
    fn sep(&mut self) {
        if self.fields > 0 {
            self.buf.push('\t');
        }
        self.fields += 1;
    }

    /// Text as SEC writes it: a value holding a double quote is wrapped in
    /// quotes with the inner ones doubled (CSV style), and the characters
    /// that would break a TSV row are made spaces.
    pub fn fields(&self) -> usize {
        self.fields
    }

    pub fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        // Most values need neither quoting nor blanking: copy them whole.
        if !value.bytes().any(|b| matches!(b, b'"' | b'\t' | b'\n' | b'\r')) {
            self.buf.push_str(value);
            return self;
        }
        let plain = |c: char| if matches!(c, '\t' | '\n' | '\r') { ' ' } else { c };
        if value.contains('"') {
            self.buf.push('"');
            for c in value.chars().map(plain) {
                if c == '"' {
                    self.buf.push('"');
                }
                self.buf.push(c);
            }
            self.buf.push('"');
        } else {
            self.buf.extend(value.chars().map(plain));
        }
        self
    }

    pub fn opt(&mut self, value: &Option<String>) -> &mut Self {
        self.text(value.as_deref().unwrap_or(""))
    }

    /// `DD-MON-YYYY`, as SEC writes dates.
    pub fn date(&mut self, value: Option<Date>) -> &mut Self {
        self.sep();
        if let Some(d) = value {
            let _ = write!(self.buf, "{:02}-{}-{:04}", d.day(), sec_format::month_name(d), d.year());
        }
        self
    }

    /// Shortest text that reads back as the same double, with `.0` on whole
    /// numbers as SEC writes them (`250000.0`).
    pub fn num(&mut self, value: Option<f64>) -> &mut Self {
        self.sep();
        if let Some(v) = value {
            let _ = write!(self.buf, "{v:?}");
        }
        self
    }

    /// A yes/no box as the filer spelled it (`0`, `1`, `false`, `true`).
    pub fn flag(&mut self, value: Option<Flag>) -> &mut Self {
        self.sep();
        if let Some(v) = value {
            let _ = write!(self.buf, "{v}");
        }
        self
    }

    pub fn key(&mut self, value: u64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{value}");
        self
    }

    /// The footnote ids attached to any of `fields`, as `F1, F2`.
    pub fn fns(&mut self, ids: &FootnoteIds, fields: &[&str]) -> &mut Self {
        self.sep();
        let mut first = true;
        for id in fields.iter().filter_map(|f| ids.get(*f)).flatten() {
            if !first {
                self.buf.push_str(", ");
            }
            self.buf.push_str(id);
            first = false;
        }
        self
    }

    pub fn finish_into(&mut self, sink: &mut impl Write) -> io::Result<()> {
        self.buf.push('\n');
        let result = sink.write_all(self.buf.as_bytes());
        self.buf.clear();
        self.fields = 0;
        result
    }
}

/// RPTOWNER_RELATIONSHIP: the owner's roles, comma-separated.
pub fn relationship(owner: &ReportingOwner) -> String {
    let roles = [
        (owner.is_director, ROLES[0]),
        (owner.is_officer, ROLES[1]),
        (owner.is_ten_percent_owner, ROLES[2]),
        (owner.is_other, ROLES[3]),
    ];
    roles.iter().filter(|(on, _)| on.is_some_and(Flag::value)).map(|(_, name)| *name).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn formats_like_sec() {
        let mut line = Line::default();
        let mut ids = FootnoteIds::new();
        ids.insert("shares".into(), vec!["F1".into(), "F2".into()]);
        line.text("a\tb").date(Some(date!(2024 - 09 - 27))).num(Some(250000.0)).num(Some(8.84)).num(None);
        line.flag(Some(Flag::digit(false))).flag(Some(Flag::word(true))).fns(&ids, &["shares"]);
        line.fns(&ids, &["price_per_share"]).text(r#"Common Shares ("Shares")"#);
        let mut out = Vec::new();
        line.finish_into(&mut out).unwrap();
        let expected = "a b\t27-SEP-2024\t250000.0\t8.84\t\t0\ttrue\tF1, F2\t\t\"Common Shares (\"\"Shares\"\")\"\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
