# completion/feedpipe.bash (installed as share/bash-completion/completions/
# NAME for each command): options come from each command's --help, option
# values are completed where they name files, directories or modes.
. "$(dirname "$0")/lib.sh"
script=$FP_SOURCE/completion/feedpipe.bash
bash -n "$script" || fail "$script: syntax"

# complete WORD...: what bash would offer for the last word.
complete_words() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _feedpipe
    printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' _ "$script" "$@"
}
check() { # check "EXPECTED (space-separated)" WORD...
  local want=$1 got; shift
  got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || fail "completing '$*': got '$got', expected '$want'"
}
cd "$T"
export LC_ALL=C
mkdir -p dir1 && touch file1
check "run" feedpipe r
check "--out --out-dir" "$FP_BUILD/feedpipe-load" --ou
check "--max-depth --max-html --max-line --max-rejects" "$FP_BUILD/feedpipe-clean" --max
check "--state --stats" "$FP_BUILD/feedpipe" run --st
check "reject repair" "$FP_BUILD/feedpipe-extract" --invalid-utf8 re
check "dir1" "$FP_BUILD/feedpipe-load" --out-dir d
check "file1" "$FP_BUILD/feedpipe-clean" --rules f
check "file1" "$FP_BUILD/feedpipe" run --state f

# Every long option --help prints is offered.
for exe in feedpipe feedpipe-extract feedpipe-clean feedpipe-normalize feedpipe-load; do
  [ -x "$FP_BUILD/$exe" ] || continue
  "$FP_BUILD/$exe" --help | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u > "$T/help"
  words=("$FP_BUILD/$exe")
  [ "$exe" = feedpipe ] && words+=(run)
  complete_words "${words[@]}" -- > "$T/offered"
  comm -23 "$T/help" "$T/offered" > "$T/missing"
  [ ! -s "$T/missing" ] || fail "$exe: not offered: $(tr '\n' ' ' < "$T/missing")"
done
echo "ok: bash completion offers the options of every command"
