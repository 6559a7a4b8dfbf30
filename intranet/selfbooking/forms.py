"""Forms of the self-booking pages: plain buttons, each carrying its CSRF token."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired


class SlotForm(FlaskForm):
    """The time the person chose, carried from the question "this one?" to the booking."""

    at = HiddenField(validators=[DataRequired()])
