//! A statement and its arguments, run on either dialect: PostgreSQL through sqlx,
//! SQLite through rusqlite on the calling thread (see [`crate::lite`]). One SQL text
//! serves both; its parameters are `$1`, `$2`, … in both.

use std::borrow::Cow;

use relaydesk_core::store::StoreError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::Arguments;

/// One argument of a statement.
pub(crate) enum Arg<'a> {
    Int(Option<i64>),
    Int4(Option<i32>),
    Text(Option<Cow<'a, str>>),
}

/// A statement with its arguments, `$n` being `args[n - 1]`.
pub(crate) struct Stmt<'a> {
    pub(crate) sql: Cow<'a, str>,
    args: Vec<Arg<'a>>,
}

/// A statement to bind arguments to.
pub(crate) fn stmt<'a>(sql: impl Into<Cow<'a, str>>) -> Stmt<'a> {
    Stmt {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl<'a> Stmt<'a> {
    /// Adds the next argument.
    pub(crate) fn bind(mut self, value: impl Into<Arg<'a>>) -> Stmt<'a> {
        self.args.push(value.into());
        self
    }

    /// The arguments for sqlx's PostgreSQL driver.
    pub(crate) fn pg_arguments(&self) -> Result<PgArguments, StoreError> {
        let mut out = PgArguments::default();
        for arg in &self.args {
            match arg {
                Arg::Int(v) => out.add(*v),
                Arg::Int4(v) => out.add(*v),
                Arg::Text(v) => out.add(v.as_deref()),
            }
            .map_err(|e| StoreError::query(format!("cannot bind an argument: {e}")))?;
        }
        Ok(out)
    }

    /// Binds the arguments to a prepared SQLite statement, by the number in each
    /// parameter's name (SQLite reads `$3` as a parameter named "$3").
    pub(crate) fn bind_sqlite(&self, s: &mut rusqlite::Statement<'_>) -> rusqlite::Result<()> {
        for i in 1..=s.parameter_count() {
            let name = s.parameter_name(i).unwrap_or("?");
            let arg = name
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| self.args.get(n.checked_sub(1)?))
                .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_string()))?;
            match arg {
                Arg::Int(v) => s.raw_bind_parameter(i, v)?,
                Arg::Int4(v) => s.raw_bind_parameter(i, v)?,
                Arg::Text(v) => s.raw_bind_parameter(i, v.as_deref())?,
            }
        }
        Ok(())
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl From<i32> for Arg<'_> {
    fn from(v: i32) -> Self {
        Arg::Int4(Some(v))
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v.map(Cow::Borrowed))
    }
}

impl<'a> From<Option<&'a String>> for Arg<'a> {
    fn from(v: Option<&'a String>) -> Self {
        Arg::Text(v.map(|s| Cow::Borrowed(s.as_str())))
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_ref().into()
    }
}

/// A row type both drivers can read: sqlx's `FromRow` on PostgreSQL, [`FromSqlite`]
/// on SQLite.
pub(crate) trait Row: for<'r> sqlx::FromRow<'r, PgRow> + FromSqlite + Send + Unpin {}

impl<T> Row for T where T: for<'r> sqlx::FromRow<'r, PgRow> + FromSqlite + Send + Unpin {}

/// Reads a row of a SQLite result.
pub(crate) trait FromSqlite: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// Tuples read their columns in order.
macro_rules! tuple_from_sqlite {
    ($($t:ident $i:tt),+) => {
        impl<$($t: rusqlite::types::FromSql),+> FromSqlite for ($($t,)+) {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    };
}

tuple_from_sqlite!(A 0);
tuple_from_sqlite!(A 0, B 1);
tuple_from_sqlite!(A 0, B 1, C 2);
tuple_from_sqlite!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);

/// Structs read their fields from the columns of the same names.
macro_rules! struct_from_sqlite {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::stmt::FromSqlite for $name {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok($name { $($field: row.get(stringify!($field))?),+ })
            }
        }
    };
}
pub(crate) use struct_from_sqlite;
