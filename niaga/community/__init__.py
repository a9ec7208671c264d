"""Community: customer groups (the loyal customers' "Pelanggan Setia" first) and polls."""
