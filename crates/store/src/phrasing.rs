//! The learned phrasings, read and pruned outside the engine's turns (the engine learns
//! them in `tx.rs`).

use async_trait::async_trait;
use relaydesk_core::phrasing::{Phrasing, PhrasingSource, Phrasings};
use relaydesk_core::store::StoreError;

use crate::{db_error, Db, SqlStore};

#[async_trait]
impl Phrasings for SqlStore {
    async fn phrasings(&self) -> Result<Vec<Phrasing>, StoreError> {
        let sql =
            "select id, article_id, question, source, created_at from kb_phrasing order by id";
        let rows: Vec<(i64, String, String, String, i64)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).fetch_all(pool).await)
                .map_err(db_error)?;
        rows.into_iter()
            .map(|(id, article_id, question, source, created_at)| {
                Ok(Phrasing {
                    id,
                    article_id,
                    question,
                    source: PhrasingSource::parse(&source).ok_or_else(|| {
                        StoreError::Corrupt(format!("unknown phrasing source `{source}`"))
                    })?,
                    created_at,
                })
            })
            .collect()
    }

    async fn remove_phrasing(&self, id: i64) -> Result<bool, StoreError> {
        let sql = "delete from kb_phrasing where id = $1";
        let removed = on_pool!(&self.db, pool => sqlx::query(sql).bind(id)
            .execute(pool).await.map(|r| r.rows_affected()))
        .map_err(db_error)?;
        Ok(removed > 0)
    }
}
