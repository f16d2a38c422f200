#!/usr/bin/env python3
"""Independent reference implementation of hdab's pseudonym scheme v1 (Python standard
library only). Prints the pseudonym of Skatteverket's test number 19121212-1212 under
permit P-2026-0001, key version 1, with the master key 00 01 02 … 1f."""
import base64, hashlib, hmac, struct

def lp(field: bytes) -> bytes:
    return struct.pack(">I", len(field)) + field

def hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int = 32) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]

def pseudonym(master: bytes, permit_id: str, key_version: int, canonical: str) -> str:
    info = b"".join(lp(f.encode()) for f in
                    ["hdab", "1", "pseudonym", permit_id, "se-personnummer", str(key_version)])
    key = hkdf_sha256(b"hdab/hkdf-salt/v1", master, info)
    mac = hmac.new(key, canonical.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(mac[:20]).decode().lower().rstrip("=")

if __name__ == "__main__":
    print(pseudonym(bytes(range(32)), "P-2026-0001", 1, "191212121212"))
