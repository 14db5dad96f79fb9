"""The run's steps, one module each, in the order ``tasks.sequence`` runs them."""
