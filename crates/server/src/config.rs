//! The server's configuration file (`bluewhale serve --config FILE`):
//! where the console listens, how the raw journal rotates and how long it
//! is kept, and the PBX connectors. Every section has defaults, so an
//! empty file (or none) runs the embedded default; unknown keys are
//! errors.

use connectors::{PbxConfig, parse_duration};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default)]
    pub server: HttpSettings,
    #[serde(default)]
    pub journal: JournalSettings,
    #[serde(default)]
    pub storage: StorageSettings,
    #[serde(default)]
    pub pbx: Vec<PbxConfig>,
    /// `[correlation]`: when given, the store's correlation setting is set
    /// from it at start (else the stored setting stays in force).
    pub correlation: Option<CorrelationSettings>,
}

/// Whether calls stored are correlated into logical calls, and who pays
/// for their legs (`[correlation.rules]`: `forward`, `transfer`,
/// `conference`; see `correlate::Rules`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationSettings {
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(default)]
    pub rules: correlate::Rules,
}

fn enabled() -> bool {
    true
}

impl CorrelationSettings {
    /// The rules calls are correlated by; `None`: not correlated.
    pub fn rules(&self) -> Option<correlate::Rules> {
        self.enabled.then_some(self.rules)
    }
}

/// Where calls are stored: the embedded store in the data directory
/// (no `url`), or a main database, `postgres://user@host:port/db` or
/// `mysql://user:password@host:port/db`, with the offline store in the
/// data directory while it cannot be reached. The directory and the
/// tariffs stay in the embedded store either way.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// The web console, REST API and `/metrics`.
    #[serde(default = "default_http")]
    pub http: SocketAddr,
    /// `[server.tls]`: serve them over HTTPS (see the `https` crate).
    pub tls: Option<https::TlsSettings>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings { http: default_http(), tls: None }
    }
}

fn default_http() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

/// The raw journal: every byte received, per PBX, in segments rotated by
/// size and age, compressed when closed and kept `retention`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalSettings {
    #[serde(default = "default_segment_mb")]
    pub max_segment_mb: u64,
    #[serde(default = "default_segment_age")]
    pub max_segment_age: String,
    #[serde(default = "default_retention")]
    pub retention: String,
}

impl Default for JournalSettings {
    fn default() -> Self {
        JournalSettings {
            max_segment_mb: default_segment_mb(),
            max_segment_age: default_segment_age(),
            retention: default_retention(),
        }
    }
}

fn default_segment_mb() -> u64 {
    64
}

fn default_segment_age() -> String {
    "1h".into()
}

fn default_retention() -> String {
    "90d".into()
}

impl JournalSettings {
    pub fn max_segment_age(&self) -> Result<Duration, String> {
        parse_duration(&self.max_segment_age).map_err(|e| format!("[journal] max_segment_age: {e}"))
    }

    pub fn retention(&self) -> Result<Duration, String> {
        parse_duration(&self.retention).map_err(|e| format!("[journal] retention: {e}"))
    }
}

impl ServerConfig {
    /// Reads and checks a configuration file.
    pub fn read(path: &Path) -> Result<ServerConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        ServerConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<ServerConfig, String> {
        let config: ServerConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// What the types cannot say: durations that parse, PBX names given
    /// once, no two listeners on one address.
    fn check(&self) -> Result<(), String> {
        self.journal.max_segment_age()?;
        self.journal.retention()?;
        if let Some(url) = &self.storage.url {
            let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
            if !matches!(scheme.as_deref(), Some("postgres" | "postgresql" | "mysql" | "mariadb")) {
                return Err(format!(
                    "[storage] url: expected postgres://… or mysql://…, not {:?}",
                    url.split_once("://").map_or(url.as_str(), |(s, _)| s)
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for pbx in &self.pbx {
            if !names.insert(pbx.name.as_str()) {
                return Err(format!("[[pbx]] {:?} is configured twice", pbx.name));
            }
        }
        let mut addresses = std::collections::HashMap::new();
        for pbx in &self.pbx {
            if let Some(address) = listen_address(pbx)
                && let Some(other) = addresses.insert(address, pbx.name.as_str())
            {
                return Err(format!(
                    "[[pbx]] {:?} and {other:?} both listen on {address}; share a port with \
                         one entry and `peers`",
                    pbx.name
                ));
            }
        }
        Ok(())
    }
}

fn listen_address(pbx: &PbxConfig) -> Option<SocketAddr> {
    match &pbx.connector {
        connectors::ConnectorConfig::TcpListen { listen, .. }
        | connectors::ConnectorConfig::Rsp { listen } => Some(*listen),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_embedded_default() {
        let config = ServerConfig::parse("").unwrap();
        assert_eq!(config.server.http, default_http());
        assert_eq!(config.journal.retention().unwrap(), Duration::from_secs(90 * 86_400));
        assert!(config.pbx.is_empty());
        assert_eq!(config.correlation, None);
    }

    #[test]
    fn correlation_rules_are_read_and_can_be_turned_off() {
        use correlate::{Rules, TransferRule};
        let config = ServerConfig::parse("[correlation.rules]\ntransfer = \"transferee\"").unwrap();
        let expected = Rules { transfer: TransferRule::Transferee, ..Rules::default() };
        assert_eq!(config.correlation.unwrap().rules(), Some(expected));
        let config = ServerConfig::parse("[correlation]\nenabled = false").unwrap();
        assert_eq!(config.correlation.unwrap().rules(), None);
        let error = ServerConfig::parse("[correlation.rules]\nconference = \"x\"").unwrap_err();
        assert!(error.contains("unknown variant"), "{error}");
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            ("[journal]\nretention = \"90\"", "[journal] retention: not a duration"),
            ("[server]\nport = 1", "unknown field `port`"),
            ("[storage]\nurl = \"sqlite://x\"", "[storage] url: expected postgres"),
            ("[correlation]\nrule = 1", "unknown field `rule`"),
            (
                "[[pbx]]\nname = \"a\"\nformat = \"avaya\"\nconnector = { kind = \"tcp-listen\", listen = \"0.0.0.0:5101\" }\n\
                 [[pbx]]\nname = \"a\"\nformat = \"avaya\"\nconnector = { kind = \"tcp-listen\", listen = \"0.0.0.0:5102\" }",
                "[[pbx]] \"a\" is configured twice",
            ),
            (
                "[[pbx]]\nname = \"a\"\nformat = \"avaya\"\nconnector = { kind = \"tcp-listen\", listen = \"0.0.0.0:5101\" }\n\
                 [[pbx]]\nname = \"b\"\nformat = \"avaya\"\nconnector = { kind = \"rsp\", listen = \"0.0.0.0:5101\" }",
                "both listen on 0.0.0.0:5101",
            ),
        ];
        for (text, expected) in cases {
            let error = ServerConfig::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
