"""The composer's "Fit to the limit" and "Keep photo metadata" switches, driven from Python against a real sandbox
over HTTPS: a photo over the gateway's limit is taken and fitted (its size before and after shown before Send), or
refused with a sentence when the switch is off; a photo that says where it was taken is warned of before Send, and
reaches the gateway without its location unless the metadata is kept."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import upload
from PIL import Image

from mmsnb.widgets import Composer
from mmsnb.widgets.markup import size

BIG = Path(__file__).resolve().parents[1] / "data" / "big.jpg"
LIMIT = 300 * 1024
GPS_IFD = 0x8825


def shown(widget) -> bool:
    return widget.layout.display != "none"


def text_of(html: str) -> str:
    return html.replace("&#x27;", "'").replace("&quot;", '"')


def photo_with_gps(side: int = 64) -> bytes:
    """A small JPEG whose EXIF says where it was taken (52°13'30" N, 21° E: Warsaw)."""
    image = Image.new("RGB", (side, side * 3 // 4), (200, 120, 40))
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 13.0, 30.0), 3: "E", 4: (21.0, 0.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


@pytest.fixture
def big() -> bytes:
    data = BIG.read_bytes()
    assert len(data) > LIMIT
    return data


@pytest.fixture
def composer(client, tmp_path):
    form = Composer(client, ledger=tmp_path / "ledger.sqlite", interval=0.05)
    yield form
    form.close()


def fill(form: Composer, numbers: str = "501 102 030", subject: str = "Wiosenna promocja") -> None:
    form.recipients.text.value = numbers
    form.subject.value = subject


def test_fit_is_on_by_default_and_metadata_is_not_kept(composer):
    assert composer.fit.value is True and composer.fit.description == "Fit to the limit"
    assert composer.keep_metadata.value is False and composer.keep_metadata.description == "Keep photo metadata"


def test_a_photo_over_the_limit_is_fitted_its_sizes_shown_before_send(composer, sandbox, big):
    fill(composer)
    composer.attachments.upload.value = (upload("big.jpg", big, "image/jpeg"),)
    assert [f.filename for f in composer.attachments.files] == ["big.jpg"]
    assert composer.attachments.refusals.value == ""
    assert "the images will be fitted to the limit before sending" in composer.attachments.size_line.value
    assert not composer.attachments.over_limit and not composer.send_button.disabled

    composer.send_button.click()
    assert shown(composer.confirmation), composer.status.value
    text = composer.confirm_text.value
    assert "Send to 1 recipient in 1 message?" in text
    assert f"big.jpg {size(len(big))} → " in text and "960×720 (fitted, JPEG quality" in text
    assert "GPS" not in text  # big.jpg does not say where it was taken
    assert sandbox.received == [], "the confirmation must not send"

    composer.confirm_button.click()
    assert "Sent: 1" in composer.status.value
    ((sent,),) = [m.attachments for m in sandbox.received]
    assert (sent.filename, sent.content_type) == ("big.jpg", "image/jpeg")
    assert len(sent.data) <= LIMIT
    assert f"big.jpg {size(len(big))} → {size(len(sent.data))}, 960×720 (fitted, JPEG quality" in text
    with Image.open(io.BytesIO(sent.data)) as image:
        assert (image.format, image.size) == ("JPEG", (960, 720))
        image.load()
    assert composer.results.mms.media.sent_bytes.tolist() == [len(sent.data)]


def test_without_fit_a_photo_over_the_limit_is_refused_with_a_sentence(client, sandbox, tmp_path, big):
    form = Composer(client, ledger=tmp_path / "ledger.sqlite", fit=False)
    try:
        fill(form)
        assert form.fit.value is False
        form.attachments.upload.value = (upload("big.jpg", big, "image/jpeg"),)
        refusals = text_of(form.attachments.refusals.value)
        assert (
            f"✗ Refused: big.jpg is {size(len(big))}, over the gateway's limit of 300 KB for a whole message. "
            "Tick “Fit to the limit” to shrink it." in refusals
        )
        assert "Traceback" not in refusals
        assert form.attachments.files == []

        form.fit.value = True  # the same file, chosen again, is taken
        form.attachments.upload.value = (upload("big.jpg", big, "image/jpeg"),)
        assert [f.filename for f in form.attachments.files] == ["big.jpg"]
        assert not form.send_button.disabled
    finally:
        form.close()


def test_unticking_fit_with_a_photo_over_the_limit_disables_send_until_it_is_ticked(composer, sandbox, big):
    fill(composer)
    composer.attachments.upload.value = (upload("big.jpg", big, "image/jpeg"),)
    composer.send_button.click()
    assert shown(composer.confirmation)

    composer.fit.value = False
    assert not shown(composer.confirmation), "changing a switch withdraws the confirmation"
    assert composer.send_button.disabled and composer.attachments.bar.bar_style == "danger"
    assert "Remove attachments, or tick “Fit to the limit”: they are over the size limit." in composer.why.value
    assert "over the gateway" in text_of(composer.attachments.size_line.value)
    composer.send_button.click()  # .click() runs the handler even when disabled: it must refuse
    composer.confirm_button.click()
    assert sandbox.received == []

    composer.fit.value = True
    assert not composer.send_button.disabled and composer.why.value == ""


def test_fit_does_not_let_in_a_file_that_is_not_an_image(composer):
    composer.attachments.upload.value = (upload("huge.txt", b"x" * (LIMIT + 1), "text/plain"),)
    refusals = text_of(composer.attachments.refusals.value)
    assert "huge.txt is 300 KB, over the gateway's limit of 300 KB for a whole message." in refusals
    assert "Fit to the limit" not in refusals
    assert composer.attachments.files == []


def test_a_photo_that_cannot_be_fitted_beside_other_files_is_a_sentence(composer, sandbox, big):
    fill(composer)
    composer.attachments.upload.value = (
        upload("terms.txt", b"r" * (LIMIT - 200), "text/plain"),
        upload("big.jpg", big, "image/jpeg"),
    )
    assert not composer.send_button.disabled  # the text fits; whether the photo can is known when planning
    composer.send_button.click()
    status = text_of(composer.status.value)
    assert not shown(composer.confirmation)
    assert "big.jpg" in status and "cannot be fitted" in status
    assert "Traceback" not in status and sandbox.received == []


def test_a_photo_with_gps_is_warned_of_and_sent_without_its_location(composer, sandbox):
    photo = photo_with_gps()
    assert gps_of(photo)
    fill(composer)
    composer.attachments.upload.value = (upload("photo.jpg", photo, "image/jpeg"),)
    composer.send_button.click()
    text = composer.confirm_text.value
    assert "⚠ photo.jpg says where it was taken (GPS); the location is removed before sending." in text
    assert "photo.jpg" in text and "(EXIF removed)" in text

    composer.confirm_button.click()
    ((sent,),) = [m.attachments for m in sandbox.received]
    assert sent.filename == "photo.jpg" and len(sent.data) < len(photo)
    assert gps_of(sent.data) == {}
    with Image.open(io.BytesIO(sent.data)) as image:
        assert image.size == (64, 48) and not image.getexif()


def test_with_keep_metadata_the_photo_is_sent_with_its_location_and_the_warning_says_so(composer, sandbox):
    photo = photo_with_gps()
    fill(composer)
    composer.keep_metadata.value = True
    composer.attachments.upload.value = (upload("photo.jpg", photo, "image/jpeg"),)
    composer.send_button.click()
    text = composer.confirm_text.value
    assert "⚠ photo.jpg says where it was taken (GPS) and will be sent with it" in text
    assert "removed before sending" not in text

    composer.keep_metadata.value = False  # a switch changed: the confirmation it showed is withdrawn
    assert not shown(composer.confirmation)
    composer.keep_metadata.value = True
    composer.send_button.click()
    composer.confirm_button.click()
    ((sent,),) = [m.attachments for m in sandbox.received]
    assert sent.data == photo
    assert gps_of(sent.data) == gps_of(photo) != {}


def test_a_webp_photo_is_converted_to_jpeg_with_fit_and_held_back_without(composer, sandbox):
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (0, 90, 200)).save(out, "WEBP")
    webp = out.getvalue()
    fill(composer)
    composer.fit.value = False
    composer.attachments.upload.value = (upload("photo.webp", webp, "image/webp"),)
    assert composer.send_button.disabled
    assert "photo.webp is a WEBP photo, which many phones cannot show: tick “Fit to the limit”" in composer.why.value
    assert composer.preview.pictures.children[0].value == webp  # the browser shows it

    composer.fit.value = True
    assert not composer.send_button.disabled
    composer.send_button.click()
    assert "photo.webp" in composer.confirm_text.value
    assert "converted from WEBP" in composer.confirm_text.value
    composer.confirm_button.click()
    ((sent,),) = [m.attachments for m in sandbox.received]
    assert (sent.filename, sent.content_type) == ("photo.jpg", "image/jpeg")
    with Image.open(io.BytesIO(sent.data)) as image:
        assert (image.format, image.size) == ("JPEG", (80, 60))
