"""Local stand-ins for the portal's outside services, for tests and for trying the portal by hand."""
