"""Blocks drawn as A4 page images that look like a scanned print-out (the scanned pages of the PDFs)."""

from __future__ import annotations

import random

from corpus_build.sources import FONT_BOLD, FONT_REGULAR, NOTE_PREFIX, Blk


class ScanRenderer:
    """Renders blocks as A4 page images (about 200 dpi) that look like a scanned print-out."""

    W, H = 1654, 2339
    MARGIN = 150

    def __init__(self, seed: str) -> None:
        from PIL import ImageFont

        self.rng = random.Random(seed)
        self.font = ImageFont.truetype(str(FONT_REGULAR), 36)
        self.font_small = ImageFont.truetype(str(FONT_REGULAR), 30)
        self.font_h1 = ImageFont.truetype(str(FONT_BOLD), 46)
        self.font_h2 = ImageFont.truetype(str(FONT_BOLD), 39)
        self.pages: list = []
        self._new_page()

    def _new_page(self) -> None:
        from PIL import Image, ImageDraw

        self.img = Image.new("L", (self.W, self.H), 250)
        self.draw = ImageDraw.Draw(self.img)
        self.y = self.MARGIN
        self.pages.append(self.img)

    def _wrap(self, text: str, font, width: int) -> list[str]:
        lines: list[str] = []
        cur = ""
        for word in text.split():
            trial = f"{cur} {word}".strip()
            if self.draw.textlength(trial, font=font) <= width or not cur:
                cur = trial
            else:
                lines.append(cur)
                cur = word
        if cur:
            lines.append(cur)
        return lines

    def _line(self, text: str, font, x: int, step: int) -> None:
        if self.y + step > self.H - self.MARGIN:
            self._new_page()
        self.draw.text((x, self.y), text, font=font, fill=25)
        self.y += step

    def render(self, blocks: list[Blk]) -> list:
        width = self.W - 2 * self.MARGIN
        for b in blocks:
            if b.kind == "title":
                for ln in self._wrap(b.text, self.font_h1, width):
                    self._line(ln, self.font_h1, self.MARGIN, 62)
                self.y += 24
            elif b.kind in ("h2", "h3"):
                self.y += 18
                for ln in self._wrap(b.text, self.font_h2, width):
                    self._line(ln, self.font_h2, self.MARGIN, 54)
                self.y += 8
            elif b.kind == "p":
                font = self.font_small if b.text.startswith(NOTE_PREFIX) else self.font
                step = 42 if font is self.font_small else 50
                for ln in self._wrap(b.text, font, width):
                    self._line(ln, font, self.MARGIN, step)
                self.y += 22
            elif b.kind == "ul":
                for item in b.items:
                    for i, ln in enumerate(self._wrap(item, self.font, width - 50)):
                        if i == 0:
                            self.draw.text((self.MARGIN + 8, self.y), "•", font=self.font, fill=25)
                        self._line(ln, self.font, self.MARGIN + 50, 50)
                self.y += 22
            elif b.kind == "table":
                ncols = len(b.rows[0])
                colw = width // ncols
                for row in b.rows:
                    wrapped = [self._wrap(c, self.font_small, colw - 20) for c in row]
                    nlines = max(len(w) for w in wrapped)
                    if self.y + nlines * 44 > self.H - self.MARGIN:
                        self._new_page()
                    for c, cell in enumerate(wrapped):
                        for i, ln in enumerate(cell):
                            pos = (self.MARGIN + c * colw, self.y + i * 44)
                            self.draw.text(pos, ln, font=self.font_small, fill=25)
                    self.y += nlines * 44 + 10
                    self.draw.line(
                        (self.MARGIN, self.y - 6, self.W - self.MARGIN, self.y - 6), fill=120, width=2
                    )
                self.y += 22
        return [self._age(p) for p in self.pages]

    def _age(self, img):
        """Light speckle and a small skew, as from a desk scanner."""
        from PIL import Image, ImageDraw

        draw = ImageDraw.Draw(img)
        for _ in range(260):
            x, y = self.rng.randrange(self.W), self.rng.randrange(self.H)
            r = self.rng.choice((1, 1, 2))
            draw.ellipse((x, y, x + r, y + r), fill=self.rng.randrange(90, 200))
        angle = self.rng.uniform(-0.6, 0.6)
        return img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=250)
