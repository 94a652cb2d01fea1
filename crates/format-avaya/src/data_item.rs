//! The data items Communication Manager offers on page 2 of the
//! `system-parameters cdr` form when the output format is `customized`.

/// One data item of a customized CDR layout, named as Avaya writes it on the
/// form. Each item has the width the form gives it by default; text items
/// may be administered shorter (the form accepts `calling-num 11`,
/// `dialed-num 18`…), items whose meaning depends on their width may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataItem {
    /// `acct-code`: account code (width set by "CDR Account Code Length").
    AcctCode,
    /// `attd-console`: attendant console that handled the call.
    AttdConsole,
    /// `auth-code`: authorization code.
    AuthCode,
    /// `bandwidth`: bandwidth of a wideband call (channels).
    Bandwidth,
    /// `bcc`: ISDN bearer capability class.
    Bcc,
    /// `calling-num`: calling extension, or the caller's number on incoming calls.
    CallingNum,
    /// `clg-num/in-tac`: calling number if known, else the incoming trunk access code.
    ClgNumInTac,
    /// `clg-pty-cat`: calling party category (R2 signalling).
    ClgPtyCat,
    /// `code-dial`: access code dialled (ARS/AAR code or TAC).
    CodeDial,
    /// `code-used`: trunk access code of the outgoing trunk group used.
    CodeUsed,
    /// `cond-code`: condition code (see [`crate::condition`]).
    CondCode,
    /// `date`: date the call ended, `mmddyy`/`ddmmyy` (6) or `mmdd`/`ddmm` (4).
    Date,
    /// `dialed-num`: digits dialled (or the extension an incoming call reached).
    DialedNum,
    /// `duration`: `hmmt`, hours, minutes and tenths of a minute.
    Duration,
    /// `fac-req`: facility (network service) requested on an ISDN call.
    FacReq,
    /// `feat-flag`: feature flag (network answer supervision / ISDN).
    FeatFlag,
    /// `frl`: facility restriction level (or disconnect information).
    Frl,
    /// `in-crt-id`: incoming circuit (trunk member) id.
    InCrtId,
    /// `in-trk-code`: trunk access code of the incoming trunk group.
    InTrkCode,
    /// `ins`: ISDN network service.
    Ins,
    /// `isdn-cc`: ISDN call charge.
    IsdnCc,
    /// `ixc-code`: inter-exchange carrier code.
    IxcCode,
    /// `line-feed`: ASCII LF, ends a record.
    LineFeed,
    /// `location-from`: location number of the originating party.
    LocationFrom,
    /// `location-to`: location number of the terminating party.
    LocationTo,
    /// `ma-uui`: MA-UUI flag (user-to-user information).
    MaUui,
    /// `node-num`: node number of the switch (DCS).
    NodeNum,
    /// `null`: ASCII NUL filler.
    Null,
    /// `out-crt-id`: outgoing circuit (trunk member) id.
    OutCrtId,
    /// `ppm`: periodic pulse metering count.
    Ppm,
    /// `res-flag`: resource flag.
    ResFlag,
    /// `return`: ASCII CR, precedes `line-feed`.
    Return,
    /// `sec-dur`: duration in seconds.
    SecDur,
    /// `space`: ASCII space filler.
    Space,
    /// `time`: time the call ended, `hhmm`.
    Time,
    /// `tsc_ct`: temporary signalling connection message count.
    TscCt,
    /// `tsc_flag`: temporary signalling connection flag.
    TscFlag,
    /// `ucid`: universal call id.
    Ucid,
    /// `vdn`: vector directory number the call reached.
    Vdn,
}

/// How wide an item may be administered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    /// Exactly this wide: the value's meaning depends on its width.
    Exactly(usize),
    /// `date`: 6 (`mmddyy`) or 4 (`mmdd`).
    Date,
    /// Text: any width from 1 up to the form's default.
    UpTo(usize),
}

impl DataItem {
    /// Every item, in the order the form's help lists them.
    pub const ALL: [DataItem; 39] = [
        DataItem::AcctCode,
        DataItem::AttdConsole,
        DataItem::AuthCode,
        DataItem::Bandwidth,
        DataItem::Bcc,
        DataItem::CallingNum,
        DataItem::ClgNumInTac,
        DataItem::ClgPtyCat,
        DataItem::CodeDial,
        DataItem::CodeUsed,
        DataItem::CondCode,
        DataItem::Date,
        DataItem::DialedNum,
        DataItem::Duration,
        DataItem::FacReq,
        DataItem::FeatFlag,
        DataItem::Frl,
        DataItem::InCrtId,
        DataItem::InTrkCode,
        DataItem::Ins,
        DataItem::IsdnCc,
        DataItem::IxcCode,
        DataItem::LineFeed,
        DataItem::LocationFrom,
        DataItem::LocationTo,
        DataItem::MaUui,
        DataItem::NodeNum,
        DataItem::Null,
        DataItem::OutCrtId,
        DataItem::Ppm,
        DataItem::ResFlag,
        DataItem::Return,
        DataItem::SecDur,
        DataItem::Space,
        DataItem::Time,
        DataItem::TscCt,
        DataItem::TscFlag,
        DataItem::Ucid,
        DataItem::Vdn,
    ];

    /// The name as Avaya writes it on the form (and as extras are keyed).
    pub const fn name(self) -> &'static str {
        match self {
            DataItem::AcctCode => "acct-code",
            DataItem::AttdConsole => "attd-console",
            DataItem::AuthCode => "auth-code",
            DataItem::Bandwidth => "bandwidth",
            DataItem::Bcc => "bcc",
            DataItem::CallingNum => "calling-num",
            DataItem::ClgNumInTac => "clg-num/in-tac",
            DataItem::ClgPtyCat => "clg-pty-cat",
            DataItem::CodeDial => "code-dial",
            DataItem::CodeUsed => "code-used",
            DataItem::CondCode => "cond-code",
            DataItem::Date => "date",
            DataItem::DialedNum => "dialed-num",
            DataItem::Duration => "duration",
            DataItem::FacReq => "fac-req",
            DataItem::FeatFlag => "feat-flag",
            DataItem::Frl => "frl",
            DataItem::InCrtId => "in-crt-id",
            DataItem::InTrkCode => "in-trk-code",
            DataItem::Ins => "ins",
            DataItem::IsdnCc => "isdn-cc",
            DataItem::IxcCode => "ixc-code",
            DataItem::LineFeed => "line-feed",
            DataItem::LocationFrom => "location-from",
            DataItem::LocationTo => "location-to",
            DataItem::MaUui => "ma-uui",
            DataItem::NodeNum => "node-num",
            DataItem::Null => "null",
            DataItem::OutCrtId => "out-crt-id",
            DataItem::Ppm => "ppm",
            DataItem::ResFlag => "res-flag",
            DataItem::Return => "return",
            DataItem::SecDur => "sec-dur",
            DataItem::Space => "space",
            DataItem::Time => "time",
            DataItem::TscCt => "tsc_ct",
            DataItem::TscFlag => "tsc_flag",
            DataItem::Ucid => "ucid",
            DataItem::Vdn => "vdn",
        }
    }

    /// Reads an item name as written on the form, ignoring case. `tsc-ct`
    /// and `tsc-flag` are accepted for Avaya's `tsc_ct` and `tsc_flag`.
    pub fn from_name(name: &str) -> Option<DataItem> {
        let wanted = name.trim();
        DataItem::ALL.into_iter().find(|item| {
            let avaya = item.name();
            avaya.len() == wanted.len()
                && avaya
                    .bytes()
                    .zip(wanted.bytes())
                    .all(|(a, w)| a == w.to_ascii_lowercase() || (a == b'_' && w == b'-'))
        })
    }

    /// The width the form gives the item when none is written.
    pub const fn default_len(self) -> usize {
        match self.width() {
            Width::Exactly(n) | Width::UpTo(n) => n,
            Width::Date => 6,
        }
    }

    pub(crate) const fn width(self) -> Width {
        use DataItem::*;
        match self {
            Date => Width::Date,
            Time | Duration | TscCt => Width::Exactly(4),
            SecDur => Width::Exactly(5),
            CondCode | Space | Null | Return | LineFeed => Width::Exactly(1),
            AcctCode | CallingNum => Width::UpTo(15),
            AttdConsole | Bandwidth | ClgPtyCat | NodeNum | FacReq => Width::UpTo(2),
            AuthCode | Vdn => Width::UpTo(13),
            Bcc | FeatFlag | Frl | MaUui | ResFlag | TscFlag => Width::UpTo(1),
            ClgNumInTac => Width::UpTo(10),
            CodeDial | CodeUsed | InTrkCode | IxcCode => Width::UpTo(4),
            DialedNum => Width::UpTo(23),
            InCrtId | OutCrtId | Ins | LocationFrom | LocationTo => Width::UpTo(3),
            IsdnCc => Width::UpTo(11),
            Ppm => Width::UpTo(5),
            Ucid => Width::UpTo(20),
        }
    }

    /// Fillers carry no data: spaces, NULs and the record terminator.
    pub const fn is_filler(self) -> bool {
        matches!(self, DataItem::Space | DataItem::Null | DataItem::Return | DataItem::LineFeed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for item in DataItem::ALL {
            assert_eq!(DataItem::from_name(item.name()), Some(item));
            assert_eq!(DataItem::from_name(&item.name().to_uppercase()), Some(item));
        }
        assert_eq!(DataItem::from_name("TSC-CT"), Some(DataItem::TscCt));
        assert_eq!(DataItem::from_name("clg-num/in-tac"), Some(DataItem::ClgNumInTac));
        assert_eq!(DataItem::from_name("calling"), None);
    }
}
