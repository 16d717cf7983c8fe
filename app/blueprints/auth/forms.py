from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email."),
                                            Email(message="Enter a valid email address.")])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])


class MfaForm(FlaskForm):
    code = StringField("Authentication code", validators=[DataRequired(message="Enter the code."),
                                                          Length(min=6, max=20)])
