//! The credentials a request presents, read from every place the live
//! service's docs name: the query parameters `apiKey` and `api_Token`, the
//! header `X-API-Key`, and `Authorization: Bearer`, which carries either a
//! session JWT or an API key (an API key is recognised by its `ibk_`
//! shape). All of them are equivalent; a request that names two different
//! keys is refused, since which one counts would depend on who reads it.

use std::borrow::Cow;

use actix_web::dev::RequestHead;
use actix_web::http::header::{HeaderName, AUTHORIZATION};

use super::{api_key, Credentials};
use crate::error::ApiError;

/// The query parameters that carry an API key, spelled as the live docs spell them.
pub const QUERY_NAMES: [&str; 2] = ["apiKey", "api_Token"];
pub const HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// Every credential of `head`, checked for conflicts.
pub fn read(head: &RequestHead) -> Result<Credentials<'_>, ApiError> {
    let query = QueryKeys::read(head.uri.query().unwrap_or_default())?;
    let header_key = one_header(head, &HEADER, "X-API-Key")?.map(|v| v.trim());
    let authorization = one_header(head, &AUTHORIZATION, "Authorization")?.map(bearer).transpose()?;
    let (bearer_key, jwt) = match authorization {
        Some(token) if api_key::parse(token).is_some() => (Some(token), None),
        Some(token) => (None, Some(token)),
        None => (None, None),
    };
    let mut keys = query.values.into_iter().chain(header_key.map(Cow::Borrowed)).chain(bearer_key.map(Cow::Borrowed));
    let api_key = match keys.next() {
        Some(first) if keys.any(|other| other != first) => {
            return Err(ApiError::invalid(
                "apiKey",
                "the request names two different API keys (apiKey, api_Token, X-API-Key and Authorization: Bearer \
                 are equivalent: send one key)",
            ))
        }
        first => first,
    };
    Ok(Credentials { api_key, bearer: jwt, misnamed_api_key: query.misnamed })
}

/// The single value of a header that must not repeat.
fn one_header<'a>(head: &'a RequestHead, name: &HeaderName, shown: &'static str) -> Result<Option<&'a str>, ApiError> {
    let mut values = head.headers.get_all(name);
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(ApiError::invalid(shown, format!("send one {shown} header, not several")));
    }
    first.to_str().map(Some).map_err(|_| ApiError::Unauthorized(format!("unreadable {shown} header")))
}

fn bearer(value: &str) -> Result<&str, ApiError> {
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized("the Authorization header must be `Bearer <JWT or API key>`".into()));
    }
    Ok(token.trim())
}

/// What the query string holds under the key parameters' names.
#[derive(Debug, Default, PartialEq, Eq)]
struct QueryKeys<'a> {
    /// The values of `apiKey` and `api_Token`, spelled exactly so.
    values: Vec<Cow<'a, str>>,
    /// A parameter a caller plausibly meant as a key parameter (`api_token`,
    /// `apikey`, `token`): no credential, but worth naming when nothing
    /// else was sent.
    misnamed: Option<String>,
}

impl<'a> QueryKeys<'a> {
    /// Names compare without regard to case or percent-encoding, so that
    /// every spelling some reader of the URL (a proxy, a log, a client
    /// library) might take for a key parameter is seen: a name sent twice
    /// is refused, since which counts would depend on the reader. Only the
    /// exact spellings are credentials, as on the live service.
    fn read(query: &'a str) -> Result<Self, ApiError> {
        let mut found = QueryKeys::default();
        let mut counts = [0usize; QUERY_NAMES.len()];
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name);
            let Some(slot) = QUERY_NAMES.iter().position(|known| name.eq_ignore_ascii_case(known)) else {
                if found.misnamed.is_none() && is_near_miss(&name) {
                    found.misnamed = Some(name.chars().take(32).collect());
                }
                continue;
            };
            counts[slot] += 1;
            if counts[slot] > 1 {
                let known = QUERY_NAMES[slot];
                return Err(ApiError::invalid(
                    known,
                    format!("send {known} once: the query has it more than once (names are compared ignoring case)"),
                ));
            }
            if name == QUERY_NAMES[slot] {
                found.values.push(percent_decode(value));
            } else {
                found.misnamed = Some(name.into_owned());
            }
        }
        if !found.values.is_empty() {
            found.misnamed = None;
        }
        Ok(found)
    }
}

/// A query parameter a caller plausibly meant as a key parameter: `apikey`,
/// `api_token`, `api-key`, `token`, `key`… (letters compared ignoring case
/// and `_`/`-`).
fn is_near_miss(name: &str) -> bool {
    const MEANT: &[&str] = &["apitoken", "apikey", "token", "key", "accesstoken", "authtoken", "auth"];
    let letters: String = name.chars().filter(|c| !matches!(c, '_' | '-')).map(|c| c.to_ascii_lowercase()).collect();
    MEANT.contains(&letters.as_str())
}

/// `%XX` escapes decoded (not `+`, which RFC 3986 leaves alone); a broken
/// escape stays as it is.
fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    const KEY: &str = "ibk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const OTHER: &str = "ibk_0123456789abcdef_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    fn values(query: &str) -> Vec<String> {
        QueryKeys::read(query).unwrap().values.into_iter().map(Cow::into_owned).collect()
    }

    fn credentials(req: TestRequest) -> Result<(Option<String>, Option<String>), ApiError> {
        let req = req.to_http_request();
        let c = read(req.head())?;
        Ok((c.api_key.map(Cow::into_owned), c.bearer.map(str::to_owned)))
    }

    #[test]
    fn each_documented_way_carries_the_key() {
        let key = Some(KEY.to_owned());
        for req in [
            TestRequest::get().uri(&format!("/x?apiKey={KEY}")),
            TestRequest::get().uri(&format!("/x?api_Token={KEY}")),
            TestRequest::get().uri("/x").insert_header(("X-API-Key", KEY)),
            TestRequest::get().uri("/x").insert_header(("Authorization", format!("Bearer {KEY}"))),
        ] {
            assert_eq!(credentials(req).unwrap(), (key.clone(), None));
        }
        let jwt = credentials(TestRequest::get().uri("/x").insert_header(("Authorization", "Bearer a.b.c"))).unwrap();
        assert_eq!(jwt, (None, Some("a.b.c".into())), "a Bearer that is no API key is a JWT");
    }

    #[test]
    fn the_same_key_twice_is_one_key_and_two_keys_are_refused() {
        let same = TestRequest::get().uri(&format!("/x?apiKey={KEY}")).insert_header(("X-API-Key", KEY));
        assert_eq!(credentials(same).unwrap().0.as_deref(), Some(KEY));
        for req in [
            TestRequest::get().uri(&format!("/x?apiKey={KEY}&api_Token={OTHER}")),
            TestRequest::get().uri(&format!("/x?apiKey={KEY}")).insert_header(("X-API-Key", OTHER)),
            TestRequest::get()
                .uri("/x")
                .insert_header(("X-API-Key", KEY))
                .insert_header(("Authorization", format!("Bearer {OTHER}"))),
        ] {
            let err = credentials(req).unwrap_err();
            assert!(matches!(&err, ApiError::InvalidParameter { .. }), "{err:?}");
        }
    }

    #[test]
    fn key_parameters_are_found_once_in_their_exact_spelling() {
        assert!(values("").is_empty());
        assert_eq!(values("a=1&api_Token=K&b=2"), ["K"]);
        assert_eq!(values("apiKey=K"), ["K"]);
        assert_eq!(values("api%5FToken=K"), ["K"], "an escaped name is the same name");
        assert_eq!(values("api_Token=ibk%5Fx"), ["ibk_x"]);
        assert_eq!(values("api_Token"), [""], "present without a value: an invalid key, not none");
        assert!(values("api_TokenX=K&xapi_Token=K").is_empty());
        let misnamed = QueryKeys::read("api_token=K").unwrap();
        assert_eq!(misnamed, QueryKeys { values: vec![], misnamed: Some("api_token".into()) });
        for near in ["apikey", "api-key", "token", "API_KEY", "key", "APIKEY"] {
            let query = format!("{near}=K");
            assert_eq!(QueryKeys::read(&query).unwrap().misnamed.as_deref(), Some(near), "{near} is noticed");
        }
        assert_eq!(QueryKeys::read("token=K&apiKey=L").unwrap().misnamed, None, "a right name wins over a near miss");
        assert_eq!(QueryKeys::read("month=9&form=4").unwrap(), QueryKeys::default());
    }

    #[test]
    fn a_key_parameter_twice_in_any_spelling_is_refused() {
        for query in [
            "api_Token=A&api_Token=B",
            "api_Token=A&api_Token=A",
            "api_Token=A&api_token=B",
            "API_TOKEN=A&api_Token=B",
            "apiKey=A&APIKEY=A",
            "api_Token=A&x=1&api%5ftoken=B",
        ] {
            let err = QueryKeys::read(query).unwrap_err();
            assert!(matches!(&err, ApiError::InvalidParameter { message, .. } if message.contains("once")), "{query}");
        }
    }

    #[test]
    fn percent_decoding_keeps_broken_escapes() {
        assert_eq!(percent_decode("a%5Fb%5f"), "a_b_");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b"), "a+b");
    }
}
