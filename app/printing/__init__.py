"""Printed documents: HTML built from plain data (documents.py, Qt-free), rendered by one Qt path
to print preview, PDF and printer (render.py)."""
