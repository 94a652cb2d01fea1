//! What turning records into calls needs besides the records: the
//! directory's index, the charger (dial plans, tariffs) and the reporting
//! calendar. Built once per import or retry, shared by every thread.

use charging::{Calendar, Charger};
use directory::DirectoryIndex;
use std::sync::Arc;
use store::Store;

pub struct Context {
    pub index: DirectoryIndex,
    pub charger: Charger,
    pub calendar: Calendar,
}

impl Context {
    /// The context of the store as it is now.
    pub fn load(store: &Store) -> Result<Context, String> {
        let directory = store.directory().map_err(|e| e.to_string())?;
        Context::with_index(store, DirectoryIndex::build(&directory))
    }

    /// The context around an index already built.
    pub fn with_index(store: &Store, index: DirectoryIndex) -> Result<Context, String> {
        let book = charging::tariffs::load_book(store).map_err(|e| format!("tariffs: {e}"))?;
        let charger = Charger::new(store, Arc::new(book)).map_err(|e| e.to_string())?;
        let calendar = Calendar::new(store.reporting_zone().map_err(|e| e.to_string())?);
        Ok(Context { index, charger, calendar })
    }
}
