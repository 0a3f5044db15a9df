"""Form behaviour shared by every form that takes text: a card number is refused, never echoed."""

from django import forms
from django.core.exceptions import FieldDoesNotExist

from personal.cards import CARD_NUMBER_CODE, card_number_error, contains_card_number


class ForgetsCardNumbersMixin:
    """Refuses a card number in any field of the form, and never echoes it back.

    Every submitted field is read by the card-number detector before it is cleaned, whatever the
    field (a choice, a date and a hidden field included; its own validators may not check for
    card numbers, and its own messages may quote the input, e.g. "… is not one of the available
    choices"). A refused field is emptied before it is cleaned and carries the card-data message
    alone; a number found later by a field's or the model's validators (a JSON field's escaped
    text) is dropped from the re-rendered form and from the instance alike.
    """

    def full_clean(self):
        refused = self._forget_card_numbers(self._fields_with_card_numbers())
        before = self._instance_values()
        super().full_clean()
        if not self.is_bound:
            return
        refused |= self._forget_card_numbers(
            {name for name in self._errors if name in self.fields and self._card_error(name)}
        )
        for name in refused:
            self._errors.pop(name, None)
            self.add_error(name, card_number_error())
            if self.fields[name].widget.is_hidden:
                # Pages show no errors of hidden fields: the form as a whole carries it.
                self.add_error(None, card_number_error())
            if name in before:
                setattr(self.instance, *before[name])

    def _fields_with_card_numbers(self) -> set[str]:
        if not self.is_bound:
            return set()
        found = set()
        for name, field in self.fields.items():
            if field.disabled:
                continue
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            texts = value if isinstance(value, list | tuple) else [value]
            # Rows of several inputs (the extra fields' name/value pairs) count cell by cell.
            texts = [
                cell for text in texts for cell in (text if isinstance(text, tuple) else [text])
            ]
            if any(isinstance(text, str) and contains_card_number(text) for text in texts):
                found.add(name)
        return found

    def _card_error(self, name: str) -> bool:
        return any(error.code == CARD_NUMBER_CODE for error in self._errors[name].as_data())

    def _forget_card_numbers(self, names: set[str]) -> set[str]:
        if names:
            data = self.data.copy()
            for name in names:
                widget = self.fields[name].widget
                if hasattr(widget, "forget_in"):
                    widget.forget_in(data, self.add_prefix(name))
                else:
                    data[self.add_prefix(name)] = ""
            self.data = data
        return names

    def _instance_values(self) -> dict[str, tuple[str, object]]:
        # A model form writes the cleaned input into its instance before the model validates it:
        # the stored values are put back for refused fields (read from the instance's __dict__,
        # so that neither a relation nor a deferred field is loaded for it).
        instance = getattr(self, "instance", None)
        if instance is None:
            return {}
        values = {}
        for name in self.fields:
            try:
                attname = instance._meta.get_field(name).attname
            except (FieldDoesNotExist, AttributeError):
                continue
            if attname in instance.__dict__:
                values[name] = (attname, instance.__dict__[attname])
        return values


class CardSafeModelForm(ForgetsCardNumbersMixin, forms.ModelForm):
    """The base of forms the admin builds itself (inline rows): no card number gets through."""
