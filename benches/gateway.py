"""Benchmark: the SPE gateway under load — 16 researchers querying one 10M-row delivery at
once through the ADBC Flight SQL driver (what researchers use), each signed in as a user of
their own, for a fixed time in a closed loop over a mix of queries:

  count   SELECT count(*) FROM lakemedel
  groupby SELECT ATC, count(*), sum(ANTAL) FROM lakemedel GROUP BY ATC   (a full scan)
  person  SELECT * FROM lakemedel WHERE pseudonym = '…'                  (one person's rows)
  month   SELECT * FROM lakemedel WHERE EDATUM in one month              (~1/72 of the rows)

It reports, per query kind and overall, the count, p50/p99/max latency, and the rows/s
returned; any error fails the run. Then it checks that the gateway's log (`hdab spe log`)
holds exactly the queries the clients completed, each with its row count, and that the
audit log verifies. The server and the clients share the machine's two cores.

Usage: python benches/gateway.py --rows 10000000 [--seconds 60] [--clients 16]
(via benches/run.sh gateway …)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from extraction import APPLICATION_HEADER, REPO, approve, installation, lakemedel_parquet, run

PASSWORD = "ett långt lösenord för lasttestet"


def application(users):
    header = APPLICATION_HEADER.replace('spe_users = ["anna"]', "spe_users = " + json.dumps(users))
    return (
        'title = "Benchmark: the whole drug register through the gateway"\n'
        + header
        + '[[datasets]]\ndataset_id = "lakemedel"\nvariables = ["EDATUM", "ATC", "ANTAL", "DDD"]\n'
    )


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--hdab", required=True)
    args = ap.parse_args()
    import adbc_driver_flightsql.dbapi as flightsql
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        persons = max(1000, args.rows * 2 // 15)
        data = work / "data"
        run([args.hdab, "synth", "--out", str(data), "--persons", str(persons)])
        upload, n_rows = lakemedel_parquet(data, work)
        env, h = installation(args.hdab, work)
        users = [f"r{i:02}" for i in range(1, args.clients + 1)]
        for u in users:
            h("users", "add", "--id", u, "--org", "karolinska-institutet", "--role", "applicant", user="admin")
            subprocess.run([args.hdab, "--as", "admin", "users", "password", "--id", u], env=env,
                           input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        h("catalog", "register", str(REPO / "catalog/lakemedel.toml"), user="sara")
        h("upload", "--dataset", "lakemedel", str(upload), "--extract-date", "2024-03-31", user="sara")
        h("optout", "register", "--file", str(data / "optouts.txt"), "--written-on", "2024-03-31", user="otto")
        permit = approve(h, work, application(users))
        h("extract", permit, user="olle")
        delivery = work / "hdab" / "spe" / permit / "lakemedel"
        table = pq.read_table(sorted(delivery.glob("*.parquet")), columns=["pseudonym", "EDATUM"])
        delivered = table.num_rows
        pseudonyms = table["pseudonym"].unique().to_pylist()[: 4 * args.clients]
        first = min(table["EDATUM"].to_pylist()[:100000])
        del table

        server = subprocess.Popen([args.hdab, "spe", "serve", "--listen", "127.0.0.1:0"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        address = server.stdout.readline().split("grpc://")[1].strip()
        results = []  # (kind, seconds, rows)
        errors = []
        lock = threading.Lock()
        start = threading.Barrier(args.clients + 1)

        def researcher(i):
            conn = flightsql.connect(f"grpc://{address}", db_kwargs={"username": users[i], "password": PASSWORD},
                                     autocommit=True)
            month = f"{first.year + (first.month + i) // 12 % 3}-{(first.month + i) % 12 + 1:02}"
            queries = [
                ("count", "SELECT count(*) FROM lakemedel"),
                ("groupby", "SELECT ATC, count(*) AS n, sum(ANTAL) AS antal FROM lakemedel GROUP BY ATC"),
                ("person", f"SELECT * FROM lakemedel WHERE pseudonym = '{pseudonyms[i % len(pseudonyms)]}'"),
                ("month", f"SELECT * FROM lakemedel WHERE EDATUM >= DATE '{month}-01' AND EDATUM < DATE '{month}-01' + INTERVAL '1 month'"),
            ]
            start.wait()
            deadline = time.perf_counter() + args.seconds
            k = i
            while time.perf_counter() < deadline:
                kind, sql = queries[k % len(queries)]
                k += 1
                t0 = time.perf_counter()
                try:
                    with conn.cursor() as cur:
                        cur.execute(sql)
                        got = cur.fetch_arrow_table().num_rows
                except Exception as e:  # noqa: BLE001 — every error is counted and fails the run
                    with lock:
                        errors.append(f"{users[i]} {kind}: {e}")
                    continue
                with lock:
                    results.append((kind, time.perf_counter() - t0, got))
            conn.close()

        threads = [threading.Thread(target=researcher, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        start.wait()
        t_start = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t_start
        server.terminate()
        server.wait()

        log = json.loads(h("spe", "log", permit, "--json", user="olle"))
        done = [q for q in log if q["status"] == "done"]
        verified = h("audit", "verify")

    if errors:
        sys.exit(f"{len(errors)} errors:\n" + "\n".join(errors[:20]))
    print(f"\n## Gateway load: {args.clients} researchers, {n_rows:,}-row register, {delivered:,} rows delivered, {args.seconds:.0f} s\n")
    print("| query | count | p50 s | p99 s | max s | rows returned |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in ["count", "groupby", "person", "month"]:
        lat = [s for k, s, _ in results if k == kind]
        rows = sum(r for k, _, r in results if k == kind)
        print(f"| {kind} | {len(lat)} | {statistics.median(lat):.3f} | {percentile(lat, 99):.3f} | {max(lat):.3f} | {rows:,} |")
    lat = [s for _, s, _ in results]
    rows = sum(r for _, _, r in results)
    print(f"| all | {len(lat)} | {statistics.median(lat):.3f} | {percentile(lat, 99):.3f} | {max(lat):.3f} | {rows:,} |")
    print(f"\n{len(results) / wall:.1f} queries/s, {rows / wall:,.0f} rows/s returned, {len(errors)} errors; "
          f"the log holds {len(done)} completed queries for the clients' {len(results)}, each with its row count; "
          f"{verified.strip().splitlines()[-1] if verified.strip() else ''}")
    assert len(done) == len(results), (len(done), len(results))
    logged_rows = sorted(q["rows"] for q in done)
    assert logged_rows == sorted(r for _, _, r in results), "the log's row counts differ from what the clients got"


if __name__ == "__main__":
    main()
