"""The readers' report form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.models import Issue, Item, Report


class ReportForm(forms.Form):
    """What a reader says about an item or an issue; the target is checked, never trusted."""

    issue = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647)
    item = forms.CharField(widget=forms.HiddenInput, required=False, max_length=24)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=Report.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 1000}),
        help_text=_("Up to 1,000 characters: what is wrong, and where."),
    )
    contact_email = forms.EmailField(
        label=_("Your email (optional)"),
        required=False,
        help_text=_("Only if you would like an answer. It is seen by the moderators only."),
    )
    # A honeypot: people never see this field, form-filling robots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    @staticmethod
    def resolve_target(number, item_id):
        """The published issue and live item a report is about, or why there is none."""
        errors, issue, item = {}, None, None
        number = _as_id(number)
        if number is not None:
            issue = Issue.objects.published().filter(number=number).first()
        if issue is None:
            errors["issue"] = _("There is no published issue with this number.")
        elif item_id not in (None, ""):
            # Items are named by their number in the issue ("1.3"), which never changes.
            section_number, _dot, item_number = str(item_id).partition(".")
            section_position, item_position = _as_id(section_number), _as_id(item_number)
            if section_position and item_position:
                item = Item.objects.filter(
                    section__issue=issue,
                    section__position=section_position,
                    position=item_position,
                    removed_at__isnull=True,
                ).first()
            if item is None:
                errors["item"] = _("This item does not exist in this issue.")
        return {"issue_obj": issue, "item_obj": item, "errors": errors}

    def clean(self):
        cleaned_data = super().clean()
        if "issue" in self.errors or "item" in self.errors:
            return cleaned_data
        target = self.resolve_target(cleaned_data.get("issue"), cleaned_data.get("item"))
        for field_name, message in target.pop("errors").items():
            self.add_error(field_name, message)
        cleaned_data.update(target)
        return cleaned_data


def _as_id(value):
    """A positive database id from user input, or None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None
