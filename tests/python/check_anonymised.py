"""Checks every anonymised delivery with pycanon, an independent implementation of
k-anonymity and l-diversity: from the delivered files alone, every combination of the
quasi-identifiers named in the manifest is shared by at least k records, and pycanon's k
and l agree with the risk report in the manifest. No column carries a pseudonym.

Usage: python check_anonymised.py SPE_FOLDER   (fails if it finds no anonymised delivery)
"""
import json
import math
import sys
from pathlib import Path

import pyarrow.parquet as pq
from pycanon import anonymity


def check(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    report = manifest["anonymisation"]
    files = sorted(folder.glob("*.parquet"))
    df = pq.read_table([str(f) for f in files]).to_pandas()
    assert len(df) == manifest["rows"]["delivered"], (folder, len(df))
    assert not any("pseudonym" in c for c in df.columns), df.columns
    qi = [level["variable"] for level in report["levels"]]
    # pycanon groups by value; a missing value is a value of its own here, as in hdab.
    df = df.astype(object).where(df.notna(), "(missing)")
    sizes = df.groupby(qi).size() if qi else [len(df)]
    assert min(sizes) >= report["k"], (folder, min(sizes), report["k"])
    k = anonymity.k_anonymity(df, qi)
    assert k == report["after"]["k"], (folder, k, report["after"]["k"])
    for l_report in report["after"].get("l_diversity", []):
        sa = [l_report["variable"]]
        l = anonymity.l_diversity(df, qi, sa)
        assert l == l_report["distinct"], (folder, sa, l, l_report)
        entropy = anonymity.entropy_l_diversity(df, qi, sa)
        # pycanon's entropy l is the integer part of e^H (H in nats); hdab's is 2^H (H in
        # bits): the same number, unrounded.
        assert entropy == math.floor(l_report["entropy"] + 1e-9), (folder, sa, entropy, l_report)
    print(f"{folder}: {len(df)} records, k = {k} (manifest {report['after']['k']}), "
          f"quasi-identifiers {qi}, levels {[lv['level'] for lv in report['levels']]}")


def main() -> None:
    spe = Path(sys.argv[1])
    found = 0
    for manifest in sorted(spe.glob("*/*/manifest.json")):
        if "anonymisation" in json.loads(manifest.read_text()):
            check(manifest.parent)
            found += 1
    assert found, f"no anonymised delivery under {spe}"
    print(f"{found} anonymised deliveries agree with pycanon")


if __name__ == "__main__":
    main()
