#!/usr/bin/env python3
"""Content-retention and residue checks for feedpipe-clean.

usage: clean_retention.py EXTRACTED.jsonl CLEANED.jsonl

EXTRACTED holds feedpipe-extract's records (with the raw body), CLEANED the
same records after feedpipe-clean. Independently of libxml2 (Python's own
HTML parser), every <p> of the raw body that is not boilerplate must have its
text in the cleaned `text` (compared without whitespace), and no boilerplate
marker may be left in `text` or `html`. Prints both results; exits 1 when
retention is below 100% or any residue is found.
"""
import json
import re
import sys
from html.parser import HTMLParser

# Boilerplate, as the issue names it: these blocks are removed on purpose.
BOILERPLATE_CLASSES = {"appendQr_wrap", "article-editor", "page-link", "video-preview"}
BOILERPLATE_TEXT = [
    re.compile(r"^原标题"),                 # captured as found.original_title
    re.compile(r"^责任编辑"),               # captured as found.editor
    re.compile(r"^\[TOC\]$"),               # LeetCode table-of-contents marker
    re.compile(r"^!\?!.*!\?!$"),            # LeetCode widget placeholder
    re.compile(r"^劇評 \((上|下)\)"),       # kenshin.hk review navigation
]
# Markers that must not survive anywhere in text or html.
RESIDUE = [
    "海量资讯、精准解读，尽在新浪财经APP", "责任编辑", "appendQr", "&#123;", "&#125;",
    "<!--", "-->", "{border:", "float:left", "news_keyword_pub", "文末二维码", "[TOC]",
    "!?!", "Pages: 1", "劇評 (上)", "<script", "<style", "javascript:",
]
BLOCKS = {"p", "div", "ul", "ol", "li", "table", "tr", "td", "th", "h1", "h2", "h3", "h4",
          "h5", "h6", "pre", "blockquote", "section", "article", "center", "hr"}
VOID = {"br", "img", "hr", "input", "meta", "link", "source", "embed", "col", "wbr", "area",
        "base", "param", "track"}
WS = re.compile(r"[\s\u3000\u00a0]+")


def squash(s):
    return WS.sub("", s)


class Paragraphs(HTMLParser):
    """Collects the text of each <p>, noting whether it is boilerplate."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []      # (tag, boilerplate) of open elements
        self.skip = 0        # inside script/style
        self.cur = None      # [text parts, boilerplate] of the open <p>
        self.paragraphs = []  # (text, boilerplate)

    def close_p(self):
        if self.cur is not None:
            self.paragraphs.append(("".join(self.cur[0]), self.cur[1]))
            self.cur = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        bp = bool(classes & BOILERPLATE_CLASSES) or "hidden" in a
        if tag in BLOCKS:
            self.close_p()
        if tag in ("script", "style", "noscript", "template", "iframe"):
            self.skip += 1
        if tag not in VOID:
            inherited = any(b for _, b in self.stack)
            self.stack.append((tag, bp or inherited))
        if tag == "p":
            self.cur = [[], bp or any(b for _, b in self.stack)]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript", "template", "iframe"):
            self.skip = max(0, self.skip - 1)
        if tag == "p" or tag in BLOCKS:
            self.close_p()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.cur is not None and not self.skip:
            self.cur[0].append(data)


def main():
    raw = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if "body" in r:
                raw[r["source"]["path"]] = r["body"]
    total = kept = residue = 0
    misses = []
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if "reject" in r:
                misses.append("%s: rejected (%s)" % (r.get("source", {}).get("path"), r["reject"]["reason"]))
                continue
            path = r["source"]["path"]
            text = squash(r["text"])
            for marker in RESIDUE:
                for where in ("text", "html"):
                    if marker in r[where]:
                        residue += 1
                        misses.append("%s: residue %r in %s" % (path, marker, where))
            p = Paragraphs()
            p.feed(raw.get(path, ""))
            p.close()
            p.close_p()
            for ptext, bp in p.paragraphs:
                norm = WS.sub(" ", ptext).strip(" ")
                if bp or not norm or any(rx.search(norm) for rx in BOILERPLATE_TEXT):
                    continue
                total += 1
                if squash(norm) in text:
                    kept += 1
                else:
                    misses.append("%s: paragraph lost: %s" % (path, norm[:80]))
    pct = 100.0 * kept / total if total else 100.0
    for m in misses:
        print("  " + m)
    print("retention: %d/%d paragraphs kept (%.1f%%)" % (kept, total, pct))
    print("residue: %d" % residue)
    return 0 if kept == total and residue == 0 and not misses else 1


if __name__ == "__main__":
    sys.exit(main())
