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


def normalised(source):
    """The SQL (DuckDB) of the valid identifiers among `source`'s `PERSONNR` values (`source`
    is a relation, e.g. the distinct identifiers of a file): a CTE chain ending in `f` with
    `canonical` (12 digits) and `birth` added. Integer arithmetic, not text, for the check
    digit: the fastest form found (benches/RESULTS.md)."""
    ref_y, ref_m, ref_d = REFERENCE
    luhn = " + ".join(
        f"(({w} * ((short // {10 ** (9 - i)}) % 10)) // 10 + ({w} * ((short // {10 ** (9 - i)}) % 10)) % 10)"
        for i, w in enumerate(WEIGHTS)
    )
    c = ref_y // 100 * 100
    return f"""
    with a as (
      select *, trim(PERSONNR) as raw, replace(replace(trim(PERSONNR), '-', ''), '+', '') as digits from {source}
    ), b as (
      select *, try_cast(digits as bigint) % 10000000000 as short, try_cast(digits as bigint) as n, length(digits) = 12 as long,
             contains(raw, '+') as plus
      from a where length(digits) in (10, 12) and regexp_full_match(digits, '[0-9]+')
    ), c as (
      select *, short // 100000000 as yy, (short // 1000000) % 100 as mm, (short // 10000) % 100 as dd0 from b
    ), d as (
      select *, case when dd0 > 60 then dd0 - 60 else dd0 end as dd,
        case when long then (n // 10000000000) * 100 + yy
             else (case when {c} + yy > {ref_y} then {c} + yy - 100 else {c} + yy end) end as y0
      from c
      where not long or (n // 10000000000) between 18 and 20
    ), e as (
      select *, case when long then y0
                     when plus then y0 - 100
                     when y0 = {ref_y} and (mm > {ref_m} or (mm = {ref_m} and dd > {ref_d})) then y0 - 100
                     else y0 end as year
      from d where (10 - ({luhn}) % 10) % 10 = short % 10
    ), f as (
      select *, lpad(cast(year // 100 as varchar), 2, '0') || right(digits, 10) as canonical,
             try_cast(make_date(year::bigint, mm::bigint, dd::bigint) as date) as birth
      from e where mm between 1 and 12 and dd between 1 and 31
    )
"""


def sql_pseudonyms(key: bytes, relation: str, column: str, keep: str) -> str:
    """A DuckDB query of `keep` and `pseudonym`, the pseudonym of `column`, for each row of
    `relation`: HMAC-SHA-256 written out with the
    built-in sha256 (H(K^opad || H(K^ipad || m))), the first 20 bytes in lower-case base32,
    ten bits at a time from a 1,024-entry list. Three times faster than a vectorised Python
    UDF calling hmac (benches/RESULTS.md); checked against `pseudonym` in `ids`."""
    k = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in k).hex()
    opad = bytes(b ^ 0x5C for b in k).hex()
    mac = f"sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || {column}::blob)))"
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    pairs = "[" + ",".join(f"'{a}{b}'" for a in alphabet for b in alphabet) + "]"
    chunk = lambda c: f"('0x' || substr(mac, {c * 10 + 1}, 10))::bigint"
    parts = [f"{pairs}[((c{c} >> {30 - 10 * i}) & 1023) + 1]" for c in range(4) for i in range(4)]
    chunks = ", ".join(f"{chunk(c)} as c{c}" for c in range(4))
    return (f"select {keep}, {' || '.join(parts)} as pseudonym from (select {keep}, {chunks} from "
            f"(select {keep}, {mac} as mac from {relation}))")


def duckdb_source(con, inp):
    """The relation to read `inp` as: the Parquet file itself, or a CSV file (`;`, every
    column text) loaded into a table once (reading it twice would parse it twice)."""
    if str(inp).endswith(".csv"):
        con.execute(f"create table src as select * from read_csv('{inp}', delim=';', header=true, all_varchar=true)")
        return "src"
    return f"read_parquet('{inp}')"


def duckdb_ids(key, optouts, inp):
    """A DuckDB connection holding `ids`: each distinct raw identifier of `inp` that is valid,
    born by the reference date and not opted out, with its pseudonym (HMAC once per distinct
    person, in SQL); and the relation `inp` is read as."""
    import duckdb

    import pyarrow as pa

    ref_y, ref_m, ref_d = REFERENCE
    con = duckdb.connect()
    source = duckdb_source(con, inp)
    optout_table = pa.table({"canonical": pa.array(optouts, pa.string())})
    con.register("optouts", optout_table)
    con.execute(f"""
    create table valid as
    {normalised(f"(select distinct PERSONNR from {source})")}
    select PERSONNR, canonical from f
    where birth is not null and birth <= date '{ref_y:04d}-{ref_m:02d}-{ref_d:02d}'
      and canonical not in (select canonical from optouts)
    """)
    pseudonyms = sql_pseudonyms(key, "(select distinct canonical from valid)", "canonical", "canonical")
    con.execute(f"create table ids as select v.PERSONNR, p.pseudonym from valid v join ({pseudonyms}) p using (canonical)")
    sample = con.execute("select v.canonical, i.pseudonym from valid v join ids i using (PERSONNR) limit 100").fetchall()
    if any(pseudonym(key, c) != p for c, p in sample):
        sys.exit("the SQL pseudonym differs from hmac's")
    return con, source


def run_duckdb_whole(inp, outp, key, optouts):
    """The whole-register case: every row of every valid, not opted-out person of the
    in-patient register, every column but the hospital."""
    con, source = duckdb_ids(key, optouts, inp)
    con.execute(f"""
    copy (select i.pseudonym, k.KON, cast(k.ALDER as bigint) as ALDER,
                 strptime(k.INDATUM, '%Y%m%d')::date as INDATUM, strptime(k.UTDATUM, '%Y%m%d')::date as UTDATUM,
                 k.HDIA, k.DIA1, k.DIA2, k.LAN
          from {source} k join ids i using (PERSONNR))
    to '{outp}' (format parquet, compression zstd)
    """)


def run_duckdb(inp, outp, key, optouts):
    con, source = duckdb_ids(key, optouts, inp)
    con.execute(f"""
    copy (select i.pseudonym, strptime(k.EDATUM, '%Y%m%d')::date as EDATUM, k.ATC, cast(k.ANTAL as bigint) as ANTAL,
                 cast(k.DDD as double) as DDD
          from {source} k join ids i using (PERSONNR)
          where {" or ".join(f"starts_with(k.ATC, '{p}')" for p in PREFIXES)})
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
