//! Departments as a report request names them (by id or path), and the
//! top departments of a set of subtrees, for a report's header.

use crate::{Names, Result};
use std::collections::{BTreeSet, HashSet};
use store::Store;

/// A department named by its id or its path (`Company\Sales`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartmentRef {
    Id(i64),
    Path(String),
}

/// A department found in the directory, with its subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: i64,
    pub path: String,
    /// Its id and the ids of every department below it.
    pub subtree: BTreeSet<i64>,
}

/// The department `r` names, or `None` if there is none.
pub fn resolve(store: &Store, r: &DepartmentRef) -> Result<Option<Department>> {
    let subtree: BTreeSet<i64> = match r {
        DepartmentRef::Id(id) => store.department_subtrees(&[*id])?.into_iter().collect(),
        DepartmentRef::Path(path) => match store.department_subtree(path) {
            Ok(ids) => ids.into_iter().collect(),
            Err(store::Error::Invalid(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        },
    };
    // The department itself is the one of its subtree with the shortest path.
    let mut top: Option<(i64, String)> = None;
    let mut stmt =
        store.connection().prepare_cached("SELECT path FROM department WHERE id = ?1")?;
    for &id in &subtree {
        let path: String = stmt.query_row([id], |row| row.get(0))?;
        if top.as_ref().is_none_or(|(_, p)| path.len() < p.len()) {
            top = Some((id, path));
        }
    }
    Ok(top.map(|(id, path)| Department { id, path, subtree }))
}

/// The paths of the departments of `ids` that have no ancestor in `ids`,
/// sorted: a manager's departments as the report header names them.
pub fn roots(names: &Names, ids: &BTreeSet<i64>) -> Vec<String> {
    let paths: HashSet<&str> = ids.iter().map(|id| names.department(*id)).collect();
    let mut roots: Vec<String> = paths
        .iter()
        .filter(|path| {
            let mut ancestor = **path;
            while let Some((parent, _)) = ancestor.rsplit_once('\\') {
                if paths.contains(parent) {
                    return false;
                }
                ancestor = parent;
            }
            !path.is_empty()
        })
        .map(|p| p.to_string())
        .collect();
    roots.sort();
    roots
}
