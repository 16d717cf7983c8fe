"""Identity: passwords, TOTP, sessions and sign-in."""
