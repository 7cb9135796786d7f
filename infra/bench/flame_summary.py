"""Where a profiled process spends its CPU, by library: read back from the flame graphs py-spy writes.

A py-spy flame graph (SVG) holds every frame of every sampled stack as a rectangle: `fg:x`/`fg:w` are its first
sample and its width in samples, `y` its depth. A frame's *own* samples are its width less the widths of the
frames right below it, so each sample ends at exactly one frame. That frame's file (py-spy's `--full-filenames`)
names a library (`site-packages/opentelemetry/...`, `site-packages/kafka/...`); standard-library frames (json,
socket, selectors, threading) are charged to the innermost non-standard frame that called them, since that library
is what asked for them (OpenTelemetry encoding a span is OpenTelemetry's cost, not json's).

`make profile` samples with `--gil` (only a thread holding the GIL is Python doing work). Without it py-spy also
counts threads blocked in a call it does not know as idle (gunicorn's arbiter in `select`, a thread pool's idle
workers, a Redis read waiting for its reply) and threads waiting for the GIL: samples that end in a waiting
function are counted as "waiting" and kept out of the shares either way.

`python infra/bench/flame_summary.py reports/profile/<time>/` prints, per process and for all of them, the share
of samples per library; `cpu_profile.py` puts the all-processes table in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FRAME = re.compile(r'<g><title>(?P<title>[^<]*)</title><rect [^>]*?y="(?P<y>\d+)"[^>]*?'
                   r'fg:x="(?P<x>\d+)" fg:w="(?P<w>\d+)"')
LOCATION = re.compile(r"^(?P<function>\S+) \((?P<file>[^()]+?)(?::\d+)?\) \([\d,]+ samples?, [\d.]+%\)$")

# The first path part that names who did the work, from most to least specific: a frame whose file starts with
# one of these belongs to that library. Anything else outside the standard library is the service's own code.
LIBRARIES = (
    ("opentelemetry/", "OpenTelemetry"), ("google/protobuf/", "OpenTelemetry"),
    ("kafka/", "kafka-python"), ("redis/", "redis-py"),
    ("flask/", "Flask + Werkzeug"), ("werkzeug/", "Flask + Werkzeug"), ("jinja2/", "Flask + Werkzeug"),
    ("gunicorn/", "gunicorn"), ("requests/", "requests + urllib3"), ("urllib3/", "requests + urllib3"),
    ("pybreaker", "pybreaker + tenacity"), ("tenacity/", "pybreaker + tenacity"),
    ("pydantic", "pydantic"), ("spectree/", "pydantic"), ("prometheus_client/", "prometheus_client"),
    ("faultline_kit/", "faultline kit"),
)
SERVICE_CODE = "service code"
STANDARD_LIBRARY = "standard library (own)"
WAITING = "waiting"
WAITING_FUNCTIONS = frozenset({"select", "poll", "sleep", "wait", "_wait", "accept", "epoll", "_worker"})


@dataclass(frozen=True)
class Frame:
    depth: int
    start: int
    width: int
    library: str | None      # None: a standard-library frame (charged to the caller's library)
    waits: bool              # a function that blocks: its own samples are waiting, not work
    path: str = ""           # the frame's file, as py-spy wrote it


def library_of(path: str) -> str | None:
    for prefix, name in LIBRARIES:
        if path.startswith(prefix) or f"/{prefix}" in path:
            return name
    if "_service/" in path or "/infra/bench/" in path:
        return SERVICE_CODE
    return None


def frame_of(match: re.Match) -> Frame:
    location = LOCATION.match(html.unescape(match["title"]))
    function, path = (location["function"], location["file"]) if location else ("", "")
    library = library_of(path)
    # A standard-library wait (selectors' select, threading's wait) spends its own samples blocked in C; so does
    # gunicorn's arbiter sleep. A library's own `poll` is Python work around such a wait, and counts as work.
    waits = function in WAITING_FUNCTIONS and (library is None or function == "sleep")
    return Frame(int(match["y"]), int(match["x"]), int(match["w"]), library, waits, path)


def frames(svg_text: str) -> list[Frame]:
    return sorted((frame_of(m) for m in FRAME.finditer(svg_text)), key=lambda f: (f.depth, f.start))


def own_samples(svg_text: str, under: str = "") -> Iterator[tuple[str, bool, int]]:
    """(library charged or WAITING, whether the stack passes through a frame whose file contains `under`, samples),
    each sample once, at the frame it ended in (see the module's docstring)."""
    by_depth: dict[int, list[Frame]] = {}
    for frame in frames(svg_text):
        by_depth.setdefault(frame.depth, []).append(frame)
    depths = sorted(by_depth)
    deeper = dict(zip(depths, depths[1:]))   # py-spy's SVG is top-down (inverted): a child sits one row lower
    # (depth, start) -> (library charged for that frame's own time, whether a caller's file contains `under`)
    inherited: dict[tuple[int, int], tuple[str | None, bool]] = {}
    for depth in depths:
        children = by_depth.get(deeper.get(depth, -1), [])
        for frame in by_depth[depth]:
            parent_owner, parent_under = inherited.get((depth, frame.start),
                                                       (SERVICE_CODE if depth == depths[0] else None, False))
            charged = frame.library or parent_owner
            is_under = parent_under or bool(under and under in frame.path)
            covered = 0
            for child in children:
                if frame.start <= child.start < frame.start + frame.width:
                    covered += child.width
                    inherited[(deeper[depth], child.start)] = (charged, is_under)
            own = frame.width - covered
            if own > 0:
                yield (WAITING if frame.waits else charged or STANDARD_LIBRARY), is_under, own


def own_samples_by_library(svg_text: str) -> Counter:
    """Samples per library, each sample counted once at the frame it ended in."""
    totals: Counter = Counter()
    for library, _, n in own_samples(svg_text):
        totals[library] += n
    return totals


def working_samples_under(svg_text: str, under: str) -> tuple[int, int]:
    """(working samples whose stack passes through a file containing `under`, all working samples)."""
    marked = working = 0
    for library, is_under, n in own_samples(svg_text, under):
        if library != WAITING:
            working += n
            marked += n if is_under else 0
    return marked, working


def flame_graphs(folder: Path) -> dict[str, str]:
    """Each flame graph's text by its process name (the file's stem)."""
    return {svg.stem: svg.read_text() for svg in sorted(folder.glob("*.svg"))}


def summarise(folder: Path) -> dict[str, Counter]:
    return {name: own_samples_by_library(text) for name, text in flame_graphs(folder).items()}


def shares_table(per_process: dict[str, Counter]) -> list[tuple[str, int, float]]:
    """(library, samples, share of the working samples) over every process, largest first; waiting left out."""
    total: Counter = Counter()
    for counts in per_process.values():
        total.update(counts)
    total.pop(WAITING, None)
    samples = sum(total.values()) or 1
    return [(library, n, n / samples) for library, n in total.most_common()]


def markdown(per_process: dict[str, Counter]) -> str:
    rows = shares_table(per_process)
    lines = ["| library (own samples, every service instance) | samples | share |", "| --- | ---: | ---: |"]
    lines += [f"| {library} | {n:,} | {share:.0%} |" for library, n, share in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a reports/profile/<time>/ folder with py-spy SVGs")
    parser.add_argument("--under", action="append", default=[], metavar="PATH",
                        help="also print the share of working samples whose stack passes through a file whose path "
                             "contains PATH (e.g. opentelemetry/instrumentation/redis); repeatable")
    args = parser.parse_args(argv)
    graphs = flame_graphs(args.folder)
    if not graphs:
        print(f"no flame graphs in {args.folder}", file=sys.stderr)
        return 1
    per_process = {name: own_samples_by_library(text) for name, text in graphs.items()}
    for fragment in args.under:
        counts = [working_samples_under(text, fragment) for text in graphs.values()]
        marked, working = sum(c[0] for c in counts), sum(c[1] for c in counts) or 1
        print(f"under {fragment}: {marked:,} of {working:,} working samples ({marked / working:.1%})")
    for name, counts in per_process.items():
        working = Counter({lib: n for lib, n in counts.items() if lib != WAITING})
        samples = sum(working.values()) or 1
        print(f"{name} ({counts[WAITING]:,} waiting samples left out): "
              + ", ".join(f"{lib} {n / samples:.0%}" for lib, n in working.most_common(6)))
    print(markdown(per_process))
    return 0


if __name__ == "__main__":
    sys.exit(main())
