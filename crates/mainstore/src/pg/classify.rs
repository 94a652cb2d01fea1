//! Sorting PostgreSQL client errors into "retry later" and "stop" (see
//! [`crate::Error`]), by SQLSTATE where the server sent one
//! (<https://www.postgresql.org/docs/current/errcodes-appendix.html>) and
//! by the client's own kind otherwise.

use crate::error::{Error, chain};
use postgres::error::SqlState;

/// SQLSTATE classes after which the same write may succeed later: 08
/// connection exception, 53 insufficient resources (disk full, out of
/// memory, too many connections), 57 operator intervention (admin or
/// crash shutdown, cannot connect now, query cancelled, idle timeout), 58
/// system error (an I/O error on the server).
const TRANSIENT_CLASSES: [&str; 4] = ["08", "53", "57", "58"];

/// Single codes of other classes that are transient as well.
const TRANSIENT_CODES: [&SqlState; 4] = [
    &SqlState::T_R_SERIALIZATION_FAILURE,
    &SqlState::T_R_DEADLOCK_DETECTED,
    &SqlState::LOCK_NOT_AVAILABLE,
    // Connected to a standby (a failover under way): the primary is away.
    &SqlState::READ_ONLY_SQL_TRANSACTION,
];

/// The error of `doing` on the database `target`.
pub(crate) fn classify(e: &postgres::Error, target: &str, doing: &str) -> Error {
    let message = chain(e);
    if is_transient(e) {
        Error::Unavailable { target: target.to_owned(), message: format!("{doing}: {message}") }
    } else {
        Error::Rejected { target: target.to_owned(), doing: doing.to_owned(), message }
    }
}

fn is_transient_code(code: &SqlState) -> bool {
    TRANSIENT_CLASSES.iter().any(|class| code.code().starts_with(class))
        || TRANSIENT_CODES.contains(&code)
}

fn is_transient(e: &postgres::Error) -> bool {
    if let Some(code) = e.code() {
        return is_transient_code(code);
    }
    // No SQLSTATE: the client's own error. The connection is gone, or an
    // I/O error (refused, reset, timed out) is somewhere under it; anything
    // else (a value it cannot encode, a protocol surprise) is not
    // something time fixes.
    if e.is_closed() {
        return true;
    }
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes_are_in_their_classes_or_listed() {
        for (code, transient) in [
            ("08006", true),
            ("57P01", true),
            ("57P03", true),
            ("53100", true),
            ("40001", true),
            ("40P01", true),
            ("23505", false),
            ("22021", false),
            ("42P01", false),
            ("28P01", false),
        ] {
            assert_eq!(is_transient_code(&SqlState::from_code(code)), transient, "{code}");
        }
    }
}
