//! Who pays for the legs of a correlated call: the configurable rules and
//! their defaults. The principle behind every default: the extension that
//! caused a carrier leg pays for it.

use serde::{Deserialize, Serialize};

/// The attribution rules (`[correlation.rules]` in the server's
/// configuration; `[rules]` in a scenario file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    pub forward: ForwardRule,
    pub transfer: TransferRule,
    pub conference: ConferenceRule,
}

/// Who pays for a leg that reached its destination through a forward or an
/// immediate divert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardRule {
    /// The extension whose forward sent the call on: its setting made the
    /// outside leg.
    #[default]
    ForwardingParty,
    /// The calling extension, when the caller is one (else the forwarding
    /// party).
    Caller,
}

/// Who pays for the leg that joins the remaining parties after a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferRule {
    /// The extension that completed the transfer: it made (or took) the
    /// call that goes on.
    #[default]
    Transferor,
    /// The extension that stays on the call (the consultation's target).
    Transferee,
}

/// Who pays for the legs of a conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConferenceRule {
    /// The extension that set the conference up.
    #[default]
    Controller,
    /// Each leg as an ordinary call (who called whom).
    Party,
}

impl ForwardRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ForwardRule::ForwardingParty => "forwarding_party",
            ForwardRule::Caller => "caller",
        }
    }
}

impl TransferRule {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferRule::Transferor => "transferor",
            TransferRule::Transferee => "transferee",
        }
    }
}

impl ConferenceRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ConferenceRule::Controller => "controller",
            ConferenceRule::Party => "party",
        }
    }
}
