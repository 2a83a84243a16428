//! API keys: `ibk_<id>_<secret>`. The id finds the row; only the SHA-256 of
//! the secret is stored, and it is compared in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "ibk_";

/// A freshly issued key: `plaintext` is shown once and never stored.
pub struct IssuedKey {
    pub id: String,
    pub plaintext: String,
    pub secret_sha256: String,
}

pub fn issue() -> IssuedKey {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut id);
    rand::rng().fill_bytes(&mut secret);
    let id = hex::encode(id);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    IssuedKey { plaintext: format!("{PREFIX}{id}_{secret}"), secret_sha256: hash(&secret), id }
}

/// Splits a presented key into (id, secret); `None` when it cannot be a key.
pub fn parse(presented: &str) -> Option<(&str, &str)> {
    let rest = presented.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() == 43 && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then_some((id, secret))
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `stored_sha256`, in time independent of where they differ.
pub fn matches(secret: &str, stored_sha256: &str) -> bool {
    hash(secret).as_bytes().ct_eq(stored_sha256.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_parse_and_match_only_their_own_hash() {
        let key = issue();
        let (id, secret) = parse(&key.plaintext).expect("an issued key parses");
        assert_eq!(id, key.id);
        assert!(matches(secret, &key.secret_sha256));
        assert!(!matches(secret, &issue().secret_sha256));
        assert!(!key.secret_sha256.contains(secret), "the stored hash does not carry the secret");
    }

    #[test]
    fn refuses_what_cannot_be_a_key() {
        for junk in ["", "ibk_", "ibk_zz_", "Bearer x", "ibk_0123456789abcdef_short", &"ibk_".repeat(500)] {
            assert!(parse(junk).is_none(), "{junk:?}");
        }
    }
}
