"""The local mailbox: what was (or would have been) sent, for admins and the network office."""

from sqlalchemy import select

from intranet.args import paginate
from intranet.extensions import db
from intranet.notifications.models import OutboxMessage
from intranet.notifications.services import as_sent, shows_live_links
from intranet.rendering import render
from intranet.tenancy import association_blueprint, get_or_404, network_blueprint, scoped
from intranet.urls import MASK

bp = association_blueprint("mailbox", __name__, role="admin")
network_bp = network_blueprint("network_mailbox", __name__)


def _page(query):
    query = query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return paginate(query)


@bp.get("/mailbox")
def index():
    return render("notifications/mailbox.html", "message_list", messages=_page(scoped(OutboxMessage)),
                  show_endpoint="mailbox.show", live_links=shows_live_links())


def _message_page(message: OutboxMessage, back_endpoint: str):
    # Personal links stay masked, unless this mailbox is the delivery itself (no SMTP, not production).
    subject, text = (as_sent(message)[:2] if shows_live_links() else (message.subject, message.text_body))
    return render("notifications/message.html", message=message, subject=subject, text=text,
                  live_links=shows_live_links(), masked=MASK in text, back_endpoint=back_endpoint)


@bp.get("/mailbox/<int:outbox_message_id>")
def show(outbox_message_id: int):
    return _message_page(get_or_404(OutboxMessage, outbox_message_id), "mailbox.index")


@network_bp.get("/mailbox")
def index_all():
    return render("notifications/mailbox.html", "message_list", messages=_page(select(OutboxMessage)),
                  show_endpoint="network_mailbox.show_any", live_links=shows_live_links())


@network_bp.get("/mailbox/<int:outbox_message_id>")
def show_any(outbox_message_id: int):
    return _message_page(db.get_or_404(OutboxMessage, outbox_message_id), "network_mailbox.index_all")
