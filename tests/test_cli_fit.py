"""``mmsnb send --fit`` and ``--keep-metadata``, as a process against a real sandbox over HTTPS: a photo over the
gateway's limit is refused with a sentence that names --fit (exit 2), or fitted and sent with a line saying how
(exit 0); a photo's location is removed, and said so, unless --keep-metadata."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 300 * 1024
GPS_IFD = 0x8825


def mmsnb(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mmsnb", *args]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def env(sandbox, tmp_path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    return {**clean, "PYTHONPATH": str(ROOT), **sandbox.env(), "MMSNB_LEDGER": str(tmp_path / "ledger.sqlite")}


@pytest.fixture
def work(tmp_path) -> Path:
    """A working folder with data/big.jpg (511 KB, 960×720) and photo.jpg (a small JPEG with GPS in its EXIF)."""
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / "data" / "big.jpg", tmp_path / "data" / "big.jpg")
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 13.0, 30.0), 3: "E", 4: (21.0, 0.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG", exif=exif)
    (tmp_path / "photo.jpg").write_bytes(out.getvalue())
    return tmp_path


def gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def test_a_photo_over_the_limit_is_refused_with_a_sentence_that_names_fit(env, work, sandbox):
    done = mmsnb("send", "501102030", "--subject", "Hej", "--attach", "data/big.jpg", env=env, cwd=work)
    assert done.returncode == 2, done.stderr
    assert re.search(
        r"^tel:\+48501102030: not sent \(invalid\): The attachments total 511 KB, 211 KB over the gateway's "
        r"limit of 300 KB\. Add --fit to shrink the images to fit\.$",
        done.stderr,
        re.MULTILINE,
    ), done.stderr
    assert "fit=" not in done.stderr and done.stdout == ""
    assert sandbox.received == []


def test_with_fit_the_photo_is_fitted_sent_and_the_fitting_printed(env, work, sandbox):
    done = mmsnb("send", "501102030", "--subject", "Hej", "--attach", "data/big.jpg", "--fit", env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    ((sent,),) = [m.attachments for m in sandbox.received]
    assert (sent.filename, sent.content_type) == ("big.jpg", "image/jpeg") and len(sent.data) <= LIMIT
    with Image.open(io.BytesIO(sent.data)) as image:
        assert (image.format, image.size) == ("JPEG", (960, 720))
    kb = f"{len(sent.data) / 1024:.0f} KB"
    lines = done.stdout.splitlines()
    assert lines[0].startswith("tel:+48501102030: sent, message id: ")
    assert re.fullmatch(rf"data/big\.jpg: 511 KB → {kb}, 960×720 \(fitted, JPEG quality \d+\)", lines[1]), lines
    assert len(lines) == 2 and done.stderr == ""


def test_a_photos_location_is_removed_and_said_so_unless_metadata_is_kept(env, work, sandbox):
    photo = (work / "photo.jpg").read_bytes()
    assert gps_of(photo)
    done = mmsnb("send", "501102030", "--subject", "Hej", "--attach", "photo.jpg", env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["photo.jpg: location (GPS) and EXIF removed"]
    ((sent,),) = [m.attachments for m in sandbox.received]
    assert gps_of(sent.data) == {} and len(sent.data) < len(photo)

    done = mmsnb("send", "510000000", "--subject", "Hej", "--attach", "photo.jpg", "--keep-metadata", env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["photo.jpg: sent with its location (GPS), as --keep-metadata asks"]
    kept = sandbox.received[1].attachments[0]
    assert kept.data == photo and gps_of(kept.data) == gps_of(photo)


def test_help_describes_fit_and_keep_metadata(work, env):
    done = mmsnb("send", "--help", env=env, cwd=work)
    text = " ".join(done.stdout.split())
    assert "--fit re-encode images so the message fits the size limit; convert WEBP/HEIC to JPEG" in text
    assert "--keep-metadata send photos' EXIF/GPS/XMP as they are" in text
