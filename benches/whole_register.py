"""Benchmark: the whole-register extraction (issue 21) — the in-patient register, every row of
every valid, not opted-out person, every column but the hospital — hdab against DuckDB with
HMAC over distinct persons joined back, run alternately in one run, median of `--repeat`.

The register comes from hdab's seeded generator (`hdab synth --only slutenvard`, 5 stays per
person by default as in the issue's register: 10M rows, 2M persons), converted to Parquet
(`--input csv`: uploaded and read as the `;`-separated text it is, by both); about 3% of
persons opted out. Both outputs are checked to hold the same
number of rows and the same multiset of pseudonyms before a time is reported.

Usage: python benches/whole_register.py --rows 10000000 [--repeat 3] [--input csv] [--hdab-only]
       [--before OLD_BINARY] [--keep DIR] (via benches/run.sh whole …)
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from extraction import APPLICATION_HEADER, HERE, REPO, approve, fulfil_orders, installation, permit_key, run

APPLICATION = """
title = "Benchmark: the whole in-patient register"
""" + APPLICATION_HEADER + """
[[datasets]]
dataset_id = "slutenvard"
variables = ["KON", "ALDER", "INDATUM", "UTDATUM", "HDIA", "DIA1", "DIA2", "LAN"]
"""


def slutenvard_parquet(data: Path, work: Path, keep_csv: bool = False):
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    names = ["PERSONNR", "KON", "ALDER", "INDATUM", "UTDATUM", "HDIA", "DIA1", "DIA2", "SJUKHUS", "LAN"]
    types = {n: pa.string() for n in names} | {"ALDER": pa.int64()}
    reader = pacsv.open_csv(
        data / "slutenvard.csv",
        read_options=pacsv.ReadOptions(block_size=64 << 20),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    upload = work / "slutenvard.parquet"
    n = 0
    with pq.ParquetWriter(upload, reader.schema, compression="zstd") as w:
        for batch in reader:
            w.write_batch(batch, row_group_size=1 << 20)
            n += batch.num_rows
    if keep_csv:
        return data / "slutenvard.csv", n
    (data / "slutenvard.csv").unlink()
    return upload, n


def pseudonyms(path):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["pseudonym"])
    return t.num_rows, pc.value_counts(t["pseudonym"]).to_pylist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--stays-per-person", type=float, default=5.0,
                    help="mean in-patient stays per person (the issue's register: 10M rows, 2M persons)")
    ap.add_argument("--hdab", required=True)
    ap.add_argument("--hdab-only", action="store_true", help="measure hdab alone (e.g. at 100M rows)")
    ap.add_argument("--before", help="an earlier hdab binary, measured alternately too (a change's effect)")
    ap.add_argument("--input", choices=["parquet", "csv"], default="parquet",
                    help="the upload's format: Parquet, or the register's CSV as exported (`;`)")
    ap.add_argument("--keep", help="a folder to build the installation in and leave behind (to profile it)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        if args.keep:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        data = work / "data"
        persons = max(1000, int(args.rows / args.stays_per_person))
        run([args.hdab, "synth", "--out", str(data), "--persons", str(persons),
             "--inpatient-per-person", str(args.stays_per_person), "--only", "slutenvard", "--only", "optouts"])
        upload, n_rows = slutenvard_parquet(data, work, keep_csv=args.input == "csv")
        env, h = installation(args.hdab, work)
        h("catalog", "register", str(REPO / "catalog/slutenvard.toml"), user="sara")
        h("upload", "--dataset", "slutenvard", str(upload), "--extract-date", "2024-03-31", user="sara")
        h("optout", "register", "--file", str(data / "optouts.txt"), "--written-on", "2024-03-31", user="otto")
        permit = approve(h, work, APPLICATION)
        fulfil_orders(h, permit, {"slutenvard": (upload, "sara")})
        master = bytes.fromhex((work / "hdab" / "master.key").read_text().split()[0])
        key = permit_key(master, permit).hex()
        out = work / "hdab" / "spe" / permit / "slutenvard"
        times = {"hdab": [], "duckdb": [], "before": []}
        mems = {"hdab": [], "duckdb": [], "before": []}
        for i in range(args.repeat):
            # A re-run with nothing changed is a no-op: the delivery goes first.
            if out.exists():
                shutil.rmtree(out)
            for name, binary in [("before", args.before), ("hdab", args.hdab)]:
                if binary is None:
                    continue
                if out.exists():
                    shutil.rmtree(out)
                secs, rss, _ = run([binary, "--as", "olle", "extract", permit], env=env, measure=True)
                times[name].append(secs)
                mems[name].append(rss)
            if args.hdab_only:
                continue
            duck = work / "duckdb.parquet"
            secs, rss, _ = run([sys.executable, str(HERE / "baselines.py"), "duckdb-whole", str(upload), str(duck), key,
                                str(data / "optouts.txt")], measure=True)
            times["duckdb"].append(secs)
            mems["duckdb"].append(rss)
        if args.hdab_only:
            import pyarrow.parquet as pq

            delivered = sum(pq.read_metadata(p).num_rows for p in out.glob("*.parquet"))
            print(f"\n## Whole register: {n_rows:,} rows, {delivered:,} delivered: hdab alone\n")
            print(f"hdab: {statistics.median(times['hdab']):.2f} s (runs {times['hdab']}), "
                  f"peak {max(mems['hdab']):.0f} MiB")
            return
        got = pseudonyms(sorted(str(p) for p in out.glob("*.parquet")))
        want = pseudonyms(str(duck))
        if sorted(map(str, got[1])) != sorted(map(str, want[1])) or got[0] != want[0]:
            sys.exit(f"hdab and DuckDB differ: {got[0]} rows against {want[0]}")
        delivered = got[0]
    hs, ds = statistics.median(times["hdab"]), statistics.median(times["duckdb"])
    print(f"\n## Whole register from {args.input}: {n_rows:,} rows, {delivered:,} delivered ({delivered / n_rows:.1%}), median of {args.repeat}, alternating\n")
    print("| pipeline | wall s (runs) | rows/s | peak MiB | hdab / this |")
    print("|---|---:|---:|---:|---:|")
    rows_ = [("hdab", "hdab", hs), ("duckdb + HMAC over distinct persons", "duckdb", ds)]
    if times["before"]:
        rows_.insert(1, ("hdab before the change", "before", statistics.median(times["before"])))
    for name, key_, s in rows_:
        runs = ", ".join(f"{t:.2f}" for t in times[key_])
        print(f"| {name} | {s:.2f} ({runs}) | {n_rows / s:,.0f} | {max(mems[key_]):.0f} | {hs / s:.2f} |")
    target = 0.6 if args.input == "csv" else 0.5
    print(f"\nhdab / DuckDB: {hs / ds:.2f} (the issue's target: at most {target})")


if __name__ == "__main__":
    main()
