"""Benchmark: the whole-register extraction on one machine and on a loopback DataFusion
Ballista cluster started from the same binary (a scheduler and 1 or 2 executors, the two
cores shared between them), in one run, alternating, median of `--repeat`.

The register is `benches/whole_register.py`'s (hdab's seeded generator, 5 stays per person,
about 3% of persons opted out; every row of every valid, not opted-out person and every
column but the hospital is delivered). Every cluster run must deliver the same number of
rows and the same multiset of pseudonyms as the single-machine run before a time counts.

Beside wall time, it reads the CPU seconds of the client (`hdab extract --cluster`: receiving
the rows, writing Parquet, the leak scan) and of the executors (`/proc/<pid>/stat`), which
give the per-core throughput of each side and an estimate of the time on N machines.

Usage: python benches/cluster.py --hdab target/release/hdab --rows 10000000 [--rows 100000000]
       [--repeat 3]   (via `benches/run.sh cluster …`; the binary needs `--features cluster`)
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from extraction import REPO, approve, fulfil_orders, installation, run
from whole_register import APPLICATION, pseudonyms, slutenvard_parquet

TICKS = os.sysconf("SC_CLK_TCK")


def free_port_pair() -> int:
    for _ in range(200):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                    return port
                except OSError:
                    continue
    sys.exit("no two free consecutive ports")


def wait_listening(port: int, proc: subprocess.Popen, what: str):
    start = time.time()
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"{what} exited: {proc.stderr.read() if proc.stderr else ''}")
            if time.time() - start > 60:
                sys.exit(f"{what} did not listen on {port}")
            time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime are fields 14–17 (1-based) of the whole line.
    return sum(int(x) for x in fields[11:15]) / TICKS


def start(hdab: str, args: list, env: dict, port: int, what: str) -> subprocess.Popen:
    proc = subprocess.Popen([hdab, "cluster"] + args, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    wait_listening(port, proc, what)
    return proc


def stop(procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def one_size(hdab: str, rows: int, repeat: int, work: Path) -> None:
    data = work / "data"
    persons = max(1000, int(rows / 5))
    run([hdab, "synth", "--out", str(data), "--persons", str(persons),
         "--inpatient-per-person", "5", "--only", "slutenvard", "--only", "optouts"])
    upload, n_rows = slutenvard_parquet(data, work)
    env, h = installation(hdab, work)
    h("catalog", "register", str(REPO / "catalog/slutenvard.toml"), user="sara")
    h("optout", "register", "--file", str(data / "optouts.txt"), "--written-on", "2024-03-31", user="otto")
    permit = approve(h, work, APPLICATION)
    fulfil_orders(h, permit, {"slutenvard": (upload, "sara")})
    out = work / "hdab" / "spe" / permit / "slutenvard"
    key_file = work / "hdab" / "master.key"

    scheduler_port = free_port_pair()
    cluster_env = {k: v for k, v in env.items() if k not in ("HDAB_MASTER_KEY",)}
    scheduler = start(hdab, ["scheduler", "--listen", f"127.0.0.1:{scheduler_port}"],
                      dict(cluster_env, HDAB_DATA_DIR=str(work / "scheduler")), scheduler_port, "scheduler")
    # (name, executors, tasks per executor, partitions of the upload's scan)
    setups = [("one machine", 0, 0, 2), ("cluster, 1 executor × 2 tasks", 1, 2, 2),
              ("cluster, 2 executors × 1 task", 2, 1, 2), ("cluster, 2 executors × 1 task, 4 partitions", 2, 1, 4)]
    results = {name: {"wall": [], "client_cpu": [], "exec_cpu": [], "rss": []} for name, *_ in setups}
    reference = None
    try:
        for _ in range(repeat):
            for name, executors, tasks, partitions in setups:
                procs = []
                for i in range(executors):
                    port = free_port_pair()
                    wd = work / f"executor-{i}"
                    wd.mkdir(exist_ok=True)
                    procs.append(start(hdab, ["--key-file", str(key_file), "executor", "--scheduler",
                                              f"127.0.0.1:{scheduler_port}", "--listen", f"127.0.0.1:{port}",
                                              "--concurrent-tasks", str(tasks), "--work-dir", str(wd)],
                                       cluster_env, port, "executor"))
                if procs:
                    time.sleep(2)  # executors register on their first poll
                if out.exists():
                    shutil.rmtree(out)
                cmd = ["/usr/bin/time", "-f", "HDAB_TIME %M %U %S", hdab, "--as", "olle", "extract", permit]
                if executors:
                    cmd += ["--cluster", f"127.0.0.1:{scheduler_port}"]
                before = [cpu_seconds(p.pid) for p in procs]
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, env=dict(env, HDAB_PARTITIONS=str(partitions)),
                                      capture_output=True, text=True)
                wall = time.perf_counter() - t0
                if proc.returncode != 0:
                    stop(procs)
                    sys.exit(f"{name}: {proc.stderr}")
                after = [cpu_seconds(p.pid) for p in procs]
                stop(procs)
                line = [l for l in proc.stderr.splitlines() if l.startswith("HDAB_TIME")][-1].split()
                r = results[name]
                r["wall"].append(wall)
                r["rss"].append(int(line[1]) / 1024)
                r["client_cpu"].append(float(line[2]) + float(line[3]))
                r["exec_cpu"].append(sum(a - b for a, b in zip(after, before)))
                got = pseudonyms(sorted(str(p) for p in out.glob("*.parquet")))
                key = (got[0], sorted(map(str, got[1])))
                if reference is None:
                    reference = key
                elif key != reference:
                    sys.exit(f"{name}: {got[0]} rows delivered, not the same rows and pseudonyms as {reference[0]}")
    finally:
        stop([scheduler])

    delivered = reference[0]
    local = statistics.median(results["one machine"]["wall"])
    print(f"\n## Whole register on a loopback cluster: {n_rows:,} rows, {delivered:,} delivered, "
          f"median of {repeat}, alternating\n")
    print("| where | wall s (runs) | rows/s | client CPU s | executors' CPU s | client peak MiB | wall / one machine |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, *_ in setups:
        r = results[name]
        w = statistics.median(r["wall"])
        runs = ", ".join(f"{t:.2f}" for t in r["wall"])
        print(f"| {name} | {w:.2f} ({runs}) | {n_rows / w:,.0f} | {statistics.median(r['client_cpu']):.1f} | "
              f"{statistics.median(r['exec_cpu']):.1f} | {max(r['rss']):.0f} | {w / local:.2f} |")
    # Per-core throughput of each side, from the 2-executor run, and the estimate on N hosts.
    r = results["cluster, 2 executors × 1 task"]
    exec_cpu, client_cpu = statistics.median(r["exec_cpu"]), statistics.median(r["client_cpu"])
    exec_rate, client_rate = n_rows / exec_cpu, n_rows / client_cpu
    # What the wall time holds beyond the CPU work of both sides on this machine's 2 cores
    # (scheduling, polling, the exchange): paid again on real hosts.
    overhead = max(statistics.median(r["wall"]) - (exec_cpu + client_cpu) / 2, 0)
    print(f"\nPer core: the executors' side (read, type, validate, hash, join, pseudonymise) "
          f"{exec_rate:,.0f} rows/s; the client's side (receive, write Parquet, leak scan) {client_rate:,.0f} rows/s.")
    print("Estimated wall time on N executor hosts of 8 cores with the client on its own host "
          "(the two sides overlap: the slower bounds it; plus the wall time not explained by CPU work here, "
          f"{overhead:.1f} s):")
    for n in (1, 2, 4, 8, 16):
        est = max(n_rows / (exec_rate * 8 * n), n_rows / client_rate) + max(overhead, 0)
        print(f"- N = {n}: {est:.1f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, action="append")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--hdab", required=True)
    args = ap.parse_args()
    for rows in args.rows or [10_000_000]:
        with tempfile.TemporaryDirectory() as tmp:
            one_size(args.hdab, rows, args.repeat if rows <= 10_000_000 else 1, Path(tmp))


if __name__ == "__main__":
    main()
