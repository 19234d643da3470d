# Sourced by the feedpipe --git e2e scripts after lib.sh: repositories made
# with the git program, as a feed bot makes them (Hexo posts under
# source/_posts/TOPIC/SITE/FEED/), at fixed times.

command -v git >/dev/null || skip "no git program"
export GIT_AUTHOR_NAME=bot GIT_AUTHOR_EMAIL=bot@example.com
export GIT_COMMITTER_NAME=bot GIT_COMMITTER_EMAIL=bot@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"
git config --global init.defaultBranch main
git config --global core.quotePath false

# repo_init DIR: an empty repository.
repo_init() { git init -q "$1"; }

# post DIR TOPIC/SITE/FEED TITLE DATE [BODY]: writes the post's file (the
# path Hexo gives it) under DIR/source/_posts.
post() {
  local dir=$1 cats=$2 title=$3 date=$4 body=${5:-"<p>$3</p>"}
  local f="$dir/source/_posts/$cats/$title.md"
  mkdir -p "$(dirname "$f")"
  printf -- '---\ntitle: "%s"\ndate: %s\ncategories:\n- %s\n- %s\n- %s\n---\n<div>%s</div>\n' \
    "$title" "$date" "${cats%%/*}" "$(echo "$cats" | cut -d/ -f2)" "${cats##*/}" "$body" >"$f"
}

# commit_at DIR EPOCH MESSAGE: commits everything, committed at EPOCH (UTC)
# and authored a minute before.
commit_at() {
  (cd "$1" && git add -A &&
    GIT_COMMITTER_DATE="$2 +0800" GIT_AUTHOR_DATE="$(($2 - 60)) +0000" \
      git commit -q --allow-empty -m "$3")
}

# utc EPOCH: as feedpipe writes times.
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
