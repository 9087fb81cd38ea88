"""Images as a phone will get them: their kind read from their bytes, private metadata removed, and
re-encoded with Pillow to fit a size.

Metadata is removed without re-encoding: the EXIF, XMP, IPTC, comment and thumbnail segments of a
JPEG (wherever they sit, also between the scans of a progressive one) and the text and EXIF chunks
of a PNG are left out byte for byte (Pillow cannot drop them without
decoding and compressing the picture again, which would cost quality). Colour profiles stay, and
so does the one EXIF value a phone needs to show a photo the right way up (its orientation).

>>> kind(b"\\x89PNG\\r\\n\\x1a\\n...")
'image/png'
>>> kind(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
'image/webp'
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import Fix, InputError
from .words import N_

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: Image kinds phones show, which mmsnb can fit to a size.
FITTABLE = ("image/jpeg", "image/png", "image/gif")
#: Image kinds phones take photos in but MMS handsets may not show; converted to JPEG with ``fit=True``.
CONVERTIBLE = ("image/webp", "image/heic")
#: JPEG qualities tried, best first, before an image is made smaller.
QUALITIES = (85, 75, 65)
#: An image is not made smaller than this many pixels on its shorter side.
MIN_SIDE = 48
#: Images with more pixels than this (a 48-megapixel phone photo has fewer) are not decoded.
MAX_PIXELS = 60_000_000
#: Animations with more frames than this (a minute at 15 frames a second) are not re-encoded.
MAX_FRAMES = 900
#: A PNG's compressed text or colour profile may unpack to this many bytes each, and to 64 times as many in all.
MAX_UNPACKED = 1024 * 1024

_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_EXIF, _XMP = b"Exif\x00\x00", b"http://ns.adobe.com/"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TEXT = {b"tEXt", b"zTXt", b"iTXt"}
#: The bytes that start a GIF block (an image, an extension, the trailer); Pillow skips any other.
_GIF_BLOCK = re.compile(rb"[,!;]")
_ORIENTATION = 0x0112
_GPS = 0x8825
#: A file with more EXIF blocks than this is taken to say where it was taken, without reading them all.
MAX_EXIF_BLOCKS = 64


def kind(data: bytes) -> str | None:
    """The image type the bytes are (JPEG, PNG, GIF, WEBP, HEIC), whatever the file is called; None for others."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


@dataclass(frozen=True)
class Cleaned:
    """An image's bytes without private metadata, and what was removed (``["EXIF", "XMP", ...]``)."""

    data: bytes
    removed: tuple[str, ...]


def _jpeg_parts(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """A JPEG's parts in file order after its start marker: (marker, bytes) for each segment, a scan
    (marker 0xDA) with its picture data, up to the end-of-image marker; and where the image ends."""
    parts: list[tuple[int, bytes]] = []
    i = 2
    while i + 2 <= len(data):
        if data[i] != 0xFF:
            raise InputError(N_("This JPEG is damaged (a segment does not start where it should)."), values={})
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # end of image
            parts.append((marker, data[i : i + 2]))
            return parts, i + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            parts.append((marker, data[i : i + 2]))
            i += 2
            continue
        if i + 4 > len(data):
            break
        end = i + 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker == 0xDA:  # start of scan: its picture data runs to the next marker
            end = _scan_end(data, end)
        parts.append((marker, data[i:end]))
        i = end
    if not any(marker == 0xDA for marker, _ in parts):
        raise InputError(N_("This JPEG is damaged (it has no picture data)."), values={})
    return parts, len(data)


def _scan_end(data: bytes, i: int) -> int:
    """Where the picture data of a scan that starts at ``i`` ends: at the next marker that is not a
    stuffed byte (0xFF00), a restart marker or a fill byte."""
    while True:
        at = data.find(b"\xff", i)
        if at < 0 or at + 1 >= len(data):
            return len(data)
        following = data[at + 1]
        if following == 0xFF:
            i = at + 1
        elif following == 0x00 or 0xD0 <= following <= 0xD7:
            i = at + 2
        else:
            return at


def _jpeg_metadata(marker: int, segment: bytes) -> str | None:
    """What private metadata a JPEG segment holds (None: it is needed to show the picture)."""
    payload = segment[4:]
    if marker == 0xE0:  # keep JFIF (how the pixels are shaped); a JFXX thumbnail carries its own EXIF
        return None if payload.startswith(b"JFIF\x00") else "thumbnail" if payload.startswith(b"JFXX") else "APP0"
    if marker == 0xE1:
        return "EXIF" if payload.startswith(_EXIF) else "XMP" if payload.startswith(_XMP) else "APP1"
    if marker == 0xE2:
        return "MPF" if payload.startswith(b"MPF\x00") else None  # keep ICC_PROFILE; MPF points at removed images
    if marker == 0xED:
        return "IPTC"
    if marker == 0xFE:
        return "comment"
    if 0xE3 <= marker <= 0xEF and marker != 0xEE:  # keep APP14 (Adobe: how the colours are stored)
        return f"APP{marker - 0xE0}"
    return None


def _png_metadata(kind_: bytes, body: bytes) -> str | None:
    if kind_ == b"eXIf":
        return "EXIF"
    if kind_ == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
        return "XMP"
    if kind_ in _PNG_TEXT:
        return "text"
    if kind_ == b"tIME":
        return "time"
    return None


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """A PNG's chunks up to its end (IEND): (type, data, whole chunk)."""
    chunks, i = [], len(_PNG_SIGNATURE)
    while i + 12 <= len(data):
        kind_, body, whole = _png_chunk(data, i)
        chunks.append((kind_, body, whole))
        i += len(whole)
        if kind_ == b"IEND":
            break
    return chunks


def _png_chunk(data: bytes, i: int) -> tuple[bytes, bytes, bytes]:
    """The PNG chunk at ``i``: (type, data, whole chunk); :class:`InputError` when it is cut short or damaged."""
    (length,) = struct.unpack(">I", data[i : i + 4])
    whole = data[i : i + 12 + length]
    if len(whole) < 12 + length or zlib.crc32(whole[4:-4]) != struct.unpack(">I", whole[-4:])[0]:
        raise InputError(N_("This PNG is damaged (a chunk is cut short or fails its checksum)."), values={})
    return data[i + 4 : i + 8], whole[8:-4], whole


def _png_end(data: bytes) -> int:
    """Where a PNG's picture ends: just after its IEND chunk (the whole file when it has none)."""
    with contextlib.suppress(InputError):
        chunks = _png_chunks(data)
        if chunks and chunks[-1][0] == b"IEND":
            return len(_PNG_SIGNATURE) + sum(len(whole) for _, _, whole in chunks)
    return len(data)


def _png_chunks_after_end(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """The chunks written after a PNG's end, as far as they read as chunks (viewers ignore them; they travel)."""
    chunks, i = [], _png_end(data)
    while i + 12 <= len(data):
        try:
            chunk = _png_chunk(data, i)
        except InputError:
            break
        chunks.append(chunk)
        i += len(chunk[2])
    return chunks


def has_gps(data: bytes) -> bool:
    """Whether the image says where it was taken (GPS in its EXIF or XMP), wherever in the file that is
    written: every EXIF block is read (also in thumbnails, between scans, after the picture's end)."""
    if b"GPSLatitude" in data:  # XMP spells it out
        return True
    blocks = _exif_blocks(data)
    if len(blocks) > MAX_EXIF_BLOCKS:  # a file made of EXIF blocks is not read through: assume the worst
        return True
    if any(_gps_in(block) for block in blocks):
        return True
    try:
        with _open(data) as image:  # what Pillow finds in other containers (a PNG's text, a WEBP's chunk)
            return bool(image.getexif().get_ifd(_GPS))
    except (InputError, OSError, SyntaxError, ValueError):
        return False


def _exif_blocks(data: bytes) -> list[bytes]:
    """Every EXIF block in ``data`` (at most one more than :data:`MAX_EXIF_BLOCKS`): each that starts with
    ``Exif\\0\\0`` wherever it is, and a PNG's eXIf chunks."""
    blocks: list[bytes] = []
    at = data.find(_EXIF)
    while at >= 0 and len(blocks) <= MAX_EXIF_BLOCKS:
        in_app1 = at >= 4 and data[at - 4 : at - 2] == b"\xff\xe1"
        size = struct.unpack(">H", data[at - 2 : at])[0] - 2 if in_app1 else 0xFFFF
        blocks.append(data[at : at + size])
        at = data.find(_EXIF, at + len(_EXIF))
    if data.startswith(_PNG_SIGNATURE):
        with contextlib.suppress(InputError):  # a damaged PNG: Pillow reads what it can of it
            blocks += [body for kind_, body, _ in _png_chunks(data) if kind_ == b"eXIf"]
        blocks += [body for kind_, body, _ in _png_chunks_after_end(data) if kind_ == b"eXIf"]
    return blocks


def _gps_in(block: bytes) -> bool:
    """Whether an EXIF block holds a GPS position."""
    from PIL import Image

    exif = Image.Exif()
    try:
        exif.load(block)
        return bool(exif.get_ifd(_GPS))
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error):
        return False


def _orientation(data: bytes) -> int:
    try:
        with _open(data) as image:
            return int(image.getexif().get(_ORIENTATION, 1))
    except (InputError, OSError, SyntaxError, ValueError, TypeError):
        return 1


def without_metadata(data: bytes, image_kind: str) -> Cleaned:
    """``data`` (a JPEG, PNG or GIF) without EXIF, XMP, IPTC, comments or text; a JPEG's or PNG's colour profile
    is kept, and so is a GIF's loop setting.

    >>> without_metadata(b"RIFF....WEBP", "image/webp").removed
    ()
    """
    if image_kind == "image/jpeg":
        parts, end = _jpeg_parts(data)  # every segment, also those between the scans of a progressive JPEG
        found = [(_jpeg_metadata(marker, part), part) for marker, part in parts]
        removed = tuple(dict.fromkeys(what for what, _ in found if what is not None))
        if end < len(data):
            removed += ("images after the end",)  # e.g. a depth map or a preview, with EXIF of their own
        kept = [part for what, part in found if what is None]
        orientation = _orientation(data) if "EXIF" in removed else 1
        if 2 <= orientation <= 8:  # keep how to turn it, and nothing else of the EXIF (after JFIF's APP0)
            at = 1 if kept and kept[0][1] == 0xE0 else 0
            kept.insert(at, _orientation_segment(orientation))
        return _checked(Cleaned(data[:2] + b"".join(kept), removed))
    if image_kind == "image/png":
        chunks = _png_chunks(data)
        found = [(_png_metadata(kind_, body), whole) for kind_, body, whole in chunks]
        removed = tuple(dict.fromkeys(what for what, _ in found if what is not None))
        if _png_end(data) < len(data):
            removed += ("data after the end",)  # viewers ignore it; it would travel with the picture
        return _checked(Cleaned(_PNG_SIGNATURE + b"".join(whole for what, whole in found if what is None), removed))
    if image_kind == "image/gif":
        return _checked(_gif_without_metadata(data))
    return Cleaned(data, ())


def _gif_without_metadata(data: bytes) -> Cleaned:
    """A GIF without its comments and application data (XMP among them), bytes that start no block and
    anything after its end; the loop setting (NETSCAPE2.0, ANIMEXTS1.0) is kept."""
    i = 13 + _colour_table(data[10] if len(data) > 10 else 0)
    kept, removed = [data[:i]], []
    while (found := _GIF_BLOCK.search(data, i)) is not None:
        if found.start() > i:
            removed.append("stray bytes")
        i = found.start()
        if data[i] == 0x3B:  # the trailer
            kept.append(data[i : i + 1])
            if i + 1 < len(data):
                removed.append("data after the end")
            return Cleaned(b"".join(kept), tuple(dict.fromkeys(removed)))
        if data[i] == 0x2C:  # an image
            end = _sub_blocks(data, i + 11 + _colour_table(data[i + 9] if i + 9 < len(data) else 0))
            what = None
        else:
            end = _sub_blocks(data, i + 2)
            what = _gif_metadata(data[i + 1 : i + 2], data[i + 2 : end])
        if what is None:
            kept.append(data[i:end])
        else:
            removed.append(what)
        i = end
    return Cleaned(b"".join(kept), tuple(dict.fromkeys(removed)))  # no trailer: Pillow reads it so


def _gif_metadata(label: bytes, blocks: bytes) -> str | None:
    """What private metadata a GIF extension holds (None: it is needed to show the picture or play it)."""
    if label == b"\xfe":
        return "comment"
    if label != b"\xff" or blocks[1:12] in (b"NETSCAPE2.0", b"ANIMEXTS1.0"):
        return None
    return "XMP" if blocks[1:12] == b"XMP DataXMP" else "application data"


def _checked(cleaned: Cleaned) -> Cleaned:
    """``cleaned``, after making sure no GPS position is left in it (one hidden where no metadata belongs
    cannot be taken out without re-encoding the picture: :class:`InputError`)."""
    if has_gps(cleaned.data):
        raise InputError(
            N_(
                "it says where it was taken (GPS) in a part of the file that holds no metadata, which cannot be "
                "removed without re-encoding the picture. Save it again without its location."
            ),
            fix=Fix(option="keep_metadata", value=True, to="send it as it is", alternative=True),
            values={},
        )
    return cleaned


def _open(data: bytes) -> PILImage.Image:
    """The image Pillow reads from ``data`` (HEIC with the pillow-heif plugin), or :class:`InputError`."""
    from PIL import Image, UnidentifiedImageError

    if data.startswith(_PNG_SIGNATURE):
        _check_unpacked(data)
    if kind(data) == "image/heic":
        try:
            from pillow_heif import register_heif_opener
        except ImportError:
            raise InputError(
                "This is a HEIC photo; reading it needs the heic extra: pip install 'mmsnb[heic]'."
            ) from None
        register_heif_opener()
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise InputError(N_("This file is not an image Pillow can read, whatever its name says."), values={}) from None
    except Image.DecompressionBombError:
        raise InputError(
            N_("This image has more than {most} pixels; it is not read."), values={"most": f"{MAX_PIXELS:,}"}
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(N_("This image cannot be read ({why})."), values={"why": str(exc)}) from None
    if image.width * image.height > MAX_PIXELS:
        raise InputError(
            N_("This image is {size} pixels, more than {most}; it is not read."),
            values={"size": f"{image.width}×{image.height}", "most": f"{MAX_PIXELS:,}"},
        )
    return image


def _check_unpacked(data: bytes) -> None:
    """:class:`InputError` when a PNG's compressed text or colour profile unpacks to more than
    :data:`MAX_UNPACKED` bytes (64 times as many in all): a few kilobytes made to fill the memory."""
    total, most = 0, 64 * MAX_UNPACKED
    for kind_, body, _ in _png_chunks(data):
        packed = _packed(kind_, body)
        if packed is None:
            continue
        what = "colour profile" if kind_ == b"iCCP" else "text"
        unpacker = zlib.decompressobj()
        try:
            total += len(unpacker.decompress(packed, MAX_UNPACKED))
        except zlib.error:
            raise InputError(f"This PNG is damaged (its {what} cannot be unpacked).") from None
        if unpacker.unconsumed_tail or total > most:
            limit = most if total > most else MAX_UNPACKED
            raise InputError(
                f"This PNG's {what} unpacks to more than {limit // 2**20} MB from {len(packed):,} bytes, as files "
                "made to exhaust the memory do; it is not read."
            )


def _packed(kind_: bytes, body: bytes) -> bytes | None:
    """The compressed bytes of a PNG chunk that holds some (text or a colour profile); None for others."""
    rest = body.partition(b"\x00")[2]  # after the keyword
    if kind_ in (b"zTXt", b"iCCP"):
        return rest[1:]
    if kind_ == b"iTXt" and rest[:1] == b"\x01":  # compressed international text
        _, _, text = rest[2:].partition(b"\x00")[2].partition(b"\x00")
        return text
    return None


def _orientation_segment(orientation: int) -> bytes:
    """A JPEG APP1 segment whose EXIF says only how the picture is turned (tag 274), nothing else."""
    from PIL import Image

    exif = Image.Exif()
    exif[_ORIENTATION] = orientation
    payload = exif.tobytes()
    payload = payload if payload.startswith(_EXIF) else _EXIF + payload
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


@dataclass(frozen=True)
class Fitted:
    """An image re-encoded to fit: its new type, bytes and pixels, and how: the JPEG ``quality``, the PNG palette's
    ``colours``, whether it was ``scaled`` down, and the ``frames`` kept of an animation's ``of_frames``
    (:meth:`how` as a record; ``note`` in words: "JPEG quality 75")."""

    content_type: str
    data: bytes
    pixels: tuple[int, int]
    quality: int | None = None
    colours: int | None = None
    scaled: bool = False
    frames: int = 1
    of_frames: int = 1

    def how(self) -> dict[str, Any]:
        """How it was re-encoded, as a JSON-safe record (the report's ``how``)."""
        return {
            "type": self.content_type,
            "quality": self.quality,
            "colours": self.colours,
            "scaled": self.scaled,
            "frames": self.frames,
            "of_frames": self.of_frames,
        }

    @property
    def note(self) -> str:
        """How it was re-encoded, in words."""
        from .words import fitting

        return fitting(self.how())


def check_whole(data: bytes) -> None:
    """:class:`InputError` when the picture cannot be decoded to its end (a file cut short or damaged)."""
    try:
        with _open(data) as image:
            image.load()
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            N_("This image is damaged ({why}); phones would show it broken or not at all."), values={"why": str(exc)}
        ) from None


def pixels(data: bytes) -> tuple[int, int] | None:
    """The width and height of an image (None when Pillow cannot read it)."""
    try:
        with _open(data) as image:
            return image.size
    except InputError:
        return None


def _steps(size: int, budget: int, scale: float) -> float:
    """The next scale to try when an encoding of ``size`` bytes must come down to ``budget``."""
    return scale * min(0.95, math.sqrt(budget / size) * 0.95)


def _shrink(encode: Callable[[float], bytes], budget: int, size: tuple[int, int], first: bytes) -> bytes | None:
    """The largest encoding that fits ``budget``: smaller scales until one fits (at most 10), then three halvings
    of the gap to the last that did not, or None below :data:`MIN_SIDE`."""
    too_big, scale, data = 1.0, 1.0, first
    for _ in range(10):
        too_big, scale = scale, _steps(len(data), budget, scale)
        if min(size) * scale < MIN_SIDE:
            return None
        data = encode(scale)
        if len(data) <= budget:
            break
    else:
        return None
    fits = scale
    for _ in range(3):
        middle = (fits + too_big) / 2
        tried = encode(middle)
        if len(tried) <= budget:
            fits, data = middle, tried
        else:
            too_big = middle
    return data


def _resized(image: PILImage.Image, scale: float) -> PILImage.Image:
    from PIL import Image

    if scale >= 1:
        return image
    width, height = (max(1, round(n * scale)) for n in image.size)
    return image.resize((width, height), Image.Resampling.LANCZOS)


def fit(data: bytes, budget: int) -> Fitted:
    """The image in ``data`` re-encoded to at most ``budget`` bytes, keeping its aspect ratio.

    JPEG (and WEBP or HEIC, which become JPEG): quality stepped down from 85, then made smaller.
    PNG: compressed harder, then reduced to 256 colours, then made smaller. GIF: every frame made
    smaller; when even that cannot fit, the first frame alone (``note`` says so).
    :class:`InputError` when it cannot fit without going below :data:`MIN_SIDE` pixels.
    """
    source = kind(data)
    if source == "image/gif" and gif_frames(data, MAX_FRAMES) > MAX_FRAMES:
        raise InputError(
            N_(
                "it is an animation of more than {most} frames, which mmsnb does not re-encode. Make it shorter, or "
                "send a still image."
            ),
            values={"most": MAX_FRAMES},
        )
    try:
        with _open(data) as image:
            frames = getattr(image, "n_frames", 1)
            if frames * image.width * image.height > MAX_PIXELS:
                raise InputError(
                    f"This animation is {frames} frames of {image.width}×{image.height} pixels, more than "
                    f"{MAX_PIXELS:,} in all to re-encode."
                )
            image.load()
            image.info.pop("comment", None)  # Pillow would write a JPEG's or GIF's comment again
            if source == "image/png":
                return _fit_png(image, budget)
            if source == "image/gif":
                return _fit_gif(image, budget)
            return _fit_jpeg(image, budget)
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(N_("This image is damaged ({why})."), values={"why": str(exc)}) from None


def gif_frames(data: bytes, most: int) -> int:
    """How many frames a GIF holds, counted from its blocks without decoding a picture (counting stops
    past ``most``). Bytes that start no block are skipped, as Pillow skips them and reads on.

    >>> gif_frames(b"GIF89a\\x01\\x00\\x01\\x00\\x00\\x00\\x00;", 10)
    0
    """
    flags = data[10] if len(data) > 10 else 0
    i, frames = 13 + _colour_table(flags), 0
    while frames <= most and (found := _GIF_BLOCK.search(data, i)) is not None:
        i = found.start()
        if data[i] == 0x2C:  # an image: its descriptor, colour table, code size, then its data
            frames += 1
            i = _sub_blocks(data, i + 11 + _colour_table(data[i + 9] if i + 9 < len(data) else 0))
        elif data[i] == 0x21:  # an extension: its label, then its data
            i = _sub_blocks(data, i + 2)
        else:  # the trailer: Pillow reads no further
            break
    return frames


def _colour_table(flags: int) -> int:
    """The size in bytes of the colour table a GIF's flags announce."""
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _sub_blocks(data: bytes, i: int) -> int:
    """Where the data sub-blocks of a GIF that start at ``i`` end."""
    while i < len(data) and data[i]:
        i += data[i] + 1
    return i + 1


def _too_small(budget: int) -> InputError:
    return InputError(
        N_("it cannot be made to fit {budget} bytes without becoming smaller than {side} pixels a side."),
        values={"budget": budget, "side": MIN_SIDE},
    )


def _eight_bit(image: PILImage.Image) -> PILImage.Image:
    """A 16-bit or 32-bit grey image as 8-bit grey (values scaled, not clipped); others as they are."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        wide = image.convert("I")
        _, high = wide.getextrema()
        assert isinstance(high, (int, float))
        top = 65535 if image.mode.startswith("I;16") else max(int(high), 255)
        return wide.point(lambda value: value * (255 / top)).convert("L")
    if image.mode == "F":
        return image.convert("L")
    return image


def _for_jpeg(image: PILImage.Image) -> tuple[PILImage.Image, bytes | None]:
    """``image`` as a JPEG holds it (RGB or grey: transparency laid on white, CMYK converted with its own
    profile to sRGB), and the colour profile to keep with it."""
    from PIL import Image, ImageCms

    profile = image.info.get("icc_profile")
    if image.mode == "CMYK":
        if profile:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            srgb = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
            assert converted is not None
            return converted, ImageCms.ImageCmsProfile(srgb).tobytes()
        return image.convert("RGB"), None
    image = _eight_bit(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white, profile
    return image.convert("L" if image.mode in ("L", "1") else "RGB"), profile


def _fit_jpeg(image: PILImage.Image, budget: int) -> Fitted:
    from PIL import ImageOps

    picture, profile = _for_jpeg(ImageOps.exif_transpose(image))

    def encode(scale: float, quality: int) -> bytes:
        out = io.BytesIO()
        _resized(picture, scale).save(out, "JPEG", quality=quality, optimize=True, icc_profile=profile, comment=b"")
        return out.getvalue()

    data = b""
    for quality in QUALITIES:
        data = encode(1.0, quality)
        if len(data) <= budget:
            return Fitted("image/jpeg", data, picture.size, quality=quality)
    shrunk = _shrink(lambda scale: encode(scale, QUALITIES[-1]), budget, picture.size, data)
    if shrunk is None:
        raise _too_small(budget)
    with _open(shrunk) as done:
        return Fitted("image/jpeg", shrunk, done.size, quality=QUALITIES[-1], scaled=True)


def _fit_png(image: PILImage.Image, budget: int) -> Fitted:
    from PIL import Image

    options: dict[str, Any] = {"optimize": True}
    if "icc_profile" in image.info:
        options["icc_profile"] = image.info["icc_profile"]

    def encode(picture: PILImage.Image) -> bytes:
        out = io.BytesIO()
        picture.save(out, "PNG", **options)
        return out.getvalue()

    def palette(picture: PILImage.Image) -> PILImage.Image:
        picture = _eight_bit(picture)
        if picture.mode == "P":
            return picture
        method = Image.Quantize.FASTOCTREE if picture.mode == "RGBA" else Image.Quantize.MEDIANCUT
        return picture.convert("RGBA" if "A" in picture.mode else "RGB").quantize(256, method=method)

    frames: int = getattr(image, "n_frames", 1)  # an animated PNG's frames are not kept
    data = encode(image)
    if len(data) <= budget:
        return Fitted("image/png", data, image.size, of_frames=frames)
    data = encode(palette(image))
    if len(data) <= budget:
        return Fitted("image/png", data, image.size, colours=256, of_frames=frames)
    shrunk = _shrink(lambda scale: encode(palette(_resized(image, scale))), budget, image.size, data)
    if shrunk is None:
        raise _too_small(budget)
    with _open(shrunk) as done:
        return Fitted("image/png", shrunk, done.size, colours=256, scaled=True, of_frames=frames)


def _fit_gif(image: PILImage.Image, budget: int) -> Fitted:
    from PIL import ImageSequence

    frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    durations = [frame.info.get("duration", 100) for frame in frames]
    looping = {"loop": image.info["loop"]} if "loop" in image.info else {}  # without it, an animation plays once
    for frame in frames:
        frame.info.pop("comment", None)

    def encode(scale: float, count: int) -> bytes:
        out = io.BytesIO()
        shown = [_resized(frame, scale) for frame in frames[:count]]
        if count > 1:
            shown[0].save(
                out,
                "GIF",
                save_all=True,
                append_images=shown[1:],
                duration=durations[:count],
                optimize=True,
                disposal=2,
                comment=b"",
                **looping,
            )
        else:
            shown[0].save(out, "GIF", optimize=True, comment=b"")
        return out.getvalue()

    data = encode(1.0, len(frames))
    if len(data) <= budget:
        return Fitted("image/gif", data, image.size, frames=len(frames), of_frames=len(frames))
    shrunk = _shrink(lambda scale: encode(scale, len(frames)), budget, image.size, data)
    kept = len(frames)
    if shrunk is None and len(frames) > 1:
        kept, still = 1, encode(1.0, 1)
        shrunk = still if len(still) <= budget else _shrink(lambda s: encode(s, 1), budget, image.size, still)
    if shrunk is None:
        raise _too_small(budget)
    with _open(shrunk) as done:
        return Fitted("image/gif", shrunk, done.size, scaled=True, frames=kept, of_frames=len(frames))
