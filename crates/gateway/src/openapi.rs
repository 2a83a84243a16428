//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the response types, and the docs page rendered from it at start-up.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{self, ErrorBody, ErrorDetail};
use crate::service::generate::GenerateResponse;
use crate::service::index::{IndexDocument, IndexEntry, JobRef};
use crate::service::jobs::{JobView, Progress};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "insider-bulk",
        description = "Monthly bulk files of SEC insider-trading filings (Forms 3, 4 and 5 with amendments): an index of \
what is ready, the downloads, and a paid endpoint that regenerates a month on demand.\n\nAuthenticate with \
`?api_Token=YOUR_API_KEY` or `Authorization: Bearer <JWT>` (or both, naming the same account). Every answer to an \
authenticated request carries `RateLimit-Policy` and `RateLimit`; a 429 adds `Retry-After`. Errors share one shape: \
`{\"error\": {\"code\", \"message\", \"param\", \"request_id\"}}`."
    ),
    paths(routes::bulk::generate, routes::bulk::index, routes::bulk::download, routes::jobs::job),
    components(schemas(GenerateResponse, IndexDocument, IndexEntry, JobRef, JobView, Progress, ErrorBody, ErrorDetail)),
    modifiers(&Security),
    tags(
        (name = "bulk", description = "Monthly files: generate, index and download"),
        (name = "jobs", description = "Generation jobs"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("api_Token"))));
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
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
        let json = doc.to_pretty_json().expect("the OpenAPI document serializes");
        let value: serde_json::Value = serde_json::from_str(&json).expect("just serialized");
        let html = crate::docs_page::render(&value);
        ApiDescription { json, html }
    }
}

impl Default for ApiDescription {
    fn default() -> Self {
        Self::new()
    }
}
