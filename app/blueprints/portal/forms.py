"""Portal forms. Labels and messages are set per request in the debtor's language (services/portal/texts.py);
the services check what the answers mean."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, MultipleFileField, StringField, TextAreaField


class IdentityForm(FlaskForm):
    last_name = StringField("Last name")
    zip_code = StringField("ZIP code")
    birth_date = DateField("Date of birth", format="%Y-%m-%d")


class DisputeForm(FlaskForm):
    choice = StringField("What do you want to do?")  # radio buttons in the template; the service checks the value
    portion = StringField("Amount you dispute")
    note = TextAreaField("Tell us why (optional)")
    documents = MultipleFileField("Documents (optional)")


class CsrfForm(FlaskForm):
    """A form with nothing but the CSRF token (buttons carry their own name and value)."""


class PayForm(FlaskForm):
    """The pay page: the amount typed, the method chosen and the PaymentMethod Stripe.js set up in the browser (the
    card itself never reaches this form); or, paying from a bank account, the account as typed (handed to Stripe,
    never kept or shown again: the template renders the number fields empty), the debtor's authorization of the
    debit and the form's one-time token."""

    amount = StringField("Payment amount")
    method = StringField("Payment method")  # radio buttons in the template; the view checks the value
    payment_method_id = HiddenField()
    holder_name = StringField("Name on the account")
    routing_number = StringField("Routing number")
    account_number = StringField("Account number")
    account_number_confirm = StringField("Account number again")
    account_type = StringField("Account type")  # radio buttons in the template; the service checks the value
    authorize = BooleanField("I authorize this one-time debit")
    submission = HiddenField()


class EmailForm(FlaskForm):
    """Profile: the debtor's new email address (the service checks its syntax)."""

    email = StringField("New email address")


class PhoneForm(FlaskForm):
    """Profile: the debtor's new mobile number and, separately, whether it may be texted (never pre-ticked)."""

    phone = StringField("New mobile number")
    texts_ok = BooleanField("Text messages to this number")


class LanguageForm(FlaskForm):
    language = StringField("Language")  # radio buttons in the template; the service checks the value
