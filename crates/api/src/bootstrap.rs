//! The first run: with no account yet, an administrator `admin` is
//! created, with the password from `BLUEWHALE_ADMIN_PASSWORD` or a
//! generated one that the server prints once.

use crate::secret::{check_new_password, generate_password, hash_password};
use store::Store;
use store::accounts::{AccountFields, AuditEntry, Role};

/// The environment variable that sets the first administrator's password.
pub const ADMIN_PASSWORD_ENV: &str = "BLUEWHALE_ADMIN_PASSWORD";

/// What the first run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Accounts exist already.
    Existing,
    /// Created with the password from the environment.
    FromEnvironment,
    /// Created with this generated password (print it once).
    Generated(String),
}

/// Creates the first administrator if there is no account.
pub fn ensure_admin(store: &Store, env_password: Option<String>) -> Result<FirstAdmin, String> {
    if store.account_count().map_err(|e| e.to_string())? > 0 {
        return Ok(FirstAdmin::Existing);
    }
    let (password, outcome) = match env_password.filter(|p| !p.is_empty()) {
        Some(p) => {
            check_new_password(&p, "admin").map_err(|e| format!("{ADMIN_PASSWORD_ENV}: {e}"))?;
            (p, FirstAdmin::FromEnvironment)
        }
        None => {
            let p = generate_password();
            (p.clone(), FirstAdmin::Generated(p))
        }
    };
    let now = jiff::Timestamp::now().as_second();
    let fields = AccountFields {
        username: "admin".into(),
        display_name: "Administrator".into(),
        role: Some(Role::Admin),
        ..Default::default()
    };
    let entry = AuditEntry {
        at: now,
        actor: "system".into(),
        action: "account.create".into(),
        entity: "account".into(),
        ..Default::default()
    };
    let hash = hash_password(&password);
    store
        .audited(entry, |w, _, e| {
            let id = w.create(&fields, &hash, now)?;
            e.entity_id = Some(id.to_string());
            Ok(id)
        })
        .map_err(|e| e.to_string())?;
    Ok(outcome)
}
