//! A software WebAuthn authenticator for HTTP tests: what a browser and a platform authenticator
//! do with the options a page gives `navigator.credentials.create()` / `.get()`, producing the
//! JSON `/assets/passkeys.js` posts back. P-256 (ES256) keys, "none" attestation, user presence
//! and verification set, discoverable credentials (W3C WebAuthn Level 3 §6.1 authenticator
//! data, §6.5.4 attested credential data, §5.8.1 client data).
//!
//! Dev only: keys are derived from a counter, not random.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One credential the authenticator holds.
#[derive(Clone)]
pub struct SoftCredential {
    pub id: Vec<u8>,
    key: SigningKey,
    /// The user handle given at registration (returned by discoverable sign-ins).
    pub user_handle: Vec<u8>,
    pub rp_id: String,
    pub counter: u32,
}

/// The authenticator, and the browser origin it answers for.
pub struct SoftAuthenticator {
    /// The origin the "browser" puts in the client data (change it to test a foreign origin).
    pub origin: String,
    pub credentials: Vec<SoftCredential>,
    /// Whether the authenticator reports user verification (UV flag).
    pub user_verified: bool,
    made: u32,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .expect("base64url")
}

// ---- Minimal CBOR (RFC 8949): unsigned and negative integers, byte and text strings, maps ---

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n < 256 {
        out.push(m | 24);
        out.push(n as u8);
    } else if n < 65_536 {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn int(i: i64, out: &mut Vec<u8>) {
    if i >= 0 {
        head(0, i as u64, out);
    } else {
        head(1, (-1 - i) as u64, out);
    }
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    head(2, b.len() as u64, out);
    out.extend_from_slice(b);
}

fn text(t: &str, out: &mut Vec<u8>) {
    head(3, t.len() as u64, out);
    out.extend_from_slice(t.as_bytes());
}

/// UP (user present), UV (user verified), AT (attested credential data).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

impl SoftAuthenticator {
    /// An authenticator in a browser at `origin` (`http://localhost:PORT`).
    pub fn new(origin: &str) -> Self {
        SoftAuthenticator {
            origin: origin.trim_end_matches('/').to_owned(),
            credentials: Vec::new(),
            user_verified: true,
            made: 0,
        }
    }

    fn flags(&self) -> u8 {
        if self.user_verified { UP | UV } else { UP }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    /// `navigator.credentials.create(options)`: a new credential, as the registration JSON.
    /// `options` is what the page gives the script (`{"publicKey": …}`).
    pub fn create(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rp"]["id"].as_str().expect("rp.id").to_owned();
        let challenge = pk["challenge"].as_str().expect("challenge");
        let user_handle = unb64(pk["user"]["id"].as_str().expect("user.id"));
        self.made += 1;
        let seed = Sha256::digest(format!("soft-authenticator-{}-{}", self.origin, self.made));
        let key = SigningKey::from_slice(&seed).expect("a P-256 key");
        let id = Sha256::digest(format!("credential-{}-{}", self.origin, self.made)).to_vec();
        let point = key.verifying_key().to_sec1_point(false);
        let sec1 = point.as_bytes();
        let (x, y) = (&sec1[1..33], &sec1[33..65]);
        // COSE_Key (RFC 9053 §7.1.1): kty EC2, alg ES256, crv P-256, x, y.
        let mut cose = Vec::new();
        head(5, 5, &mut cose);
        int(1, &mut cose);
        int(2, &mut cose);
        int(3, &mut cose);
        int(-7, &mut cose);
        int(-1, &mut cose);
        int(1, &mut cose);
        int(-2, &mut cose);
        bytes(x, &mut cose);
        int(-3, &mut cose);
        bytes(y, &mut cose);
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags() | AT);
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose);
        let mut attestation = Vec::new();
        head(5, 3, &mut attestation);
        text("fmt", &mut attestation);
        text("none", &mut attestation);
        text("attStmt", &mut attestation);
        head(5, 0, &mut attestation);
        text("authData", &mut attestation);
        bytes(&auth_data, &mut attestation);
        let client_data = self.client_data("webauthn.create", challenge);
        self.credentials.push(SoftCredential {
            id: id.clone(),
            key,
            user_handle,
            rp_id,
            counter: 0,
        });
        json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data),
                "transports": ["internal"],
            },
            "extensions": {},
        })
    }

    /// `navigator.credentials.get(options)` with the first credential the options allow (any
    /// for the relying party when `allowCredentials` is empty: a discoverable sign-in).
    pub fn get(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let allowed: Vec<Vec<u8>> = pk["allowCredentials"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| unb64(c["id"].as_str().expect("id")))
                    .collect()
            })
            .unwrap_or_default();
        let rp_id = pk["rpId"].as_str().expect("rpId").to_owned();
        let index = self
            .credentials
            .iter()
            .position(|c| c.rp_id == rp_id && (allowed.is_empty() || allowed.contains(&c.id)))
            .expect("a credential for these options");
        self.get_with(options, index)
    }

    /// `navigator.credentials.get(options)` answered with credential `index`, allowed or not.
    pub fn get_with(&mut self, options: &Value, index: usize) -> Value {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .expect("challenge")
            .to_owned();
        let flags = self.flags();
        let client_data = self.client_data("webauthn.get", &challenge);
        let c = &mut self.credentials[index];
        c.counter += 1;
        let mut auth_data = Sha256::digest(c.rp_id.as_bytes()).to_vec();
        auth_data.push(flags);
        auth_data.extend_from_slice(&c.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: DerSignature = c.key.sign(&signed);
        json!({
            "id": b64(&c.id),
            "rawId": b64(&c.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_bytes()),
                "userHandle": b64(&c.user_handle),
            },
            "extensions": {},
        })
    }
}
