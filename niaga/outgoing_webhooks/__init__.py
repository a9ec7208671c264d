"""Outgoing webhooks: automation rules POST events to the business's other systems (a CRM, a
spreadsheet service), as durable, signed, retried deliveries with a log the owner can read."""
