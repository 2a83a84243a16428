//! Bearer JWTs through real HTTP: good tokens pass; none, a wrong key,
//! expiry and HS/RS confusion are 401; a key and a token must agree.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{error_of, TestGateway};
use insider_bulk_core::domain::Tier;
use insider_bulk_testing::Backend;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

const SECRET: &str = "http-test-secret-long-enough-for-hs256-0123";

fn rsa_pair(dir: &std::path::Path) -> (String, String) {
    let private = dir.join("private.pem");
    let public = dir.join("public.pem");
    let run = |args: &[&str]| {
        let ok = std::process::Command::new("openssl").args(args).status().expect("openssl makes the test RSA key");
        assert!(ok.success());
    };
    run(&[
        "genpkey",
        "-quiet",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        private.to_str().unwrap(),
    ]);
    run(&["pkey", "-in", private.to_str().unwrap(), "-pubout", "-out", public.to_str().unwrap()]);
    (std::fs::read_to_string(private).unwrap(), std::fs::read_to_string(public).unwrap())
}

fn claims(sub: &str, exp_in: i64) -> serde_json::Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({"sub": sub, "iss": "insider-bulk", "aud": "insider-bulk-api", "exp": now + exp_in})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_attacks_are_401_and_good_tokens_pass() {
    let keys = tempfile::tempdir().unwrap();
    let (private_pem, public_pem) = rsa_pair(keys.path());
    let public = public_pem.clone();
    let gw = TestGateway::builder(Backend::Sqlite)
        .config(move |c| {
            c.jwt.hs256_secret = Some(SECRET.into());
            c.jwt.rs256_public_key_pem = Some(public);
            c.jwt.leeway_seconds = 0;
        })
        .start()
        .await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let (other_account, _) = gw.account(Tier::Pro, 100).await;
    let index = format!("{}/api/insiders/bulk/form-4/index.json", gw.base);
    let get = |token: String| gw.http.get(&index).bearer_auth(token).send();

    let hs = |c: &serde_json::Value, secret: &[u8]| {
        encode(&Header::new(Algorithm::HS256), c, &EncodingKey::from_secret(secret)).unwrap()
    };
    let rs_key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    assert_eq!(get(hs(&claims(account.as_str(), 600), SECRET.as_bytes())).await.unwrap().status(), 200);
    let rs_token = encode(&Header::new(Algorithm::RS256), &claims(account.as_str(), 600), &rs_key).unwrap();
    assert_eq!(get(rs_token).await.unwrap().status(), 200);

    let unsigned = {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(claims(account.as_str(), 600).to_string());
        format!("{header}.{payload}.")
    };
    let attacks = [
        ("alg none", unsigned),
        ("wrong HS key", hs(&claims(account.as_str(), 600), b"not-the-secret-but-just-as-long-as-it-0123")),
        ("expired", hs(&claims(account.as_str(), -60), SECRET.as_bytes())),
        ("HS256 signed with the RS public key", hs(&claims(account.as_str(), 600), public_pem.as_bytes())),
        ("unknown account", hs(&claims("no-such-account", 600), SECRET.as_bytes())),
    ];
    for (name, token) in attacks {
        let (status, error) = error_of(get(token).await.unwrap()).await;
        assert_eq!(status, 401, "{name}: {error}");
    }

    // Key and token naming different accounts are refused; the same account passes.
    let with_key = gw.url("/api/insiders/bulk/form-4/index.json", &key);
    let mismatched = hs(&claims(other_account.as_str(), 600), SECRET.as_bytes());
    let (status, _) = error_of(gw.http.get(&with_key).bearer_auth(mismatched).send().await.unwrap()).await;
    assert_eq!(status, 401);
    let matching = hs(&claims(account.as_str(), 600), SECRET.as_bytes());
    let both = gw.http.get(&with_key).bearer_auth(matching).send().await.unwrap();
    assert_eq!(both.status(), 200, "the seed's curl sends both");
}
