"""Static files with hashed names, each text file also kept gzipped beside itself.

collectstatic runs on Heroku's build: this storage writes `site.<hash>.css.gz`
next to `site.<hash>.css`, once, at the best compression level. dj-static's file
server (wsgi.py) sends the .gz to a browser that accepts gzip, with
Content-Encoding and Vary: no compression on the web dyno's CPU, per request.
Brotli would save a few percent more, for a compiled dependency: not taken.
"""

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

# Text compresses; images and fonts come compressed already.
COMPRESSIBLE = frozenset({".css", ".js", ".mjs", ".map", ".svg", ".json", ".txt", ".html", ".xml"})
# Below this, gzip's header costs more than it saves.
SMALLEST = 256


def gzipped_copy(path: Path) -> Path | None:
    """Write `path`.gz if it is text worth compressing and comes out smaller."""
    if path.suffix not in COMPRESSIBLE or path.stat().st_size < SMALLEST:
        return None
    content = path.read_bytes()
    compressed = gzip.compress(content, compresslevel=9, mtime=0)
    if len(compressed) >= len(content):
        return None
    target = path.with_name(path.name + ".gz")
    target.write_bytes(compressed)
    return target


class CompressedManifestStaticFilesStorage(ManifestStaticFilesStorage):
    """Django's hashed names, plus a .gz beside each compressible file."""

    def post_process(
        self, paths: dict[str, Any], dry_run: bool = False, **options: Any
    ) -> Iterator:
        yield from super().post_process(paths, dry_run, **options)
        if dry_run:
            return
        for path in Path(self.location).rglob("*"):
            if path.is_file() and not path.name.endswith(".gz"):
                gzipped_copy(path)
