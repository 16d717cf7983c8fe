"""Debtor accounts: fields, records (create/update/delete), search, import, export."""
