//! Download URLs the gateway signs itself, for the local store (an S3
//! store presigns its own). A URL names one stored object, its sha256 and
//! an expiry, and carries an HMAC-SHA256 over the three: the signature is
//! the authorization, so the URL works without an API key, only for that
//! object and only until it expires. The object is addressed by its key,
//! which is unique per write, so a URL never serves another version of a
//! month than the one it was issued for.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The route that serves signed objects; outside `/api`, as it takes no key.
pub const FILES_PREFIX: &str = "/files/";
const KEY_FILE: &str = "download-url.key";

#[derive(Clone)]
pub struct UrlSigner {
    secret: Vec<u8>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

/// The signed parts of a URL, as the files route reads them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedObject {
    pub object_key: String,
    pub sha256: String,
    pub expires: i64,
}

impl UrlSigner {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        UrlSigner { secret: secret.into() }
    }

    /// The configured secret, else the one in `data_dir`, made there (mode
    /// 0600) on the first start so that a restart keeps URLs valid.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> std::io::Result<Self> {
        if let Some(secret) = configured {
            return Ok(UrlSigner::new(secret.as_bytes()));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(secret) if secret.len() >= 32 => return Ok(UrlSigner::new(secret)),
            Ok(_) => return Err(std::io::Error::other(format!("{} holds fewer than 32 bytes", path.display()))),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            Err(_) => {}
        }
        std::fs::create_dir_all(data_dir)?;
        let mut secret = vec![0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        // Written aside and renamed: two first starts racing both end with
        // one whole key, the last one renamed, read back by both.
        let mut staged = tempfile::NamedTempFile::new_in(data_dir)?;
        staged.write_all(&secret)?;
        staged.as_file().sync_all()?;
        restrict(staged.path())?;
        staged.persist_noclobber(&path).map_err(|e| e.error).or_else(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Ok(std::fs::File::open(&path)?)
            } else {
                Err(e)
            }
        })?;
        Ok(UrlSigner::new(std::fs::read(&path)?))
    }

    /// `{base}/files/{object_key}?sha256=…&expires=…&signature=…`.
    pub fn url(&self, base_url: &str, object: &SignedObject) -> String {
        format!(
            "{base_url}{FILES_PREFIX}{}?sha256={}&expires={}&signature={}",
            object.object_key,
            object.sha256,
            object.expires,
            self.signature(object)
        )
    }

    /// Whether `signature` is this signer's over `object` (constant time).
    pub fn verifies(&self, object: &SignedObject, signature: &str) -> bool {
        let Ok(sent) = hex::decode(signature) else { return false };
        let expected = self.mac(object).finalize().into_bytes();
        sent.ct_eq(expected.as_slice()).into()
    }

    fn signature(&self, object: &SignedObject) -> String {
        hex::encode(self.mac(object).finalize().into_bytes())
    }

    fn mac(&self, object: &SignedObject) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        // Newlines cannot occur in a key, a hex digest or a number: the
        // three parts cannot be shifted into one another.
        mac.update(object.object_key.as_bytes());
        mac.update(b"\n");
        mac.update(object.sha256.as_bytes());
        mac.update(b"\n");
        mac.update(object.expires.to_string().as_bytes());
        mac
    }
}

#[cfg(unix)]
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object() -> SignedObject {
        SignedObject {
            object_key: "hot/form-4/2026/f.jsonl.gz".into(),
            sha256: "ab".repeat(32),
            expires: 1_800_000_000,
        }
    }

    #[test]
    fn a_signature_covers_key_digest_and_expiry() {
        let signer = UrlSigner::new(b"k".repeat(32));
        let url = signer.url("http://h", &object());
        let signature = url.rsplit_once("signature=").unwrap().1;
        assert!(signer.verifies(&object(), signature));
        for changed in [
            SignedObject { object_key: "hot/form-4/2026/g.jsonl.gz".into(), ..object() },
            SignedObject { sha256: "cd".repeat(32), ..object() },
            SignedObject { expires: 1_800_000_001, ..object() },
        ] {
            assert!(!signer.verifies(&changed, signature), "{changed:?}");
        }
        assert!(!UrlSigner::new(b"j".repeat(32)).verifies(&object(), signature), "another secret");
        assert!(!signer.verifies(&object(), "zz"));
    }

    #[test]
    fn the_generated_secret_is_kept_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let first = UrlSigner::load_or_create(None, dir.path()).unwrap();
        let again = UrlSigner::load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.secret, again.secret);
        assert_eq!(first.secret.len(), 32);
        let configured = UrlSigner::load_or_create(Some("from-config"), dir.path()).unwrap();
        assert_eq!(configured.secret, b"from-config");
    }
}
