//! A synthetic organisation: one site, a department tree, one user per
//! extension.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct Org {
    pub extensions: Vec<String>,
    pub departments: Vec<String>,
}

impl Org {
    /// `extensions` six-digit extensions (from 200000) spread over a
    /// three-level department tree.
    pub fn new(extensions: usize) -> Self {
        Org::numbered_from(200_000, extensions)
    }

    /// `extensions` extensions numbered from `first` (one PBX's share of a
    /// numbering plan), over the same department tree as [`Org::new`].
    pub fn numbered_from(first: u32, extensions: usize) -> Self {
        let mut departments = Vec::new();
        for division in ["Sales", "Engineering", "Finance", "Operations", "Support"] {
            for region in ["EMEA", "Americas", "APAC", "China"] {
                for team in 1..=10 {
                    departments.push(format!("Company\\{division}\\{region}\\Team {team:02}"));
                }
            }
        }
        let extensions = (0..extensions as u32).map(|i| format!("{}", first + i)).collect();
        Org { extensions, departments }
    }

    pub fn department_of(&self, extension_index: usize) -> &str {
        &self.departments[extension_index % self.departments.len()]
    }

    /// Writes the directory as `bluewhale load` reads it: `directory.toml`
    /// with the site, PBXs and departments, and `extensions.csv` with one
    /// user and extension per row. Returns the TOML's path.
    pub fn write_directory(&self, dir: &Path, pbxs: &[(&str, &str)]) -> io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let toml_path = dir.join("directory.toml");
        let mut t = io::BufWriter::new(std::fs::File::create(&toml_path)?);
        writeln!(t, "extensions_csv = [\"extensions.csv\"]\n")?;
        writeln!(
            t,
            "[organisation]\ntime_zone = \"{}\"\ncarrier = \"{}\"\nreference_carrier = \"{}\"\n",
            crate::AVAYA_ZONE,
            crate::tariffs::CARRIER,
            crate::tariffs::REFERENCE
        )?;
        writeln!(
            t,
            "[[site]]\nname = \"HQ\"\ntime_zone = \"{}\"\ncountry_code = \"33\"\narea_code = \"1\"\n",
            crate::AVAYA_ZONE
        )?;
        for (name, format) in pbxs {
            writeln!(t, "[[pbx]]\nname = \"{name}\"\nformat = \"{format}\"\nsite = \"HQ\"\n")?;
        }
        for d in &self.departments {
            writeln!(t, "[[department]]\npath = '{d}'\n")?;
        }
        t.flush()?;
        let mut c = io::BufWriter::new(std::fs::File::create(dir.join("extensions.csv"))?);
        writeln!(c, "number,site,department,valid_from")?;
        for (i, e) in self.extensions.iter().enumerate() {
            writeln!(c, "{e},HQ,{},2020-01-01", self.department_of(i))?;
        }
        c.flush()?;
        Ok(toml_path)
    }
}
