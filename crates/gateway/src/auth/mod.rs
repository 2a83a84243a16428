//! Who is calling: an API key (`apiKey` or `api_Token` in the query,
//! `X-API-Key`, or `Authorization: Bearer`), a Bearer JWT, or both, in
//! which case they must name the same account.

pub mod api_key;
pub mod jwt;
pub mod presented;

use std::borrow::Cow;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use insider_bulk_core::db::{accounts, Database};
use insider_bulk_core::domain::{AccountId, Tier};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use jwt::JwtVerifier;

/// The authenticated account behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Shared, not copied: a cached caller is handed to every request.
    pub account_id: Arc<AccountId>,
    pub tier: Tier,
}

/// The credentials a request presented.
#[derive(Debug, Default)]
pub struct Credentials<'a> {
    pub api_key: Option<Cow<'a, str>>,
    /// A Bearer token that is not an API key: a session JWT.
    pub bearer: Option<&'a str>,
    /// A key parameter sent under another spelling (`api_token`,
    /// `apikey`): no credential, but worth naming when nothing else was sent.
    pub misnamed_api_key: Option<String>,
}

#[derive(Clone)]
pub struct Authenticator {
    db: Database,
    jwt: Option<JwtVerifier>,
    /// Read on every request by every worker, written on a miss: a read lock.
    cache: Arc<RwLock<CredentialCache>>,
    cache_for: Duration,
}

/// Verdicts on presented credentials (by their SHA-256), with when they were reached.
/// Keyed by SHA-256 digests, which no client can aim at one bucket: a fast
/// hash (foldhash) is enough.
type CredentialCache = foldhash::HashMap<[u8; 32], (Verdict, Instant)>;

type Verdict = Result<Caller, Refusal>;

/// Why credentials were refused: each gets its own message, so that a
/// revoked key does not look like a typo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    InvalidKey,
    RevokedKey,
    UnknownAccount,
}

impl Refusal {
    fn error(self) -> ApiError {
        ApiError::Unauthorized(
            match self {
                Refusal::InvalidKey => "invalid API key",
                Refusal::RevokedKey => "this API key was revoked; ask the service's operator for a new one",
                Refusal::UnknownAccount => "the Bearer token names no account",
            }
            .into(),
        )
    }
}

/// Bound on cached credentials, so a flood of distinct bad keys cannot grow memory.
const CACHE_LIMIT: usize = 100_000;

impl Authenticator {
    pub fn new(db: Database, jwt: Option<JwtVerifier>, cache_for: Duration) -> Self {
        Authenticator { db, jwt, cache: Arc::default(), cache_for }
    }

    pub async fn authenticate(&self, credentials: Credentials<'_>) -> Result<Caller, ApiError> {
        let by_key = match &credentials.api_key {
            Some(key) => Some(self.api_key(key).await?),
            None => None,
        };
        let by_jwt = match credentials.bearer {
            Some(token) => Some(self.jwt(token).await?),
            None => None,
        };
        match (by_key, by_jwt) {
            (Some(a), Some(b)) if a.account_id != b.account_id => {
                Err(ApiError::Unauthorized("the API key and the Bearer JWT name different accounts".into()))
            }
            (Some(caller), _) | (None, Some(caller)) => Ok(caller),
            (None, None) => Err(ApiError::Unauthorized(match credentials.misnamed_api_key {
                Some(sent) => format!(
                    "missing credentials: the API key goes in the query parameter apiKey (or api_Token), spelled \
                     exactly so (case-sensitive): send ?apiKey=YOUR_API_KEY, not {sent}= (or the header \
                     X-API-Key: YOUR_API_KEY, or Authorization: Bearer YOUR_API_KEY)"
                ),
                None => "missing credentials: send the header X-API-Key: YOUR_API_KEY, or ?apiKey=YOUR_API_KEY \
                         (also ?api_Token=), or Authorization: Bearer <API key or JWT>"
                    .into(),
            })),
        }
    }

    async fn api_key(&self, presented: &str) -> Result<Caller, ApiError> {
        let (id, secret) = api_key::parse(presented).ok_or(Refusal::InvalidKey).map_err(Refusal::error)?;
        let fingerprint: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        if let Some(cached) = self.cached(&fingerprint) {
            return cached.map_err(Refusal::error);
        }
        let id = id.to_owned();
        let found = self.db.run(move |conn| accounts::find_key(conn, &id)).await?;
        // Revoked is said only to the holder of the key's secret: anyone
        // else learns nothing about which key ids exist.
        let verdict = match found {
            Some((key, account)) if api_key::matches(secret, &key.secret_sha256) => match key.revoked_at {
                None => Ok(Caller { account_id: Arc::new(account.id), tier: account.tier }),
                Some(_) => Err(Refusal::RevokedKey),
            },
            _ => Err(Refusal::InvalidKey),
        };
        self.remember(fingerprint, verdict.clone());
        verdict.map_err(Refusal::error)
    }

    async fn jwt(&self, token: &str) -> Result<Caller, ApiError> {
        let Some(verifier) = &self.jwt else {
            return Err(ApiError::Unauthorized(
                "Bearer JWTs are not enabled on this server; send an API key (X-API-Key, apiKey or Bearer)".into(),
            ));
        };
        let account_id =
            verifier.verify(token).map_err(|e| ApiError::Unauthorized(format!("invalid Bearer token: {e}")))?;
        let fingerprint: [u8; 32] = Sha256::digest(format!("account:{account_id}").as_bytes()).into();
        if let Some(cached) = self.cached(&fingerprint) {
            return cached.map_err(Refusal::error);
        }
        let id = account_id.clone();
        let account = self.db.run(move |conn| accounts::get(conn, &id)).await?;
        let verdict = account
            .map(|account| Caller { account_id: Arc::new(account_id), tier: account.tier })
            .ok_or(Refusal::UnknownAccount);
        self.remember(fingerprint, verdict.clone());
        verdict.map_err(Refusal::error)
    }

    fn cached(&self, fingerprint: &[u8; 32]) -> Option<Verdict> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.get(fingerprint).filter(|(_, at)| at.elapsed() < self.cache_for).map(|(caller, _)| caller.clone())
    }

    fn remember(&self, fingerprint: [u8; 32], caller: Verdict) {
        if self.cache_for.is_zero() {
            return;
        }
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.retain(|_, (_, at)| at.elapsed() < self.cache_for);
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
        }
        cache.insert(fingerprint, (caller, Instant::now()));
    }
}
