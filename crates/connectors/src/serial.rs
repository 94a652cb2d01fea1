//! The serial-line connector: older PBXs print their call records (SMDR)
//! on an RS-232 port, often through a USB adapter. The port is read as a
//! stream, cut into whole records (`framer`) and handed on; each time the
//! port is opened is one connection. When the port fails or disappears
//! (the adapter unplugged, the device gone), the connection closes with
//! its incomplete last record, the failure is reported on the state, and
//! the port is opened again with backoff until it is back or the server
//! stops.
//!
//! A serial line has no acknowledgement, so records are handed on without
//! waiting for the journal; when the journal stage is behind, reads stop
//! and the port's buffers (then the PBX's, with flow control) hold the
//! rest. Speed, parity, data and stop bits and flow control are
//! configured. The port is opened exclusively, so two
//! connectors cannot read the same line.

use crate::config::{FlowControl, Parity};
use crate::event::What;
use crate::feed::Feed;
use crate::framer::LineFramer;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio_serial::{DataBits, SerialPortBuilderExt, SerialStream, StopBits};

/// Bytes read from the port at a time; a serial line brings little.
const READ_BUFFER: usize = 4096;
/// When the server stops, the port is still read until it has been idle
/// this long, so that records already in its buffers are not lost.
const DRAIN_IDLE: Duration = Duration::from_millis(200);
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// Waits between attempts to open the port: doubling from the first to
/// the last.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(30);

/// Which port, and how the line is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialLine {
    pub port: PathBuf,
    pub baud: u32,
    pub parity: Parity,
    pub flow_control: FlowControl,
    /// 7 or 8.
    pub data_bits: u8,
    /// 1 or 2.
    pub stop_bits: u8,
}

/// Opens and sets up the port, with an error that names it. Must be
/// called within the tokio runtime (the port is registered with it).
pub fn open(line: &SerialLine) -> Result<SerialStream, String> {
    let SerialLine { port, baud, parity, flow_control, data_bits, stop_bits } = line;
    let (baud, port) = (*baud, port.as_path());
    let cannot =
        |why: &dyn std::fmt::Display| format!("cannot open serial port {}: {why}", port.display());
    if baud == 0 {
        // Speed 0 means "hang up" to a terminal driver.
        return Err(cannot(&"baud must be above 0"));
    }
    let data_bits = match data_bits {
        7 => DataBits::Seven,
        8 => DataBits::Eight,
        other => return Err(cannot(&format!("data_bits must be 7 or 8, not {other}"))),
    };
    let stop_bits = match stop_bits {
        1 => StopBits::One,
        2 => StopBits::Two,
        other => return Err(cannot(&format!("stop_bits must be 1 or 2, not {other}"))),
    };
    let name = port.to_str().ok_or_else(|| cannot(&"the path is not UTF-8"))?;
    let parity = match parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Odd => tokio_serial::Parity::Odd,
        Parity::Even => tokio_serial::Parity::Even,
    };
    let flow_control = match flow_control {
        FlowControl::None => tokio_serial::FlowControl::None,
        FlowControl::Software => tokio_serial::FlowControl::Software,
        FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
    };
    tokio_serial::new(name, baud)
        .data_bits(data_bits)
        .stop_bits(stop_bits)
        .parity(parity)
        .flow_control(flow_control)
        .open_native_async()
        .map_err(|e| cannot(&e))
}

/// Reads the line until the server stops, opening the port again whenever
/// it fails.
pub async fn serve(line: SerialLine, feed: Feed) {
    let mut stop = feed.stop.clone();
    let peer = line.port.display().to_string();
    let mut retry = FIRST_RETRY;
    loop {
        if feed.stopping() {
            return;
        }
        match open(&line) {
            Ok(stream) => {
                retry = FIRST_RETRY;
                if read_port(stream, &peer, &feed).await == Ended::Stopping {
                    return;
                }
            }
            Err(e) => feed.state.error(e),
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            // Stopped, or the stop signal itself is gone.
            _ = stop.wait_for(|stopping| *stopping) => return,
        }
        retry = (retry * 2).min(LAST_RETRY);
    }
}

/// Why reading an open port ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// The port failed or closed: open it again.
    Failed,
    /// The server is stopping.
    Stopping,
}

/// Reads one opening of the port, as one connection, until the port fails
/// or the server stops.
async fn read_port(mut stream: SerialStream, peer: &str, feed: &Feed) -> Ended {
    let state = &feed.state;
    let connection = feed.ids.next();
    state.connected(peer);
    if feed.send(connection, What::Opened { peer: peer.to_string() }).await.is_err() {
        state.disconnected();
        return Ended::Stopping;
    }
    let mut framer = LineFramer::new(feed.framing, feed.max_record);
    let mut buffer = vec![0u8; READ_BUFFER];
    let mut stop = feed.stop.clone();
    let mut drain_until = None;
    let (reason, ended) = loop {
        let read = if let Some(deadline) = drain_until {
            // Draining: take what the port already holds; stop once
            // nothing more comes for a moment, or at the deadline for a
            // PBX that never pauses.
            let now = tokio::time::Instant::now();
            let idle = DRAIN_IDLE.min(deadline - now.min(deadline));
            match tokio::time::timeout(idle, stream.read(&mut buffer)).await {
                Ok(read) => read,
                Err(_) => break ("server stopping".to_string(), Ended::Stopping),
            }
        } else {
            tokio::select! {
                read = stream.read(&mut buffer) => read,
                _ = stop.wait_for(|stopping| *stopping) => {
                    drain_until = Some(tokio::time::Instant::now() + DRAIN_LIMIT);
                    continue;
                }
            }
        };
        let n = match read {
            // A terminal reads nothing once hung up (the device is gone).
            Ok(0) => {
                state.error(format!("serial port {peer}: closed (hung up or removed)"));
                break ("port closed".to_string(), Ended::Failed);
            }
            Ok(n) => n,
            Err(e) => {
                state.error(format!("serial port {peer}: {e}"));
                break (format!("read error: {e}"), Ended::Failed);
            }
        };
        let records = framer.push(&buffer[..n]);
        if records.is_empty() {
            continue;
        }
        let count = records.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
        state.received(count, records.len() as u64);
        if let Err(stopped) = feed.send(connection, What::Records(records)).await {
            break (stopped.to_string(), Ended::Stopping);
        }
    };
    let partial = framer.finish();
    let _ = feed.send(connection, What::Closed { partial, reason }).await;
    state.disconnected();
    ended
}
