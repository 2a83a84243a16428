use std::fmt;
use std::str::FromStr;

use diesel::sql_types::SmallInt;
use diesel::{AsExpression, FromSqlRow};

use super::InvalidValue;

/// A yes/no box of a form, with the spelling the filer used. SEC's data
/// sets pass that spelling through (`0`, `1`, `false`, `true`), so a bundle
/// writes what SEC writes; JSON carries the value as a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = SmallInt)]
pub struct Flag {
    value: bool,
    word: bool,
}

impl Flag {
    /// `0` or `1`.
    pub const fn digit(value: bool) -> Self {
        Flag { value, word: false }
    }

    /// `false` or `true`.
    pub const fn word(value: bool) -> Self {
        Flag { value, word: true }
    }

    pub const fn value(self) -> bool {
        self.value
    }

    /// The database code: bit 0 the value, bit 1 set for a word. Rows
    /// written as booleans before spellings were kept read as digits.
    pub(crate) fn code(self) -> i16 {
        i16::from(self.value) | (i16::from(self.word) << 1)
    }

    pub(crate) fn from_code(code: i16) -> Result<Self, InvalidValue> {
        match code {
            0..=3 => Ok(Flag { value: code & 1 == 1, word: code & 2 == 2 }),
            _ => Err(InvalidValue::new("flag code", &code.to_string(), "expected 0 to 3")),
        }
    }
}

impl From<bool> for Flag {
    fn from(value: bool) -> Self {
        Flag::digit(value)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.word, self.value) {
            (false, false) => "0",
            (false, true) => "1",
            (true, false) => "false",
            (true, true) => "true",
        })
    }
}

/// Reads `0`, `1`, `true` and `false` in any case, with surrounding white
/// space, as filers write them.
impl FromStr for Flag {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t {
            "0" => Ok(Flag::digit(false)),
            "1" => Ok(Flag::digit(true)),
            _ if t.eq_ignore_ascii_case("false") => Ok(Flag::word(false)),
            _ if t.eq_ignore_ascii_case("true") => Ok(Flag::word(true)),
            _ => Err(InvalidValue::new("boolean", s, "expected 0, 1, true or false")),
        }
    }
}

impl serde::Serialize for Flag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(self.value)
    }
}

impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bool::deserialize(d).map(Flag::digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_spelling_and_the_value() {
        for text in ["0", "1", "false", "true"] {
            let flag: Flag = text.parse().unwrap();
            assert_eq!(flag.to_string(), text);
            assert_eq!(Flag::from_code(flag.code()).unwrap(), flag);
        }
        assert_eq!(" TRUE\n".parse::<Flag>().unwrap(), Flag::word(true));
        assert!(!"0".parse::<Flag>().unwrap().value());
        assert!("yes".parse::<Flag>().unwrap_err().to_string().contains("\"yes\""));
        assert!(Flag::from_code(4).is_err());
        assert_eq!(serde_json::to_string(&Flag::word(true)).unwrap(), "true");
    }
}
