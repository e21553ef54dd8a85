"""`make docs`: print a demo county workbook to PDF as LibreOffice prints it, check the text
size on paper, and write the caseworker guide's screenshots from the rendered pages.

The text size is measured, not assumed: for every run of Chinese characters on a page,
`pdftotext -bbox` gives its printed width, and a CJK character is one em wide, so width /
characters is the font size on paper. Every page must reach layout.PRINT_MIN_POINTS.
Needs LibreOffice Calc, poppler-utils, a CJK font and Carlito, the metric twin of Calibri
(the workbooks' default font, which sets the column widths): Debian's libreoffice-calc-nogui,
poppler-utils, fonts-noto-cjk, fonts-crosextra-carlito. Run after `make demo`, whose outputs
it prints.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from workbooks.layout import PRINT_MIN_POINTS

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "img"
TOOLS = {
    "soffice": "libreoffice-calc-nogui",
    "pdftotext": "poppler-utils",
    "pdftoppm": "poppler-utils",
}
WORD = re.compile(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<')


def pages_of(pdf: Path) -> list[str]:
    """Each page's words with their boxes (`pdftotext -bbox`)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return html.split("<page ")[1:]


def cjk_sizes(pages: list[str]) -> list[list[float]]:
    """Per page, the printed size (points) of every run of two or more Chinese characters."""
    sizes_by_page = []
    for page in pages:
        sizes = [
            (float(x_max) - float(x_min)) / len(word)
            for x_min, x_max, word in WORD.findall(page)
            if len(word) >= 2 and all("\u4e00" <= char <= "\u9fff" for char in word)
        ]
        sizes_by_page.append(sizes)
    return sizes_by_page


def to_pdf(workbook: Path, folder: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
        check=True,
        capture_output=True,
    )
    return folder / f"{workbook.stem}.pdf"


def screenshot(pdf: Path, page: int, target: Path) -> None:
    """One page as a PNG at 90 dpi (about 1050 × 740 pixels for A4 landscape)."""
    prefix = target.with_suffix("")
    pages = ["-f", str(page), "-l", str(page)]
    subprocess.run(
        ["pdftoppm", "-png", "-r", "90", *pages, "-singlefile", str(pdf), str(prefix)],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/demo/out", help="the demo's output folder")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--county", default="321322", help="the county whose workbook is shown")
    args = parser.parse_args()
    missing = sorted({package for tool, package in TOOLS.items() if not shutil.which(tool)})
    if missing:
        print(
            f"make docs: install first (Debian): apt-get install {' '.join(missing)} fonts-noto-cjk"
        )
        return 2
    books = sorted((ROOT / args.out / "exports" / args.period).glob(f"{args.county}_*.xlsx"))
    if not books:
        print(
            f"make docs: no workbook of county {args.county} in {args.out}: run `make demo` first"
        )
        return 2
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        pdf = to_pdf(books[0], Path(folder))
        words = pages_of(pdf)
        pages = cjk_sizes(words)
        town = next(
            i for i, page in enumerate(words, 1) if ">核查结果<" in page and ">线索编号<" in page
        )
        kept = ROOT / args.out / "docs" / pdf.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, kept)
        screenshot(pdf, 1, IMAGES / "workbook-summary.png")
        screenshot(pdf, town, IMAGES / "workbook-town.png")  # the first town sheet's page
    smallest = [min(sizes) for sizes in pages if sizes]
    print(f"{books[0].name}: {len(pages)} pages printed to {kept}")
    print(
        f"  Chinese text on paper: smallest {min(smallest):.1f} pt, "
        f"median of the pages' smallest {statistics.median(smallest):.1f} pt "
        f"(at least {PRINT_MIN_POINTS} pt wanted)"
    )
    print(f"  screenshots: {IMAGES / 'workbook-summary.png'}, {IMAGES / 'workbook-town.png'}")
    small = [i + 1 for i, size in enumerate(smallest) if size < PRINT_MIN_POINTS - 0.05]
    if small:
        print(f"make docs: FAILED: pages {small} print text under {PRINT_MIN_POINTS} pt")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
