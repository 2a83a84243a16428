//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the response types, and the docs page rendered from it at start-up.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{self, ErrorBody, ErrorDetail};
use crate::service::account::{AccountView, LedgerView, RateLimitView};
use crate::service::download::{DownloadResponse, PendingResponse};
use crate::service::generate::GenerateResponse;
use crate::service::index::{BundleFile, IndexDocument, IndexEntry, JobRef};
use crate::service::jobs::{JobView, Progress};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "insider-bulk",
        description = "Monthly bulk files of SEC insider-trading filings (Forms 3, 4 and 5 with amendments): an index of \
what is ready, the downloads, and a paid endpoint that regenerates a month on demand.\n\nA month holds the filings \
EDGAR filed in it (their filing date, US Eastern), amendments included, as SEC's data sets partition them: a \
month's file is what was public by the end of that month, plus later corrections of those same filings.\n\n\
Pass your API key in any of \
the equivalent ways: the header `X-API-Key: YOUR_API_KEY`, the query parameter `?apiKey=YOUR_API_KEY` (or \
`?api_Token=YOUR_API_KEY`), or `Authorization: Bearer YOUR_API_KEY`; `Authorization: Bearer <JWT>` carries a session \
token instead. A request that names two different keys is refused (400). Each call costs tokens (`COST_INDEX`, \
`COST_DOWNLOAD`, `COST_GENERATE`, 25 each by default; a 304 and a repeat download while its URL is valid are free), \
reported in `X-Tokens-Charged`; every answer carries `X-Request-ID`. Every answer to an authenticated request \
carries `RateLimit-Policy` and `RateLimit`; a 429 adds `Retry-After`. Errors share one shape: \
`{\"error\": {\"code\", \"message\", \"param\", \"request_id\"}}`."
    ),
    paths(routes::bulk::generate, routes::bulk::index, routes::bulk::download, routes::jobs::job, routes::account::account),
    components(schemas(
        GenerateResponse, IndexDocument, IndexEntry, BundleFile, JobRef, DownloadResponse, PendingResponse, JobView,
        Progress, AccountView, RateLimitView, LedgerView, ErrorBody, ErrorDetail
    )),
    modifiers(&Security),
    tags(
        (name = "bulk", description = "Monthly files: generate, index and download"),
        (name = "jobs", description = "Generation jobs"),
        (name = "account", description = "The caller's account: balance, limits, ledger"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let key = |place: ApiKey| SecurityScheme::ApiKey(place);
        components.add_security_scheme("api_key_header", key(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
        components.add_security_scheme("api_key", key(ApiKey::Query(ApiKeyValue::new("apiKey"))));
        components.add_security_scheme("api_token", key(ApiKey::Query(ApiKeyValue::new("api_Token"))));
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session JWT, or an API key"))
                    .build(),
            ),
        );
    }
}

/// The document as served, and the page made from it.
pub struct ApiDescription {
    pub json: String,
    pub html: String,
}

impl ApiDescription {
    pub fn new() -> Self {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serializes");
        constrain_parameters(&mut value, time::OffsetDateTime::now_utc().year());
        let json = serde_json::to_string_pretty(&value).expect("a JSON value serializes");
        let html = crate::docs_page::render(&value);
        ApiDescription { json, html }
    }
}

impl Default for ApiDescription {
    fn default() -> Self {
        Self::new()
    }
}

/// The path and header rules of `service::params` as JSON Schema, so that a
/// client generated from the document (or Schemathesis) knows the valid
/// values. The handlers take the parameters as strings to answer a bad one
/// with the 400 that names it, so utoipa sees only `string`. That a month
/// may not be in the future spans two parameters and stays in prose.
fn constrain_parameters(doc: &mut serde_json::Value, current_year: i32) {
    use serde_json::json;
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    for operation in paths.values_mut().filter_map(|item| item.as_object_mut()).flat_map(|item| item.values_mut()) {
        let Some(parameters) = operation.get_mut("parameters").and_then(|p| p.as_array_mut()) else { continue };
        for parameter in parameters {
            let schema = match parameter["name"].as_str() {
                Some("form_type") => json!({"type": "string", "enum": ["3", "4", "5"]}),
                Some("year") => json!({"type": "integer", "minimum": 2003, "maximum": current_year}),
                Some("month") => json!({"type": "integer", "minimum": 1, "maximum": 12}),
                Some("job_id") => json!({"type": "string", "format": "uuid"}),
                Some("filename") => {
                    json!({"type": "string", "pattern": "^form-[345]-[0-9]{4}-[0-9]{2}\\.(jsonl|tar)\\.gz$"})
                }
                Some("Idempotency-Key") => {
                    json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"})
                }
                _ => continue,
            };
            parameter["schema"] = schema;
        }
    }
}
