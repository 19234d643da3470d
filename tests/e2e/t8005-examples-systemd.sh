# examples/systemd: the service and timer pass systemd-analyze verify (with
# ExecStart pointed at the driver under test and its man page built), and the
# timer's calendar expression parses.
. "$(dirname "$0")/lib.sh"
command -v systemd-analyze > /dev/null || skip "systemd-analyze missing (package systemd)"
units=$FP_SOURCE/examples/systemd
[ -x "$FP_BUILD/feedpipe" ] || fail "no driver in $FP_BUILD"

mkdir "$T/units"
sed "s|/usr/bin/feedpipe |$FP_BUILD/feedpipe |" "$units/feedpipe.service" > "$T/units/feedpipe.service"
grep -q "^ExecStart=$FP_BUILD/feedpipe run " "$T/units/feedpipe.service" || fail "ExecStart is not /usr/bin/feedpipe run"
cp "$units/feedpipe.timer" "$T/units/"
man=--man=no
if [ -f "$FP_BUILD/man/feedpipe.1" ] && command -v man > /dev/null; then
  mkdir -p "$T/man/man1" && cp "$FP_BUILD"/man/*.1 "$T/man/man1/"
  export MANPATH=$T/man
  man=--man=yes
fi
systemd-analyze verify "$man" "$T/units/feedpipe.service" "$T/units/feedpipe.timer" > "$T/out" 2>&1 ||
  { cat "$T/out" >&2; fail "systemd-analyze verify"; }
[ ! -s "$T/out" ] || fail "systemd-analyze verify: $(cat "$T/out")"
cal=$(sed -n 's/^OnCalendar=//p' "$units/feedpipe.timer")
systemd-analyze calendar "$cal" > /dev/null || fail "OnCalendar=$cal does not parse"

# The options the service passes are the driver's.
"$FP_BUILD/feedpipe" --help > "$T/help"
for opt in $(sed -n 's/^ExecStart=[^ ]* run //p' "$units/feedpipe.service" | grep -oE -- '--[a-z-]+|-[a-z0-9]\b'); do
  grep -qE -- "(^|[ ,])$opt([ ,]|$)" "$T/help" || fail "feedpipe.service passes $opt, which feedpipe run does not know"
done
echo "ok: feedpipe.service and feedpipe.timer verify ($man)"
