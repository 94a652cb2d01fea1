//! Building audit entries for changes made through the API.

use crate::caller::Caller;
use store::accounts::AuditEntry;

/// An entry for `action` on `entity` by `caller`, now.
pub fn entry(caller: &Caller, action: &str, entity: &str, entity_id: Option<String>) -> AuditEntry {
    AuditEntry {
        at: jiff::Timestamp::now().as_second(),
        actor: caller.name().to_string(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id,
        peer: caller.peer.clone(),
        ..Default::default()
    }
}
