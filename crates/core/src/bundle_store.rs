//! The bundle store: a local directory by default, any S3-compatible object
//! store in production, chosen by URL. Both sit behind `object_store`, whose
//! writes are atomic (a local file is renamed into place, an S3 object
//! appears when its upload completes), so a reader sees the old bundle or
//! the new one, never a partial file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::signer::Signer;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::domain::{FormType, Month, StorageTier};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid bundle store URL {0:?}: expected a directory, file:///dir or s3://bucket[/prefix]")]
    InvalidUrl(String),
    #[error("bundle store: {0}")]
    Backend(#[from] object_store::Error),
    #[error("bundle store I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("{key}: sha256 {actual} does not match the index's {expected}")]
    Corrupt { key: String, expected: String, actual: String },
}

/// Where bundles live, parsed from `BUNDLE_STORE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl StoreUrl {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(StoreError::InvalidUrl(url.to_owned()));
            }
            return Ok(StoreUrl::S3 { bucket: bucket.to_owned(), prefix: prefix.trim_matches('/').to_owned() });
        }
        let path = url.strip_prefix("file://").unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(StoreError::InvalidUrl(url.to_owned()));
        }
        Ok(StoreUrl::Local(PathBuf::from(path)))
    }
}

/// The key of one write of a month's bundle to a tier. It names the
/// content (the first 16 hex digits of its sha256) and the write (`write`,
/// fresh for each upload or copy), so an object never changes once written
/// and a key the index has moved off is never pointed to again: the nightly
/// purge of superseded objects cannot delete an object that a later write
/// of the same bytes (a month rebuilt as before, a cold month warmed again)
/// has put back in the index.
pub fn object_key(tier: StorageTier, form: FormType, month: Month, sha256: &str, write: Uuid) -> String {
    let version = sha256.get(..16).unwrap_or(sha256);
    let write = write.simple();
    format!("{tier}/form-{form}/{:04}/form-{form}-{month}.{version}.{write}.tar.gz", month.year())
}

/// The key of a month's `.jsonl.gz`, versioned and unique per write as
/// [`object_key`] is.
pub fn jsonl_object_key(tier: StorageTier, form: FormType, month: Month, sha256: &str, write: Uuid) -> String {
    let version = sha256.get(..16).unwrap_or(sha256);
    let write = write.simple();
    format!("{tier}/form-{form}/{:04}/form-{form}-{month}.{version}.{write}.jsonl.gz", month.year())
}

#[derive(Clone)]
pub struct BundleStore {
    objects: Arc<dyn ObjectStore>,
    signer: Option<Arc<AmazonS3>>,
    s3_prefix: String,
}

impl BundleStore {
    /// Opens the store; S3 credentials, region and endpoint come from the
    /// standard `AWS_*` variables (`AWS_ENDPOINT_URL` for non-AWS servers).
    pub fn open(url: &StoreUrl) -> Result<Self, StoreError> {
        match url {
            StoreUrl::Local(root) => {
                std::fs::create_dir_all(root)?;
                let local = LocalFileSystem::new_with_prefix(root)?;
                Ok(BundleStore { objects: Arc::new(local), signer: None, s3_prefix: String::new() })
            }
            StoreUrl::S3 { bucket, prefix } => Self::open_s3(AmazonS3Builder::from_env(), bucket, prefix),
        }
    }

    /// Opens an S3 store from an explicit builder (endpoint, credentials),
    /// for callers that do not configure it through the environment.
    pub fn open_s3(builder: AmazonS3Builder, bucket: &str, prefix: &str) -> Result<Self, StoreError> {
        let s3 = Arc::new(builder.with_bucket_name(bucket).build()?);
        let objects: Arc<dyn ObjectStore> =
            if prefix.is_empty() { s3.clone() } else { Arc::new(PrefixStore::new(s3.clone(), prefix)) };
        Ok(BundleStore { objects, signer: Some(s3), s3_prefix: prefix.to_owned() })
    }

    /// Uploads a finished local file under `key`; visible only when complete.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<(), StoreError> {
        let mut source = tokio::fs::File::open(file).await?;
        let mut upload = object_store::buffered::BufWriter::new(self.objects.clone(), ObjectPath::from(key));
        if let Err(e) = tokio::io::copy(&mut source, &mut upload).await {
            let _ = upload.abort().await;
            return Err(e.into());
        }
        upload.shutdown().await?;
        Ok(())
    }

    /// Size of the object, or `None` when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self.objects.head(&ObjectPath::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The object or a byte range of it; `None` when it does not exist.
    pub async fn read(
        &self,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<Option<object_store::GetResult>, StoreError> {
        let options = object_store::GetOptions { range: range.map(Into::into), ..Default::default() };
        match self.objects.get_opts(&ObjectPath::from(key), options).await {
            Ok(result) => Ok(Some(result)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get(&self, key: &str) -> Result<object_store::GetResult, StoreError> {
        Ok(self.objects.get(&ObjectPath::from(key)).await?)
    }

    /// Copies `from` to `to` and checks the copy's sha256. `from` stays:
    /// the index still points to it until the caller switches the row, and
    /// the nightly run deletes it once superseded long enough.
    pub async fn copy_verified(&self, from: &str, to: &str, sha256: &str) -> Result<(), StoreError> {
        self.objects.copy(&ObjectPath::from(from), &ObjectPath::from(to)).await?;
        let actual = self.sha256(to).await?;
        if actual != sha256 {
            let _ = self.objects.delete(&ObjectPath::from(to)).await;
            return Err(StoreError::Corrupt { key: to.to_owned(), expected: sha256.to_owned(), actual });
        }
        Ok(())
    }

    pub async fn sha256(&self, key: &str) -> Result<String, StoreError> {
        use futures_lite::StreamExt;
        use sha2::{Digest, Sha256};
        let mut stream = self.get(key).await?.into_stream();
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk?);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// Keys of the bundle objects (under `hot/` and `cold/`) last written
    /// before `before`.
    pub async fn keys_written_before(&self, before: time::OffsetDateTime) -> Result<Vec<String>, StoreError> {
        use futures_lite::StreamExt;
        let before_millis = (before.unix_timestamp_nanos() / 1_000_000) as i64;
        let mut keys = Vec::new();
        for tier in [StorageTier::Hot, StorageTier::Cold] {
            let mut listing = self.objects.list(Some(&ObjectPath::from(tier.to_string())));
            while let Some(meta) = listing.next().await {
                let meta = meta?;
                if meta.last_modified.timestamp_millis() < before_millis {
                    keys.push(meta.location.to_string());
                }
            }
        }
        Ok(keys)
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.objects.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A pre-signed GET URL on S3 (`None` for a local store, which the
    /// gateway streams itself).
    pub async fn signed_url(&self, key: &str, valid_for: Duration) -> Result<Option<String>, StoreError> {
        let Some(s3) = &self.signer else { return Ok(None) };
        let full = if self.s3_prefix.is_empty() { key.to_owned() } else { format!("{}/{key}", self.s3_prefix) };
        let url = s3.signed_url(object_store::signer::Method::GET, &ObjectPath::from(full), valid_for).await?;
        Ok(Some(url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_store_urls() {
        assert_eq!(StoreUrl::parse("./data/bundles").unwrap(), StoreUrl::Local("./data/bundles".into()));
        assert_eq!(StoreUrl::parse("file:///srv/b").unwrap(), StoreUrl::Local("/srv/b".into()));
        assert_eq!(
            StoreUrl::parse("s3://bulk/prod/").unwrap(),
            StoreUrl::S3 { bucket: "bulk".into(), prefix: "prod".into() }
        );
        assert!(StoreUrl::parse("s3://").is_err());
        assert!(StoreUrl::parse("gs://x").is_err());
    }

    #[test]
    fn keys_name_tier_form_and_month() {
        let month = Month::new(2025, 9).unwrap();
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let write = Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(
            object_key(StorageTier::Hot, FormType::Form4, month, sha, write),
            "hot/form-4/2025/form-4-2025-09.0123456789abcdef.67e5504410b1426f9247bb680e5fe0c8.tar.gz"
        );
        assert_ne!(
            object_key(StorageTier::Hot, FormType::Form4, month, sha, Uuid::new_v4()),
            object_key(StorageTier::Hot, FormType::Form4, month, sha, Uuid::new_v4()),
            "two writes of the same bytes, two keys"
        );
    }
}
