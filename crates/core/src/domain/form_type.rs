use std::fmt;
use std::str::FromStr;

use super::InvalidValue;

/// The ownership form families the service publishes: 3, 4 and 5.
/// Amendments belong to the family of the form they amend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Integer)]
pub enum FormType {
    Form3,
    Form4,
    Form5,
}

impl FormType {
    pub const ALL: [FormType; 3] = [FormType::Form3, FormType::Form4, FormType::Form5];

    pub fn number(self) -> i16 {
        match self {
            FormType::Form3 => 3,
            FormType::Form4 => 4,
            FormType::Form5 => 5,
        }
    }

    pub fn from_number(n: i64) -> Result<Self, InvalidValue> {
        match n {
            3 => Ok(FormType::Form3),
            4 => Ok(FormType::Form4),
            5 => Ok(FormType::Form5),
            _ => Err(InvalidValue::new("form type", &n.to_string(), "must be 3, 4 or 5")),
        }
    }
}

impl fmt::Display for FormType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

impl FromStr for FormType {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "3" => Ok(FormType::Form3),
            "4" => Ok(FormType::Form4),
            "5" => Ok(FormType::Form5),
            _ => Err(InvalidValue::new("form type", s, "must be 3, 4 or 5")),
        }
    }
}

/// A filing's `documentType`: a form family and whether it is an amendment
/// (`4` or `4/A`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct DocumentType {
    pub form_type: FormType,
    pub is_amendment: bool,
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_amendment {
            write!(f, "{}/A", self.form_type)
        } else {
            write!(f, "{}", self.form_type)
        }
    }
}

impl FromStr for DocumentType {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let (form, is_amendment) = match trimmed.strip_suffix("/A") {
            Some(form) => (form, true),
            None => (trimmed, false),
        };
        let form_type =
            form.parse().map_err(|_| InvalidValue::new("document type", s, "must be 3, 4, 5, 3/A, 4/A or 5/A"))?;
        Ok(DocumentType { form_type, is_amendment })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms_and_amendments() {
        assert_eq!("4".parse::<FormType>().unwrap(), FormType::Form4);
        let amended: DocumentType = "5/A".parse().unwrap();
        assert_eq!(amended.form_type, FormType::Form5);
        assert!(amended.is_amendment);
        assert_eq!(amended.to_string(), "5/A");
    }

    #[test]
    fn rejects_other_forms_naming_the_value() {
        let err = "6".parse::<FormType>().unwrap_err();
        assert!(err.to_string().contains("\"6\""), "{err}");
        assert!("4/B".parse::<DocumentType>().is_err());
        assert!("".parse::<FormType>().is_err());
        assert!("10-K".parse::<DocumentType>().is_err());
    }
}
