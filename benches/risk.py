"""Benchmark: hdab's re-identification risk measurement and lattice search at register
scale, against a Polars group-by-count over the same columns of the same file, same run.

Generates (seeded) a Parquet file of N records with five quasi-identifiers of realistic
cardinality: sex (2), age (0-104), admission date (10 years), county (21 codes) and postcode
(about 10,000 five-digit codes, clustered by county). Each command runs in its own process
under GNU time (wall seconds, peak memory):
  - polars:  scan_parquet → group_by(5 columns).len() → k, uniques, records under 10;
  - duckdb:  the same group by in SQL;
  - hdab risk FILE --quasi … (the risk report);
  - hdab risk FILE --quasi … --search (the lattice search for k = 10, at most 2% suppressed).
Checks that hdab's classes, k and uniques equal Polars'; prints the ratios and the search's
combinations tried, seconds and peak memory.

Usage: python benches/risk.py --hdab target/release/hdab --rows 10000000 (via benches/run.sh risk)
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from extraction import run

QUASI = ["KON", "ALDER", "INDATUM", "LAN", "POSTNR"]

COUNT = """
import sys, json, polars as pl
g = pl.scan_parquet(sys.argv[1]).group_by({cols}).len().collect()
n = g["len"]
print(json.dumps({{"records": int(n.sum()), "classes": g.height, "k": int(n.min()),
    "sample_uniques": int((n == 1).sum()), "below_10": int(n.filter(n < 10).sum())}}))
"""

DUCK = """
import sys, json, duckdb
r = duckdb.sql(f"select sum(n), count(*), min(n), sum(case when n = 1 then 1 else 0 end) "
    f"from (select count(*) n from read_parquet('{{sys.argv[1]}}') group by {cols})").fetchall()[0]
print(json.dumps({{"records": int(r[0]), "classes": int(r[1]), "k": int(r[2]), "sample_uniques": int(r[3])}}))
"""


def generate(path: Path, rows: int) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(20261201)
    county_codes = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13",
                    "14", "17", "18", "19", "20", "21", "22", "23", "24", "25"]
    weights = np.array([24, 4, 3, 4, 4, 2, 2, 1, 2, 13, 3, 17, 3, 3, 3, 3, 3, 2, 1, 3, 2], float)
    county = rng.choice(len(county_codes), size=rows, p=weights / weights.sum())
    # About 480 postcodes per county, so every postcode lies in one county.
    postcode = 10000 + county * 4000 + rng.integers(0, 480, size=rows) * 7
    days = rng.integers(0, 3652, size=rows)
    frame = pl.DataFrame({
        "KON": pl.Series(rng.choice(["1", "2"], size=rows)),
        "ALDER": pl.Series(np.clip(rng.normal(62, 20, size=rows), 0, 104).astype(np.int64)),
        # Days since 1970-01-01: from 2015-01-01 on.
        "INDATUM": pl.Series(days + 16436).cast(pl.Int32).cast(pl.Date),
        "LAN": pl.Series(np.array(county_codes)[county]),
        "POSTNR": pl.Series(postcode.astype(str)),
    })
    frame.write_parquet(path, compression="zstd", row_group_size=1 << 20)


def python_json(venv_python: str, code: str, path: Path):
    secs, mib, out = run([venv_python, "-c", code, str(path)], measure=True)
    return secs, mib, json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hdab", required=True)
    ap.add_argument("--rows", type=int, action="append")
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    python = sys.executable
    quasi = ["--quasi", "KON", "--quasi", "ALDER=integer", "--quasi", "INDATUM=date",
             "--quasi", "LAN", "--quasi", "POSTNR",
             "--levels", "KON=", "--levels", "ALDER=band:5:90,band:10:90,band:20:80",
             "--levels", "LAN=region", "--levels", "POSTNR=prefix:3,prefix:2,prefix:1"]
    for rows in args.rows or [1_000_000]:
        with tempfile.TemporaryDirectory(dir=args.work) as work:
            path = Path(work) / f"register-{rows}.parquet"
            generate(path, rows)
            cols = repr(QUASI)
            p_secs, p_mib, polars = python_json(python, COUNT.format(cols=cols), path)
            d_secs, d_mib, duck = python_json(python, DUCK.format(cols=", ".join(QUASI)), path)
            h_secs, h_mib, out = run([args.hdab, "risk", path, *quasi, "--json"], measure=True)
            hdab = json.loads(out)["risk"]
            for key in ["records", "classes", "k", "sample_uniques"]:
                assert hdab[key] == polars[key] == duck[key], (key, hdab[key], polars[key], duck[key])
            assert hdab["records_below_threshold"] == polars["below_10"]
            s_secs, s_mib, out = run([args.hdab, "risk", path, *quasi, "--search", "--json"],
                                     measure=True)
            searched = json.loads(out)
            outcome, after = searched["search"]
            print(f"\n## {rows:,} records, quasi-identifiers {', '.join(QUASI)}")
            print(f"{hdab['classes']:,} classes, k = {hdab['k']}, {hdab['sample_uniques']:,} unique "
                  f"({hdab['share_sample_unique']:.1%}); hdab, Polars and DuckDB agree")
            print("| run | seconds | peak MiB | ratio to Polars |")
            print("|---|---:|---:|---:|")
            print(f"| Polars group_by(5).len() | {p_secs:.2f} | {p_mib:.0f} | 1.00 |")
            print(f"| DuckDB GROUP BY | {d_secs:.2f} | {d_mib:.0f} | {d_secs / p_secs:.2f} |")
            print(f"| hdab risk | {h_secs:.2f} | {h_mib:.0f} | {h_secs / p_secs:.2f} |")
            print(f"| hdab risk --search (k = 10, 2%) | {s_secs:.2f} | {s_mib:.0f} | {s_secs / p_secs:.2f} |")
            chosen = outcome["chosen"]
            if chosen:
                print(f"search: {outcome['evaluated']} of {outcome['lattice_size']} combinations evaluated; "
                      f"chosen {dict(zip(QUASI, searched['chosen_levels']))}, "
                      f"{chosen['suppressed']:,} suppressed, loss {chosen['loss']:.3f}; then k = {after['k']}")
            else:
                print(f"search: nothing passes; blocking {outcome['blocking']}")


if __name__ == "__main__":
    main()
