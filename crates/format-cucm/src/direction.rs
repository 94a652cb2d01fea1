//! Which way a call went. CUCM does not write it, so it is inferred from the
//! two device names: phones are named by a fixed pattern, everything else
//! (SIP and H.323 trunks, MGCP gateway ports, voicemail and CTI ports, media
//! resources) is named freely by the administrator and taken to be a trunk.
//! Voicemail and CTI ports, and the analog (FXS) ports of voice gateways,
//! are thus taken for trunks; classification, which checks the numbers
//! against the directory, corrects that.

use cdr::{Direction, Text};

/// Phone name patterns, from the device name rules of Cisco Unified CM
/// Administration. `hex` is the number of hexadecimal digits (a MAC address)
/// that must follow the prefix; `None` means a user-chosen suffix of 1–12
/// letters, digits, `.`, `_` or `-` (those names are at most 15 characters).
const PHONE_PATTERNS: &[(&str, Option<usize>)] = &[
    // Desk and video phones, IP Communicator: "SEP" + MAC.
    ("SEP", Some(12)),
    // Analog telephone adaptors (ATA 190/191): "ATA" + MAC.
    ("ATA", Some(12)),
    // Jabber / Webex app on a desktop.
    ("CSF", None),
    // Jabber / Webex app on Android.
    ("BOT", None),
    // Jabber / Webex app on iPhone.
    ("TCT", None),
    // Jabber / Webex app on a tablet.
    ("TAB", None),
    // IP Communicator when named by the administrator rather than by MAC.
    ("CIPC", None),
];

/// Is this device a phone? Prefixes compare case-insensitively.
pub(crate) fn is_phone(device: &str) -> bool {
    PHONE_PATTERNS.iter().any(|(prefix, hex)| {
        let Some(head) = device.get(..prefix.len()) else { return false };
        if !head.eq_ignore_ascii_case(prefix) {
            return false;
        }
        let rest = &device[prefix.len()..];
        match hex {
            Some(len) => rest.len() == *len && rest.bytes().all(|b| b.is_ascii_hexdigit()),
            None => {
                (1..=12).contains(&rest.len())
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            }
        }
    })
}

/// Direction and trunks of a call between two devices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Route {
    pub(crate) direction: Direction,
    pub(crate) trunk_in: Text,
    pub(crate) trunk_out: Text,
}

/// phone → phone is internal, phone → trunk outgoing, trunk → phone
/// incoming, trunk → trunk tandem. A call with a device missing (abandoned
/// before it was routed, a recording leg) is unknown.
pub(crate) fn route(orig_device: &Text, dest_device: &Text) -> Route {
    if orig_device.is_empty() || dest_device.is_empty() {
        return Route::default();
    }
    let none = Text::default;
    match (is_phone(orig_device), is_phone(dest_device)) {
        (true, true) => {
            Route { direction: Direction::Internal, trunk_in: none(), trunk_out: none() }
        }
        (true, false) => Route {
            direction: Direction::Outgoing,
            trunk_in: none(),
            trunk_out: dest_device.clone(),
        },
        (false, true) => Route {
            direction: Direction::Incoming,
            trunk_in: orig_device.clone(),
            trunk_out: none(),
        },
        (false, false) => Route {
            direction: Direction::Tandem,
            trunk_in: orig_device.clone(),
            trunk_out: dest_device.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_names() {
        for name in ["SEPCC7F750586B7", "sepcc7f750586b7", "ATA0011223344AA"] {
            assert!(is_phone(name), "{name}");
        }
        for name in ["CSFJSMITH", "BOTJSMITH", "TCTJSMITH", "TABJSMITH", "CIPCRECEPTION"] {
            assert!(is_phone(name), "{name}");
        }
        for name in ["SEP", "SEPCC7F750586B", "SEPCC7F750586BZ", "CSF", "CSFTHISNAMEISTOOLONG"] {
            assert!(!is_phone(name), "{name}");
        }
        for name in ["PSTN-GW-SIP", "CUBE_SIP_TRUNK", "10.1.1.1", "CiscoUM1-VI1", "", "é"] {
            assert!(!is_phone(name), "{name}");
        }
    }

    #[test]
    fn routes() {
        let phone = Text::from("SEPCC7F750586B7");
        let trunk = Text::from("PSTN-GW");
        let other = Text::from("CUBE-2");
        assert_eq!(route(&phone, &phone).direction, Direction::Internal);
        assert_eq!(
            route(&phone, &trunk),
            Route {
                direction: Direction::Outgoing,
                trunk_in: Text::default(),
                trunk_out: trunk.clone()
            }
        );
        assert_eq!(
            route(&trunk, &phone),
            Route {
                direction: Direction::Incoming,
                trunk_in: trunk.clone(),
                trunk_out: Text::default()
            }
        );
        assert_eq!(
            route(&trunk, &other),
            Route {
                direction: Direction::Tandem,
                trunk_in: trunk.clone(),
                trunk_out: other.clone()
            }
        );
        assert_eq!(route(&phone, &Text::default()).direction, Direction::Unknown);
    }
}
