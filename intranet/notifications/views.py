"""The local mailbox: what was (or would have been) sent, for admins and the network office."""

from sqlalchemy import select

from intranet.args import paginate
from intranet.extensions import db
from intranet.notifications.models import OutboxMessage
from intranet.rendering import render
from intranet.tenancy import association_blueprint, get_or_404, network_blueprint, scoped

bp = association_blueprint("mailbox", __name__, role="admin")
network_bp = network_blueprint("network_mailbox", __name__)


def _page(query):
    query = query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return paginate(query)


@bp.get("/mailbox")
def index():
    return render("notifications/mailbox.html", "message_list", messages=_page(scoped(OutboxMessage)),
                  show_endpoint="mailbox.show")


@bp.get("/mailbox/<int:outbox_message_id>")
def show(outbox_message_id: int):
    return render("notifications/message.html", message=get_or_404(OutboxMessage, outbox_message_id),
                  back_endpoint="mailbox.index")


@network_bp.get("/mailbox")
def index_all():
    return render("notifications/mailbox.html", "message_list", messages=_page(select(OutboxMessage)),
                  show_endpoint="network_mailbox.show_any")


@network_bp.get("/mailbox/<int:outbox_message_id>")
def show_any(outbox_message_id: int):
    message = db.get_or_404(OutboxMessage, outbox_message_id)
    return render("notifications/message.html", message=message, back_endpoint="network_mailbox.index_all")
