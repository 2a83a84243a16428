//! index.json of forms 3, 4 and 5, the answer scripts poll most, served on
//! actix-http directly in front of actix-web's App.
//!
//! Through the App, each of these requests built an `HttpRequest`, walked
//! the router and passed two `from_fn` layers, each a boxed future around
//! a re-boxed body: about a microsecond of CPU a request, the margin
//! between the gateway and nginx serving the same bytes from a file. Here
//! the same steps run in the same order, by the same functions: the
//! request id, the request's shape ([`guard::check_limits`]), credentials
//! and the request budget ([`guard::admit`]), the answer
//! ([`bulk::index_answer`]), the rate-limit fields ([`guard::put_fields`])
//! and the metrics ([`front::observe`]). Every other request goes to the
//! App, an index path spelled another way (`form-%34`) too: its own
//! index.json route answers that the same way. A step added to the App's
//! `front` or `guard` middleware belongs in [`IndexRoute::answer`] too;
//! `api::the_index_answers_alike_in_front_of_the_app_and_through_it`
//! compares the two answers.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix_http::body::BoxBody;
use actix_http::{Method, Request, Response};
use actix_service::{fn_factory, Service, ServiceFactory};
use actix_web::dev::RequestHead;
use actix_web::{web, ResponseError};
use insider_bulk_core::domain::FormType;

use crate::routes::{bulk, method_not_allowed, INDEX_PATTERN};
use crate::service::params;
use crate::state::AppState;
use crate::{front, guard, request_id};

/// The form type whose index.json `path` is, spelled exactly so, by the
/// routes' own form-type parser.
fn form_of(path: &str) -> Option<FormType> {
    let form = path.strip_prefix("/api/insiders/bulk/form-")?.strip_suffix("/index.json")?;
    params::form_type(form).ok()
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<BoxBody>, Response<BoxBody>>>>>;

/// The HTTP service: index.json here, everything else to `app`.
/// `default_host` is the listening address, the links' host for a request
/// that names none.
pub fn in_front_of<F>(
    app: F,
    state: web::Data<AppState>,
    default_host: String,
) -> impl ServiceFactory<
    Request,
    Config = (),
    Response = Response<BoxBody>,
    Error = Response<BoxBody>,
    InitError = F::InitError,
>
where
    F: ServiceFactory<Request, Config = ()>,
    F::Service: 'static,
    F::Response: Into<Response<BoxBody>>,
    F::Error: Into<Response<BoxBody>>,
{
    fn_factory(move || {
        let (app, state, default_host) = (app.new_service(()), state.clone(), default_host.clone());
        async move {
            let index = Rc::new(IndexRoute { state, default_host, label: INDEX_PATTERN.into() });
            Ok(Routes { app: app.await?, index })
        }
    })
}

struct Routes<A> {
    app: A,
    index: Rc<IndexRoute>,
}

impl<A> Service<Request> for Routes<A>
where
    A: Service<Request>,
    A::Future: 'static,
    A::Response: Into<Response<BoxBody>>,
    A::Error: Into<Response<BoxBody>>,
{
    type Response = Response<BoxBody>;
    type Error = Response<BoxBody>;
    type Future = Answer;

    actix_service::forward_ready!(app);

    fn call(&self, req: Request) -> Answer {
        match form_of(req.path()) {
            Some(form) => {
                let index = self.index.clone();
                Box::pin(async move { Ok(index.serve(form, req).await) })
            }
            None => {
                let answer = self.app.call(req);
                Box::pin(async move { answer.await.map(Into::into).map_err(Into::into) })
            }
        }
    }
}

struct IndexRoute {
    state: web::Data<AppState>,
    default_host: String,
    /// The route's metrics label, shared rather than made per request.
    label: Arc<str>,
}

impl IndexRoute {
    async fn serve(&self, form: FormType, req: Request) -> Response<BoxBody> {
        let id = request_id::of_request(&req.head().headers);
        // Errors render inside the scope, so that their body carries the id.
        request_id::scope(id.clone(), async move {
            let started = Instant::now();
            let mut response = self.answer(form, req.head()).await;
            response.headers_mut().insert(request_id::HEADER, id);
            front::observe(&self.state.metrics, &self.label, req.method(), response.status(), started);
            response
        })
        .await
    }

    async fn answer(&self, form: FormType, head: &RequestHead) -> Response<BoxBody> {
        let state = &self.state;
        if let Err(e) = guard::check_limits(head) {
            return e.error_response().into();
        }
        let admission = match guard::admit(state, head).await {
            Ok(admission) => admission,
            Err(refusal) => return refusal.response(state).into(),
        };
        let answered = match head.method {
            Method::GET => bulk::index_answer(state, form, head, &self.default_host).await,
            _ => Err(method_not_allowed()),
        };
        let mut response: Response<BoxBody> = answered.unwrap_or_else(|e| e.error_response()).into();
        guard::put_fields(state, response.headers_mut(), admission.caller.tier, admission.limits);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_index_paths_are_served_here() {
        assert_eq!(form_of("/api/insiders/bulk/form-4/index.json"), Some(FormType::Form4));
        assert_eq!(form_of("/api/insiders/bulk/form-3/index.json"), Some(FormType::Form3));
        for other in [
            "/api/insiders/bulk/form-6/index.json",
            "/api/insiders/bulk/form-%34/index.json",
            "/api/insiders/bulk/form-4/index.json/",
            "/api/insiders/bulk/form-4/2024/09.tar.gz",
            "/",
        ] {
            assert_eq!(form_of(other), None, "{other}");
        }
    }
}
