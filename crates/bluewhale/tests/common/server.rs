//! A `bluewhale serve` process for end-to-end tests: started, waited for,
//! asked over HTTP, stopped with SIGTERM or killed.

use super::Bw;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A server process and what it prints.
pub struct Server {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    /// Where metrics and the API answer.
    pub http: String,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Sends `lines` to a listening connector, each with its end of line, on
/// one connection closed after them.
pub fn send_lines(port: u16, lines: &[impl AsRef<str>]) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    for line in lines {
        stream.write_all(format!("{}\n", line.as_ref()).as_bytes()).unwrap();
    }
    stream.shutdown(std::net::Shutdown::Both).unwrap();
}

/// Waits (30 s at most) until the store holds `calls` calls.
pub fn wait_for_calls(bw: &Bw, calls: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stored = bw.store().cdr_count().unwrap();
        if stored == calls {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{stored} calls stored, not {calls}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The body of a GET to the server's API as the `admin` account (signed in
/// with [`super::ADMIN_PASSWORD`]).
pub fn api_get(server: &Server, path: &str) -> String {
    let login = format!(r#"{{"username":"admin","password":"{}"}}"#, super::ADMIN_PASSWORD);
    let response = exchange(
        server,
        &format!(
            "POST /api/v1/session HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{login}",
            login.len()
        ),
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let cookie = response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {response}"))
        .to_string();
    let response = exchange(
        server,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: test\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

fn exchange(server: &Server, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.http).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The body of a GET to the server's HTTP side.
pub fn get(server: &Server, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.http).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

/// Starts `bluewhale serve --config <data>/server.toml`.
pub fn start(bw: &Bw) -> Server {
    let config = bw.data.path().join("server.toml").display().to_string();
    start_with(bw, &["serve", "--config", &config])
}

/// Starts the server with `args`; returns once it has announced its
/// connectors and its HTTP side.
pub fn start_with(bw: &Bw, args: &[&str]) -> Server {
    spawn(bw.process(args))
}

/// Starts the server as `command` (its arguments and environment set);
/// returns once it has announced its connectors and its HTTP side.
pub fn spawn(mut command: std::process::Command) -> Server {
    let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut server = Server { child, lines, http: String::new() };
    // Connectors announce themselves first, then the HTTP side.
    let announced = server.wait_for("metrics and API on http://");
    server.http = announced.rsplit("http://").next().unwrap_or_default().to_string();
    server
}

impl Server {
    /// Waits for a line containing `text`; returns it.
    pub fn wait_for(&self, text: &str) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!("server never printed {text:?} ({e}); it printed {seen:#?}"),
            }
        }
    }

    /// SIGTERM, then the summary line it prints as it stops.
    pub fn stop(mut self) -> String {
        signal(&self.child, "TERM");
        let summary = self.wait_for("stopped:");
        assert!(self.child.wait().unwrap().success());
        summary
    }

    pub fn kill(mut self) {
        signal(&self.child, "KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    /// A test that fails leaves no server behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}
