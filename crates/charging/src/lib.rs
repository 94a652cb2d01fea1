//! Charging: what a call is and what it costs. From the directory (sites,
//! trunks, paid numbers), the dial plans and the tariff book, a
//! [`Charger`] turns a call's facts into a [`store::Charge`]: call type,
//! E.164 number and destination, carrier, cost on that carrier's tariff,
//! reference cost on the site's PSTN tariff, and how each was computed.
//!
//! The same charger serves the import pipeline, re-rating, what-if pricing
//! and `explain`, so a call is always priced the same way. It also keeps
//! the tariff book in the store ([`tariffs`]) and files calls under the
//! reporting zone's days and months ([`Calendar`]).

mod calendar;
mod charger;
mod codes;
mod period;
pub mod tariffs;

pub use calendar::Calendar;
pub use charger::{CallFacts, Charger, ChargerError, Period};
pub use codes::{call_type_code, call_type_of, service_code, service_of};
pub use period::{Ledger, PeriodOwner};
pub use store::days::{date_of_day, day_number, first_day_of_month, month_number, month_of_day};
