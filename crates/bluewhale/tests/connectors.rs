//! Connectors of `bluewhale serve` other than the TCP listener, end to
//! end: a PBX the server connects out to, FreeSWITCH posting its CDRs
//! over HTTP, and a watched directory (with what stops its FTP receiver
//! from starting). (Each connector's protocol is tested in the
//! `connectors` crate; here, that what they receive is journaled, priced
//! and stored.)

mod common;

use common::Bw;
use common::server::{Server, free_port, get, spawn};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const TOKEN: &str = "s3cret-token";

/// A store with the connectors' directory and a configuration of
/// `connectors` (TOML `[[pbx]]` entries); the server started with the
/// FreeSWITCH token in its environment.
fn serve_with(bw: &Bw, connectors: &str) -> Server {
    bw.ok(&["load", &common::fixture_arg("serve/connectors.toml")]);
    let config = bw.data.path().join("server.toml");
    let http = free_port();
    std::fs::write(&config, format!("[server]\nhttp = \"127.0.0.1:{http}\"\n{connectors}"))
        .unwrap();
    let mut command = bw.process(&["serve", "--config", &common::arg(&config)]);
    command.env("BW_TEST_FS_TOKEN", TOKEN);
    spawn(command)
}

/// Runs the server with a configuration of `connectors` and `env` set,
/// expecting it to refuse to start; returns its standard error.
fn refused_start(bw: &Bw, connectors: &str, env: &[(&str, &str)]) -> String {
    bw.ok(&["load", &common::fixture_arg("serve/connectors.toml")]);
    let config = bw.data.path().join("server.toml");
    let http = free_port();
    std::fs::write(&config, format!("[server]\nhttp = \"127.0.0.1:{http}\"\n{connectors}"))
        .unwrap();
    let mut command = bw.process(&["serve", "--config", &common::arg(&config)]);
    command.envs(env.iter().copied());
    command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    // A server that starts runs on: give it a while, not forever.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("the server started: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{stderr}");
    stderr
}

/// Waits until `/metrics` says `stored` records were stored (a minute at
/// most, as a guard).
fn wait_stored(server: &Server, stored: u64) {
    let line = format!("bluewhale_records_total{{outcome=\"stored\"}} {stored}");
    for _ in 0..600 {
        if get(server, "/metrics").contains(&line) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("never stored {stored}: {}", get(server, "/metrics"));
}

/// `count` Avaya CM lines, as the synthetic organisation's PBX writes them.
fn avaya_lines(first: u64, count: usize) -> Vec<u8> {
    let org = synth::Org::new(50);
    let mut stream = synth::RecordStream::new(&org, synth::RecordFormat::Avaya, 7);
    let mut out = Vec::new();
    for i in 0..first as usize + count {
        let mut record = Vec::new();
        stream.next_record(&mut record);
        if i >= first as usize {
            out.extend_from_slice(&record);
        }
    }
    out
}

#[test]
fn a_pbx_the_server_connects_to_is_read_and_reconnected_after_it_drops_the_link() {
    let pbx = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = pbx.local_addr().unwrap();
    let bw = Bw::new();
    let server = serve_with(
        &bw,
        &format!(
            "[[pbx]]\nname = \"cm-out\"\nformat = \"avaya:avaya-97\"\n\
             connector = {{ kind = \"tcp-connect\", connect = \"{address}\" }}\n"
        ),
    );
    // The PBX sends 60 records and a piece of one, and drops the link;
    // the server connects again and gets the rest.
    let (mut link, _) = pbx.accept().unwrap();
    let first = avaya_lines(0, 60);
    let cut = avaya_lines(60, 1);
    link.write_all(&first).unwrap();
    link.write_all(&cut[..30]).unwrap();
    drop(link);
    let (mut link, _) = pbx.accept().unwrap();
    link.write_all(&avaya_lines(60, 40)).unwrap();
    link.flush().unwrap();
    wait_stored(&server, 100);
    let summary = server.stop();
    assert!(summary.contains("100 stored, 0 duplicates, 1 quarantined"), "{summary}");
    assert_eq!(bw.store().cdr_count().unwrap(), 100);
}

/// POSTs `body` to the server; returns the status code and the body.
fn post(server: &Server, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(&server.http).unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

#[test]
fn freeswitch_posts_are_answered_once_journaled_and_stored() {
    let bw = Bw::new();
    let server = serve_with(
        &bw,
        "[[pbx]]\nname = \"fs\"\nformat = \"freeswitch-json\"\n\
         connector = { kind = \"http\", path = \"/cdr/fs\", token_env = \"BW_TEST_FS_TOKEN\" }\n",
    );
    let answered = std::fs::read(common::fixture(
        "../../../format-freeswitch/tests/fixtures/json/answered.json",
    ))
    .unwrap();
    let json = [("Content-Type", "application/json")];
    let bearer = format!("Bearer {TOKEN}");
    let (status, text) =
        post(&server, "/cdr/fs", &[json[0], ("Authorization", bearer.as_str())], &answered);
    assert_eq!(status, 200, "{text}");
    // The wrong token is refused and nothing is journaled.
    let (status, _) =
        post(&server, "/cdr/fs", &[json[0], ("Authorization", "Bearer nope")], &answered);
    assert_eq!(status, 401);
    // The same CDR posted again (FreeSWITCH retrying) is stored once.
    let (status, _) =
        post(&server, "/cdr/fs", &[json[0], ("Authorization", bearer.as_str())], &answered);
    assert_eq!(status, 200);
    let summary = server.stop();
    assert!(summary.contains("2 records read: 1 stored, 1 duplicates"), "{summary}");
    let calls = bw.calls("2000-01-01", "2030-12-31");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["pbx"], "fs");
}

#[test]
fn files_dropped_in_the_watched_directory_are_stored_and_moved_to_done() {
    let bw = Bw::new();
    let drop_dir = bw.data.path().join("drop");
    let server = serve_with(
        &bw,
        &format!(
            "[[pbx]]\nname = \"cm-out\"\nformat = \"avaya:avaya-97\"\n\
             connector = {{ kind = \"file-drop\", dir = \"{}\", pattern = \"cdr_*\", \
             settle = \"1s\" }}\n",
            drop_dir.display()
        ),
    );
    std::fs::write(drop_dir.join("cdr_0001"), avaya_lines(0, 70)).unwrap();
    std::fs::write(drop_dir.join("cdr_0002"), avaya_lines(70, 30)).unwrap();
    // Not matching the pattern: left alone.
    std::fs::write(drop_dir.join("notes.txt"), b"not a CDR file\n").unwrap();
    wait_stored(&server, 100);
    // Moved once durable, which the store being filled implies.
    for _ in 0..100 {
        if drop_dir.join("done/cdr_0002").exists() && drop_dir.join("done/cdr_0001").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(drop_dir.join("done/cdr_0001").exists() && drop_dir.join("done/cdr_0002").exists());
    assert!(drop_dir.join("notes.txt").exists());
    let summary = server.stop();
    assert!(summary.contains("100 stored, 0 duplicates, 0 quarantined"), "{summary}");
}

/// A file drop with an FTP receiver on `listen`, its password in
/// `BW_TEST_FTP_PASSWORD`.
fn ftp_drop(bw: &Bw, listen: std::net::SocketAddr) -> String {
    format!(
        "[[pbx]]\nname = \"cm-out\"\nformat = \"avaya:avaya-97\"\n\
         connector = {{ kind = \"file-drop\", dir = \"{}\", ftp = {{ listen = \"{listen}\", \
         user = \"cucm\", password_env = \"BW_TEST_FTP_PASSWORD\" }} }}\n",
        bw.data.path().join("drop").display()
    )
}

#[test]
fn an_ftp_receiver_whose_port_is_taken_fails_the_start_naming_the_pbx_and_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let bw = Bw::new();
    let error = refused_start(&bw, &ftp_drop(&bw, address), &[("BW_TEST_FTP_PASSWORD", "pw")]);
    assert!(
        error.contains(&format!("[[pbx]] \"cm-out\": FTP receiver: cannot listen on {address}")),
        "{error}"
    );
    assert!(!error.contains("FTP receiver on"), "{error}");
}

#[test]
fn an_empty_ftp_password_fails_the_start() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let bw = Bw::new();
    let error = refused_start(&bw, &ftp_drop(&bw, free), &[("BW_TEST_FTP_PASSWORD", "")]);
    assert!(
        error.contains(
            "[[pbx]] \"cm-out\": environment variable BW_TEST_FTP_PASSWORD (the FTP receiver's \
             password_env) is empty"
        ),
        "{error}"
    );
}
