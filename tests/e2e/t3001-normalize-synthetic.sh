# normalize over a synthetic archive (scripts/gen-corpus): every article
# valid, ids are the archive paths' hashes and unique, a second run gives
# the same bytes, --default-tz moves only the dates written without a zone.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed by scripts/gen-corpus"

python3 "$FP_SOURCE/scripts/gen-corpus" "$T/posts" 400 7 > /dev/null
feedpipe-extract -q "$T/posts" | feedpipe-clean -q > "$T/clean.jsonl"
feedpipe-normalize --now 2026-11-26T00:00:00Z --stats "$T/stats.json" < "$T/clean.jsonl" > "$T/a.jsonl"
feedpipe-normalize --now 2026-11-26T00:00:00Z < "$T/clean.jsonl" > "$T/b.jsonl"
cmp "$T/a.jsonl" "$T/b.jsonl" || fail "two runs differ"
jq -e '.rejects == 0 and .records_out > 350' "$T/stats.json" > /dev/null || fail "stats: $(cat "$T/stats.json")"

# ids: the hash of <topic>/<site>/<feed>/<file name without .md>, except for
# multi-line titles (see README, Identity) and broken front matter, and unique
jq -r 'select(.reject | not) | [.id, (.source.path | sub("\\.md$"; "")), (.warnings | map(.code) | join(","))] | @tsv' \
  "$T/a.jsonl" > "$T/ids"
while IFS=$'\t' read -r id key codes; do
  case $codes in *taxonomy-*|*yaml-recovered*) continue ;; esac # not the archive's title or folders
  want=$(printf '%s' "$key" | sha256sum | cut -c1-16)
  [ "$id" = "$want" ] && continue
  jq -r --arg k "$key.md" 'select(.source.path == $k) | .title | test("^## ")' "$T/a.jsonl" | grep -qx true ||
    fail "$key: id $id, expected $want"
done < "$T/ids"
[ -z "$(cut -f1 "$T/ids" | sort | uniq -d)" ] || fail "duplicate ids: $(cut -f1 "$T/ids" | sort | uniq -d | head -3)"

# --default-tz: dates with a zone stay, zone-less ones move by eight hours
feedpipe-normalize --now 2026-11-26T00:00:00Z --default-tz +08:00 < "$T/clean.jsonl" > "$T/c.jsonl"
paste -d'|' <(jq -r 'select(.reject | not) | "\(.published_raw)|\(.published_at)"' "$T/a.jsonl") \
      <(jq -r 'select(.reject | not) | "\(.published_at)"' "$T/c.jsonl") > "$T/dates"
moved=0
while IFS='|' read -r raw utc shifted; do
  [ "$utc" != null ] || { [ "$shifted" = null ] || fail "$raw: null in UTC, $shifted at +08:00"; continue; }
  case $raw in
    *GMT|*UTC|*Z|*[+-][0-9][0-9]:[0-9][0-9]|*[+-][0-9][0-9][0-9][0-9])
      [ "$utc" = "$shifted" ] || fail "$raw has a zone but moved: $utc -> $shifted" ;;
    *)
      [ "$(( $(date -ud "$utc" +%s) - $(date -ud "$shifted" +%s) ))" = 28800 ] ||
        fail "$raw: $utc in UTC, $shifted at +08:00"
      moved=$((moved + 1)) ;;
  esac
done < "$T/dates"
[ "$moved" -gt 0 ] || fail "no zone-less dates in the synthetic archive"
echo "ok: $(wc -l < "$T/ids") articles, $moved zone-less dates"
