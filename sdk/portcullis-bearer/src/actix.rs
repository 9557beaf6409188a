//! actix-web extractors (feature `actix`): [`ActixBearer`] and [`ActixAuthorized`], with the
//! same checks and RFC 6750 / RFC 9449 answers as the axum ones. The [`Validator`] is taken from
//! app data: `App::new().app_data(web::Data::new(validator))`.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::StatusCode as ActixStatus;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::claims::{AccessToken, NoCustomClaims};
use crate::guard::Requirement;
use crate::validator::Validator;

/// A refusal, answered as the axum extractors answer it: status, `WWW-Authenticate`,
/// `Cache-Control: no-store` and a JSON body `{error, error_description}`.
#[derive(Debug)]
pub struct ActixRejection {
    error: Error,
    challenge: Option<String>,
}

impl std::fmt::Display for ActixRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for ActixRejection {
    fn status_code(&self) -> ActixStatus {
        ActixStatus::from_u16(self.error.status().as_u16())
            .unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header(("Cache-Control", "no-store"));
        if let Some(challenge) = &self.challenge {
            response.insert_header(("WWW-Authenticate", challenge.as_str()));
        }
        response.json(serde_json::json!({
            "error": self.error.code().unwrap_or(match self.error {
                Error::MissingToken => "unauthorized",
                _ => "server_error",
            }),
            "error_description": self.error.description(),
        }))
    }
}

fn rejection(validator: Option<&Validator>, error: Error) -> ActixRejection {
    let challenge = match validator {
        Some(v) => v.challenge(&error),
        None => error.www_authenticate(None),
    };
    ActixRejection { error, challenge }
}

/// The request's method, URI and headers as the `http` 1.x types the validator reads.
fn http_parts(req: &HttpRequest) -> (http::Method, http::Uri, http::HeaderMap) {
    let method =
        http::Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(http::Method::GET);
    let uri = req.uri().to_string().parse().unwrap_or_default();
    let mut headers = http::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    (method, uri, headers)
}

fn validator_of(req: &HttpRequest) -> Option<Validator> {
    req.app_data::<web::Data<Validator>>()
        .map(|d| d.get_ref().clone())
        .or_else(|| req.app_data::<Validator>().cloned())
}

async fn validate<C: DeserializeOwned>(req: HttpRequest) -> Result<AccessToken<C>, ActixRejection> {
    let Some(validator) = validator_of(&req) else {
        return Err(rejection(
            None,
            Error::Config(
                "portcullis-bearer actix extractor used without app_data(web::Data::new(validator))"
                    .into(),
            ),
        ));
    };
    let (method, uri, headers) = http_parts(&req);
    validator
        .validate_request::<C>(&method, &uri, &headers)
        .await
        .map_err(|e| rejection(Some(&validator), e))
}

/// A validated access token with custom claims `C` (actix-web). `Option<ActixBearer>` is
/// `None` without (or with bad) credentials, as actix-web's `Option` extractor does.
#[derive(Debug, Clone)]
pub struct ActixBearer<C = NoCustomClaims>(pub AccessToken<C>);

impl<C: DeserializeOwned + 'static> FromRequest for ActixBearer<C> {
    type Error = ActixRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { validate::<C>(req).await.map(ActixBearer) })
    }
}

/// A validated token satisfying requirement `R` (declared with
/// [`requirement!`](crate::requirement)); 403 `insufficient_scope` otherwise.
pub struct ActixAuthorized<R, C = NoCustomClaims>(pub AccessToken<C>, PhantomData<R>);

impl<R, C> ActixAuthorized<R, C> {
    /// The validated token.
    pub fn into_inner(self) -> AccessToken<C> {
        self.0
    }
}

impl<R: Requirement, C: DeserializeOwned + 'static> FromRequest for ActixAuthorized<R, C> {
    type Error = ActixRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = validate::<C>(req.clone()).await?;
            R::guard()
                .check(&token)
                .map_err(|e| rejection(validator_of(&req).as_ref(), e))?;
            Ok(ActixAuthorized(token, PhantomData))
        })
    }
}
