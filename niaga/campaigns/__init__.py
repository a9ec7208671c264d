"""Campaigns: personalised promotions to the right customers, within Meta's rules and the
customer's consent, measured to the sale (issue 14; built step by step)."""
