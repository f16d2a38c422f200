"""hdab's output checks against ACRO (SACRO's output checker), on the same tables.

Usage: acro_compare.py HDAB_BINARY

Builds seeded synthetic microdata, makes at least 20 tables with ACRO (frequency tables and
magnitude tables: means and sums, with planted small groups, zeros and dominant
contributors), writes each table the way a researcher would ask to take it out of the SPE
(a frequency table as the crosstab itself; a magnitude table in long form with each cell's
contributor count n and its two largest contributions top1, top2 and their sum, which is
what hdab needs to apply the same rules), runs `hdab output check` on them, and asserts that
hdab flags exactly the cells ACRO flags as disclosive (threshold 10, zeros disclosive, n-k
dominance 2 at 0.90, p-ratio 0.10: ACRO's defaults and hdab's).

Where the two differ by design, a file below shows it and the script says why: hidden cells
recoverable from a published total, statistics without their counts, record-level data and
identifiers are hdab's rules on submitted files, which ACRO (checking analyses as it
computes them) has no counterpart for.
"""

import contextlib
import io
import itertools
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import acro
import numpy as np
import pandas as pd

THRESHOLD = 10
# ACRO logs every table it makes at INFO; only its warnings matter here.
logging.getLogger().setLevel(logging.WARNING)


def microdata(seed=20261201, n=3000):
    rng = np.random.default_rng(seed)
    county = rng.choice(
        ["Stockholm", "Uppsala", "Skane", "Norrbotten", "Gotland", "Jamtland"],
        n,
        p=[0.45, 0.2, 0.25, 0.06, 0.01, 0.03],
    )
    sex = rng.choice(["F", "M"], n)
    age = rng.choice(["0-17", "18-44", "45-64", "65-79", "80+"], n, p=[0.1, 0.3, 0.3, 0.2, 0.1])
    diag = rng.choice(["I21", "J44", "K35", "C50", "O80"], n, p=[0.3, 0.3, 0.25, 0.1, 0.05])
    # Births are women's only: a structural zero.
    sex = np.where(diag == "O80", "F", sex)
    ward = rng.choice(["A", "B", "C", "D"], n, p=[0.5, 0.3, 0.17, 0.03])
    year = rng.choice([2021, 2022, 2023], n)
    cost = rng.gamma(2.0, 20000.0, n).round(0)
    los = rng.integers(1, 30, n)
    df = pd.DataFrame(
        dict(county=county, sex=sex, age=age, diag=diag, ward=ward, year=year, cost=cost, los=los)
    )
    # Dominant contributors: one very expensive stay in a few groups, two in one.
    for i, (c, s) in enumerate([("Uppsala", "M"), ("Norrbotten", "F"), ("Skane", "F")]):
        idx = df.index[(df.county == c) & (df.sex == s)][0]
        df.loc[idx, "cost"] = 5e7 * (i + 1)
    pair = df.index[(df.county == "Stockholm") & (df.sex == "M")][:2]
    df.loc[pair, "cost"] = 4e7
    df.loc[df.index[(df.ward == "C") & (df.age == "80+")][0], "cost"] = 9e7
    return df


FREQUENCY = [
    (["county"], "sex"),
    (["diag"], "sex"),
    (["age"], "county"),
    (["county", "sex"], "age"),
    (["diag"], "age"),
    (["ward"], "sex"),
    (["year"], "sex"),
    (["sex", "age"], "diag"),
    (["county"], "diag"),
    (["ward"], "age"),
    (["year"], "county"),
    (["ward", "sex"], "diag"),
]
MAGNITUDE = [
    (["county"], "sex", "cost", "mean"),
    (["county"], "sex", "cost", "sum"),
    (["age"], "sex", "cost", "mean"),
    (["diag"], "sex", "los", "mean"),
    (["ward"], "sex", "cost", "sum"),
    (["ward"], "age", "cost", "mean"),
    (["year"], "sex", "los", "sum"),
    (["diag"], "age", "cost", "mean"),
    (["county"], "age", "cost", "sum"),
    (["county"], "ward", "cost", "mean"),
]


# ACRO's check names and hdab's rules. ACRO's threshold check fires on zero cells as well
# as its zero check; hdab says "zero" once, which stands for both.
ACRO_RULES = {
    "MinimumThresholdCheck": "threshold",
    "PresenceOfZeroCheck": "zero",
    "NKCheck": "dominance",
    "PPercentCheck": "p_ratio",
}
HDAB_RULES = {
    "threshold": {"threshold"},
    "zero": {"threshold", "zero"},
    "dominance": {"dominance"},
    "p_ratio": {"p_ratio"},
}


def flagged_by_acro(outcome: pd.DataFrame):
    """{cell: the rules that fired}, for every cell ACRO does not pass."""
    cells = {}
    for ri, row in outcome.iterrows():
        key = ri if isinstance(ri, tuple) else (ri,)
        for ci, v in row.items():
            names = [n.strip() for n in str(v).split(";") if n.strip() and n.strip() != "ok"]
            if names:
                unknown = [n for n in names if n not in ACRO_RULES]
                assert not unknown, f"ACRO check hdab has no rule for: {unknown}"
                cells[tuple(str(k) for k in key) + (str(ci),)] = {ACRO_RULES[n] for n in names}
    return cells


def long_form(df, index, column, values, agg):
    """The magnitude table as hdab reads it: every cell (empty ones too) with n, the
    statistic, the two largest contributions and their sum."""
    dims = index + [column]
    levels = [sorted(df[d].unique(), key=str) for d in dims]
    rows = []
    groups = {k: g[values] for k, g in df.groupby(dims)}
    for combo in itertools.product(*levels):
        v = groups.get(combo, pd.Series(dtype=float))
        top = v.nlargest(2).tolist() + [0, 0]
        stat = getattr(v, agg)() if len(v) else None
        rows.append(
            list(combo) + [len(v), "" if stat is None else stat, top[0], top[1], v.sum()]
        )
    return pd.DataFrame(rows, columns=dims + ["n", f"{agg}_{values}", "top1", "top2", "sum"])


def flagged_by_hdab(check, shape):
    """{cell: the rules that fired} from hdab's findings."""
    cells = {}
    for f in check["findings"]:
        if f["rule"] in HDAB_RULES and f["place"]["at"] == "cell":
            labels = tuple(f["place"]["row_label"].split(" / "))
            key = labels + (f["place"]["column"],) if shape == "wide" else labels
            cells.setdefault(key, set()).update(HDAB_RULES[f["rule"]])
    return cells


def main():
    hdab = sys.argv[1]
    df = microdata()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        session = acro.ACRO(suppress=False)
    out = Path(tempfile.mkdtemp())
    cases = []  # (file, ACRO's flagged cells, how to read hdab's)
    for i, (index, column) in enumerate(FREQUENCY):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            table = session.crosstab([df[c] for c in index], df[column])
        name = f"f{i:02}_{'_'.join(index)}_by_{column}.csv"
        table.to_csv(out / name)
        cases.append((name, "wide", index))
    for i, (index, column, values, agg) in enumerate(MAGNITUDE):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            session.crosstab([df[c] for c in index], df[column], values=df[values], aggfunc=agg)
        name = f"m{i:02}_{agg}_{values}_{'_'.join(index)}_by_{column}.csv"
        long_form(df, index, column, values, agg).to_csv(out / name, index=False)
        cases.append((name, "long", index))
    outputs = list(session.results.results.values())
    assert len(outputs) == len(cases) >= 20, (len(outputs), len(cases))

    files = [str(out / name) for name, _, _ in cases]
    result = subprocess.run(
        [hdab, "output", "check", *files, "--json"], capture_output=True, text=True, check=True
    )
    checks = {Path(r["file"]).name: r["check"] for r in json.loads(result.stdout)}

    mismatches = 0
    rules_seen = set()
    for (name, shape, index), output in zip(cases, outputs):
        expected = flagged_by_acro(output.outcome)
        check = checks[name]
        rules_seen |= {f["rule"] for f in check["findings"]}
        got = flagged_by_hdab(check, shape)
        status = "same" if got == expected else "DIFFERENT"
        print(f"{name}: ACRO flags {len(expected)} cell(s), hdab {len(got)}, rule by rule: {status}")
        if got != expected:
            mismatches += 1
            for cell in sorted(set(expected) | set(got)):
                if expected.get(cell) != got.get(cell):
                    print(f"  {cell}: ACRO {expected.get(cell)}, hdab {got.get(cell)}")
    for rule in ("threshold", "zero", "dominance", "p_ratio"):
        assert rule in rules_seen, f"no table made rule {rule} fire"
    assert mismatches == 0, f"{mismatches} table(s) differ"

    # By design, rules ACRO has no counterpart for on a submitted file: each must fire in
    # hdab, and the reason ACRO does not is printed beside it.
    records = "person,sex,los\n" + "".join(f"p{i},{'FM'[i % 2]},{i}.5\n" for i in range(30))
    by_design = [
        ("hidden.csv", "county,women,men,Total\nGotland,*,14,19\nUppsala,300,280,580\n",
         "differencing",
         "ACRO checks a table as computed, before anything is hidden, and leaves differencing "
         "to the human checker (its linked-table check passes with a note)"),
        ("means.csv", "ward,mean_cost\nA,100.5\nB,99\n", "missing_contributors",
         "ACRO computes every table itself and so always has the counts; a submitted table "
         "of means without them cannot be checked and needs a justification"),
        ("records.csv", records, "record_level",
         "ACRO sees analyses, not files: a researcher's row-level export never passes "
         "through it"),
        ("ids.csv", "id,n\n19121212-1212,40\n", "person_id",
         "ACRO does not look for identifiers; hdab scans every file for personnummer (and "
         "for the permit's pseudonyms, which need the workspace)"),
    ]
    paths = []
    for name, text, _, _ in by_design:
        (out / name).write_text(text)
        paths.append(str(out / name))
    r = subprocess.run(
        [hdab, "output", "check", *paths, "--json"], capture_output=True, text=True, check=True
    )
    found = {Path(x["file"]).name: {f["rule"] for f in x["check"]["findings"]} for x in json.loads(r.stdout)}
    for name, _, rule, why in by_design:
        assert rule in found[name], (name, found[name])
        print(f"{name}: hdab flags {rule}; ACRO does not: {why}")
    print(f"ACRO and hdab agree on all {len(cases)} tables")


if __name__ == "__main__":
    main()
