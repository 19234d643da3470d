#!/usr/bin/python3
"""The Python reference pipeline of scripts/bench.

    scripts/bench-reference.py DIR [--out FILE.jsonl.gz] [--level N]

The script a data engineer would write for the job feedpipe does, with the
usual libraries (Debian's python3-yaml, whose C loader it uses, and
python3-lxml): walk DIR for *.md posts, split the YAML front matter from the
HTML body, parse the body with lxml, drop scripts, styles and iframes, keep
the sanitized HTML, the plain text, the images and the links, give the post
a stable id and a UTC date, and write one JSON object per line: to stdout
(for `| gzip`), or gzipped to FILE with the gzip module at level N
(default 6). A post that cannot be read or parsed becomes a reject line, so
the work is the same whatever the input.

It is a reference for speed, not a second implementation: it does less than
feedpipe (no site rules, no language detection, no URL checks), which
favours it. scripts/bench reports its posts/s next to feedpipe's.
"""
import datetime
import email.utils
import gzip
import hashlib
import json
import os
import sys

import unicodedata

import lxml.html
import lxml.html.clean
import yaml

# lxml's own sanitizer with its defaults: scripts, styles, frames, embedded
# objects, forms, comments and unsafe attributes go.
CLEANER = lxml.html.clean.Cleaner()


def parse_date(v):
    if isinstance(v, datetime.datetime):
        d = v
    elif isinstance(v, datetime.date):
        d = datetime.datetime(v.year, v.month, v.day)
    elif isinstance(v, str):
        try:
            d = datetime.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        except ValueError:
            try:
                d = email.utils.parsedate_to_datetime(v)
            except (TypeError, ValueError):
                return None
    else:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def split(raw):
    raw = raw.lstrip("\ufeff \t\r\n")
    if raw.startswith("---"):
        end = raw.find("\n---", 3)
        if end >= 0:
            nl = raw.find("\n", end + 4)
            return raw[3:end], raw[nl + 1:] if nl >= 0 else ""
    return "", raw


def record(root, path):
    with open(path, "rb") as f:
        data = f.read()
    raw = data.decode("utf-8", errors="replace")
    head, body = split(raw)
    meta = yaml.load(head, Loader=yaml.CSafeLoader) if head.strip() else {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    rel = os.path.relpath(path, root)
    out = {
        "id": hashlib.sha256(rel.encode()).hexdigest()[:16],
        "title": unicodedata.normalize("NFC", str(meta.get("title") or "")),
        "author": meta.get("author"),
        "categories": [str(c) for c in meta.get("categories") or []]
        if isinstance(meta.get("categories"), list) else [],
        "published_at": parse_date(meta.get("date")),
    }
    html, text, images, links = "", "", [], []
    if body.strip():
        doc = CLEANER.clean_html(lxml.html.fromstring(body))
        images = [{"src": i.get("src"), "alt": i.get("alt")} for i in doc.iter("img") if i.get("src")]
        links = [a.get("href") for a in doc.iter("a") if a.get("href")]
        html = lxml.html.tostring(doc, encoding="unicode")
        text = unicodedata.normalize("NFC", " ".join(doc.text_content().split()))
    out.update(html=html, text=text, chars=len(text), images=images, links=links,
               content_hash=hashlib.sha256(text.encode()).hexdigest(),
               source={"path": rel, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return out


def main(argv):
    args, out, level = [], None, 6
    i = 1
    while i < len(argv):
        if argv[i] == "--out":
            out, i = argv[i + 1], i + 2
        elif argv[i] == "--level":
            level, i = int(argv[i + 1]), i + 2
        else:
            args, i = args + [argv[i]], i + 1
    if len(args) != 1:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    root = args[0]
    f = gzip.open(out, "wt", encoding="utf-8", compresslevel=level) if out else sys.stdout
    n = rejects = 0
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            path = os.path.join(d, name)
            n += 1
            try:
                rec = record(root, path)
            except Exception as e:  # noqa: BLE001 - a reject, whatever broke
                rejects += 1
                rec = {"reject": {"reason": type(e).__name__, "message": str(e)[:200]},
                       "source": {"path": os.path.relpath(path, root)}}
            f.write(json.dumps(rec, ensure_ascii=False))
            f.write("\n")
    if out:
        f.close()
    sys.stderr.write("bench-reference: %d posts, %d rejects\n" % (n, rejects))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
