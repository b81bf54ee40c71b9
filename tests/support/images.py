"""Real image files for upload tests, built with Pillow, and what a served one holds."""

from __future__ import annotations

import io
from typing import Any

from PIL import ExifTags, Image

# Where the photo was taken and with what: what an upload must not keep.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (13.0, 24.0, 36.0),
}
CAMERA = "Erins Phone 7"


def image_file(
    kind: str = "PNG", size: tuple[int, int] = (4, 3), mode: str = "RGB", **save: Any
) -> bytes:
    """A ``kind`` image of ``size`` in a few colours (so pixels can be compared)."""
    image = Image.new(mode, size)
    bands = len(image.getbands())
    colours = [((x * 60) % 256, (x * 25) % 256, 90, 200)[:bands] for x in range(size[0] * size[1])]
    image.putdata([colour[0] for colour in colours] if bands == 1 else colours)
    written = io.BytesIO()
    image.save(written, kind, **save)
    return written.getvalue()


def photo_with_gps(size: tuple[int, int] = (8, 6)) -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera and the GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.IFD.GPSInfo] = GPS
    return image_file("JPEG", size, exif=exif.tobytes())


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rgb_pixels(data: bytes) -> list[Any]:
    return list(opened(data).convert("RGB").get_flattened_data())


def decompression_bomb(size: tuple[int, int] = (6000, 5000)) -> bytes:
    """A PNG of a few kilobytes that decodes to ``size`` pixels."""
    written = io.BytesIO()
    Image.new("1", size).save(written, "PNG")
    return written.getvalue()
