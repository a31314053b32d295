"""Products (issue 20): the list with its search (``ProductsWindow``) and the product form
(``ProductDialog``: details, quantity breaks, bill of materials and routing edited in place)."""

from app.views.products.form import ProductDialog
from app.views.products.window import ProductsWindow

__all__ = ["ProductDialog", "ProductsWindow"]
