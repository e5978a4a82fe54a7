#!/usr/bin/env python3
"""Build the demo corpus in ``corpus/`` from the readable sources in ``corpus-src/``.

The sources and their syntax are described in ``scripts/corpus_build/sources.py``; one module per format
writes the files (pdf, word, webpage, text), export.py the agenda export, build.py the manifest and the
judged files (queries, compare tasks and answers are copied from corpus-src/ after checking their keys).

The output is deterministic: fixed dates in all metadata, fixed ZIP timestamps in DOCX files and seeded
noise in the scanned images, so two runs give byte-identical files.

    python scripts/build_corpus.py            # writes corpus/
    python scripts/build_corpus.py --check    # builds in a temporary folder and compares with corpus/
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

from corpus_build.build import build
from corpus_build.sources import FONT_BOLD, FONT_ITALIC, FONT_REGULAR, OUT


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default: corpus/)")
    ap.add_argument("--check", action="store_true", help="build into a temp folder and compare with --out")
    args = ap.parse_args()
    for font in (FONT_REGULAR, FONT_BOLD, FONT_ITALIC):
        if not font.exists():
            print(f"missing font {font} (apt-get install fonts-dejavu-core)", file=sys.stderr)
            return 2
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp))
            cmp = filecmp.dircmp(tmp, args.out)
            diff = cmp.diff_files + cmp.left_only + cmp.right_only
            for sub in cmp.subdirs.values():
                diff += sub.diff_files + sub.left_only + sub.right_only
            if diff:
                print("corpus/ is out of date:", ", ".join(sorted(diff)), file=sys.stderr)
                return 1
            print("corpus/ is up to date")
            return 0
    build(args.out)
    print(f"built {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
