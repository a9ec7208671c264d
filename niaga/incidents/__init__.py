"""Watching the account ("Awasi aktivitas akun") and answering a breach: alerts drawn from
the audit log, and the incident walk-through."""
