pub mod account;
pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod flow;
pub mod forms;
pub mod home;
pub mod login;
pub mod logout;
pub mod reset;
pub mod signup;
pub mod token;
pub mod upstream;
pub mod userinfo;

pub use crate::client_ip::ClientIp;
