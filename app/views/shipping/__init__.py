"""Shipping and returns tab: pick lists, shipments, invoices and payments, claims and refunds."""
