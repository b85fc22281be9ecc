"""Framework integrations: the web middleware that serves and injects the widget (``asgi``,
``wsgi``) and the desktop dialog (``tk``)."""
