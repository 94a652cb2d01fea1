//! What can go wrong talking to the main database, sorted by what the
//! caller does about it: wait and retry ([`Error::Unavailable`]), or stop
//! ([`Error::Rejected`], [`Error::Config`]).

/// An error of the main database, naming it (`postgres://user@host:port/db`,
/// never with a password).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database could not be reached or went away (refused, timed
    /// out, closed, shutting down, out of connections or disk), or the
    /// statement met a transient conflict. Retrying later may succeed: keep
    /// the batch (in the offline store) and write it again, which is safe
    /// since writes are idempotent. The batch may or may not have been
    /// stored (a lost commit acknowledgement looks the same).
    #[error("main database {target} unavailable: {message}")]
    Unavailable { target: String, message: String },
    /// The database refused the data or the statement (a constraint, a
    /// value it cannot hold, a schema it does not have). Retrying the same
    /// batch gives the same answer; nothing of the batch was stored.
    #[error("main database {target} rejected {doing}: {message}")]
    Rejected { target: String, doing: String, message: String },
    /// The URL is wrong, or the database is not one this program can use
    /// (e.g. its schema is newer than this program knows).
    #[error("main database {target}: {message}")]
    Config { target: String, message: String },
}

impl Error {
    /// Whether retrying later may succeed (see [`Error::Unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and every error under it, `: `-separated: the client's kinds
/// ("error connecting to server") say little without their causes.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        // A cause whose text the error already quoted adds nothing.
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}
