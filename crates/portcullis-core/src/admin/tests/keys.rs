use super::{Env, NOW};
use crate::admin::keys::*;
use crate::config::{Issuer, ProviderConfig};
use portcullis_store::KeyState;

#[tokio::test]
async fn rotate_creates_first_keys_then_keeps_previous_for_the_longest_token_lifetime() {
    let env = Env::new().await;
    let config = ProviderConfig::new(Issuer::parse("http://localhost:4000/").unwrap());
    assert!(list_keys(env.s()).await.unwrap().is_empty());
    let enc = env.key.key_encryptor();
    let keys = rotate(env.s(), &enc, &config, NOW).await.unwrap();
    let states: Vec<KeyState> = keys.iter().map(|k| k.state).collect();
    assert_eq!(
        states.iter().filter(|s| **s == KeyState::Current).count(),
        1
    );
    assert_eq!(states.iter().filter(|s| **s == KeyState::Next).count(), 1);
    let previous: Vec<_> = keys
        .iter()
        .filter(|k| k.state == KeyState::Previous)
        .collect();
    assert_eq!(previous.len(), 1);
    let keep = keep_previous_for(env.s(), &config).await.unwrap();
    assert!(keep >= config.id_token_lifetime && keep >= config.userinfo_token_lifetime);
    assert_eq!(previous[0].retire_at, Some(NOW + keep));
}
