//! Request extractors whose rejections use reckon's JSON error format.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};

use crate::Error;

/// A JSON request body.
#[derive(FromRequest, Debug)]
#[from_request(via(axum::Json), rejection(Error))]
pub(crate) struct Json<T>(pub T);

/// A path parameter.
#[derive(FromRequestParts, Debug)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub(crate) struct Path<T>(pub T);

/// Query parameters.
#[derive(FromRequestParts, Debug)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub(crate) struct Query<T>(pub T);

/// A form body (`application/x-www-form-urlencoded`).
#[derive(FromRequest, Debug)]
#[from_request(via(axum::Form), rejection(Error))]
pub(crate) struct Form<T>(pub T);

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Error {
        Error::Invalid(format!(
            "the request body is not the expected JSON: {}",
            rejection.body_text()
        ))
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Error {
        Error::Invalid(format!("the URL is not valid: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Error {
        Error::Invalid(format!(
            "the query parameters are not valid: {}",
            rejection.body_text()
        ))
    }
}

impl From<FormRejection> for Error {
    fn from(rejection: FormRejection) -> Error {
        Error::Invalid(format!("the form is not valid: {}", rejection.body_text()))
    }
}
