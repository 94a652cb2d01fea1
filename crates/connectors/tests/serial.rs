//! The serial connector on a pseudo-terminal: the test writes on the
//! master side what a PBX prints on its line, and the connector reads the
//! slave side as its port.

use connectors::config::{FlowControl, Parity};
use connectors::serial::{self, SerialLine};
use connectors::testing::TestFeed;
use connectors::{ConnectorState, Received, What};
use nix::sys::termios::{ControlFlags, InputFlags, tcgetattr};
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_serial::{DataBits, SerialPort, StopBits};

/// A hang guard only: what is waited for comes in a moment, or after the
/// first retry (one second) at most.
const GUARD: Duration = Duration::from_secs(30);

/// A pseudo-terminal pair: `master` plays the PBX; `path` is the port.
struct Pty {
    master: File,
    /// Held so that the terminal stays while the connector reopens it.
    slave: OwnedFd,
    path: PathBuf,
}

fn pty() -> Pty {
    let pair = nix::pty::openpty(None, None).unwrap();
    let path = nix::unistd::ttyname(&pair.slave).unwrap();
    Pty { master: File::from(pair.master), slave: pair.slave, path }
}

struct Running {
    received: mpsc::Receiver<Received>,
    stopping: watch::Sender<bool>,
    state: Arc<ConnectorState>,
    serving: tokio::task::JoinHandle<()>,
}

fn start(port: &Path) -> Running {
    let TestFeed { feed, received, stopping, state } = TestFeed::lines("old-pbx", "serial", 1, 16);
    let line = SerialLine {
        port: port.to_path_buf(),
        baud: 9600,
        parity: Parity::None,
        flow_control: FlowControl::None,
        data_bits: 8,
        stop_bits: 1,
    };
    let serving = tokio::spawn(serial::serve(line, feed));
    Running { received, stopping, state, serving }
}

async fn next(received: &mut mpsc::Receiver<Received>) -> What {
    let item = tokio::time::timeout(GUARD, received.recv()).await.unwrap().unwrap();
    assert_eq!(item.source, 1);
    item.what
}

/// Takes records until `until` has been handed on; returns them all.
async fn records_until(received: &mut mpsc::Receiver<Received>, until: &[u8]) -> Vec<u8> {
    let mut records = Vec::new();
    while !records.ends_with(until) {
        match next(received).await {
            What::Records(r) => records.extend(r),
            other => panic!("expected records, got {other:?}"),
        }
    }
    records
}

fn write(pbx: &mut File, bytes: &[u8]) {
    pbx.write_all(bytes).unwrap();
    pbx.flush().unwrap();
}

/// Waits (with the guard) until `ready` holds of the connector's state.
async fn state_until(state: &ConnectorState, ready: impl Fn(&connectors::StateSnapshot) -> bool) {
    tokio::time::timeout(GUARD, async {
        while !ready(&state.snapshot()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn records_split_across_writes_arrive_whole_and_a_vanished_line_keeps_its_partial() {
    let Pty { mut master, slave, path } = pty();
    let mut run = start(&path);
    assert_eq!(next(&mut run.received).await, What::Opened { peer: path.display().to_string() });
    // Written only once the port is open and set up (raw), so that the
    // terminal's default line editing never sees them.
    for part in [&b"0301 0001 fi"[..], b"rst\r\n0301 0002 sec", b"ond\r\n0301 0003 thi"] {
        write(&mut master, part);
    }
    let records = records_until(&mut run.received, b"0301 0002 second\r\n").await;
    assert_eq!(records, b"0301 0001 first\r\n0301 0002 second\r\n");
    // The end of the second record and the start of the third were one
    // write, which a terminal delivers to a read whole: the partial is
    // read too. Then the line goes away, as an unplugged adapter does.
    drop(master);
    let What::Closed { partial, reason } = next(&mut run.received).await else {
        panic!("expected the connection to close");
    };
    assert_eq!(partial, b"0301 0003 thi");
    assert!(reason == "port closed" || reason.starts_with("read error: "), "{reason}");
    state_until(&run.state, |s| s.errors >= 1 && s.connections == 0).await;
    let error = run.state.snapshot().last_error.unwrap();
    assert!(error.contains(&path.display().to_string()), "{error}");
    assert_eq!(run.state.snapshot().records, 2);
    // It tries to open the port again until the server stops.
    run.stopping.send(true).unwrap();
    tokio::time::timeout(GUARD, run.serving).await.unwrap().unwrap();
    drop(slave);
}

#[tokio::test]
async fn stopping_closes_the_port_with_its_partial_record() {
    let Pty { mut master, slave: _slave, path } = pty();
    let mut run = start(&path);
    assert!(matches!(next(&mut run.received).await, What::Opened { .. }));
    write(&mut master, b"whole\nhal");
    assert_eq!(records_until(&mut run.received, b"whole\n").await, b"whole\n");
    run.stopping.send(true).unwrap();
    assert_eq!(
        next(&mut run.received).await,
        What::Closed { partial: b"hal".to_vec(), reason: "server stopping".into() }
    );
    tokio::time::timeout(GUARD, run.serving).await.unwrap().unwrap();
    assert_eq!(run.state.snapshot().connections, 0);
}

#[tokio::test]
async fn a_missing_port_is_reported_and_opened_once_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let port = dir.path().join("ttyPBX");
    let Pty { mut master, slave: _slave, path } = pty();
    let mut run = start(&port);
    state_until(&run.state, |s| s.errors >= 1).await;
    let error = run.state.snapshot().last_error.unwrap();
    assert!(error.starts_with(&format!("cannot open serial port {}: ", port.display())), "{error}");
    // The adapter is plugged in.
    std::os::unix::fs::symlink(&path, &port).unwrap();
    assert_eq!(next(&mut run.received).await, What::Opened { peer: port.display().to_string() });
    write(&mut master, b"a record\n");
    assert_eq!(records_until(&mut run.received, b"a record\n").await, b"a record\n");
    run.stopping.send(true).unwrap();
    assert!(matches!(next(&mut run.received).await, What::Closed { .. }));
    tokio::time::timeout(GUARD, run.serving).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_port_that_never_appears_does_not_delay_the_stop() {
    let mut run = start(Path::new("/dev/bluewhale-no-such-port"));
    state_until(&run.state, |s| s.errors >= 1).await;
    run.stopping.send(true).unwrap();
    tokio::time::timeout(GUARD, run.serving).await.unwrap().unwrap();
    assert!(run.received.try_recv().is_err(), "no connection was opened");
}

#[tokio::test]
async fn the_line_settings_are_applied_to_the_port() {
    let pty = pty();
    for parity in [Parity::None, Parity::Odd, Parity::Even] {
        for flow_control in [FlowControl::None, FlowControl::Software, FlowControl::Hardware] {
            for (baud, data_bits, stop_bits) in
                [(1200, 7, 1), (9600, 8, 1), (19_200, 7, 2), (115_200, 8, 2)]
            {
                let case = format!("{parity:?} {flow_control:?} {baud} {data_bits} {stop_bits}");
                let line = SerialLine {
                    port: pty.path.clone(),
                    baud,
                    parity,
                    flow_control,
                    data_bits,
                    stop_bits,
                };
                let port = serial::open(&line).unwrap();
                // Read back from the terminal, as its driver keeps them.
                assert_eq!(port.baud_rate().unwrap(), baud, "{case}");
                // A pseudo-terminal keeps 8 data bits whatever is asked
                // (as it clears parity enable), so 7 cannot be read back.
                assert_eq!(port.data_bits().unwrap(), DataBits::Eight, "{case}");
                let stops = if stop_bits == 2 { StopBits::Two } else { StopBits::One };
                assert_eq!(port.stop_bits().unwrap(), stops, "{case}");
                let termios = tcgetattr(&pty.slave).unwrap();
                let (control, input) = (termios.control_flags, termios.input_flags);
                // A pseudo-terminal clears PARENB whatever is asked (it has
                // no parity bit to check), but keeps PARODD.
                assert_eq!(control.contains(ControlFlags::PARODD), parity == Parity::Odd, "{case}");
                assert_eq!(
                    control.contains(ControlFlags::CRTSCTS),
                    flow_control == FlowControl::Hardware,
                    "{case}"
                );
                assert_eq!(
                    input.contains(InputFlags::IXON | InputFlags::IXOFF),
                    flow_control == FlowControl::Software,
                    "{case}"
                );
            }
        }
    }
}

#[tokio::test]
async fn an_impossible_port_is_an_error_naming_it() {
    let cases = [
        ("/nonexistent/ttyS9", 9600, 8, "cannot open serial port /nonexistent/ttyS9: "),
        ("/dev/null", 9600, 8, "cannot open serial port /dev/null: "),
        ("/dev/ttyS0", 0, 8, "cannot open serial port /dev/ttyS0: baud must be above 0"),
        ("/dev/ttyS0", 9600, 6, "cannot open serial port /dev/ttyS0: data_bits must be 7 or 8"),
    ];
    for (port, baud, data_bits, starts) in cases {
        let line = SerialLine {
            port: Path::new(port).to_path_buf(),
            baud,
            parity: Parity::None,
            flow_control: FlowControl::None,
            data_bits,
            stop_bits: 1,
        };
        let error = serial::open(&line).map(|_| ()).unwrap_err();
        assert!(error.starts_with(starts), "{port}: {error}");
    }
}
