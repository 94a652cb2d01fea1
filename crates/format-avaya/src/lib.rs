//! Avaya Communication Manager call detail records in the "customized"
//! format: fixed-width lines whose layout the administrator chooses on page
//! 2 of the `system-parameters cdr` form, as an ordered list of data items
//! and widths (see [`Layout`]). CM sends them over TCP to a listening
//! adjunct, raw or under its Reliable Session Protocol; each record ends in
//! the layout's `return` and `line-feed` items.
//!
//! ```
//! use format_avaya::{AvayaParser, DateOrder, Layout};
//! let layout = Layout::parse("date 6, space, time 4, space, sec-dur 5, space, \
//!     calling-num 5, space, dialed-num 11, space, cond-code 1, return, line-feed").unwrap();
//! assert_eq!(layout.record_len(), 39);
//! let parser = AvayaParser::new(layout, DateOrder::MonthDay, cdr::ParserContext::default());
//! # let _ = parser;
//! ```

pub mod condition;
mod data_item;
mod layout;
mod parser;
mod when;

pub use data_item::DataItem;
pub use layout::Layout;
pub use parser::AvayaParser;
pub use when::DateOrder;
