//! Names of what ids stand for, read once per report in whole-table
//! passes (one query per table, not one per row).

use crate::Result;
use std::collections::HashMap;
use store::Store;

#[derive(Debug, Default)]
pub struct Names {
    /// Extension period id → (number, user name).
    extensions: HashMap<i64, (String, String)>,
    users: HashMap<i64, String>,
    departments: HashMap<i64, String>,
    carriers: HashMap<i64, (String, String)>,
    sites: HashMap<i64, String>,
    trunks: HashMap<i64, String>,
    pbxs: HashMap<i64, String>,
}

fn pairs(store: &Store, sql: &str) -> Result<HashMap<i64, String>> {
    let mut stmt = store.connection().prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, Option<String>>(1)?)))?;
    let mut map = HashMap::new();
    for row in rows {
        let (id, name) = row?;
        map.insert(id, name.unwrap_or_default());
    }
    Ok(map)
}

impl Names {
    pub fn load(store: &Store) -> Result<Names> {
        let mut extensions = HashMap::new();
        let mut stmt = store.connection().prepare(
            "SELECT e.id, e.number, p.name FROM extension e LEFT JOIN person p ON p.id = e.person_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let user: Option<String> = r.get(2)?;
            extensions.insert(r.get(0)?, (r.get(1)?, user.unwrap_or_default()));
        }
        let mut carriers = HashMap::new();
        let mut stmt = store.connection().prepare("SELECT id, name, currency FROM carrier")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            carriers.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
        Ok(Names {
            extensions,
            users: pairs(store, "SELECT id, name FROM person")?,
            departments: pairs(store, "SELECT id, path FROM department")?,
            carriers,
            sites: pairs(store, "SELECT id, name FROM site")?,
            trunks: pairs(
                store,
                "SELECT id, CASE WHEN name = '' THEN code ELSE name END FROM trunk",
            )?,
            pbxs: pairs(store, "SELECT id, name FROM pbx")?,
        })
    }

    /// (number, user) of an extension period; empty for 0 / unknown.
    pub fn extension(&self, id: i64) -> (&str, &str) {
        self.extensions.get(&id).map_or(("", ""), |(n, u)| (n.as_str(), u.as_str()))
    }

    pub fn user(&self, id: Option<i64>) -> &str {
        id.and_then(|id| self.users.get(&id)).map_or("", String::as_str)
    }

    pub fn department(&self, id: i64) -> &str {
        self.departments.get(&id).map_or("", String::as_str)
    }

    pub fn carrier(&self, id: i64) -> &str {
        self.carriers.get(&id).map_or("", |(n, _)| n.as_str())
    }

    pub fn carrier_currency(&self, id: i64) -> Option<&str> {
        self.carriers.get(&id).map(|(_, c)| c.as_str())
    }

    pub fn site(&self, id: Option<i64>) -> &str {
        id.and_then(|id| self.sites.get(&id)).map_or("", String::as_str)
    }

    pub fn trunk(&self, id: Option<i64>) -> &str {
        id.and_then(|id| self.trunks.get(&id)).map_or("", String::as_str)
    }

    pub fn pbx(&self, id: i64) -> &str {
        self.pbxs.get(&id).map_or("", String::as_str)
    }
}
