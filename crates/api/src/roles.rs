//! Who may do what. Every endpoint names one [`Permission`]; a role
//! either has it or not. What a `manager` or `user` sees of the calls is
//! narrowed further by its [`Scope`].

use store::accounts::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Calls, the dashboard and the live feed (narrowed by scope).
    CallsRead,
    /// Running and downloading reports (narrowed by scope).
    ReportsRun,
    DirectoryRead,
    DirectoryWrite,
    TariffsRead,
    TariffsWrite,
    ConnectorsRead,
    QuarantineRead,
    QuarantineRetry,
    AccountsManage,
    AuditRead,
    /// One's own session, password and API tokens.
    Own,
}

pub fn allowed(role: Role, p: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Admin => true,
        Role::Operator => !matches!(p, AccountsManage),
        Role::Finance => matches!(p, CallsRead | ReportsRun | DirectoryRead | TariffsRead | Own),
        Role::Manager => matches!(p, CallsRead | ReportsRun | Own),
        Role::User => matches!(p, CallsRead | Own),
    }
}

/// Which calls an account sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// These departments (subtrees already expanded).
    Departments(Vec<i64>),
    /// These directory extensions.
    Extensions(Vec<i64>),
}

impl Scope {
    /// Whether calls of this owner (department or 0, extension or 0) are
    /// in the scope.
    pub fn keeps(&self, department: i64, extension: i64) -> bool {
        match self {
            Scope::All => true,
            // Sorted: `department_subtrees` returns them so.
            Scope::Departments(ids) => ids.binary_search(&department).is_ok(),
            Scope::Extensions(ids) => ids.contains(&extension),
        }
    }

    /// The scope of an account, read from the store.
    pub fn of(account: &store::accounts::Account, store: &store::Store) -> store::Result<Scope> {
        Ok(match account.role {
            Role::Admin | Role::Operator | Role::Finance => Scope::All,
            Role::Manager => {
                Scope::Departments(store.department_subtrees(&account.department_ids)?)
            }
            Role::User => Scope::Extensions(match account.person_id {
                Some(person) => store.extensions_of_person(person)?,
                None => Vec::new(),
            }),
        })
    }
}
