//! Bearer JWTs: HS256 with a shared secret and/or RS256 with a public key.
//! Each key is only ever used with its own algorithm, chosen before the
//! signature is checked, so `alg: none` and HS/RS confusion (an HS256 token
//! "signed" with the RSA public key) are refused. `exp`, `iss`, `aud` and
//! `sub` are required, `nbf` is honoured when present.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use insider_bulk_core::domain::AccountId;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

#[derive(Debug, Clone, Default)]
pub struct JwtSettings {
    /// `JWT_HS256_SECRET`, at least 32 bytes.
    pub hs256_secret: Option<String>,
    /// `JWT_RS256_PUBLIC_KEY`: the PEM text.
    pub rs256_public_key_pem: Option<String>,
    /// `JWT_ISSUER`: the required `iss`.
    pub issuer: String,
    /// `JWT_AUDIENCE`: the required `aud`.
    pub audience: String,
    /// `JWT_LEEWAY_SECONDS`: clock skew allowed on `exp`/`nbf`.
    pub leeway_seconds: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum JwtConfigError {
    #[error("JWT_HS256_SECRET must be at least 32 bytes")]
    SecretTooShort,
    #[error("JWT_RS256_PUBLIC_KEY is not an RSA public key in PEM: {0}")]
    BadPublicKey(String),
}

/// Why a token was refused; safe to show (never echoes the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtRejection {
    #[error("malformed token")]
    Malformed,
    #[error("algorithm {0:?} is not accepted")]
    UnsupportedAlgorithm(String),
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
}

#[derive(Clone)]
pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    rs256: Option<DecodingKey>,
    issuer: String,
    audience: String,
    leeway: u64,
}

#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
}

impl JwtVerifier {
    /// `None` when no key is configured: JWT authentication is off.
    pub fn new(settings: &JwtSettings) -> Result<Option<Self>, JwtConfigError> {
        let hs256 = match &settings.hs256_secret {
            Some(secret) if secret.len() < 32 => return Err(JwtConfigError::SecretTooShort),
            Some(secret) => Some(DecodingKey::from_secret(secret.as_bytes())),
            None => None,
        };
        let rs256 = match &settings.rs256_public_key_pem {
            Some(pem) => Some(
                DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| JwtConfigError::BadPublicKey(e.to_string()))?,
            ),
            None => None,
        };
        if hs256.is_none() && rs256.is_none() {
            return Ok(None);
        }
        Ok(Some(JwtVerifier {
            hs256,
            rs256,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            leeway: settings.leeway_seconds,
        }))
    }

    /// Verifies the token and returns its `sub`: the account it speaks for.
    pub fn verify(&self, token: &str) -> Result<AccountId, JwtRejection> {
        // Read `alg` ourselves: the library's header type cannot even hold
        // "none", and the key must be chosen before anything else is trusted.
        let alg = header_alg(token)?;
        let (algorithm, key) = match alg.as_str() {
            "HS256" => (Algorithm::HS256, self.hs256.as_ref()),
            "RS256" => (Algorithm::RS256, self.rs256.as_ref()),
            _ => (Algorithm::HS256, None),
        };
        let key = key.ok_or(JwtRejection::UnsupportedAlgorithm(alg))?;
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => JwtRejection::BadSignature,
            ErrorKind::ExpiredSignature => JwtRejection::Expired,
            ErrorKind::ImmatureSignature => JwtRejection::NotYetValid,
            ErrorKind::InvalidIssuer => JwtRejection::WrongIssuer,
            ErrorKind::InvalidAudience => JwtRejection::WrongAudience,
            ErrorKind::InvalidAlgorithm => JwtRejection::UnsupportedAlgorithm(format!("{algorithm:?}")),
            ErrorKind::MissingRequiredClaim(claim) => JwtRejection::MissingClaim(match claim.as_str() {
                "exp" => "exp",
                "iss" => "iss",
                "aud" => "aud",
                _ => "sub",
            }),
            _ => JwtRejection::Malformed,
        })?;
        data.claims.sub.and_then(|sub| sub.parse().ok()).ok_or(JwtRejection::MissingClaim("sub"))
    }
}

fn header_alg(token: &str) -> Result<String, JwtRejection> {
    let header =
        token.split('.').next().filter(|h| !h.is_empty() && token.len() <= 8192).ok_or(JwtRejection::Malformed)?;
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| JwtRejection::Malformed)?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| JwtRejection::Malformed)?;
    header.get("alg").and_then(|a| a.as_str()).map(str::to_owned).ok_or(JwtRejection::Malformed)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

    /// (private PEM, public PEM) made once with the openssl command.
    fn rsa_pair() -> &'static (String, String) {
        static PAIR: OnceLock<(String, String)> = OnceLock::new();
        PAIR.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let private = dir.path().join("private.pem");
            let run = |args: &[&str]| {
                let status = std::process::Command::new("openssl")
                    .args(args)
                    .status()
                    .expect("the openssl command is needed to make a test RSA key");
                assert!(status.success(), "openssl {args:?}");
            };
            let private_s = private.to_str().unwrap();
            run(&["genpkey", "-quiet", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", private_s]);
            let public = dir.path().join("public.pem");
            run(&["pkey", "-in", private_s, "-pubout", "-out", public.to_str().unwrap()]);
            (std::fs::read_to_string(private).unwrap(), std::fs::read_to_string(public).unwrap())
        })
    }

    fn verifier(hs: bool, rs: bool) -> JwtVerifier {
        let settings = JwtSettings {
            hs256_secret: hs.then(|| SECRET.to_owned()),
            rs256_public_key_pem: rs.then(|| rsa_pair().1.clone()),
            issuer: "insider-bulk".into(),
            audience: "insider-bulk-api".into(),
            leeway_seconds: 0,
        };
        JwtVerifier::new(&settings).unwrap().unwrap()
    }

    fn now() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    fn claims() -> serde_json::Value {
        json!({"sub": "acct-1", "iss": "insider-bulk", "aud": "insider-bulk-api", "exp": now() + 600})
    }

    fn hs(claims: &serde_json::Value, secret: &[u8]) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn rs(claims: &serde_json::Value) -> String {
        let key = EncodingKey::from_rsa_pem(rsa_pair().0.as_bytes()).unwrap();
        encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
    }

    fn unsigned(alg: &str, claims: &serde_json::Value, signature: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.{signature}")
    }

    #[test]
    fn accepts_good_tokens_of_both_kinds() {
        let both = verifier(true, true);
        assert_eq!(both.verify(&hs(&claims(), SECRET.as_bytes())).unwrap().as_str(), "acct-1");
        assert_eq!(both.verify(&rs(&claims())).unwrap().as_str(), "acct-1");
        let mut listed = claims();
        listed["aud"] = json!(["other", "insider-bulk-api"]);
        assert_eq!(both.verify(&hs(&listed, SECRET.as_bytes())).unwrap().as_str(), "acct-1");
    }

    #[test]
    fn refuses_none_and_foreign_algorithms() {
        let both = verifier(true, true);
        for token in
            [unsigned("none", &claims(), ""), unsigned("none", &claims(), "c2ln"), unsigned("HS384", &claims(), "x")]
        {
            assert!(matches!(both.verify(&token), Err(JwtRejection::UnsupportedAlgorithm(_))), "{token}");
        }
    }

    #[test]
    fn refuses_hs_rs_confusion() {
        let public_pem = rsa_pair().1.as_bytes();
        let forged = hs(&claims(), public_pem);
        assert_eq!(verifier(false, true).verify(&forged), Err(JwtRejection::UnsupportedAlgorithm("HS256".into())));
        assert_eq!(verifier(true, true).verify(&forged), Err(JwtRejection::BadSignature));
        // And an RS256 token where only HS256 is configured.
        assert!(matches!(verifier(true, false).verify(&rs(&claims())), Err(JwtRejection::UnsupportedAlgorithm(_))));
    }

    #[test]
    fn refuses_wrong_keys_times_and_claims() {
        let v = verifier(true, true);
        assert_eq!(
            v.verify(&hs(&claims(), b"another-secret-also-long-enough-0123456789")),
            Err(JwtRejection::BadSignature)
        );
        let mut c = claims();
        c["exp"] = json!(now() - 60);
        assert_eq!(v.verify(&hs(&c, SECRET.as_bytes())), Err(JwtRejection::Expired));
        let mut c = claims();
        c["nbf"] = json!(now() + 600);
        assert_eq!(v.verify(&hs(&c, SECRET.as_bytes())), Err(JwtRejection::NotYetValid));
        let mut c = claims();
        c["iss"] = json!("someone-else");
        assert_eq!(v.verify(&hs(&c, SECRET.as_bytes())), Err(JwtRejection::WrongIssuer));
        let mut c = claims();
        c["aud"] = json!("another-api");
        assert_eq!(v.verify(&hs(&c, SECRET.as_bytes())), Err(JwtRejection::WrongAudience));
        let mut c = claims();
        c.as_object_mut().unwrap().remove("exp");
        assert_eq!(v.verify(&hs(&c, SECRET.as_bytes())), Err(JwtRejection::MissingClaim("exp")));
        let mut c = claims();
        c.as_object_mut().unwrap().remove("sub");
        assert_eq!(v.verify(&hs(&c, SECRET.as_bytes())), Err(JwtRejection::MissingClaim("sub")));
        let mut c = claims();
        c["sub"] = json!("");
        assert_eq!(v.verify(&hs(&c, SECRET.as_bytes())), Err(JwtRejection::MissingClaim("sub")));
        for junk in ["", "a.b.c", "....", "not a token", &"x".repeat(10_000)] {
            assert!(v.verify(junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn configuration_is_checked() {
        let base = JwtSettings { issuer: "i".into(), audience: "a".into(), ..Default::default() };
        assert!(JwtVerifier::new(&base).unwrap().is_none());
        let short = JwtSettings { hs256_secret: Some("short".into()), ..base.clone() };
        assert!(matches!(JwtVerifier::new(&short), Err(JwtConfigError::SecretTooShort)));
        let bad = JwtSettings { rs256_public_key_pem: Some("-----BEGIN PUBLIC KEY-----\nnope\n".into()), ..base };
        assert!(matches!(JwtVerifier::new(&bad), Err(JwtConfigError::BadPublicKey(_))));
    }
}
