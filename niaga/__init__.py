"""Niaga: a self-hosted WhatsApp Business growth and customer-service platform."""

__version__ = "0.1.0"
