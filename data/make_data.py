"""Generate the sample data in data/ (run: python data/make_data.py).

Deterministic: fixed seed, standard library + phonenumbers + Pillow only.
All phone numbers are fictitious test numbers; "Orange" means the number lies
in a range that phonenumbers attributes to Orange (range holder, porting ignored).
"""

import csv
import random
from collections import Counter
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberType, carrier
from PIL import Image, ImageDraw, ImageFont

SEED = 20240501
OUT = Path(__file__).resolve().parent
ORANGE_BRAND = (255, 121, 0)

N_ORANGE, N_OTHER, N_REPEATS = 400, 80, 10
OTHER_CARRIERS = {"Play", "Plus", "T-Mobile"}
MALFORMED = [
    "50110203",  # too short (8 digits)
    "5011O2030",  # letter O instead of zero
    "",  # empty cell
    "brak",  # "none" typed into the field
    "+48 22 628 14 30",  # Warsaw fixed line
    "(22) 594 90 00",  # another Warsaw fixed line, national form
    "+49 151 23456789",  # German mobile
    "+48 501 102 0300",  # too long
    "800 100 100",  # toll-free
    "12345",  # far too short
]
FORMATS = [
    lambda d: f"+48 {d[:3]} {d[3:6]} {d[6:]}",
    lambda d: f"{d[:3]}-{d[3:6]}-{d[6:]}",
    lambda d: f"0048{d}",
    lambda d: f"48{d}",
    lambda d: f"tel:+48{d}",
    lambda d: f"{d[:3]}.{d[3:6]}.{d[6:]}",
    lambda d: d,
]
FIRST_NAMES = [
    "Łukasz",
    "Zofia",
    "Małgorzata",
    "Paweł",
    "Wojciech",
    "Józef",
    "Agnieszka",
    "Ewa",
    "Katarzyna",
    "Michał",
    "Anna",
    "Piotr",
    "Krzysztof",
    "Magdalena",
    "Tomasz",
    "Joanna",
    "Grzegorz",
    "Barbara",
    "Jędrzej",
    "Bożena",
    "Mieczysław",
    "Żaneta",
    "Sławomir",
    "Dorota",
    "Maciej",
    "Aleksandra",
    "Bartłomiej",
    "Halina",
]
SEGMENTS = (["loyal", "new", "lapsed", "vip"], [40, 30, 20, 10])
CITIES = [
    "Warszawa",
    "Kraków",
    "Łódź",
    "Wrocław",
    "Poznań",
    "Gdańsk",
    "Szczecin",
    "Bydgoszcz",
    "Lublin",
    "Białystok",
    "Katowice",
    "Toruń",
    "Rzeszów",
    "Kielce",
    "Częstochowa",
    "Zielona Góra",
    "Bielsko-Biała",
    "Olsztyn",
]
TERMS = """\
Regulamin promocji „Wiosenne -20%”

1. Organizatorem promocji jest Przykładowy Sklep Sp. z o.o. (dane fikcyjne).
2. Promocja trwa od 1 do 31 maja; rabat 20% obejmuje jeden zakup na osobę.
3. Aby skorzystać z rabatu, pokaż tę wiadomość MMS przy kasie lub wpisz kod
   WIOSNA20 w sklepie internetowym.
4. Rabatu nie łączy się z innymi zniżkami ani kartą podarunkową.
5. Rezygnacja z otrzymywania wiadomości: odpowiedz SMS-em o treści STOP.
Zażółć gęślą jaźń — dziękujemy, że jesteś z nami!
"""


def classify(raw):
    """Return 'orange', 'other' or 'malformed' for a number as written."""
    try:
        num = phonenumbers.parse(raw, "PL")
    except phonenumbers.NumberParseException:
        return "malformed"
    if num.country_code != 48 or phonenumbers.number_type(num) != PhoneNumberType.MOBILE:
        return "malformed"
    name = carrier.name_for_number(num, "en")
    return "orange" if name == "Orange" else "other" if name in OTHER_CARRIERS else "malformed"


def draw_number(rng, wanted, used):
    """Draw an unused 9-digit mobile number whose range holder is `wanted`."""
    while True:
        digits = str(rng.randint(500_000_000, 899_999_999))
        if digits not in used and classify(digits) == wanted:
            used.add(digits)
            return digits


def make_campaign(rng):
    used = set()
    numbers = [draw_number(rng, "orange", used) for _ in range(N_ORANGE)]
    numbers += [draw_number(rng, "other", used) for _ in range(N_OTHER)]
    cells = [rng.choice(FORMATS)(d) for d in numbers] + MALFORMED
    rng.shuffle(cells)
    for _ in range(N_REPEATS):  # same number again, later in the file, rewritten
        i = rng.choice([i for i, c in enumerate(cells) if classify(c) != "malformed"])
        again = rng.choice(FORMATS)(str(phonenumbers.parse(cells[i], "PL").national_number))
        cells.insert(rng.randint(i + 1, len(cells)), again)

    with open(OUT / "campaign.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["msisdn", "first_name", "segment", "city"])
        for cell in cells:
            writer.writerow([cell, rng.choice(FIRST_NAMES), rng.choices(*SEGMENTS)[0], rng.choice(CITIES)])


def count_campaign():
    """Re-read campaign.csv and count rows by kind; repeats are checked first."""
    seen, counts = set(), Counter()
    with open(OUT / "campaign.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kind = classify(row["msisdn"])
            if kind != "malformed":
                e164 = phonenumbers.format_number(
                    phonenumbers.parse(row["msisdn"], "PL"), phonenumbers.PhoneNumberFormat.E164
                )
                kind = "repeat" if e164 in seen else kind
                seen.add(e164)
            counts[kind] += 1
    return counts


def make_promo():
    img = Image.new("RGB", (320, 240), ORANGE_BRAND)
    d = ImageDraw.Draw(img)
    d.ellipse((-60, 120, 140, 320), fill=(255, 170, 60))
    d.ellipse((230, -40, 370, 100), fill=(255, 255, 255))
    d.rectangle((0, 200, 320, 240), fill=(0, 0, 0))
    d.text((160, 105), "-20%", font=ImageFont.load_default(96), fill="white", anchor="mm")
    d.text((160, 220), "Wiosenna promocja", font=ImageFont.load_default(20), fill="white", anchor="mm")
    img.save(OUT / "promo.jpg", quality=85)


def make_logo():
    img = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((4, 4, 124, 124), radius=20, fill=ORANGE_BRAND)
    d.text((64, 64), "mms", font=ImageFont.load_default(44), fill="white", anchor="mm")
    img.save(OUT / "logo.png", optimize=True)


def make_spinner():
    frames = []
    for k in range(8):
        img = Image.new("P", (64, 64), 0)
        img.putpalette([255, 255, 255, *ORANGE_BRAND])
        ImageDraw.Draw(img).arc((8, 8, 56, 56), 45 * k, 45 * k + 270, fill=1, width=8)
        frames.append(img)
    frames[0].save(OUT / "spinner.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)


def make_noise_jpeg(rng, name, size):
    """Random noise barely compresses, so the JPEG size is set by the pixel count."""
    img = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    img.save(OUT / name, quality=85)


def main():
    rng = random.Random(SEED)
    make_campaign(rng)
    make_promo()
    make_logo()
    make_spinner()
    (OUT / "terms.txt").write_text(TERMS, encoding="utf-8")
    make_noise_jpeg(rng, "bench.jpg", (420, 315))  # ~100 KB
    make_noise_jpeg(rng, "big.jpg", (960, 720))  # ~510 KB, over a 300 KB limit

    counts = count_campaign()
    assert counts == {"orange": N_ORANGE, "other": N_OTHER, "malformed": len(MALFORMED), "repeat": N_REPEATS}, counts
    for name in ["promo.jpg", "logo.png", "spinner.gif", "terms.txt"]:
        assert (OUT / name).stat().st_size < 60 * 1024, name
    assert 95 * 1024 <= (OUT / "bench.jpg").stat().st_size <= 105 * 1024
    assert 400 * 1024 <= (OUT / "big.jpg").stat().st_size <= 600 * 1024
    print(dict(counts))


if __name__ == "__main__":
    main()
