use actix_web::{web, HttpRequest, HttpResponse};

use super::{admission, ErrorBody};
use crate::error::ApiError;
use crate::service::account::{self, AccountView};
use crate::state::AppState;

/// The caller's account.
///
/// Tier, token balance, the cost of a generate call, the rate-limit
/// budgets with what is left of the current window, and the latest 50
/// ledger entries (grants, charges and refunds, each with its job).
/// Only ever the account of the credentials sent.
#[utoipa::path(
    get,
    path = "/api/insiders/bulk/account",
    tag = "account",
    responses(
        (status = 200, description = "The caller's account", body = AccountView),
        (status = 400, description = "Two different API keys, or a key parameter or header sent twice", body = ErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ),
    security(("api_key_header" = []), ("api_key" = []), ("api_token" = []), ("bearer" = []))
)]
pub async fn account(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let admitted = admission(&req)?;
    let view = account::account(&state, &admitted.caller, &admitted.limits).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(view))
}
