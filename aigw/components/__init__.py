"""One ComponentResource per concern."""
