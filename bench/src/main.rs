//! `cargo run --release -p portcullis-bench [-- SECONDS CONCURRENCY]`
//!
//! Boots Portcullis in-process on 127.0.0.1:0 with a fresh SQLite database file, then drives each
//! hot endpoint with CONCURRENCY workers for SECONDS (defaults 5 and 16) and prints throughput
//! and latency percentiles. Traffic stays on loopback; every loop is bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use portcullis_core::Provider;
use portcullis_core::clock::SystemClock;
use portcullis_core::config::{Issuer, ProviderConfig};
use portcullis_core::crypto::MasterKey;
use portcullis_store::{
    Api, ApiScope, ApplicationType, Client, ClientGrant, GrantType, TokenEndpointAuthMethod, User,
};
use portcullis_store_sqlite::SqliteStore;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0000";
const CALLBACK: &str = "http://localhost:3000/callback";
const API: &str = "https://api.bench.example";
const PASSWORD: &str = "bench password 1234";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let concurrency: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16);
    let base = boot().await;
    println!(
        "Portcullis benchmark: {seconds} s per scenario, {concurrency} concurrent workers, {} cores\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let duration = Duration::from_secs(seconds);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();

    let url = format!("{base}.well-known/openid-configuration");
    run("GET discovery", duration, concurrency, {
        let (http, url) = (http.clone(), url.clone());
        move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                http.get(url)
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            }
        }
    })
    .await;

    let token_url = format!("{base}oauth/token");
    run("POST token (client_credentials)", duration, concurrency, {
        let (http, url) = (http.clone(), token_url.clone());
        move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                http.post(url)
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", "bench-m2m"),
                        ("client_secret", SECRET),
                        ("audience", API),
                    ])
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            }
        }
    })
    .await;

    // One signed-in user's tokens, for userinfo and refresh.
    let tokens = code_flow(&base)
        .await
        .expect("a code flow for the benchmark user");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let userinfo = format!("{base}userinfo");
    run("GET userinfo", duration, concurrency, {
        let (http, url) = (http.clone(), userinfo.clone());
        move |_| {
            let (http, url, access) = (http.clone(), url.clone(), access.clone());
            async move {
                http.get(url)
                    .bearer_auth(access)
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            }
        }
    })
    .await;

    // Each worker owns a refresh-token chain (rotation makes every token single use).
    let mut chains = Vec::new();
    for _ in 0..concurrency {
        let t = code_flow(&base).await.expect("a code flow");
        chains.push(Arc::new(tokio::sync::Mutex::new(
            t["refresh_token"].as_str().unwrap().to_owned(),
        )));
    }
    let chains = Arc::new(chains);
    run("POST token (refresh_token)", duration, concurrency, {
        let (http, url) = (http.clone(), token_url.clone());
        move |worker| {
            let (http, url, chain) = (http.clone(), url.clone(), chains[worker].clone());
            async move {
                let mut rt = chain.lock().await;
                let r = http
                    .post(url)
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("client_id", "bench-web"),
                        ("client_secret", SECRET),
                        ("refresh_token", rt.as_str()),
                    ])
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        match body["refresh_token"].as_str() {
                            Some(next) => {
                                *rt = next.to_owned();
                                true
                            }
                            None => false,
                        }
                    }
                    _ => false,
                }
            }
        }
    })
    .await;

    bearer_cost(&base, &http).await;

    run(
        "full sign-in + code exchange",
        duration,
        concurrency.min(4),
        {
            let base = base.clone();
            move |_| {
                let base = base.clone();
                async move { code_flow(&base).await.is_some() }
            }
        },
    )
    .await;
}

/// Runs `op` in `concurrency` workers for `duration`, then prints a row.
async fn run<F, Fut>(name: &str, duration: Duration, concurrency: usize, op: F)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let start = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while start.elapsed() < duration {
                let t = Instant::now();
                if !op(worker).await {
                    errors += 1;
                }
                latencies.push(t.elapsed());
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{:<34} {:>10.0} {:>10.2} {:>10.2} {:>10}",
        name,
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        errors
    );
}

/// Boots the server with a small tenant; returns the issuer URL.
async fn boot() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let issuer = Issuer::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let dir = std::env::temp_dir().join(format!("portcullis-bench-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(
        SqliteStore::connect(dir.join("bench.db").to_str().unwrap())
            .await
            .unwrap(),
    );
    let mut config = ProviderConfig::new(issuer.clone());
    // The benchmark hammers one account and one client on purpose.
    config.max_failed_logins = u32::MAX;
    let provider = Provider::new(store, config, Arc::new(SystemClock), &MasterKey::generate())
        .await
        .unwrap();
    seed(&provider).await;
    let app = portcullis_web::router(provider);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    issuer.as_str().to_owned()
}

async fn seed(p: &Provider) {
    let s = p.store.as_ref();
    let client = |id: &str, app_type, grants: Vec<GrantType>, redirect: Vec<String>| Client {
        client_id: id.into(),
        name: id.into(),
        app_type,
        secret_hash: Some(p.hasher.hash(SECRET)),
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        redirect_uris: redirect,
        post_logout_redirect_uris: vec![],
        web_origins: vec![],
        grant_types: grants,
        backchannel_logout_uri: None,
        first_party: true,
        created_at: 0,
        updated_at: 0,
    };
    s.create_client(&client(
        "bench-m2m",
        ApplicationType::M2m,
        vec![GrantType::ClientCredentials],
        vec![],
    ))
    .await
    .unwrap();
    s.create_client(&client(
        "bench-web",
        ApplicationType::RegularWeb,
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        vec![CALLBACK.into()],
    ))
    .await
    .unwrap();
    s.create_api(&Api {
        api_id: "api_bench".into(),
        identifier: API.into(),
        name: "Bench".into(),
        scopes: vec![ApiScope {
            value: "read:bench".into(),
            description: String::new(),
        }],
        token_lifetime: 3600,
        allow_offline_access: true,
        introspection_clients: vec![],
        created_at: 0,
        updated_at: 0,
        enforce_policies: false,
        token_dialect: Default::default(),
    })
    .await
    .unwrap();
    s.create_client_grant(&ClientGrant {
        grant_id: "cgr_bench".into(),
        client_id: "bench-m2m".into(),
        audience: API.into(),
        scopes: vec!["read:bench".into()],
        created_at: 0,
    })
    .await
    .unwrap();
    s.create_user(&User {
        user_id: "usr_bench".into(),
        email: "bench@example.com".into(),
        email_verified: true,
        name: Some("Bench".into()),
        given_name: None,
        family_name: None,
        nickname: None,
        picture: None,
        password_hash: Some(p.passwords.hash(PASSWORD).await.unwrap()),
        blocked: false,
        app_metadata: Default::default(),
        user_metadata: Default::default(),
        created_at: 0,
        updated_at: 0,
        phone_number: None,
        phone_number_verified: false,
        address: None,
    })
    .await
    .unwrap();
}

/// One complete browser sign-in and code exchange; `None` on any failure.
async fn code_flow(base: &str) -> Option<Value> {
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    let r = b
        .get(format!("{base}authorize"))
        .query(&[
            ("client_id", "bench-web"),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("scope", "openid profile email offline_access"),
            ("state", "s"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .ok()?;
    let login = r.headers().get("location")?.to_str().ok()?.to_owned();
    let html = b
        .get(format!("{}{}", base, login.trim_start_matches('/')))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html.find(&marker)? + marker.len();
        let end = html[start..].find('"')? + start;
        Some(html[start..end].to_owned())
    };
    let r = b
        .post(format!("{base}u/login"))
        .form(&[
            ("state", field("state")?),
            ("csrf", field("csrf")?),
            ("email", "bench@example.com".into()),
            ("password", PASSWORD.into()),
        ])
        .send()
        .await
        .ok()?;
    let callback = r.headers().get("location")?.to_str().ok()?.to_owned();
    let code = reqwest::Url::parse(&callback)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "code")?
        .1
        .into_owned();
    let r = b
        .post(format!("{base}oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", "bench-web"),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .ok()?;
    r.json().await.ok()
}

/// What an API pays per request with `portcullis-bearer`, against the floor: one RS256
/// verification of the same token with the same key (single thread, keys cached).
async fn bearer_cost(base: &str, http: &reqwest::Client) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let body: Value = http
        .post(format!("{base}oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "bench-m2m"),
            ("client_secret", SECRET),
            ("audience", API),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let validator = portcullis_bearer::Validator::builder()
        .issuer(base)
        .audience(API)
        .build()
        .unwrap();
    validator
        .validate(&token)
        .await
        .expect("the token validates");
    const N: u32 = 20_000;
    let start = Instant::now();
    for _ in 0..N {
        validator.validate(&token).await.unwrap();
    }
    let full = start.elapsed() / N;

    let jwks: Value = http
        .get(format!("{base}.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(signed.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap();
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let public = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e };
    let start = Instant::now();
    for _ in 0..N {
        public
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &sig,
            )
            .unwrap();
    }
    let floor = start.elapsed() / N;
    println!(
        "{:<34} {:>10.0} {:>10.3} {:>10} {:>10}",
        "bearer validate (1 thread)",
        1.0 / full.as_secs_f64(),
        full.as_secs_f64() * 1000.0,
        "-",
        0
    );
    println!(
        "{:<34} {:>10.0} {:>10.3} {:>10} {:>10}",
        "  RS256 verify, key from n,e",
        1.0 / floor.as_secs_f64(),
        floor.as_secs_f64() * 1000.0,
        "-",
        0
    );
}
