"""Who may do what: roles, their permissions, and the credentials that prove a role."""
