"""Realistic German demo data for `seed_demo`: name, address and product tables and a row generator.

Pure Python and deterministic for a seed (no Faker: that is only a dev dependency). The generator
plans every order's date up front and hands out batches in order-date order, so running numbers and
invoice numbers rise with the date. Rows are tuples in the column order of `LAYOUT`; writing them
(binary COPY on PostgreSQL, executemany elsewhere) is the command's business.
"""

import datetime
import random
import string
from array import array
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from channels.models import Channel
from customers.models import (
    ADDRESS_FIELDS,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSource,
)
from customers.payment_methods import PaymentMethod
from orders import history
from orders.invoicing import InvoiceLine, invoice_content
from orders.models import Invoice, Order, OrderEvent, OrderItem, OrderMessage, OrderStatus

UTC = datetime.UTC
BERLIN = ZoneInfo("Europe/Berlin")
DAY = 86400.0

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Splits a word table; "_" stands for a space inside an entry ("Am_Sportplatz")."""
    return [word.replace("_", " ") for word in text.split()]


#: The demo channels: name, kind, share of orders (per cent).
DEMO_CHANNELS = (
    ("Amazon", Channel.Kind.AMAZON, 34),
    ("eBay", Channel.Kind.EBAY, 18),
    ("Shopify", Channel.Kind.SHOPIFY, 16),
    ("WooCommerce", Channel.Kind.WOOCOMMERCE, 10),
    ("Eigener Shop", Channel.Kind.SHOP, 16),
    ("Manuell", Channel.Kind.MANUAL, 6),
)

FEMALE_NAMES = _words(
    """Anna Maria Sophie Marie Laura Julia Lea Lena Hannah Emma Mia Lina Clara Emilia
Leonie Sarah Katharina Johanna Charlotte Paula Lisa Jana Nina Franziska Sabine Petra Claudia Andrea
Susanne Stefanie Nicole Birgit Monika Ursula Renate Karin Gabriele Heike Anja Christina Melanie
Sandra Tanja Kerstin Silke Martina Jutta Ingrid Helga Elke Doris Ute Bettina Miriam Carolin Vanessa
Jessica Lara Selin Zeynep Elif Aylin Natalia Olga Ewa Agnieszka Greta Frieda Ida Mathilda"""
)
MALE_NAMES = _words(
    """Alexander Maximilian Paul Leon Lukas Felix Jonas Luca Noah Elias Ben Finn Tim Jan
Niklas Moritz David Julian Philipp Tobias Sebastian Florian Daniel Michael Thomas Andreas Stefan
Christian Markus Martin Frank Jürgen Klaus Peter Wolfgang Uwe Dieter Hans Rainer Bernd Matthias
Thorsten Oliver Sven Dirk Ralf Holger Jens Kai Björn Marco Dennis Patrick Kevin Mehmet Ahmet Mustafa
Can Emre Piotr Tomasz Ivan Dimitri Luis Karl Heinz Günter Henrik Anton Theo Emil"""
)
#: Roughly by frequency in Germany: earlier names are drawn more often.
LAST_NAMES = _words(
    """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer
Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann
Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter
Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller
Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm
Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas
Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer
Arnold Wolff Pfeiffer Yılmaz Kaya Demir Nowak Kowalski Nguyen Öztürk Papadopoulos Rossi Hübner
Ernst Lindner Kramer Jansen Franz Peter Hansen Wenzel Götz Paul Barth Kern Lemke Ritter Marx Haase
Brinkmann Kessler Thiele Nagel Böttcher Schütz Brückner Sander Rieger Eichhorn Wendt"""
)
_LAST_CUM = list(accumulate(1 / (rank + 8) for rank in range(len(LAST_NAMES))))

COMPANY_TRADES = _words(
    """Autohaus Bäckerei Elektro Gartenbau Ingenieurbüro Physiotherapie Zahnarztpraxis
Malerbetrieb Schreinerei Steuerkanzlei Weinhandel Blumen Kfz-Technik Architekturbüro Dachdeckerei
Optik Sanitär Werbeagentur Hausverwaltung Fahrradladen"""
)
COMPANY_FORMS = (
    "GmbH",
    "GmbH",
    "GmbH & Co. KG",
    "KG",
    "OHG",
    "e.K.",
    "UG (haftungsbeschränkt)",
    "AG",
)
_NOT_IN_DOMAIN = {"&", "Co.", "GmbH", "KG", "OHG", "e.K.", "UG", "(haftungsbeschränkt)", "AG"}

STREETS_DE = _words(
    """Hauptstraße Schulstraße Gartenstraße Bahnhofstraße Dorfstraße Bergstraße Birkenweg
Lindenstraße Kirchstraße Waldstraße Ringstraße Schillerstraße Goethestraße Mühlenweg Wiesenweg
Feldstraße Rosenstraße Amselweg Buchenweg Jahnstraße Poststraße Friedhofstraße Beethovenstraße
Mozartstraße Eichendorffstraße Uhlandstraße Kastanienallee Industriestraße Parkstraße Marktplatz
Talstraße Blumenstraße Sonnenstraße Am_Sportplatz Im_Winkel An_der_Kirche Lessingstraße
Friedrichstraße Wilhelmstraße Luisenstraße Kantstraße Hochstraße Burgstraße Brunnenstraße
Erlenweg Tannenweg Ahornweg Drosselweg Meisenweg Finkenweg Lerchenweg Heideweg Am_Hang
Karl-Marx-Straße Rathausstraße Steinweg Neue_Straße Alte_Landstraße"""
)
STREETS = {
    "DE": STREETS_DE,
    "AT": ["Mariahilfer Straße", "Landstraßer Hauptstraße", "Herrengasse", "Kärntner Straße",
           "Linzer Gasse", "Annenstraße", "Getreidegasse", "Museumstraße", *STREETS_DE[:20]],
    "CH": ["Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Kirchweg", "Hauptgasse",
           "Marktgasse", "Rosenweg", "Gartenstrasse", "Schulhausstrasse", "Bergstrasse"],
    "NL": ["Keizersgracht", "Prinsengracht", "Kalverstraat", "Stationsweg", "Kerkstraat",
           "Dorpsstraat", "Molenweg", "Schoolstraat", "Julianalaan", "Beatrixstraat"],
    "FR": ["Rue de la République", "Rue Victor Hugo", "Avenue Jean Jaurès", "Rue de la Paix",
           "Rue du Général de Gaulle", "Boulevard Haussmann", "Rue des Écoles", "Grand Rue"],
}  # fmt: skip

#: City, state/region, lowest and highest postcode, area code, weight (roughly population).
CITIES = {
    "DE": [
        ("Berlin", "Berlin", 10115, 14199, "30", 370),
        ("Hamburg", "Hamburg", 20095, 22769, "40", 185),
        ("München", "Bayern", 80331, 81929, "89", 150),
        ("Köln", "Nordrhein-Westfalen", 50667, 51149, "221", 108),
        ("Frankfurt am Main", "Hessen", 60306, 60599, "69", 77),
        ("Stuttgart", "Baden-Württemberg", 70173, 70629, "711", 63),
        ("Düsseldorf", "Nordrhein-Westfalen", 40210, 40629, "211", 62),
        ("Leipzig", "Sachsen", 4103, 4357, "341", 60),
        ("Dortmund", "Nordrhein-Westfalen", 44135, 44388, "231", 59),
        ("Essen", "Nordrhein-Westfalen", 45127, 45359, "201", 58),
        ("Bremen", "Bremen", 28195, 28779, "421", 57),
        ("Dresden", "Sachsen", 1067, 1328, "351", 56),
        ("Hannover", "Niedersachsen", 30159, 30669, "511", 54),
        ("Nürnberg", "Bayern", 90402, 90491, "911", 52),
        ("Duisburg", "Nordrhein-Westfalen", 47051, 47279, "203", 50),
        ("Bochum", "Nordrhein-Westfalen", 44787, 44894, "234", 36),
        ("Wuppertal", "Nordrhein-Westfalen", 42103, 42399, "202", 35),
        ("Bielefeld", "Nordrhein-Westfalen", 33602, 33739, "521", 33),
        ("Bonn", "Nordrhein-Westfalen", 53111, 53229, "228", 33),
        ("Münster", "Nordrhein-Westfalen", 48143, 48167, "251", 32),
        ("Mannheim", "Baden-Württemberg", 68159, 68309, "621", 31),
        ("Karlsruhe", "Baden-Württemberg", 76131, 76229, "721", 31),
        ("Augsburg", "Bayern", 86150, 86199, "821", 30),
        ("Wiesbaden", "Hessen", 65183, 65207, "611", 28),
        ("Aachen", "Nordrhein-Westfalen", 52062, 52080, "241", 25),
        ("Braunschweig", "Niedersachsen", 38100, 38126, "531", 25),
        ("Kiel", "Schleswig-Holstein", 24103, 24159, "431", 25),
        ("Chemnitz", "Sachsen", 9111, 9247, "371", 24),
        ("Halle (Saale)", "Sachsen-Anhalt", 6108, 6132, "345", 24),
        ("Magdeburg", "Sachsen-Anhalt", 39104, 39130, "391", 24),
        ("Freiburg im Breisgau", "Baden-Württemberg", 79098, 79117, "761", 23),
        ("Mainz", "Rheinland-Pfalz", 55116, 55131, "6131", 22),
        ("Lübeck", "Schleswig-Holstein", 23552, 23570, "451", 22),
        ("Erfurt", "Thüringen", 99084, 99099, "361", 21),
        ("Rostock", "Mecklenburg-Vorpommern", 18055, 18147, "381", 21),
        ("Kassel", "Hessen", 34117, 34134, "561", 20),
        ("Potsdam", "Brandenburg", 14467, 14482, "331", 18),
        ("Saarbrücken", "Saarland", 66111, 66133, "681", 18),
        ("Heidelberg", "Baden-Württemberg", 69115, 69126, "6221", 16),
        ("Regensburg", "Bayern", 93047, 93059, "941", 15),
        ("Würzburg", "Bayern", 97070, 97084, "931", 13),
        ("Göttingen", "Niedersachsen", 37073, 37085, "551", 12),
        ("Oldenburg", "Niedersachsen", 26121, 26135, "441", 17),
        ("Osnabrück", "Niedersachsen", 49074, 49090, "541", 16),
        ("Ulm", "Baden-Württemberg", 89073, 89081, "731", 13),
        ("Jena", "Thüringen", 7743, 7751, "3641", 11),
        ("Schwerin", "Mecklenburg-Vorpommern", 19053, 19063, "385", 10),
        ("Trier", "Rheinland-Pfalz", 54290, 54296, "651", 11),
        ("Koblenz", "Rheinland-Pfalz", 56068, 56077, "261", 11),
        ("Konstanz", "Baden-Württemberg", 78462, 78467, "7531", 9),
        ("Passau", "Bayern", 94032, 94036, "851", 5),
        ("Cottbus", "Brandenburg", 3042, 3055, "355", 10),
        ("Flensburg", "Schleswig-Holstein", 24937, 24944, "461", 9),
        ("Bamberg", "Bayern", 96047, 96052, "951", 8),
        ("Weimar", "Thüringen", 99423, 99428, "3643", 7),
        ("Lüneburg", "Niedersachsen", 21335, 21339, "4131", 8),
        ("Gießen", "Hessen", 35390, 35398, "641", 9),
        ("Bad Homburg vor der Höhe", "Hessen", 61348, 61352, "6172", 5),
        ("Garmisch-Partenkirchen", "Bayern", 82467, 82467, "8821", 3),
        ("Wernigerode", "Sachsen-Anhalt", 38855, 38855, "3943", 3),
        ("Meißen", "Sachsen", 1662, 1665, "3521", 3),
    ],
    "AT": [
        ("Wien", "Wien", 1010, 1230, "1", 190),
        ("Graz", "Steiermark", 8010, 8055, "316", 29),
        ("Linz", "Oberösterreich", 4020, 4040, "732", 21),
        ("Salzburg", "Salzburg", 5020, 5026, "662", 15),
        ("Innsbruck", "Tirol", 6020, 6080, "512", 13),
        ("Klagenfurt am Wörthersee", "Kärnten", 9020, 9073, "463", 10),
    ],
    "CH": [
        ("Zürich", "Zürich", 8001, 8064, "44", 42),
        ("Bern", "Bern", 3001, 3030, "31", 13),
        ("Basel", "Basel-Stadt", 4001, 4059, "61", 17),
        ("Luzern", "Luzern", 6002, 6015, "41", 8),
        ("St. Gallen", "St. Gallen", 9000, 9016, "71", 8),
        ("Winterthur", "Zürich", 8400, 8411, "52", 11),
    ],
    "NL": [
        ("Amsterdam", "Noord-Holland", 1011, 1109, "20", 90),
        ("Rotterdam", "Zuid-Holland", 3011, 3089, "10", 65),
        ("Utrecht", "Utrecht", 3511, 3585, "30", 36),
        ("Venlo", "Limburg", 5911, 5928, "77", 10),
        ("Enschede", "Overijssel", 7511, 7548, "53", 16),
    ],
    "FR": [
        ("Paris", "Île-de-France", 75001, 75020, "1", 210),
        ("Strasbourg", "Grand Est", 67000, 67200, "3", 29),
        ("Lyon", "Auvergne-Rhône-Alpes", 69001, 69009, "4", 52),
        ("Metz", "Grand Est", 57000, 57070, "3", 12),
        ("Mulhouse", "Grand Est", 68100, 68200, "3", 11),
    ],
}
_CITY_CUM = {country: list(accumulate(c[5] for c in cities)) for country, cities in CITIES.items()}
COUNTRIES = ("DE", "AT", "CH", "NL", "FR")
_COUNTRY_CUM = list(accumulate((88, 6, 3, 2, 1)))
PHONE_PREFIX = {"DE": "+49", "AT": "+43", "CH": "+41", "NL": "+31", "FR": "+33"}
MOBILE_CODES = {
    "DE": ("151", "152", "157", "160", "162", "170", "171", "172", "173", "175", "176", "178"),
    "AT": ("650", "660", "664", "676", "699"),
    "CH": ("76", "77", "78", "79"),
    "NL": ("6",),
    "FR": ("6", "7"),
}
MAIL_DOMAINS = {
    "DE": ("web.de", "gmx.de", "gmx.net", "t-online.de", "gmail.com", "outlook.de", "posteo.de",
           "mailbox.org", "icloud.com", "yahoo.de", "freenet.de", "arcor.de"),
    "AT": ("gmx.at", "aon.at", "gmail.com", "chello.at"),
    "CH": ("bluewin.ch", "gmx.ch", "gmail.com", "hispeed.ch"),
    "NL": ("ziggo.nl", "kpnmail.nl", "gmail.com", "hotmail.nl"),
    "FR": ("orange.fr", "free.fr", "gmail.com", "laposte.net"),
}  # fmt: skip

#: Product title, SKU stem, gross price, VAT rate (7 % for books, food, plants; else 19 %).
PRODUCTS = [
    ("Kaffeebecher Steingut 350 ml", "KB-350", "12.50", 19), ("Teekanne Glas 1,2 l", "TK-12", "24.90", 19),
    ("Bio-Espressobohnen 1 kg", "ESP-1000", "21.90", 7), ("Darjeeling First Flush 100 g", "TEE-DFF", "9.80", 7),
    ("Olivenöl nativ extra 0,75 l", "OEL-075", "14.95", 7), ("Honig aus der Heide 500 g", "HON-500", "8.49", 7),
    ("Schokolade Zartbitter 70 % (5er-Pack)", "SCH-70-5", "12.45", 7), ("Gewürzset Orient", "GEW-ORI", "17.90", 7),
    ("Kochbuch „Heimatküche“", "BUCH-HK", "28.00", 7), ("Roman „Die Mittagsfrau“ (Taschenbuch)", "BUCH-MF", "13.00", 7),
    ("Reiseführer Ostsee", "BUCH-OST", "16.95", 7), ("Kinderbuch „Der Grüffelo“", "BUCH-GRU", "9.99", 7),
    ("Zimmerpflanze Monstera im Topf", "PFL-MON", "34.90", 7), ("Blumenzwiebeln Tulpen-Mix (30 Stück)", "PFL-TUL", "11.90", 7),
    ("Bratpfanne Gusseisen 28 cm", "PF-28", "49.90", 19), ("Messerblock 6-teilig", "MB-6", "89.00", 19),
    ("Schneidebrett Eiche", "SB-EI", "29.95", 19), ("Küchenwaage digital", "KW-DIG", "19.99", 19),
    ("Wasserkocher Edelstahl 1,7 l", "WK-17", "39.99", 19), ("Brotkasten Bambus", "BK-BAM", "32.50", 19),
    ("Bettwäsche Satin 135×200", "BW-135", "59.90", 19), ("Frottee-Handtuch 50×100", "HT-50", "14.90", 19),
    ("Kuscheldecke Fleece", "KD-FL", "24.99", 19), ("Duftkerze Lavendel", "DK-LAV", "12.90", 19),
    ("Gartenschere Bypass", "GS-BY", "27.90", 19), ("Gießkanne verzinkt 10 l", "GK-10", "34.00", 19),
    ("Hochbeet Lärche 120×60", "HB-120", "149.00", 19), ("Vogelhaus Kiefer", "VH-KI", "39.90", 19),
    ("Solar-Gartenleuchte (4er-Set)", "SGL-4", "29.99", 19), ("Rasensamen Sport & Spiel 2 kg", "RS-2", "18.95", 19),
    ("T-Shirt Bio-Baumwolle", "TS-BIO", "19.90", 19), ("Kapuzenpullover", "HO-KP", "49.95", 19),
    ("Jeans Slim Fit", "JE-SF", "69.90", 19), ("Merino-Socken (3 Paar)", "SO-MER", "24.90", 19),
    ("Regenjacke wasserdicht", "RJ-WD", "119.00", 19), ("Wollmütze", "MU-WO", "22.00", 19),
    ("Ledergürtel", "GU-LE", "34.90", 19), ("Sneaker Canvas", "SN-CA", "59.00", 19),
    ("USB-C-Ladekabel 2 m", "USB-C-2", "12.99", 19), ("Powerbank 10.000 mAh", "PB-10K", "29.99", 19),
    ("Bluetooth-Kopfhörer", "BT-KH", "79.00", 19), ("Smartphone-Hülle Silikon", "SH-SIL", "14.99", 19),
    ("LED-Schreibtischlampe", "LED-SL", "44.90", 19), ("Funkmaus ergonomisch", "FM-ERG", "34.99", 19),
    ("Mehrfachsteckdose 6-fach", "MS-6", "19.95", 19), ("HDMI-Kabel 1,5 m", "HDMI-15", "9.99", 19),
    ("Notizbuch A5 dotted", "NB-A5", "14.50", 19), ("Füllfederhalter Edelstahl", "FH-ES", "39.00", 19),
    ("Aktenordner (10er-Pack)", "AO-10", "24.90", 19), ("Druckerpapier A4 (2.500 Blatt)", "DP-2500", "27.99", 19),
    ("Holzeisenbahn Starterset", "HE-ST", "49.99", 19), ("Puzzle 1000 Teile „Alpen“", "PZ-1000", "16.99", 19),
    ("Brettspiel „Siedler“", "BS-SIE", "39.99", 19), ("Plüschteddy 30 cm", "PT-30", "19.99", 19),
    ("Naturkosmetik Gesichtscreme 50 ml", "NK-GC", "18.90", 19), ("Shampoo fest (2er-Set)", "SH-FE", "13.90", 19),
    ("Zahnbürste Bambus (4 Stück)", "ZB-BA", "9.90", 19), ("Handseife Olive 500 ml", "HS-OL", "6.95", 19),
    ("Yogamatte rutschfest", "YM-RF", "34.95", 19), ("Trinkflasche Edelstahl 0,75 l", "TF-075", "24.90", 19),
    ("Fahrradschloss Bügel", "FS-BUE", "44.00", 19), ("Hundeleine Leder", "HL-LE", "29.00", 19),
    ("Katzenkratzbaum 120 cm", "KKB-120", "89.90", 19), ("Trockenfutter Hund 12 kg", "TF-H12", "54.90", 7),
]  # fmt: skip
PRODUCTS = [(title, sku, Decimal(price), Decimal(tax)) for title, sku, price, tax in PRODUCTS]
VARIANTS = {
    "TS-BIO": ("S", "M", "L", "XL"), "HO-KP": ("S", "M", "L", "XL"), "JE-SF": ("30/32", "32/32", "34/34"),
    "SO-MER": ("39-42", "43-46"), "RJ-WD": ("M", "L", "XL"), "SN-CA": ("38", "40", "42", "44"),
}  # fmt: skip
COLOURS = ("Schwarz", "Weiß", "Anthrazit", "Navy", "Salbei", "Rot")

PAYMENT_METHODS = (  # method, token prefix ("" = no PSP token), weight
    (PaymentMethod.PAYPAL, "tok_", 36), (PaymentMethod.CREDIT_CARD, "pm_", 20),
    (PaymentMethod.DIRECT_DEBIT, "pm_", 12), (PaymentMethod.KLARNA, "tok_", 14),
    (PaymentMethod.INVOICE, "", 10), (PaymentMethod.PREPAYMENT, "", 8),
)  # fmt: skip
_PAYMENT_CUM = list(accumulate(p[2] for p in PAYMENT_METHODS))
MARKETPLACE_PAYMENT = {
    Channel.Kind.AMAZON: PaymentMethod.AMAZON_PAY,
    Channel.Kind.EBAY: PaymentMethod.EBAY,
}

NOTES = (
    "Kunde bittet um Lieferung nach 17 Uhr.", "Geschenkverpackung gewünscht.",
    "Rechnung bitte zusätzlich per Post schicken.", "Stammkunde: Gratisprobe beilegen.",
    "Teillieferung telefonisch vereinbart.", "Lieferadresse telefonisch bestätigt.",
    "Zahlungseingang manuell geprüft.", "Reklamation: Ersatz ist unterwegs.",
    "Bitte nicht beim Nachbarn abgeben.", "Abholung im Lager vereinbart.",
)  # fmt: skip
BUYER_MESSAGES = (
    ("Frage zur Lieferung", "Hallo, wann wird meine Bestellung {ext} verschickt? Viele Grüße, {name}"),
    ("Lieferadresse ändern", "Guten Tag, könnten Sie die Sendung bitte an meine Packstation schicken? Danke, {name}"),
    ("Rechnung benötigt", "Hallo, ich brauche für meine Firma eine Rechnung mit ausgewiesener MwSt. Gruß {name}"),
    ("Artikel beschädigt", "Leider kam ein Artikel beschädigt an. Ein Foto habe ich angehängt. {name}"),
    ("Umtausch", "Kann ich die Größe umtauschen? Die Ware ist ungetragen. Freundliche Grüße, {name}"),
    ("Frage zum Artikel", "Ist der Artikel spülmaschinenfest? Danke für eine kurze Info! {name}"),
)  # fmt: skip
REPLIES = (
    "Hallo {first}, vielen Dank für Ihre Nachricht. Ihre Bestellung geht heute an den Versand. "
    "Freundliche Grüße, Ihr Kundenservice",
    "Guten Tag {first} {last}, wir haben Ihr Anliegen notiert und melden uns morgen. Ihr Kundenservice",
    "Hallo {first}, das ist kein Problem. Wir schicken Ihnen ein Retourenetikett per E-Mail. "
    "Viele Grüße, Ihr Kundenservice",
)
LINE2 = ("2. OG", "Hinterhaus", "c/o {company}", "Apartment {n}", "Seiteneingang", "3. OG links")
AMAZON_PREFIXES = ("028", "302", "303", "304", "305", "306")

#: Status weights by order age: days up to, (new, paid, invoiced, shipped, cancelled, archived).
STATUS_BY_AGE = (
    (2, (55, 25, 5, 10, 5, 0)),
    (14, (10, 15, 15, 55, 5, 0)),
    (60, (1, 2, 5, 80, 5, 7)),
    (float("inf"), (0.3, 0.5, 1.2, 45, 5, 48)),
)
STATUSES = tuple(
    status.value
    for status in (
        OrderStatus.NEW,
        OrderStatus.PAID,
        OrderStatus.INVOICED,
        OrderStatus.SHIPPED,
        OrderStatus.CANCELLED,
        OrderStatus.ARCHIVED,
    )
)
_STATUS_CUM = [(days, list(accumulate(weights))) for days, weights in STATUS_BY_AGE]

#: Column order of the generated rows, per model (attnames; the command writes them as given).
LAYOUT = {
    Customer: ("id", "privacy_state", "anonymized_at", "purge_on", "number", "first_name",
               "last_name", "company", "vat_id", "birth_date", "extra_fields", "payment_method",
               "psp_token", "created_at", "version", "modified_by_id"),
    CustomerEmail: ("id", "customer_id", "email"),
    CustomerPhone: ("id", "customer_id", "number"),
    CustomerSource: ("id", "customer_id", "channel_id", "external_id"),
    Address: ("id", "privacy_state", "anonymized_at", "purge_on", "customer_id", "first_name",
              "last_name", "company", "street", "house_number", "line2", "postcode", "city",
              "state", "country"),
    Order: ("id", "privacy_state", "anonymized_at", "purge_on", "number", "channel_id",
            "external_number", "customer_id", "billing_entry_id", "shipping_entry_id",
            "order_date", "payment_date", "invoice_date", "delivery_date", "status", "total",
            "currency", "payment_method", "buyer_email", "buyer_phone", "notes", "invoice_number",
            "tracking_number", "restored_at", "restore_failure", "restore_failed_at",
            "privacy_job_id", "created_at", "version",
            *(f"billing_{name}" for name in ADDRESS_FIELDS),
            *(f"shipping_{name}" for name in ADDRESS_FIELDS)),
    Invoice: ("id", "order_id", "number", "issued_at", "content", "buyer"),
    OrderItem: ("id", "order_id", "sku", "title", "quantity", "unit_price", "tax_rate"),
    OrderMessage: ("id", "order_id", "direction", "subject", "body", "sent_at"),
    OrderEvent: ("id", *history.EVENT_COLUMNS),
}  # fmt: skip
_INVOICE_NUMBER = LAYOUT[Order].index("invoice_number")
_CREATED_AT = LAYOUT[Order].index("created_at")
_CREATED = OrderEvent.Kind.CREATED.value
_IMPORT = history.Actor.system("Import")

_ASCII = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "é": "e", " ": "", "'": ""}
)
_ALNUM = string.ascii_lowercase + string.digits
_UPPER = string.ascii_uppercase + string.digits


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------


class _FastRandom(random.Random):
    """Float-based choice/randint/randrange: about three times faster than the exact originals
    (which draw bits until the result is unbiased), and more than uniform enough for demo data."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))


@dataclass
class DemoChannel:
    id: int
    kind: str
    weight: int
    serial: int  # orders this channel already has: shop-style external numbers continue from it


@dataclass
class Batch:
    rows: dict[type, list] = field(default_factory=lambda: {model: [] for model in LAYOUT})
    # (order row, its invoice row, year of the invoice date)
    invoice_years: list[tuple[list, list, int]] = field(default_factory=list)

    def invoice_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for _row, _invoice, year in self.invoice_years:
            counts[year] = counts.get(year, 0) + 1
        return counts

    def number_invoices(self, first_by_year: dict[int, int]) -> None:
        """Fills "RE-<year>-<n>" into the invoiced orders and their invoices, counting up from
        the given numbers."""
        following = dict(first_by_year)
        for row, invoice, year in self.invoice_years:
            row[_INVOICE_NUMBER] = invoice[2] = f"RE-{year}-{following[year]:05d}"
            following[year] += 1

    def count(self, model: type) -> int:
        return len(self.rows[model])


class _CustomerState:
    """What later orders of a customer need: kept only while the customer has orders to come."""

    __slots__ = ("address_values", "addresses", "company", "emails", "first", "home", "id",
                 "last", "payment", "phones", "sources")  # fmt: skip

    def __init__(self, **values):
        for name, value in values.items():
            setattr(self, name, value)


class DemoGenerator:
    """Plans N orders over the last `years` years and yields them as row batches, oldest first."""

    def __init__(
        self,
        *,
        seed: int,
        channels: list[DemoChannel],
        now: datetime.datetime,
        first_order_number: int,
        first_customer_number: int,
        next_id: Callable[[type], int],
        years: int = 3,
    ):
        self.seed = seed
        self.channels = channels
        self._channel_cum = list(accumulate(ch.weight for ch in channels))
        self.now_ts = now.timestamp()
        self.start_ts = self.now_ts - years * 365 * DAY
        self.next_order_number = first_order_number
        self.next_customer_number = first_customer_number
        self.next_id = next_id
        self._customers: dict[int, _CustomerState] = {}

    # -- planning ---------------------------------------------------------------------------

    def plan(self, n_orders: int) -> None:
        """Draws how many orders each customer places and when; sorts all orders by date."""
        rng = _FastRandom(f"{self.seed}:plan")
        span = self.now_ts - self.start_ts
        keys: list[int] = []
        remaining = array("B")
        home = array("B")
        customer = 0
        while len(keys) < n_orders:
            count = 1 if rng.random() < 0.6 else rng.randint(2, 6)
            # More orders lately (the business grows): density rises towards today.
            t = self.start_ts + span * rng.random() ** 0.75
            times = [t]
            for _ in range(count - 1):
                t += DAY + rng.expovariate(1 / (90 * DAY))
                if t >= self.now_ts - 60:
                    break
                times.append(t)
            times = times[: n_orders - len(keys)]
            # One sortable int per order: the millisecond of the order date, then the customer.
            keys.extend((int(ts * 1000) << 32) | customer for ts in times)
            remaining.append(len(times))
            home.append(bisect(self._channel_cum, rng.random() * self._channel_cum[-1]))
            customer += 1
        keys.sort()
        self._keys = keys
        self._remaining = remaining
        self._home = home

    @property
    def planned_customers(self) -> int:
        return len(self._remaining)

    # -- batches ----------------------------------------------------------------------------

    def batches(self, batch_size: int) -> Iterator[Batch]:
        for batch_no, start in enumerate(range(0, len(self._keys), batch_size)):
            rng = _FastRandom(f"{self.seed}:{batch_no}")
            batch = Batch()
            for key in self._keys[start : start + batch_size]:
                self._order(rng, batch, (key >> 32) / 1000, key & 0xFFFFFFFF)
            yield batch

    def _order(self, rng: random.Random, batch: Batch, ts: float, ci: int) -> None:
        rows = batch.rows
        state = self._customers.get(ci)
        first_order = state is None
        if first_order:
            state = self._customer(rng, batch, ci, ts)
        self._remaining[ci] -= 1
        if self._remaining[ci] == 0:
            self._customers.pop(ci, None)
        else:
            self._customers[ci] = state

        channel = state.home
        if not first_order and rng.random() < 0.45:
            channel = self._pick_channel(rng)
        if channel.id not in state.sources:
            state.sources.add(channel.id)
            rows[CustomerSource].append(
                (self.next_id(CustomerSource), state.id, channel.id, self._source_id(rng, channel))
            )

        addresses = state.addresses
        billing = addresses[0]
        if len(addresses) > 1 and rng.random() < 0.2:
            billing = rng.choice(addresses)
        shipping = billing
        if len(addresses) > 1 and rng.random() < 0.3:
            shipping = rng.choice([a for a in addresses if a != billing])

        now = self.now_ts
        age_days = (now - ts) / DAY
        for days, cum in _STATUS_CUM:
            if age_days < days:
                status = STATUSES[bisect(cum, rng.random() * cum[-1])]
                break
        kind = channel.kind
        payment_method = MARKETPLACE_PAYMENT.get(kind) or state.payment or PaymentMethod.INVOICE
        paid = invoiced = delivered = None
        if status != OrderStatus.NEW and (status != OrderStatus.CANCELLED or rng.random() < 0.3):
            wait = (
                rng.uniform(1, 5) * DAY
                if payment_method == PaymentMethod.PREPAYMENT
                else rng.uniform(20, 1800)
            )
            paid = min(ts + wait, now)
        if status in (OrderStatus.INVOICED, OrderStatus.SHIPPED, OrderStatus.ARCHIVED):
            invoiced = min(paid + rng.uniform(600, 2 * DAY), now)
        if status in (OrderStatus.SHIPPED, OrderStatus.ARCHIVED):
            delivered = min(invoiced + rng.uniform(0.2, 4) * DAY, now)

        order_id = self.next_id(Order)
        total = Decimal(0)
        items = rows[OrderItem]
        first_item = len(items)
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            title, sku, price, tax = rng.choice(PRODUCTS)
            variants = VARIANTS.get(sku)
            if variants:
                size, colour = rng.choice(variants), rng.choice(COLOURS)
                title = f"{title}, Größe {size}, {colour}"
                sku = f"{sku}-{size.replace('/', '')}-{colour[:3].upper()}"
            quantity = 1 if rng.random() < 0.78 else rng.randint(2, 4)
            total += price * quantity
            items.append((self.next_id(OrderItem), order_id, sku, title, quantity, price, tax))

        if kind == Channel.Kind.AMAZON:
            buyer_email = f"{''.join(rng.choices(_ALNUM, k=15))}@marketplace.amazon.de"
            buyer_phone = ""
        else:
            buyer_email = rng.choice(state.emails)
            buyer_phone = state.phones[0] if state.phones and rng.random() < 0.7 else ""
        created = min(ts + rng.uniform(60, 1200), now)
        order_date = datetime.datetime.fromtimestamp(ts, UTC)
        row = [
            order_id, "active", None, None, self.next_order_number, channel.id,
            self._external_number(rng, channel, order_date), state.id, billing, shipping,
            order_date, _dt(paid), _dt(invoiced), _dt(delivered), status, total, "EUR",
            payment_method, buyer_email, buyer_phone,
            rng.choice(NOTES) if rng.random() < 0.07 else "",
            None, _tracking_number(rng, kind) if delivered else "", None, "", None, None,
            _dt(created), 1,
            *state.address_values[billing], *state.address_values[shipping],
        ]  # fmt: skip
        self.next_order_number += 1
        rows[Order].append(row)
        if invoiced is not None:
            batch.invoice_years.append(
                (
                    row,
                    self._invoice(batch, row, items[first_item:], _dt(invoiced)),
                    datetime.datetime.fromtimestamp(invoiced, BERLIN).year,
                )
            )
        created = history.event_row(order_id, _CREATED, actor=_IMPORT, created_at=row[_CREATED_AT])
        rows[OrderEvent].append((self.next_id(OrderEvent), *created))
        if rng.random() < 0.08:
            self._messages(rng, batch, order_id, row[6], state, ts)

    def _invoice(self, batch: Batch, row: list, items: list, issued_at: datetime.datetime) -> list:
        """The order's invoice, frozen as the invoicing service freezes it (number: later); it
        prints the order's own addresses (buyer NULL)."""
        content = invoice_content(
            order_number=row[4],
            external_number=row[6],
            order_date=row[10],
            delivery_date=row[13],
            currency=row[16],
            payment_method=row[17],
            items=[InvoiceLine(*item[2:]) for item in items],
        )
        invoice = [self.next_id(Invoice), row[0], None, issued_at, content, None]
        batch.rows[Invoice].append(invoice)
        return invoice

    def _messages(self, rng, batch, order_id, external, state, ts) -> None:
        subject, body = rng.choice(BUYER_MESSAGES)
        name = f"{state.first} {state.last}"
        asked = min(ts + rng.uniform(0.05, 3) * DAY, self.now_ts)
        messages = batch.rows[OrderMessage]
        messages.append((
            self.next_id(OrderMessage), order_id, "in", subject,
            body.format(ext=external or "", name=name), _dt(asked),
        ))  # fmt: skip
        if rng.random() < 0.6:
            answered = min(asked + rng.uniform(0.5, 20) * 3600, self.now_ts)
            reply = rng.choice(REPLIES).format(first=state.first, last=state.last)
            messages.append(
                (
                    self.next_id(OrderMessage),
                    order_id,
                    "out",
                    f"AW: {subject}",
                    reply,
                    _dt(answered),
                )
            )

    def _customer(self, rng: random.Random, batch: Batch, ci: int, ts: float) -> _CustomerState:
        rows = batch.rows
        customer_id = self.next_id(Customer)
        female = rng.random() < 0.5
        first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        last = LAST_NAMES[bisect(_LAST_CUM, rng.random() * _LAST_CUM[-1])]
        country = COUNTRIES[bisect(_COUNTRY_CUM, rng.random() * _COUNTRY_CUM[-1])]
        city = _city(rng, country)
        company = vat_id = ""
        extra: dict[str, str] = {}
        if rng.random() < 0.12:
            company = _company(rng, last, city[0])
            if rng.random() < 0.7:
                vat_id = _vat_id(rng, country)
            if rng.random() < 0.5:
                extra["Kostenstelle"] = f"KST-{rng.randint(1000, 9999)}"
        if rng.random() < 0.1:
            extra["Affiliate-Code"] = f"PARTNER-{''.join(rng.choices(_UPPER, k=6))}"
        birth_date = None
        if not company and rng.random() < 0.25:
            birth_date = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(23725))
        payment = token = ""
        if rng.random() < 0.75:
            payment, prefix, _weight = PAYMENT_METHODS[
                bisect(_PAYMENT_CUM, rng.random() * _PAYMENT_CUM[-1])
            ]
            if prefix:
                token = prefix + "".join(rng.choices(string.ascii_letters + string.digits, k=24))
        created = _dt(min(ts + rng.uniform(60, 1200), self.now_ts))
        rows[Customer].append((
            customer_id, "active", None, None, self.next_customer_number, first, last, company,
            vat_id, birth_date, extra, payment, token, created, 1, None,
        ))  # fmt: skip
        self.next_customer_number += 1

        emails = [_email(rng, first, last, company, country)]
        if rng.random() < 0.25:
            emails.append(_email(rng, first, last, "", country))
        for email in emails:
            rows[CustomerEmail].append((self.next_id(CustomerEmail), customer_id, email))
        phones = []
        for _ in range(rng.choice((0, 0, 0, 1, 1, 1, 1, 1, 2, 2))):
            phones.append(_phone(rng, country, city[4]))
            rows[CustomerPhone].append((self.next_id(CustomerPhone), customer_id, phones[-1]))

        address_ids = []
        for n in range(rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 2, 3))):
            # Another address: the office, the parents, a holiday flat … sometimes abroad.
            if n and rng.random() < 0.5:
                country = COUNTRIES[bisect(_COUNTRY_CUM, rng.random() * _COUNTRY_CUM[-1])]
                city = _city(rng, country)
            recipient_first, recipient_last = first, last
            if n and rng.random() < 0.2:  # a present for someone in the family
                recipient_first = rng.choice(MALE_NAMES if female else FEMALE_NAMES)
            address_id = self.next_id(Address)
            address_ids.append(address_id)
            rows[Address].append(
                _address_row(rng, address_id, customer_id, recipient_first, recipient_last,
                             company if n == 0 else "", country, city)
            )  # fmt: skip

        return _CustomerState(
            id=customer_id, first=first, last=last, company=company, emails=emails,
            phones=phones, addresses=address_ids, payment=payment,
            address_values={row[0]: row[5:] for row in rows[Address][-len(address_ids):]},
            home=self.channels[self._home[ci]], sources=set(),
        )  # fmt: skip

    def _pick_channel(self, rng: random.Random) -> DemoChannel:
        return self.channels[bisect(self._channel_cum, rng.random() * self._channel_cum[-1])]

    def _source_id(self, rng: random.Random, channel: DemoChannel) -> str:
        kind = channel.kind
        if kind == Channel.Kind.AMAZON:
            return "A" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=13))
        if kind == Channel.Kind.EBAY:
            return f"ebay-{''.join(rng.choices(_ALNUM, k=10))}"
        if kind == Channel.Kind.SHOPIFY:  # starts with 7: not an issuer digit of card numbers
            return f"7{rng.randrange(10**12):012d}"
        if kind == Channel.Kind.WOOCOMMERCE:
            return str(rng.randint(100, 99999))
        return f"K-{rng.randint(10000, 999999)}"

    def _external_number(
        self, rng: random.Random, channel: DemoChannel, order_date: datetime.datetime
    ) -> str:
        kind = channel.kind
        if kind == Channel.Kind.AMAZON:
            return (
                f"{rng.choice(AMAZON_PREFIXES)}-{rng.randrange(10**7):07d}-"
                f"{rng.randrange(10**7):07d}"
            )
        if kind == Channel.Kind.EBAY:
            return f"{rng.randint(1, 27):02d}-{rng.randrange(10**5):05d}-{rng.randrange(10**5):05d}"
        if kind == Channel.Kind.MANUAL:
            return ""
        channel.serial += 1
        if kind == Channel.Kind.SHOPIFY:
            return f"#{1000 + channel.serial}"
        if kind == Channel.Kind.WOOCOMMERCE:
            return str(4700 + channel.serial)
        return f"ES-{order_date.year}-{channel.serial:06d}"


def _dt(ts: float | None) -> datetime.datetime | None:
    return None if ts is None else datetime.datetime.fromtimestamp(ts, UTC)


def _city(rng: random.Random, country: str) -> tuple:
    cum = _CITY_CUM[country]
    return CITIES[country][bisect(cum, rng.random() * cum[-1])]


def _postcode(rng: random.Random, country: str, low: int, high: int) -> str:
    code = rng.randint(low, high)
    if country == "DE" or country == "FR":
        return f"{code:05d}"
    if country == "NL":
        return f"{code} {rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}"
    return str(code)


def _address_row(rng, address_id, customer_id, first, last, company, country, city) -> tuple:
    name, state, low, high, _area, _weight = city
    house = str(rng.randint(1, 120) if rng.random() < 0.8 else rng.randint(1, 12))
    if rng.random() < 0.08:
        house += rng.choice("abc")
    street = rng.choice(STREETS[country])
    line2 = ""
    if country == "DE" and rng.random() < 0.04:
        street, house, line2 = "Packstation", str(rng.randint(100, 299)), (
            f"Postnummer {rng.randrange(10**8):08d}"
        )  # fmt: skip
    elif rng.random() < 0.12:
        line2 = rng.choice(LINE2).format(company=company or "Hausverwaltung", n=rng.randint(1, 40))
    return (
        address_id, "active", None, None, customer_id, first, last, company, street, house,
        line2, _postcode(rng, country, low, high), name, state, country,
    )  # fmt: skip


def _company(rng: random.Random, last: str, city: str) -> str:
    form = rng.choice(COMPANY_FORMS)
    pattern = rng.random()
    if pattern < 0.4:
        return f"{last} {form}"
    if pattern < 0.6:
        return f"{last} & {LAST_NAMES[rng.randrange(60)]} {form}"
    if pattern < 0.9:
        return f"{rng.choice(COMPANY_TRADES)} {last} {form}"
    return f"{city.split()[0]}er Handelskontor {form}"


def _vat_id(rng: random.Random, country: str) -> str:
    if country == "AT":
        return f"ATU{rng.randrange(10**8):08d}"
    if country == "CH":
        n = f"{rng.randrange(10**9):09d}"
        return f"CHE-{n[:3]}.{n[3:6]}.{n[6:]} MWST"
    if country == "NL":
        return f"NL{rng.randrange(10**9):09d}B01"
    if country == "FR":
        return f"FR{rng.randrange(10**11):011d}"
    return f"DE{rng.randrange(10**8, 10**9)}"


def _email(rng: random.Random, first: str, last: str, company: str, country: str) -> str:
    f, la = first.lower().translate(_ASCII), last.lower().translate(_ASCII)
    if company:
        words = [w.lower().translate(_ASCII) for w in company.split() if w not in _NOT_IN_DOMAIN]
        domain = "-".join(w.strip("().,") for w in words)
        return f"{rng.choice(('info', 'einkauf', 'buchhaltung', f))}@{domain}.de"
    local = rng.choice((f"{f}.{la}", f"{f[0]}.{la}", f"{f}{la}", f"{la}.{f}", f"{f}_{la}"))
    if rng.random() < 0.45:
        local += str(rng.choice((rng.randint(1, 99), rng.randint(1950, 2005))))
    return f"{local}@{rng.choice(MAIL_DOMAINS[country])}"


def _phone(rng: random.Random, country: str, area: str) -> str:
    prefix = PHONE_PREFIX[country]
    if rng.random() < 0.55:
        code = rng.choice(MOBILE_CODES[country])
        return f"{prefix} {code} {rng.randrange(10**6, 10**8)}"
    return f"{prefix} {area} {rng.randrange(10**5, 10**7)}"


def _tracking_number(rng: random.Random, kind: str) -> str:
    carrier = rng.random()
    if kind == Channel.Kind.AMAZON and carrier < 0.3:
        return f"DE{rng.randrange(10**10):010d}"  # Amazon Logistics
    if carrier < 0.55:
        return f"00340434{rng.randrange(10**12):012d}"  # DHL parcel (SSCC)
    if carrier < 0.7:
        return f"H{rng.randrange(10**9):09d}{rng.randrange(10**10):010d}"  # Hermes
    if carrier < 0.85:
        return f"0{rng.randrange(10**13):013d}"  # DPD
    if carrier < 0.93:
        return "1Z" + "".join(rng.choices(_UPPER, k=16))  # UPS
    return f"{rng.randrange(10**11):011d}"  # GLS
