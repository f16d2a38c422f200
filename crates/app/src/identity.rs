//! How the caller of a command was identified, for the audit log's "who": the front door
//! that identified them (the CLI, the web, the SPE gateway) runs the command inside
//! [`identified`], and every audit entry the command writes records it.
//!
//! The front doors decide identity; `permits` decides what an identified user may do. A
//! user named with `--as` on the embedded default is `asserted`: taken on trust, and said
//! so in the log.

use std::future::Future;

/// How a caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Named with `--as` (or `HDAB_USER`) on the embedded default, taken on trust.
    Asserted,
    /// The operating-system account running the command, mapped to the user
    /// (`hdab users link --os-user`).
    OsAccount(String),
    /// An API token (`Authorization: Bearer`, or `HDAB_TOKEN` on the command line).
    ApiToken,
    /// A local password (a web session opened with it, or the gateway's Basic sign-in).
    Password,
    /// The identity provider (OpenID Connect), with the authentication context it reported.
    Oidc { acr: String },
}

impl Via {
    /// What the audit log records.
    pub fn as_audit(&self) -> String {
        match self {
            Via::Asserted => "asserted".into(),
            Via::OsAccount(name) => format!("os-account:{name}"),
            Via::ApiToken => "api-token".into(),
            Via::Password => "password".into(),
            Via::Oidc { acr } if acr.is_empty() => "oidc".into(),
            Via::Oidc { acr } => format!("oidc:{acr}"),
        }
    }
}

tokio::task_local! {
    static VIA: Via;
}

/// Runs `work` as a caller identified by `via`: every audit entry it writes says so.
pub async fn identified<F: Future>(via: Via, work: F) -> F::Output {
    VIA.scope(via, work).await
}

/// How the current caller was identified, as the log records it (empty for the system's
/// own work: the daily sweep, recovery at start).
pub(crate) fn current() -> String {
    VIA.try_with(Via::as_audit).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_identification_holds_inside_the_command_only() {
        assert_eq!(current(), "");
        let inside = identified(Via::OsAccount("dora".into()), async { current() }).await;
        assert_eq!(inside, "os-account:dora");
        assert_eq!(current(), "");
    }
}
