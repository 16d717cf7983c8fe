from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email."), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])


class MfaForm(FlaskForm):
    code = StringField("Authentication code", validators=[DataRequired(message="Enter the code."),
                                                          Length(min=6, max=20)])


class EnrolForm(FlaskForm):
    code = StringField("Code from your authenticator app", validators=[
        DataRequired(message="Enter the 6-digit code your app shows."), Length(min=6, max=6)])


class SignupForm(FlaskForm):
    company = StringField("Company name", validators=[DataRequired(message="Enter your company name."),
                                                      Length(max=255)])
    name = StringField("Your name", validators=[DataRequired(message="Enter your name."), Length(max=200)])
    email = EmailField("Work email", validators=[DataRequired(message="Enter your email."), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(message="Choose a password.")])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(message="Choose a password.")])
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(message="Repeat the password."), EqualTo("password", message="The passwords do not match.")])


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email."), Length(max=255)])
