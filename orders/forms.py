"""Forms of the merchant's order pages: list filters, privacy actions, the edit page, shipping."""

import datetime
from collections.abc import Mapping
from urllib.parse import urlencode

from django import forms
from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from channels.models import Channel
from customers.models import ADDRESS_FIELDS, Address
from orders.models import Order, OrderAddress, OrderStatus
from orders.privacy.selection import (
    DATE_FIELDS,
    MAX_ORDER_ID,
    MAX_PRIVACY_SELECTION,
    Selection,
    SelectionError,
    check_date_in_range,
)
from orders.selectors import (
    DEFAULT_ORDER_LIST_SORT,
    MAX_ORDER_LIST_PAGE,
    ORDER_LIST_PAGE_SIZE,
    ORDER_LIST_PAGE_SIZES,
    ORDER_LIST_SORTS,
)
from orders.services import ORDER_EDIT_FIELDS
from personal.cards import reject_card_numbers
from personal.forms import ForgetsCardNumbersMixin
from personal.state import PrivacyState


def validate_supported_date(day: datetime.date) -> None:
    """Dates a filter or selection can work with (orders.privacy.selection.EARLIEST_DATE …)."""
    try:
        check_date_in_range(day)
    except SelectionError as exc:
        raise forms.ValidationError(str(exc), code="date_out_of_range") from None


class DateRangeMixin:
    """Refuses a `date_from` after `date_to`, naming both dates."""

    def clean(self) -> dict:
        cleaned = super().clean()
        date_from: datetime.date | None = cleaned.get("date_from")
        date_to: datetime.date | None = cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError(
                _("Das Von-Datum (%(from)s) liegt nach dem Bis-Datum (%(to)s)."),
                params={"from": date_from.strftime("%d.%m.%Y"), "to": date_to.strftime("%d.%m.%Y")},
                code="date_range",
            )
        return cleaned


class OrderFilterForm(ForgetsCardNumbersMixin, DateRangeMixin, forms.Form):
    """The list's filters, search, sorting and page; everything arrives as GET parameters."""

    q = forms.CharField(
        label=_("Suche"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Nr., Name, Firma, Ort, PLZ, E-Mail"),
                "autocomplete": "off",
            }
        ),
    )
    channel = forms.ModelChoiceField(
        label=_("Kanal"),
        queryset=Channel.objects.order_by("name"),
        required=False,
        empty_label=_("Alle Kanäle"),
        error_messages={"invalid_choice": _("Diesen Kanal gibt es nicht.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Alle Status")), *OrderStatus.choices],
        required=False,
        error_messages={"invalid_choice": _("Diesen Status gibt es nicht.")},
    )
    privacy = forms.ChoiceField(
        label=_("Kundendaten"),
        choices=[
            ("", _("Alle")),
            (PrivacyState.ACTIVE, _("aktiv")),
            (PrivacyState.ANONYMIZED, _("anonymisiert")),
            (PrivacyState.RESTORING, _("Wiederherstellung läuft")),
            (PrivacyState.PURGED, _("endgültig gelöscht")),
        ],
        required=False,
        error_messages={"invalid_choice": _("Diesen Datenschutzstatus gibt es nicht.")},
    )
    date_from = forms.DateField(
        label=_("Auftragsdatum von"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_supported_date],
        error_messages={"invalid": _("„Von“ ist kein gültiges Datum (erwartet z. B. 2026-03-31).")},
    )
    date_to = forms.DateField(
        label=_("bis"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_supported_date],
        error_messages={"invalid": _("„Bis“ ist kein gültiges Datum (erwartet z. B. 2026-03-31).")},
    )
    # Sort and page come from links, not from the user's typing: unknown values fall back.
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    page = forms.CharField(required=False, widget=forms.HiddenInput)
    page_size = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_page_size(self) -> int:
        try:
            size = int(self.cleaned_data["page_size"])
        except (TypeError, ValueError):
            return ORDER_LIST_PAGE_SIZE
        return size if size in ORDER_LIST_PAGE_SIZES else ORDER_LIST_PAGE_SIZE

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        return sort if sort in ORDER_LIST_SORTS else DEFAULT_ORDER_LIST_SORT

    def clean_page(self) -> int:
        try:
            page = int(self.cleaned_data["page"])
        except (TypeError, ValueError):
            return 1
        return min(max(page, 1), MAX_ORDER_LIST_PAGE)


#: The list's filter parameters: what "all matching orders" means (sort and page choose no orders).
LIST_FILTER_PARAMS = ("q", "channel", "status", "privacy", "date_from", "date_to")
#: The GET parameter that carries the signature of the filter the table was rendered with.
LIST_STATE_PARAM = "list_state"
_LIST_STATE_SALT = "orders.list_state"


def list_filter_params(data: Mapping) -> list[tuple[str, str]]:
    """The filter parameters of `data` (a QueryDict) that are set, in a fixed order."""
    return [(name, str(data[name])) for name in LIST_FILTER_PARAMS if data.get(name)]


def list_state_signature(params: list[tuple[str, str]]) -> str:
    """Signs the filter a table was rendered with. "All matching" sends it back with the filter,
    so the server acts on the filter of the rows the merchant saw – not on controls that may
    show something else meanwhile – and refuses a filter it did not render."""
    return signing.Signer(salt=_LIST_STATE_SALT).signature(urlencode(params))


def list_state_is_valid(data: Mapping) -> bool:
    """Whether `data`'s filter parameters are exactly those a table was rendered with."""
    return constant_time_compare(
        list_state_signature(list_filter_params(data)), str(data.get(LIST_STATE_PARAM) or "")
    )


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 countries by name in the reader's language (django-countries)."""
    return [("", "–"), *countries]


class OrderAddressForm(ForgetsCardNumbersMixin, forms.ModelForm):
    """An order's own billing or shipping address (the field definitions of an address-book
    entry, which the order's columns share); orders.services.order_update saves it."""

    country = forms.TypedChoiceField(
        label=_("Land"),
        choices=country_choices,
        error_messages={
            "required": _("Bitte ein Land wählen."),
            "invalid_choice": _("Bitte ein Land aus der Liste wählen (ISO-Ländercode)."),
        },
    )

    class Meta:
        model = Address
        fields = ADDRESS_FIELDS

    def __init__(self, *args, address: OrderAddress, role: str, **kwargs):
        super().__init__(*args, initial=address.as_dict(), prefix=role, **kwargs)
        self.role = role

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.role == "billing" and not (cleaned.get("last_name") or cleaned.get("company")):
            self.add_error(
                "last_name", _("Eine Rechnungsadresse braucht einen Nachnamen oder eine Firma.")
            )
        return cleaned


class OrderEditForm(ForgetsCardNumbersMixin, forms.ModelForm):
    """Contact, status and notes of an order; orders.services.order_update saves them. The
    version the page was made from comes back with it (no lost updates)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    buyer_email = forms.EmailField(
        label=Order._meta.get_field("buyer_email").verbose_name,
        required=False,
        max_length=Order._meta.get_field("buyer_email").max_length,
        validators=[reject_card_numbers],
        error_messages={"invalid": _("Bitte eine gültige E-Mail-Adresse angeben.")},
    )

    class Meta:
        model = Order
        fields = ORDER_EDIT_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", self.instance.version)


class OrderShipForm(ForgetsCardNumbersMixin, forms.Form):
    tracking_number = forms.CharField(
        label=_("Sendungsnummer"),
        max_length=Order._meta.get_field("tracking_number").max_length,
        strip=True,
        # Not a model form: the model field's card-number check has to be repeated here.
        validators=[reject_card_numbers],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Asked for when the order was shipped before: its tracking number is replaced only then.
    replace_tracking = forms.BooleanField(
        label=_("Bisherige Sendungsnummer ersetzen"), required=False
    )


def disable_fields(*forms_to_lock: forms.BaseForm) -> None:
    """Renders the forms read-only (an anonymized order cannot be edited)."""
    for form in forms_to_lock:
        for field in form.fields.values():
            field.disabled = True


# --- Privacy actions of the list ("Mehr" → Anonymisieren / Wiederherstellen) -----------------


class OrderIdsField(forms.Field):
    """The ids of the orders ticked in the list (hidden inputs or checkboxes named `ids`)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("Die Auswahl enthält ungültige Bestellnummern."),
        "too_many": _(
            "Es können höchstens %(max)s Bestellungen auf einmal ausgewählt werden. Bitte "
            "schränken Sie die Auswahl ein oder verwenden Sie den Zeitraum-Dialog."
        ),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if any(not 0 < pk <= MAX_ORDER_ID for pk in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if len(ids) > MAX_PRIVACY_SELECTION:
            raise forms.ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"max": number_format(MAX_PRIVACY_SELECTION, force_grouping=True)},
            )
        return ids


class PrivacyIdsForm(forms.Form):
    """The confirmation of an action on the ticked orders."""

    ids = OrderIdsField(
        error_messages={"required": _("Es sind keine Bestellungen ausgewählt.")},
    )


class PrivacyRangeForm(DateRangeMixin, forms.Form):
    """The dialog shown when nothing is selected: which orders, by date, shop and status."""

    date_field = forms.ChoiceField(
        label=_("Datumsfeld"),
        choices=list(DATE_FIELDS.items()),
        initial="order_date",
        error_messages={"invalid_choice": _("Bitte ein Datumsfeld aus der Liste wählen.")},
    )
    date_from = forms.DateField(
        label=_("von"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_supported_date],
        error_messages={
            "required": _("Bitte das Von-Datum angeben."),
            "invalid": _("„Von“ ist kein gültiges Datum (erwartet z. B. 31.03.2026)."),
        },
    )
    date_to = forms.DateField(
        label=_("bis (einschließlich)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_supported_date],
        error_messages={
            "required": _("Bitte das Bis-Datum angeben."),
            "invalid": _("„Bis“ ist kein gültiges Datum (erwartet z. B. 31.03.2026)."),
        },
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Shops"),
        queryset=Channel.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Bitte mindestens einen Shop auswählen."),
            "invalid_choice": _("Diesen Shop gibt es nicht."),
            "invalid_pk_value": _("Diesen Shop gibt es nicht."),
        },
    )
    exclude_statuses = forms.MultipleChoiceField(
        label=_("Diese Status ausschließen"),
        choices=OrderStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Diesen Status gibt es nicht.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "range")
        super().__init__(*args, **kwargs)
        if not self.is_bound and "channels" not in self.initial:
            # Every shop is ticked to begin with.
            self.initial["channels"] = list(
                self.fields["channels"].queryset.values_list("pk", flat=True)
            )

    def selection(self) -> Selection:
        """The job's selection; call only on a valid form. Every shop ticked means every shop."""
        data = self.cleaned_data
        channel_ids = tuple(sorted(channel.pk for channel in data["channels"]))
        every_channel = len(channel_ids) == self.fields["channels"].queryset.count()
        return Selection(
            date_field=data["date_field"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            channel_ids=None if every_channel else channel_ids,
            exclude_statuses=tuple(data["exclude_statuses"]),
        )


# --- Export ("Mehr" → Exportieren …) -------------------------------------------------------


class OrderExportForm(forms.Form):
    """How to export: the file's dialect, a row per order or per item, anonymized orders or not.
    Every field may be left out of a URL (the defaults: Excel, per order, with anonymized)."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("excel", _("Excel (Semikolon, Dezimalkomma, TT.MM.JJJJ)")),
            ("plain", _("CSV (Komma, Dezimalpunkt, JJJJ-MM-TT)")),
        ],
        required=False,
        initial="excel",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Dieses Exportformat gibt es nicht.")},
    )
    rows = forms.ChoiceField(
        label=_("Zeilen"),
        choices=[
            ("order", _("Eine Zeile pro Bestellung")),
            ("item", _("Eine Zeile pro Position")),
        ],
        required=False,
        initial="order",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Diese Zeilenart gibt es nicht.")},
    )
    skip_anonymized = forms.BooleanField(
        label=_("Anonymisierte Bestellungen ignorieren"), required=False
    )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or "excel"

    def clean_rows(self) -> str:
        return self.cleaned_data["rows"] or "order"


class OrderImportForm(forms.Form):
    """Einstellungen → Import: the file, the channel its orders go into, and whether orders the
    channel has already (same external order number) are left out."""

    file = forms.FileField(label=_("CSV-Datei"))
    channel = forms.ModelChoiceField(
        label=_("Kanal"),
        queryset=Channel.objects.order_by("name"),
        empty_label=None,
        error_messages={"invalid_choice": _("Bitte wählen Sie einen der Kanäle.")},
    )
    skip_duplicates = forms.BooleanField(
        label=_("Doppelte Bestellungen nicht importieren"),
        required=False,
        initial=True,
        help_text=_(
            "Doppelt: im Kanal gibt es schon eine Bestellung mit der externen Bestellnummer."
        ),
    )
