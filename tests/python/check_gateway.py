"""Reads a demo permit's data through hdab's SPE gateway the way researchers do — the ADBC
Flight SQL driver from pyarrow, polars on the same connection, DuckDB over what ADBC
returned — and checks each result equals the delivered files read directly; then checks
that the queries are in `hdab spe log` with their row counts and that the audit log verifies.

Usage: python check_gateway.py HDAB_BINARY DEMO_DIR
"""
import json
import os
import subprocess
import sys

import adbc_driver_flightsql.dbapi as flightsql
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

PERMIT = "P-2026-0001"
PASSWORD = "ett långt lösenord för adbc"


def hdab(binary, env, *args, stdin=None):
    done = subprocess.run(
        [binary, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def sort_table(table: pa.Table) -> pa.Table:
    return table.sort_by([(n, "ascending") for n in table.schema.names])


def main(binary: str, demo: str) -> None:
    env = {**os.environ, "HDAB_DATA_DIR": demo}
    env.pop("HDAB_USER", None)
    hdab(binary, env, "--as", "admin", "users", "password", "--id", "anna", stdin=PASSWORD + "\n")
    server = subprocess.Popen(
        [binary, "spe", "serve", "--listen", "127.0.0.1:0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline()
        address = line.split("grpc://")[1].strip()
        conn = flightsql.connect(
            f"grpc://{address}",
            db_kwargs={
                "username": "anna",
                "password": PASSWORD,
                "adbc.flight.sql.rpc.call_header.x-hdab-permit": PERMIT,
            },
            autocommit=True,
        )
        workspace = os.path.join(demo, "spe", PERMIT)
        tables = sorted(
            t
            for t in os.listdir(workspace)
            if not t.startswith(".") and os.path.exists(os.path.join(workspace, t, "manifest.json"))
        )
        assert tables, workspace
        counts = {}
        for table in tables:
            files = sorted(
                os.path.join(workspace, table, f)
                for f in os.listdir(os.path.join(workspace, table))
                if f.endswith(".parquet")
            )
            direct = pq.read_table(files)
            with conn.cursor() as cur:
                cur.execute(f"SELECT * FROM {table}")
                got = cur.fetch_arrow_table()
            assert got.schema.names == direct.schema.names, (table, got.schema, direct.schema)
            assert got.schema.equals(direct.schema.remove_metadata()), (table, got.schema)
            assert sort_table(got).equals(sort_table(direct)), f"{table}: rows differ from the files"
            # polars reads the same connection.
            frame = pl.read_database(f"SELECT * FROM {table}", connection=conn)
            assert frame.height == direct.num_rows, table
            # DuckDB queries what ADBC returned (DuckDB has no Flight SQL client of its own).
            ((n,),) = duckdb.sql("SELECT count(*) FROM got").fetchall()
            assert n == direct.num_rows, table
            counts[table] = direct.num_rows
            print(f"{table}: {direct.num_rows} rows through the gateway equal the files (pyarrow, polars, DuckDB)")
        conn.close()
    finally:
        server.terminate()
        server.wait()

    log = json.loads(hdab(binary, env, "--as", "anna", "spe", "log", PERMIT, "--json"))
    for table, rows in counts.items():
        done = [q for q in log if q["sql"] == f"SELECT * FROM {table}" and q["status"] == "done"]
        assert len(done) == 2, (table, done)  # pyarrow's and polars' reads
        assert all(q["user"] == "anna" and q["rows"] == rows for q in done), done
    verified = hdab(binary, env, "--as", "admin", "audit", "verify")
    assert "intact" in verified, verified
    print(f"spe log: {len(log)} queries by anna, each with its row count; the audit log verifies")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
