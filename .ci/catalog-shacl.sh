#!/usr/bin/env bash
# Exports the sample catalogue (Turtle and JSON-LD) and validates both against the DCAT-AP
# 3.0.1 SHACL shapes with pyshacl. Usage: .ci/catalog-shacl.sh HDAB_BINARY PYTHON
set -euo pipefail
hdab="$1"; python="$2"
shapes="$(cd "$(dirname "$0")/.." && pwd)/tests/reference/dcat-ap-3.0.1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$hdab" demo --dir "$work/demo" >/dev/null 2>&1
export HDAB_DATA_DIR="$work/demo"
"$hdab" catalog export --format turtle --out "$work/catalog.ttl"
"$hdab" catalog export --format jsonld --out "$work/catalog.jsonld"
check() { # shape file, data format, data file, extra pyshacl flags
  if "$python" -m pyshacl $4 -s "$shapes/$1" -df "$2" "$3" >"$work/report.txt"; then
    echo "$1 / $2: $(grep -m1 Conforms "$work/report.txt")"
  else
    cat "$work/report.txt"
    echo "$1 / $2: the export does not conform"
    exit 1
  fi
}
for shape in dcat-ap-SHACL.ttl shapes.ttl range.ttl; do
  check "$shape" turtle "$work/catalog.ttl" ""
  check "$shape" json-ld "$work/catalog.jsonld" ""
done
# The controlled vocabularies: violations fail; warnings (Swedish holders are not in the EU
# corporate-body list) are allowed.
check mdr-vocabularies.shape.ttl turtle "$work/catalog.ttl" "-w"
echo "catalogue export conforms to DCAT-AP 3.0.1 (Turtle and JSON-LD)"
