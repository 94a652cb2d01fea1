//! A site's dial plan compiled for classification, and the analysis of a
//! dialled number's shape against it.
//!
//! Order of the rules, for an outgoing number (`classify.rs` handles the
//! direction and the directory first):
//! 1. `+…` is international (or national when the code is the site's own).
//! 2. An emergency short code, as dialled or after the access code, is free.
//! 3. The access code, when the number starts with one, is stripped; if
//!    what is left fits no rule but the number as dialled does, the number
//!    as dialled is used (PBXs differ in whether they record the code).
//! 4. International prefix → country code and number; national prefix →
//!    national significant number (NSN).
//! 5. Without prefix: a number of an NSN's length is an NSN (NANP 10-digit
//!    dialling, Chinese mobiles, French numbers whose 0 the PBX dropped);
//!    else a short service code; else a local number of an allowed length.
//! 6. An NSN's type comes from the longest toll-free / premium / shared-cost
//!    / mobile prefix it starts with, else local when it is in the site's
//!    area, else national; but international when the country table says
//!    the number belongs to another country sharing the code (NANP).

use crate::call_type::{CallType, Service, UnknownReason};
use crate::config::DialPlan;
use crate::countries::{CountryTable, Destination};
use crate::trie::DigitTrie;
use cdr::Text;

/// E.164 allows at most 15 digits after the `+`.
const E164_MAX_DIGITS: usize = 15;
/// The shortest international numbers in service (Niue, Tokelau: 3-digit
/// code and 4-digit number) have 7 digits.
const E164_MIN_DIGITS: usize = 7;

#[derive(Debug, Clone, Copy)]
enum Category {
    TollFree,
    Premium,
    SharedCost,
    Mobile,
}

/// Allowed number lengths as a bit set; all bits set = any length.
#[derive(Debug, Clone, Copy)]
struct Lengths(u64);

impl Lengths {
    fn new(lengths: Option<&[u8]>) -> Lengths {
        match lengths {
            None => Lengths(u64::MAX),
            Some(list) => {
                Lengths(list.iter().filter(|&&l| l < 64).fold(0, |bits, &l| bits | 1 << l))
            }
        }
    }

    #[inline]
    fn allows(self, length: usize) -> bool {
        length < 64 && self.0 & (1 << length) != 0
    }

    fn is_any(self) -> bool {
        self.0 == u64::MAX
    }
}

/// What the shape of a number says.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    pub(crate) call_type: CallType,
    pub(crate) service: Service,
    pub(crate) e164: Text,
    pub(crate) destination: Option<&'static Destination>,
}

#[derive(Debug, Clone)]
pub(crate) struct SitePlan {
    country_code: Box<str>,
    area_code: Box<str>,
    national_prefix: Box<str>,
    international_prefix: Box<str>,
    access_codes: DigitTrie<()>,
    local_lengths: Lengths,
    national_lengths: Lengths,
    emergency: DigitTrie<()>,
    short_codes: DigitTrie<()>,
    categories: DigitTrie<Category>,
    table: &'static CountryTable,
    home: Option<&'static Destination>,
}

impl SitePlan {
    pub(crate) fn new(plan: &DialPlan) -> SitePlan {
        let table = CountryTable::shipped();
        let set = |list: &[String]| {
            let mut trie = DigitTrie::default();
            for entry in list {
                trie.insert(entry.as_bytes(), ());
            }
            trie
        };
        let mut categories = DigitTrie::default();
        let lists = [
            (&plan.mobile, Category::Mobile),
            (&plan.shared_cost, Category::SharedCost),
            (&plan.premium, Category::Premium),
            (&plan.toll_free, Category::TollFree),
        ];
        for (list, category) in lists {
            for prefix in list {
                categories.insert(prefix.as_bytes(), category);
            }
        }
        SitePlan {
            country_code: plan.country_code.as_str().into(),
            area_code: plan.area_code.as_str().into(),
            national_prefix: plan.national_prefix.as_str().into(),
            international_prefix: plan.international_prefix.as_str().into(),
            access_codes: set(&plan.access_codes),
            local_lengths: Lengths::new(plan.local_number_lengths.as_deref()),
            national_lengths: Lengths::new(plan.national_number_lengths.as_deref()),
            emergency: set(&plan.emergency),
            short_codes: set(&plan.short_codes),
            categories,
            table,
            home: table.country(&plan.country_code),
        }
    }

    /// Whether `digits` (dialled without `+`), as they are or after their
    /// access code, are an emergency (or other free) short code.
    #[inline]
    pub(crate) fn is_emergency(&self, digits: &str) -> bool {
        if self.emergency.is_empty() {
            return false;
        }
        self.emergency.exact(digits.as_bytes()).is_some()
            || self
                .strip_access_code(digits)
                .is_some_and(|rest| self.emergency.exact(rest.as_bytes()).is_some())
    }

    pub(crate) fn emergency(&self) -> Analysis {
        Analysis {
            call_type: CallType::Free,
            service: Service::Emergency,
            e164: Text::default(),
            destination: self.home,
        }
    }

    /// Analyses a number the site dialled out: its digits, and whether it
    /// was written with `+`.
    pub(crate) fn outgoing(&self, digits: &str, plus: bool) -> Result<Analysis, UnknownReason> {
        if plus {
            return self.international(digits);
        }
        match self.strip_access_code(digits) {
            Some(rest) => {
                self.number(rest).or_else(|stripped| self.number(digits).or(Err(stripped)))
            }
            None => self.number(digits),
        }
    }

    /// Analyses the number of an outside caller, as the trunk presented it.
    pub(crate) fn incoming(&self, digits: &str, plus: bool) -> Result<Analysis, UnknownReason> {
        if plus { self.international(digits) } else { self.number(digits) }
    }

    /// The rest of `digits` after the longest access code it starts with,
    /// when something is left.
    #[inline]
    fn strip_access_code<'a>(&self, digits: &'a str) -> Option<&'a str> {
        let (length, ()) = self.access_codes.longest(digits.as_bytes())?;
        digits.get(length..).filter(|rest| !rest.is_empty())
    }

    /// A number as dialled on a line of the site: with international or
    /// national prefix, or neither.
    fn number(&self, digits: &str) -> Result<Analysis, UnknownReason> {
        if let Some(rest) = digits.strip_prefix(&*self.international_prefix) {
            return self.international(rest);
        }
        if !self.national_prefix.is_empty()
            && let Some(nsn) = digits.strip_prefix(&*self.national_prefix)
        {
            return self.national(nsn);
        }
        if !self.national_lengths.is_any() && self.national_lengths.allows(digits.len()) {
            return self.national(digits);
        }
        if self.short_codes.longest(digits.as_bytes()).is_some() {
            return Ok(Analysis {
                call_type: CallType::Local,
                service: Service::ShortCode,
                e164: Text::default(),
                destination: self.home,
            });
        }
        if self.local_lengths.allows(digits.len()) {
            return self.local(digits);
        }
        Err(UnknownReason::BadLocalLength)
    }

    /// Country code and number (what follows `+` or the international
    /// prefix).
    fn international(&self, digits: &str) -> Result<Analysis, UnknownReason> {
        let destination = self.table.lookup(digits).ok_or(UnknownReason::UnknownCountryCode)?;
        if *destination.country_prefix == *self.country_code {
            let nsn = digits.get(self.country_code.len()..).unwrap_or_default();
            return self.national(nsn);
        }
        if !(E164_MIN_DIGITS..=E164_MAX_DIGITS).contains(&digits.len()) {
            return Err(UnknownReason::BadInternationalLength);
        }
        let e164 = e164(&[digits]).ok_or(UnknownReason::BadInternationalLength)?;
        Ok(Analysis {
            call_type: CallType::International,
            service: Service::Ordinary,
            e164,
            destination: Some(destination),
        })
    }

    /// A national significant number of the site's country.
    fn national(&self, nsn: &str) -> Result<Analysis, UnknownReason> {
        if nsn.is_empty() || !self.national_lengths.allows(nsn.len()) {
            return Err(UnknownReason::BadNationalLength);
        }
        let (call_type, service) = match self.categories.longest(nsn.as_bytes()) {
            Some((_, Category::TollFree)) => (CallType::Free, Service::TollFree),
            Some((_, Category::Premium)) => (CallType::National, Service::Premium),
            Some((_, Category::SharedCost)) => (CallType::Local, Service::SharedCost),
            Some((_, Category::Mobile)) => (CallType::Mobile, Service::Ordinary),
            None if !self.area_code.is_empty() && nsn.starts_with(&*self.area_code) => {
                (CallType::Local, Service::Ordinary)
            }
            None => (CallType::National, Service::Ordinary),
        };
        let e164 = e164(&[&self.country_code, nsn]).ok_or(UnknownReason::BadNationalLength)?;
        let destination = self.table.lookup(e164.get(1..).unwrap_or_default()).or(self.home);
        // Another country sharing the code, dialled like a national number
        // (NANP: 1 242 … is the Bahamas): priced as international.
        let foreign = destination.is_some_and(|d| *d.country_prefix != *self.country_code);
        let call_type = if foreign && service == Service::Ordinary {
            CallType::International
        } else {
            call_type
        };
        Ok(Analysis { call_type, service, e164, destination })
    }

    /// A number dialled without area code, in the site's area.
    fn local(&self, local: &str) -> Result<Analysis, UnknownReason> {
        if self.area_code.is_empty() {
            // Without an area code the number cannot be made E.164.
            return Ok(Analysis {
                call_type: CallType::Local,
                service: Service::Ordinary,
                e164: Text::default(),
                destination: self.home,
            });
        }
        let e164 = e164(&[&self.country_code, &self.area_code, local])
            .ok_or(UnknownReason::BadLocalLength)?;
        let destination = self.table.lookup(e164.get(1..).unwrap_or_default()).or(self.home);
        Ok(Analysis { call_type: CallType::Local, service: Service::Ordinary, e164, destination })
    }
}

/// `+` and the parts, or `None` past 15 digits. Built on the stack; the
/// result fits `Text`'s inline storage, so no allocation.
#[inline]
fn e164(parts: &[&str]) -> Option<Text> {
    let mut buf = [b'+'; 1 + E164_MAX_DIGITS];
    let mut len = 1;
    for part in parts {
        let end = len + part.len();
        buf.get_mut(len..end)?.copy_from_slice(part.as_bytes());
        len = end;
    }
    // The parts are digits: this check is a formality the ASCII fast path
    // makes cheap.
    std::str::from_utf8(buf.get(..len)?).ok().map(Text::from)
}
