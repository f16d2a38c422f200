//! The extraction on a DataFusion Ballista cluster started from the hdab binary on loopback:
//! a scheduler with no key, two executors with the master key file (as root, each in a
//! network namespace of its own, reached over a veth pair). The demo's population
//! study runs on it and must deliver what the single-machine run delivered (rows and
//! pseudonyms as multisets, per dataset, and the same row accounting); every byte between
//! the scheduler and the executors, and between the extracting client and the scheduler,
//! passes a recording proxy, and neither the master key nor the permit key is in it in any
//! encoding. Built with `--features cluster` (CI does; see .ci/run).

use crate::support::{Hdab, delivered_rows, read_delivery, reference};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PERMIT: &str = "P-2026-0001";

/// A child process killed when the test ends, whatever happens.
struct Running(Child, &'static str);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port whose next port is free too (an executor takes both).
fn free_port_pair() -> u16 {
    for _ in 0..200 {
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = a.local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two free consecutive ports on loopback")
}

fn wait_for(addr: SocketAddr, what: &str, process: &mut Running) {
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = process.0.try_wait() {
            let mut err = String::new();
            if let Some(e) = process.0.stderr.as_mut() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("{what} ({}) exited with {status}: {err}", process.1);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A TCP proxy on `host` that forwards to `target` and records every byte, both ways.
fn recording_proxy(host: &str, target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind((host, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                let record = record.clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    (addr, seen)
}

/// A network namespace of its own for one executor, joined to this host by a veth pair
/// (`10.231.S.1` here, `10.231.S.2` there; routed, so executors reach each other). Made
/// only as root with iproute2; removed when dropped.
struct Netns {
    name: String,
    host_ip: String,
    ns_ip: String,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

impl Netns {
    fn available() -> bool {
        std::env::var("HDAB_CLUSTER_NETNS").as_deref() != Ok("0")
            && Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            && Command::new("ip").arg("-V").output().is_ok()
    }

    /// The namespace, or `None` (and nothing left behind) where this host refuses to make
    /// one (a container without the capability, say).
    fn new(i: usize) -> Option<Netns> {
        let tag = std::process::id() % 100_000;
        let subnet = 10 + (std::process::id() as usize % 100) * 2 + i;
        let ns = Netns {
            name: format!("hdab-{tag}-{i}"),
            host_ip: format!("10.231.{subnet}.1"),
            ns_ip: format!("10.231.{subnet}.2"),
        };
        let (host_end, ns_end) = (format!("hx{tag}{i}a"), format!("hx{tag}{i}b"));
        let ok = ip(&["netns", "add", &ns.name])
            && ip(&[
                "link", "add", &host_end, "type", "veth", "peer", "name", &ns_end,
            ])
            && ip(&["link", "set", &ns_end, "netns", &ns.name])
            && ip(&[
                "addr",
                "add",
                &format!("{}/24", ns.host_ip),
                "dev",
                &host_end,
            ])
            && ip(&["link", "set", &host_end, "up"])
            && ip(&[
                "netns",
                "exec",
                &ns.name,
                "ip",
                "addr",
                "add",
                &format!("{}/24", ns.ns_ip),
                "dev",
                &ns_end,
            ])
            && ip(&[
                "netns", "exec", &ns.name, "ip", "link", "set", &ns_end, "up",
            ])
            && ip(&["netns", "exec", &ns.name, "ip", "link", "set", "lo", "up"])
            && ip(&[
                "netns",
                "exec",
                &ns.name,
                "ip",
                "route",
                "add",
                "default",
                "via",
                &ns.host_ip,
            ]);
        if !ok {
            // Dropping `ns` removes the namespace; a veth pair still here goes too.
            ip(&["link", "del", &host_end]);
            println!("could not set up network namespace {}", ns.name);
            return None;
        }
        Some(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // The namespace's end of the veth pair goes with it, and the pair with that.
        ip(&["netns", "del", &self.name]);
    }
}

/// Packet forwarding on (executors in two namespaces reach each other through this host),
/// as it was when dropped.
struct Forwarding(String);

impl Forwarding {
    fn on() -> Forwarding {
        let path = "/proc/sys/net/ipv4/ip_forward";
        let was = std::fs::read_to_string(path).unwrap_or_else(|_| "0".into());
        std::fs::write(path, "1").unwrap();
        Forwarding(was)
    }
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        let _ = std::fs::write("/proc/sys/net/ipv4/ip_forward", self.0.trim());
    }
}

/// `hdab cluster …` with nothing inherited that carries keys or an installation (in the
/// network namespace `netns` if given).
fn cluster_process(
    args: &[&str],
    data_dir: &Path,
    key_file: Option<&Path>,
    netns: Option<&Netns>,
) -> Running {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", &ns.name, env!("CARGO_BIN_EXE_hdab")]);
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_hdab")),
    };
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HDAB_LANG", "en")
        .env("HDAB_LOG", "warn")
        .env("HDAB_DATA_DIR", data_dir);
    if netns.is_some() {
        // Executors reach the scheduler over their veth pair, not loopback.
        cmd.env("HDAB_CLUSTER_PRIVATE_NETWORK", "1");
    }
    if let Some(k) = key_file {
        cmd.args(["--key-file", k.to_str().unwrap()]);
    }
    let child = cmd
        .args(["cluster"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Running(
        child,
        if args[0] == "scheduler" {
            "scheduler"
        } else {
            "executor"
        },
    )
}

/// Every encoding of `key` a plan could carry it in.
fn encodings(key: &[u8]) -> Vec<(String, Vec<u8>)> {
    use data_encoding::{BASE32, BASE32_NOPAD, BASE64, BASE64_NOPAD, BASE64URL, BASE64URL_NOPAD};
    let hex = key.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut out = vec![
        ("raw".to_string(), key.to_vec()),
        ("hex".to_string(), hex.clone().into_bytes()),
        ("HEX".to_string(), hex.to_uppercase().into_bytes()),
    ];
    for (name, e) in [
        ("base64", &BASE64),
        ("base64 (no padding)", &BASE64_NOPAD),
        ("base64url", &BASE64URL),
        ("base64url (no padding)", &BASE64URL_NOPAD),
        ("base32", &BASE32),
        ("base32 (no padding)", &BASE32_NOPAD),
    ] {
        out.push((name.to_string(), e.encode(key).into_bytes()));
        out.push((
            format!("{name}, lower case"),
            e.encode(key).to_lowercase().into_bytes(),
        ));
    }
    // A key's first 16 bytes are as secret as all of it.
    out.push(("raw, first half".to_string(), key[..16].to_vec()));
    out.push(("hex, first half".to_string(), hex.as_bytes()[..32].to_vec()));
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The permit's pseudonym key as bytes, derived as hdab derives it (HKDF-SHA-256 of the
/// master key; the derived key is never exported by hdab itself, so the test derives it).
fn permit_key_bytes(master: &[u8; 32], permit: &str, version: u32) -> [u8; 32] {
    use ring::hkdf;
    struct Len;
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            32
        }
    }
    let version = version.to_string();
    let fields: [&[u8]; 6] = [
        b"hdab",
        b"1",
        b"pseudonym",
        permit.as_bytes(),
        b"se-personnummer",
        version.as_bytes(),
    ];
    let mut info = Vec::new();
    for f in fields {
        info.extend_from_slice(&(f.len() as u32).to_be_bytes());
        info.extend_from_slice(f);
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"hdab/hkdf-salt/v1").extract(master);
    let parts = [info.as_slice()];
    let okm = prk.expand(&parts, Len).unwrap();
    let mut out = [0u8; 32];
    okm.fill(&mut out).unwrap();
    out
}

/// Each row as sorted `column=value` text, the rows sorted: a multiset to compare.
fn multiset(folder: &Path) -> Vec<String> {
    let mut rows: Vec<String> = delivered_rows(folder)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_demo_permit_on_a_loopback_cluster_delivers_what_one_machine_delivers_and_no_key_crosses_the_network()
 {
    let local = Hdab::demo();
    let on_cluster = local.copy();
    let empty = tempfile::tempdir().unwrap();

    // The scheduler: no key file, no installation.
    let scheduler_port = free_port_pair();
    let scheduler_addr: SocketAddr = format!("127.0.0.1:{scheduler_port}").parse().unwrap();
    let mut scheduler = cluster_process(
        &["scheduler", "--listen", &scheduler_addr.to_string()],
        empty.path(),
        None,
        None,
    );
    wait_for(scheduler_addr, "the scheduler", &mut scheduler);
    // As root, each executor in a network namespace of its own (a host of its own, as far
    // as the network goes); otherwise all on loopback.
    let namespaces: Vec<Netns> = if Netns::available() {
        // Both or neither.
        let n: Vec<Netns> = (0..2).map_while(Netns::new).collect();
        let n = if n.len() == 2 { n } else { Vec::new() };
        for ns in &n {
            println!(
                "an executor in network namespace {} at {}",
                ns.name, ns.ns_ip
            );
        }
        n
    } else {
        println!("not root (or no iproute2): the executors share loopback");
        Vec::new()
    };
    if namespaces.is_empty() {
        println!("the executors share loopback");
    }
    let _forwarding = (!namespaces.is_empty()).then(Forwarding::on);
    // Executors and the client reach the scheduler only through recording proxies.
    let proxy_host = if namespaces.is_empty() {
        "127.0.0.1"
    } else {
        "0.0.0.0"
    };
    let (for_executors, executor_traffic) = recording_proxy(proxy_host, scheduler_addr);
    let (for_client, client_traffic) = recording_proxy("127.0.0.1", scheduler_addr);

    let key_file = on_cluster.dir().join("master.key");
    let mut executors = Vec::new();
    for i in 0..2 {
        let netns = namespaces.get(i);
        let host = netns.map_or("127.0.0.1".to_string(), |n| n.ns_ip.clone());
        let port = if netns.is_some() {
            50051
        } else {
            free_port_pair()
        };
        let scheduler_seen = match netns {
            Some(n) => format!("{}:{}", n.host_ip, for_executors.port()),
            None => for_executors.to_string(),
        };
        let work = empty.path().join(format!("executor-{i}"));
        std::fs::create_dir_all(&work).unwrap();
        let listen = format!("{host}:{port}");
        let mut e = cluster_process(
            &[
                "executor",
                "--scheduler",
                &scheduler_seen,
                "--listen",
                &listen,
                "--concurrent-tasks",
                "2",
                "--work-dir",
                work.to_str().unwrap(),
            ],
            &work,
            Some(&key_file),
            netns,
        );
        wait_for(listen.parse().unwrap(), "an executor", &mut e);
        executors.push(e);
    }
    // Executors register on their first poll.
    std::thread::sleep(Duration::from_secs(2));

    // The delivery made on one machine by the demo, taken away from the copy so that the
    // cluster's run is a real one.
    std::fs::remove_dir_all(on_cluster.spe().join(PERMIT)).unwrap();
    let started = Instant::now();
    let out = on_cluster.ok(&[
        "--as",
        "olle",
        "extract",
        PERMIT,
        "--cluster",
        &for_client.to_string(),
    ]);
    println!(
        "extraction of {PERMIT} on a scheduler and two executors: {:.1} s\n{out}",
        started.elapsed().as_secs_f64()
    );

    let mut datasets: Vec<String> = std::fs::read_dir(local.spe().join(PERMIT))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("manifest.json").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    datasets.sort();
    assert!(
        datasets.len() >= 3,
        "the demo permit delivers its population table and datasets: {datasets:?}"
    );
    let mut ran_on_cluster = 0;
    for dataset in &datasets {
        let one = local.spe().join(PERMIT).join(dataset);
        let many = on_cluster.spe().join(PERMIT).join(dataset);
        let (a, b) = (read_delivery(&one), read_delivery(&many));
        assert_eq!(
            a.record["rows"], b.record["rows"],
            "{dataset}: the row accounting differs"
        );
        assert_eq!(
            a.manifest["columns"], b.manifest["columns"],
            "{dataset}: the delivered columns differ"
        );
        let (rows_one, rows_many) = (multiset(&one), multiset(&many));
        assert!(!rows_one.is_empty(), "{dataset}: nothing was delivered");
        assert!(
            rows_one == rows_many,
            "{dataset}: {} rows on one machine, {} on the cluster, not the same multiset",
            rows_one.len(),
            rows_many.len()
        );
        for text in b.all_text() {
            assert!(
                !crate::support::contains_person_id(&text, reference()),
                "{dataset}: a personnummer in the cluster's delivery"
            );
        }
        if b.manifest["ran_on"]
            .as_str()
            .is_some_and(|r| r.contains("ballista"))
        {
            ran_on_cluster += 1;
        }
    }
    // The population table is written by the client from the population it built; every
    // dataset's plan ran on the cluster.
    assert_eq!(
        ran_on_cluster,
        datasets.len() - 1,
        "manifests say where they ran"
    );

    // Plans crossed the proxies (the capture is not empty) …
    let to_executors = executor_traffic.lock().unwrap().clone();
    let from_client = client_traffic.lock().unwrap().clone();
    for (name, traffic) in [
        ("scheduler ↔ executors", &to_executors),
        ("client ↔ scheduler", &from_client),
    ] {
        assert!(
            contains(traffic, b"hdab_pseudonym") && contains(traffic, PERMIT.as_bytes()),
            "{name}: no plan naming the keyed function and the permit was captured ({} bytes)",
            traffic.len()
        );
    }
    // … and no key in any encoding.
    let master = local.master_key();
    let master_bytes: [u8; 32] = {
        let hex = std::fs::read_to_string(local.dir().join("master.key")).unwrap();
        let hex = hex.split_whitespace().next().unwrap().to_string();
        let mut b = [0u8; 32];
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        b
    };
    let permit_key = permit_key_bytes(&master_bytes, PERMIT, 1);
    // The derivation above is hdab's: an HMAC under these bytes equals one under hdab's key.
    let hdab_key = master.derive(&hdab_pseudonymise::permit_context(PERMIT, 1));
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &permit_key),
        b"195001010000",
    );
    assert_eq!(mac.as_ref(), &hdab_key.mac(b"195001010000")[..]);
    for (name, traffic) in [
        ("scheduler ↔ executors", &to_executors),
        ("client ↔ scheduler", &from_client),
    ] {
        for (which, key) in [
            ("master key", &master_bytes[..]),
            ("permit key", &permit_key[..]),
        ] {
            for (encoding, needle) in encodings(key) {
                assert!(
                    !contains(traffic, &needle),
                    "{name}: the {which} crossed the network ({encoding})"
                );
            }
        }
    }
    println!(
        "captured {} bytes between scheduler and executors, {} between client and scheduler: no key in any encoding",
        to_executors.len(),
        from_client.len()
    );
    drop(executors);
    drop(scheduler);
    drop(namespaces);
}
