"""Benchmark: hdab's extraction against the pipelines an analyst would write instead.

One run: generates a prescribed-drug register of about N rows with hdab's seeded generator,
converts it to Parquet, sets up a permit in a fresh hdab installation, runs `hdab extract`
and the Python baselines (Polars, DuckDB, pyarrow — each with HMAC over distinct persons —
and Polars' own unkeyed hash, which is not a valid pseudonym), checks they all deliver the
same rows and pseudonyms, and prints wall time, rows per second, peak memory and the ratio
hdab / baseline. Also the floor: reading and writing the same data with pyarrow plus one
HMAC per distinct person.

Usage: python benches/extraction.py --rows 1000000 [--rows 10000000] (via benches/run.sh)
"""
import argparse
import hashlib
import hmac
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


# What every benchmark application says besides its title and data.
APPLICATION_HEADER = """
organisation = "karolinska-institutet"
purpose = "scientific_research"
intended_use = "Benchmark extraction."
expected_benefit = "Figures."
spe_users = ["anna"]
pseudonymised = true
why_not_anonymised = "Linkage per person."
months_needed = 12
ethics_reference = "Dnr 2026-00000-01"
"""

APPLICATION = """
title = "Benchmark: drugs after myocardial infarction"
""" + APPLICATION_HEADER + """
[[datasets]]
dataset_id = "lakemedel"
variables = ["EDATUM", "ATC", "ANTAL", "DDD"]

[datasets.cohort]
conditions = [{ kind = "code_prefix", columns = ["ATC"], prefixes = ["C07", "B01AC", "C10"] }]
"""


def run(cmd, env=None, measure=False):
    """Runs a command; with measure, returns (seconds, peak RSS in MiB) of that process.

    Peak memory comes from GNU time, which starts the command from its own small process:
    the rusage of a child this (large) Python process spawns directly would include the
    parent's pages copied before exec.
    """
    if measure:
        cmd = ["/usr/bin/time", "-f", "HDAB_MAXRSS_KB %M"] + [str(c) for c in cmd]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}")
    if not measure:
        return proc.stdout
    kb = [int(l.split()[1]) for l in proc.stderr.splitlines() if l.startswith("HDAB_MAXRSS_KB")]
    return elapsed, kb[-1] / 1024, proc.stdout


def lp(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def permit_key(master: bytes, permit: str, version: int = 1) -> bytes:
    info = b"".join(lp(f.encode()) for f in ["hdab", "1", "pseudonym", permit, "se-personnummer", str(version)])
    prk = hmac.new(b"hdab/hkdf-salt/v1", master, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def canonical_frame(path):
    import polars as pl

    df = pl.read_parquet(path)
    return df.select("pseudonym", "EDATUM", "ATC", "ANTAL", "DDD").sort(["pseudonym", "EDATUM", "ATC", "ANTAL", "DDD"])


def lakemedel_parquet(data: Path, work: Path):
    """The generated drug register as Parquet (batch by batch, so any size fits); returns
    (path, rows). The CSV is removed."""
    import pyarrow as pa
    import pyarrow.compute  # noqa: F401  (pa.compute)
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    reader = pacsv.open_csv(
        data / "lakemedel.csv",
        read_options=pacsv.ReadOptions(block_size=64 << 20),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types={"PERSONNR": pa.string(), "EDATUM": pa.string(), "ATC": pa.string(), "ANTAL": pa.int64(), "DDD": pa.string()}),
    )
    upload = work / "lakemedel.parquet"
    schema = pa.schema([("PERSONNR", pa.string()), ("EDATUM", pa.string()), ("ATC", pa.string()), ("ANTAL", pa.int64()), ("DDD", pa.float64())])
    n_rows = 0
    with pq.ParquetWriter(upload, schema, compression="zstd") as writer:
        for batch in reader:
            ddd = pa.compute.cast(pa.compute.replace_substring(batch.column(4), ",", "."), pa.float64())
            writer.write_table(pa.table([batch.column(0), batch.column(1), batch.column(2), batch.column(3), ddd], schema=schema), row_group_size=1 << 20)
            n_rows += batch.num_rows
    (data / "lakemedel.csv").unlink()
    return upload, n_rows


def installation(hdab: str, work: Path):
    """A fresh installation with the benchmark's users; returns (environment, run-as)."""
    env = dict(os.environ, HDAB_DATA_DIR=str(work / "hdab"))
    env.pop("HDAB_MASTER_KEY", None)
    h = lambda *a, user=None: run([hdab] + (["--as", user] if user else []) + list(a), env=env)
    h("keys", "init")
    h("users", "add", "--id", "admin", "--org", "socialstyrelsen", "--role", "admin")
    for uid, org, role in [("sara", "socialstyrelsen", "data_holder"), ("stig", "scb", "data_holder"),
                           ("anna", "karolinska-institutet", "applicant"),
                           ("olle", "socialstyrelsen", "case_officer"), ("dora", "socialstyrelsen", "decision_maker"),
                           ("otto", "socialstyrelsen", "optout_registrar")]:
        h("users", "add", "--id", uid, "--org", org, "--role", role, user="admin")
    return env, h


def approve(h, work: Path, application_text: str, name: str = "application") -> str:
    """Applies, takes and approves an application; returns the permit's id."""
    application = work / f"{name}.toml"
    application.write_text(application_text)
    app_id = h("apply", "create", str(application), user="anna").strip()
    h("apply", "submit", app_id, user="anna")
    h("case", "take", app_id, user="olle")
    return h("case", "approve", app_id, "--reason", "benchmark", user="dora").split("permit ")[1].strip()


def fulfil_orders(h, permit: str, uploads: dict) -> None:
    """Each holder uploads for the permit's open data orders (an extraction reads the orders'
    uploads): `uploads` maps a dataset to (file, holder)."""
    import json

    for order in json.loads(h("order", "list", "--permit", permit, "--json", user="olle")):
        if order["state"]["state"] != "open":
            continue
        path, holder = uploads[order["dataset_id"]]
        h("upload", "--order", order["id"], str(path), "--extract-date", "2024-03-31", user=holder)


def one_size(hdab: str, rows: int, work: Path, hdab_only: bool = False) -> None:
    import pyarrow.parquet as pq

    persons = max(1000, rows * 2 // 15)  # ~7.5 dispensings per person
    data = work / "data"
    run([hdab, "synth", "--out", str(data), "--persons", str(persons)])
    upload, n_rows = lakemedel_parquet(data, work)
    env, h = installation(hdab, work)
    h("catalog", "register", str(REPO / "catalog/lakemedel.toml"), user="sara")
    h("upload", "--dataset", "lakemedel", str(upload), "--extract-date", "2024-03-31", user="sara")
    h("optout", "register", "--file", str(data / "optouts.txt"), "--written-on", "2024-03-31", user="otto")
    permit = approve(h, work, APPLICATION)
    fulfil_orders(h, permit, {"lakemedel": (upload, "sara")})

    results = {}
    secs, rss, _ = run([hdab, "--as", "olle", "extract", permit], env=env, measure=True)
    hdab_out = work / "hdab" / "spe" / permit / "lakemedel"
    results["hdab"] = (secs, rss)
    if hdab_only:
        print(f"\n## {n_rows:,} rows, {persons:,} persons: hdab alone\n")
        print(f"hdab: {secs:.2f} s, {n_rows / secs:,.0f} rows/s, peak {rss:.0f} MiB")
        return
    reference = canonical_frame(str(hdab_out / "*.parquet"))

    master = bytes.fromhex((work / "hdab" / "master.key").read_text().split()[0])
    key = permit_key(master, permit).hex()
    for engine in ["duckdb", "polars", "pyarrow", "polars-unkeyed"]:
        out = work / f"{engine}.parquet"
        secs, rss, _ = run([sys.executable, str(HERE / "baselines.py"), engine, str(upload), str(out), key, str(data / "optouts.txt")], measure=True)
        results[engine] = (secs, rss)
        frame = canonical_frame(str(out))
        if engine == "polars-unkeyed":
            assert frame.height == reference.height, (engine, frame.height, reference.height)
        else:
            if not frame.equals(reference):
                sys.exit(f"{engine} does not deliver the same rows and pseudonyms as hdab: {frame.height} rows against {reference.height}; {frame.head(3)} {reference.head(3)}")

    # The floor: read the input and write hdab's output with pyarrow, plus one HMAC per person.
    t0 = time.perf_counter()
    pq.read_table(upload)
    out_table = pq.read_table(str(next(hdab_out.glob("*.parquet"))))
    t1 = time.perf_counter()
    pq.write_table(out_table, work / "floor.parquet", compression="zstd")
    t2 = time.perf_counter()
    distinct = out_table["pseudonym"].unique()
    k = bytes.fromhex(key)
    t3 = time.perf_counter()
    for p in distinct.to_pylist():
        hmac.new(k, p.encode(), hashlib.sha256).digest()
    t4 = time.perf_counter()
    floor = (t1 - t0) + (t2 - t1) + (t4 - t3)

    print(f"\n## {n_rows:,} rows, {persons:,} persons (Parquet input; cohort ATC C07/B01AC/C10; {reference.height:,} rows delivered)\n")
    print(f"| pipeline | wall s | rows/s | peak MiB | hdab / this (time) | hdab / this (memory) |")
    print(f"|---|---:|---:|---:|---:|---:|")
    hs, hm = results["hdab"]
    for name, (s, m) in results.items():
        note = " (unkeyed hash: not a valid pseudonym)" if name == "polars-unkeyed" else ""
        print(f"| {name}{note} | {s:.2f} | {n_rows / s:,.0f} | {m:.0f} | {hs / s:.2f} | {hm / m:.2f} |")
    print(f"| floor: pyarrow read + write + HMAC per person | {floor:.2f} | {n_rows / floor:,.0f} | – | {hs / floor:.2f} | – |")
    best = min((s for n, (s, _) in results.items() if n not in ("hdab", "polars-unkeyed")))
    print(f"\nhdab is {best / hs:.2f}x the speed of the best keyed baseline; {hs / floor:.2f}x the floor's time.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, action="append", default=None)
    ap.add_argument("--hdab-only", action="store_true", help="measure hdab alone (e.g. at 100M rows)")
    ap.add_argument("--hdab", default=str(Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "hdab"))
    args = ap.parse_args()
    for rows in args.rows or [1_000_000]:
        keep = os.environ.get("HDAB_BENCH_KEEP")
        if keep:
            shutil.rmtree(keep, ignore_errors=True)
            Path(keep).mkdir(parents=True)
            one_size(args.hdab, rows, Path(keep), args.hdab_only)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            one_size(args.hdab, rows, Path(tmp), args.hdab_only)


if __name__ == "__main__":
    main()
