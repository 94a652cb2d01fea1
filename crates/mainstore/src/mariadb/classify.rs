//! Sorting MySQL/MariaDB client errors into "retry later" and "stop" (see
//! [`crate::Error`]), by server error code
//! (<https://mariadb.com/kb/en/mariadb-error-code-reference/>) where the
//! server sent one, by the client's own kind otherwise.

use crate::error::Error;
use mysql::{DriverError, MySqlError};
use std::error::Error as _;

/// Server errors after which the same write may succeed later.
const TRANSIENT_CODES: [u16; 14] = [
    1021, // disk full
    1037, // out of memory
    1038, // out of sort memory
    1040, // too many connections
    1041, // out of memory
    1053, // server shutdown in progress
    1152, // aborted connection
    1159, // network read timeout
    1161, // network write timeout
    1205, // lock wait timeout
    1213, // deadlock
    1290, // --read-only (a replica, e.g. during a failover)
    1836, // read-only mode
    1927, // connection killed
];

/// The error of `doing` on the database `target`.
pub(crate) fn classify(e: &mysql::Error, target: &str, doing: &str) -> Error {
    let message = describe(e);
    match e {
        mysql::Error::UrlError(_) => Error::Config { target: target.to_owned(), message },
        e if is_transient(e) => {
            Error::Unavailable { target: target.to_owned(), message: format!("{doing}: {message}") }
        }
        _ => Error::Rejected { target: target.to_owned(), doing: doing.to_owned(), message },
    }
}

/// The error without the client's `Kind { … }` wrapping.
fn describe(e: &mysql::Error) -> String {
    match e {
        mysql::Error::IoError(e) => e.to_string(),
        mysql::Error::CodecError(e) => e.to_string(),
        mysql::Error::MySqlError(e) => e.to_string(),
        mysql::Error::DriverError(e) => e.to_string(),
        mysql::Error::UrlError(e) => e.to_string(),
        e => e.to_string(),
    }
}

fn is_transient(e: &mysql::Error) -> bool {
    match e {
        mysql::Error::IoError(_) => true,
        // The packet codec's errors other than I/O are protocol errors.
        mysql::Error::CodecError(e) => e.source().is_some_and(|s| s.is::<std::io::Error>()),
        mysql::Error::MySqlError(e) => is_transient_server_error(e),
        mysql::Error::DriverError(
            DriverError::ConnectTimeout | DriverError::CouldNotConnect(_) | DriverError::Timeout,
        ) => true,
        _ => false,
    }
}

/// SQLSTATE class 08 is a connection exception; the rest by code.
fn is_transient_server_error(e: &MySqlError) -> bool {
    e.state.starts_with("08") || TRANSIENT_CODES.contains(&e.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_server_errors_are_listed_or_connection_exceptions() {
        for (code, state, transient) in [
            (1053, "08S01", true),
            (1927, "70100", true),
            (1213, "40001", true),
            (1040, "08004", true),
            (1062, "23000", false),
            (1406, "22001", false),
            (1146, "42S02", false),
            (1045, "28000", false),
        ] {
            let e = MySqlError { state: state.into(), message: String::new(), code };
            assert_eq!(is_transient_server_error(&e), transient, "{code}");
        }
    }
}
