//! Adding users: the first is the bootstrap administrator; after that only admins add.

use chrono::Utc;
use hdab_permits::User;

use crate::{App, AppError};
use hdab_permits::access::{self, Duty};

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
