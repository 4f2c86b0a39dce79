"""Access control in one place: which rows a user sees (`scope`) and which actions a role may take (`actions`)."""
