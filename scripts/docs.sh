#!/usr/bin/env bash
# Builds the DocC documentation of the three library modules (SilverLedgerStorage,
# SilverLedger, SilverLedgerDomain) into .build-docc/docs/<Module>.doccarchive.
#
# It builds the libraries in their own scratch directory (.build-docc, so that
# .build is left alone) with symbol graphs emitted by the compiler, then runs
# `docc convert` on each module's catalog, Sources/<Module>/<Module>.docc.
# Arguments go to every `docc convert`: scripts/docs.sh --analyze
# (or --warnings-as-errors). Set DOCC to use another docc binary.
#
# To browse one: docc preview Sources/SilverLedger/SilverLedger.docc \
#   --additional-symbol-graph-dir .build-docc/docs/symbolgraphs/SilverLedger
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

modules=(SilverLedgerStorage SilverLedger SilverLedgerDomain)
scratch=.build-docc
graphs="$scratch/symbolgraphs"   # every module's graphs, as the compiler writes them
out="$scratch/docs"

docc="${DOCC:-}"
if [ -z "$docc" ]; then
    if command -v docc >/dev/null 2>&1; then
        docc="$(command -v docc)"
    elif [ -x "$(dirname "$(command -v swift)")/docc" ]; then
        docc="$(dirname "$(command -v swift)")/docc"
    elif command -v xcrun >/dev/null 2>&1; then
        docc="$(xcrun --find docc)"
    else
        echo "docs: docc not found (it comes with the Swift toolchain); set DOCC" >&2
        exit 1
    fi
fi

# Building SilverLedgerDomain builds the other two. The compiler writes a
# module's graphs each time it compiles the module; a module that is up to date
# keeps the graphs of its last compile, so $graphs is kept between runs.
mkdir -p "$graphs"
echo "docs: building the libraries with symbol graphs ($scratch)"
swift build --scratch-path "$scratch" --target SilverLedgerDomain \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$graphs"

mkdir -p "$out"
for module in "${modules[@]}"; do
    if [ ! -f "$graphs/$module.symbols.json" ]; then
        echo "docs: no symbol graph for $module in $graphs; remove $scratch and run again" >&2
        exit 1
    fi
    # docc gets only this module's graphs: its own and its extensions of other modules' types.
    moduleGraphs="$out/symbolgraphs/$module"
    rm -rf "$moduleGraphs"
    mkdir -p "$moduleGraphs"
    cp "$graphs/$module.symbols.json" "$moduleGraphs/"
    for extension in "$graphs/$module"@*.symbols.json; do
        if [ -f "$extension" ]; then cp "$extension" "$moduleGraphs/"; fi
    done

    echo "docs: converting $module"
    rm -rf "$out/$module.doccarchive"
    "$docc" convert "Sources/$module/$module.docc" \
        --fallback-display-name "$module" \
        --fallback-bundle-identifier "org.silverledger.$module" \
        --additional-symbol-graph-dir "$moduleGraphs" \
        --output-path "$out/$module.doccarchive" \
        "$@"
done

echo "docs: written:"
for module in "${modules[@]}"; do echo "  $PWD/$out/$module.doccarchive"; done
