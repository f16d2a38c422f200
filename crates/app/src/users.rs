//! Adding users: the first is the bootstrap administrator; after that only admins add.

use chrono::Utc;
use hdab_permits::User;

use crate::{App, AppError};
use hdab_permits::access::{self, Duty};
use hdab_store::UserProfile;

impl App {
    /// Adds a user. The very first user must be an administrator and needs no actor.
    pub async fn add_user(&self, actor: Option<&str>, new: &User) -> Result<(), AppError> {
        let actor_id = actor.unwrap_or("bootstrap").to_string();
        let result = async {
            if self.store.count_users().await? == 0 {
                if !access::may_be_first_user(new) {
                    return Err(AppError::Refused(
                        "the first user must have the role admin".into(),
                    ));
                }
            } else {
                let Some(actor) = actor else {
                    return Err(AppError::Refused(
                        "say who you are (--as or HDAB_USER): only an admin adds users".into(),
                    ));
                };
                access::require(&self.user(actor).await?, Duty::AddUsers)?;
            }
            self.store.add_user(new, Utc::now()).await?;
            let roles: Vec<_> = new.roles.iter().map(|r| r.as_str()).collect();
            Ok(((), format!("roles {}", roles.join(","))))
        }
        .await;
        self.audited(&actor_id, "user.add", &new.id, result).await
    }

    /// Every user, for an administrator.
    pub async fn list_users(&self, actor: &str) -> Result<Vec<User>, AppError> {
        access::require(&self.user(actor).await?, Duty::ListUsers)?;
        self.users().await
    }
}

/// A change to a user's profile: each field given is set (an empty text clears it).
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub os_user: Option<String>,
    pub idp_subject: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
    /// `email` or `none`.
    pub notify: Option<String>,
}

impl App {
    /// Changes a user's profile. Ties to an operating-system account or an identity
    /// provider's subject are an administrator's; e-mail, language and notices the user's own
    /// (or an administrator's).
    pub async fn change_profile(
        &self,
        actor: &str,
        user_id: &str,
        change: &ProfileChange,
    ) -> Result<UserProfile, AppError> {
        let result = async {
            let me = self.user(actor).await?;
            if change.os_user.is_some() || change.idp_subject.is_some() {
                access::require(&me, Duty::LinkIdentities)?;
            }
            if (change.email.is_some() || change.language.is_some() || change.notify.is_some())
                && !access::may_edit_contact(&me, user_id)
            {
                return Err(AppError::Refused(
                    "a user's e-mail, language and notices are changed by the user or an administrator"
                        .into(),
                ));
            }
            let mut p = self.store.user_profile(user_id).await?;
            let text = |v: &Option<String>| v.as_ref().map(|t| t.trim().to_string());
            let set = |field: &mut Option<String>, v: &Option<String>| {
                if let Some(t) = text(v) {
                    *field = Some(t).filter(|t| !t.is_empty());
                }
            };
            set(&mut p.os_user, &change.os_user);
            set(&mut p.idp_subject, &change.idp_subject);
            set(&mut p.email, &change.email);
            if let Some(email) = &p.email
                && (!email.contains('@') || email.contains(char::is_whitespace))
            {
                return Err(AppError::Invalid(format!(
                    "'{email}' is not an e-mail address"
                )));
            }
            if let Some(lang) = text(&change.language) {
                p.language = hdab_i18n::Lang::from_code(&lang)
                    .ok_or_else(|| AppError::Invalid(format!("language '{lang}': give sv or en")))?
                    .code()
                    .to_string();
            }
            if let Some(notify) = text(&change.notify) {
                if !matches!(notify.as_str(), "email" | "none") {
                    return Err(AppError::Invalid(format!(
                        "notices '{notify}': give email or none"
                    )));
                }
                p.notify = notify;
            }
            self.store.set_user_profile(user_id, &p).await?;
            let said: Vec<&str> = [
                ("os-user", change.os_user.is_some()),
                ("subject", change.idp_subject.is_some()),
                ("email", change.email.is_some()),
                ("language", change.language.is_some()),
                ("notices", change.notify.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, given)| given.then_some(name))
            .collect();
            Ok((p, format!("changed {}", said.join(", "))))
        }
        .await;
        self.audited(actor, "user.profile", user_id, result).await
    }

    /// The user an operating-system account is mapped to.
    pub async fn user_of_os_account(&self, os_user: &str) -> Result<Option<User>, AppError> {
        match self.store.user_of_os_account(os_user).await? {
            Some(id) => Ok(Some(self.store.user(&id).await?)),
            None => Ok(None),
        }
    }

    /// A user's profile, for the user or an administrator.
    pub async fn user_profile(&self, actor: &str, user_id: &str) -> Result<UserProfile, AppError> {
        if !access::may_edit_contact(&self.user(actor).await?, user_id) {
            return Err(AppError::Refused(
                "a user's profile is shown to the user and to administrators".into(),
            ));
        }
        Ok(self.store.user_profile(user_id).await?)
    }
}
