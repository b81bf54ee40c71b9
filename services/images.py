"""Images people send us (profile photos, login providers' pictures), kept only as we wrote them.

A file counts as an image only when Pillow, a maintained decoder, opens and decodes all of it:
its first bytes prove nothing (a PNG header followed by HTML is no photo). What is stored is
then our own encoding of the pixels, in the same format family, with nothing else: no EXIF (a
phone photo's GPS position and device are personal data), no XMP, no text chunks or comments.
An embedded colour profile is applied (the pixels become sRGB) rather than kept. Decoding is
CPU work: callers run ``reencoded`` in a thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core import limits
from core.errors import BadUserInput

# Pillow's format name: the suffix we store it under (media serves its type by suffix).
SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
# What each suffix is served as: only these show in place (``app/routes.py`` media).
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}
SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "PNG": {},
    "JPEG": {"quality": 90},
    "WEBP": {"quality": 90},
}
NOT_AN_IMAGE = "Upload a PNG, JPEG or WebP image."
# What a file that is no image, or a broken one, makes Pillow raise.
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class StoredImage:
    """The bytes to store and the suffix to store them under."""

    data: bytes
    suffix: str


def reencoded(data: bytes, *, field: str = "photo") -> StoredImage:
    """``data`` decoded in full and written again without metadata; ``BadUserInput`` on
    ``field`` when it is no PNG, JPEG or WebP image Pillow can read, or too many pixels."""
    try:
        with Image.open(io.BytesIO(data), formats=list(SUFFIXES)) as image:
            # The header's size, before any pixel is decoded: a small file may decode to
            # gigabytes (a decompression bomb).
            if image.width * image.height > limits.MAX_IMAGE_PIXELS:
                raise BadUserInput(
                    f"Upload at most {limits.MAX_IMAGE_PIXELS // 1_000_000} megapixels.",
                    field=field,
                )
            image.load()
            kind = str(image.format)
            pixels = _clean_pixels(image, kind)
    except (*UNREADABLE, Image.DecompressionBombError):
        raise BadUserInput(NOT_AN_IMAGE, field=field) from None
    written = io.BytesIO()
    pixels.save(written, kind, **SAVE_OPTIONS[kind])
    return StoredImage(written.getvalue(), SUFFIXES[kind])


def _clean_pixels(image: Image.Image, kind: str) -> Image.Image:
    """Upright (the EXIF orientation applied, as it is dropped), in sRGB, in a mode the
    format writes, and with no ``info`` left for the encoder to copy into the file."""
    upright = ImageOps.exif_transpose(image)
    mode = "RGBA" if kind != "JPEG" and upright.has_transparency_data else "RGB"
    pixels = _in_srgb(upright, mode, image.info.get("icc_profile")) or upright.convert(mode)
    pixels.info = {}
    return pixels


def _in_srgb(image: Image.Image, mode: str, profile: bytes | None) -> Image.Image | None:
    """The pixels moved from their embedded colour profile to sRGB; None without one, or
    when it cannot be applied (a broken profile: the pixels are then taken as they are)."""
    if not profile:
        return None
    try:
        embedded = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, embedded, SRGB, outputMode=mode)
    except ImageCms.PyCMSError:
        return None
