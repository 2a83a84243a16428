//! `Database::run_with_spare` hands out a second connection only where it
//! helps and costs no one a wait: on PostgreSQL, and only while the pool
//! keeps one more free (a job's lease keeper needs it).

use insider_bulk_core::db::Database;
use insider_bulk_testing::{Backend, TestDatabase};

async fn spare_given(backend: Backend, pool: usize) -> bool {
    let test_db = TestDatabase::new(backend);
    let db = Database::open(&test_db.url, pool).await.unwrap();
    db.run_with_spare(|_, second| Ok(second.is_some())).await.unwrap()
}

#[tokio::test]
async fn a_spare_only_on_postgres_with_one_left_over() {
    assert!(spare_given(Backend::Postgres, 4).await, "4 connections: one for the work, a spare, two left");
    assert!(spare_given(Backend::Postgres, 3).await, "3: the work, the spare, one left");
    assert!(!spare_given(Backend::Postgres, 2).await, "2: a spare would leave none");
    assert!(!spare_given(Backend::Sqlite, 8).await, "SQLite cannot share a snapshot");
}

#[tokio::test]
async fn the_spare_reads_the_same_database() {
    let test_db = TestDatabase::postgres();
    let db = Database::open(&test_db.url, 4).await.unwrap();
    let same = db
        .run_with_spare(|conn, second| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Name {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
            }
            let query = "SELECT current_database() AS name";
            let first: Name = diesel::sql_query(query).get_result(conn)?;
            let second: Name = diesel::sql_query(query).get_result(second.expect("a spare"))?;
            Ok(first.name == second.name)
        })
        .await
        .unwrap();
    assert!(same);
}
