"""The English translation: complete, compiled, and what a merchant sees once they switch to EN.

German is the source language: every msgid is the German UI text, LANGUAGE_CODE is "de".
"""

import ast
import gettext
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.factories import (
    ChannelFactory,
    CustomerEmailFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
)

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")

# The navigation and page words that must follow the language.
GERMAN_NAV = ["Bestellungen", "Kunden", "Einstellungen", "Kanäle", "Abmelden"]
ENGLISH_NAV = ["Orders", "Customers", "Settings", "Channels", "Log out"]


def _unquote(parts: list[str]) -> str:
    # A PO string is a C string; its escapes (\" \\ \n \t) read the same as Python's.
    return "".join(ast.literal_eval(part) for part in parts)


def _po_entries(path: Path) -> list[dict]:
    """The entries of a .po file, parsed by hand (no polib): flags, msgid, plural, msgstr forms."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry = {"flags": [], "obsolete": False, "msgid": [], "msgid_plural": None, "msgstr": {}}
        target = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith("msgid_plural "):
                entry["msgid_plural"] = target = [line.removeprefix("msgid_plural ")]
            elif line.startswith("msgid "):
                entry["msgid"] = target = [line.removeprefix("msgid ")]
            elif match := re.match(r"msgstr(?:\[(\d+)\])? (.*)", line):
                target = entry["msgstr"][int(match[1] or 0)] = [match[2]]
            elif line.startswith('"'):
                target.append(line)
        if not entry["msgid"] and not entry["obsolete"]:
            continue
        entries.append(
            {
                "flags": entry["flags"],
                "obsolete": entry["obsolete"],
                "msgid": _unquote(entry["msgid"]) if entry["msgid"] else "",
                "plural": _unquote(entry["msgid_plural"]) if entry["msgid_plural"] else None,
                "msgstr": {n: _unquote(parts) for n, parts in entry["msgstr"].items()},
            }
        )
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[dict]:
    return _po_entries(LC_MESSAGES / "django.po")


@pytest.fixture(scope="module")
def messages(po_entries) -> list[dict]:
    """The real entries: without the header (msgid "")."""
    return [entry for entry in po_entries if entry["msgid"]]


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --- The catalogue ----------------------------------------------------------------------------


def test_the_po_file_has_no_untranslated_fuzzy_or_obsolete_entries(po_entries, messages):
    assert len(messages) > 400
    header = po_entries[0]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]

    fuzzy = [entry["msgid"] for entry in po_entries if "fuzzy" in entry["flags"]]
    obsolete = [entry["msgid"] for entry in po_entries if entry["obsolete"]]
    untranslated = [
        entry["msgid"]
        for entry in messages
        if not entry["msgstr"] or not all(text.strip() for text in entry["msgstr"].values())
    ]
    assert fuzzy == []
    assert obsolete == []
    assert untranslated == []


def test_plural_entries_have_both_forms(messages):
    plurals = [entry for entry in messages if entry["plural"]]
    assert plurals
    for entry in plurals:
        assert sorted(entry["msgstr"]) == [0, 1], entry["msgid"]


def test_translations_keep_the_placeholders(messages):
    """%(name)s and friends must survive translation, else rendering fails or loses a value."""
    for entry in messages:
        if "python-format" not in entry["flags"]:
            continue
        if entry["plural"]:
            # The singular may leave out the count ("Only the most recent order is shown.").
            assert set(PLACEHOLDER.findall(entry["msgstr"][1])) == set(
                PLACEHOLDER.findall(entry["plural"])
            ), entry["msgid"]
            assert set(PLACEHOLDER.findall(entry["msgstr"][0])) <= set(
                PLACEHOLDER.findall(entry["msgid"]) + PLACEHOLDER.findall(entry["plural"])
            ), entry["msgid"]
        else:
            assert sorted(PLACEHOLDER.findall(entry["msgstr"][0])) == sorted(
                PLACEHOLDER.findall(entry["msgid"])
            ), entry["msgid"]


def test_the_committed_mo_file_is_compiled_from_the_po_file(messages):
    """The .mo is committed (CI may lack gettext): it must say what the .po says."""
    with open(LC_MESSAGES / "django.mo", "rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    for entry in messages:
        if entry["plural"]:
            for n, text in entry["msgstr"].items():
                assert catalog.get((entry["msgid"], n)) == text, entry["msgid"]
        else:
            assert catalog.get(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]


# --- The pages ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _back_to_german():
    """LocaleMiddleware activates the request's language for the thread and never resets it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def shop_data(db):
    channel = ChannelFactory(name="Eigener Webshop", auto_anonymize=True, auto_anonymize_days=30)
    customer = CustomerFactory()
    CustomerEmailFactory(customer=customer)
    order = OrderFactory(channel=channel, customer=customer)
    OrderItemFactory(order=order)
    return order


def _pages(order) -> dict[str, str]:
    return {
        "order list": reverse("orders:list"),
        "order": reverse("orders:detail", args=[order.pk]),
        "order history": reverse("orders:detail", args=[order.pk]) + "?tab=history",
        "customer list": reverse("customers:list"),
        "customer": reverse("customers:detail", args=[order.customer.pk]),
        "channel settings": reverse("channels:list"),
        "channel": reverse("channels:edit", args=[order.channel.pk]),
    }


def _german_ui_texts(messages) -> list[str]:
    """German msgids long enough to be unmistakable that translate to something else."""
    return [
        entry["msgid"]
        for entry in messages
        if len(entry["msgid"]) >= 10
        and "%" not in entry["msgid"]
        and entry["msgstr"][0] != entry["msgid"]
    ]


def test_the_pages_speak_english_with_an_english_browser(merchant_client, shop_data, messages):
    german_texts = _german_ui_texts(messages)
    for name, url in _pages(shop_data).items():
        response = merchant_client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        assert response.status_code == 200, name
        assert response.headers["Content-Language"] == "en", name
        text = _visible_text(response.text)
        for word in ENGLISH_NAV:
            assert word in text, (name, word)
        for word in GERMAN_NAV:
            assert not re.search(rf"\b{word}\b", text), (name, word)
        leaked = [german for german in german_texts if german in text]
        assert leaked == [], name


def test_the_pages_english_words(merchant_client, shop_data):
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    order_list = merchant_client.get(reverse("orders:list"), **english).text
    assert "<h1>Order overview</h1>" in order_list
    assert "Order date" in order_list and "Customer data" in order_list
    assert 'lang="en"' in order_list
    assert ">More <" in order_list and "Anonymize" in order_list and "Restore" in order_list

    order = merchant_client.get(reverse("orders:detail", args=[shop_data.pk]), **english).text
    assert f"Order {shop_data.number}" in order
    assert "History & messages" in order
    assert "Billing address" in order and "Create invoice" in order and ">Ship<" in order
    assert "Channel policy" in order and "Expected to be anonymized on" in order

    customers = merchant_client.get(reverse("customers:list"), **english).text
    assert "Customer overview" in customers and "Customer number" in customers

    channels = merchant_client.get(reverse("channels:list"), **english).text
    assert "Settings" in channels and "Automatic anonymization" in channels
    assert "anonymize automatically after 30 days" in channels


def test_the_pages_stay_german_by_default_and_with_a_german_browser(merchant_client, shop_data):
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}):
        for name, url in _pages(shop_data).items():
            response = merchant_client.get(url, **headers)
            assert response.status_code == 200, name
            text = _visible_text(response.text)
            for word in GERMAN_NAV:
                assert word in text, (name, word)
            assert "Log out" not in text and "Settings" not in text, name
        order_list = merchant_client.get(reverse("orders:list"), **headers).text
        assert "<h1>Bestellübersicht</h1>" in order_list
        order = merchant_client.get(reverse("orders:detail", args=[shop_data.pk]), **headers).text
        assert "Verlauf & Nachrichten" in order


def test_the_language_switch_keeps_english_for_the_next_pages(merchant_client, shop_data):
    """The EN/DE select in the top bar posts to set_language, which sets the language cookie."""
    response = merchant_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("orders:list")}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    # The cookie wins over a German browser.
    for url in (reverse("orders:list"), reverse("customers:list"), reverse("channels:list")):
        text = _visible_text(merchant_client.get(url, HTTP_ACCEPT_LANGUAGE="de").text)
        assert "Orders" in text and "Customers" in text and "Bestellungen" not in text

    merchant_client.post(reverse("set_language"), {"language": "de", "next": "/"})
    text = _visible_text(merchant_client.get(reverse("orders:list")).text)
    assert "Bestellübersicht" in text and "Order overview" not in text


def test_the_german_admin_has_no_english_left_from_django(client, staff):
    """Django 6's German catalogs miss a few new admin texts; locale/de fills them in."""
    OrderFactory(total="1234.50")
    client.force_login(staff)

    html = client.get(
        reverse("admin:orders_order_changelist"), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()

    for english in ("Search Bestellungen", "Filter by", "- Select an option -", ">Run<"):
        assert english not in html
    assert "Bestellungen durchsuchen" in html
    assert "Nach Auftragsdatum filtern" in html
    assert "- Bitte auswählen -" in html
    assert ">Ausführen<" in html
    assert "1.234,50 EUR" in html


def test_english_times_use_a_24_hour_clock_no_p_m():
    import datetime

    from django.utils import formats, translation

    moment = datetime.datetime(2026, 12, 3, 17, 5)
    with translation.override("en"):
        short = formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        long = formats.date_format(moment, "DATETIME_FORMAT")

    assert short == "12/03/2026 17:05"
    assert long == "Dec. 3, 2026, 17:05"


@pytest.mark.parametrize(
    ("stored", "german", "english"),
    [
        ("Kanalregel: Amazon DE", "Kanalregel: Amazon DE", "Channel policy: Amazon DE"),
        ("Regel 3", "Regel 3", "Rule 3"),
        ("Zeitplan", "Zeitplan", "Schedule"),
        ("Kommandozeile", "Kommandozeile", "Command line"),
        ("manage.py import_orders", "manage.py import_orders", "manage.py import_orders"),
    ],
)
def test_system_actors_read_in_the_readers_language(stored, german, english):
    # Stored as written (data); the Vorgänge page and the history show them translated.
    from orders.models import actor_label_display

    with translation.override("de"):
        assert actor_label_display(stored) == german
    with translation.override("en"):
        assert actor_label_display(stored) == english
