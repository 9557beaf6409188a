//! The command line (clap). `docs/cli.md` describes every command.

use clap::{Args, Parser, Subcommand, ValueEnum};
use portcullis_store::TokenDialect;
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
    /// Manage the tenant of `portcullis dev` (its data in ./portcullis-dev-data) instead of the
    /// configured one.
    #[arg(long, global = true)]
    pub dev: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider (configuration: docs/configuration.md).
    #[command(after_help = SERVE_HELP)]
    Serve,
    /// Run a development provider on localhost with a ready demo tenant.
    Dev(DevArgs),
    /// Apply the pending database migrations and exit (`serve` also applies them on start).
    Migrate,
    /// Write an online backup of the SQLite database to FILE (the server may keep running).
    /// PostgreSQL databases are backed up with pg_dump (docs/replicas.md).
    #[command(after_help = BACKUP_HELP)]
    Backup {
        /// Where to write the backup (a new file; see --force).
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
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
    /// Manage roles (RBAC): their permissions, and which users hold them.
    #[command(subcommand)]
    Roles(RolesCommand),
    /// Manage token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check mail delivery: queue a test mail, see the queue.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Manage upstream connections (sign-in with Google, GitHub, any OpenID Connect provider).
    #[command(subcommand)]
    Connections(ConnectionsCommand),
    /// Read the audit log (sign-ins, sign-ups, token exchanges, logouts… with Auth0's event
    /// type codes), newest first. See docs/audit-log.md.
    Logs(LogsArgs),
    /// Import users from another provider. See docs/moving-from-auth0.md.
    #[command(subcommand)]
    Import(ImportCommand),
}

/// `portcullis logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only these event types (Auth0's codes, comma-separated or repeated: `s,f,fp`).
    #[arg(long = "type", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only events of this user (user id).
    #[arg(long)]
    pub user: Option<String>,
    /// Only events of this application (client id).
    #[arg(long)]
    pub client: Option<String>,
    /// Only events of the last DURATION: `30s`, `15m`, `2h`, `7d`.
    #[arg(long)]
    pub since: Option<String>,
    /// How many events (newest first).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Keep printing new events as they are recorded (oldest first), until interrupted.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Show one event, every field.
    #[arg(long, conflicts_with_all = ["types", "user", "client", "since", "follow"])]
    pub id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an Auth0 user file: the bulk-import JSON array (email, user_id, names, blocked,
    /// password_hash or custom_password_hash…) or the NDJSON export Auth0 support gives with
    /// password hashes. Users keep their passwords; bad records are reported and skipped.
    Auth0 {
        /// The file (JSON array or NDJSON).
        file: std::path::PathBuf,
        /// Update users that exist (by email) with the file's values, as Auth0's `upsert`.
        #[arg(long)]
        upsert: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConnectionsCommand {
    /// List the connections (from the configuration and from the database).
    List,
    /// Add or replace a connection in the database (its client secret encrypted with the
    /// master key). docs/connections.md describes each strategy.
    Add(ConnectionArgs),
    /// Remove a connection from the database (its users keep their accounts).
    Remove {
        /// The connection's name.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// The name applications pass as `connection=` (e.g. google-oauth2, github, corp).
    pub name: String,
    /// oidc, google-oauth2 or github.
    #[arg(long)]
    pub strategy: String,
    /// The client id Portcullis has at the upstream provider.
    #[arg(long)]
    pub client_id: String,
    /// Read the client secret from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "client_secret_stdin")]
    pub client_secret_env: Option<String>,
    /// Read the client secret from the first line of standard input.
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// oidc: the provider's issuer (its discovery document is fetched from it).
    #[arg(long)]
    pub issuer: Option<String>,
    /// Space-separated scopes (default per strategy).
    #[arg(long)]
    pub scopes: Option<String>,
    /// An application (client id) that may use it; repeat for several. Default: every one.
    #[arg(long = "enabled-client", value_name = "CLIENT_ID")]
    pub enabled_clients: Vec<String>,
    /// The sign-in button's label.
    #[arg(long)]
    pub display_name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Queue a test mail to ADDRESS; a running server delivers it within seconds (SMTP, or the
    /// outbox without smtp_url). Follow it with `portcullis mail list`.
    Test {
        /// The recipient.
        address: String,
    },
    /// List the most recent mails of the queue with their delivery status (not their bodies).
    List {
        /// How many mails, newest first.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

/// `backup --help`: how to restore.
const BACKUP_HELP: &str = "\
The backup is a complete, compacted SQLite database taken from one consistent snapshot.
It does not contain the master key: back that up separately.

Restore: stop the server, replace the database file (database_url, by default
<data dir>/portcullis.db) with the backup, delete any portcullis.db-wal and portcullis.db-shm
beside it, and start the server with the same master key. See docs/cli.md.
";

/// `serve --help`: where the settings are documented, and every variable read.
const SERVE_HELP: &str = "\
Configuration: built-in defaults, then portcullis.toml (or --config FILE), then these
environment variables. Every setting is described in docs/configuration.md.

  PORTCULLIS_VERSION                      format version of the settings (1)
  PORTCULLIS_ISSUER                       public URL of the provider (default http://localhost:<port>/)
  PORTCULLIS_LISTEN                       address to bind (default 127.0.0.1:4000)
  PORTCULLIS_METRICS_LISTEN               address for Prometheus GET /metrics (default: off)
  PORTCULLIS_DATA_DIR                     database and master key (default ./portcullis-data)
  PORTCULLIS_DATABASE_URL                 default sqlite://<data dir>/portcullis.db
  PORTCULLIS_MASTER_KEY                   base64 of 32 bytes (else the key file)
  PORTCULLIS_MASTER_KEY_FILE              default <data dir>/master.key, created on first start
  PORTCULLIS_TENANT_FILE                  tenant file applied at every start
  PORTCULLIS_LOG_FORMAT                   pretty (default) or json
  PORTCULLIS_LOG_LEVEL                    info (default), debug, portcullis_web=debug,info… (RUST_LOG wins)
  PORTCULLIS_TRUSTED_PROXIES              proxies whose X-Forwarded-For is believed (CIDR list)
  PORTCULLIS_CODE_LIFETIME                seconds (default 60)
  PORTCULLIS_ID_TOKEN_LIFETIME            seconds (default 36000)
  PORTCULLIS_USERINFO_TOKEN_LIFETIME      seconds (default 86400)
  PORTCULLIS_REFRESH_TOKEN_LIFETIME       seconds (default 2592000)
  PORTCULLIS_REFRESH_TOKEN_IDLE_LIFETIME  seconds (default 1296000)
  PORTCULLIS_SESSION_LIFETIME             seconds (default 604800)
  PORTCULLIS_SESSION_IDLE_LIFETIME        seconds (default 259200)
  PORTCULLIS_PREVIOUS_KEY_LIFETIME        seconds (default 172800)
  PORTCULLIS_MAX_FAILED_LOGINS            failed sign-ins per user and IP before a block (default 10)
  PORTCULLIS_FAILED_LOGIN_WINDOW          seconds (default 3600)
  PORTCULLIS_MAX_FAILED_CLIENT_AUTH       failed client authentications before throttling (default 20)
  PORTCULLIS_SIGNUP                       whether the hosted sign-up page exists (default true)
  PORTCULLIS_SIGNUP_LIFETIME              seconds a sign-up waits for its email (default 86400)
  PORTCULLIS_MFA                          multi-factor authentication: off, optional or required (default optional)
  PORTCULLIS_RESET_LIFETIME               seconds a password-reset link works (default 3600)
  PORTCULLIS_VERIFICATION_LIFETIME        seconds an email confirmation link works (default 432000)
  PORTCULLIS_MAX_ACCOUNT_MAILS_PER_EMAIL  sign-up and reset mails per address per window (default 5)
  PORTCULLIS_MAX_ACCOUNT_REQUESTS_PER_IP_PER_MINUTE  sign-up and reset requests per address (default 30)
  PORTCULLIS_PRODUCT_NAME                 the service's name in pages and mails (default Portcullis)
  PORTCULLIS_LOGO_URL                     a logo for the pages (https, or http on loopback)
  PORTCULLIS_PRIMARY_COLOR                the pages' accent colour, #rrggbb
  PORTCULLIS_AUDIT_LOG_RETENTION_DAYS     days audit log events are kept (default 30)
  PORTCULLIS_AUDIT_LOG_STDOUT             also print audit log events as JSON lines (default false)
  PORTCULLIS_MANAGEMENT_API_REQUESTS_PER_MINUTE  Management API requests per client (default 600)
  PORTCULLIS_SMTP_URL                     smtp://, smtp://…?tls=starttls or smtps:// (default: outbox)
  PORTCULLIS_MAIL_FROM                    the From of mails (default Portcullis <no-reply@HOST>)
  PORTCULLIS_CONFIG                       the configuration file (like --config)
";

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Port on localhost (0 picks a free one).
    #[arg(long, default_value_t = 4000)]
    pub port: u16,
    /// Where the development database and master key live.
    #[arg(long, value_name = "DIR", default_value = crate::config::DEV_DATA_DIR)]
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
        /// Email address (the sign-in name; lower-cased).
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
        /// Phone number in E.164 form, e.g. +14155550100 (released with the `phone` scope).
        #[arg(long)]
        phone_number: Option<String>,
        /// Mark the phone number as verified.
        #[arg(long)]
        phone_number_verified: bool,
        /// Postal address as a JSON object with `formatted`, `street_address`, `locality`,
        /// `region`, `postal_code`, `country` (released with the `address` scope).
        #[arg(long, value_name = "JSON")]
        address: Option<String>,
    },
    /// List users.
    List,
    /// Show one user, every field (by id or email).
    Show {
        /// User id or email.
        user: String,
    },
    /// Set a user's password (ends their sessions).
    SetPassword {
        /// User id or email.
        user: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Block a user (ends their sessions; sign-in is refused).
    Block {
        /// User id or email.
        user: String,
    },
    /// Unblock a user.
    Unblock {
        /// User id or email.
        user: String,
    },
    /// Delete a user with their sessions and tokens.
    Delete {
        /// User id or email.
        user: String,
    },
    /// List a user's second factors (authenticator app, passkeys) and recovery codes left.
    Factors {
        /// User id or email.
        user: String,
    },
    /// Remove all of a user's second factors and recovery codes (a lost device); ends their
    /// sessions and revokes their tokens.
    ResetMfa {
        /// User id or email.
        user: String,
    },
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
    /// Legacy password grant, also Auth0's password-realm (regular web and native apps only;
    /// see docs/authentication-api.md for why to avoid it).
    Password,
    /// Auth0's passwordless email one-time-code grant.
    #[value(name = "passwordless_otp")]
    PasswordlessOtp,
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
    /// Whether the application is first-party (default true, Auth0's is_first_party); a
    /// third-party application asks users for consent.
    #[arg(long, value_name = "BOOL")]
    pub first_party: Option<bool>,
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
        /// Display name (shown on the sign-in page).
        #[arg(long)]
        name: String,
        /// Application type; sets the defaults for grant types and authentication.
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
    /// Show one application (never its secret).
    Show {
        /// The application's client id.
        client_id: String,
    },
    /// Change an application; only the options given change.
    Update {
        /// The application's client id.
        client_id: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        settings: AppSettings,
    },
    /// Replace an application's secret with a new one, shown once. The old one stops working.
    RotateSecret {
        /// The application's client id.
        client_id: String,
    },
    /// Delete an application with its grants and tokens.
    Delete {
        /// The application's client id.
        client_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApisCommand {
    /// Create an API.
    Create {
        /// The API identifier, which clients send as `audience` (e.g. an https URL of the API).
        #[arg(long)]
        identifier: String,
        /// Display name (default: the identifier).
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
        /// Enable RBAC: users get only the asked scopes their roles hold as permissions.
        #[arg(long)]
        enforce_policies: bool,
        /// `access_token` (default) or `access_token_authz`, which adds the user's permissions
        /// for this API to access tokens as `permissions` (needs --enforce-policies).
        #[arg(long, value_name = "DIALECT")]
        token_dialect: Option<TokenDialect>,
    },
    /// List APIs.
    List,
    /// Change an API; only the options given change.
    Update {
        /// Identifier (or id) of the API.
        api: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// Replaces the scopes: `value` or `value=description`, repeated. Scopes dropped are
        /// also removed from client grants.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Option<Vec<String>>,
        /// Access-token lifetime in seconds (at most 2592000).
        #[arg(long)]
        token_lifetime: Option<i64>,
        /// Whether refresh tokens may be issued for this API.
        #[arg(long, value_name = "BOOL")]
        allow_offline_access: Option<bool>,
        /// Replaces the applications allowed to introspect this API's access tokens; repeat
        /// for more.
        #[arg(long = "introspection-client", value_name = "CLIENT_ID")]
        introspection_clients: Option<Vec<String>>,
        /// Whether RBAC is enforced (users get only the asked scopes their roles hold).
        #[arg(long, value_name = "BOOL")]
        enforce_policies: Option<bool>,
        /// `access_token` or `access_token_authz` (adds `permissions` to access tokens).
        #[arg(long, value_name = "DIALECT")]
        token_dialect: Option<TokenDialect>,
    },
    /// Delete an API and its client grants.
    Delete {
        /// Identifier (or id) of the API.
        api: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum GrantsCommand {
    /// Allow an application to get tokens for an API with client_credentials.
    Create {
        /// The M2M application (allowed the client_credentials grant).
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
        /// The application of the grant.
        #[arg(long)]
        client_id: String,
        /// The API identifier of the grant.
        #[arg(long)]
        audience: String,
        /// The new scopes (comma-separated or repeated); they replace the old ones.
        #[arg(long = "scope", value_delimiter = ',', value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// Delete a grant.
    Delete {
        /// The application of the grant.
        #[arg(long)]
        client_id: String,
        /// The API identifier of the grant.
        #[arg(long)]
        audience: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// Create a role.
    Create {
        /// The role's name (unique).
        #[arg(long)]
        name: String,
        /// What the role is for (at most 140 characters).
        #[arg(long)]
        description: Option<String>,
    },
    /// List roles.
    List,
    /// Show a role with its permissions and users.
    Show {
        /// Id (`rol_…`) or name of the role.
        role: String,
    },
    /// Rename a role or change its description.
    Update {
        /// Id (`rol_…`) or name of the role.
        role: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a role; its users lose its permissions.
    Delete {
        /// Id (`rol_…`) or name of the role.
        role: String,
    },
    /// Give a role permissions: scopes of one API.
    AddPermissions {
        /// Id (`rol_…`) or name of the role.
        role: String,
        /// The API identifier.
        #[arg(long)]
        api: String,
        /// Scopes of the API (comma-separated or repeated).
        #[arg(
            long = "permission",
            value_delimiter = ',',
            value_name = "SCOPE",
            required = true
        )]
        permissions: Vec<String>,
    },
    /// Take permissions away from a role.
    RemovePermissions {
        /// Id (`rol_…`) or name of the role.
        role: String,
        /// The API identifier.
        #[arg(long)]
        api: String,
        /// Scopes of the API (comma-separated or repeated).
        #[arg(
            long = "permission",
            value_delimiter = ',',
            value_name = "SCOPE",
            required = true
        )]
        permissions: Vec<String>,
    },
    /// Assign roles to a user (effective in the user's next token).
    Assign {
        /// The user's id or email.
        #[arg(long)]
        user: String,
        /// Ids or names of the roles.
        #[arg(required = true)]
        roles: Vec<String>,
    },
    /// Take roles away from a user.
    Unassign {
        /// The user's id or email.
        #[arg(long)]
        user: String,
        /// Ids or names of the roles.
        #[arg(required = true)]
        roles: Vec<String>,
    },
    /// Show a user's roles and the permissions they give.
    User {
        /// The user's id or email.
        user: String,
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

impl Command {
    /// Whether the command only reads: it must then never create a data directory, key or
    /// database.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Command::Users(
                UsersCommand::List | UsersCommand::Show { .. } | UsersCommand::Factors { .. }
            ) | Command::Apps(AppsCommand::List | AppsCommand::Show { .. })
                | Command::Apis(ApisCommand::List)
                | Command::Grants(GrantsCommand::List)
                | Command::Roles(
                    RolesCommand::List | RolesCommand::Show { .. } | RolesCommand::User { .. }
                )
                | Command::Keys(KeysCommand::List)
                | Command::Connections(ConnectionsCommand::List)
                | Command::Logs(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory as _;

    /// Every option and argument of every command says what it is for.
    #[test]
    fn every_flag_has_help_text() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "portcullis", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }

    #[test]
    fn serve_help_points_to_the_docs_and_lists_every_variable() {
        let mut cmd = Cli::command();
        let serve = cmd.find_subcommand_mut("serve").unwrap();
        let help = serve.render_long_help().to_string();
        assert!(help.contains("docs/configuration.md"), "{help}");
        for key in crate::config::KEYS {
            let var = format!("PORTCULLIS_{}", key.to_ascii_uppercase());
            assert!(
                help.contains(&format!("  {var} ")),
                "{var} missing:\n{help}"
            );
        }
    }
}
