//! The servers the tests start (`hdab serve`, `hdab spe serve`) and a plain HTTP client.

use super::Hdab;
use std::process::Command;

/// `hdab serve` on a free loopback port with `env`: the child and its address, once it
/// listens (the server puts the SPE folders right before it does).
pub fn serve(env: &[(&str, &std::ffi::OsStr)]) -> (std::process::Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hdab"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut server = cmd
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    if let Some(out) = server.stdout.as_mut() {
        use std::io::BufRead;
        let _ = std::io::BufReader::new(out).read_line(&mut line);
    }
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_default()
        .to_string();
    assert!(!addr.is_empty(), "the server did not start: {line}");
    (server, addr)
}

/// `hdab spe serve` on a free port; killed when dropped.
pub struct Gateway(pub std::process::Child, pub String);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn gateway(hdab: &Hdab, env: &[(&str, &str)], extra: &[&str]) -> Gateway {
    let mut child = hdab
        .command()
        .envs(env.iter().copied())
        .args(["spe", "serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    if let Some(out) = child.stdout.as_mut() {
        use std::io::BufRead;
        let _ = std::io::BufReader::new(out).read_line(&mut line);
    }
    let addr = line
        .split("grpc://")
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(!addr.is_empty(), "the gateway did not start: {line}");
    Gateway(child, addr)
}

/// One HTTP/1.1 request on its own connection: (status, body). Status 0: no answer.
pub fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(120)));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    use std::io::{Read, Write};
    if s.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
