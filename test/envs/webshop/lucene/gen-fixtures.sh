#!/bin/sh
# Regenerates the Lucene reference fixtures of the webshop search tests (needs default-jdk and liblucene8-java).
# The documents and queries are written by the compiled fixture script; Lucene ranks them; the test compares.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
CP=$(ls /usr/share/java/lucene-core-8*.jar /usr/share/java/lucene-analyzers-common-8*.jar | tr '\n' ':')
out="$here/fixtures"
mkdir -p "$out"
node "$root/dist/test/envs/webshop/lucene/make-inputs.js" "$out"
java -cp "$CP" "$here/LuceneRef.java" tokens "$out/texts.txt" > "$out/tokens.txt"
java -cp "$CP" "$here/LuceneRef.java" search "$out/docs.tsv" "$out/queries.txt" 50 > "$out/rankings.txt"
