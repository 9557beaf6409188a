pub mod account;
pub mod authentication_api;
pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod flow;
pub mod forms;
pub mod home;
pub mod login;
pub mod logout;
pub mod passwordless_pages;
pub mod reset;
pub mod signup;
pub mod token;
pub mod unblock;
pub mod userinfo;

pub use crate::client_ip::ClientIp;
