"""URL patterns of the training app, one module per area; training/urls.py joins them under the
one ``training`` namespace."""
