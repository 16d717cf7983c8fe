"""Domain logic: plain Python that takes arguments and a session, never the request."""
