# Every executable has a man page (man/NAME.scd); every option its --help
# prints is in the page's OPTIONS section and every option that section
# defines is in --help. When scdoc built the pages, each renders without
# warnings and shows its options.
. "$(dirname "$0")/lib.sh"

# The options that --help lists: every long option it mentions, and the short
# ones that start an option line ("  -q, --quiet", "  -0  ...").
help_options() {
  { grep -oE -- '(^|[^a-z0-9-])--[a-z0-9][a-z0-9-]*' "$1" | sed 's/^[^-]*//'
    grep -oE -- '^  +-[A-Za-z0-9]([ ,]|$)' "$1" | sed 's/^ *//; s/[ ,]$//'; } | sort -u
}
# The options a man page's OPTIONS section defines: those on its term lines
# ("*-q*, *--quiet*", "*--glob* _PATTERN_").
man_options() {
  awk '/^# / { in_opts = ($0 == "# OPTIONS") } in_opts && /^\*-/' "$1" |
    grep -oE -- '\*--?[A-Za-z0-9][a-z0-9-]*\*' | tr -d '*' | sort -u
}

checked=0
for exe in feedpipe feedpipe-extract feedpipe-clean feedpipe-normalize feedpipe-load; do
  [ -x "$FP_BUILD/$exe" ] || continue
  scd=$FP_SOURCE/man/$exe.scd
  [ -f "$scd" ] || fail "$exe has no man page (man/$exe.scd)"
  "$FP_BUILD/$exe" --help > "$T/help" || fail "$exe --help: status $?"
  help_options "$T/help" > "$T/from-help"
  man_options "$scd" > "$T/from-man"
  [ -s "$T/from-man" ] || fail "man/$exe.scd: no options in its OPTIONS section"
  comm -23 "$T/from-help" "$T/from-man" > "$T/missing"
  [ ! -s "$T/missing" ] || fail "man/$exe.scd lacks options that $exe --help prints: $(tr '\n' ' ' < "$T/missing")"
  comm -13 "$T/from-help" "$T/from-man" > "$T/extra"
  [ ! -s "$T/extra" ] || fail "$exe --help lacks options that man/$exe.scd describes: $(tr '\n' ' ' < "$T/extra")"
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT EXAMPLES; do
    grep -qx "# $section" "$scd" || fail "man/$exe.scd has no $section section"
  done
  head -n1 "$scd" | grep -qx "$exe(1)" || fail "man/$exe.scd: first line is not '$exe(1)'"

  page=$FP_BUILD/man/$exe.1
  if [ -f "$page" ] && command -v man > /dev/null; then
    MANWIDTH=100 man --warnings -l "$page" > "$T/rendered" 2> "$T/warnings" || fail "man -l $page: status $?"
    [ ! -s "$T/warnings" ] || fail "$exe.1 renders with warnings: $(cat "$T/warnings")"
    while read -r opt; do
      grep -qF -- "$opt" "$T/rendered" || fail "$exe.1 as rendered lacks $opt"
    done < "$T/from-help"
  fi
  checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || skip "no executable built in $FP_BUILD"

# No page for an executable that does not exist.
for scd in "$FP_SOURCE"/man/*.scd; do
  exe=$(basename "$scd" .scd)
  case $exe in
  feedpipe | feedpipe-extract | feedpipe-clean | feedpipe-normalize | feedpipe-load) ;;
  *) fail "man/$exe.scd documents no executable" ;;
  esac
done
echo "ok: $checked executables, --help and man pages agree"
