//! Report languages and the few fixed words a report prints on its own.
//!
//! Everything else a reader sees (title, column headers, total labels) comes
//! from the report itself in both languages; this table only covers words the
//! writers add.

use std::fmt;
use std::str::FromStr;

/// The language a report is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The short code used on the command line and in the JSON output.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The BCP 47 tag written into HTML's `lang` attribute.
    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The fixed word `word` in this language.
    pub fn word(self, word: Word) -> &'static str {
        let (en, zh) = word.texts();
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "zh" | "zh-cn" => Ok(Lang::Zh),
            _ => Err(format!("unknown language: {s:?} (expected en or zh)")),
        }
    }
}

/// Words the writers print themselves, independent of any report's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// Label of the reporting period line.
    Period,
    /// Label of the generation time line.
    Generated,
    /// Label of the author line.
    CreatedBy,
    /// Start of the period range ("from X to Y").
    From,
    /// Middle of the period range.
    To,
    /// First cell of a total row that the report left empty.
    Total,
    /// First cell of a subtotal row that the report left empty.
    Subtotal,
    /// Heading over the report's totals.
    Summary,
    /// Fallback sheet name when a table has no usable name.
    Sheet,
}

impl Word {
    /// The translation table: (English, Chinese). The Chinese labels follow
    /// the wording of the department summary this project reproduces.
    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Word::Period => ("Period", "时间范围"),
            Word::Generated => ("Generated", "生成时间"),
            Word::CreatedBy => ("Created by", "创建者"),
            Word::From => ("from", "从"),
            Word::To => ("to", "到"),
            Word::Total => ("Total", "总计"),
            Word::Subtotal => ("Subtotal", "小计"),
            Word::Summary => ("Summary", "汇总"),
            Word::Sheet => ("Sheet", "工作表"),
        }
    }
}
