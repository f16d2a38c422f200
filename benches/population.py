"""Benchmark: a population-restricted extraction against an unrestricted one, same run.

Generates the registers with hdab's seeded generator (about N dispensings), uploads the
in-patient register, the drug register (Parquet) and the population register, and approves
two permits on the same drug register: one unrestricted (an ATC filter only), one
restricted to a study population (cases: an in-patient episode with a circulatory main
diagnosis; one matched control each from the population register) with a window around
each index date. Each extraction runs in its own process under GNU time; the log's
timestamps split the restricted run into building the population, delivering its table
and delivering the drug register. Prints wall times, the ratios restricted / unrestricted
(whole run and the drug register's phase), peak memory, and the population's memory per
person (the restricted run's extra peak over the unrestricted one, per person).

Usage: python benches/population.py --rows 10000000 (via benches/run.sh population)
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from extraction import APPLICATION_HEADER as HEADER
from extraction import REPO, approve, fulfil_orders, installation, lakemedel_parquet, run

DRUGS = """
[[datasets]]
dataset_id = "lakemedel"
variables = ["EDATUM", "ATC", "ANTAL", "DDD"]
{window}
[datasets.cohort]
conditions = [{{ kind = "code_prefix", columns = ["ATC"], prefixes = ["C07", "B01AC", "C10"] }}]
"""

POPULATION = """
[population]
index_dataset = "slutenvard"
index_date = "INDATUM"

[population.criteria]
conditions = [{ kind = "code_prefix", columns = ["HDIA"], prefixes = ["I"] }]

[population.controls]
dataset = "befolkning"
per_case = 1
"""

STAMP = re.compile(r"^(\S+Z)\s+INFO\s+(\S+): (.*)$")


def phases(log: str) -> dict:
    """Seconds per phase of a run, from the timestamps of its info lines."""
    events = []
    for line in log.splitlines():
        m = STAMP.match(re.sub(r"\x1b\[[0-9;]*m", "", line))
        if m:
            events.append((datetime.fromisoformat(m.group(1).replace("Z", "+00:00")), m.group(3)))
    def at(text, dataset=None):
        for t, msg in events:
            if text in msg and (dataset is None or f"dataset={dataset}" in msg):
                return t
        raise SystemExit(f"no log line '{text}' ({dataset}) in:\n{log[-2000:]}")
    out = {"drugs": (at("delivered", "lakemedel") - at("staging extraction", "lakemedel")).total_seconds()}
    if any("study population built" in m for _, m in events):
        out["build"] = (at("study population built") - at("building the study population")).total_seconds()
        out["table"] = (at("delivered", "population") - at("staging extraction", "population")).total_seconds()
    return out


def one_size(hdab: str, rows: int, work: Path) -> None:
    persons = max(1000, rows * 2 // 15)
    data = work / "data"
    run([hdab, "synth", "--out", str(data), "--persons", str(persons)])
    upload, n_rows = lakemedel_parquet(data, work)
    env, h = installation(hdab, work)
    files = [("slutenvard", "sara", data / "slutenvard.csv"), ("lakemedel", "sara", upload),
             ("befolkning", "stig", data / "befolkning.csv")]
    for name, holder, path in files:
        h("catalog", "register", str(REPO / f"catalog/{name}.toml"), user=holder)
        h("upload", "--dataset", name, str(path), "--extract-date", "2024-03-31", user=holder)
    h("optout", "register", "--file", str(data / "optouts.txt"), "--written-on", "2024-03-31", user="otto")
    plain = approve(h, work, 'title = "Unrestricted"\n' + HEADER + DRUGS.format(window=""), "plain")
    restricted = approve(h, work, 'title = "Restricted"\n' + HEADER + POPULATION + DRUGS.format(
        window='window = { column = "EDATUM", from_days = -365, to_days = 730 }'), "restricted")
    for permit in (plain, restricted):
        fulfil_orders(h, permit, {name: (path, holder) for name, holder, path in files})

    logged = dict(env, HDAB_LOG="hdab_app=info")
    results = {}
    for name, permit in [("unrestricted", plain), ("restricted", restricted)]:
        secs, rss, log = measured([hdab, "--as", "olle", "extract", permit], logged)
        results[name] = (secs, rss, phases(log))
    table = work / "hdab" / "spe" / restricted / "population" / "manifest.json"
    population = json.loads(table.read_text())["rows"]["rows_in"]
    delivered = {n: json.loads((work / "hdab" / "spe" / p / "lakemedel" / "manifest.json").read_text())["rows"]["delivered"]
                 for n, p in [("unrestricted", plain), ("restricted", restricted)]}

    (us, um, up), (rs, rm, rp) = results["unrestricted"], results["restricted"]
    print(f"\n## {n_rows:,} dispensings, {persons:,} persons; population {population:,} people\n")
    print("| run | wall s | peak MiB | drug register phase s | population build s | population table s | rows delivered |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| unrestricted | {us:.2f} | {um:.0f} | {up['drugs']:.2f} | – | – | {delivered['unrestricted']:,} |")
    print(f"| restricted | {rs:.2f} | {rm:.0f} | {rp['drugs']:.2f} | {rp['build']:.2f} | {rp['table']:.2f} | {delivered['restricted']:,} |")
    print(f"\nrestricted / unrestricted: drug register phase {rp['drugs'] / up['drugs']:.2f}x, whole run {rs / us:.2f}x; "
          f"peak memory {rm / um:.2f}x; the population costs {(rm - um) * 1024 * 1024 / population:.0f} bytes per person at peak.")


def measured(cmd, env):
    """(seconds, peak RSS MiB, standard error) of one process under GNU time."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "HDAB_MAXRSS_KB %M"] + cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{proc.stderr}")
    kb = [int(l.split()[1]) for l in proc.stderr.splitlines() if l.startswith("HDAB_MAXRSS_KB")]
    return elapsed, kb[-1] / 1024, proc.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, action="append", default=None)
    ap.add_argument("--hdab", default=str(Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "hdab"))
    args = ap.parse_args()
    for rows in args.rows or [1_000_000]:
        with tempfile.TemporaryDirectory() as tmp:
            one_size(args.hdab, rows, Path(tmp))


if __name__ == "__main__":
    main()
