"""The HTTP face of the explorer: routes (one module per page family), guards and templating."""
