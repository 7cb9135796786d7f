"""Turn a browser-tier screenshot into a small README picture: the top of the page, 256 colours, optimised.

    python infra/docs_image.py reports/browser/console-breaker-open.png docs/images/control-room.png
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

MAX_HEIGHT = 1100   # the topology, the figures, the charts and the instances of the control room
WIDTH = 1000


def shrink(source: Path, target: Path) -> int:
    with Image.open(source) as image:
        top = image.convert("RGB").crop((0, 0, image.width, min(image.height, MAX_HEIGHT)))
        scaled = top.resize((WIDTH, round(top.height * WIDTH / top.width)), Image.LANCZOS)
        small = scaled.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
        target.parent.mkdir(parents=True, exist_ok=True)
        small.save(target, optimize=True)
    return target.stat().st_size


if __name__ == "__main__":
    size = shrink(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]} ({size // 1024} KiB)")
