"""Support admin for orders, their history, privacy jobs and number sequences."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from coldstorage.keys import KeyConfigurationError
from orders import history
from orders.models import (
    ORDER_ADDRESS_ROLES,
    NumberSequence,
    Order,
    OrderEvent,
    OrderItem,
    OrderLockedError,
    OrderMessage,
    PrivacyJob,
)
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore
from orders.privacy.selection import MAX_PRIVACY_SELECTION, Selection
from orders.privacy.summary import summary_items
from orders.services import order_admin_save
from personal.admin import PRIVACY_FIELDS, LockedParentInline, PersonalDataAdmin
from personal.forms import ForgetsCardNumbersMixin

#: The job's "Quelle" for actions started in the support admin.
ADMIN_SOURCE = "Admin"
#: Admin actions on orders are offered in the changelist and on an order's own page.
BOTH_LOCATIONS = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


class ReadOnlyAdminMixin:
    """Records written only by the application (history, jobs): support staff look, never touch."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderAdminForm(ForgetsCardNumbersMixin, forms.ModelForm):
    # No Meta: the admin supplies the model and its fields.

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            # Locked until the admin's transaction commits; anonymize takes the same lock.
            order = Order.objects.select_for_update().get(pk=self.instance.pk)
            try:
                order.ensure_personal_data_available()
            except OrderLockedError as exc:
                raise ValidationError(exc.message, code="locked") from None
        return cleaned_data


class OrderItemInline(LockedParentInline, admin.TabularInline):
    model = OrderItem
    extra = 0


class OrderMessageInline(LockedParentInline, admin.StackedInline):
    model = OrderMessage
    extra = 0


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ("created_at", "kind", "actor", "actor_label", "detail_display")
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("Details"))
    def detail_display(self, obj: OrderEvent) -> str:
        return history.entry_text(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


def _job_link(job: PrivacyJob) -> SafeString:
    url = reverse("admin:orders_privacyjob_change", args=[job.pk])
    return format_html('<a href="{}">{}</a>', url, gettext("Datenschutz-Vorgang #%s") % job.pk)


def _summary_text(job: PrivacyJob) -> str:
    return "; ".join(f"{label}: {count}" for _key, label, count in summary_items(job))


@admin.register(Order)
class OrderAdmin(PersonalDataAdmin):
    form = OrderAdminForm
    list_display = (
        "number",
        "order_date",
        "channel",
        "customer_display",
        "status",
        "privacy_display",
        "total_display",
    )
    list_filter = ("channel", "status", "privacy_state")
    list_select_related = ("channel",)
    search_fields = ("number__exact", "external_number__exact")
    # Names and addresses are not searched here (personal data, and anonymized orders must not be
    # found by them): the order list's search does that for users who may read personal data.
    search_help_text = _("Laufende oder externe Bestellnummer, genau")
    date_hierarchy = "order_date"
    raw_id_fields = ("customer", "billing_entry", "shipping_entry", "privacy_job")
    readonly_fields = (
        *PRIVACY_FIELDS,
        "restored_at",
        "restore_failure",
        "restore_failed_at",
        "privacy_job",
        "created_at",
        "version",
    )
    inlines = (OrderItemInline, OrderMessageInline, OrderEventInline)
    actions = ("anonymize_orders", "restore_orders")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "channel",
                    "external_number",
                    "customer",
                    "status",
                    ("order_date", "payment_date"),
                    ("invoice_date", "delivery_date"),
                    ("total", "currency"),
                    "payment_method",
                    "invoice_number",
                )
            },
        ),
        (_("Kontakt"), {"fields": ("buyer_email", "buyer_phone", "tracking_number", "notes")}),
        *(
            (
                label,
                {
                    "fields": (
                        f"{role}_entry",
                        (f"{role}_first_name", f"{role}_last_name"),
                        f"{role}_company",
                        (f"{role}_street", f"{role}_house_number"),
                        f"{role}_line2",
                        (f"{role}_postcode", f"{role}_city"),
                        (f"{role}_state", f"{role}_country"),
                    )
                },
            )
            for role, label in ORDER_ADDRESS_ROLES.items()
        ),
        (
            _("Datenschutz"),
            {
                "fields": (
                    *PRIVACY_FIELDS,
                    "restored_at",
                    "restore_failure",
                    "restore_failed_at",
                    "privacy_job",
                    "created_at",
                    "version",
                )
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        if not self.is_locked(obj):
            return super().get_fieldsets(request, obj)
        # An anonymized order names neither its address-book entries nor its customer by name:
        # a customer or entry that other orders still use would show the buyer's name and
        # address. The customer is linked by number.
        entries = {f"{role}_entry" for role in ORDER_ADDRESS_ROLES}
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "customer_number" if f == "customer" else f
                        for f in options["fields"]
                        if f not in entries
                    ],
                },
            )
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj)]
        if self.is_locked(obj):
            readonly.append("customer_number")
        # The same rights as on the order page: an invoice number is only ever issued there
        # (orders.issue_invoice, with its invoice document), and shipping is its own right.
        readonly.append("invoice_number")
        if not request.user.has_perm("orders.ship_order"):
            readonly.append("tracking_number")
        return list(dict.fromkeys(readonly))

    @admin.display(description=_("Kunde"))
    def customer_number(self, obj: Order) -> SafeString:
        url = reverse("admin:customers_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer.number)

    @admin.display(description=_("Summe"), ordering="total")
    def total_display(self, obj: Order) -> str:
        amount = number_format(obj.total, decimal_pos=2, force_grouping=True)
        return f"{amount} {obj.currency}"

    @admin.display(description=_("Kunde (Rechnung)"))
    def customer_display(self, obj: Order) -> str:
        return obj.customer_name

    @admin.display(description=_("Datenschutzstatus"), ordering="privacy_state")
    def privacy_display(self, obj: Order) -> str:
        icon = {"anonymized": "🔒 ", "restoring": "⏳ ", "purged": "🔒 "}.get(obj.privacy_state, "")
        return f"{icon}{capfirst(obj.get_privacy_state_display())}"

    # --- privacy actions: the same jobs as the merchant's pages -----------------------------

    def has_anonymize_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.anonymize_order")

    def has_restore_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.restore_order")

    def _start_job(
        self, request: HttpRequest, queryset: QuerySet, start: Callable[..., PrivacyJob]
    ) -> PrivacyJob | None:
        ids = list(
            queryset.order_by("pk").values_list("pk", flat=True)[: MAX_PRIVACY_SELECTION + 1]
        )
        if len(ids) > MAX_PRIVACY_SELECTION:
            self.message_user(
                request,
                gettext(
                    "Höchstens %(max)d Bestellungen auf einmal. Für größere Mengen gibt es den "
                    "Zeitraum-Dialog der Bestellübersicht und die Befehle anonymize_orders und "
                    "restore_orders."
                )
                % {"max": MAX_PRIVACY_SELECTION},
                messages.ERROR,
            )
            return None
        try:
            return start(
                selection=Selection.of_ids(ids), requested_by=request.user, source=ADMIN_SOURCE
            )
        except KeyConfigurationError as exc:
            self.message_user(
                request,
                gettext(
                    "Es wurde nichts gestartet: Für den Cold Storage ist kein nutzbarer Schlüssel "
                    "eingerichtet (%(reason)s)."
                )
                % {"reason": exc},
                messages.ERROR,
            )
            return None

    # Messages name counts and the job only: never a name, address or other personal data.

    @admin.action(
        description=_("Anonymisieren"), permissions=("anonymize",), location=BOTH_LOCATIONS
    )
    def anonymize_orders(self, request: HttpRequest, queryset: QuerySet) -> None:
        job = self._start_job(request, queryset, privacy_job_anonymize)
        if job is None:
            return
        text = ngettext(
            "Anonymisierung von %(count)d Bestellung gestartet; sie läuft im Hintergrund:",
            "Anonymisierung von %(count)d Bestellungen gestartet; sie läuft im Hintergrund:",
            job.total,
        ) % {"count": job.total}
        self.message_user(request, format_html("{} {}", text, _job_link(job)), messages.SUCCESS)

    @admin.action(
        description=_("Wiederherstellen"), permissions=("restore",), location=BOTH_LOCATIONS
    )
    def restore_orders(self, request: HttpRequest, queryset: QuerySet) -> None:
        job = self._start_job(request, queryset, privacy_job_restore)
        if job is None:
            return
        if job.summary.get("queued"):
            text = gettext("Wiederherstellung gestartet (%(summary)s):") % {
                "summary": _summary_text(job)
            }
            level = messages.SUCCESS
        else:
            text = gettext("Nichts wiederherzustellen (%(summary)s):") % {
                "summary": _summary_text(job)
            }
            level = messages.WARNING
        self.message_user(request, format_html("{} {}", text, _job_link(job)), level)

    def save_model(self, request, obj, form, change) -> None:
        # Through the service, so an admin save leaves its history entries like any other.
        order_admin_save(
            order=obj, actor=request.user, changed=form.changed_data, created=not change
        )

    def lock_reason(self, obj) -> str:
        return OrderLockedError(obj).message

    def log_repr(self, obj) -> str:
        return f"{obj._meta.verbose_name} {obj.number}"


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "order", "kind", "actor_display", "detail_display")
    list_filter = ("kind",)
    list_select_related = ("order", "actor")
    search_fields = ("order__number__exact",)
    raw_id_fields = ("order", "actor")
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description=_("durch"))
    def actor_display(self, obj: OrderEvent) -> str:
        return obj.actor_display

    @admin.display(description=_("Details"))
    def detail_display(self, obj: OrderEvent) -> str:
        return history.entry_text(obj)


@admin.register(PrivacyJob)
class PrivacyJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    class Media:
        # Classes, not style attributes: the Content-Security-Policy refuses inline styles.
        css = {"all": ("css/admin.css",)}

    list_display = (
        "id",
        "kind",
        "state",
        "progress",
        "requested_by",
        "source",
        "created_at",
        "finished_at",
        "error_short",
    )
    list_filter = ("kind", "state", "source")
    list_select_related = ("requested_by",)
    show_full_result_count = False
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    "state",
                    "progress",
                    "requested_by",
                    "source",
                    "selection_display",
                )
            },
        ),
        (_("Ergebnis"), {"fields": ("summary_display", "error")}),
        (_("Zeiten"), {"fields": ("created_at", "started_at", "finished_at")}),
        (
            _("Technisch"),
            {"classes": ("collapse",), "fields": ("attempts", "heartbeat_at", "lease_owner")},
        ),
    )
    readonly_fields = (
        "kind",
        "state",
        "progress",
        "requested_by",
        "source",
        "selection_display",
        "summary_display",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
        "heartbeat_at",
        "lease_owner",
    )

    @admin.display(description=_("Fortschritt"))
    def progress(self, obj: PrivacyJob) -> SafeString:
        return format_html(
            '<progress value="{}" max="100" class="job-progress" '
            'aria-label="{} %"></progress> {}/{}',
            obj.percent,
            obj.percent,
            number_format(obj.done, force_grouping=True),
            number_format(obj.total, force_grouping=True),
        )

    @admin.display(description=_("Auswahl"))
    def selection_display(self, obj: PrivacyJob) -> str:
        # Ids and dates only (never personal data); an id list is summarised by its length.
        if obj.kind == PrivacyJob.Kind.PURGE:
            return gettext("Löschdatum bis %(date)s") % {"date": obj.selection.get("today", "–")}
        try:
            return str(Selection.from_json(obj.selection).describe())
        except (KeyError, TypeError, ValueError):
            return "–"

    @admin.display(description=_("Ergebnis"))
    def summary_display(self, obj: PrivacyJob) -> SafeString | str:
        items = summary_items(obj)
        if not items:
            return "–"
        return format_html(
            '<ul class="job-summary">{}</ul>',
            format_html_join("", "<li>{}: {}</li>", ((label, n) for _k, label, n in items)),
        )

    @admin.display(description=_("Fehler"))
    def error_short(self, obj: PrivacyJob) -> str:
        return Truncator(obj.error).chars(80)


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ("name", "last_value")

    def get_readonly_fields(self, request, obj=None):
        # A sequence's name is its key; only its counter may be corrected.
        return ("name",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False
