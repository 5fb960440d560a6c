"""A page drawn as PNG bytes with PIL, kept apart from the layouts so pages and their questions
stay pure data that tests check without drawing anything.
"""
from __future__ import annotations

import io

from .document_fonts import font
from .document_items import PAGE, Document, Rect, Text


def render_document(doc: Document) -> bytes:
    """The page as a grayscale PNG (black on white), with no metadata beyond the pixels."""
    from PIL import Image, ImageDraw

    image = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(image)
    for item in doc.items:
        if isinstance(item, Text):
            draw.text((item.x, item.y), item.text, fill=0, font=font(item.size, item.style), anchor=item.anchor)
        elif isinstance(item, Rect):
            draw.rectangle(item.box, outline=0, width=item.width, fill=item.fill)
        else:
            draw.line(item.points, fill=0, width=item.width)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
