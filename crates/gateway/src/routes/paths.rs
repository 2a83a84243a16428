//! One validated extractor per kind of path, so that no route parses its
//! own strings: a handler that takes a [`MonthPath`] holds a form type and
//! a month of coverage, or was never called (the 400 or 404 names why).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use insider_bulk_core::domain::{FormType, Month};

use crate::error::ApiError;
use crate::service::params::{self, FileName};

fn segment<'a>(req: &'a HttpRequest, name: &str) -> Result<&'a str, ApiError> {
    req.match_info().get(name).ok_or_else(|| ApiError::Internal(format!("route without {{{name}}}")))
}

/// `form-{form_type}`.
#[derive(Debug, Clone, Copy)]
pub struct FormPath(pub FormType);

/// The form type of a route registered once per form under a static path
/// (`routes::configure` does so for index.json), in the resource's data:
/// the router matches a static path by comparing strings, where a
/// `{form_type}` pattern costs a regex match on every request.
#[derive(Debug, Clone, Copy)]
pub struct StaticForm(pub FormType);

/// `form-{form_type}/…/{year}/{month}`: a month of coverage.
#[derive(Debug, Clone, Copy)]
pub struct MonthPath {
    pub form: FormType,
    pub month: Month,
}

impl FromRequest for FormPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(StaticForm(form)) = req.app_data::<StaticForm>() {
            return ready(Ok(FormPath(*form)));
        }
        ready(segment(req, "form_type").and_then(params::form_type).map(FormPath))
    }
}

impl FromRequest for MonthPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let form = params::form_type(segment(req, "form_type")?)?;
            let month = params::month(segment(req, "year")?, segment(req, "month")?)?;
            Ok(MonthPath { form, month })
        })())
    }
}

/// `form-{form_type}/{year}/{filename}`: a file the index lists.
impl FromRequest for FileName {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| params::file_name(segment(req, "form_type")?, segment(req, "year")?, segment(req, "filename")?))())
    }
}
