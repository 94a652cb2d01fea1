//! JSON shapes shared by several endpoints.

use serde::Serialize;
use store::accounts::Account;
use utoipa::ToSchema;

/// An account as the API shows it (never its password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `admin`, `operator`, `finance`, `manager` or `user`.
    pub role: String,
    /// Role `manager`: the departments it sees (with their subtrees).
    pub department_ids: Vec<i64>,
    /// Role `user`: the directory user whose extensions' calls it sees.
    pub person_id: Option<i64>,
    pub disabled: bool,
    /// RFC 3339, while failed sign-ins keep it locked.
    pub locked_until: Option<String>,
    /// Client-certificate sign-in: the certificate subject CN.
    pub cert_subject: Option<String>,
    pub created_at: String,
}

pub fn time(s: i64) -> String {
    jiff::Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default()
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> AccountView {
        let now = jiff::Timestamp::now().as_second();
        AccountView {
            id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.as_str().to_string(),
            department_ids: a.department_ids.clone(),
            person_id: a.person_id,
            disabled: a.disabled,
            locked_until: a.locked_until.filter(|&t| t > now).map(time),
            cert_subject: a.cert_subject.clone(),
            created_at: time(a.created_at),
        }
    }
}

/// JSON of an entity for the audit log.
pub fn audit_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}
