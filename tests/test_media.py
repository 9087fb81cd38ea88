"""Content that arrives: images fitted to the limit, private metadata removed, WEBP and HEIC converted.

What the phone would get is what the sandbox received (``received[...].attachments``), opened with Pillow.
"""

from __future__ import annotations

import io
import os
import random
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import orange, received_addresses
from PIL import Image, ImageSequence
from PIL.PngImagePlugin import PngInfo

import mmsnb
from mmsnb import images
from mmsnb.message import MAX_MESSAGE_BYTES

REPO = Path(__file__).resolve().parent.parent
BIG = REPO / "data" / "big.jpg"
GPS = {1: "N", 2: (52.0, 13.0, 30.0), 3: "E", 4: (21.0, 0.0, 0.0)}


def noise(size: tuple[int, int], seed: int = 0, mode: str = "RGB") -> Image.Image:
    """A picture that compresses badly, so that it is large."""
    rng = random.Random(seed)
    return Image.frombytes(mode, size, rng.randbytes(size[0] * size[1] * len(mode)))


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def with_gps(size=(640, 480), **options) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update(GPS)
    return encoded(noise(size, seed=7), "JPEG", exif=exif, quality=90, icc_profile=b"\0" * 200, **options)


def gps_of(data: bytes) -> dict:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))


def dry_run_fitting(client, path: Path, tmp_path: Path) -> pd.DataFrame:
    """The dry run of one row with ``path`` attached and ``fit=True``."""
    frame = pd.DataFrame({"msisdn": orange(1)})
    return mmsnb.send(client, frame, attachments=str(path), fit=True, dry_run=True, ledger=tmp_path / "l")


def sent_files(sandbox) -> list:
    return [a for request in sandbox.received for a in request.attachments]


def test_big_jpg_is_fitted_once_and_arrives_as_a_smaller_jpeg(sandbox, client, tmp_path):
    original = BIG.read_bytes()
    assert len(original) > MAX_MESSAGE_BYTES
    frame = pd.DataFrame({"msisdn": orange(3)})
    ledger = tmp_path / "l.sqlite"

    refused = mmsnb.send(client, frame, subject="Hej", attachments=str(BIG), ledger=ledger, progress=False)
    assert set(refused.send_state.astype(str)) == {"invalid"}
    assert (
        "511 KB, 211 KB over the gateway's limit of 300 KB. Pass fit=True to shrink the images" in refused.error.iloc[0]
    )
    assert sandbox.received == []

    plan = mmsnb.plan(client, frame, subject="Hej", attachments=str(BIG), fit=True, ledger=ledger)
    report = plan.media.iloc[0]
    assert (report.type, report.bytes, report.pixels) == ("image/jpeg", len(original), "960×720")
    assert report.sent_bytes <= MAX_MESSAGE_BYTES and report.done.startswith("fitted (JPEG quality")
    results = plan.send(progress=False)
    assert set(results.send_state.astype(str)) == {"accepted"}

    (sent,) = sent_files(sandbox)  # one request carries the three numbers
    assert sent.content_type == "image/jpeg" and len(sent.data) <= MAX_MESSAGE_BYTES
    picture = Image.open(io.BytesIO(sent.data))
    assert picture.format == "JPEG"
    assert picture.width * picture.height <= 960 * 720
    assert not gps_of(sent.data)
    assert BIG.read_bytes() == original  # the file itself is never changed
    assert results.mms.media.equals(plan.media)
    assert results.mms.media.sent_bytes.iloc[0] == len(sent.data)


def test_a_png_over_the_limit_is_fitted_and_stays_a_png(sandbox, client, tmp_path):
    path = tmp_path / "banner.png"
    path.write_bytes(encoded(noise((420, 420)), "PNG"))
    assert path.stat().st_size > MAX_MESSAGE_BYTES
    results = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": orange(1)}),
        attachments=str(path),
        fit=True,
        ledger=tmp_path / "l",
        progress=False,
    )
    assert results.send_state.iloc[0] == "accepted"
    (sent,) = sent_files(sandbox)
    assert sent.content_type == "image/png" and len(sent.data) <= MAX_MESSAGE_BYTES
    assert Image.open(io.BytesIO(sent.data)).format == "PNG"
    assert "256 colours" in results.mms.media.done.iloc[0]


def test_an_animated_gif_keeps_its_frames_when_it_can_and_says_so_when_it_cannot(sandbox, client, tmp_path):
    frames = [noise((200, 200), seed=n).convert("P") for n in range(12)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    assert len(data) > MAX_MESSAGE_BYTES

    fitted = images.fit(data, MAX_MESSAGE_BYTES)
    animation = Image.open(io.BytesIO(fitted.data))
    assert len(fitted.data) <= MAX_MESSAGE_BYTES and animation.n_frames == 12
    assert [f.info.get("duration") for f in ImageSequence.Iterator(animation)][:2] == [80, 80]

    tiny = images.fit(data, 30_000)  # so little room that the whole animation cannot fit
    assert len(tiny.data) <= 30_000 and Image.open(io.BytesIO(tiny.data)).n_frames == 1
    assert tiny.note.startswith("first frame only")

    path = tmp_path / "spinner.gif"
    path.write_bytes(data)
    results = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": orange(1)}),
        attachments=str(path),
        fit=True,
        max_message_bytes=30_000,
        ledger=tmp_path / "l",
        progress=False,
    )
    assert results.send_state.iloc[0] == "accepted"
    assert "first frame only" in results.mms.media.done.iloc[0]
    assert len(sent_files(sandbox)[0].data) <= 30_000


def test_gps_and_exif_are_removed_by_default_and_kept_when_asked(make_sandbox, tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(with_gps())
    assert gps_of(path.read_bytes()) == GPS
    frame = pd.DataFrame({"msisdn": orange(1)})
    received = {}
    for keep in (False, True):
        sandbox = make_sandbox()
        client = sandbox.client()
        plan = mmsnb.plan(
            client, frame, subject="Hej", attachments=str(path), keep_metadata=keep, ledger=tmp_path / f"{keep}.sqlite"
        )
        assert bool(plan.media.gps.iloc[0])  # the dry run says the file carries GPS
        assert plan.media.metadata_removed.iloc[0] == ("" if keep else "EXIF")
        plan.send(progress=False)
        (received[keep],) = sent_files(sandbox)
    assert not gps_of(received[False].data)
    assert Image.open(io.BytesIO(received[False].data)).info.get("icc_profile") == b"\0" * 200  # colours kept
    assert gps_of(received[True].data) == GPS
    assert received[True].data == path.read_bytes()
    # removing metadata does not re-encode: the picture's bytes are the original's
    assert received[False].data[-5000:] == path.read_bytes()[-5000:]


def test_a_photo_taken_sideways_keeps_only_its_orientation_and_is_not_re_encoded():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show"
    exif.get_ifd(0x8825).update(GPS)
    data = encoded(noise((320, 240)), "JPEG", exif=exif, comment=b"SECRET comment")
    cleaned = images.without_metadata(data, "image/jpeg")
    kept = Image.open(io.BytesIO(cleaned.data))
    assert dict(kept.getexif()) == {0x0112: 6} and not gps_of(cleaned.data)
    assert b"SECRET" not in cleaned.data and set(cleaned.removed) == {"EXIF", "comment"}
    assert cleaned.data.endswith(data[-3000:])  # the picture itself, byte for byte
    fitted = images.fit(data, 20_000)  # fitting decodes it: the result is upright and carries nothing
    upright = Image.open(io.BytesIO(fitted.data))
    assert upright.width < upright.height and not upright.getexif() and b"SECRET" not in fitted.data


def test_png_text_xmp_and_exif_chunks_are_removed_and_the_picture_is_untouched():
    info = PngInfo()
    info.add_text("Comment", "shot at home")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta><exif:GPSLatitude>52,13</exif:GPSLatitude></x:xmpmeta>")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    picture = noise((32, 32))
    data = encoded(picture, "PNG", pnginfo=info, exif=exif)
    assert images.has_gps(data)
    cleaned = images.without_metadata(data, "image/png")
    assert set(cleaned.removed) == {"text", "XMP", "EXIF"}
    assert not images.has_gps(cleaned.data) and b"shot at home" not in cleaned.data
    assert Image.open(io.BytesIO(cleaned.data)).tobytes() == picture.tobytes()


@pytest.mark.parametrize("fmt, suffix", [("WEBP", ".webp"), ("HEIF", ".heic")])
def test_webp_and_heic_photos_are_converted_with_fit_and_refused_without(sandbox, client, tmp_path, fmt, suffix):
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    path = tmp_path / f"holiday{suffix}"
    path.write_bytes(encoded(noise((320, 240)), fmt))
    frame = pd.DataFrame({"msisdn": orange(1)})

    refused = mmsnb.send(client, frame, attachments=str(path), ledger=tmp_path / "l", progress=False)
    assert refused.send_state.iloc[0] == "invalid"
    assert "many phones cannot show" in refused.error.iloc[0] and "fit=True" in refused.error.iloc[0]

    results = mmsnb.send(client, frame, attachments=str(path), fit=True, ledger=tmp_path / "l", progress=False)
    assert results.send_state.iloc[0] == "accepted"
    (sent,) = sent_files(sandbox)
    assert (sent.filename, sent.content_type) == ("holiday.jpg", "image/jpeg")
    assert Image.open(io.BytesIO(sent.data)).size == (320, 240)
    assert results.mms.media.done.iloc[0].startswith(f"converted from {'HEIC' if fmt == 'HEIF' else 'WEBP'}")


def test_a_thousand_rows_sharing_one_oversized_image_fit_it_once(sandbox, client, tmp_path, monkeypatch):
    calls: Counter[str] = Counter()
    save = Image.Image.save

    def counting_save(self, fp, format=None, **params):
        calls[format] += 1
        return save(self, fp, format, **params)

    monkeypatch.setattr(Image.Image, "save", counting_save)
    frame = pd.DataFrame({"msisdn": orange(1000), "first_name": ["Ola"] * 1000})
    plan = mmsnb.plan(
        client, frame, subject="Cześć {first_name}", attachments=str(BIG), fit=True, ledger=tmp_path / "l"
    )
    alone = images.fit(BIG.read_bytes(), MAX_MESSAGE_BYTES)  # what fitting this image once costs
    once = calls["JPEG"] // 2
    assert len(plan.requests) == 20 and plan.media.sent_bytes.iloc[0] == len(alone.data)
    assert calls["JPEG"] == 2 * once, "the plan re-encoded the image more often than one fitting does"


def test_an_image_that_cannot_fit_is_named(sandbox, client, tmp_path):
    results = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": orange(1)}),
        attachments=[str(BIG), ("terms.txt", b"x" * 2000)],
        fit=True,
        max_message_bytes=2500,
        ledger=tmp_path / "l",
        progress=False,
    )
    assert results.send_state.iloc[0] == "invalid"
    assert "cannot be fitted" in results.error.iloc[0] and "48 pixels" in results.error.iloc[0]
    assert received_addresses(sandbox) == Counter()


def test_send_mms_fits_and_cleans_too_and_leaves_a_small_image_as_it_is(sandbox, client):
    small = with_gps(size=(64, 48))
    result = client.send_mms("501102030", attachments=[str(BIG), ("photo.jpg", small)], fit=True)
    assert result.message_id
    big, photo = sent_files(sandbox)
    assert len(big.data) + len(photo.data) <= MAX_MESSAGE_BYTES
    assert not gps_of(photo.data)
    assert photo.data == images.without_metadata(small, "image/jpeg").data  # cleaned, not re-encoded


def test_options_that_are_not_switches_are_named(client, tmp_path):
    for name in ("fit", "keep_metadata"):
        with pytest.raises(mmsnb.InputError, match=f"{name}= must be True or False"):
            mmsnb.plan(client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", **{name: "yes"})


def test_a_huge_file_is_not_read_even_to_be_fitted(client, tmp_path):
    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as f:
        f.write(b"\xff\xd8\xff")
        f.truncate(60 * 1024 * 1024)
    results = dry_run_fitting(client, huge, tmp_path)
    assert results.send_state.iloc[0] == "invalid"
    assert "61440 KB: mmsnb does not read an image over 51200 KB, even to shrink it." in results.error.iloc[0]
    assert os.path.getsize(huge) == 60 * 1024 * 1024


@pytest.mark.parametrize("side", [9000, 100_000])  # 81 and 10 000 megapixels, in a file of a few hundred bytes
def test_an_image_that_claims_too_many_pixels_is_not_decoded(client, tmp_path, side):
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb + b"\0" * (MAX_MESSAGE_BYTES + 1))  # over the limit, so that fitting would decode it
    results = dry_run_fitting(client, path, tmp_path)
    assert results.send_state.iloc[0] == "invalid"
    assert "pixels" in results.error.iloc[0] and "not read" in results.error.iloc[0]


def test_two_files_with_the_same_bytes_keep_their_own_names(sandbox, client, tmp_path):
    promo = (REPO / "data" / "promo.jpg").read_bytes()
    for name in ("spring.jpg", "summer.jpg"):
        (tmp_path / name).write_bytes(promo)
    frame = pd.DataFrame({"msisdn": orange(2), "file": ["spring.jpg", "summer.jpg"]})
    mmsnb.send(client, frame, attachments="file", attachments_dir=tmp_path, ledger=tmp_path / "l", progress=False)
    client.send_mms("501000009", attachments=[str(tmp_path / "spring.jpg"), str(tmp_path / "spring.jpg")])
    names = [[a.filename for a in request.attachments] for request in sandbox.received]
    assert sorted(names) == [["spring.jpg"], ["spring.jpg", "spring-2.jpg"], ["summer.jpg"]]


def test_what_fitting_must_not_spoil(tmp_path):
    # transparency laid on white when a WEBP becomes a JPEG
    circle = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    circle.paste((255, 0, 0, 255), (150, 100, 250, 200))
    jpeg = Image.open(io.BytesIO(images.fit(encoded(circle, "WEBP", lossless=True), 100_000).data))
    assert jpeg.getpixel((0, 0)) == (255, 255, 255) and jpeg.getpixel((200, 150))[0] > 200
    # a 16-bit grey PNG scaled to 8 bits, not clipped to white
    grey = Image.frombytes("I;16", (300, 300), bytes(random.Random(1).randbytes(300 * 300 * 2)))
    small = Image.open(io.BytesIO(images.fit(encoded(grey, "PNG"), 60_000).data)).convert("L")
    assert small.histogram()[255] < small.width * small.height / 10
    # an animation without a loop setting still plays once
    frames = [noise((120, 120), seed=n).convert("P") for n in range(6)]
    once = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    fitted = Image.open(io.BytesIO(images.fit(once, len(once) // 2).data))
    assert fitted.n_frames == 6 and "loop" not in fitted.info


def test_a_damaged_photo_is_refused_by_name_and_the_other_rows_go_on(sandbox, client, tmp_path):
    whole = encoded(noise((320, 240)), "JPEG")
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "fine.jpg").write_bytes(whole)
    frame = pd.DataFrame({"msisdn": orange(2), "file": ["cut.jpg", "fine.jpg"]})
    results = mmsnb.send(
        client, frame, attachments="file", attachments_dir=tmp_path, fit=True, ledger=tmp_path / "l", progress=False
    )
    assert results.send_state.astype(str).tolist() == ["invalid", "accepted"]
    assert results.error.iloc[0].startswith("Attachment 'cut.jpg': This image is damaged")
    report = results.mms.media.set_index("done")
    assert "refused" in report.index and pd.isna(report.loc["refused", "sent_bytes"])


def exif_segment() -> bytes:
    """A JPEG APP1 segment of EXIF with a GPS position."""
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(GPS)
    payload = exif.tobytes()
    payload = payload if payload.startswith(b"Exif\0\0") else b"Exif\0\0" + payload
    return b"\xff\xe1" + len(payload + b"..").to_bytes(2, "big") + payload


def test_gps_is_found_and_removed_between_the_scans_and_in_a_thumbnail(sandbox, client, tmp_path):
    progressive = encoded(noise((320, 240)), "JPEG", progressive=True, quality=90)
    second_scan = progressive.index(b"\xff\xda", progressive.index(b"\xff\xda") + 2)
    between = progressive[:second_scan] + exif_segment() + progressive[second_scan:]
    plain = encoded(noise((320, 240)), "JPEG", quality=90)
    assert plain[2:4] == b"\xff\xe0" and plain[6:11] == b"JFIF\0"
    jfxx = b"JFXX\0\x10" + with_gps(size=(32, 24))  # a thumbnail coded as JPEG, with EXIF of its own
    thumbnail = plain[:20] + b"\xff\xe0" + (len(jfxx) + 2).to_bytes(2, "big") + jfxx + plain[20:]
    (tmp_path / "between.jpg").write_bytes(between)
    (tmp_path / "thumbnail.jpg").write_bytes(thumbnail)
    frame = pd.DataFrame({"msisdn": orange(2), "file": ["between.jpg", "thumbnail.jpg"]})

    results = mmsnb.send(client, frame, attachments="file", attachments_dir=tmp_path, ledger=tmp_path / "l")

    assert (results.send_state == "accepted").all()
    sent = {a.filename: a.data for a in sent_files(sandbox)}
    for data in sent.values():
        assert b"\xff\xe1" not in data and b"Exif" not in data and b"GPS" not in data and b"JFXX" not in data
    assert Image.open(io.BytesIO(sent["between.jpg"])).tobytes() == Image.open(io.BytesIO(progressive)).tobytes()
    assert Image.open(io.BytesIO(sent["thumbnail.jpg"])).tobytes() == Image.open(io.BytesIO(plain)).tobytes()
    report = results.mms.media.set_index("file")
    assert report.loc["between.jpg", "gps"] and report.loc["thumbnail.jpg", "gps"]
    assert report.loc["between.jpg", "metadata_removed"] == "EXIF"
    assert report.loc["thumbnail.jpg", "metadata_removed"] == "thumbnail"


def test_gps_where_no_metadata_belongs_is_refused_rather_than_sent(sandbox, client):
    hidden = encoded(noise((64, 48)), "JPEG", icc_profile=exif_segment()[4:])  # EXIF inside the colour profile
    assert images.has_gps(hidden)
    with pytest.raises(
        mmsnb.InputError, match=r"'hidden.jpg': it says where it was taken \(GPS\) in a part of the file"
    ):
        client.send_mms("501102030", attachments=[("hidden.jpg", hidden)])
    assert sandbox.received == []
    client.send_mms("501102030", attachments=[("hidden.jpg", hidden)], keep_metadata=True)
    assert sent_files(sandbox)[0].data == hidden


def png_chunk(kind: bytes, body: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_gps_after_the_end_of_a_png_or_a_jpeg_is_reported_and_not_sent(sandbox, client, tmp_path):
    """Viewers stop at a PNG's IEND or a JPEG's end marker; what follows still travels unless it is cut."""
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(GPS)
    tiff = exif.tobytes()[6:] if exif.tobytes().startswith(b"Exif\0\0") else exif.tobytes()
    png = encoded(noise((64, 48)), "PNG")
    jpeg = encoded(noise((64, 48)), "JPEG", quality=90)
    files = {
        "after.png": png + png_chunk(b"eXIf", tiff),
        "junk.png": png + b"\0" * 100,
        "after.jpg": jpeg + exif_segment(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    frame = pd.DataFrame({"msisdn": orange(3), "file": list(files)})

    plan = mmsnb.plan(client, frame, attachments="file", attachments_dir=tmp_path, ledger=tmp_path / "l")
    results = mmsnb.send(client, frame, attachments="file", attachments_dir=tmp_path, ledger=tmp_path / "l")

    assert (results.send_state == "accepted").all()
    sent = {a.filename: a.data for a in sent_files(sandbox)}
    assert sent == {"after.png": png, "junk.png": png, "after.jpg": jpeg}
    for report in (plan.media.set_index("file"), results.mms.media.set_index("file")):
        assert report.loc["after.png", "gps"] and report.loc["after.jpg", "gps"] and not report.loc["junk.png", "gps"]
        assert report.loc["junk.png", "metadata_removed"] == "data after the end"


def gif_with(*extensions: bytes) -> bytes:
    """A looping GIF of two 8×8 frames with ``extensions`` (whole blocks) written before its first frame."""
    frames = [noise((8, 8), seed=n).convert("P") for n in range(2)]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0, duration=100)
    first = gif.index(b"\x21\xf9")  # the first frame's graphic control extension
    return gif[:first] + b"".join(extensions) + gif[first:]


def gif_extension(label: bytes, body: bytes, app: bytes = b"") -> bytes:
    """A GIF extension block: its label, an application's 11-byte name (if any), then ``body`` in sub-blocks."""
    blocks = (bytes([len(app)]) + app) if app else b""
    blocks += b"".join(bytes([len(body[i : i + 255])]) + body[i : i + 255] for i in range(0, len(body), 255))
    return b"\x21" + label + blocks + b"\0"


def test_a_gifs_comments_and_application_data_are_removed_and_it_still_loops(sandbox, client, tmp_path):
    """GPS in an XMP application extension, or EXIF in a comment, is reported and does not reach the gateway."""
    xmp = b'<x:xmpmeta><rdf:Description exif:GPSLatitude="52,13.5N" exif:GPSLongitude="21,0.7E"/></x:xmpmeta>'
    files = {
        "xmp.gif": gif_with(gif_extension(b"\xff", xmp, app=b"XMP DataXMP")),
        "comment.gif": gif_with(gif_extension(b"\xfe", exif_segment()[4:])),
        "plain.gif": gif_with(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        assert Image.open(io.BytesIO(data)).n_frames == 2
    frame = pd.DataFrame({"msisdn": orange(3), "file": list(files)})

    results = mmsnb.send(client, frame, attachments="file", attachments_dir=tmp_path, ledger=tmp_path / "l")

    assert (results.send_state == "accepted").all()
    sent = {a.filename: a.data for a in sent_files(sandbox)}
    assert sent["plain.gif"] == files["plain.gif"]
    for name in ("xmp.gif", "comment.gif"):
        assert b"GPS" not in sent[name] and b"Exif" not in sent[name] and b"XMP" not in sent[name]
        assert sent[name] == files["plain.gif"]
        shown = Image.open(io.BytesIO(sent[name]))
        assert shown.n_frames == 2 and shown.info["loop"] == 0
    report = results.mms.media.set_index("file")
    assert report.loc["xmp.gif", "gps"] and report.loc["comment.gif", "gps"] and not report.loc["plain.gif", "gps"]
    assert report.loc["xmp.gif", "metadata_removed"] == "XMP"
    assert report.loc["comment.gif", "metadata_removed"] == "comment"


def test_a_gif_whose_location_stays_after_cleaning_is_refused_by_name(sandbox, client):
    """A position written where no metadata belongs (here a plain-text extension, part of the picture) is not
    sent: the cleaned file is checked again."""
    hidden = gif_with(gif_extension(b"\x01", b"\x00" * 12 + b"GPSLatitude 52,13.5N"))
    with pytest.raises(mmsnb.InputError, match=r"'hidden.gif': it says where it was taken \(GPS\)"):
        client.send_mms("501102030", attachments=[("hidden.gif", hidden)])
    assert sandbox.received == []
