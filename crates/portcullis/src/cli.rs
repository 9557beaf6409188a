//! The command line (clap). `docs/cli.md` describes every command.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Portcullis: a self-hosted OpenID Connect / OAuth 2.0 provider compatible with Auth0's SDKs.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: ./portcullis.toml if it exists).
    #[arg(long, global = true, env = "PORTCULLIS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider.
    Serve,
    /// Run a development provider on localhost with a ready demo tenant.
    Dev(DevArgs),
    /// Apply the pending database migrations and exit (`serve` also applies them on start).
    Migrate,
    /// Apply a tenant file (idempotent: creates what is missing, updates what differs).
    Apply {
        /// The tenant file (TOML).
        file: PathBuf,
    },
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage applications (OAuth clients).
    #[command(subcommand)]
    Apps(AppsCommand),
    /// Manage APIs (resource servers / audiences).
    #[command(subcommand)]
    Apis(ApisCommand),
    /// Manage M2M client grants (which APIs an application may call with client_credentials).
    #[command(subcommand)]
    Grants(GrantsCommand),
    /// Manage token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Port on localhost (0 picks a free one).
    #[arg(long, default_value_t = 4000)]
    pub port: u16,
    /// Where the development database and master key live.
    #[arg(long, value_name = "DIR", default_value = "./portcullis-dev-data")]
    pub data_dir: PathBuf,
    /// Start from an empty database (deletes the development database and master key first).
    #[arg(long)]
    pub fresh: bool,
}

/// Where a password comes from. Never a plain argument: it would land in shell history and `ps`.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct PasswordSource {
    /// Read the password from standard input (one line).
    #[arg(long)]
    pub password_stdin: bool,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user.
    Create {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordSource,
        /// Full name.
        #[arg(long)]
        name: Option<String>,
        /// The user id (`sub`); default: a generated `usr_…` id.
        #[arg(long)]
        user_id: Option<String>,
        /// Mark the email address as verified.
        #[arg(long)]
        email_verified: bool,
    },
    /// List users.
    List,
    /// Show one user (by id or email).
    Show { user: String },
    /// Set a user's password (ends their sessions).
    SetPassword {
        /// User id or email.
        user: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Block a user (ends their sessions; sign-in is refused).
    Block { user: String },
    /// Unblock a user.
    Unblock { user: String },
    /// Delete a user with their sessions and tokens.
    Delete { user: String },
}

/// Application types, as the CLI spells them.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AppTypeArg {
    RegularWeb,
    Spa,
    Native,
    M2m,
}

/// Token endpoint authentication methods.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum AuthMethodArg {
    ClientSecretPost,
    ClientSecretBasic,
    None,
}

/// Grant types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum GrantTypeArg {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// `response_type=id_token` sign-in (regular web apps only).
    Implicit,
}

/// URL lists and grant settings shared by `apps create` and `apps update`. Lists are
/// comma-separated or repeated; an empty value (`--callbacks ""`) clears the list.
#[derive(Debug, Args)]
pub struct AppSettings {
    /// Allowed callback URLs (exact match).
    #[arg(long, value_delimiter = ',', num_args = 1.., value_name = "URL")]
    pub callbacks: Option<Vec<String>>,
    /// Allowed logout URLs (post_logout_redirect_uri / returnTo).
    #[arg(long, value_delimiter = ',', num_args = 1.., value_name = "URL")]
    pub logout_urls: Option<Vec<String>>,
    /// Allowed web origins (CORS, web_message), e.g. http://localhost:3000.
    #[arg(long, value_delimiter = ',', num_args = 1.., value_name = "ORIGIN")]
    pub web_origins: Option<Vec<String>>,
    /// Where logout tokens are POSTed when a session ends (back-channel logout); "" removes it.
    #[arg(long, value_name = "URL")]
    pub backchannel_logout_uri: Option<String>,
    /// Grant types (default per type).
    #[arg(long, value_delimiter = ',', num_args = 1.., value_name = "GRANT")]
    pub grant_types: Option<Vec<GrantTypeArg>>,
    /// Token endpoint authentication method (default per type).
    #[arg(long, value_name = "METHOD")]
    pub auth_method: Option<AuthMethodArg>,
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Create an application. A confidential one gets a secret, shown once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long = "type", value_name = "TYPE")]
        app_type: AppTypeArg,
        /// The client id; default: a generated `app_…` id.
        #[arg(long)]
        client_id: Option<String>,
        #[command(flatten)]
        settings: AppSettings,
    },
    /// List applications.
    List,
    /// Show one application.
    Show { client_id: String },
    /// Change an application; only the options given change.
    Update {
        client_id: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        settings: AppSettings,
    },
    /// Replace an application's secret with a new one, shown once. The old one stops working.
    RotateSecret { client_id: String },
    /// Delete an application with its grants and tokens.
    Delete { client_id: String },
}

#[derive(Debug, Subcommand)]
pub enum ApisCommand {
    /// Create an API.
    Create {
        /// The API identifier, which clients send as `audience` (e.g. an https URL of the API).
        #[arg(long)]
        identifier: String,
        #[arg(long)]
        name: Option<String>,
        /// A scope, as `value` or `value=description`; repeat for more.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// Access-token lifetime in seconds (default 86400, at most 2592000).
        #[arg(long)]
        token_lifetime: Option<i64>,
        /// Do not issue refresh tokens for this API.
        #[arg(long)]
        no_offline_access: bool,
        /// An application (client id) allowed to introspect this API's access tokens
        /// (RFC 7662); repeat for more.
        #[arg(long = "introspection-client", value_name = "CLIENT_ID")]
        introspection_clients: Vec<String>,
    },
    /// List APIs.
    List,
    /// Change an API; only the options given change.
    Update {
        /// Identifier (or id) of the API.
        api: String,
        #[arg(long)]
        name: Option<String>,
        /// Replaces the scopes: `value` or `value=description`, repeated. Scopes dropped are
        /// also removed from client grants.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Option<Vec<String>>,
        #[arg(long)]
        token_lifetime: Option<i64>,
        /// Whether refresh tokens may be issued for this API.
        #[arg(long, value_name = "BOOL")]
        allow_offline_access: Option<bool>,
        /// Replaces the applications allowed to introspect this API's access tokens; repeat
        /// for more.
        #[arg(long = "introspection-client", value_name = "CLIENT_ID")]
        introspection_clients: Option<Vec<String>>,
    },
    /// Delete an API and its client grants.
    Delete { api: String },
}

#[derive(Debug, Subcommand)]
pub enum GrantsCommand {
    /// Allow an application to get tokens for an API with client_credentials.
    Create {
        #[arg(long)]
        client_id: String,
        /// The API identifier.
        #[arg(long)]
        audience: String,
        /// Granted scopes (comma-separated or repeated).
        #[arg(long = "scope", value_delimiter = ',', value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// List client grants.
    List,
    /// Replace a grant's scopes.
    Update {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        audience: String,
        #[arg(long = "scope", value_delimiter = ',', value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// Delete a grant.
    Delete {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        audience: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys.
    List,
    /// Rotate: the next key starts signing, the current one stays published while its tokens
    /// live, and a new next key is generated.
    Rotate,
}
