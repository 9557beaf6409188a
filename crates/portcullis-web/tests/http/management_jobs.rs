//! `/api/v2/jobs`: Auth0's users-imports job (multipart upload, background import, job state
//! and errors kept in the database), imported authenticator apps included.

use crate::management_support::{Answer, Mgmt};
use crate::support::*;
use portcullis_core::mfa::totp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DB_ID: &str = "con_database";
/// A bcrypt hash of "correct horse battery" (the import's test vectors).
const BCRYPT: &str = "$2b$04$izr3Y8VkduI0U1roxybM7eQ5zksgpVNSi.Mj0hjaguAUFPzBwMRXe";
const OLD_PASSWORD: &str = "correct horse battery";
/// An 80-bit authenticator seed, as Auth0 issues them.
const SEED: &str = "JBSWY3DPEHPK3PXP";

const BOUNDARY: &str = "portcullis-test-boundary-7f3a";

/// A multipart body: `(name, file name, content)` per part.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: application/json\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(m: &Mgmt, token: &str, body: Vec<u8>) -> Answer {
    let res = m
        .http
        .post(m.server.url("api/v2/jobs/users-imports"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    }
}

fn users_file(users: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(users).unwrap()
}

/// Polls the job until it ends (the import runs in the background).
async fn finished(m: &Mgmt, id: &str) -> Value {
    for _ in 0..400 {
        let job = m
            .get(&format!("jobs/{id}"))
            .await
            .ok(StatusCode::OK)
            .clone();
        match job["status"].as_str().unwrap() {
            "pending" | "processing" => {
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            _ => return job,
        }
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn an_import_job_reports_summary_and_errors_and_users_sign_in_with_their_app() {
    let m = Mgmt::start().await;
    let connections = m.get("connections").await;
    assert_eq!(connections.ok(StatusCode::OK)[0]["id"], DB_ID);
    let file = users_file(&json!([
        {"email": "imported@example.com", "email_verified": true, "user_id": "imp1",
         "password_hash": BCRYPT, "mfa_factors": [{"totp": {"secret": SEED}}]},
        {"email": "jane@example.com", "email_verified": true},
        {"email": "not an email", "password_hash": BCRYPT},
        {"email": "bad-seed@example.com", "mfa_factors": [{"totp": {"secret": "not base32!"}}]},
    ]));
    let answer = upload(
        &m,
        &m.admin,
        multipart(&[
            ("users", Some("users.json"), &file),
            ("connection_id", None, DB_ID.as_bytes()),
            ("upsert", None, b"false"),
            ("external_id", None, b"batch-7"),
            ("send_completion_email", None, b"false"),
        ]),
    )
    .await;
    let job = answer.ok(StatusCode::CREATED).clone();
    let id = job["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("job_"), "{job}");
    assert_eq!(job["type"], "users_import");
    assert!(matches!(job["status"].as_str(), Some("pending")), "{job}");
    assert_eq!(job["connection_id"], DB_ID);
    assert_eq!(job["upsert"], false);
    assert_eq!(job["external_id"], "batch-7");
    assert!(job["created_at"].as_str().unwrap().ends_with('Z'));

    let done = finished(&m, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["summary"],
        json!({"failed": 3, "updated": 0, "inserted": 1, "total": 4})
    );
    let errors = m.get(&format!("jobs/{id}/errors")).await;
    let errors = errors.ok(StatusCode::OK).clone();
    let errors = errors.as_array().unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0]["user"]["email"], "jane@example.com");
    assert_eq!(errors[0]["errors"][0]["code"], "DUPLICATED_USER");
    assert!(
        errors[1]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("email")
    );
    assert_eq!(errors[2]["errors"][0]["path"], "mfa_factors[0].totp.secret");
    assert!(!serde_json::to_string(errors).unwrap().contains(BCRYPT));

    // The imported user signs in with the old password, then a code of the imported app.
    let b = browser();
    let login = start_login(&m.server, &b, &web_params(&m.server)).await;
    let r = submit_login(&b, &login, "imported@example.com", OLD_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(r.headers());
    assert!(to.starts_with("/u/mfa?state="), "{to}");
    let html = b
        .get(m.server.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = totp::code_at(SEED, m.server.provider.now()).unwrap();
    let r = b
        .post(m.server.url("u/mfa"))
        .form(&[
            ("state", hidden(&html, "state")),
            ("csrf", hidden(&html, "csrf")),
            ("method", hidden(&html, "method")),
            ("code", code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let callback = location(r.headers());
    assert!(callback.starts_with(WEB_CALLBACK), "{callback}");
    let t: Value = redeem(&m.server, &query_of(&callback)["code"])
        .await
        .json()
        .await
        .unwrap();
    let id_token = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], "auth0|imp1");
    assert_eq!(id_token["amr"], json!(["pwd", "otp", "mfa"]));

    // The stored factor is sealed, not the seed in clear.
    let factors = m
        .server
        .provider
        .store
        .list_mfa_factors("auth0|imp1")
        .await
        .unwrap();
    assert_eq!(factors.len(), 1);
    assert!(factors[0].confirmed);
    assert!(!factors[0].secret.contains(SEED));

    // Upsert updates the existing user.
    let again = users_file(&json!([{"email": "imported@example.com", "name": "Imported Again"}]));
    let answer = upload(
        &m,
        &m.admin,
        multipart(&[
            ("users", Some("users.json"), &again),
            ("connection_id", None, DB_ID.as_bytes()),
            ("upsert", None, b"true"),
        ]),
    )
    .await;
    let id = answer.ok(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = finished(&m, &id).await;
    assert_eq!(
        done["summary"],
        json!({"failed": 0, "updated": 1, "inserted": 0, "total": 1})
    );
    // No errors: 204, as on Auth0.
    let errors = m.get(&format!("jobs/{id}/errors")).await;
    assert_eq!(errors.ok(StatusCode::NO_CONTENT), &Value::Null);
}

#[tokio::test]
async fn uploads_are_validated_and_bounded() {
    let m = Mgmt::start().await;
    let file = users_file(&json!([{"email": "x@example.com"}]));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            multipart(&[("connection_id", None, DB_ID.as_bytes())]),
            "users",
        ),
        (
            multipart(&[("users", Some("u.json"), &file)]),
            "connection_id",
        ),
        (
            multipart(&[
                ("users", Some("u.json"), &file),
                ("connection_id", None, b"con_nope"),
            ]),
            "connection_id",
        ),
        (
            multipart(&[
                ("users", Some("u.json"), b"not json"),
                ("connection_id", None, DB_ID.as_bytes()),
            ]),
            "Users file",
        ),
        (
            multipart(&[
                ("users", Some("u.json"), b"[]"),
                ("connection_id", None, DB_ID.as_bytes()),
            ]),
            "empty",
        ),
        (
            multipart(&[
                ("users", Some("u.json"), &file),
                ("connection_id", None, DB_ID.as_bytes()),
                ("upsert", None, b"maybe"),
            ]),
            "upsert",
        ),
        (
            multipart(&[
                ("users", Some("u.json"), &file),
                ("connection_id", None, DB_ID.as_bytes()),
                ("surprise", None, b"1"),
            ]),
            "surprise",
        ),
        (b"--nothing".to_vec(), ""),
    ];
    for (body, expected) in cases {
        let answer = upload(&m, &m.admin, body).await;
        let message = answer.error(StatusCode::BAD_REQUEST, "invalid_body");
        assert!(message.contains(expected), "{expected}: {message}");
    }
    // Not multipart at all.
    let answer = m
        .call(
            Method::POST,
            "jobs/users-imports",
            &m.admin,
            Some(&json!({"users": []})),
        )
        .await;
    answer.error(StatusCode::BAD_REQUEST, "invalid_body");

    // Over 500 KB: 413 in Auth0's shape.
    let big = vec![b' '; 510 * 1024];
    let answer = upload(
        &m,
        &m.admin,
        multipart(&[
            ("connection_id", None, DB_ID.as_bytes()),
            ("users", Some("u.json"), &big),
        ]),
    )
    .await;
    let message = answer.error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(message.contains("500 KB"), "{message}");

    m.get("jobs/job_nope")
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_job");
    m.get("jobs/job_nope/errors")
        .await
        .error(StatusCode::NOT_FOUND, "inexistent_job");

    // create:users is needed to import.
    let reader = m.token(&["read:users"]).await;
    let answer = upload(
        &m,
        &reader,
        multipart(&[
            ("users", Some("u.json"), &file),
            ("connection_id", None, DB_ID.as_bytes()),
        ]),
    )
    .await;
    let message = answer.error(StatusCode::FORBIDDEN, "insufficient_scope");
    assert!(message.contains("create:users"), "{message}");
    let importer = m.token(&["create:users"]).await;
    let answer = upload(
        &m,
        &importer,
        multipart(&[
            ("users", Some("u.json"), &file),
            ("connection_id", None, DB_ID.as_bytes()),
        ]),
    )
    .await;
    let id = answer.ok(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let none = m.token(&["read:clients"]).await;
    m.call(Method::GET, &format!("jobs/{id}"), &none, None)
        .await
        .error(StatusCode::FORBIDDEN, "insufficient_scope");
    finished(&m, &id).await;
}

#[tokio::test]
async fn a_job_left_running_by_a_stopped_replica_shows_as_failed() {
    let m = Mgmt::start().await;
    let now = m.server.provider.now();
    let job = |id: &str, updated_at: i64| portcullis_store::Job {
        job_id: id.to_owned(),
        job_type: "users_import".to_owned(),
        status: "processing".to_owned(),
        connection_id: DB_ID.to_owned(),
        upsert: false,
        external_id: None,
        created_at: updated_at,
        updated_at,
        summary: None,
        errors: None,
    };
    let store = &m.server.provider.store;
    store
        .create_job(&job("job_stale", now - 7200))
        .await
        .unwrap();
    store
        .create_job(&job("job_running", now - 5))
        .await
        .unwrap();
    let stale = m.get("jobs/job_stale").await;
    assert_eq!(stale.ok(StatusCode::OK)["status"], "failed");
    let errors = m.get("jobs/job_stale/errors").await;
    let errors = errors.ok(StatusCode::OK);
    assert_eq!(errors["status"], "failed");
    assert!(
        errors["status_details"]
            .as_str()
            .unwrap()
            .contains("stopped")
    );
    let running = m.get("jobs/job_running").await;
    assert_eq!(running.ok(StatusCode::OK)["status"], "processing");
    m.get("jobs/job_running/errors")
        .await
        .ok(StatusCode::NO_CONTENT);
}
