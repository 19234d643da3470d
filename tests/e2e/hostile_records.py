#!/usr/bin/env python3
"""Generates hostile records for feedpipe-load.

usage: hostile_records.py [SEED] > hostile.ndjson

Every member of a canonical article and of a reject record, nested ones
included, is given in turn every value of a list of hostile ones: huge and
incompressible (ASCII and CJK, past PostgreSQL's btree entry limit of about
2.7 KB), NUL as the escape \\u0000, lone and reversed surrogates, control
characters, the characters COPY and array literals escape, deeply nested
arrays and objects, every wrong JSON type, extreme numbers, and objects
whose keys are hostile. Then come lines that are not records at all. Each
record differs from every other (its own id and source path, where the
member under test leaves them alone; a reject's input names it too), so
that a load stores each one: as an
article, a load reject (article-invalid, ndjson-invalid) or an upstream
reject. Deterministic for a given SEED.
"""
import json
import random
import sys

sys.setrecursionlimit(20000)
SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 1
rng = random.Random(SEED)


def ascii_noise(n):
    """Incompressible printable ASCII: pglz and lz4 cannot shrink it below
    the btree limit."""
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                   for _ in range(n))


def cjk_noise(n):
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(n))


def nested(depth, obj):
    v = "leaf"
    for _ in range(depth):
        v = {"k": v} if obj else [v]
    return v


def hostile_values():
    """(name, value) pairs; strings may hold lone surrogates, which
    json.dumps writes as \\udXXX escapes."""
    return [
        ("ascii-3k", ascii_noise(3000)),
        ("ascii-10k", ascii_noise(10000)),
        ("ascii-300k", ascii_noise(300000)),
        ("cjk-4k", cjk_noise(4000)),
        ("nul", "\u0000"),
        ("nul-inside", "a\u0000b"),
        ("nuls-3k", "\u0000" * 3000),
        ("surrogate-high", "\ud800"),
        ("surrogate-low", "x\udfffy"),
        ("surrogates-reversed", "\udc00\ud800"),
        ("surrogate-pair", "\ud83d\ude00"),
        ("controls", "".join(chr(c) for c in range(1, 32)) + "\x7f\x85\u2028\u2029\ufeff\ufffe\uffff"),
        ("copy-escapes", "\\.\n\\N\t\r\\\\ \"{a,b}\" NULL , ' \\"),
        ("empty", ""),
        ("space", " "),
        ("deep-array", nested(1000, False)),
        ("deep-object", nested(1000, True)),
        ("int-zero", 0),
        ("int-negative", -1),
        ("int-max", 2 ** 63 - 1),
        ("int-min", -(2 ** 63)),
        ("float", 1.5),
        ("float-huge", 1e308),
        ("float-tiny", 5e-324),
        ("true", True),
        ("false", False),
        ("null", None),
        ("object-empty", {}),
        ("array-empty", []),
        ("array-mixed", [1, "a", None, {"x": [True]}, "\u0000", "\ud800"]),
        ("object-nul-key", {"\u0000": 1, "a\u0000": "b"}),
        ("object-surrogate-key", {"\ud800": "v"}),
        ("object-huge-key", {ascii_noise(5000): "v"}),
        ("object-empty-key", {"": ""}),
        ("timestamp-like", "2021-02-29T25:61:61Z"),
        ("hex-like", "%016x" % rng.getrandbits(64)),
    ]


ARTICLE = {
    "id": None, "title": "Hostile", "author": "a", "topic": "t", "site": "s", "feed": "f",
    "categories": ["c1", "c2"], "published_at": "2021-12-20T05:08:08Z",
    "published_raw": "Mon, 20 Dec 2021 05:08:08 GMT", "image": None, "thumbnail": None,
    "comments": True, "editor": None, "original_title": None, "lang": "en",
    "html": "<p>x</p>", "text": "x", "chars": 1,
    "images": [{"src": "https://img.example.org/1.png", "alt": None}],
    "links": [{"href": "https://example.org/", "text": "home"}],
    "embeds": [{"src": "https://v.example.org/e", "tag": "iframe"}],
    "content_hash": "0" * 64,
    "source": {"path": None, "root": "hostile", "bytes": 10, "mtime": "2026-11-26T21:31:00Z",
               "sha256": "1" * 64},
    "warnings": [{"stage": "extract", "code": "w", "message": "m"}],
}

REJECT = {
    "reject": {"stage": "clean", "reason": "html-too-deep", "message": "too deep",
               "file": None, "line": 3, "column": 4, "record": 5},
    "source": {"path": None, "root": "hostile", "bytes": 10, "mtime": "2026-11-26T21:31:00Z",
               "sha256": "2" * 64},
    "input": {"meta": {"title": "t"}},
}

# Members to replace, as paths into the record ("images.0.src": a nested one).
ARTICLE_PATHS = [
    "id", "title", "author", "topic", "site", "feed", "categories", "categories.0",
    "published_at", "published_raw", "image", "thumbnail", "comments", "editor",
    "original_title", "lang", "html", "text", "chars", "images", "images.0", "images.0.src",
    "images.0.alt", "links", "links.0", "links.0.href", "embeds", "embeds.0.tag",
    "content_hash", "source", "source.path", "source.root", "source.bytes", "source.mtime",
    "source.sha256", "warnings", "warnings.0", "warnings.0.code", "unknown_member",
]
REJECT_PATHS = [
    "reject", "reject.stage", "reject.reason", "reject.message", "reject.file",
    "reject.line", "reject.column", "reject.record", "source", "source.path", "input",
    "reject.extra",
]


def put(rec, path, value):
    keys = path.split(".")
    obj = rec
    for k in keys[:-1]:
        obj = obj[int(k)] if isinstance(obj, list) else obj[k]
    last = keys[-1]
    if isinstance(obj, list):
        obj[int(last)] = value
    else:
        obj[last] = value


def copy(rec):
    return json.loads(json.dumps(rec))


def main():
    out = sys.stdout
    n = 0
    values = hostile_values()
    for kind, base, paths in (("a", ARTICLE, ARTICLE_PATHS), ("r", REJECT, REJECT_PATHS)):
        for path in paths:
            for name, value in values:
                n += 1
                rec = copy(base)
                if kind == "a":
                    rec["id"] = "%016x" % (0x6800000000000000 + (SEED << 24) + n)
                    rec["content_hash"] = "%064x" % n
                tag = "hostile/%d/%s/%s/%s.md" % (SEED, kind, path, name)
                rec["source"]["path"] = tag
                if kind == "r":  # unique also when the member under test is source
                    rec["input"]["tag"] = tag
                put(rec, path, value)
                out.write(json.dumps(rec, ensure_ascii=True, separators=(",", ":")) + "\n")
    # A reject from every stage with every part of it huge at once.
    for stage in ("extract", "clean", "normalize", "load", ascii_noise(4000)):
        n += 1
        rec = copy(REJECT)
        rec["reject"].update({"stage": stage, "reason": cjk_noise(2000), "message": ascii_noise(20000),
                              "file": ascii_noise(5000)})
        rec["source"]["path"] = ascii_noise(5000)
        out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    # Lines that are not records: load makes them ndjson-invalid or
    # line-too-long rejects of its own.
    raw = [
        b"not json",
        b"[]", b"null", b"\"string\"", b"42",
        b"{\"id\": ",
        b"[" * 5000 + b"]" * 5000,
        b"{\"title\": \"\xff\xfe invalid utf-8\"}",
        b"{\"k\": \"\xed\xa0\x80 encoded surrogate\"}",
        b"\x00\x01\x02",
        ascii_noise(200000).encode(),
        b"{\"reject\": " + b"[" * 3000 + b"]" * 3000 + b"}",
    ]
    out.flush()
    for line in raw:
        sys.stdout.buffer.write(line + b"\n")


if __name__ == "__main__":
    main()
