"""Customers (issue 20): the list with its search (``CustomersWindow``) and the customer form
(``CustomerDialog``: details, contacts, billing and delivery address)."""

from app.views.customers.form import CustomerDialog
from app.views.customers.window import CustomersWindow

__all__ = ["CustomerDialog", "CustomersWindow"]
