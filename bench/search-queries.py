#!/usr/bin/env python3
"""Long-tail query set for bench/search.sh.

Reads the seeded registry's own vocabulary (names, name parts, keywords,
namespaces, owners, description words, rare words) from tab-separated files
that search.sh exports with psql, and writes OUTDIR/<class>.txt (one request
path per line) and OUTDIR/all.txt (every class, shuffled). A fixed seed: the
same corpus gives the same queries. Each query repeats rarely, so neither
Postgres' plan of one statement nor any cache carries the numbers.

Usage: search-queries.py VOCABDIR OUTDIR [PER_CLASS]
"""
import random
import sys
import urllib.parse

vocab, out = sys.argv[1], sys.argv[2]
per_class = int(sys.argv[3]) if len(sys.argv) > 3 else 700
rng = random.Random(0x5EA2C4)


def lines(name):
    with open(f"{vocab}/{name}.txt") as f:
        return [line.strip() for line in f if line.strip()]


names = lines("names")
parts = [p for p in lines("parts") if len(p) >= 2]
keywords = lines("keywords")
namespaces = lines("namespaces")
owners = lines("owners")
descriptions = lines("descriptions")
words = sorted({w.strip(".,:()").lower() for d in descriptions for w in d.split()} - {""})
words = [w for w in words if w.isalpha() and len(w) >= 2]
rare = sorted({d.split("codename ")[1].rstrip(")").strip() for d in descriptions if "codename " in d})

SORTS = ["downloads", "recent-downloads", "updated", "new", "name"]


def typo(w):
    """One edit: swap, drop, double or replace a letter."""
    if len(w) < 3:
        return w + rng.choice("aeiou")
    i = rng.randrange(len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return w[:i] + w[i + 1] + w[i] + w[i + 2:]
    if kind == 1:
        return w[:i] + w[i + 1:]
    if kind == 2:
        return w[:i] + w[i] + w[i:]
    return w[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + w[i + 1:]


def path(q, sort=None, page=None, per_page=None, **filters):
    params = [("q", q)]
    params += [(k, v) for k, v in filters.items() if v]
    if sort:
        params.append(("sort", sort))
    if page:
        params.append(("page", str(page)))
    if per_page:
        params.append(("per_page", str(per_page)))
    return "/api/v1/search?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def decorate(q, deep=False, **filters):
    """Most queries as typed; some sorted, some with 50 per page, some paged."""
    sort = rng.choice(SORTS) if rng.random() < 0.2 else None
    per_page = 50 if rng.random() < 0.3 else None
    page = rng.randint(2, 6) if deep or rng.random() < 0.1 else None
    return path(q, sort, page, per_page, **filters)


def name_part_prefix():
    p = rng.choice(parts)
    pre = p[: rng.randint(2, min(4, len(p)))]
    if rng.random() < 0.2:
        return f"{rng.choice(namespaces)}/{pre}"
    return pre


def filtered():
    w = rng.choice(words + keywords)
    shape = rng.randrange(6)
    if shape == 0:
        return decorate(w, keyword=rng.choice(keywords))
    if shape == 1:
        return decorate(f"{w} keyword:{rng.choice(keywords)}")
    if shape == 2:
        return decorate(w, ns=rng.choice(namespaces))
    if shape == 3:
        return decorate(f"{w} owner:{rng.choice(owners)}")
    if shape == 4:
        return decorate(f"{w} {rng.choice(words)}", keyword=rng.choice(keywords))
    return decorate(f"ns:{rng.choice(namespaces)} {w}")


def browse():
    shape = rng.randrange(4)
    if shape == 0:
        return decorate("", keyword=rng.choice(keywords))
    if shape == 1:
        return decorate(f"ns:{rng.choice(namespaces)}")
    if shape == 2:
        return decorate(f"owner:{rng.choice(owners)}")
    return path("", rng.choice(SORTS + [None]), rng.randint(1, 40), rng.choice([None, 50]))


def multi():
    if rng.random() < 0.5:
        d = rng.choice(descriptions).split()
        i = rng.randrange(max(1, len(d) - 2))
        return decorate(" ".join(d[i : i + rng.randint(2, 3)]).strip(".,:()"))
    return decorate(" ".join(rng.sample(words + keywords, rng.randint(2, 3))))


CLASSES = {
    "exact": lambda: decorate(rng.choice(names)),
    "prefix": lambda: decorate(name_part_prefix()),
    "typo": lambda: decorate(typo(rng.choice(parts + keywords))),
    "common": lambda: decorate(rng.choice(words + keywords)),
    "rare": lambda: decorate(rng.choice(rare) if rare and rng.random() < 0.7 else typo(typo(rng.choice(words)) + rng.choice("qxz"))),
    "multi": multi,
    "filter": filtered,
    "browse": browse,
    "deep": lambda: decorate(rng.choice(words + keywords + parts), deep=True),
}

everything = []
for cls, make in CLASSES.items():
    seen = set()
    for _ in range(per_class * 20):
        if len(seen) >= per_class:
            break
        seen.add(make())
    qs = sorted(seen)
    rng.shuffle(qs)
    with open(f"{out}/{cls}.txt", "w") as f:
        f.writelines(q + "\n" for q in qs)
    everything += [(cls, q) for q in qs]
rng.shuffle(everything)
with open(f"{out}/all.txt", "w") as f:
    f.writelines(q + "\n" for _, q in everything)
with open(f"{out}/classes.tsv", "w") as f:
    f.writelines(f"{c}\t{q}\n" for c, q in everything)
print(f"{len(everything)} distinct queries in {len(CLASSES)} classes")
