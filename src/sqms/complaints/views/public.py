"""Public complaint pages (no login), mounted at /c/, and the QR poster page for staff (to be written)."""

from django.urls import URLPattern

# Mounted at /c/ under the "public" namespace: no login.
urlpatterns: list[URLPattern] = []
# Mounted under /complaints/ in the "complaints" namespace: staff pages (the QR poster).
staff_urlpatterns: list[URLPattern] = []
