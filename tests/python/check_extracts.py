"""Opens every delivered extract the way researchers do — pyarrow, polars and DuckDB, no
options — and checks the schema and the row counts against the manifest.

Usage: python check_extracts.py SPE_FOLDER
"""
import json
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq


def check_dataset(folder: Path) -> int:
    manifest = json.loads((folder / "manifest.json").read_text())
    files = sorted(folder.glob("*.parquet"))
    assert [f.name for f in files] == [f["name"] for f in manifest["files"]], folder
    expected = manifest["rows"]["delivered"]

    # pyarrow: plain types only (R arrow cannot read view types), dates as date32.
    table = pq.read_table([str(f) for f in files])
    assert table.num_rows == expected, (folder, table.num_rows, expected)
    for field in table.schema:
        t = field.type
        assert not pa.types.is_string_view(t) and not pa.types.is_binary_view(t), field
        assert not pa.types.is_unsigned_integer(t), field
        assert not pa.types.is_dictionary(t), field
    anonymised = "anonymisation" in manifest
    if anonymised:
        assert not any("pseudonym" in n for n in table.schema.names), table.schema
    else:
        assert table.schema.field("pseudonym").type == pa.string()
    for name, arrow_type in manifest["columns"]:
        if arrow_type == "Date32":
            assert table.schema.field(name).type == pa.date32(), name
    # The embedded Arrow schema and the key-value metadata: ids only, identical across files.
    metas = [pq.read_metadata(f).metadata for f in files]
    assert all(m == metas[0] for m in metas), folder
    assert metas[0][b"hdab.permit"].decode() == manifest["permit_id"]
    for f in files:
        embedded = pq.read_schema(f)
        assert "View" not in str(embedded), f
        assert pq.ParquetFile(f).metadata.row_group(0).column(0).compression in ("ZSTD", "SNAPPY")

    # polars and DuckDB read the same rows, and the same people.
    frame = pl.read_parquet(str(folder / "*.parquet"))
    assert frame.height == expected
    if anonymised:
        rows = duckdb.sql(f"select count(*) from read_parquet('{folder}/*.parquet')").fetchall()[0]
        assert rows[0] == expected
        return expected
    rows = duckdb.sql(f"select count(*), count(distinct pseudonym) from read_parquet('{folder}/*.parquet')").fetchall()[0]
    assert rows[0] == expected
    assert rows[1] == frame["pseudonym"].n_unique()
    return expected


def main() -> None:
    spe = Path(sys.argv[1])
    datasets = [d for d in sorted(spe.glob("*/*")) if (d / "manifest.json").exists()]
    assert datasets, f"no deliveries under {spe}"
    for d in datasets:
        n = check_dataset(d)
        print(f"{d.relative_to(spe)}: {n} rows open in pyarrow {pa.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__}")


if __name__ == "__main__":
    main()
