//! Route paths, cookie attributes and API-path detection (each with nextjs-auth0 v4's default).

/// The paths of the SDK's routes. Change them with [`ConfigBuilder::routes`](crate::ConfigBuilder::routes);
/// the callback must match the `redirect_uri` registered at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Routes {
    /// Starts a sign-in (default `/auth/login`).
    pub login: String,
    /// The `redirect_uri` (default `/auth/callback`).
    pub callback: String,
    /// Signs out (default `/auth/logout`).
    pub logout: String,
    /// The user's claims as JSON (default `/auth/profile`).
    pub profile: String,
    /// The access token as JSON (default `/auth/access-token`).
    pub access_token: String,
    /// OpenID Connect Back-Channel Logout receiver (default `/auth/backchannel-logout`); only
    /// mounted with a session store.
    pub backchannel_logout: String,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            login: "/auth/login".into(),
            callback: "/auth/callback".into(),
            logout: "/auth/logout".into(),
            profile: "/auth/profile".into(),
            access_token: "/auth/access-token".into(),
            backchannel_logout: "/auth/backchannel-logout".into(),
        }
    }
}

/// The `SameSite` attribute of the session and transaction cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SameSite {
    /// `Lax` (default): sent on top-level navigations, so the callback from the provider works.
    #[default]
    Lax,
    /// `Strict`. The transaction cookie stays `Lax`, or the callback could not read it.
    Strict,
    /// `None` (then `Secure` is forced, as browsers require).
    None,
}

impl SameSite {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Lax => "Lax",
            Self::Strict => "Strict",
            Self::None => "None",
        }
    }
}

/// Session-cookie attributes. Set them with [`ConfigBuilder::cookie`](crate::ConfigBuilder::cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieSettings {
    /// Name of the session cookie (default `__session`, as nextjs-auth0).
    pub name: String,
    /// `Path` (default `/`).
    pub path: String,
    /// `Domain`, if any.
    pub domain: Option<String>,
    /// `SameSite` (default `Lax`).
    pub same_site: SameSite,
    /// `Secure`; `None` (default) means "when `APP_BASE_URL` is https".
    pub secure: Option<bool>,
}

impl Default for CookieSettings {
    fn default() -> Self {
        Self {
            name: "__session".into(),
            path: "/".into(),
            domain: None,
            same_site: SameSite::Lax,
            secure: None,
        }
    }
}

impl CookieSettings {
    /// Sets the cookie name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
    /// Sets `Path`.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
    /// Sets `Domain`.
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }
    /// Sets `SameSite`.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }
    /// Forces `Secure` on or off.
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = Some(secure);
        self
    }
}
