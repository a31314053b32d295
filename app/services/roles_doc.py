"""Print docs/roles.md from the permission matrix: ``python -m app.services.roles_doc``."""

from app.services.permissions import roles_markdown

HEAD = """# Roles and permissions

Every person signs in with their own account and one role. What a role may do is decided by one
matrix, `app/services/permissions.py`, enforced inside the services — a button that is hidden or
greyed out is a courtesy, not the protection. This page is generated from that matrix
(`make roles-doc`); a test fails when the two disagree.

| role | who |
|---|---|
| marketing | forecasts demand; requests expedites for trade shows and campaigns |
| sales | quotes and orders, customers, claims from customer calls, leads from service |
| production | production's forecast, schedule, accepting or declining expedites |
| shipping | pick lists, shipments, receiving returns |
| finance | invoices, payments, credit notes, refunds, credit holds |
| service | service jobs and debriefs |
| management | strategy: margin floor, priority profiles, quotas, approvals; audit log |
| admin | sets the firm up (wizard, settings, users), keeps its master data (customers, products); backups |

## The matrix

"""

FOOT = """
## What the matrix does not protect

Anyone who can write the shared database file can change it with other tools and bypass the
application. Protect the folder with share permissions (only OrderCycle users may write it); a firm
that needs stronger separation runs PostgreSQL, where each desk connects with its own database
account and nobody edits the file directly.
"""

if __name__ == "__main__":
    print(HEAD + roles_markdown() + FOOT, end="")
