"""Orders: from WhatsApp carts or agents, numbering, status flow, notifications."""
