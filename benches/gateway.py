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

from extraction import APPLICATION_HEADER, REPO, approve, fulfil_orders, installation, lakemedel_parquet, run

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


def queries_for(i, pseudonyms, first):
    month = f"{first.year + (first.month + i) // 12 % 3}-{(first.month + i) % 12 + 1:02}"
    return [
        ("count", "SELECT count(*) FROM lakemedel"),
        ("groupby", "SELECT ATC, count(*) AS n, sum(ANTAL) AS antal FROM lakemedel GROUP BY ATC"),
        ("person", f"SELECT * FROM lakemedel WHERE pseudonym = '{pseudonyms[i % len(pseudonyms)]}'"),
        ("month", f"SELECT * FROM lakemedel WHERE EDATUM >= DATE '{month}-01' AND EDATUM < DATE '{month}-01' + INTERVAL '1 month'"),
    ]


def phase(connect, clients, seconds, users, pseudonyms, first):
    """`clients` threads, each on its own connection, in a closed loop for `seconds`:
    returns ([(kind, seconds, rows)], [error], wall seconds)."""
    results, errors = [], []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def researcher(i):
        conn = connect(i)
        queries = queries_for(i, pseudonyms, first)
        start.wait()
        deadline = time.perf_counter() + seconds
        k = i
        while time.perf_counter() < deadline:
            kind, sql = queries[k % len(queries)]
            k += 1
            t0 = time.perf_counter()
            try:
                cur = conn.cursor()
                cur.execute(sql)
                fetch = getattr(cur, "fetch_arrow_table", None) or cur.to_arrow_table  # ADBC / DuckDB
                got = fetch().num_rows
                cur.close()
            except Exception as e:  # noqa: BLE001 — every error is counted and fails the run
                with lock:
                    errors.append(f"{users[i]} {kind}: {e}")
                continue
            with lock:
                results.append((kind, time.perf_counter() - t0, got))
        conn.close()

    threads = [threading.Thread(target=researcher, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return results, errors, time.perf_counter() - t0


def report(title, results, wall):
    print(f"\n{title}\n")
    print("| query | count | p50 s | p99 s | max s | rows returned |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in ["count", "groupby", "person", "month", None]:
        picked = [(s, r) for k, s, r in results if kind is None or k == kind]
        lat = [s for s, _ in picked]
        rows = sum(r for _, r in picked)
        print(f"| {kind or 'all'} | {len(lat)} | {statistics.median(lat):.3f} | {percentile(lat, 99):.3f} | {max(lat):.3f} | {rows:,} |")
    rows = sum(r for _, _, r in results)
    print(f"\n{len(results) / wall:.1f} queries/s, {rows / wall:,.0f} rows/s returned")
    return percentile([s for _, s, _ in results], 99)


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
        fulfil_orders(h, permit, {"lakemedel": (upload, "sara")})
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

        def through_gateway(i):
            return flightsql.connect(f"grpc://{address}", db_kwargs={"username": users[i], "password": PASSWORD},
                                     autocommit=True)

        files = [str(f) for f in sorted(delivery.glob("*.parquet"))]

        def duckdb_direct(i):
            import duckdb

            conn = duckdb.connect()
            conn.execute(f"CREATE VIEW lakemedel AS SELECT * FROM read_parquet({files!r})")
            return conn

        single = phase(through_gateway, 1, args.seconds / 3, users, pseudonyms, first)
        loaded = phase(through_gateway, args.clients, args.seconds, users, pseudonyms, first)
        server.terminate()
        server.wait()
        direct = phase(duckdb_direct, args.clients, args.seconds / 3, users, pseudonyms, first)
        results, errors, wall = loaded

        log = json.loads(h("spe", "log", permit, "--json", user="olle"))
        done = [q for q in log if q["status"] == "done"]
        verified = h("audit", "verify")

    for name, (_, errs, _) in [("1 researcher", single), ("16 researchers", loaded), ("DuckDB direct", direct)]:
        if errs:
            sys.exit(f"{name}: {len(errs)} errors:\n" + "\n".join(errs[:20]))
    print(f"\n## Gateway load: {args.clients} researchers, {n_rows:,}-row register, {delivered:,} rows delivered\n")
    print(f"Phases in one run: the gateway with 1 researcher ({args.seconds / 3:.0f} s), with {args.clients} ({args.seconds:.0f} s), "
          f"and the baseline: DuckDB reading the delivered files directly, {args.clients} threads, no gateway, no log ({args.seconds / 3:.0f} s).")
    p_single = report("### Through the gateway, 1 researcher", single[0], single[2])
    p_loaded = report(f"### Through the gateway, {args.clients} researchers at once", results, wall)
    p_direct = report(f"### Baseline: DuckDB on the files, {args.clients} threads", direct[0], direct[2])
    print(f"\np99 under load / p99 alone: {p_loaded / p_single:.2f}; gateway p99 / DuckDB-direct p99 at {args.clients}: {p_loaded / p_direct:.2f}. "
          f"0 errors; the log holds {len(done)} completed queries for the clients' {len(single[0]) + len(results)}, each with its row count; "
          f"{verified.strip().splitlines()[-1] if verified.strip() else ''}")
    assert len(done) == len(single[0]) + len(results), (len(done), len(results))
    logged_rows = sorted(q["rows"] for q in done)
    assert logged_rows == sorted(r for _, _, r in single[0] + results), "the log's row counts differ from what the clients got"


if __name__ == "__main__":
    main()
