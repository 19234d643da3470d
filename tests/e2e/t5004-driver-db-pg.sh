# Into PostgreSQL: `feedpipe run --pg` stores the articles that --out-dir
# writes, and -j 2 gives exactly the database content of -j 1, and of the
# hand-written pipe loading the records in reverse order in small batches.
#
# The inputs hold several files per id: the real corpus has two versions of
# one post under two names (0002.md, 0003.md), and dup/ adds another version
# of 20 generated posts (same title, so same id; other body; older, newer or
# equal mtime). Which version wins must not depend on the order the chains
# deliver them in (lib/pg.c: the later source_mtime, then source_path).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
[ -n "${PGHOST:-}${PGDATABASE:-}" ] || skip "no test server (PGHOST unset; run scripts/test)"
command -v psql > /dev/null || skip "psql missing"
gen_inputs 300
mkdir "$T/dup"
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1))
  d=$T/dup/copy-$i.md
  { cat "$T/gen/$f"; printf '\n<p>second version %d</p>\n' "$i"; } > "$d"
  case $((i % 3)) in
    0) touch -r "$T/gen/$f" "$d" ;;                                   # same mtime: the path decides
    1) touch -d "@$(( $(stat -c %Y "$T/gen/$f") - 86400 ))" "$d" ;; # older
    2) touch -d "@$(( $(stat -c %Y "$T/gen/$f") + 86400 ))" "$d" ;; # newer
  esac
done < <(cd "$T/gen" && find . -name '*.md' -print0 | LC_ALL=C sort -z | head -z -n 20)
inputs+=("$T/dup")
s1=fp_drv_j1_$$ s2=fp_drv_j2_$$ s3=fp_drv_rev_$$
trap 'for s in $s1 $s2 $s3; do psql -qX -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1; done; rm -rf "$T"' EXIT

"$driver" run -q "${inputs[@]}" --pg '' --schema "$s1" --out-dir "$T/j1"
"$driver" run -q -j 2 "${inputs[@]}" --pg '' --schema "$s2"
feedpipe-extract -q "${inputs[@]}" | feedpipe-clean -q | feedpipe-normalize -q | tac |
  feedpipe-load -q --pg '' --schema "$s3" --batch-rows 7

# What a run put in a schema, without the columns that say when it ran.
content() {
  psql -qAtX -v ON_ERROR_STOP=1 -c "SELECT to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'first_seen_at' - 'load_run'
    FROM $1.articles a ORDER BY id" &&
  psql -qAtX -v ON_ERROR_STOP=1 -c "SELECT stage, reason, source_path, record_sha256
    FROM $1.rejects ORDER BY record_sha256"
}
content "$s1" > "$T/db1"
content "$s2" > "$T/db2"
content "$s3" > "$T/db3"
[ -s "$T/db1" ] || fail "nothing loaded"
diff -q "$T/db1" "$T/db2" > /dev/null || fail "-j 2 loaded other content than -j 1"
diff -q "$T/db1" "$T/db3" > /dev/null || fail "records in reverse order loaded other content"
# The winners: of each id, the version with the latest mtime, then path
# (bytes), then content_hash; the JSONL sink keeps every version.
articles "$T/j1" | jq -sr 'group_by(.id)[] | max_by([.source.mtime, .source.path, .content_hash])
  | [.id, .source.path, .content_hash] | @tsv' > "$T/winners.jsonl"
psql -qAtX -F "$(printf '\t')" -c "SELECT id, source_path, content_hash FROM $s1.articles ORDER BY id" > "$T/winners.db"
diff -u "$T/winners.jsonl" "$T/winners.db" || fail "not the winners by (mtime, path, content_hash)"
n=$(grep -c "	copy-" "$T/winners.db" || true)
[ "$n" -ge 1 ] && [ "$n" -lt 20 ] || fail "$n of 20 second versions won, want some, not all"

# The same articles as the JSONL sink (which keeps every version of an id).
psql -qAtX -c "SELECT id FROM $s1.articles ORDER BY id" > "$T/ids.db"
articles "$T/j1" | jq -r .id | LC_ALL=C sort -u > "$T/ids.jsonl"
LC_ALL=C sort "$T/ids.db" > "$T/ids.db.sorted"
diff -u "$T/ids.jsonl" "$T/ids.db.sorted" || fail "--pg and --out-dir hold other articles"
echo "ok: $(wc -l < "$T/ids.db") articles, $n of 20 second versions won"
