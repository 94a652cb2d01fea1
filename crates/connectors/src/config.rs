//! The `[[pbx]]` entries of the server configuration: which PBX, in which
//! format, reached how. Unknown keys are errors, so a typo never turns a
//! connector silently into its default.

use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// One PBX and how its records arrive.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PbxConfig {
    /// The PBX's name in the directory (`bluewhale load`).
    pub name: String,
    /// The record format (`bluewhale formats`), e.g. `avaya:avaya-97`.
    pub format: String,
    /// Raise an alarm when no record came for this long (`15m`, `2h`).
    #[serde(default, deserialize_with = "optional_duration")]
    pub silent_after: Option<Duration>,
    pub connector: ConnectorConfig,
}

/// How records reach the server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ConnectorConfig {
    /// The PBX connects in and streams records (Avaya CM, 3CX client mode,
    /// any line stream). `peers`, when given, are the only addresses
    /// accepted. One entry per address: two `[[pbx]]` entries cannot
    /// listen on the same one, and several peers of one entry are one PBX
    /// (their records are this entry's).
    TcpListen {
        listen: SocketAddr,
        #[serde(default)]
        peers: Vec<std::net::IpAddr>,
    },
    /// The server connects out to the PBX's port (Mitel SMDR, Panasonic,
    /// NEC SMDR), reconnecting with backoff.
    TcpConnect {
        connect: String,
        #[serde(default)]
        protocol: ClientProtocol,
        /// NEC SMDR: the device number the PBX is programmed with (0–99;
        /// larger numbers are refused, since the texts carry two digits).
        #[serde(default, deserialize_with = "nec_device")]
        device: u8,
    },
    /// Avaya's Reliable Session Protocol, server side.
    Rsp { listen: SocketAddr },
    /// A serial line.
    Serial {
        port: PathBuf,
        #[serde(default = "default_baud")]
        baud: u32,
        #[serde(default)]
        parity: Parity,
        #[serde(default)]
        flow_control: FlowControl,
        /// 8, or 7 for the 7E1 lines older PBXs print on.
        #[serde(default = "default_data_bits")]
        data_bits: u8,
        #[serde(default = "default_stop_bits")]
        stop_bits: u8,
    },
    /// Files dropped in a directory, each moved to `done/` once all its
    /// records are durable in the raw journal (stored after that, like
    /// every other connector's records).
    FileDrop {
        dir: PathBuf,
        #[serde(default)]
        pattern: Option<String>,
        /// A file is taken once unchanged this long (default 2s).
        #[serde(default, deserialize_with = "optional_duration")]
        settle: Option<Duration>,
        /// A built-in FTP receiver writing into `dir` (Cisco UCM pushes its
        /// CDR files to billing servers by FTP).
        #[serde(default)]
        ftp: Option<FtpReceive>,
    },
    /// FreeSWITCH `mod_json_cdr` POSTs to the server's HTTP port.
    Http {
        path: String,
        /// The environment variable holding the bearer token.
        token_env: String,
    },
}

impl ConnectorConfig {
    /// The kind's name, as the configuration writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectorConfig::TcpListen { .. } => "tcp-listen",
            ConnectorConfig::TcpConnect { .. } => "tcp-connect",
            ConnectorConfig::Rsp { .. } => "rsp",
            ConnectorConfig::Serial { .. } => "serial",
            ConnectorConfig::FileDrop { .. } => "file-drop",
            ConnectorConfig::Http { .. } => "http",
        }
    }
}

/// The FTP receiver of a file drop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FtpReceive {
    pub listen: SocketAddr,
    pub user: String,
    /// The environment variable holding the password.
    pub password_env: String,
}

/// What an outgoing TCP connection speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientProtocol {
    /// The PBX streams lines once connected.
    #[default]
    Lines,
    /// NEC's SMDR request/acknowledge framing.
    NecSmdr,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Parity {
    #[default]
    None,
    Odd,
    Even,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowControl {
    #[default]
    None,
    Software,
    Hardware,
}

fn default_baud() -> u32 {
    9600
}

fn default_data_bits() -> u8 {
    8
}

fn default_stop_bits() -> u8 {
    1
}

/// A duration written as `90s`, `15m`, `2h`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let mut total = 0u64;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("not a duration (like 90s, 15m, 2h, 1d): {text:?}")),
        };
        let n: u64 = number.parse().map_err(|_| format!("not a duration: {text:?}"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        number.clear();
        seen_unit = true;
    }
    if !number.is_empty() || !seen_unit {
        return Err(format!("not a duration (like 90s, 15m, 2h, 1d): {text:?}"));
    }
    Ok(Duration::from_secs(total))
}

/// The highest NEC SMDR device number: the texts carry it in two digits.
const MAX_NEC_DEVICE: u8 = 99;

fn nec_device<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let device = i64::deserialize(d)?;
    u8::try_from(device).ok().filter(|n| *n <= MAX_NEC_DEVICE).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "device: the NEC SMDR device number is 0–{MAX_NEC_DEVICE}, not {device}"
        ))
    })
}

fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    text.map(|t| parse_duration(&t).map_err(serde::de::Error::custom)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        pbx: Vec<PbxConfig>,
    }

    #[test]
    fn every_connector_kind_reads() {
        let text = r#"
            [[pbx]]
            name = "avaya-hq"
            format = "avaya:avaya-97"
            silent_after = "15m"
            connector = { kind = "tcp-listen", listen = "0.0.0.0:5101", peers = ["10.0.0.5"] }

            [[pbx]]
            name = "nec-lyon"
            format = "nec"
            connector = { kind = "tcp-connect", connect = "10.1.0.9:60010", protocol = "nec-smdr" }

            [[pbx]]
            name = "cm-rsp"
            format = "avaya:avaya-97"
            connector = { kind = "rsp", listen = "0.0.0.0:5102" }

            [[pbx]]
            name = "old"
            format = "avaya:avaya-97"
            connector = { kind = "serial", port = "/dev/ttyS0", baud = 19200, parity = "even" }

            [[pbx]]
            name = "cucm"
            format = "cucm"
            connector = { kind = "file-drop", dir = "/var/spool/cucm", pattern = "cdr_*", settle = "5s", ftp = { listen = "0.0.0.0:2121", user = "cucm", password_env = "BW_FTP" } }

            [[pbx]]
            name = "fs"
            format = "freeswitch"
            connector = { kind = "http", path = "/cdr/fs", token_env = "BW_FS_TOKEN" }
        "#;
        let file: File = toml::from_str(text).unwrap();
        assert_eq!(file.pbx.len(), 6);
        assert_eq!(file.pbx[0].silent_after, Some(Duration::from_secs(900)));
        assert!(matches!(
            &file.pbx[1].connector,
            ConnectorConfig::TcpConnect { protocol: ClientProtocol::NecSmdr, .. }
        ));
        assert!(matches!(
            &file.pbx[4].connector,
            ConnectorConfig::FileDrop { settle: Some(d), ftp: Some(FtpReceive { user, .. }), .. }
                if *d == Duration::from_secs(5) && user == "cucm"
        ));
        assert!(matches!(
            &file.pbx[3].connector,
            ConnectorConfig::Serial {
                baud: 19200,
                parity: Parity::Even,
                flow_control: FlowControl::None,
                data_bits: 8,
                stop_bits: 1,
                ..
            }
        ));
    }

    #[test]
    fn a_typo_is_an_error_not_a_default() {
        let text = r#"
            [[pbx]]
            name = "a"
            format = "avaya:avaya-97"
            connector = { kind = "tcp-listen", listen = "0.0.0.0:5101", peer = ["10.0.0.5"] }
        "#;
        let error = toml::from_str::<File>(text).err().unwrap().to_string();
        assert!(error.contains("unknown field `peer`"), "{error}");
    }

    #[test]
    fn an_nec_device_number_past_two_digits_is_refused() {
        let entry = |device: &str| {
            format!(
                "[[pbx]]\nname = \"nec\"\nformat = \"nec\"\nconnector = {{ kind = \
                 \"tcp-connect\", connect = \"10.1.0.9:60010\", protocol = \"nec-smdr\", \
                 device = {device} }}\n"
            )
        };
        for (device, expected) in [("0", 0), ("7", 7), ("99", 99)] {
            let file: File = toml::from_str(&entry(device)).unwrap();
            assert!(
                matches!(file.pbx[0].connector, ConnectorConfig::TcpConnect { device, .. }
                    if device == expected),
                "{device}"
            );
        }
        for bad in ["100", "150", "255", "256", "-1"] {
            let error = toml::from_str::<File>(&entry(bad)).err().unwrap().to_string();
            assert!(
                error.contains(&format!("device: the NEC SMDR device number is 0–99, not {bad}")),
                "{bad}: {error}"
            );
        }
        // Left out, it is 0.
        let text = "[[pbx]]\nname = \"nec\"\nformat = \"nec\"\nconnector = { kind = \
                    \"tcp-connect\", connect = \"10.1.0.9:60010\", protocol = \"nec-smdr\" }\n";
        let file: File = toml::from_str(text).unwrap();
        assert!(matches!(file.pbx[0].connector, ConnectorConfig::TcpConnect { device: 0, .. }));
    }

    #[test]
    fn durations() {
        for (text, secs) in [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172_800)] {
            assert_eq!(parse_duration(text), Ok(Duration::from_secs(secs)), "{text}");
        }
        for bad in ["", "15", "m", "1x", "-5m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
