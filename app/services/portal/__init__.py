"""The debtor portal's services: signed links, the identity check, the validation notice (page, PDF and delivery),
the debtor's own records (disputes, contact preferences) and one-click email unsubscribe.

Nothing here reads the HTTP request: the portal blueprint passes what the visitor sent and who they proved to be."""
from app.services.tenancy import Principal


def debtor_principal(account) -> Principal:
    """Who the audit trail names for a debtor acting in the portal (no user row: a link and an identity check)."""
    return Principal(business_id=account.business_id, role="debtor")


def system_principal(account) -> Principal:
    """The platform acting for the debtor (a message the debtor asked for), never a staff member in the browser."""
    return Principal(business_id=account.business_id, role="system")
