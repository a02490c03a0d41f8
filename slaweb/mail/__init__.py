"""The email outbox: every mail the product sends is a stored row, claimed and sent once."""
