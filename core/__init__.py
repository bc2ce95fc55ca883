"""What every layer shares and nothing else: the error root and the closed sets (platforms, locales, roles)."""
