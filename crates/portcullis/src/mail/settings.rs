//! The mail settings: `smtp_url` (parsed into an [`SmtpUrl`], its password never printed) and
//! `mail_from`.

use crate::config::SecretString;
use lettre::message::Mailbox;
use percent_encoding::percent_decode_str;
use portcullis_core::Issuer;
use std::fmt;
use std::net::IpAddr;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No TLS at all (`smtp://`): accepted only for a loopback host.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (`smtp://…?tls=starttls`).
    StartTls,
    /// TLS from the first byte (`smtps://`, usually port 465).
    Implicit,
}

/// A parsed `smtp_url`. `Debug` and `Display` show the password as `<redacted>`.
#[derive(Clone)]
pub struct SmtpUrl {
    pub security: Security,
    /// A host name or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// User name and password, percent-decoded from the URL's userinfo.
    pub credentials: Option<(String, SecretString)>,
}

impl SmtpUrl {
    /// Parses `smtp://host:port` (loopback only), `smtp://host:port?tls=starttls` and
    /// `smtps://user:pass@host:465`. Errors never repeat the URL (it may hold a password).
    pub fn parse(text: &str) -> Result<SmtpUrl, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| {
            format!("not a URL like smtp://127.0.0.1:25 or smtps://user:password@mail.example.com:465 ({e})")
        })?;
        let mut security = match url.scheme() {
            "smtp" => Security::None,
            "smtps" => Security::Implicit,
            other => {
                return Err(format!(
                    "scheme {other:?} is not supported: use smtp:// (with ?tls=starttls unless the server is on this machine) or smtps://"
                ));
            }
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "starttls", Security::None) => security = Security::StartTls,
                ("tls", _, Security::Implicit) => {
                    return Err("smtps:// always uses TLS; drop the tls parameter".into());
                }
                ("tls", other, _) => {
                    return Err(format!(
                        "tls={other:?} is not supported: the only value is tls=starttls"
                    ));
                }
                (other, _, _) => {
                    return Err(format!(
                        "unknown parameter {other:?}: the only one is tls=starttls"
                    ));
                }
            }
        }
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err("must not have a path or a fragment: smtp://host:port".into());
        }
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']'),
            _ => return Err("has no host: smtp://host:port".into()),
        };
        if security == Security::None && !is_loopback(host) {
            return Err(format!(
                "smtp:// without TLS is allowed only for a server on this machine (127.0.0.1, ::1, localhost), not {host:?}: use smtp://{host}:587?tls=starttls or smtps://{host}:465"
            ));
        }
        let port = url.port().unwrap_or(match security {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Implicit => 465,
        });
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err("has a password but no user name".into()),
            (_, None) => return Err("has a user name but no password (user:password@host)".into()),
            (user, Some(password)) => Some((
                decode(user, "the user name")?,
                SecretString::new(decode(password, "the password")?),
            )),
        };
        Ok(SmtpUrl {
            security,
            host: host.to_owned(),
            port,
            credentials,
        })
    }
}

fn decode(text: &str, what: &str) -> Result<String, String> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("{what} is not UTF-8 once percent-decoded"))
}

/// `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            Security::Implicit => "smtps",
            Security::None | Security::StartTls => "smtp",
        };
        write!(f, "{scheme}://")?;
        if let Some((user, _)) = &self.credentials {
            let user =
                percent_encoding::utf8_percent_encode(user, percent_encoding::NON_ALPHANUMERIC);
            write!(f, "{user}:<redacted>@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        if self.security == Security::StartTls {
            f.write_str("?tls=starttls")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

/// Where mail goes and whom it comes from.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `None`: mail is written to `<data_dir>/outbox/`.
    pub smtp: Option<SmtpUrl>,
    pub from: Mailbox,
}

impl MailConfig {
    /// Validates `smtp_url` and `mail_from` (default `Portcullis <no-reply@ISSUER_HOST>`).
    /// Problems come back as (setting, message) pairs.
    pub fn from_settings(
        smtp_url: Option<&SecretString>,
        mail_from: Option<&str>,
        issuer: Option<&Issuer>,
    ) -> Result<MailConfig, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let smtp = smtp_url
            .map(|u| u.expose().trim())
            .filter(|u| !u.is_empty())
            .and_then(|u| {
                SmtpUrl::parse(u)
                    .map_err(|e| problems.push(("smtp_url", e)))
                    .ok()
            });
        let from_text = match (mail_from, issuer) {
            (Some(text), _) => Some(text.trim().to_owned()),
            (None, Some(issuer)) => Some(default_from(issuer)),
            (None, None) => None, // the issuer's own problem is reported
        };
        let from = from_text.and_then(|text| {
            text.parse::<Mailbox>()
                .map_err(|_| {
                    problems.push((
                        "mail_from",
                        format!(
                            "{text:?} is not an address like no-reply@example.com or \"Example <no-reply@example.com>\""
                        ),
                    ))
                })
                .ok()
        });
        match from {
            Some(from) if problems.is_empty() => Ok(MailConfig { smtp, from }),
            _ => Err(problems),
        }
    }
}

/// `Portcullis <no-reply@HOST>`, HOST being the issuer's host.
pub fn default_from(issuer: &Issuer) -> String {
    let host = url::Url::parse(issuer.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("Portcullis <no-reply@{host}>")
}

#[cfg(test)]
mod tests;
