#!/usr/bin/env bash
# Prepares the default corpus: the Jargon File (public domain) from Debian's jargon-text
# package, as plain text in data/jargon.txt (git-ignored; never committed).
set -euo pipefail
cd "$(dirname "$0")"
src=/usr/share/doc/jargon-text/jargon.txt.gz
if [ ! -r "$src" ]; then
  echo "prepare_jargon: $src not found (install it: sudo apt-get install jargon-text)" >&2
  exit 2
fi
if [ ! -s jargon.txt ]; then
  zcat "$src" > jargon.txt.tmp && mv jargon.txt.tmp jargon.txt
fi
echo "prepare_jargon: data/jargon.txt ($(wc -c < jargon.txt) bytes)" >&2
