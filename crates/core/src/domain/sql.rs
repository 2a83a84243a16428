//! Domain types as typed database columns, on both backends: a column holds
//! a `Cik` or a `JobState`, not a string that every reader parses again.
//! A value that does not parse is a corrupt row, reported with the value.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Integer, SmallInt, Text};
use diesel::sqlite::Sqlite;

/// The backend of [`crate::db::DbConnection`], the one connection type over
/// both databases: it hands a value on to whichever backend it holds.
type Multi = crate::db::MultiBackend;

/// `ToSql` for the multi-backend, given `ToSql` for both backends.
macro_rules! multi_to_sql {
    ($t:ty, $sql:ident) => {
        impl ToSql<$sql, Multi> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Multi>) -> serialize::Result {
                out.set_value(($sql, self));
                Ok(IsNull::No)
            }
        }
    };
}

/// A type stored as its `Display` text and read back through its `FromStr`.
/// The type itself derives `AsExpression` and `FromSqlRow` for `Text`.
macro_rules! text_column {
    ($($t:ty),+ $(,)?) => {$(
        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                use std::io::Write;
                write!(out, "{self}")?;
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Sqlite> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_string());
                Ok(IsNull::No)
            }
        }

        multi_to_sql!($t, Text);

        impl<DB: Backend> FromSql<Text, DB> for $t
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                Ok(String::from_sql(bytes)?.parse::<$t>()?)
            }
        }
    )+};
}

text_column!(
    super::AccessionNumber,
    super::Cik,
    super::DocumentType,
    super::Month,
    super::JobState,
    super::JobReason,
    super::RecoveryReason,
    super::BundleStatus,
    super::StorageTier,
    super::FilingSource,
    super::Tier,
    super::LedgerKind,
    super::JobId,
    super::AccountId,
    crate::filing::FootnoteIds,
);

/// The form family as its number, 3, 4 or 5 (the column has a CHECK).
impl ToSql<Integer, Pg> for super::FormType {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        use std::io::Write;
        out.write_all(&i32::from(self.number()).to_be_bytes())?;
        Ok(IsNull::No)
    }
}

impl ToSql<Integer, Sqlite> for super::FormType {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(i32::from(self.number()));
        Ok(IsNull::No)
    }
}

multi_to_sql!(super::FormType, Integer);

impl<DB: Backend> FromSql<Integer, DB> for super::FormType
where
    i32: FromSql<Integer, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(super::FormType::from_number(i64::from(i32::from_sql(bytes)?))?)
    }
}

/// A flag as its code: the value and whether the filer wrote it as a digit
/// or a word (see [`super::Flag`]).
impl ToSql<SmallInt, Pg> for super::Flag {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        use std::io::Write;
        out.write_all(&self.code().to_be_bytes())?;
        Ok(IsNull::No)
    }
}

impl ToSql<SmallInt, Sqlite> for super::Flag {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(i32::from(self.code()));
        Ok(IsNull::No)
    }
}

multi_to_sql!(super::Flag, SmallInt);

impl<DB: Backend> FromSql<SmallInt, DB> for super::Flag
where
    i16: FromSql<SmallInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(super::Flag::from_code(i16::from_sql(bytes)?)?)
    }
}
