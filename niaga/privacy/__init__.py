"""Customers' data rights (UU PDP, GDPR): what we hold about a person, erasing them while the
business keeps its figures, how long each kind of data is kept, and the privacy notice."""
