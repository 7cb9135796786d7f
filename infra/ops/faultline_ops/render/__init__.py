"""Pure renderers: settings in, configuration text and supervisor programs out. No I/O here."""
