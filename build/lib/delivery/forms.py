"""The readers' subscribe form and the editors' CSV import form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .addresses import InvalidAddress, address_normalise


class SubscribeForm(forms.Form):
    """An address to subscribe; checked for syntax only, and never told whether it is known."""

    email = forms.CharField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": 254}),
    )
    # A honeypot: people never see this field, form-filling robots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_email(self):
        try:
            address_normalise(self.cleaned_data["email"])
        except InvalidAddress:
            raise forms.ValidationError(_("Enter a valid email address.")) from None
        return self.cleaned_data["email"]


class ImportForm(forms.Form):
    """A CSV export of another newsletter service."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "An export of Substack, Mailchimp, Buttondown or listmonk, or any CSV with an "
            "“email” column. Imported addresses are confirmed; nobody is emailed."
        ),
    )
