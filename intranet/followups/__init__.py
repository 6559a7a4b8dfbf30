"""Follow-ups after a journey's exit: one-click e-mail answers at one and six months, and who did not answer."""
