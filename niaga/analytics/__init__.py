"""Analytics: what the inbox, orders, campaigns and automation recorded, as the guide's figures,
with what they mean and what to do next. Reads only; writes nothing back into them."""
