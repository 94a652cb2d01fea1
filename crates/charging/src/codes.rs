//! The small codes a charge stores for the classifier's enums.

use classify::{CallType, Service};

pub fn call_type_code(t: CallType) -> u8 {
    CallType::ALL.iter().position(|c| *c == t).unwrap_or(CallType::ALL.len() - 1) as u8
}

/// The call type of a stored code; unknown codes read as `Unknown`.
pub fn call_type_of(code: u8) -> CallType {
    CallType::ALL.get(usize::from(code)).copied().unwrap_or(CallType::Unknown)
}

const SERVICES: [Service; 6] = [
    Service::Ordinary,
    Service::Emergency,
    Service::TollFree,
    Service::Premium,
    Service::SharedCost,
    Service::ShortCode,
];

pub fn service_code(s: Service) -> u8 {
    SERVICES.iter().position(|c| *c == s).unwrap_or(0) as u8
}

pub fn service_of(code: u8) -> Service {
    SERVICES.get(usize::from(code)).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_the_stores_unclassified_code() {
        for t in CallType::ALL {
            assert_eq!(call_type_of(call_type_code(t)), t);
        }
        for s in SERVICES {
            assert_eq!(service_of(service_code(s)), s);
        }
        assert_eq!(call_type_of(store::UNCLASSIFIED), CallType::Unknown);
    }
}
