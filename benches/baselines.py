"""The pipelines a capable analyst would write instead of hdab, for the benchmark.

Each reads the same Parquet register, validates and normalises personnummer (12- and
10-digit forms, `-`/`+`, Luhn, real dates with samordningsnummer day + 60, century from the
reference date), keeps the cohort (ATC prefixes), drops opted-out people, computes hdab's
pseudonym (HMAC-SHA-256 under the HKDF permit key, first 20 bytes, base32) once per
distinct person, and writes Parquet (zstd) with the same columns as hdab.

Usage: python baselines.py ENGINE INPUT.parquet OUTPUT.parquet KEY_HEX OPTOUTS.txt
       ENGINE is polars, polars-unkeyed, duckdb or pyarrow (the drug-register case), or
       duckdb-whole (the whole in-patient register); KEY_HEX is the permit key.
"""
import base64
import hashlib
import hmac
import sys

REFERENCE = (2024, 3, 31)
PREFIXES = ("C07", "B01AC", "C10")
WEIGHTS = [2, 1, 2, 1, 2, 1, 2, 1, 2]


def pseudonym(key: bytes, canonical: str) -> str:
    mac = hmac.new(key, canonical.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(mac[:20]).decode().lower()


def canonical_optouts(path: str) -> list[str]:
    """The opt-out list normalised the same way (small: plain Python)."""
    out = []
    for line in open(path):
        s = line.strip().replace("-", "").replace("+", "")
        plus = "+" in line
        if len(s) == 10:
            yy, mm, dd = int(s[:2]), int(s[2:4]), int(s[4:6])
            year = (REFERENCE[0] // 100) * 100 + yy
            if year > REFERENCE[0]:
                year -= 100
            if plus:
                year -= 100
            elif year == REFERENCE[0] and (mm, dd if dd <= 60 else dd - 60) > REFERENCE[1:]:
                year -= 100
            s = f"{year // 100:02d}{s}"
        if len(s) == 12:
            out.append(s)
    return out


def run_polars(inp, outp, key, optouts, keyed=True):
    import polars as pl

    ref_y, ref_m, ref_d = REFERENCE
    df = pl.scan_parquet(inp)
    raw = pl.col("PERSONNR").str.strip_chars()
    digits = raw.str.replace_all(r"[-+]", "")
    plus = raw.str.contains(r"\+")
    yy = digits.str.slice(0, 2).cast(pl.Int32, strict=False)
    short = pl.when(digits.str.len_chars() == 12).then(digits.str.slice(2)).otherwise(digits)
    mm = short.str.slice(2, 2).cast(pl.Int32, strict=False)
    dd_raw = short.str.slice(4, 2).cast(pl.Int32, strict=False)
    dd = pl.when(dd_raw > 60).then(dd_raw - 60).otherwise(dd_raw)
    y10 = (ref_y // 100) * 100 + short.str.slice(0, 2).cast(pl.Int32, strict=False)
    y10 = pl.when(y10 > ref_y).then(y10 - 100).otherwise(y10)
    late = (y10 == ref_y) & ((mm > ref_m) | ((mm == ref_m) & (dd > ref_d)))
    y10 = pl.when(plus).then(y10 - 100).when(late).then(y10 - 100).otherwise(y10)
    year = pl.when(digits.str.len_chars() == 12).then(yy * 100 + short.str.slice(0, 2).cast(pl.Int32, strict=False)).otherwise(y10)
    luhn = sum(
        pl.when(short.str.slice(i, 1).cast(pl.Int32, strict=False) * w > 9)
        .then(short.str.slice(i, 1).cast(pl.Int32, strict=False) * w - 9)
        .otherwise(short.str.slice(i, 1).cast(pl.Int32, strict=False) * w)
        for i, w in enumerate(WEIGHTS)
    )
    check_ok = ((10 - luhn % 10) % 10) == short.str.slice(9, 1).cast(pl.Int32, strict=False)
    birth = pl.format(
        "{}-{}-{}",
        year.cast(pl.Utf8).str.zfill(4),
        mm.cast(pl.Utf8).str.zfill(2),
        dd.cast(pl.Utf8).str.zfill(2),
    ).str.to_date("%Y-%m-%d", strict=False)
    df = df.with_columns(
        canonical=pl.format("{}{}", (year // 100).cast(pl.Utf8).str.zfill(2), short),
        ok=digits.str.contains(r"^\d+$")
        & digits.str.len_chars().is_in([10, 12])
        & ((digits.str.len_chars() == 10) | (yy.is_between(18, 20)))
        & check_ok,
        birth=birth,
    )
    df = df.filter(pl.col("ok") & pl.col("birth").is_not_null() & (pl.col("birth") <= pl.date(ref_y, ref_m, ref_d)))
    df = df.filter(pl.any_horizontal(*[pl.col("ATC").str.starts_with(p) for p in PREFIXES]))
    df = df.filter(~pl.col("canonical").is_in(optouts))
    df = df.collect()
    if keyed:
        ids = df["canonical"].unique()
        mapping = pl.DataFrame({"canonical": ids, "pseudonym": [pseudonym(key, s) for s in ids.to_list()]})
        df = df.join(mapping, on="canonical", how="left")
    else:
        df = df.with_columns(pseudonym=pl.col("canonical").hash(42).cast(pl.Utf8))
    out = df.select(
        "pseudonym",
        pl.col("EDATUM").str.to_date("%Y%m%d", strict=False).alias("EDATUM"),
        "ATC",
        pl.col("ANTAL").cast(pl.Int64),
        pl.col("DDD").cast(pl.Float64),
    )
    out.write_parquet(outp, compression="zstd")


def normalised(inp):
    """The SQL (DuckDB) of `inp`'s rows with valid identifiers: a CTE chain ending in `f`
    with `canonical` (12 digits) and `birth` added."""
    ref_y, ref_m, ref_d = REFERENCE
    luhn = " + ".join(
        f"(case when {w}*cast(substr(short,{i + 1},1) as int) > 9 then {w}*cast(substr(short,{i + 1},1) as int)-9 else {w}*cast(substr(short,{i + 1},1) as int) end)"
        for i, w in enumerate(WEIGHTS)
    )
    return f"""
    with a as (
      select *, trim(PERSONNR) as raw, regexp_replace(trim(PERSONNR), '[-+]', '', 'g') as digits from read_parquet('{inp}')
    ), b as (
      select *, case when length(digits) = 12 then substr(digits, 3) else digits end as short,
             contains(raw, '+') as plus from a where regexp_full_match(digits, '[0-9]{{10}}|[0-9]{{12}}')
    ), c as (
      select *, cast(substr(short,1,2) as int) as yy, cast(substr(short,3,2) as int) as mm,
             cast(substr(short,5,2) as int) as dd0 from b
    ), d as (
      select *, case when dd0 > 60 then dd0 - 60 else dd0 end as dd,
        case when length(digits) = 12 then cast(substr(digits,1,2) as int) * 100 + yy
             else (case when {ref_y // 100 * 100} + yy > {ref_y} then {ref_y // 100 * 100} + yy - 100 else {ref_y // 100 * 100} + yy end) end as y0
      from c
      where length(digits) = 10 or cast(substr(digits,1,2) as int) between 18 and 20
    ), e as (
      select *, case when length(digits) = 12 then y0
                     when plus then y0 - 100
                     when y0 = {ref_y} and (mm > {ref_m} or (mm = {ref_m} and dd > {ref_d})) then y0 - 100
                     else y0 end as year
      from d where (10 - ({luhn}) % 10) % 10 = cast(substr(short,10,1) as int)
    ), f as (
      select *, lpad(cast(year // 100 as varchar), 2, '0') || short as canonical,
             try_cast(make_date(year, mm, dd) as date) as birth
      from e where mm between 1 and 12 and dd between 1 and 31
    )
"""


def duckdb_with_optouts(key, optouts):
    import duckdb

    import pyarrow as pa

    con = duckdb.connect()
    # Vectorised: DuckDB hands the UDF whole Arrow arrays (far less per-call overhead than a
    # row-at-a-time Python function).
    con.create_function(
        "pseudonym",
        lambda a: pa.array([pseudonym(key, s) for s in a.to_pylist()], pa.string()),
        ["VARCHAR"],
        "VARCHAR",
        type="arrow",
    )
    con.execute("create table optouts(canonical varchar)")
    con.executemany("insert into optouts values (?)", [[o] for o in optouts])
    return con


def run_duckdb_whole(inp, outp, key, optouts):
    """The whole-register case: every row of every valid, not opted-out person of the
    in-patient register, every column but the hospital."""
    ref_y, ref_m, ref_d = REFERENCE
    con = duckdb_with_optouts(key, optouts)
    con.execute(f"""
    create table kept as
    {normalised(inp)}
    select canonical, KON, ALDER, INDATUM, UTDATUM, HDIA, DIA1, DIA2, LAN from f
    where birth is not null and birth <= date '{ref_y:04d}-{ref_m:02d}-{ref_d:02d}'
      and canonical not in (select canonical from optouts)
    """)
    con.execute("create table ids as select canonical, pseudonym(canonical) as pseudonym from (select distinct canonical from kept)")
    con.execute(f"""
    copy (select i.pseudonym, k.KON, cast(k.ALDER as bigint) as ALDER,
                 strptime(k.INDATUM, '%Y%m%d')::date as INDATUM, strptime(k.UTDATUM, '%Y%m%d')::date as UTDATUM,
                 k.HDIA, k.DIA1, k.DIA2, k.LAN
          from kept k join ids i using (canonical))
    to '{outp}' (format parquet, compression zstd)
    """)


def run_duckdb(inp, outp, key, optouts):
    ref_y, ref_m, ref_d = REFERENCE
    con = duckdb_with_optouts(key, optouts)
    con.execute(f"""
    create table kept as
    {normalised(inp)}
    select canonical, EDATUM, ATC, ANTAL, DDD from f
    where birth is not null and birth <= date '{ref_y:04d}-{ref_m:02d}-{ref_d:02d}'
      and ({" or ".join(f"starts_with(ATC, '{p}')" for p in PREFIXES)})
      and canonical not in (select canonical from optouts)
    """)
    con.execute("create table ids as select canonical, pseudonym(canonical) as pseudonym from (select distinct canonical from kept)")
    con.execute(f"""
    copy (select i.pseudonym, strptime(k.EDATUM, '%Y%m%d')::date as EDATUM, k.ATC, cast(k.ANTAL as bigint) as ANTAL, cast(k.DDD as double) as DDD
          from kept k join ids i using (canonical))
    to '{outp}' (format parquet, compression zstd)
    """)


def run_pyarrow(inp, outp, key, optouts):
    import datetime

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(inp)
    mask = pc.starts_with(t["ATC"], PREFIXES[0])
    for p in PREFIXES[1:]:
        mask = pc.or_(mask, pc.starts_with(t["ATC"], p))
    t = t.filter(mask)
    # Identifiers: distinct raw strings normalised in Python (few compared with rows).
    raw = pc.unique(t["PERSONNR"]).to_pylist()
    ref = datetime.date(*REFERENCE)
    opted = set(optouts)
    canon = {}
    for r in raw:
        c = normalise(r, ref)
        if c is not None and c not in opted:
            canon[r] = c
    keys = pa.array(list(canon.keys()), pa.string())
    values = list(canon.values())
    distinct = sorted(set(values))
    p_of = {c: pseudonym(key, c) for c in distinct}
    idx = pc.index_in(t["PERSONNR"], value_set=keys)
    t = t.filter(pc.is_valid(idx))
    idx = pc.index_in(t["PERSONNR"], value_set=keys)
    pseud = pa.array([p_of[values[i]] for i in idx.to_pylist()], pa.string())
    out = pa.table({
        "pseudonym": pseud,
        "EDATUM": pc.cast(pc.strptime(t["EDATUM"], "%Y%m%d", "s"), pa.date32()),
        "ATC": t["ATC"],
        "ANTAL": pc.cast(t["ANTAL"], pa.int64()),
        "DDD": pc.cast(t["DDD"], pa.float64()),
    })
    pq.write_table(out, outp, compression="zstd")


def normalise(raw, ref):
    """Python version of hdab's PersonId::parse; None when invalid."""
    import datetime

    if raw is None:
        return None
    s = raw.strip()
    plus = "+" in s
    d = s.replace("-", "").replace("+", "")
    if not d.isdigit() or len(d) not in (10, 12):
        return None
    if len(d) == 12:
        if not 18 <= int(d[:2]) <= 20:
            return None
        century, short = int(d[:2]), d[2:]
    else:
        century, short = None, d
    total = 0
    for i, w in enumerate(WEIGHTS):
        v = int(short[i]) * w
        total += v - 9 if v > 9 else v
    if (10 - total % 10) % 10 != int(short[9]):
        return None
    yy, mm, dd = int(short[:2]), int(short[2:4]), int(short[4:6])
    if dd > 60:
        dd -= 60
    if century is None:
        year = (ref.year // 100) * 100 + yy
        if year > ref.year:
            year -= 100
        if plus:
            year -= 100
        elif year == ref.year and (mm, dd) > (ref.month, ref.day):
            year -= 100
    else:
        year = century * 100 + yy
    try:
        birth = datetime.date(year, mm, dd)
    except ValueError:
        return None
    if birth > ref:
        return None
    return f"{year // 100:02d}{short}"


if __name__ == "__main__":
    engine, inp, outp, key_hex, optouts_path = sys.argv[1:6]
    key = bytes.fromhex(key_hex)
    optouts = canonical_optouts(optouts_path)
    if engine == "polars":
        run_polars(inp, outp, key, optouts)
    elif engine == "polars-unkeyed":
        run_polars(inp, outp, key, optouts, keyed=False)
    elif engine == "duckdb":
        run_duckdb(inp, outp, key, optouts)
    elif engine == "duckdb-whole":
        run_duckdb_whole(inp, outp, key, optouts)
    elif engine == "pyarrow":
        run_pyarrow(inp, outp, key, optouts)
    else:
        sys.exit(f"unknown engine {engine}")
