"""Cross-cutting transport concerns shared by every Faultline service. No domain code lives here."""
