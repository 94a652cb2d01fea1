//! What a classification says about a call.

use std::fmt;

/// The call types of the department report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallType {
    /// To an extension at the caller's own site.
    Internal,
    /// To an extension at another site of the organisation.
    Onnet,
    /// Within the site's local area.
    Local,
    /// Long distance within the site's country.
    National,
    Mobile,
    International,
    /// Emergency, toll-free and other numbers the caller does not pay.
    Free,
    /// Received from outside, whatever the number looks like.
    Inbound,
    /// The number's shape fits no rule of the dial plan; see the reason.
    Unknown,
}

impl CallType {
    pub const ALL: [CallType; 9] = [
        CallType::Internal,
        CallType::Onnet,
        CallType::Local,
        CallType::National,
        CallType::Mobile,
        CallType::International,
        CallType::Free,
        CallType::Inbound,
        CallType::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Internal => "internal",
            CallType::Onnet => "onnet",
            CallType::Local => "local",
            CallType::National => "national",
            CallType::Mobile => "mobile",
            CallType::International => "international",
            CallType::Free => "free",
            CallType::Inbound => "inbound",
            CallType::Unknown => "unknown",
        }
    }

    pub fn parse(name: &str) -> Option<CallType> {
        CallType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for CallType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of number within a call type, when the dial plan singles it
/// out: tariffs and reports may treat these apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Service {
    #[default]
    Ordinary,
    /// An emergency or other free short code (`112`, `911`, `110`).
    Emergency,
    /// A freephone number (`0800…`, `1-800…`, China `800…`).
    TollFree,
    /// A premium-rate or service-charge number (`089…`, `1-900…`); typed
    /// `national`.
    Premium,
    /// A number the caller pays a fixed, usually local, rate for (China
    /// `400…`, Germany `0180…`); typed `local`.
    SharedCost,
    /// A short service number dialled without area code (China `10086`,
    /// `95555`; UK `118 118`; US `411`); typed `local`.
    ShortCode,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Ordinary => "ordinary",
            Service::Emergency => "emergency",
            Service::TollFree => "toll_free",
            Service::Premium => "premium",
            Service::SharedCost => "shared_cost",
            Service::ShortCode => "short_code",
        }
    }
}

/// Why a number could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnknownReason {
    EmptyNumber,
    /// Characters other than digits, a leading `+` and separators.
    NotANumber,
    /// Starts with `*` or `#`: a PBX feature code, not a destination.
    FeatureCode,
    /// More digits than any real number has.
    TooLong,
    /// After the international prefix or `+`, no known country code.
    UnknownCountryCode,
    /// An international number too short or too long for E.164.
    BadInternationalLength,
    /// A national number whose length the dial plan does not allow.
    BadNationalLength,
    /// A number without prefix whose length is neither a local nor a
    /// national number's.
    BadLocalLength,
    /// The call's site has no dial plan (and there is no default).
    NoDialPlan,
}

impl UnknownReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownReason::EmptyNumber => "empty number",
            UnknownReason::NotANumber => "not a number",
            UnknownReason::FeatureCode => "feature code",
            UnknownReason::TooLong => "too many digits",
            UnknownReason::UnknownCountryCode => "unknown country code",
            UnknownReason::BadInternationalLength => "bad international number length",
            UnknownReason::BadNationalLength => "bad national number length",
            UnknownReason::BadLocalLength => "bad local number length",
            UnknownReason::NoDialPlan => "no dial plan for the site",
        }
    }
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
