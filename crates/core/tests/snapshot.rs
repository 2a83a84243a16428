//! A snapshot exported by one PostgreSQL transaction is what another
//! connection reads once it adopts it: a row committed after the export is
//! invisible there, though a fresh transaction sees it. The packer reads a
//! month on two connections this way.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use insider_bulk_core::db::{snapshot, DbConnection, DbError};
use insider_bulk_testing::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn rows(conn: &mut DbConnection) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM seen").get_result::<Count>(conn).unwrap().n
}

#[test]
fn an_adopted_snapshot_does_not_see_later_commits() {
    let db = TestDatabase::postgres();
    let (mut exporter, mut adopter, mut writer, mut fresh) = (db.connect(), db.connect(), db.connect(), db.connect());
    writer.batch_execute("CREATE TABLE seen (x int); INSERT INTO seen VALUES (1)").unwrap();

    let id = exporter
        .transaction(|exporter| -> Result<String, DbError> {
            snapshot::read_only(exporter)?;
            let id = snapshot::export(exporter)?.expect("PostgreSQL exports a snapshot");
            writer.batch_execute("INSERT INTO seen VALUES (2)").unwrap();

            let adopted = adopter.transaction(|adopter| -> Result<i64, DbError> {
                snapshot::adopt(adopter, &id)?;
                Ok(rows(adopter))
            })?;
            assert_eq!(adopted, 1, "the adopted snapshot predates the second row");
            let now = fresh.transaction(|fresh| -> Result<i64, DbError> {
                snapshot::read_only(fresh)?;
                Ok(rows(fresh))
            })?;
            assert_eq!(now, 2, "a fresh snapshot sees it");
            assert_eq!(rows(exporter), 1, "the exporter's own snapshot, as adopted");
            Ok(id)
        })
        .unwrap();

    // Once the exporting transaction has ended its snapshot is gone.
    let late = adopter.transaction(|adopter| snapshot::adopt(adopter, &id));
    assert!(late.is_err(), "adopting an ended transaction's snapshot fails");
    let forged = adopter.transaction(|adopter| snapshot::adopt(adopter, "1'; DROP TABLE seen; --"));
    assert!(matches!(forged, Err(DbError::Corrupt(_))), "{forged:?}");
    assert_eq!(rows(&mut writer), 2);
}

#[test]
fn sqlite_exports_none() {
    let db = TestDatabase::sqlite();
    let mut conn = db.connect();
    let exported = conn.transaction(snapshot::export).unwrap();
    assert_eq!(exported, None);
}
