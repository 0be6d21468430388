"""The agreement a resident signs at the counter: the standard texts a community starts with,
the signature check, and the signed agreement as a PDF (reportlab).

Pure helpers below the services: nothing here writes to the database.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

BRUSSELS = ZoneInfo("Europe/Brussels")
#: A finger signature drawn on a tablet is a few kB; anything bigger is not a signature.
MAX_SIGNATURE_BYTES = 300_000
MAX_SIGNATURE_SIDE = 3000
#: Fewer dark pixels than this is an empty pad (or a tap), not a signature.
MIN_INK_PIXELS = 30
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# The texts a community starts with (version 1 of each kind and language), published on first
# use. Staff publish their own versions on the agreements page or through the API.
DEFAULT_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "gift": {
        "nl": (
            "Schenking van een toestel",
            "De digibank schenkt u het toestel of de toestellen hieronder. Ze werden volledig "
            "gewist en nagekeken. Het toestel is vanaf vandaag van u.\n\n"
            "U gebruikt het toestel voor uzelf en uw gezin en verkoopt het niet door.\n\n"
            "Is er een probleem? Breng het toestel binnen 6 maanden terug naar een digipunt: "
            "we kijken het gratis na of herstellen het.\n\n"
            "Wilt u het toestel niet meer gebruiken? Breng het terug, dan krijgt iemand anders "
            "het.",
        ),
        "fr": (
            "Don d'un appareil",
            "La banque numérique vous donne le ou les appareils ci-dessous. Ils ont été "
            "entièrement effacés et contrôlés. À partir d'aujourd'hui, l'appareil est à vous.\n\n"
            "Vous utilisez l'appareil pour vous et votre famille et ne le revendez pas.\n\n"
            "Un problème ? Rapportez l'appareil dans les 6 mois à un point numérique : nous le "
            "contrôlons ou le réparons gratuitement.\n\n"
            "Vous n'utilisez plus l'appareil ? Rapportez-le, quelqu'un d'autre le recevra.",
        ),
        "en": (
            "Gift of a device",
            "The digibank gives you the device or devices below. They were fully wiped and "
            "checked. From today the device is yours.\n\n"
            "You use the device for yourself and your household and do not sell it on.\n\n"
            "A problem? Bring the device back to a digipunt within 6 months: we check or repair "
            "it for free.\n\n"
            "You no longer use the device? Bring it back and someone else will get it.",
        ),
    },
    "loan": {
        "nl": (
            "Ontlening van een toestel",
            "De digibank leent u het toestel of de toestellen hieronder uit tot de datum "
            "hieronder. Ze werden volledig gewist en nagekeken.\n\n"
            "U zorgt goed voor het toestel, gebruikt het voor uzelf en uw gezin en leent het "
            "niet door.\n\n"
            "U brengt het toestel terug op of voor de einddatum, met de lader en wat erbij "
            "hoort. Wilt u het langer houden? Vraag het aan het loket: we kunnen de ontlening "
            "verlengen.\n\n"
            "Is het toestel stuk of kwijt? Meld het zo snel mogelijk. We sturen u een "
            "herinnering voor de einddatum, zoals u verkiest (sms, e-mail of telefoon).\n\n"
            "Bij het terugbrengen wissen we alles wat op het toestel staat.",
        ),
        "fr": (
            "Prêt d'un appareil",
            "La banque numérique vous prête le ou les appareils ci-dessous jusqu'à la date "
            "indiquée. Ils ont été entièrement effacés et contrôlés.\n\n"
            "Vous prenez soin de l'appareil, l'utilisez pour vous et votre famille et ne le "
            "prêtez pas à d'autres.\n\n"
            "Vous rapportez l'appareil au plus tard à la date de fin, avec le chargeur et les "
            "accessoires. Vous voulez le garder plus longtemps ? Demandez-le au guichet : nous "
            "pouvons prolonger le prêt.\n\n"
            "L'appareil est cassé ou perdu ? Signalez-le au plus vite. Nous vous envoyons un "
            "rappel avant la date de fin, comme vous le préférez (SMS, e-mail ou téléphone).\n\n"
            "Au retour, nous effaçons tout ce qui se trouve sur l'appareil.",
        ),
        "en": (
            "Loan of a device",
            "The digibank lends you the device or devices below until the date below. They "
            "were fully wiped and checked.\n\n"
            "You take good care of the device, use it for yourself and your household and do "
            "not lend it to others.\n\n"
            "You bring the device back on or before the due date, with its charger and "
            "accessories. Want to keep it longer? Ask at the counter: we can extend the loan.\n\n"
            "Is the device broken or lost? Tell us as soon as you can. We send you a reminder "
            "before the due date, the way you prefer (text message, e-mail or phone).\n\n"
            "When it comes back, we wipe everything on the device.",
        ),
    },
    "sale": {
        "nl": (
            "Aankoop van een toestel aan sociaal tarief",
            "U koopt het toestel of de toestellen hieronder aan sociaal tarief, voor de prijs "
            "hieronder. Ze werden volledig gewist en nagekeken. U kreeg een kasticket.\n\n"
            "U gebruikt het toestel voor uzelf en uw gezin en verkoopt het niet door.\n\n"
            "Dienst na verkoop: is er binnen het jaar een probleem, breng het toestel dan met "
            "dit document naar de kringloopwinkel of een digipunt. We herstellen het of geven u "
            "een ander toestel.",
        ),
        "fr": (
            "Achat d'un appareil au tarif social",
            "Vous achetez le ou les appareils ci-dessous au tarif social, au prix indiqué. Ils "
            "ont été entièrement effacés et contrôlés. Vous avez reçu un ticket de caisse.\n\n"
            "Vous utilisez l'appareil pour vous et votre famille et ne le revendez pas.\n\n"
            "Service après-vente : en cas de problème dans l'année, apportez l'appareil avec ce "
            "document à la boutique de seconde main ou à un point numérique. Nous le réparons "
            "ou vous donnons un autre appareil.",
        ),
        "en": (
            "Purchase of a device at social tariff",
            "You buy the device or devices below at social tariff, for the price below. They "
            "were fully wiped and checked. You received a receipt.\n\n"
            "You use the device for yourself and your household and do not sell it on.\n\n"
            "After-sales service: if there is a problem within the year, bring the device and "
            "this document to the second-hand shop or a digipunt. We repair it or give you "
            "another device.",
        ),
    },
}


def default_text(kind: str, language: str) -> tuple[str, str]:
    """The standard (title, body) for a kind in a language (English when there is none)."""
    texts = DEFAULT_TEXTS[kind]
    return texts.get(language) or texts["en"]


# --- the signature --------------------------------------------------------------------------


def signature_problem(png: bytes) -> str:
    """Why these bytes are not a usable signature ("" when they are), in plain words."""
    from PIL import Image, UnidentifiedImageError

    if not png:
        return _("The resident has not signed yet. Ask them to sign with a finger.")
    if len(png) > MAX_SIGNATURE_BYTES:
        return _("The signature is too large. Clear it and sign again.")
    if not png.startswith(PNG_MAGIC):
        return _("The signature is not a PNG image.")
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                return _("The signature is not a PNG image.")
            if max(image.size) > MAX_SIGNATURE_SIDE:
                return _("The signature is too large. Clear it and sign again.")
            image.load()
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return _("The signature is not a PNG image.")
    # Ink: a pixel that is both visible (alpha) and dark, on a white or transparent pad.
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, rgba).convert("L")
    ink = sum(grey.point(lambda value: 1 if value < 160 else 0).histogram()[1:])
    if ink < MIN_INK_PIXELS:
        return _("The signature is empty. Ask the resident to sign with a finger.")
    return ""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the PDF ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceLine:
    label: str
    kind: str | Promise  # translated in the agreement's language
    brand_model: str
    serial: str


@dataclass(frozen=True)
class AgreementFacts:
    """Everything printed on a signed agreement."""

    community: str
    kind: str  # gift / loan / sale
    language: str
    text_id: int
    text_version: int
    title: str
    body: str
    devices: list[DeviceLine]
    recipient: str
    handed_by: str
    handed_at: datetime
    place: str
    due_on: date | None
    price_cents: int
    receipt_number: str
    identity_document: str | Promise
    signature_png: bytes
    handover_id: int


def _euros(cents: int) -> str:
    return f"€ {cents // 100},{cents % 100:02d}"


def agreement_pdf(facts: AgreementFacts) -> bytes:
    """The signed agreement, A4, in the resident's language: the text version (id and body),
    the devices, the date and place, the names and the signature image."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    body_style = styles["BodyText"]
    buffer = io.BytesIO()
    with translation.override(facts.language):
        local = facts.handed_at.astimezone(BRUSSELS)
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=facts.title,
            author=facts.community,
            subject=_("Agreement %(id)d") % {"id": facts.handover_id},
            invariant=True,
        )
        story: list[object] = [
            Paragraph(escape(facts.community), styles["Normal"]),
            Paragraph(escape(facts.title), styles["Title"]),
            Paragraph(
                escape(
                    _("Agreement text %(id)d, version %(version)d (%(language)s)")
                    % {
                        "id": facts.text_id,
                        "version": facts.text_version,
                        "language": facts.language,
                    }
                ),
                styles["Italic"],
            ),
            Spacer(1, 4 * mm),
        ]
        for paragraph in facts.body.split("\n\n"):
            text = escape(paragraph.strip()).replace("\n", "<br/>")
            if text:
                story.append(Paragraph(text, body_style))
        story += [Spacer(1, 4 * mm), Paragraph(escape(_("Devices")), styles["Heading2"])]
        rows = [[_("Device number"), _("Kind"), _("Brand and model"), _("Serial number")]]
        rows += [[d.label, str(d.kind), d.brand_model, d.serial] for d in facts.devices]
        table = Table(rows, colWidths=[28 * mm, 30 * mm, 62 * mm, 50 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        facts_rows = [
            [_("Agreement number"), str(facts.handover_id)],
            [_("Date"), date_format(local, "DATETIME_FORMAT")],
            [_("Place"), facts.place or "-"],
            [_("Received by"), facts.recipient or "-"],
            [_("Handed over by"), facts.handed_by],
        ]
        if facts.identity_document:
            facts_rows.append([_("Identity checked with"), str(facts.identity_document)])
        if facts.due_on:
            facts_rows.append([_("Bring back by"), date_format(facts.due_on, "DATE_FORMAT")])
        if facts.kind == "sale":
            facts_rows.append([_("Price paid"), _euros(facts.price_cents)])
            facts_rows.append([_("Receipt number"), facts.receipt_number])
        story += [Spacer(1, 4 * mm), Table(facts_rows, colWidths=[50 * mm, 120 * mm])]
        reader = ImageReader(io.BytesIO(facts.signature_png))
        width, height = reader.getSize()
        scale = min(80 * mm / width, 35 * mm / height)
        signature = Image(
            io.BytesIO(facts.signature_png), width=width * scale, height=height * scale
        )
        signature.hAlign = "LEFT"
        story.append(
            KeepTogether(
                [
                    Spacer(1, 6 * mm),
                    Paragraph(escape(_("Signature of the resident")), styles["Heading3"]),
                    signature,
                ]
            )
        )
        doc.build(story)
    return buffer.getvalue()
