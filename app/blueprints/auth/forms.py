from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email."), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])


class MfaForm(FlaskForm):
    code = StringField("Authentication code", validators=[DataRequired(message="Enter the code."),
                                                          Length(min=6, max=20)])
