#!/usr/bin/env bash
# extract --git | clean | normalize: every version keeps source.git in the
# canonical article and passes the JSON Schema; every version of a post has
# the post's id; a re-render that changes only date: keeps content_hash, a
# body edit changes it. The JSONL sink keeps every version.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/git-lib.sh"

r=$T/repo f=新闻/SiteB/Feed2 t0=1609459200
repo_init "$r"
post "$r" "$f" One "2021-01-01 08:00:00"
post "$r" "$f" Two "2021-01-01 08:00:00"
commit_at "$r" $t0 c1
post "$r" "$f" One "2021-01-01 20:00:00"                     # date: only
commit_at "$r" $((t0 + 86400)) c2
post "$r" "$f" One "2021-01-01 20:00:00" "<p>One, edited</p>" # body
commit_at "$r" $((t0 + 2 * 86400)) c3

feedpipe-extract --git "$r" --prefix source/_posts | feedpipe-clean |
  feedpipe-normalize --now 2026-01-01T00:00:00Z >"$T/articles.jsonl"
jq -r '[.title, .id, .content_hash[:8], .published_at, .source.git.committed_at, .source.mtime] | join(" ")' \
  "$T/articles.jsonl" >"$T/got"
id() { printf '%s' "新闻/SiteB/Feed2/$1" | sha256sum | cut -c1-16; }
h() { printf '%s\n%s' "$1" "$2" | sha256sum | cut -c1-8; }
cat >"$T/expect" <<EOT
One $(id One) $(h One One) 2021-01-01T08:00:00Z 2021-01-01T00:00:00Z 2021-01-01T00:00:00Z
Two $(id Two) $(h Two Two) 2021-01-01T08:00:00Z 2021-01-01T00:00:00Z 2021-01-01T00:00:00Z
One $(id One) $(h One One) 2021-01-01T20:00:00Z 2021-01-02T00:00:00Z 2021-01-02T00:00:00Z
One $(id One) $(h One 'One, edited') 2021-01-01T20:00:00Z 2021-01-03T00:00:00Z 2021-01-03T00:00:00Z
EOT
diff -u "$T/expect" "$T/got"
jq -e -s 'map(.source.git | keys == ["author_at", "blob", "commit", "committed_at"]) | all' \
  "$T/articles.jsonl" >/dev/null || fail "source.git lost"

if python3 -c 'import jsonschema' 2>/dev/null; then
  python3 - "$FP_SOURCE/lib/article.schema.json" "$T/articles.jsonl" <<'PY' || fail "schema"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
recs = [json.loads(l) for l in open(sys.argv[2])]
bad = [e.message for r in recs for e in v.iter_errors(r)]
bad_git = dict(recs[0]); bad_git["source"] = dict(bad_git["source"], git={"commit": "x"})
if bad or v.is_valid(bad_git):
    print(bad[:3], "a bad source.git passes" if v.is_valid(bad_git) else ""); sys.exit(1)
PY
fi

# The JSONL sink: every version, as it came.
feedpipe-load -q --out "$T/out.jsonl.gz" <"$T/articles.jsonl"
zcat "$T/out.jsonl.gz" | diff -q - "$T/articles.jsonl" >/dev/null || fail "the JSONL sink changed the versions"
echo ok
