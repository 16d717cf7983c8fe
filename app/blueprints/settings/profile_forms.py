"""The profile page's forms; each has its own prefix so field names and ids never collide on the page."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from app.services.auth.profile import AVATAR_MAX_BYTES, NAME_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DetailsForm(FlaskForm):
    first_name = StringField("First name", filters=[_strip], validators=[
        DataRequired(message="Enter your first name."),
        Length(max=NAME_MAX, message=f"Your first name must be at most {NAME_MAX} characters.")])
    last_name = StringField("Last name", filters=[_strip], validators=[
        DataRequired(message="Enter your last name."),
        Length(max=NAME_MAX, message=f"Your last name must be at most {NAME_MAX} characters.")])
    phone = TelField("Phone (optional)", filters=[_strip], validators=[
        Optional(), Length(max=30, message="Enter a valid phone number")])


class EmailForm(FlaskForm):
    email = EmailField("New email address", filters=[_strip], validators=[
        DataRequired(message="Enter your new email address."), Length(max=255)])
    password = PasswordField("Current password", validators=[DataRequired(message="Enter your current password.")])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired(message="Enter your current password.")])
    new_password = PasswordField("New password", validators=[DataRequired(message="Enter a new password.")])
    confirm_password = PasswordField("Confirm new password", validators=[
        DataRequired(message="Enter the new password again.")])


class AvatarForm(FlaskForm):
    avatar = FileField("Photo", render_kw={"accept": "image/png,image/jpeg,image/webp"}, validators=[
        FileRequired(message="Choose a photo to upload."),
        FileAllowed(["png", "jpg", "jpeg", "webp"], message="Upload a PNG, JPEG or WebP image."),
        FileSize(max_size=AVATAR_MAX_BYTES, message="The photo must be 2 MB or smaller.")])


class RemoveAvatarForm(FlaskForm):
    """Only the CSRF token: removing the photo needs no input."""


class NotificationsForm(FlaskForm):
    assignment_email = BooleanField("Email me when a conversation is assigned to me")
    message_email = BooleanField("Email me about debtor messages in my conversations while I am offline")
    escalation_email = BooleanField("Email me when a conversation I follow is escalated")
    daily_digest_email = BooleanField("Email me a daily digest")
    browser_notifications = BooleanField("Show browser notifications")
