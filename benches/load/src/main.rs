//! `hdab-loadgen`: measures one HTTP endpoint under 64 (or N) concurrent clients.
//!
//! Two phases per endpoint. *Capacity*: every client sends its next request as soon as the
//! previous one returns, for a fixed time; requests per second is what the server sustained.
//! *Latency*: requests are scheduled at a fixed rate (a share of that capacity) and spread
//! over the clients; each latency runs from the request's scheduled start, not from when a
//! client got round to sending it, so a stalled server shows up in the tail instead of
//! silently lowering the load (coordinated omission, as wrk2 corrects it).
//!
//! Prints one JSON object per phase on standard output.

use anyhow::{Context, Result};
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    base: String,
    /// Path to request (GET).
    #[arg(long)]
    path: String,
    /// Send as `Authorization: Bearer …`.
    #[arg(long)]
    token: Option<String>,
    /// Send as the `Cookie` header (a browser session).
    #[arg(long)]
    cookie: Option<String>,
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of each phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The latency phase's rate as a share of the measured capacity.
    #[arg(long, default_value_t = 0.7)]
    load: f64,
    /// A label for the output (e.g. the database).
    #[arg(long, default_value = "")]
    label: String,
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

struct Target {
    client: HttpClient,
    uri: hyper::Uri,
    token: Option<String>,
    cookie: Option<String>,
}

impl Target {
    /// One request; returns its status (0 for a transport error).
    async fn send(&self) -> u16 {
        let mut req = hyper::Request::get(self.uri.clone());
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c.as_str());
        }
        let Ok(req) = req.body(Empty::<Bytes>::new()) else {
            return 0;
        };
        match self.client.request(req).await {
            Ok(res) => {
                let status = res.status().as_u16();
                // Read the whole body: a page is served when its last byte is.
                if res.into_body().collect().await.is_err() {
                    return 0;
                }
                status
            }
            Err(_) => 0,
        }
    }
}

#[derive(Default)]
struct Outcome {
    latencies_us: Vec<u64>,
    non_2xx: u64,
    server_errors: u64,
    transport_errors: u64,
}

impl Outcome {
    fn add(&mut self, status: u16, micros: u64) {
        self.latencies_us.push(micros);
        match status {
            0 => self.transport_errors += 1,
            200..=299 => {}
            500..=599 => {
                self.non_2xx += 1;
                self.server_errors += 1
            }
            _ => self.non_2xx += 1,
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.latencies_us.extend(other.latencies_us);
        self.non_2xx += other.non_2xx;
        self.server_errors += other.server_errors;
        self.transport_errors += other.transport_errors;
    }

    fn report(
        mut self,
        args: &Args,
        phase: &str,
        seconds: f64,
        rate: Option<f64>,
    ) -> serde_json::Value {
        self.latencies_us.sort_unstable();
        let n = self.latencies_us.len();
        let q = |p: f64| -> f64 {
            if n == 0 {
                return 0.0;
            }
            let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
            self.latencies_us[i] as f64 / 1000.0
        };
        serde_json::json!({
            "label": args.label,
            "path": args.path,
            "phase": phase,
            "clients": args.clients,
            "requests": n,
            "requests_per_second": (n as f64 / seconds * 10.0).round() / 10.0,
            "target_rate": rate.map(|r| r.round()),
            "p50_ms": q(0.50),
            "p99_ms": q(0.99),
            "p999_ms": q(0.999),
            "max_ms": q(1.0),
            "non_2xx": self.non_2xx,
            "server_errors": self.server_errors,
            "transport_errors": self.transport_errors,
        })
    }
}

/// Every client loops for `seconds`.
async fn capacity(target: Arc<Target>, clients: usize, seconds: u64) -> (Outcome, f64) {
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let t = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            while Instant::now() < end {
                let sent = Instant::now();
                let status = t.send().await;
                out.add(status, sent.elapsed().as_micros() as u64);
            }
            out
        }));
    }
    let mut all = Outcome::default();
    for task in tasks {
        if let Ok(o) = task.await {
            all.merge(o);
        }
    }
    (all, start.elapsed().as_secs_f64())
}

/// Requests scheduled at `rate` per second for `seconds`, taken by `clients` workers in
/// order; each latency counts from the request's scheduled time.
async fn fixed_rate(target: Arc<Target>, clients: usize, seconds: u64, rate: f64) -> Outcome {
    let start = Instant::now() + Duration::from_millis(50);
    let total = (rate * seconds as f64) as u64;
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (t, next) = (target.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let scheduled = start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(scheduled.into()).await;
                let status = t.send().await;
                out.add(status, scheduled.elapsed().as_micros() as u64);
            }
            out
        }));
    }
    let mut all = Outcome::default();
    for task in tasks {
        if let Ok(o) = task.await {
            all.merge(o);
        }
    }
    all
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let uri: hyper::Uri = format!("{}{}", args.base.trim_end_matches('/'), args.path)
        .parse()
        .context("the URL")?;
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.clients)
        .build(connector);
    let target = Arc::new(Target {
        client,
        uri,
        token: args.token.clone(),
        cookie: args.cookie.clone(),
    });
    // Warm up connections and caches.
    let _ = capacity(target.clone(), args.clients, 1).await;
    let (cap, secs) = capacity(target.clone(), args.clients, args.seconds).await;
    let capacity_rps = cap.latencies_us.len() as f64 / secs;
    println!("{}", cap.report(&args, "capacity", secs, None));
    let rate = (capacity_rps * args.load).max(1.0);
    let fixed = fixed_rate(target, args.clients, args.seconds, rate).await;
    println!(
        "{}",
        fixed.report(&args, "fixed_rate", args.seconds as f64, Some(rate))
    );
    Ok(())
}
